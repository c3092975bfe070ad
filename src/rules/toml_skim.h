// A quick look at a detection-rules TOML file, to pass over rules in other languages and
// read EQL rules without building toml++'s tree of the whole file (half the corpus's
// bytes, most of the loading time: docs/performance.md, "Loading the rules").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "eql/rules.h"

namespace eql::rules_internal {

/// A value the skim passed over: its kind and its token's bytes in the file, from the
/// opening quote, bracket or first character to just past its end.
struct SkimValue {
  enum class Kind : std::uint8_t { String, Integer, Boolean, Array, Table };  // Table: inline
  Kind kind = Kind::String;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::vector<SkimValue> elements;  ///< an array's, in order
};

/// What the skim read from `[rule]`; a key absent or not a one-line string is empty.
struct SkimmedRule {
  std::string language;
  std::string type;
  std::string rule_id;
  std::string name;
  bool has_id = false;          ///< `[rule]` has an `id` key (behavior rules)
  bool has_rule_id = false;     ///< `[rule]` has a `rule_id` key
  std::uint32_t rule_line = 0;  ///< 1-based line and column of the `[rule]` header
  std::uint32_t rule_column = 0;
  /// The contents (between the quotes) of `[rule]`'s multi-line `note` and `setup`: more
  /// than half an EQL rule file's bytes, never read by the loader.
  std::vector<std::pair<std::size_t, std::size_t>> unread_strings;
  std::uint32_t rule_offset = 0;  ///< the byte offset of the `[rule]` header

  // The whole file as the skim resolved it, for the loader to read an EQL rule without
  // toml++ (src/rules/toml_skim_rules.cpp). Paths are ".a.b", an element of an array of
  // tables ".a#0": every key holding a value, tables defined by a header or implied by one,
  // and arrays of tables with their length.
  std::unordered_map<std::string, SkimValue> values;
  std::unordered_set<std::string> explicit_tables, implicit_tables;
  std::unordered_map<std::string, std::size_t> table_arrays;
};

/// The `[rule]` table of `text` when the file is certainly valid TOML, written in the plain
/// subset the skim knows (no CR, no dotted or quoted keys, no multi-line inline tables, floats or
/// dates, no \u escapes); nothing otherwise, and the caller parses the file with toml++.
/// The skim only ever vouches for a file toml++ accepts: any doubt is a refusal.
std::optional<SkimmedRule> skim_toml_rule(std::string_view text);

/// `text` with each of `skimmed.unread_strings` emptied but for its line feeds: every other
/// key and value keeps its line and column, and toml++ parses it in far less time.
std::string without_unread_strings(std::string_view text, const SkimmedRule& skimmed);

/// Reads the EQL rule of a detection-rules file the skim vouched for into `file`, the same
/// values and positions the loader reads from toml++'s tree. False, `file` untouched, when
/// the rule is not plain: a value of another type than the loader expects (whose diagnostic
/// the toml++ path words), or a behavior rule.
bool read_skimmed_eql_rule(RuleFile& file, const SkimmedRule& skimmed);

}  // namespace eql::rules_internal
