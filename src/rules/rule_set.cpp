// RuleSet (rules/rule_set.h): the rule lookup of `eql test` and `eql explain`, and the
// exception items by list that `eql run` applies too.
#include "rules/rule_set.h"

#include "eql/runner.h"

namespace eql {

void ExceptionItems::add(const RuleFile& file, bool skip_known) {
  for (const ExceptionListItem& item : file.exception_items) {
    const bool is_new = known_.emplace(item.list_id, item.item_id).second;
    if (skip_known && !is_new) continue;
    by_list_[item.list_id].push_back(&item);
  }
}

std::vector<ExceptionListItem> ExceptionItems::of(const Rule& rule, ExceptionCounts* counts) const {
  std::vector<ExceptionListItem> items;
  for (const ExceptionListReference& reference : rule.exceptions_list) {
    auto found = by_list_.find(reference.list_id);
    if (found == by_list_.end()) {
      if (counts) ++counts->lists_missing;
      continue;
    }
    for (const ExceptionListItem* item : found->second) {
      if (exception_item_supported(*item)) {
        items.push_back(*item);
        if (counts) ++counts->applied;
      } else if (counts) {
        ++counts->unsupported;
      }
    }
  }
  return items;
}

RuleSet::RuleSet(LoadedRules loaded) : loaded_(std::move(loaded)) {
  for (const RuleFile& file : loaded_.files) add_file(file);
}

void RuleSet::add_file(const RuleFile& file) {
  items_.add(file);
  for (const Rule& rule : file.rules) {
    if (!rule.rule_id.empty()) by_id_.emplace(rule.rule_id, RuleRef{&rule, &file});
  }
  for (const SkippedEntry& entry : file.skipped) {
    if (!entry.rule_id.empty()) other_languages_.emplace(entry.rule_id, entry.what);
  }
}

const LoadedRules* RuleSet::file(const std::string& path, std::string& error) {
  auto found = files_.find(path);
  if (found == files_.end()) {
    auto loaded = std::make_unique<LoadedRules>(load_rule_paths({path}));
    // A file also given with --rules brings its items once.
    for (const RuleFile& rule_file : loaded->files) items_.add(rule_file, true);
    found = files_.emplace(path, std::move(loaded)).first;
  }
  if (!found->second->io_errors.empty()) {
    error = found->second->io_errors.front();
    return nullptr;
  }
  return found->second.get();
}

RuleLookup RuleSet::find(const std::string& path, const std::string& rule_id) {
  RuleLookup lookup;
  if (path.empty()) {
    auto found = by_id_.find(rule_id);
    if (found != by_id_.end()) {
      lookup.found = found->second;
    } else if (auto language = other_languages_.find(rule_id); language != other_languages_.end()) {
      lookup.problem = RuleLookup::Problem::OtherLanguage;
      lookup.detail = language->second;
    } else {
      lookup.problem = RuleLookup::Problem::NoSuchId;
    }
    return lookup;
  }
  lookup.file = file(path, lookup.detail);
  if (!lookup.file) {
    lookup.problem = RuleLookup::Problem::Unreadable;
    return lookup;
  }
  std::vector<RuleRef> candidates;
  for (const RuleFile& rule_file : lookup.file->files) {
    for (const Rule& rule : rule_file.rules) {
      if (rule_id.empty() || rule.rule_id == rule_id) candidates.push_back({&rule, &rule_file});
    }
  }
  if (candidates.empty() && !rule_id.empty()) {
    for (const RuleFile& rule_file : lookup.file->files) {
      for (const SkippedEntry& entry : rule_file.skipped) {
        if (entry.rule_id == rule_id) {
          lookup.problem = RuleLookup::Problem::OtherLanguage;
          lookup.detail = entry.what;
          return lookup;
        }
      }
    }
  }
  lookup.candidates = candidates.size();
  if (candidates.empty()) lookup.problem = RuleLookup::Problem::NoEqlRule;
  else if (candidates.size() > 1) lookup.problem = RuleLookup::Problem::Ambiguous;
  else lookup.found = candidates.front();
  return lookup;
}

}  // namespace eql
