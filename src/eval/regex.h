// Internal to the evaluator: Elasticsearch (Lucene RegExp) syntax translated to RE2, whose
// matching time is linear in the value.
#pragma once

#include <string>
#include <string_view>

namespace eql::regex {

struct Translation {
  std::string re2;    ///< the RE2 pattern, to be matched against the whole value
  std::string error;  ///< non-empty when the pattern is invalid or cannot be run in linear time
};

/// Lucene RegExp with all optional operators (`RegExp.ALL`): `.` `?` `+` `*` `{n}` `{n,}`
/// `{n,m}` `|` `[...]` `[^...]` `(...)` `\c`, `\d \D \s \S \w \W`, `"literal"`, `@` (any
/// string), `#` (empty language), `<n-m>` (decimal interval). Intersection `&`, complement
/// `~` and named automata `<name>` have no linear-time RE2 form: they are errors.
Translation translate_lucene(std::string_view pattern);

}  // namespace eql::regex
