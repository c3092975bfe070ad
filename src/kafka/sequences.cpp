#include "kafka/sequences.h"

#include <algorithm>

namespace eql::kafka {

namespace {

const FieldTypes& types_of(const RuleRunner& rules) {
  static const JsonFieldTypes json;
  return rules.options().field_types ? *rules.options().field_types : json;
}

}  // namespace

SequenceStage::SequenceStage(const RuleRunner& rules, const std::string& partition_by, std::int32_t partitions,
                             const RunnerOptions& options, Emit emit)
    : rules_(rules),
      plan_(plan_rule_spread(rules, partition_by, types_of(rules))),
      router_(partition_by, types_of(rules)),
      count_(std::max<std::int32_t>(partitions, 1)),
      options_(options),
      emit_(std::move(emit)) {
  const std::size_t rule_count = plan_.spread.size();
  designated_to_.assign(rule_count, -1);
  for (std::size_t r = 0; r < rule_count; ++r) {
    if (plan_.spread[r] != RuleSpread::Owner) stateful_rules_.push_back(r);
  }
  stateful_ = stateful_rules_.size();
  masks_.assign(static_cast<std::size_t>(count_), std::vector<bool>(stateful_, false));
  // A rule that does not join on the partition field sees every event it can use in one
  // partition: the rules are dealt out in turn, the same way on every worker.
  std::int32_t turn = 0;
  for (std::size_t local = 0; local < stateful_; ++local) {
    const std::size_t r = stateful_rules_[local];
    if (plan_.spread[r] == RuleSpread::Partitioned) {
      ++partitioned_;
      for (auto& mask : masks_) mask[local] = true;
    } else {
      designated_to_[r] = turn++ % count_;
      masks_[static_cast<std::size_t>(designated_to_[r])][local] = true;
    }
  }
}

void SequenceStage::route(RuleRunner& runner, const Event& event, std::vector<std::int32_t>& out) {
  out.clear();
  if (stateful_ == 0) return;
  runner.stateful_rules_using(event, "", using_);
  bool owners_known = false;
  for (std::size_t rule : using_) {
    if (plan_.spread[rule] == RuleSpread::Designated) {
      out.push_back(designated_to_[rule]);
    } else if (!owners_known) {
      router_.owners(event, static_cast<std::size_t>(count_), owners_);
      for (std::size_t owner : owners_) out.push_back(static_cast<std::int32_t>(owner));
      owners_known = true;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

void SequenceStage::assign(std::int32_t partition, std::set<std::string> written) {
  Partition& state = partitions_[partition];
  state = Partition{};
  state.written = std::move(written);
  // Only the sequence and sample rules: a partition given to a worker is ready sooner.
  state.runner = rules_.same_rules(options_, stateful_rules_);
  state.runner->set_alert_sink([this, partition](Alert&& alert) { on_alert(partition, std::move(alert)); });
}

void SequenceStage::revoke(std::int32_t partition) { partitions_.erase(partition); }

void SequenceStage::on_alert(std::int32_t partition, Alert&& alert) {
  alert.rule = stateful_rules_[alert.rule];  // the partition's runner numbers only these
  // A key of the partition field is decided by its owner: events with several values of
  // the field went to each of their owners, which all see the match.
  if (plan_.spread[alert.rule] == RuleSpread::Partitioned &&
      static_cast<std::int32_t>(router_.owner(alert.join_keys[plan_.key_position[alert.rule]],
                                              static_cast<std::size_t>(count_))) != partition) {
    return;
  }
  Partition& state = partitions_.at(partition);
  // Made again by the replay after a handover, and already in the alerts topic: not twice.
  if (state.written.erase(alert.id) != 0) {
    ++suppressed_;
    return;
  }
  ++alerts_;
  emit_(std::move(alert), partition, state.offset);
}

void SequenceStage::push(std::int32_t partition, std::int64_t offset, std::int32_t source_partition,
                         std::int64_t source_offset, Event&& event) {
  auto found = partitions_.find(partition);
  if (found == partitions_.end()) return;
  Partition& state = found->second;
  // The input partition's events come in its order from each of its successive owners; one
  // that re-reads the input after a handover forwards again what its predecessor did.
  auto [high, fresh] = state.source_high.try_emplace(source_partition, -1);
  if (source_offset >= 0 && source_offset <= high->second) {
    ++duplicates_;
    return;
  }
  high->second = std::max(high->second, source_offset);
  state.offset = offset;
  state.runner->push(std::move(event), "", masks_[static_cast<std::size_t>(partition % count_)]);
}

void SequenceStage::release_overdue() {
  for (auto& [partition, state] : partitions_) state.runner->release_overdue();
}

void SequenceStage::finish() {
  for (auto& [partition, state] : partitions_) state.runner->finish();
}

}  // namespace eql::kafka
