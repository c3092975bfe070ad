// The Elasticsearch EQL function names (internal to src/syntax/).
#pragma once

#include <string_view>

namespace eql::syntax {

/// The known function name nearest to `name` by edit distance (case-insensitive), or empty
/// when none is close enough to be a likely typo.
std::string_view closest_function_name(std::string_view name);

}  // namespace eql::syntax
