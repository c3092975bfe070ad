// The rule runner (include/eql/runner.h): the orchestration of its parts. A rule is parsed
// and compiled once (add_rule) and filed with each part under its number: the rule index
// (run/rule_index.h: which rules an event may matter to), the index patterns
// (run/index_patterns.h), and the ordering (run/ordering.h: timestamp overrides, held
// replay, reorder windows, second pass). Per event (push): the index marks the candidates;
// each is checked against its index patterns, its required fields and its exception items
// (run/exceptions.h), then evaluated; event rules alert at once, sample rules collect,
// sequence rules are fed through their ordering. finish() ends every rule in rule order.
#include "eql/runner.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "eql/eval.h"
#include "eql/parser.h"
#include "run/exceptions.h"
#include "run/index_patterns.h"
#include "run/lineage.h"
#include "run/ordering.h"
#include "run/rule_index.h"

namespace eql {

namespace {

using detail::kTermsUndecided;

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

// Per stage of a sequence or sample (its terms, then `until`), per join key position, the
// field the key names; empty for a key that is not a plain field.
std::vector<std::vector<std::string>> join_key_fields_of(const ast::Query& query) {
  std::vector<std::vector<std::string>> stages;
  auto add_stage = [&](const std::vector<ast::ExprPtr>& shared, const ast::Term& term) {
    std::vector<std::string> fields;
    for (const auto* keys : {&shared, &term.keys}) {
      for (const ast::ExprPtr& key : *keys) {
        const auto* reference = key->as<ast::Field>();
        fields.push_back(reference ? reference->name : std::string());
      }
    }
    stages.push_back(std::move(fields));
  };
  if (const ast::Sequence* sequence = query.sequence()) {
    for (const ast::Term& term : sequence->terms) add_stage(sequence->keys, term);
    if (sequence->until) add_stage(sequence->keys, *sequence->until);
  } else if (const ast::Sample* sample = query.sample()) {
    for (const ast::Term& term : sample->terms) add_stage(sample->keys, term);
  }
  return stages;
}

}  // namespace

struct RuleRunner::Impl {
  enum class Kind { Event, Sequence, Sample };

  struct CompiledRule {
    Rule rule;
    std::string identity;  // what its alert ids hash: rule_identity(rule)
    Kind kind = Kind::Event;
    std::optional<FilterProgram> filter;      // event rules
    std::vector<FilterProgram> stage_filters;  // sequences and samples: what they can use
    std::unique_ptr<SequenceMatcher> sequence;  // until the ordering takes it (add_rule)
    SequenceOptions sequence_options;
    std::unique_ptr<SampleMatcher> sample;
    std::vector<ExceptionListItem> exceptions;
    RuleRunStats stats;
    std::vector<std::vector<std::string>> join_key_fields;  // RuleRunner::join_key_fields
  };

  explicit Impl(const RunnerOptions& run_options)
      : options(run_options),
        patterns(run_options.ignore_index),
        lineage(lineage_options(run_options)),
        ordering(run_options, stats, context, [this](std::size_t rule, JoinResult&& match) {
          emit(rule, std::move(match.events), std::move(match.keys), true);
        }) {}

  RunnerOptions options;
  std::vector<std::unique_ptr<CompiledRule>> rules;
  detail::RuleIndex index;        // which rules an event may matter to
  detail::IndexPatterns patterns;  // which rules see an event, by its index
  ProcessTree lineage;  // asked by `descendant of`/`child of`; fed each event before the rules
  std::function<void(Alert&&)> sink;
  RunnerStats stats;
  EvalContext context;
  detail::Ordering ordering;  // after stats and context, which it uses
  const std::vector<bool>* only = nullptr;  // during a push: the rules it may evaluate
  std::vector<std::string> fields_read;     // see RuleRunner::fields_read (not yet unique)

  // Notes what a compiled rule reads from events (its matcher still in `compiled`).
  void note_fields_read(const CompiledRule& compiled, const FilterOptions& filter_options) {
    auto add = [&](std::vector<std::string> paths) {
      for (std::string& path : paths) fields_read.push_back(std::move(path));
    };
    if (compiled.filter) add(compiled.filter->fields());
    if (compiled.sequence) add(compiled.sequence->fields());
    if (compiled.sample) add(compiled.sample->fields());
    for (const FilterProgram& stage : compiled.stage_filters) add(stage.fields());
    const Rule& rule = compiled.rule;
    for (const std::string* field : {&rule.timestamp_override, &rule.tiebreaker_field, &rule.event_category_override,
                                     &filter_options.category_field}) {
      if (!field->empty()) fields_read.push_back(*field);
    }
    add(detail::exception_fields(compiled.exceptions));
  }

  static LineageOptions lineage_options(const RunnerOptions& run_options) {
    LineageOptions lineage;
    lineage.max_processes = run_options.max_processes;
    return lineage;
  }

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

  // The event against one candidate rule (its index patterns already passed).
  void evaluate(std::size_t rule, const EventRef& event) {
    if (only && !(*only)[rule]) return;
    CompiledRule& compiled = *rules[rule];
    // Out of order: the sequence rules wait for the second pass, which is for them alone.
    if (!ordering.feeds_sequences() && compiled.kind == Kind::Sequence) return;
    if (ordering.second_pass() && compiled.kind != Kind::Sequence) return;
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
      if (compiled.filter->matches(*event, context)) emit(rule, {ordering.view(rule, event)}, {}, false);
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
      if (term_matches != 0) ordering.feed(rule, event, (term_matches & 1) != 0, term_matches);
      return;
    }
    bool first_stage = compiled.stage_filters.front().matches(*event, context);
    bool usable = first_stage || std::any_of(compiled.stage_filters.begin() + 1, compiled.stage_filters.end(),
                                             [&](const FilterProgram& stage) { return stage.matches(*event, context); });
    if (!usable) return;
    if (compiled.kind == Kind::Sample) {
      compiled.sample->push(event, context);
    } else {
      ordering.feed(rule, event, first_stage, kTermsUndecided);
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
      for (const ast::Term& term : sequence->terms) {
        if (!add_stage(term)) return false;
      }
      if (sequence->until && !add_stage(*sequence->until)) return false;
      SequenceOptions sequence_options;
      sequence_options.filter = filter_options;
      sequence_options.max_pending = options.max_pending;
      // The matcher shares the stage programs just compiled.
      SequenceCompileResult matcher = SequenceMatcher::compile(*sequence, sequence_options, compiled.stage_filters);
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
};

RuleRunner::RuleRunner(RunnerOptions options) : impl_(std::make_unique<Impl>(options)) {}

RuleRunner::~RuleRunner() = default;

std::size_t RuleRunner::rule_count() const { return impl_->rules.size(); }
const Rule& RuleRunner::rule(std::size_t index) const { return impl_->rules[index]->rule; }
const std::vector<std::vector<std::string>>& RuleRunner::join_key_fields(std::size_t index) const {
  return impl_->rules[index]->join_key_fields;
}
const RunnerOptions& RuleRunner::options() const { return impl_->options; }

std::unique_ptr<RuleRunner> RuleRunner::same_rules(const RunnerOptions& options,
                                                   const std::vector<std::size_t>& rules) const {
  auto copy = std::make_unique<RuleRunner>(options);
  for (std::size_t rule : rules) copy->add_rule(impl_->rules[rule]->rule, impl_->rules[rule]->exceptions);
  return copy;
}

void RuleRunner::stateful_rules_using(const Event& event, std::string_view index, std::vector<std::size_t>& out) {
  Impl& impl = *impl_;
  out.clear();
  std::string own_index = event_index(event);
  std::string_view effective = own_index.empty() ? index : std::string_view(own_index);
  impl.patterns.select(effective);
  // The stamp push gives this event next: marking it twice marks the same fields.
  const std::uint64_t stamp = impl.stats.events + 1;
  impl.index.mark_candidates(event, stamp);
  impl.index.for_each_candidate([&](std::uint32_t rule) {
    const Impl::CompiledRule& compiled = *impl.rules[rule];
    if (compiled.kind == Impl::Kind::Event || !impl.patterns.sees(rule, effective) ||
        !impl.index.has_required_fields(rule, stamp) || detail::any_exception_matches(compiled.exceptions, event)) {
      return;
    }
    if (std::any_of(compiled.stage_filters.begin(), compiled.stage_filters.end(),
                    [&](const FilterProgram& stage) { return stage.matches(event, impl.context); })) {
      out.push_back(rule);
    }
  });
}
void RuleRunner::set_alert_sink(std::function<void(Alert&&)> sink) { impl_->sink = std::move(sink); }
const RunnerStats& RuleRunner::stats() const {
  const LineageStats& lineage = impl_->lineage.stats();
  impl_->stats.processes_evicted = lineage.evicted;
  impl_->stats.processes_expired = lineage.expired;
  impl_->stats.lineage_walks_cut = lineage.walks_cut;
  impl_->stats.processes_peak = lineage.peak;
  return impl_->stats;
}
const RuleRunStats& RuleRunner::rule_stats(std::size_t index) const { return impl_->rules[index]->stats; }
void RuleRunner::set_sequence_observer(std::size_t index, SequenceObserver* observer) {
  impl_->ordering.set_observer(index, observer);
}

const SequenceStats* RuleRunner::sequence_stats(std::size_t index) const {
  return impl_->ordering.sequence_stats(index);
}

Diagnostics RuleRunner::add_rule(const Rule& rule) { return add_rule(rule, {}); }

Diagnostics RuleRunner::add_rule(const Rule& rule, std::vector<ExceptionListItem> exceptions) {
  ParseOptions parse_options;
  parse_options.dialect = rule.dialect;
  return add_rule(rule, std::move(exceptions), parse_query(rule.query, parse_options));
}

Diagnostics RuleRunner::add_rule(const Rule& rule, std::vector<ExceptionListItem> exceptions, ParseResult parsed) {
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
  filter_options.lineage = &impl_->lineage;
  if (!rule.event_category_override.empty()) filter_options.category_field = rule.event_category_override;
  if (!impl_->compile(*compiled, query, filter_options, diagnostics) || has_errors(diagnostics)) return diagnostics;
  compiled->join_key_fields = join_key_fields_of(query);

  // Compiled: the rule is filed with each part of the runner, under the number it gets.
  impl_->note_fields_read(*compiled, filter_options);
  impl_->patterns.add_rule(rule.index);
  impl_->index.add_rule(event_filters(query), filter_options.field_types, filter_options.category_field);
  if (compiled->kind == Impl::Kind::Sequence) {
    // The ordering keeps the query: a second pass compiles the matcher afresh from it.
    impl_->ordering.add_sequence(rule, std::make_unique<const ast::Query>(std::move(*parsed.query)),
                                 std::move(compiled->sequence), compiled->sequence_options, compiled->stage_filters);
  } else {
    impl_->ordering.add_rule(rule);
  }
  impl_->rules.push_back(std::move(compiled));
  return diagnostics;
}

std::vector<std::string> RuleRunner::fields_read() const {
  std::vector<std::string> paths = impl_->fields_read;
  for (std::string& path : impl_->lineage.fields_read()) paths.push_back(std::move(path));
  // What the runner itself reads: the default time and category (the ordering and the
  // rule index) and the fields event_index names an event's index by.
  for (std::string_view own : {kDefaultTimestampField, kDefaultCategoryField, std::string_view("_index"),
                               std::string_view("data_stream.type"), std::string_view("data_stream.dataset"),
                               std::string_view("data_stream.namespace")}) {
    paths.emplace_back(own);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

std::string RuleRunner::explain_index(std::size_t index) const {
  const auto rule = static_cast<std::uint32_t>(index);
  return "index: " + impl_->patterns.describe(rule) + '\n' + impl_->index.describe(rule);
}

std::string RuleRunner::explain_plan(std::size_t top) const {
  struct Shared {
    std::string text;
    std::vector<std::string> fields;
    std::size_t rules = 0;
  };
  std::map<std::uint32_t, Shared> leaves;  // by leaf memo id
  std::size_t uses = 0;
  for (const auto& compiled : impl_->rules) {
    std::set<std::uint32_t> own;  // a rule counts once per leaf, however many stages hold it
    auto add = [&](const FilterProgram& program) {
      for (FilterProgram::LeafUse& use : program.leaf_uses()) {
        ++uses;
        Shared& shared = leaves[use.id];
        if (shared.text.empty()) {
          shared.text = std::move(use.text);
          shared.fields = std::move(use.fields);
        }
        if (own.insert(use.id).second) ++shared.rules;
      }
    };
    if (compiled->filter) add(*compiled->filter);
    for (const FilterProgram& stage : compiled->stage_filters) add(stage);
  }
  std::vector<const Shared*> by_sharing;
  std::map<std::string, std::size_t> per_field;  // distinct leaves reading the field
  for (const auto& [id, shared] : leaves) {
    by_sharing.push_back(&shared);
    for (const std::string& field : shared.fields) ++per_field[field];
  }
  const std::size_t held_twice = static_cast<std::size_t>(
      std::count_if(by_sharing.begin(), by_sharing.end(), [](const Shared* shared) { return shared->rules > 1; }));
  // Most shared first, ties by text: memo ids are handed out process-wide, so their order
  // depends on what else the process compiled.
  std::sort(by_sharing.begin(), by_sharing.end(), [](const Shared* a, const Shared* b) {
    return a->rules != b->rules ? a->rules > b->rules : a->text < b->text;
  });
  std::vector<std::pair<std::string, std::size_t>> fields(per_field.begin(), per_field.end());
  std::stable_sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.second > b.second; });

  std::string out = "plan: " + std::to_string(impl_->rules.size()) + " rules, " + std::to_string(uses) +
                    " leaves, " + std::to_string(leaves.size()) + " distinct (each computed at most once per event), " +
                    std::to_string(held_twice) + " held by two rules or more\n";
  auto line = [&out](std::size_t count, const std::string& text) {
    std::string number = std::to_string(count);
    out += std::string(number.size() < 7 ? 7 - number.size() : 0, ' ') + number + "  " + text + '\n';
  };
  out += "most shared leaves (rules holding each):\n";
  for (std::size_t i = 0; i < by_sharing.size() && i < top; ++i) line(by_sharing[i]->rules, by_sharing[i]->text);
  out += "fields with the most distinct leaves:\n";
  for (std::size_t i = 0; i < fields.size() && i < top; ++i) line(fields[i].second, fields[i].first);
  return out;
}

void RuleRunner::push(Event&& parsed, std::string_view index) {
  Impl& impl = *impl_;
  parsed.ordinal = impl.stats.events;
  std::string own_index = event_index(parsed);
  std::string_view effective = own_index.empty() ? index : std::string_view(own_index);
  auto event = std::make_shared<const Event>(std::move(parsed));
  // The process tree sees every event before any rule does, so that a process start is
  // known to the rules that ask about that very process. Only when some rule asks; not in
  // the second pass, which pushes the same events again (the tree already holds them).
  if (impl.lineage.condition_count() != 0 && !impl.ordering.second_pass()) impl.lineage.observe(*event);
  impl.patterns.select(effective);
  const std::uint64_t stamp = impl.stats.events + 1;
  impl.index.mark_candidates(*event, stamp);
  impl.index.for_each_candidate([&](std::uint32_t rule) {
    // The index patterns first: their verdict is decided once per event and pattern set.
    if (!impl.patterns.sees(rule, effective)) return;
    if (impl.index.has_required_fields(rule, stamp)) impl.evaluate(rule, event);
  });
  impl.ordering.advance();
  ++impl.stats.events;
}

void RuleRunner::push(Event&& event, std::string_view index, const std::vector<bool>& rules) {
  impl_->only = &rules;
  push(std::move(event), index);
  impl_->only = nullptr;
}

void RuleRunner::finish() {
  Impl& impl = *impl_;
  // Sequences first complete what the windows and the held replay give; then every rule
  // ends in rule order, so alerts still come out rule by rule.
  impl.ordering.replay();
  for (std::size_t rule = 0; rule < impl.rules.size(); ++rule) {
    Impl::CompiledRule& compiled = *impl.rules[rule];
    if (compiled.kind == Impl::Kind::Sample) {
      for (JoinResult& result : compiled.sample->finish()) {
        impl.emit(rule, std::move(result.events), std::move(result.keys), true);
      }
    } else if (compiled.kind == Impl::Kind::Sequence) {
      impl.ordering.finish_rule(rule);
    }
  }
  impl.ordering.finished();
}

void RuleRunner::release_overdue() { impl_->ordering.release_overdue(); }

const std::optional<OutOfOrder>& RuleRunner::out_of_order() const { return impl_->ordering.out_of_order(); }

void RuleRunner::begin_second_pass() {
  Impl& impl = *impl_;
  if (!impl.ordering.begin_second_pass()) return;
  // The sequence rules' counters start again: the second pass counts them as a held run
  // would have, and no other rule sees its events.
  for (auto& compiled : impl.rules) {
    if (compiled->kind != Impl::Kind::Sequence) continue;
    impl.stats.evaluations -= compiled->stats.evaluations;
    compiled->stats.evaluations = 0;
    compiled->stats.excepted = 0;
  }
  impl.stats.untimed_events = 0;  // only sequence rules count them
  // Input positions start again (they order ties and key the per-event caches).
  impl.stats.events = 0;
  impl.index.reset_presence();
}

}  // namespace eql
