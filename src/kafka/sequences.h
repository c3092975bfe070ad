// Sequence and sample rules in `eql run --kafka` (docs/kafka.md#sequences-and-samples): the
// events they can use are re-keyed to a repartition topic by the partition field's values
// (the `--threads` plan: run/parallel_run.h), and the owner of a repartition partition runs
// the state machines of its keys in a runner of its own. Exactly-once: a partition given to
// a worker is replayed from its start, duplicates of an input event are skipped, and the
// alerts already in the alerts topic are not written again. No librdkafka here: the service
// (service.cpp) moves the messages. Internal to src/kafka/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "run/parallel_run.h"
#include "eql/runner.h"

namespace eql::kafka {

class SequenceStage {
 public:
  /// Where an alert of a repartition partition goes: the partition, and the repartition
  /// offset of the event being pushed when it was decided.
  using Emit = std::function<void(Alert&&, std::int32_t partition, std::int64_t offset)>;

  /// `rules` is the worker's runner (its rules are copied into one runner per partition,
  /// with `options`); `partitions` the repartition topic's partition count.
  SequenceStage(const RuleRunner& rules, const std::string& partition_by, std::int32_t partitions,
                const RunnerOptions& options, Emit emit);

  /// The sequence and sample rules (the others are run where their event lands).
  std::size_t rule_count() const { return stateful_; }
  /// Those that join on the partition field and so scale out with the partitions; the others
  /// are each run in one partition (a rule without that join key does not scale out).
  std::size_t partitioned_count() const { return partitioned_; }

  /// The repartition partitions `event` must go to (none when no sequence or sample rule
  /// can use it). `runner` decides which rules can (RuleRunner::stateful_rules_using).
  void route(RuleRunner& runner, const Event& event, std::vector<std::int32_t>& out);

  /// A partition given to this worker: its state is rebuilt from its start; `written` are
  /// the ids of the alerts of this partition already in the alerts topic.
  void assign(std::int32_t partition, std::set<std::string> written);
  /// A partition taken away: its state is dropped (the next owner rebuilds it).
  void revoke(std::int32_t partition);
  bool owns(std::int32_t partition) const { return partitions_.count(partition) != 0; }
  /// The partitions this worker holds now.
  std::vector<std::int32_t> owned() const {
    std::vector<std::int32_t> out;
    for (const auto& entry : partitions_) out.push_back(entry.first);
    return out;
  }
  /// The next message of a repartition partition: an event from input partition
  /// `source_partition` at `source_offset`. An input event forwarded twice (re-read after a
  /// handover of the input partition) is pushed once.
  void push(std::int32_t partition, std::int64_t offset, std::int32_t source_partition,
            std::int64_t source_offset, Event&& event);
  /// --max-delay: the reorder windows let go of what waited that long (wall clock).
  void release_overdue();
  /// The worker stops for good: every partition's windows drain and its samples decide.
  void finish();

  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t suppressed() const { return suppressed_; }
  std::uint64_t alerts() const { return alerts_; }

 private:
  struct Partition {
    std::unique_ptr<RuleRunner> runner;
    std::set<std::string> written;                     // alert ids already in the alerts topic
    std::map<std::int32_t, std::int64_t> source_high;  // per input partition: the last offset pushed
    std::int64_t offset = -1;                          // of the message being pushed
  };
  void on_alert(std::int32_t partition, Alert&& alert);

  const RuleRunner& rules_;
  RuleSpreadPlan plan_;
  PartitionRouter router_;
  std::int32_t count_ = 1;
  RunnerOptions options_;
  Emit emit_;
  std::size_t stateful_ = 0, partitioned_ = 0;
  std::vector<std::int32_t> designated_to_;  // per rule: the partition of a rule run in one
  std::vector<std::size_t> stateful_rules_;  // the rules of a partition's runner, by their index in rules_
  std::vector<std::vector<bool>> masks_;     // per partition: which of them its runner evaluates
  std::map<std::int32_t, Partition> partitions_;
  std::vector<std::size_t> using_;  // scratch
  std::vector<std::size_t> owners_;  // scratch
  std::uint64_t duplicates_ = 0, suppressed_ = 0, alerts_ = 0;
};

}  // namespace eql::kafka
