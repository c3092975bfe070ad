// `eql explain` (include/eql/explain.h): a rule over a few events, each event's gates (index
// patterns, exception items, the ordering timestamp) and every event filter of the query in
// the evaluator's tracing mode; the alerts come from a RuleRunner, as in `eql run`.
#include "eql/explain.h"

#include <utility>

#include "eql/parser.h"
#include "eql/runner.h"
#include "eql/sequence.h"
#include "seq/keys.h"

namespace eql {

namespace {

// One event filter of the query, compiled, with its join keys (sequences and samples).
struct CompiledFilter {
  StageExplanation::Role role = StageExplanation::Role::Query;
  std::size_t number = 0;
  FilterProgram program;
  std::vector<seq::KeyField> keys;
};

// event.id, else `#position`: as `eql test` names the events of an alert.
std::string event_name(const Event& event, std::size_t position) {
  Value id = event.first("event.id");
  if (!id.is_null()) return to_display_string(id);
  return "#" + std::to_string(position);
}

// Whether the rule's index patterns read `index`, and the pattern that decided (as the
// runner decides: an exclusion first, then any inclusion; no inclusion reads every index).
bool index_read(const Rule& rule, const std::string& index, std::string& pattern) {
  bool any_include = false;
  for (const std::string& candidate : rule.index) {
    if (!candidate.empty() && candidate.front() == '-' && index_matches(candidate.substr(1), index)) {
      pattern = candidate;
      return false;
    }
    if (candidate.empty() || candidate.front() != '-') any_include = true;
  }
  if (!any_include) return true;
  for (const std::string& candidate : rule.index) {
    if (!candidate.empty() && candidate.front() != '-' && index_matches(candidate, index)) {
      pattern = candidate;
      return true;
    }
  }
  return false;
}

// The event's values of each join key position: one JSON text per position (an array when
// several), "missing" when it has none.
std::vector<std::string> key_texts(const Event& event, const std::vector<seq::KeyField>& keys) {
  std::vector<std::string> texts;
  for (const seq::KeyField& key : keys) {
    bool overflow = false;
    std::vector<CompositeKey> values = seq::keys_of(event, {key}, 10'000, overflow);
    if (values.empty()) {
      texts.emplace_back("missing");
      continue;
    }
    std::string text;
    for (const CompositeKey& value : values) {
      if (!text.empty()) text += ", ";
      append_json(text, Value::of_string(value.front().display()));
    }
    texts.push_back(values.size() > 1 ? "[" + text + "]" : text);
  }
  return texts;
}

// Compiles every event filter of the query (with its keys) in the order they are written.
Diagnostics compile_filters(const ast::Query& query, const FilterOptions& options, RuleExplanation& explanation,
                            std::vector<CompiledFilter>& filters) {
  RuleExplanation::Kind& kind = explanation.kind;
  Diagnostics diagnostics;
  JsonFieldTypes json_types;
  const FieldTypes& types = options.field_types ? *options.field_types : json_types;
  auto add = [&](StageExplanation::Role role, std::size_t number, const ast::EventFilter& filter,
                 std::vector<const ast::Expr*> keys) {
    FilterCompileResult compiled = compile_filter(filter, options);
    for (Diagnostic& d : compiled.diagnostics) diagnostics.push_back(std::move(d));
    if (!compiled.program) return;
    std::vector<seq::KeyField> key_fields = seq::compile_keys(keys, types, diagnostics);
    filters.push_back({role, number, std::move(*compiled.program), std::move(key_fields)});
  };
  auto keys_of_term = [](const std::vector<ast::ExprPtr>& common, const ast::Term& term) {
    std::vector<const ast::Expr*> keys;
    for (const ast::ExprPtr& key : common) keys.push_back(key.get());
    for (const ast::ExprPtr& key : term.keys) keys.push_back(key.get());
    return keys;
  };
  if (const ast::EventFilter* filter = query.event()) {
    kind = RuleExplanation::Kind::Event;
    add(StageExplanation::Role::Query, 0, *filter, {});
  } else if (const ast::Sequence* sequence = query.sequence()) {
    kind = RuleExplanation::Kind::Sequence;
    for (std::size_t i = 0; i < sequence->terms.size(); ++i) {
      const ast::Term& term = sequence->terms[i];
      add(term.missing ? StageExplanation::Role::Missing : StageExplanation::Role::Stage, i + 1, term.filter,
          keys_of_term(sequence->keys, term));
      for (std::int64_t run = 0; run < term.runs; ++run) explanation.stage_terms.push_back(i + 1);
    }
    if (sequence->until) {
      add(StageExplanation::Role::Until, 0, sequence->until->filter, keys_of_term(sequence->keys, *sequence->until));
    }
  } else if (const ast::Sample* sample = query.sample()) {
    kind = RuleExplanation::Kind::Sample;
    for (std::size_t i = 0; i < sample->terms.size(); ++i) {
      add(StageExplanation::Role::Stage, i + 1, sample->terms[i].filter, keys_of_term(sample->keys, sample->terms[i]));
      explanation.stage_terms.push_back(i + 1);
    }
  }
  return diagnostics;
}

std::string keys_text(const CompositeKey& key) {
  std::string out;
  for (const JoinValue& value : key) out += (out.empty() ? "" : ", ") + value.display();
  return out;
}

std::vector<std::size_t> positions_of(const std::vector<EventRef>& events) {
  std::vector<std::size_t> positions;
  for (const EventRef& event : events) positions.push_back(event ? event->ordinal + 1 : 0);
  return positions;
}

// What the runner and its sequence matcher give up, as ChainNotes. Positions come from
// Event::ordinal, which the runner numbers from 0 in push order: the input's positions.
class ChainRecorder final : public SequenceObserver {
 public:
  ChainRecorder(std::vector<ChainNote>& notes, std::int64_t window_ms) : notes_(notes), window_ms_(window_ms) {}
  void expired(const std::vector<EventRef>& partial, std::size_t term, const CompositeKey& key, const Event& event,
               std::int64_t over_nanos) override {
    add(ChainNote::Kind::MaxspanExceeded, partial, term, key, event.ordinal).over_ms = over_nanos / 1'000'000;
  }
  void ended(const std::vector<EventRef>& partial, std::size_t term, const CompositeKey& key,
             const Event& until_event) override {
    add(ChainNote::Kind::Until, partial, term, key, until_event.ordinal);
  }
  void unmatched(std::size_t term, const CompositeKey& key, const Event& event) override {
    // After an expiry or an `until` of its key at this event, the reason is already told.
    const std::string keys = keys_text(key);
    if (!notes_.empty() && notes_.back().at == event.ordinal + 1 && notes_.back().keys == keys) return;
    add(ChainNote::Kind::NoEarlierStage, {}, term, key, event.ordinal);
  }
  void missing_found(const std::vector<EventRef>& candidate, std::size_t missing_term, const CompositeKey& key,
                     std::uint64_t missing_ordinal) override {
    add(ChainNote::Kind::MissingFound, candidate, missing_term, key, missing_ordinal);
  }
  void late(const Event& event, std::int64_t behind_nanos) override {
    ChainNote& note = add(ChainNote::Kind::Late, {}, 0, {}, event.ordinal);
    note.stage = 0;
    note.behind_ms = behind_nanos / 1'000'000;
    note.over_ms = note.behind_ms - window_ms_;
  }

 private:
  ChainNote& add(ChainNote::Kind kind, const std::vector<EventRef>& partial, std::size_t term,
                 const CompositeKey& key, std::uint64_t ordinal) {
    ChainNote note;
    note.kind = kind;
    note.events = positions_of(partial);
    note.stage = term + 1;
    note.at = ordinal + 1;
    note.keys = keys_text(key);
    notes_.push_back(std::move(note));
    return notes_.back();
  }
  std::vector<ChainNote>& notes_;
  std::int64_t window_ms_;
};

// The rule over the events through the engine of `eql run`, in the order asked for: the
// alerts it raises and, for a sequence, what broke its chains as its matcher and its
// reorder window tell it (a ChainRecorder): the explanation is the run itself.
void run_rule(const Rule& rule, const std::vector<ExceptionListItem>& exceptions, const std::vector<Event>& events,
              const ExplainOptions& options, RuleExplanation& explanation) {
  RunnerOptions runner_options;
  runner_options.order = options.stream ? RunnerOptions::Order::Stream : RunnerOptions::Order::Exact;
  runner_options.max_lateness_ms = options.max_lateness_ms;
  runner_options.field_types = options.field_types;
  runner_options.ignore_index = options.ignore_index;
  RuleRunner runner(runner_options);
  if (has_errors(runner.add_rule(rule, exceptions))) return;
  ChainRecorder recorder(explanation.chain, options.max_lateness_ms);
  runner.set_sequence_observer(0, &recorder);
  runner.set_alert_sink([&](Alert&& alert) {
    std::vector<std::string> names;
    for (const EventRef& event : alert.events) names.push_back(event ? event_name(*event, event->ordinal + 1) : "-");
    explanation.alerts.push_back(std::move(names));
  });
  for (const Event& event : events) runner.push(Event(event), options.index);
  runner.finish();
}

}  // namespace

Diagnostics explain_rule(const Rule& rule, const std::vector<ExceptionListItem>& exceptions,
                         const std::vector<Event>& events, const ExplainOptions& options,
                         RuleExplanation& explanation) {
  explanation = RuleExplanation{};
  ParseOptions parse_options;
  parse_options.dialect = rule.dialect;
  ParseResult parsed = parse_query(rule.query, parse_options);
  if (!parsed.query || has_errors(parsed.diagnostics)) return std::move(parsed.diagnostics);
  FilterOptions filter_options;
  filter_options.field_types = options.field_types;
  if (!rule.event_category_override.empty()) filter_options.category_field = rule.event_category_override;
  std::vector<CompiledFilter> filters;
  Diagnostics diagnostics = compile_filters(*parsed.query, filter_options, explanation, filters);
  if (has_errors(diagnostics)) return diagnostics;

  const std::string timestamp_field = rule.timestamp_override.empty() ? std::string(kDefaultTimestampField) : rule.timestamp_override;
  EvalContext context;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    EventExplanation out;
    out.position = i + 1;
    out.name = event_name(event, out.position);
    out.index = event_index(event);
    if (out.index.empty()) out.index = options.index;
    if (!out.index.empty() && !options.ignore_index) out.index_read = index_read(rule, out.index, out.index_pattern);
    for (const ExceptionListItem& item : exceptions) {
      if (exception_item_matches(item, event)) {
        out.exception = item;
        break;
      }
    }
    out.timestamp_field = timestamp_field;
    out.timestamp_required = explanation.kind == RuleExplanation::Kind::Sequence;
    if (Value stamp = event.first(timestamp_field); !stamp.is_null()) {
      out.timestamp.emplace();
      append_json(*out.timestamp, stamp);
    }
    for (const CompiledFilter& filter : filters) {
      StageExplanation stage;
      stage.role = filter.role;
      stage.number = filter.number;
      stage.matches = filter.program.trace(event, context, stage.trace);
      stage.keys = key_texts(event, filter.keys);
      for (const seq::KeyField& key : filter.keys) stage.key_names.push_back(key.name);
      if (stage.matches && filter.role != StageExplanation::Role::Until) out.matches = true;
      out.filters.push_back(std::move(stage));
    }
    explanation.events.push_back(std::move(out));
  }
  if (options.stream) explanation.window_ms = options.max_lateness_ms;
  run_rule(rule, exceptions, events, options, explanation);
  return diagnostics;
}

}  // namespace eql
