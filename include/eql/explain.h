// Why a rule did or did not match an event (`eql explain`, docs/explain.md): what kept the
// event from the rule before its query ran (index patterns, an exception item, a missing
// timestamp), and the query's condition as the evaluator's tracing mode saw it, node by
// node (FilterProgram::trace: the same compiled program `eql run` evaluates).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eql/diagnostic.h"
#include "eql/eval.h"
#include "eql/event.h"
#include "eql/rules.h"

namespace eql {

/// One event filter of the rule (the query of an event rule, a stage of a sequence or
/// sample, a sequence's `until`) on one event.
struct StageExplanation {
  enum class Role : std::uint8_t { Query, Stage, Missing, Until };
  Role role = Role::Query;
  std::size_t number = 0;  ///< Stage, Missing: 1-based position among the terms
  bool matches = false;
  FilterTrace trace;
  /// Sequences and samples: the event's join-key values, one JSON text per key position
  /// (several values: a JSON array), "missing" for a key the event does not have.
  std::vector<std::string> keys;
  std::vector<std::string> key_names;  ///< the keys as written, one per position
};

struct EventExplanation {
  std::size_t position = 0;  ///< 1-based among the events explained
  std::string name;          ///< event.id, or `#position`
  /// The index the event is read as (its own `_index` or data stream, else the one given);
  /// empty when unknown, in which case the rule's patterns do not apply.
  std::string index;
  /// Whether the rule's index patterns let the event in, and the pattern that decided
  /// (the first matching include pattern, or the exclusion `-pattern` that kept it out).
  bool index_read = true;
  std::string index_pattern;
  /// The exception item that keeps the event from the rule, when one does.
  std::optional<ExceptionListItem> exception;
  /// The field the rule orders by (its timestamp_override, else @timestamp) and the
  /// event's value there (JSON text), none when missing: a sequence cannot use it then.
  std::string timestamp_field;
  std::optional<std::string> timestamp;
  bool timestamp_required = false;  ///< sequences: without the timestamp the event is dropped
  std::vector<StageExplanation> filters;
  /// Whether the rule matches the event on its own (event rules); for sequences and
  /// samples, whether some stage takes it.
  bool matches = false;
};

/// What broke a sequence's chain, as the matcher and the runner's reorder window tell it
/// (SequenceObserver): a partial sequence or a candidate given up, or an event that had no
/// partial sequence to continue, or that came too late to be put in order.
struct ChainNote {
  enum class Kind : std::uint8_t {
    MaxspanExceeded,  ///< the partial's time ran out (by over_ms, as event `at` showed)
    Until,            ///< event `at`, of the `until` filter, ended the partial
    NoEarlierStage,   ///< event `at` matched `stage`, but no partial of its key waited for it
    MissingFound,     ///< event `at` matched the missing-event stage `stage` (`![...]`): the
                      ///< candidate of `events` is dropped
    Late,             ///< stream order: event `at` came behind_ms before the newest event,
                      ///< over_ms beyond the reorder window, and was dropped
  };
  Kind kind = Kind::MaxspanExceeded;
  std::vector<std::size_t> events;  ///< 1-based positions: the partial's events so far
  std::size_t stage = 0;            ///< 1-based term: the stage the partial waited for (0: none)
  std::size_t at = 0;               ///< 1-based position of the event that showed it
  std::string keys;                 ///< the join-key values, as Elasticsearch prints them
  std::int64_t over_ms = 0;         ///< MaxspanExceeded: how far past maxspan; Late: past the window
  std::int64_t behind_ms = 0;       ///< Late: how far behind the newest event
};

struct RuleExplanation {
  enum class Kind : std::uint8_t { Event, Sequence, Sample };
  Kind kind = Kind::Event;
  std::vector<EventExplanation> events;
  std::vector<ChainNote> chain;
  /// The alerts the rule raises on the events, as `eql run` would (events named as in
  /// EventExplanation::name).
  std::vector<std::vector<std::string>> alerts;
  /// Stream order: the reorder window (ExplainOptions::max_lateness_ms); none in exact order.
  std::optional<std::int64_t> window_ms;
  /// Per stage of a sequence or sample in the order of an alert's events (`with runs=N`
  /// repeats a term), the 1-based term it comes from.
  std::vector<std::size_t> stage_terms;
};

struct ExplainOptions {
  /// The index events are read as when they name none (`eql run --index`); empty: none.
  std::string index;
  /// Every event is read, whatever the rule's index patterns (the shell, as its `.run`).
  bool ignore_index = false;
  /// Types of fields (SchemaFieldTypes in `eql explain`); nullptr: JSON types.
  const FieldTypes* field_types = nullptr;
  /// Stream order through a reorder window of max_lateness_ms (`eql run --order stream`);
  /// else exact order, as `eql run` runs files.
  bool stream = false;
  std::int64_t max_lateness_ms = 10'000;
};

/// Explains `rule` (with the exception items it refers to) over `events`. Diagnostics
/// are the rule's query problems (spans into rule.query); nothing is explained then.
Diagnostics explain_rule(const Rule& rule, const std::vector<ExceptionListItem>& exceptions,
                         const std::vector<Event>& events, const ExplainOptions& options,
                         RuleExplanation& explanation);

}  // namespace eql
