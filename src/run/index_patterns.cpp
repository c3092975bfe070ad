// Index patterns (src/run/index_patterns.h) and the public index_matches/event_index.
#include "run/index_patterns.h"

#include <algorithm>
#include <optional>

#include "common/glob.h"
#include "eql/runner.h"

namespace eql {

namespace {

// `.ds-logs-endpoint.events.process-default-2024.01.31-000001` -> the data stream name.
std::optional<std::string_view> data_stream_of_backing_index(std::string_view index) {
  if (index.substr(0, 4) != ".ds-") return std::nullopt;
  std::string_view rest = index.substr(4);
  auto generation = rest.rfind('-');
  if (generation == std::string_view::npos) return std::nullopt;
  auto date = rest.rfind('-', generation - 1);
  if (date == std::string_view::npos || generation == 0) return std::nullopt;
  return rest.substr(0, date);
}

}  // namespace

bool index_matches(std::string_view pattern, std::string_view index) {
  // A cross-cluster pattern (`remote:logs-*`) is matched by its index part.
  if (auto colon = pattern.find(':'); colon != std::string_view::npos) pattern = pattern.substr(colon + 1);
  if (glob_matches(pattern, index)) return true;
  if (auto stream = data_stream_of_backing_index(index)) return glob_matches(pattern, *stream);
  return false;
}

std::string event_index(const Event& event) {
  Value index = event.first("_index");
  if (index.kind == ValueKind::String && !index.string.empty()) return std::string(index.string);
  Value type = event.first("data_stream.type");
  Value dataset = event.first("data_stream.dataset");
  Value space = event.first("data_stream.namespace");
  if (type.kind == ValueKind::String && dataset.kind == ValueKind::String && space.kind == ValueKind::String) {
    return std::string(type.string) + "-" + std::string(dataset.string) + "-" + std::string(space.string);
  }
  return {};
}

namespace detail {

void IndexPatterns::add_rule(const std::vector<std::string>& patterns) {
  PatternSet set;
  for (const std::string& pattern : patterns) {
    if (!pattern.empty() && pattern.front() == '-') set.exclude.push_back(pattern.substr(1));
    else set.include.push_back(pattern);
  }
  std::string key;
  for (const auto* list : {&set.include, &set.exclude}) {
    for (const std::string& pattern : *list) key += pattern + '\n';
    key += '\0';
  }
  auto [found, added] = set_ids_.try_emplace(key, static_cast<std::uint32_t>(sets_.size()));
  if (added) sets_.push_back(std::move(set));
  rule_sets_.push_back(found->second);
  fresh_verdicts_.assign(sets_.size(), -1);
}

void IndexPatterns::select(std::string_view index) {
  if (index.empty()) return;
  auto found = by_index_.find(index);
  if (found == by_index_.end() && by_index_.size() < kMaxRememberedIndexes) {
    found = by_index_.emplace(std::string(index), std::vector<std::int8_t>()).first;
  }
  if (found == by_index_.end()) {
    std::fill(fresh_verdicts_.begin(), fresh_verdicts_.end(), -1);
    verdicts_ = &fresh_verdicts_;
    return;
  }
  // Rules added since the name was last seen bring pattern sets not decided for it yet.
  found->second.resize(sets_.size(), -1);
  verdicts_ = &found->second;
}

bool IndexPatterns::decide(const PatternSet& set, std::string_view index) {
  if (set.include.empty()) return true;
  for (const auto& pattern : set.exclude) {
    if (index_matches(pattern, index)) return false;
  }
  for (const auto& pattern : set.include) {
    if (index_matches(pattern, index)) return true;
  }
  return false;
}

std::string IndexPatterns::describe(std::uint32_t rule) const {
  const PatternSet& set = sets_[rule_sets_[rule]];
  if (set.include.empty()) return "any";
  std::string text;
  for (const auto& pattern : set.include) text += (text.empty() ? "" : ", ") + pattern;
  for (const auto& pattern : set.exclude) text += ", -" + pattern;
  return text;
}

}  // namespace detail

}  // namespace eql
