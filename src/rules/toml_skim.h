// A quick look at a detection-rules TOML file, to pass over rules in other languages
// without building toml++'s tree of the whole file (half the corpus's bytes, most of the
// loading time: docs/performance.md, "Loading the rules").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eql::rules_internal {

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
};

/// The `[rule]` table of `text` when the file is certainly valid TOML, written in the plain
/// subset the skim knows (no CR, no dotted or quoted keys, no inline tables, floats or
/// dates, no \u escapes); nothing otherwise, and the caller parses the file with toml++.
/// The skim only ever vouches for a file toml++ accepts: any doubt is a refusal.
std::optional<SkimmedRule> skim_toml_rule(std::string_view text);

/// `text` with each of `skimmed.unread_strings` emptied but for its line feeds: every other
/// key and value keeps its line and column, and toml++ parses it in far less time.
std::string without_unread_strings(std::string_view text, const SkimmedRule& skimmed);

}  // namespace eql::rules_internal
