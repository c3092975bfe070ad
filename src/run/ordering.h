// Internal to the runner: the time order of rules. Each distinct timestamp_override and
// tiebreaker_field is an ordering (index 0: the reader's, @timestamp), through which event
// rules see their alert's event and sequence rules are fed their events: held and replayed
// sorted at finish() (exact order), or through one reorder window per ordering (stream
// order, and exact order over re-readable input, RunnerOptions::optimistic, with a second
// pass when that input is found out of order).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eql/ast.h"
#include "eql/runner.h"
#include "eql/sequence.h"
#include "run/reorder_window.h"

namespace eql::detail {

class Ordering {
 public:
  /// Where the sequences' matches go, rule by rule (the runner makes them alerts).
  using Emit = std::function<void(std::size_t rule, JoinResult&& match)>;
  /// `stats` (the runner's) numbers the current event (`events`) and counts late and
  /// untimed events; `context` is the evaluator's. Both must outlive the ordering.
  Ordering(const RunnerOptions& options, RunnerStats& stats, EvalContext& context, Emit emit);
  ~Ordering();
  Ordering(const Ordering&) = delete;
  Ordering& operator=(const Ordering&) = delete;

  /// Files the next rule (rules are added in order) under the ordering its fields name.
  /// A sequence rule also brings its query and its compiled term filters (kept: a second
  /// pass makes the matcher afresh from them) and its matcher, made with `sequence_options`.
  void add_rule(const Rule& rule);
  void add_sequence(const Rule& rule, std::unique_ptr<const ast::Query> query,
                    std::unique_ptr<SequenceMatcher> matcher, const SequenceOptions& sequence_options,
                    std::vector<FilterProgram> term_filters);

  /// The event as rule `rule` orders it: shared when it uses the reader's ordering, else a
  /// copy with its own timestamp and tiebreaker, made once per event and ordering.
  EventRef view(std::size_t rule, const EventRef& event);

  /// Whether sequence rules are fed at all (not after the input was found out of order,
  /// until the second pass), and whether this is the second pass (for them only).
  bool feeds_sequences() const { return phase_ != Phase::Abandoned; }
  bool second_pass() const { return phase_ == Phase::SecondPass; }

  /// A sequence rule can use the current event: `first_stage` when its first stage
  /// matched; `term_matches` its terms' verdicts (or kTermsUndecided).
  void feed(std::size_t rule, const EventRef& event, bool first_stage, std::uint64_t term_matches);
  /// After the current event was evaluated: it enters the windows, what is old leaves.
  void advance() {
    if (windowed()) advance_windows();
  }
  /// RuleRunner::release_overdue.
  void release_overdue();

  /// End of input, before the rules finish in rule order: the windows drain and the held
  /// events are replayed sorted; what completes waits for finish_rule().
  void replay();
  /// Sequence rule `rule` at the end: its matches in completion order, then what its
  /// matcher completes at the end.
  void finish_rule(std::size_t rule);
  /// After every rule's finish_rule().
  void finished() { deferred_ = {}; }

  const std::optional<OutOfOrder>& out_of_order() const { return out_of_order_; }
  /// RuleRunner::begin_second_pass: false when there is none to begin.
  bool begin_second_pass();
  const SequenceStats* sequence_stats(std::size_t rule) const;
  /// RuleRunner::set_sequence_observer.
  void set_observer(std::size_t rule, SequenceObserver* observer);

 private:
  struct Sequence;
  struct Timeline;
  // Held: sequences' events are held and replayed sorted at finish(). Optimistic: they go
  // through the reorder windows, the results wait in deferred_. Abandoned: the input was
  // found out of order, sequences are fed nothing more. SecondPass: the input again, for
  // the sequence rules only, held.
  enum class Phase { Held, Optimistic, Abandoned, SecondPass };

  bool windowed() const { return options_.order == RunnerOptions::Order::Stream || phase_ == Phase::Optimistic; }
  bool holds() const {
    return options_.order == RunnerOptions::Order::Exact && (phase_ == Phase::Held || phase_ == Phase::SecondPass);
  }
  std::size_t timeline_of(const Rule& rule);
  bool arm(Sequence& sequence, std::uint32_t flagged);
  void advance_windows();
  void release(Timeline& timeline);
  void give_up_sequences(std::optional<OutOfOrder> why);
  void drain(std::size_t rule);
  void replay_held(std::size_t timeline);

  RunnerOptions options_;
  RunnerStats& stats_;
  EvalContext& context_;
  Emit emit_;
  std::vector<std::size_t> timeline_of_rule_;         // per rule: into timelines_
  std::vector<std::unique_ptr<Sequence>> sequences_;  // per rule: null for other rules
  std::vector<Timeline> timelines_;
  Phase phase_ = Phase::Held;
  std::optional<OutOfOrder> out_of_order_;
  std::uint64_t first_pass_events_ = 0;
  // Per rule, the sequence results to emit at finish(), in completion order.
  std::vector<std::vector<JoinResult>> deferred_;
};

}  // namespace eql::detail
