// The rule runner behind `eql run`: many EQL rules evaluated together over one stream of
// events, each event parsed once. Event rules decide at once; sequence rules see the
// events in their own time order (a rule's timestamp_override and tiebreaker_field);
// sample rules decide at the end. Every match becomes an Alert with the rule's metadata.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eql/diagnostic.h"
#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/rules.h"
#include "eql/sequence.h"

namespace eql {

struct RunnerOptions {
  /// Sequence ordering. Exact: every event a sequence rule can use is held and sorted at
  /// finish() (any input order). Stream: events are released in time order through a
  /// reorder window of `max_lateness_ms`; later events are dropped and counted.
  enum class Order { Exact, Stream };
  Order order = Order::Exact;
  /// Exact order over input that the caller can push a second time (files): sequences run
  /// through the reorder windows, as in stream mode, and their alerts wait for finish(),
  /// which gives them in the order the held replay gives. When an event would be late (or
  /// the ordering could differ from the sorted one: see OutOfOrder) the runner gives up the
  /// sequences' state and stops feeding them; the caller then calls begin_second_pass(),
  /// pushes the same events again and calls finish(), which replays them sorted.
  bool optimistic = false;
  /// The reorder window (stream mode, and exact mode when optimistic).
  std::int64_t max_lateness_ms = 10'000;
  /// Stream mode on a live stream: the longest an event waits in a reorder window in
  /// wall-clock time, so that a quiet stream still completes its sequences; enforced by
  /// release_overdue(). 0: no bound (events wait for newer events only).
  std::int64_t max_delay_ms = 0;
  std::size_t max_pending = 1'000'000;
  /// Processes the lineage tree holds over all hosts (rules with `descendant of`, `child
  /// of`, `event of`; docs/lineage.md); past it the tree evicts and counts.
  std::size_t max_processes = 250'000;
  std::size_t max_samples_per_key = 1;
  /// Every rule sees every event, whatever its index patterns.
  bool ignore_index = false;
  /// Types of fields for comparisons (e.g. SchemaFieldTypes); nullptr: JSON types. Must
  /// outlive the runner.
  const FieldTypes* field_types = nullptr;
};

/// One match of one rule.
struct Alert {
  std::size_t rule = 0;         ///< index into RuleRunner's rules
  std::vector<EventRef> events; ///< one for event rules; stage order for sequences/samples
  CompositeKey join_keys;       ///< sequences and samples only
  bool join = false;            ///< a sequence or sample match
  /// 32 hex digits, a hash of the rule's identity (rule_identity) and the matched events'
  /// JSON text: the same input gives the same ids, and alerts of different rules differ.
  std::string id;
};

/// The deterministic id of an alert (see Alert::id) of the rule with this identity.
std::string alert_id(std::string_view rule_identity, const std::vector<EventRef>& events);

/// For a rule without a `rule_id` (every `.eql` file, a TOML rule that lacks one): 32 hex
/// digits hashing what makes the rule what it is, stable across machines and runs: the rule
/// file's name (its last path component, so the same rule set given by another path, or on
/// another machine, keeps it), the rule's name, its query text, its index patterns and the
/// fields that change how events are read (event_category_override, timestamp_override,
/// tiebreaker_field). Empty for a rule with a rule_id.
std::string derived_rule_identity(const Rule& rule);

/// What a rule's alert ids hash: its rule_id, else its derived_rule_identity.
std::string rule_identity(const Rule& rule);

/// Whether an index name matches an index pattern (`*` matches any run of characters). A
/// data stream backing index (`.ds-NAME-2024.01.01-000001`) also matches as NAME.
bool index_matches(std::string_view pattern, std::string_view index);

/// The index an event came from: `_index`, or `data_stream.type`-`data_stream.dataset`-
/// `data_stream.namespace` when all three are there; empty when unknown.
std::string event_index(const Event& event);

/// Whether eql run can apply an exception item: every entry is `match`, `match_any`,
/// `wildcard` or `exists`, `included` or `excluded`.
bool exception_item_supported(const ExceptionListItem& item);
/// Whether an event matches every entry of an exception item (values compared as text,
/// case-sensitively; `wildcard` values with `*` and `?`).
bool exception_item_matches(const ExceptionListItem& item, const Event& event);

struct RuleRunStats {
  std::uint64_t alerts = 0;
  std::uint64_t excepted = 0;     ///< events an exception item kept from this rule
  std::uint64_t evaluations = 0;  ///< events this rule was evaluated on (after indexing)
};

struct RunnerStats {
  std::uint64_t events = 0;
  std::uint64_t evaluations = 0;       ///< rule evaluations of events in total
  /// Counted once per sequence rule that could use the event:
  std::uint64_t late_events = 0;       ///< stream mode: later than the reorder window
  std::uint64_t untimed_events = 0;    ///< without the rule's timestamp
  /// The process tree of lineage conditions (docs/lineage.md); all 0 when no rule has one.
  std::uint64_t processes_evicted = 0;  ///< by RunnerOptions::max_processes
  std::uint64_t processes_expired = 0;  ///< ended and past the grace period
  std::uint64_t lineage_walks_cut = 0;  ///< questions that stopped at the walk bound
  std::uint64_t processes_peak = 0;     ///< most processes held at once
};

/// Why an optimistic exact run needs its second pass (RunnerOptions::optimistic).
struct OutOfOrder {
  enum class Why {
    Late,              ///< an event came before (in time order) one the window had released
    MixedTiebreakers,  ///< tiebreaker values of different types (numbers, strings, others)
  };
  Why why = Why::Late;
  std::uint64_t event = 0;      ///< its position in the input (0-based, over all pushes)
  std::int64_t behind_ns = 0;   ///< Late: how long before the newest event of its ordering
};

class RuleRunner {
 public:
  explicit RuleRunner(RunnerOptions options = {});
  ~RuleRunner();
  RuleRunner(const RuleRunner&) = delete;
  RuleRunner& operator=(const RuleRunner&) = delete;

  /// Parses and compiles one rule (a copy is kept). Returns the problems found, with spans
  /// into `rule.query` (render them with rule.query_origin); the rule is added only when
  /// there is no error.
  Diagnostics add_rule(const Rule& rule);
  /// The same, with the exception list items the rule refers to (Kibana exports): an event
  /// that matches an item is not seen by the rule, as Kibana filters it out of the rule's
  /// search. Items with an entry of an unsupported type (`list`, `nested`) must be left out
  /// by the caller (see exception_item_supported).
  Diagnostics add_rule(const Rule& rule, std::vector<ExceptionListItem> exceptions);
  /// The same with the rule's query already parsed by the caller (default options, the
  /// rule's dialect), so a query checked before it is compiled is parsed once.
  Diagnostics add_rule(const Rule& rule, std::vector<ExceptionListItem> exceptions, ParseResult parsed);
  std::size_t rule_count() const;
  const Rule& rule(std::size_t index) const;
  /// A sequence or sample rule's join keys, read from the query add_rule parsed: per stage
  /// (its terms, then a sequence's `until`), per key position, the field the key names
  /// (empty: a key that is not a plain field). Empty for an event rule.
  const std::vector<std::vector<std::string>>& join_key_fields(std::size_t index) const;
  const RunnerOptions& options() const;
  /// A new runner with some of these rules (by index, in the order given: rule `i` of the
  /// new runner is `rules[i]` here) and their exception items, compiled afresh with
  /// `options`, without any state (`eql run --kafka` keeps one per partition of its
  /// repartition topic, docs/kafka.md).
  std::unique_ptr<RuleRunner> same_rules(const RunnerOptions& options, const std::vector<std::size_t>& rules) const;
  /// The sequence and sample rules that could use this event, as push would feed it to
  /// them (index patterns, required fields and exception items passed, a stage's filter
  /// matching), in rule order, into `out`. Changes no state and makes no alert.
  void stateful_rules_using(const Event& event, std::string_view index, std::vector<std::size_t>& out);
  /// How the rule at `index` was filed in the runner's index, as text: its index patterns,
  /// its gate of each kind and each event filter's required fields (`eql run
  /// --explain-index`). A reader's aid: the format may change.
  std::string explain_index(std::size_t index) const;
  /// The rule set as one program, as text (`eql run --explain-plan`): how many leaves the
  /// rules' filters hold and how many are distinct (each is computed at most once per event,
  /// whichever rules hold it), the leaves most rules share, and the fields with the most
  /// distinct leaves. `top` bounds each list. A reader's aid: the format may change.
  std::string explain_plan(std::size_t top = 15) const;
  /// Every field the runner and its rules read from an event (resolved paths, sorted,
  /// unique): the rules' filters and join keys, their timestamp, tiebreaker and category
  /// fields, their exception items' fields, and the fields that name an event's index.
  /// Events read with this selection (EventReadOptions::fields, plus what the caller
  /// reads itself) give the same alerts as events read whole.
  std::vector<std::string> fields_read() const;

  /// Feeds the next event in input order. `index` is the input's index when the event
  /// names none itself (see event_index); empty: unknown. Alerts go to the sink.
  void push(Event&& event, std::string_view index);
  /// The same, evaluating only the rules whose flag in `rules` (one per rule) is set; the
  /// event still counts and advances the input order (`eql run --threads` gives each
  /// worker's rules only the events they own).
  void push(Event&& event, std::string_view index, const std::vector<bool>& rules);
  /// Stream mode with RunnerOptions::max_delay_ms: releases from the reorder windows every
  /// event that has waited longer than that (and, to keep time order, the events older than
  /// it); what completes goes to the sink. Events that come later with an earlier time than
  /// a released one are late (dropped and counted). Cheap: call it whenever input waits.
  void release_overdue();
  /// End of input: sorted sequences run (exact mode), windows drain, samples decide.
  void finish();

  /// Optimistic exact mode: set once the input was found out of time order, after which the
  /// sequence rules are no longer fed (event and sample rules are).
  const std::optional<OutOfOrder>& out_of_order() const;
  /// Optimistic exact mode, after out_of_order() and the whole input: the caller pushes the
  /// same events again (the same count) and calls finish(). Only the sequence rules see them,
  /// held and replayed sorted as without `optimistic`; the counters end as they would have.
  /// Also allowed without out_of_order() (`eql run --threads`: another worker's share of the
  /// input was out of order): the sequences' state is given up first.
  void begin_second_pass();

  void set_alert_sink(std::function<void(Alert&&)> sink);

  const RunnerStats& stats() const;
  const RuleRunStats& rule_stats(std::size_t index) const;
  /// The matcher's counters of a sequence rule (evicted, expired, key overflow); nullptr
  /// for other rules.
  const SequenceStats* sequence_stats(std::size_t index) const;
  /// Tells `observer` what the sequence rule at `index` gives up: its matcher's account
  /// (SequenceObserver) and the events the reorder window drops as late. Kept across a
  /// second pass; nullptr: none. It must outlive its use. No effect on other rules.
  void set_sequence_observer(std::size_t index, SequenceObserver* observer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eql
