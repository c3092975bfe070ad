// Internal to the evaluator: Elasticsearch (Lucene RegExp) syntax translated to RE2, whose
// matching time is linear in the value.
#pragma once

#include <string>
#include <string_view>

namespace eql::regex {

struct Translation {
  std::string re2;          ///< the RE2 pattern, to be matched against the whole value
  std::string error;        ///< non-empty when refused: the reason, then " at character N"
  std::string reason;       ///< the reason alone, for diagnostics that place it themselves
  std::size_t offset = 0;   ///< byte offset in the pattern where the refusal was found
};

/// Lucene RegExp with all optional operators (`RegExp.ALL`): `.` `?` `+` `*` `{n}` `{n,}`
/// `{n,m}` `|` `[...]` `[^...]` `(...)` `\c`, `\d \D \s \S \w \W`, `"literal"`, `@` (any
/// string), `#` (empty language), `<n-m>` (decimal interval). Intersection `&`, complement
/// `~` and named automata `<name>` have no linear-time RE2 form: they are errors. The one
/// reader of the syntax: the checker's lucene_regex_error is this function's verdict, so
/// validation and evaluation accept the same patterns.
Translation translate_lucene(std::string_view pattern);

}  // namespace eql::regex
