// The edit distance behind every "did you mean" (internal to the library): field names and
// values in the checker, function names and keywords in the parser.
#pragma once

#include <cstddef>
#include <string_view>

namespace eql {

/// Optimal string alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours, one edit each; bytes compared exactly). Gives up
/// above `limit`, returning limit + 1.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

}  // namespace eql
