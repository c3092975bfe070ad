// The rule runner (include/eql/runner.h). Event rules that require a field to equal one of
// a few literal strings (`process.name : ("a", "b")` as a conjunct of the condition) are
// indexed by those values; the other rules by the event category they test. So an event is
// evaluated only against rules whose required value or category it has, plus the rules
// that test any category or another category field. Sequence and sample rules are fed only
// the events that match one of their stages; in exact mode those are the only events held.
#include "eql/runner.h"

#include <algorithm>
#include <optional>

#include "eql/eval.h"
#include "eql/parser.h"
#include "run/exceptions.h"
#include "run/index_patterns.h"
#include "run/reorder_window.h"
#include "run/rule_index.h"

namespace eql {

namespace {

constexpr std::string_view kDefaultTimestampField = "@timestamp";

using detail::kTermsUndecided;
using detail::ReorderWindow;
using detail::SequenceUse;

bool earlier(const EventRef& a, const EventRef& b) { return sequence_order_before(*a, *b); }

// The event filters of a query in the order the runner compiles them: an event query's
// one; a sequence's stages, then its `until`; a sample's stages.
std::vector<const ast::EventFilter*> event_filters(const ast::Query& query) {
  std::vector<const ast::EventFilter*> filters;
  if (const ast::EventFilter* filter = query.event()) filters.push_back(filter);
  if (const ast::Sequence* sequence = query.sequence()) {
    for (const ast::Term& term : sequence->terms) filters.push_back(&term.filter);
    if (sequence->until) filters.push_back(&sequence->until->filter);
  }
  if (const ast::Sample* sample = query.sample()) {
    for (const ast::Term& term : sample->terms) filters.push_back(&term.filter);
  }
  return filters;
}

}  // namespace

// Marks a held event (or a rule of a waiting event) as one of the sequence's first stage.
constexpr std::uint32_t kFirstStage = 1u << 31;

struct RuleRunner::Impl {
  enum class Kind { Event, Sequence, Sample };

  struct CompiledRule {
    Rule rule;
    std::string identity;  // what its alert ids hash: rule_identity(rule)
    Kind kind = Kind::Event;
    std::optional<FilterProgram> filter;      // event rules
    std::vector<FilterProgram> stage_filters;  // sequences and samples: what they can use
    std::unique_ptr<SequenceMatcher> sequence;
    SequenceOptions sequence_options;  // to compile the matcher afresh (give_up_sequences)
    std::unique_ptr<SampleMatcher> sample;
    std::size_t ordering_index = 0;  // into Impl::orderings (0: the reader's, @timestamp)
    // Exact mode: the events it can use, as indexes into its ordering's held events, each
    // with kFirstStage when it matched the first stage.
    std::vector<std::uint32_t> held;
    // A sequence whose first stage is a normal one does nothing with events before (in time
    // order) the first event of that stage: no partial sequence exists for an `until` to
    // cancel or a later stage to extend, and a middle or trailing missing-event stage only
    // looks between the events of a sequence. So those events are not pushed to it.
    bool skips_until_first_stage = false;
    bool armed = false;  // it has seen an event of its first stage
    std::vector<ExceptionListItem> exceptions;
    RuleRunStats stats;
  };

  explicit Impl(const RunnerOptions& run_options) : options(run_options), patterns(run_options.ignore_index) {}

  RunnerOptions options;
  std::vector<std::unique_ptr<CompiledRule>> rules;
  detail::RuleIndex index;        // which rules an event may matter to
  detail::IndexPatterns patterns;  // which rules see an event, by its index
  // ---- orderings: the reader's (index 0) and each distinct timestamp_override/tiebreaker ----
  struct Ordering {
    std::string key;  // empty for the reader's
    EventReadOptions options;
    EventRef current;  // the current event as this ordering sees it (a cheap copy)
    std::uint64_t current_event = UINT64_MAX;
    // Exact mode: every event some sequence rule of this ordering can use, once, whatever
    // the number of rules (they hold indexes into it).
    std::vector<EventRef> held;
    std::uint64_t last_held_event = UINT64_MAX;
    // Stream mode: one reorder window for all of the ordering's sequence rules; each event
    // in it with the rules that can use it.
    ReorderWindow window;
    std::vector<SequenceUse> current_rules;  // of the current event, while it is evaluated
    std::optional<EpochNanos> newest;
    EventRef last_released;
    // Optimistic exact mode: the kind of tiebreaker values seen (-1 none yet; see
    // tiebreaker_class).
    int tiebreaker_class = -1;
  };
  std::vector<Ordering> orderings = std::vector<Ordering>(1);

  // ---- exact order: held, or optimistic (RunnerOptions::optimistic) ----
  // Held: sequences' events are held and replayed sorted at finish(). Optimistic: they go
  // through the reorder windows, the results wait in `deferred`. Abandoned: the input was
  // found out of order, sequences are fed nothing more. SecondPass: the input again, for the
  // sequence rules only, held.
  enum class Phase { Held, Optimistic, Abandoned, SecondPass };
  Phase phase = Phase::Held;
  std::optional<OutOfOrder> out_of_order;
  std::uint64_t first_pass_events = 0;
  // Per rule, the sequence results to emit at finish(), in completion order.
  std::vector<std::vector<JoinResult>> deferred;

  bool windowed() const { return options.order == RunnerOptions::Order::Stream || phase == Phase::Optimistic; }
  bool holds() const {
    return options.order == RunnerOptions::Order::Exact && (phase == Phase::Held || phase == Phase::SecondPass);
  }

  std::function<void(Alert&&)> sink;
  RunnerStats stats;
  EvalContext context;
  const std::vector<bool>* only = nullptr;  // during a push: the rules it may evaluate

  void emit(std::size_t rule, std::vector<EventRef> events, CompositeKey keys, bool join) {
    CompiledRule& compiled = *rules[rule];
    ++compiled.stats.alerts;
    Alert alert;
    alert.rule = rule;
    alert.id = alert_id(compiled.identity, events);
    alert.events = std::move(events);
    alert.join_keys = std::move(keys);
    alert.join = join;
    if (sink) sink(std::move(alert));
  }

  void drain(std::size_t rule) {
    for (JoinResult& result : rules[rule]->sequence->take_results()) {
      emit(rule, std::move(result.events), std::move(result.keys), true);
    }
  }

  // The event as the rule orders it: shared when the rule uses the reader's ordering, else
  // a copy with its own timestamp (falling back to @timestamp, as Kibana does when the
  // override field is missing) and tiebreaker, made once per event and ordering.
  EventRef ordered_view(const CompiledRule& compiled, const EventRef& event) {
    Ordering& ordering = orderings[compiled.ordering_index];
    if (ordering.current_event == stats.events) return ordering.current;
    if (compiled.ordering_index == 0) {
      ordering.current = event;
      ordering.current_event = stats.events;
      return event;
    }
    Event copy = *event;  // shares the fields: only the ordering data is its own
    extract_ordering(copy, ordering.options);
    if (!copy.timestamp) copy.timestamp = event->timestamp;
    ordering.current = std::make_shared<const Event>(std::move(copy));
    ordering.current_event = stats.events;
    return ordering.current;
  }

  // Whether the sequence rule needs this event: false for events before its first stage
  // matched (see skips_until_first_stage). `flagged` carries kFirstStage.
  bool arm(CompiledRule& compiled, std::uint32_t flagged) {
    if (compiled.armed || !compiled.skips_until_first_stage) return true;
    if (!(flagged & kFirstStage)) return false;
    compiled.armed = true;
    return true;
  }

  void feed_sequence(std::size_t rule, const EventRef& event, bool first_stage, std::uint64_t term_matches) {
    const std::uint32_t flag = first_stage ? kFirstStage : 0;
    CompiledRule& compiled = *rules[rule];
    EventRef view = ordered_view(compiled, event);
    if (!view->timestamp) {
      ++stats.untimed_events;
      return;
    }
    if (holds()) {
      Ordering& ordering = orderings[compiled.ordering_index];
      if (ordering.last_held_event != stats.events) {
        ordering.held.push_back(std::move(view));
        ordering.last_held_event = stats.events;
      }
      compiled.held.push_back(static_cast<std::uint32_t>(ordering.held.size() - 1) | flag);
      return;
    }
    orderings[compiled.ordering_index].current_rules.push_back({static_cast<std::uint32_t>(rule) | flag, term_matches});
  }

  // Stream mode, after the current event was evaluated: it enters each ordering's window
  // (once, with the rules that can use it), and what is older than the window is released.
  void advance_windows() {
    const std::int64_t lateness = options.max_lateness_ms * 1'000'000;
    for (Ordering& ordering : orderings) {
      if (ordering.current_rules.empty()) continue;
      EventRef view = ordering.current_event == stats.events ? ordering.current : nullptr;
      std::vector<SequenceUse> users = std::move(ordering.current_rules);
      ordering.current_rules.clear();
      if (!view) continue;  // cannot happen: feed_sequence made the view
      if (phase == Phase::Optimistic && !ordering.options.tiebreaker_field.empty()) {
        // The comparison orders tiebreakers of one kind among themselves and falls back to
        // input order otherwise: over mixed kinds it is not a consistent order, and the
        // window could release events otherwise than the sort of the held replay.
        int kind = tiebreaker_class(view->tiebreaker);
        if (ordering.tiebreaker_class < 0) ordering.tiebreaker_class = kind;
        if (kind != ordering.tiebreaker_class) {
          give_up_sequences(OutOfOrder{OutOfOrder::Why::MixedTiebreakers, stats.events, 0});
          return;
        }
      }
      if (ordering.last_released && earlier(view, ordering.last_released)) {
        if (phase == Phase::Optimistic) {
          give_up_sequences(OutOfOrder{OutOfOrder::Why::Late, stats.events, *ordering.newest - *view->timestamp});
          return;
        }
        stats.late_events += users.size();
        continue;
      }
      ordering.newest = ordering.newest ? std::max(*ordering.newest, *view->timestamp) : *view->timestamp;
      if (options.max_delay_ms > 0) ordering.window.push(std::move(view), std::move(users), ReorderWindow::Clock::now());
      else ordering.window.push(std::move(view), std::move(users));
      while (!ordering.window.empty() && ordering.window.oldest_time() <= *ordering.newest - lateness) {
        release(ordering);
      }
    }
  }

  static int tiebreaker_class(const Value& value) {
    if (value.is_null()) return 0;
    if (value.is_number()) return 1;
    if (value.kind == ValueKind::String) return 2;
    return 0;  // compared by input order, like a missing one
  }

  // The oldest event of a window goes to its rules. Stream mode emits what completes;
  // optimistic exact mode keeps it for finish(), where the held replay would emit it.
  void release(Ordering& ordering) {
    ReorderWindow::Waiting oldest = ordering.window.pop_oldest();
    ordering.last_released = oldest.event;
    for (const SequenceUse& use : oldest.rules) {
      std::uint32_t rule = use.flagged & ~kFirstStage;
      if (!arm(*rules[rule], use.flagged)) continue;
      if (use.term_matches == kTermsUndecided) {
        rules[rule]->sequence->push(oldest.event, context);
      } else {
        rules[rule]->sequence->push(oldest.event, context, use.term_matches);
      }
      if (phase == Phase::Optimistic) {
        if (deferred.size() < rules.size()) deferred.resize(rules.size());
        for (JoinResult& result : rules[rule]->sequence->take_results()) deferred[rule].push_back(std::move(result));
      } else {
        drain(rule);
      }
    }
  }

  // Optimistic exact mode, the input found out of order: every sequence rule starts afresh
  // (for the second pass) and is fed nothing more in this one. The windows and the waiting
  // results go, so memory is given back at once.
  void give_up_sequences(std::optional<OutOfOrder> why) {
    if (why) out_of_order = why;
    phase = Phase::Abandoned;
    deferred = {};
    for (Ordering& ordering : orderings) {
      ordering.window.clear();
      ordering.current_rules.clear();
      ordering.newest.reset();
      ordering.last_released = nullptr;
      ordering.tiebreaker_class = -1;
    }
    for (auto& compiled : rules) {
      if (compiled->kind != Kind::Sequence) continue;
      ParseResult parsed = parse_query(compiled->rule.query, ParseOptions{});
      // add_rule compiled this very text, so neither step can fail here.
      SequenceCompileResult fresh = SequenceMatcher::compile(*parsed.query->sequence(), compiled->sequence_options);
      compiled->sequence = std::move(fresh.matcher);
      compiled->armed = false;
    }
  }

  void evaluate(std::size_t rule, const EventRef& event) {
    if (only && !(*only)[rule]) return;
    CompiledRule& compiled = *rules[rule];
    // Abandoned: the sequence rules wait for the second pass, which is for them alone.
    if (phase == Phase::Abandoned && compiled.kind == Kind::Sequence) return;
    if (phase == Phase::SecondPass && compiled.kind != Kind::Sequence) return;
    // The index patterns were checked by push; the exception items come next, as Kibana
    // filters their events out of the rule's search.
    if (detail::any_exception_matches(compiled.exceptions, *event)) {
      ++compiled.stats.excepted;
      return;
    }
    ++compiled.stats.evaluations;
    ++stats.evaluations;
    if (compiled.kind == Kind::Event) {
      // The alert's event carries the rule's own timestamp (timestamp_override).
      if (compiled.filter->matches(*event, context)) emit(rule, {ordered_view(compiled, event)}, {}, false);
      return;
    }
    if (compiled.kind == Kind::Sequence && compiled.stage_filters.size() < 64) {
      // Every term decided now, while the evaluator's per-event caches hold this event:
      // a reorder window passes the verdicts on to the matcher, which would otherwise
      // evaluate them again, events later, with nothing cached.
      std::uint64_t term_matches = 0;
      for (std::size_t t = 0; t < compiled.stage_filters.size(); ++t) {
        if (compiled.stage_filters[t].matches(*event, context)) term_matches |= std::uint64_t{1} << t;
      }
      if (term_matches != 0) feed_sequence(rule, event, (term_matches & 1) != 0, term_matches);
      return;
    }
    bool first_stage = compiled.stage_filters.front().matches(*event, context);
    bool usable = first_stage || std::any_of(compiled.stage_filters.begin() + 1, compiled.stage_filters.end(),
                                             [&](const FilterProgram& stage) { return stage.matches(*event, context); });
    if (!usable) return;
    if (compiled.kind == Kind::Sample) {
      compiled.sample->push(event, context);
    } else {
      feed_sequence(rule, event, first_stage, kTermsUndecided);
    }
  }

  // Compiles the rule's filters (each stage of a sequence or sample) and its matcher.
  // False when a part could not be compiled (the diagnostics say why).
  bool compile(CompiledRule& compiled, const ast::Query& query, const FilterOptions& filter_options,
               Diagnostics& diagnostics) {
    auto add_stage = [&](const ast::Term& term) -> bool {
      FilterCompileResult stage = compile_filter(term.filter, filter_options);
      for (auto& d : stage.diagnostics) diagnostics.push_back(std::move(d));
      if (!stage.program) return false;
      compiled.stage_filters.push_back(std::move(*stage.program));
      return true;
    };
    if (const ast::EventFilter* filter = query.event()) {
      compiled.kind = Kind::Event;
      FilterCompileResult program = compile_filter(*filter, filter_options);
      for (auto& d : program.diagnostics) diagnostics.push_back(std::move(d));
      if (!program.program) return false;
      compiled.filter = std::move(*program.program);
    } else if (const ast::Sequence* sequence = query.sequence()) {
      compiled.kind = Kind::Sequence;
      compiled.skips_until_first_stage = !sequence->terms.empty() && !sequence->terms.front().missing;
      for (const ast::Term& term : sequence->terms) {
        if (!add_stage(term)) return false;
      }
      if (sequence->until && !add_stage(*sequence->until)) return false;
      SequenceOptions sequence_options;
      sequence_options.filter = filter_options;
      sequence_options.max_pending = options.max_pending;
      SequenceCompileResult matcher = SequenceMatcher::compile(*sequence, sequence_options);
      for (auto& d : matcher.diagnostics) diagnostics.push_back(std::move(d));
      if (!matcher.matcher) return false;
      compiled.sequence = std::move(matcher.matcher);
      compiled.sequence_options = sequence_options;
    } else if (const ast::Sample* sample = query.sample()) {
      compiled.kind = Kind::Sample;
      for (const ast::Term& term : sample->terms) {
        if (!add_stage(term)) return false;
      }
      SampleOptions sample_options;
      sample_options.filter = filter_options;
      sample_options.max_samples_per_key = options.max_samples_per_key;
      SampleCompileResult matcher = SampleMatcher::compile(*sample, sample_options);
      for (auto& d : matcher.diagnostics) diagnostics.push_back(std::move(d));
      if (!matcher.matcher) return false;
      compiled.sample = std::move(matcher.matcher);
    }
    return true;
  }

  // The ordering of a rule's sequences: the reader's (0) unless it names its own timestamp
  // or a tiebreaker; rules that name the same share one.
  std::size_t ordering_of(const Rule& rule) {
    if ((rule.timestamp_override.empty() || rule.timestamp_override == kDefaultTimestampField) &&
        rule.tiebreaker_field.empty()) {
      return 0;
    }
    EventReadOptions ordering;
    ordering.timestamp_field =
        rule.timestamp_override.empty() ? std::string(kDefaultTimestampField) : rule.timestamp_override;
    ordering.tiebreaker_field = rule.tiebreaker_field;
    std::string key = ordering.timestamp_field + '\n' + ordering.tiebreaker_field;
    auto found = std::find_if(orderings.begin(), orderings.end(), [&](const Ordering& o) { return o.key == key; });
    if (found == orderings.end()) {
      orderings.push_back({});
      orderings.back().key = key;
      orderings.back().options = ordering;
      found = orderings.end() - 1;
    }
    return static_cast<std::size_t>(found - orderings.begin());
  }
};

RuleRunner::RuleRunner(RunnerOptions options) : impl_(std::make_unique<Impl>(options)) {
  if (options.order == RunnerOptions::Order::Exact && options.optimistic) impl_->phase = Impl::Phase::Optimistic;
}

RuleRunner::~RuleRunner() = default;

std::size_t RuleRunner::rule_count() const { return impl_->rules.size(); }
const Rule& RuleRunner::rule(std::size_t index) const { return impl_->rules[index]->rule; }
void RuleRunner::set_alert_sink(std::function<void(Alert&&)> sink) { impl_->sink = std::move(sink); }
const RunnerStats& RuleRunner::stats() const { return impl_->stats; }
const RuleRunStats& RuleRunner::rule_stats(std::size_t index) const { return impl_->rules[index]->stats; }
const SequenceStats* RuleRunner::sequence_stats(std::size_t index) const {
  const auto& sequence = impl_->rules[index]->sequence;
  return sequence ? &sequence->stats() : nullptr;
}

Diagnostics RuleRunner::add_rule(const Rule& rule) { return add_rule(rule, {}); }

Diagnostics RuleRunner::add_rule(const Rule& rule, std::vector<ExceptionListItem> exceptions) {
  ParseResult parsed = parse_query(rule.query, ParseOptions{});
  Diagnostics diagnostics = std::move(parsed.diagnostics);
  if (!parsed.ok()) return diagnostics;
  const ast::Query& query = *parsed.query;
  if (!query.pipes.empty()) {
    Diagnostic refused;
    refused.code = "run.pipe";
    refused.message = std::string("`eql run` does not apply pipes; the rule's `| ") +
                      ast::pipe_name(query.pipes.front().kind) + "` would change what it alerts on";
    refused.span = query.pipes.front().span;
    diagnostics.push_back(std::move(refused));
    return diagnostics;
  }
  auto compiled = std::make_unique<Impl::CompiledRule>();
  compiled->rule = rule;
  compiled->identity = rule_identity(rule);
  compiled->exceptions = std::move(exceptions);
  FilterOptions filter_options;
  filter_options.field_types = impl_->options.field_types;
  if (!rule.event_category_override.empty()) filter_options.category_field = rule.event_category_override;
  if (!impl_->compile(*compiled, query, filter_options, diagnostics) || has_errors(diagnostics)) return diagnostics;

  // Compiled: the rule is filed with each part of the runner, under the number it gets.
  impl_->patterns.add_rule(rule.index);
  impl_->index.add_rule(event_filters(query), filter_options.field_types, filter_options.category_field);
  compiled->ordering_index = impl_->ordering_of(rule);
  impl_->rules.push_back(std::move(compiled));
  return diagnostics;
}

std::string RuleRunner::explain_index(std::size_t index) const {
  const auto rule = static_cast<std::uint32_t>(index);
  return "index: " + impl_->patterns.describe(rule) + '\n' + impl_->index.describe(rule);
}

void RuleRunner::push(Event&& parsed, std::string_view index) {
  Impl& impl = *impl_;
  parsed.ordinal = impl.stats.events;
  std::string own_index = event_index(parsed);
  std::string_view effective = own_index.empty() ? index : std::string_view(own_index);
  auto event = std::make_shared<const Event>(std::move(parsed));
  impl.patterns.select(effective);
  const std::uint64_t stamp = impl.stats.events + 1;
  impl.index.mark_candidates(*event, stamp);
  impl.index.for_each_candidate([&](std::uint32_t rule) {
    // The index patterns first: their verdict is decided once per event and pattern set.
    if (!impl.patterns.sees(rule, effective)) return;
    if (impl.index.has_required_fields(rule, stamp)) impl.evaluate(rule, event);
  });
  if (impl.windowed()) impl.advance_windows();
  ++impl.stats.events;
}

void RuleRunner::push(Event&& event, std::string_view index, const std::vector<bool>& rules) {
  impl_->only = &rules;
  push(std::move(event), index);
  impl_->only = nullptr;
}

void RuleRunner::finish() {
  Impl& impl = *impl_;
  if (impl.phase == Impl::Phase::SecondPass) impl.stats.events = std::max(impl.stats.events, impl.first_pass_events);
  // Exact mode: each ordering's held events are replayed once in its time order, each to
  // the sequence rules that can use it. Event by event rather than rule by rule, so that
  // the leaves those rules share are evaluated once per event (the evaluator's cache).
  // Results wait in `found` so that alerts still come out rule by rule; the optimistic
  // exact mode has put there what its windows completed, in the same order.
  std::vector<std::vector<JoinResult>>& found = impl.deferred;
  found.resize(impl.rules.size());
  // Stream mode and optimistic exact mode: what is still in the windows, in order.
  for (Impl::Ordering& ordering : impl.orderings) {
    while (!ordering.window.empty()) impl.release(ordering);
  }
  for (std::size_t o = 0; o < impl.orderings.size(); ++o) {
    const auto& held = impl.orderings[o].held;
    if (held.empty()) continue;
    // The rules of each held event, in rule order (offsets into `rules_of`).
    std::vector<std::uint32_t> first(held.size() + 1, 0);
    for (const auto& compiled : impl.rules) {
      if (compiled->kind != Impl::Kind::Sequence || compiled->ordering_index != o) continue;
      for (std::uint32_t flagged : compiled->held) ++first[(flagged & ~kFirstStage) + 1];
    }
    for (std::size_t i = 0; i < held.size(); ++i) first[i + 1] += first[i];
    std::vector<std::uint32_t> rules_of(first.back());
    std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
    for (std::uint32_t rule = 0; rule < impl.rules.size(); ++rule) {
      Impl::CompiledRule& compiled = *impl.rules[rule];
      if (compiled.kind != Impl::Kind::Sequence || compiled.ordering_index != o) continue;
      for (std::uint32_t flagged : compiled.held) {
        rules_of[next[flagged & ~kFirstStage]++] = rule | (flagged & kFirstStage);
      }
      compiled.held = {};
    }
    next = {};
    std::vector<std::uint32_t> order(held.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return earlier(held[a], held[b]); });
    for (std::uint32_t event : order) {
      for (std::uint32_t k = first[event]; k < first[event + 1]; ++k) {
        std::uint32_t rule = rules_of[k] & ~kFirstStage;
        if (!impl.arm(*impl.rules[rule], rules_of[k])) continue;
        SequenceMatcher& sequence = *impl.rules[rule]->sequence;
        sequence.push(held[event], impl.context);
        for (JoinResult& result : sequence.take_results()) found[rule].push_back(std::move(result));
      }
    }
    impl.orderings[o].held = {};
  }
  for (std::size_t rule = 0; rule < impl.rules.size(); ++rule) {
    Impl::CompiledRule& compiled = *impl.rules[rule];
    if (compiled.kind == Impl::Kind::Sample) {
      for (JoinResult& result : compiled.sample->finish()) {
        impl.emit(rule, std::move(result.events), std::move(result.keys), true);
      }
      continue;
    }
    if (compiled.kind != Impl::Kind::Sequence) continue;
    for (JoinResult& result : found[rule]) {
      impl.emit(rule, std::move(result.events), std::move(result.keys), true);
    }
    found[rule] = {};
    compiled.sequence->finish();
    impl.drain(rule);
  }
  found = {};
}

void RuleRunner::release_overdue() {
  Impl& impl = *impl_;
  if (impl.options.order != RunnerOptions::Order::Stream || impl.options.max_delay_ms <= 0) return;
  const auto deadline = ReorderWindow::Clock::now() - std::chrono::milliseconds(impl.options.max_delay_ms);
  for (Impl::Ordering& ordering : impl.orderings) {
    std::optional<EpochNanos> until = ordering.window.overdue_until(deadline);
    while (until && !ordering.window.empty() && ordering.window.oldest_time() <= *until) impl.release(ordering);
  }
}

const std::optional<OutOfOrder>& RuleRunner::out_of_order() const { return impl_->out_of_order; }

void RuleRunner::begin_second_pass() {
  Impl& impl = *impl_;
  if (impl.phase == Impl::Phase::Optimistic) impl.give_up_sequences(std::nullopt);
  if (impl.phase != Impl::Phase::Abandoned) return;
  impl.phase = Impl::Phase::SecondPass;
  // The sequence rules' counters start again: the second pass counts them as a held run
  // would have, and no other rule sees its events.
  for (auto& compiled : impl.rules) {
    if (compiled->kind != Impl::Kind::Sequence) continue;
    impl.stats.evaluations -= compiled->stats.evaluations;
    compiled->stats.evaluations = 0;
    compiled->stats.excepted = 0;
    compiled->held = {};
  }
  impl.stats.untimed_events = 0;  // only sequence rules count them
  // Input positions start again (they order ties and key the per-event caches).
  impl.first_pass_events = impl.stats.events;
  impl.stats.events = 0;
  impl.index.reset_presence();
  for (Impl::Ordering& ordering : impl.orderings) {
    ordering.current = nullptr;
    ordering.current_event = UINT64_MAX;
    ordering.held = {};
    ordering.last_held_event = UINT64_MAX;
  }
}

}  // namespace eql
