// `eql run --threads N`: the event stream partitioned by a field (host.id by default) over N
// workers, each with its own RuleRunner, so each worker owns the sequence state of its
// partition. The output is the same set of alerts as one RuleRunner gives (docs/run.md says
// what differs, and in which order alerts come).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eql/eval.h"
#include "eql/runner.h"

namespace eql {

/// Which workers evaluate a rule.
enum class RuleSpread : std::uint8_t {
  Owner,        ///< event rules (stateless): the worker that owns the event
  Partitioned,  ///< sequences and samples that join on the partition field in every stage:
                ///< every worker owning one of the event's partition values
  Designated,   ///< other sequences and samples: one worker each (in turn), which sees
                ///< every event for them
};

struct RuleSpreadPlan {
  std::vector<RuleSpread> spread;         ///< per rule of the runner
  std::vector<std::size_t> key_position;  ///< Partitioned: where the field is in the join key
};

/// The spread of every rule of `runner`: a sequence or sample is Partitioned when one join
/// key position holds `field` (the field itself, or an alias of the same path) in every
/// stage, `until` included, and the field is a keyword, text or number field (dates, IPs
/// and versions join on values whose text may differ, so they are not partitioned on).
RuleSpreadPlan plan_rule_spread(const RuleRunner& runner, const std::string& field, const FieldTypes& types);

/// Where an event goes when the events are partitioned by a field's values (`--threads`,
/// and the repartition topic of `eql run --kafka`): the same partition on every run and
/// every machine, and equal join keys in the same partition.
class PartitionRouter {
 public:
  PartitionRouter(const std::string& field, const FieldTypes& types);
  /// The partitions (of `count`) owning the event's values of the field, sorted and
  /// distinct; partition 0 for an event without one.
  void owners(const Event& event, std::size_t count, std::vector<std::size_t>& out) const;
  /// The partition owning a join key value of the field (null: 0, with the events that
  /// have no value).
  std::size_t owner(const JoinValue& key, std::size_t count) const;

 private:
  std::string path_;  // where the field's values are read
  bool keyword_ = false;
  std::optional<std::string> null_value_;
};

/// Counters summed over the workers (each event counted once).
struct ParallelTotals {
  std::uint64_t events = 0;
  std::uint64_t evaluations = 0;
  std::uint64_t late_events = 0;
  std::uint64_t untimed_events = 0;
  std::uint64_t evicted = 0;       // partial sequences dropped by --max-pending
  std::uint64_t key_overflow = 0;  // events dropped for too many join keys
  std::uint64_t processes_evicted = 0;  // by --max-processes (lineage)
  std::uint64_t lineage_walks_cut = 0;  // lineage questions that stopped at the walk bound
  std::vector<std::uint64_t> alerts_per_rule;

  /// Adds one runner's counters (not its alerts, which the caller counts as it writes them).
  void add(const RuleRunner& runner);
};

class ParallelRun {
 public:
  /// Turns an alert into its output text; called on the worker threads (must be pure).
  using Format = std::function<std::string(const Alert&, const Rule&)>;
  /// Writes output text; called on the thread that calls push() and finish().
  using Write = std::function<void(const std::string&)>;

  /// `runners` hold the same rules in the same order (one per worker, at least two).
  ParallelRun(std::vector<std::unique_ptr<RuleRunner>> runners, RuleSpreadPlan plan, std::string field,
              const FieldTypes& types, Format format, Write write);
  ~ParallelRun();
  ParallelRun(const ParallelRun&) = delete;
  ParallelRun& operator=(const ParallelRun&) = delete;

  /// The next event in input order (see RuleRunner::push).
  void push(Event&& event, std::string_view index);
  /// End of input: every worker finishes, the remaining alerts are written.
  void finish();

  /// Optimistic exact order (RunnerOptions::optimistic), at the end of the input: waits for
  /// the workers and says whether one found its share out of order (`event` is then the
  /// input position of the first such event the workers met). Then the caller either calls
  /// finish(), or begin_second_pass(), pushes the same events again and calls finish().
  std::optional<OutOfOrder> end_first_pass();
  /// Every worker's runner gives up its sequences and holds (RuleRunner::begin_second_pass).
  void begin_second_pass();

  std::uint64_t alerts_written() const;
  /// After finish().
  ParallelTotals totals() const;
  const Rule& rule(std::size_t index) const;
  std::size_t rule_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eql
