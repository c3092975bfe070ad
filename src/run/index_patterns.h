// Internal to the runner: which rules see an event, by the index it came from. Rules share
// a few pattern sets (most name the same `logs-endpoint.events.*`), so a verdict is decided
// per event and pattern set, and remembered per index name: events of one source carry a
// few names, and a verdict depends on the name and the set only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace eql::detail {

class IndexPatterns {
 public:
  explicit IndexPatterns(bool ignore_index) : ignore_(ignore_index) {}

  /// Files the next rule (rules are added in order) under the set of its `index` patterns
  /// (`-name` excludes).
  void add_rule(const std::vector<std::string>& patterns);

  /// Before the rules see an event: the index it came from (empty: unknown).
  void select(std::string_view index);

  /// Whether rule `rule` sees the current event, from index `index` (the one selected).
  bool sees(std::uint32_t rule, std::string_view index) {
    if (ignore_ || index.empty()) return true;
    const std::uint32_t set = rule_sets_[rule];
    std::int8_t& verdict = (*verdicts_)[set];
    if (verdict < 0) verdict = decide(sets_[set], index) ? 1 : 0;
    return verdict == 1;
  }

  /// The patterns a rule was filed under, as text (`include, ... -exclude`), for printers.
  std::string describe(std::uint32_t rule) const;

 private:
  struct PatternSet {
    std::vector<std::string> include, exclude;
  };
  static bool decide(const PatternSet& set, std::string_view index);

  bool ignore_;
  std::vector<PatternSet> sets_;
  std::map<std::string, std::uint32_t> set_ids_;
  std::vector<std::uint32_t> rule_sets_;    // per rule: its set
  std::vector<std::int8_t> fresh_verdicts_;  // per event: -1 not decided yet, 0, 1
  // Past kMaxRememberedIndexes names, verdicts are decided per event in fresh_verdicts_.
  static constexpr std::size_t kMaxRememberedIndexes = 1024;
  struct NameHash {  // looks names up as views, without making a string per event
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  std::unordered_map<std::string, std::vector<std::int8_t>, NameHash, std::equal_to<>> by_index_;
  std::vector<std::int8_t>* verdicts_ = &fresh_verdicts_;  // the current event's
};

}  // namespace eql::detail
