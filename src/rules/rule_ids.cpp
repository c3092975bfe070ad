// Rule ids across a rule set: detection-rules and Kibana identify a rule by its rule_id, so
// two rules with one id are one rule too many (alerts would share an identity).
#include <algorithm>
#include <map>

#include "eql/rules.h"

namespace eql {

std::vector<DuplicateRuleId> find_duplicate_rule_ids(const std::vector<RuleFile>& files) {
  std::map<std::string, std::vector<RulePlace>> by_id;
  std::vector<std::string> order;  // ids in the order first met, so output follows the files
  auto add = [&](const std::string& id, RulePlace place) {
    if (id.empty()) return;
    auto [at, inserted] = by_id.try_emplace(id);
    if (inserted) order.push_back(id);
    at->second.push_back(std::move(place));
  };
  for (const RuleFile& file : files) {
    // A file's EQL rules and its other-language rules, in file order.
    std::vector<std::pair<std::string, RulePlace>> places;
    for (const Rule& rule : file.rules) {
      std::uint32_t at = rule.rule_id_span.end > 0 ? rule.rule_id_span.begin : rule.file_offset;
      places.push_back({rule.rule_id, RulePlace{&file, &rule, rule.name, at}});
    }
    for (const SkippedEntry& entry : file.skipped) {
      if (entry.kind != SkippedEntry::Kind::RuleInOtherLanguage) continue;
      places.push_back({entry.rule_id, RulePlace{&file, nullptr, entry.name, entry.file_offset}});
    }
    std::stable_sort(places.begin(), places.end(), [](const auto& a, const auto& b) {
      return a.second.file_offset < b.second.file_offset;
    });
    for (auto& [id, place] : places) add(id, std::move(place));
  }
  std::vector<DuplicateRuleId> duplicates;
  for (const std::string& id : order) {
    std::vector<RulePlace>& places = by_id[id];
    if (places.size() > 1) duplicates.push_back(DuplicateRuleId{id, std::move(places)});
  }
  return duplicates;
}

}  // namespace eql
