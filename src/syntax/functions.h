// The Elasticsearch EQL function names (internal to src/syntax/).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eql::syntax {

/// The known function name nearest to `name` by edit distance (case-insensitive), or empty
/// when none is close enough to be a likely typo.
std::string_view closest_function_name(std::string_view name);

/// For a function of Python eql that Elasticsearch EQL lacks (`wildcard`, `arrayContains`,
/// `match`, ...), how to write the call in Elasticsearch EQL, built from the call's argument
/// texts; empty for any other name.
std::string python_function_hint(std::string_view name, const std::vector<std::string_view>& args);

/// The keyword nearest to `word` when `word` looks like a typo of it (`sequnce`, `adn`);
/// empty otherwise, and for a keyword itself.
std::string_view closest_keyword(std::string_view word);

}  // namespace eql::syntax
