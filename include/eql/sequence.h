// Sequences and samples: streaming state machines over events in time order, with
// Elasticsearch's semantics (docs/sequences.md). Each stage's filter is an eval
// FilterProgram; join keys are typed values read from the event.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eql/ast.h"
#include "eql/diagnostic.h"
#include "eql/eval.h"
#include "eql/event.h"
#include "eql/value.h"

namespace eql {

// ---- join keys ---------------------------------------------------------------------------

/// One join key value, read as its field's type: dates compare as instants, IPs as
/// addresses, versions by version precedence, keywords as text, numbers as numbers.
/// Null is a value only for optional (`?field`) keys.
struct JoinValue {
  enum class Kind : std::uint8_t { Null, Bool, Number, Text, Date, Ip, Version };
  Kind kind = Kind::Null;
  bool boolean = false;
  bool is_integer = false;
  std::int64_t integer = 0;  ///< Number (integers) and Date (epoch nanoseconds)
  double number = 0;         ///< Number (non-integers)
  std::string text;          ///< Text, Version, and the display form of Ip
  IpAddress ip;
  bool nanos = false;        ///< Date: shown with nanosecond precision
  bool epoch_millis = false; ///< Date: shown as epoch milliseconds (how samples report keys)

  /// As Elasticsearch prints join keys: `1234`, `tag1`, `1970-01-01T00:00:00.000Z`, `null`.
  std::string display() const;
};

/// Total order: null first, then by kind, then by the kind's own order.
int compare(const JoinValue& a, const JoinValue& b);

using CompositeKey = std::vector<JoinValue>;
int compare(const CompositeKey& a, const CompositeKey& b);

struct CompositeKeyLess {
  bool operator()(const CompositeKey& a, const CompositeKey& b) const { return compare(a, b) < 0; }
};

// ---- event order ---------------------------------------------------------------------------

/// The order a SequenceMatcher needs its events in: timestamp, then tiebreaker (numbers as
/// numbers, strings as text), then input order. Both events must have a timestamp.
bool sequence_order_before(const Event& a, const Event& b);

// ---- results -------------------------------------------------------------------------------

using EventRef = std::shared_ptr<const Event>;

/// One matched sequence or sample: its events in stage order (nullptr stands for a missing
/// event `![...]`) and its join key values.
struct JoinResult {
  std::vector<EventRef> events;
  CompositeKey keys;
};

struct SequenceOptions {
  FilterOptions filter;
  /// Most partial sequences kept at once; beyond it the oldest is evicted (and counted).
  std::size_t max_pending = 1'000'000;
  /// Most composite keys one event may produce (multi-valued keys form a cartesian product).
  std::size_t max_keys_per_event = 10'000;
};

struct SequenceStats {
  std::uint64_t events_seen = 0;
  std::uint64_t events_without_timestamp = 0;  ///< ignored: a sequence orders by time
  std::uint64_t pending = 0;                   ///< partial sequences held now
  std::uint64_t peak_pending = 0;
  std::uint64_t keys = 0;                      ///< composite keys with state now
  std::uint64_t expired = 0;                   ///< partials dropped by maxspan
  std::uint64_t evicted = 0;                   ///< partials dropped by max_pending
  std::uint64_t key_overflow = 0;              ///< events whose keys exceeded max_keys_per_event
  std::uint64_t completed = 0;
};

class SequenceMatcher;
class SampleMatcher;

/// What a SequenceMatcher gives up, told as it happens (`eql explain`); every call is off
/// the matcher's common path. `term` is the 0-based index in the query's terms of the stage
/// a partial sequence waited for; `partial` its events so far (Event::ordinal says which).
class SequenceObserver {
 public:
  virtual ~SequenceObserver() = default;
  /// maxspan ran out for a partial sequence: `event` is the event whose time showed it,
  /// `over_nanos` how far past the partial's first event plus maxspan that time is.
  virtual void expired(const std::vector<EventRef>& partial, std::size_t term, const CompositeKey& key,
                       const Event& event, std::int64_t over_nanos) = 0;
  /// An `until` event ended a partial sequence of its key.
  virtual void ended(const std::vector<EventRef>& partial, std::size_t term, const CompositeKey& key,
                     const Event& until_event) = 0;
  /// `event` matched stage `term` (not the first), but no partial sequence of its key
  /// waited for that stage.
  virtual void unmatched(std::size_t term, const CompositeKey& key, const Event& event) = 0;
  /// A candidate (its normal events in `candidate`) was dropped because an event of its key
  /// matched the missing-event stage `missing_term` (`![...]`) where the candidate needs
  /// none: between two of its events, or within maxspan before or after them.
  /// `missing_ordinal` is that event's Event::ordinal.
  virtual void missing_found(const std::vector<EventRef>& /*candidate*/, std::size_t /*missing_term*/,
                             const CompositeKey& /*key*/, std::uint64_t /*missing_ordinal*/) {}
  /// The runner's reorder window (stream order) dropped `event` before this sequence saw
  /// it: it came `behind_nanos` before the newest event of its ordering, after the window
  /// had already released a later event (told by RuleRunner, not by the matcher).
  virtual void late(const Event& /*event*/, std::int64_t /*behind_nanos*/) {}
};

struct SequenceCompileResult {
  std::unique_ptr<SequenceMatcher> matcher;
  Diagnostics diagnostics;
};

/// Runs one sequence query over events pushed in (timestamp, tiebreaker, input) order.
/// Cost per event is proportional to the stages it matches and their keys, never to the
/// number of pending sequences; state expires with event time (maxspan) and is capped.
class SequenceMatcher {
 public:
  static SequenceCompileResult compile(const ast::Sequence& sequence, const SequenceOptions& options);
  /// The same with the filters of the terms, then of `until`, compiled already by the
  /// caller from `sequence` with options.filter (the rule runner evaluates them itself):
  /// they are shared, not compiled again.
  static SequenceCompileResult compile(const ast::Sequence& sequence, const SequenceOptions& options,
                                       const std::vector<FilterProgram>& term_filters);
  ~SequenceMatcher();

  /// Feeds the next event. Events must come in non-decreasing timestamp order.
  void push(const EventRef& event, EvalContext& context);
  /// The same, with the verdicts of the query's term filters already decided by the
  /// caller (compiled with the same FilterOptions): bit t for `terms[t]`, bit
  /// `terms.size()` for `until`. The matcher evaluates none of them; a caller that holds
  /// events before pushing them (a reorder window) so evaluates each filter once, while
  /// the evaluator's per-event caches still hold the event. Needs at most 64 terms.
  void push(const EventRef& event, EvalContext& context, std::uint64_t term_matches);
  /// End of input: sequences waiting for a trailing missing-event window are decided.
  void finish();
  /// Results decided since the last call, ordered by completion (last event), then first
  /// event (both in the order events were pushed in), then key. After finish() the whole
  /// remainder.
  std::vector<JoinResult> take_results();

  const SequenceStats& stats() const;
  std::size_t stage_count() const;
  /// The fields the matcher reads: its stages' (and `until`'s) and their join keys'
  /// (resolved paths, sorted, unique).
  std::vector<std::string> fields() const;
  /// Tells `observer` (nullptr: none; it must outlive its use) what the matcher gives up.
  void set_observer(SequenceObserver* observer);

 private:
  struct Impl;
  explicit SequenceMatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct SampleOptions {
  FilterOptions filter;
  std::size_t max_samples_per_key = 1;
  std::size_t max_keys_per_event = 10'000;
};

struct SampleCompileResult {
  std::unique_ptr<SampleMatcher> matcher;
  Diagnostics diagnostics;
};

/// Runs one sample query: events sharing a composite key, one per filter in filter order;
/// event time plays no part. Results come at finish(), ordered by key (null first).
class SampleMatcher {
 public:
  static SampleCompileResult compile(const ast::Sample& sample, const SampleOptions& options);
  ~SampleMatcher();

  void push(const EventRef& event, EvalContext& context);
  std::vector<JoinResult> finish();
  /// The fields the matcher reads: its filters' and their join keys' (resolved, sorted).
  std::vector<std::string> fields() const;

 private:
  struct Impl;
  explicit SampleMatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eql
