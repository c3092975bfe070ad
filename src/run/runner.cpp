// The rule runner (include/eql/runner.h). Event rules that require a field to equal one of
// a few literal strings (`process.name : ("a", "b")` as a conjunct of the condition) are
// indexed by those values; the other rules by the event category they test. So an event is
// evaluated only against rules whose required value or category it has, plus the rules
// that test any category or another category field. Sequence and sample rules are fed only
// the events that match one of their stages; in exact mode those are the only events held.
#include "eql/runner.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <queue>
#include <unordered_map>

#include "eql/eval.h"
#include "eql/parser.h"

namespace eql {

namespace {

constexpr std::string_view kDefaultTimestampField = "@timestamp";
constexpr std::string_view kDefaultCategoryField = "event.category";

std::string lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool glob_matches(std::string_view pattern, std::string_view text) {
  // `*` only; the classic backtracking to the last star keeps it linear enough for names.
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Kibana's wildcard exception values: `*` any run, `?` one character (byte).
bool glob_with_question(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// `.ds-logs-endpoint.events.process-default-2024.01.31-000001` -> the data stream name.
std::optional<std::string_view> data_stream_of_backing_index(std::string_view index) {
  if (index.substr(0, 4) != ".ds-") return std::nullopt;
  std::string_view rest = index.substr(4);
  auto generation = rest.rfind('-');
  if (generation == std::string_view::npos) return std::nullopt;
  auto date = rest.rfind('-', generation - 1);
  if (date == std::string_view::npos || generation == 0) return std::nullopt;
  return rest.substr(0, date);
}

bool earlier(const EventRef& a, const EventRef& b) { return sequence_order_before(*a, *b); }

struct Later {
  bool operator()(const EventRef& a, const EventRef& b) const { return earlier(b, a); }
};

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// A necessary condition of a rule: `field` must hold one of `values` (lower-cased), read
// from a conjunct `field == "v"`, `field : "v"`, `field like "v"` or `field in ("v", ...)`
// without wildcards. Lower-casing both sides and ignoring the operator's case rule only
// widens the set of candidates, so the index never hides a match.
struct Gate {
  std::string field;
  std::vector<std::string> values;
};

std::optional<Gate> gate_of(const ast::Expr& conjunct) {
  auto field_of = [](const ast::Expr& expr) -> const ast::Field* {
    const auto* field = expr.as<ast::Field>();
    return field && !field->optional ? field : nullptr;
  };
  auto literal = [](std::string_view text, bool wildcards) -> std::optional<std::string> {
    if (!is_ascii(text)) return std::nullopt;
    if (wildcards && text.find_first_of("*?\\") != std::string_view::npos) return std::nullopt;
    return lowered(text);
  };
  Gate gate;
  if (const auto* compare = conjunct.as<ast::Compare>()) {
    if (compare->op != ast::CompareOp::Eq) return std::nullopt;
    const ast::Field* field = field_of(*compare->left);
    const auto* value = compare->right->as<ast::StringLiteral>();
    if (!field || !value) {
      field = field_of(*compare->right);
      value = compare->left->as<ast::StringLiteral>();
    }
    if (!field || !value) return std::nullopt;
    auto text = literal(value->value, false);
    if (!text) return std::nullopt;
    gate.field = field->name;
    gate.values.push_back(*text);
  } else if (const auto* match = conjunct.as<ast::Match>()) {
    if (match->op == ast::MatchOp::Regex) return std::nullopt;
    const ast::Field* field = field_of(*match->value);
    if (!field) return std::nullopt;
    gate.field = field->name;
    for (const ast::StringLiteral& pattern : match->patterns) {
      auto text = literal(pattern.value, true);
      if (!text) return std::nullopt;
      gate.values.push_back(*text);
    }
  } else if (const auto* in = conjunct.as<ast::In>()) {
    if (in->negated) return std::nullopt;
    const ast::Field* field = field_of(*in->value);
    if (!field) return std::nullopt;
    gate.field = field->name;
    for (const ast::ExprPtr& candidate : in->candidates) {
      const auto* value = candidate->as<ast::StringLiteral>();
      if (!value) return std::nullopt;
      auto text = literal(value->value, false);
      if (!text) return std::nullopt;
      gate.values.push_back(*text);
    }
  } else {
    return std::nullopt;
  }
  if (gate.values.empty()) return std::nullopt;
  return gate;
}

// Every necessary condition of an expression, by field: `a and b` needs what either needs;
// `a or b` needs, for a field both need, one of the values of either.
std::map<std::string, std::vector<std::string>> necessary_values(const ast::Expr& expr) {
  std::map<std::string, std::vector<std::string>> needs;
  if (const auto* logical = expr.as<ast::Logical>()) {
    if (logical->op == ast::LogicOp::And) {
      for (const ast::ExprPtr& operand : logical->operands) {
        for (auto& [field, values] : necessary_values(*operand)) {
          auto found = needs.find(field);
          // Two needs on one field: keep the narrower (either is necessary).
          if (found == needs.end() || values.size() < found->second.size()) needs[field] = std::move(values);
        }
      }
      return needs;
    }
    bool first = true;
    for (const ast::ExprPtr& operand : logical->operands) {
      auto branch = necessary_values(*operand);
      if (first) {
        needs = std::move(branch);
        first = false;
        continue;
      }
      for (auto it = needs.begin(); it != needs.end();) {
        auto found = branch.find(it->first);
        if (found == branch.end()) {
          it = needs.erase(it);
          continue;
        }
        it->second.insert(it->second.end(), found->second.begin(), found->second.end());
        ++it;
      }
      if (needs.empty()) break;
    }
    return needs;
  }
  if (std::optional<Gate> gate = gate_of(expr)) needs[gate->field] = std::move(gate->values);
  return needs;
}

// The most telling gate of a condition: fields such as host.os.type split events in few
// groups, so a gate on another field (process.name) is preferred, then the fewest values.
std::optional<Gate> best_gate(const ast::Expr& condition) {
  static constexpr std::string_view kCoarse[] = {"host.os.type", "event.type", "event.kind",
                                                 "event.outcome", "event.category", "host.os.family",
                                                 "host.os.platform", "event.action"};
  auto coarse = [](const std::string& field) {
    return std::find(std::begin(kCoarse), std::end(kCoarse), field) != std::end(kCoarse);
  };
  std::optional<Gate> best;
  for (auto& [field, values] : necessary_values(condition)) {
    if (values.empty()) continue;
    bool better = !best || (coarse(best->field) && !coarse(field)) ||
                  (coarse(best->field) == coarse(field) && values.size() < best->values.size());
    if (better) best = Gate{field, values};
  }
  return best;
}

}  // namespace

std::string alert_id(std::string_view rule_id, const std::vector<EventRef>& events) {
  // Two FNV-1a passes from different starting points: 128 bits, stable across runs and
  // machines (std::hash is neither).
  std::uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
  auto feed = [&](std::string_view bytes) {
    a = fnv1a(a, bytes);
    b = fnv1a(b, bytes);
    a = fnv1a(a, std::string_view("\x1f", 1));
    b = fnv1a(b, std::string_view("\x1e", 1));
  };
  feed(rule_id);
  for (const EventRef& event : events) feed(event ? std::string_view(event->json()) : "null");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (std::uint64_t part : {a, b}) {
    for (int shift = 60; shift >= 0; shift -= 4) id += kHex[(part >> shift) & 0xF];
  }
  return id;
}

bool index_matches(std::string_view pattern, std::string_view index) {
  // A cross-cluster pattern (`remote:logs-*`) is matched by its index part.
  if (auto colon = pattern.find(':'); colon != std::string_view::npos) pattern = pattern.substr(colon + 1);
  if (glob_matches(pattern, index)) return true;
  if (auto stream = data_stream_of_backing_index(index)) return glob_matches(pattern, *stream);
  return false;
}

bool exception_item_supported(const ExceptionListItem& item) {
  if (item.entries.empty()) return false;
  return std::all_of(item.entries.begin(), item.entries.end(), [](const ExceptionEntry& entry) {
    bool type_known = entry.type == "match" || entry.type == "match_any" || entry.type == "wildcard" ||
                      entry.type == "exists";
    bool operator_known = entry.operator_name == "included" || entry.operator_name == "excluded";
    return type_known && operator_known && !entry.field.empty();
  });
}

bool exception_item_matches(const ExceptionListItem& item, const Event& event) {
  if (item.entries.empty()) return false;
  for (const ExceptionEntry& entry : item.entries) {
    bool holds = false;
    for (const Value& value : event.values(entry.field)) {
      if (value.is_null()) continue;
      if (entry.type == "exists") {
        holds = true;
        break;
      }
      std::string text = to_display_string(value);
      for (const std::string& wanted : entry.values) {
        if (entry.type == "wildcard" ? glob_with_question(wanted, text) : wanted == text) {
          holds = true;
          break;
        }
      }
      if (holds) break;
    }
    if (entry.operator_name == "excluded") holds = !holds;
    if (!holds) return false;
  }
  return true;
}

std::string event_index(const Event& event) {
  Value index = event.first("_index");
  if (index.kind == ValueKind::String && !index.string.empty()) return std::string(index.string);
  Value type = event.first("data_stream.type");
  Value dataset = event.first("data_stream.dataset");
  Value space = event.first("data_stream.namespace");
  if (type.kind == ValueKind::String && dataset.kind == ValueKind::String && space.kind == ValueKind::String) {
    return std::string(type.string) + "-" + std::string(dataset.string) + "-" + std::string(space.string);
  }
  return {};
}

struct RuleRunner::Impl {
  enum class Kind { Event, Sequence, Sample };

  struct CompiledRule {
    Rule rule;
    Kind kind = Kind::Event;
    std::optional<FilterProgram> filter;      // event rules
    std::vector<FilterProgram> stage_filters;  // sequences and samples: what they can use
    std::unique_ptr<SequenceMatcher> sequence;
    std::unique_ptr<SampleMatcher> sample;
    std::vector<std::string> include_patterns;
    std::vector<std::string> exclude_patterns;
    // Ordering by the rule's own fields; empty ordering_key: the reader's (@timestamp).
    std::string ordering_key;
    EventReadOptions ordering;
    // Exact mode: the events it can use; stream mode: the reorder window.
    std::vector<EventRef> held;
    std::priority_queue<EventRef, std::vector<EventRef>, Later> window;
    std::optional<EpochNanos> newest;
    EventRef last_released;
    std::vector<ExceptionListItem> exceptions;
    RuleRunStats stats;
    std::uint64_t last_event = UINT64_MAX;  // the event it was last evaluated on
  };

  RunnerOptions options;
  std::vector<std::unique_ptr<CompiledRule>> rules;
  std::unordered_map<std::string, std::vector<std::size_t>> by_category;  // lower-cased
  std::vector<std::size_t> every_event;  // `any`, other category fields
  struct GateIndex {
    std::string field;
    std::unordered_map<std::string, std::vector<std::size_t>> by_value;  // lower-cased
    std::vector<std::size_t> all;  // for values the index cannot read (numbers, non-ASCII)
  };
  std::vector<GateIndex> gates;
  std::function<void(Alert&&)> sink;
  RunnerStats stats;
  EvalContext context;
  std::vector<std::size_t> candidates;
  std::map<std::string, EventRef, std::less<>> reordered;  // per event: copies by ordering
  const std::vector<bool>* only = nullptr;  // during a push: the rules it may evaluate

  bool sees_index(const CompiledRule& compiled, std::string_view index) const {
    if (options.ignore_index || index.empty() || compiled.include_patterns.empty()) return true;
    for (const auto& pattern : compiled.exclude_patterns) {
      if (index_matches(pattern, index)) return false;
    }
    for (const auto& pattern : compiled.include_patterns) {
      if (index_matches(pattern, index)) return true;
    }
    return false;
  }

  void emit(std::size_t rule, std::vector<EventRef> events, CompositeKey keys, bool join) {
    CompiledRule& compiled = *rules[rule];
    ++compiled.stats.alerts;
    Alert alert;
    alert.rule = rule;
    alert.id = alert_id(compiled.rule.rule_id, events);
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
    if (compiled.ordering_key.empty()) return event;
    auto found = reordered.find(compiled.ordering_key);
    if (found != reordered.end()) return found->second;
    Event copy = *event;
    extract_ordering(copy, compiled.ordering);
    if (!copy.timestamp) copy.timestamp = event->timestamp;
    auto view = std::make_shared<const Event>(std::move(copy));
    reordered.emplace(compiled.ordering_key, view);
    return view;
  }

  void feed_sequence(std::size_t rule, const EventRef& event) {
    CompiledRule& compiled = *rules[rule];
    EventRef view = ordered_view(compiled, event);
    if (!view->timestamp) {
      ++stats.untimed_events;
      return;
    }
    if (options.order == RunnerOptions::Order::Exact) {
      compiled.held.push_back(std::move(view));
      return;
    }
    if (compiled.last_released && earlier(view, compiled.last_released)) {
      ++stats.late_events;
      return;
    }
    compiled.newest = compiled.newest ? std::max(*compiled.newest, *view->timestamp) : *view->timestamp;
    compiled.window.push(std::move(view));
    const std::int64_t lateness = options.max_lateness_ms * 1'000'000;
    while (!compiled.window.empty() && *compiled.window.top()->timestamp <= *compiled.newest - lateness) {
      compiled.last_released = compiled.window.top();
      compiled.window.pop();
      compiled.sequence->push(compiled.last_released, context);
      drain(rule);
    }
  }

  void evaluate(std::size_t rule, const EventRef& event, std::string_view index) {
    if (only && !(*only)[rule]) return;
    CompiledRule& compiled = *rules[rule];
    if (compiled.last_event == stats.events) return;  // reached through two categories
    compiled.last_event = stats.events;
    if (!sees_index(compiled, index)) return;
    for (const ExceptionListItem& item : compiled.exceptions) {
      if (exception_item_matches(item, *event)) {
        ++compiled.stats.excepted;
        return;
      }
    }
    ++compiled.stats.evaluations;
    ++stats.evaluations;
    if (compiled.kind == Kind::Event) {
      // The alert's event carries the rule's own timestamp (timestamp_override).
      if (compiled.filter->matches(*event, context)) emit(rule, {ordered_view(compiled, event)}, {}, false);
      return;
    }
    bool usable = std::any_of(compiled.stage_filters.begin(), compiled.stage_filters.end(),
                              [&](const FilterProgram& stage) { return stage.matches(*event, context); });
    if (!usable) return;
    if (compiled.kind == Kind::Sample) {
      compiled.sample->push(event, context);
    } else {
      feed_sequence(rule, event);
    }
  }
};

RuleRunner::RuleRunner(RunnerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}

RuleRunner::~RuleRunner() = default;

std::size_t RuleRunner::rule_count() const { return impl_->rules.size(); }
const Rule& RuleRunner::rule(std::size_t index) const { return impl_->rules[index]->rule; }
void RuleRunner::set_alert_sink(std::function<void(Alert&&)> sink) { impl_->sink = std::move(sink); }
const RunnerStats& RuleRunner::stats() const { return impl_->stats; }
const RuleRunStats& RuleRunner::rule_stats(std::size_t index) const { return impl_->rules[index]->stats; }

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
  compiled->exceptions = std::move(exceptions);
  FilterOptions filter_options;
  filter_options.field_types = impl_->options.field_types;
  if (!rule.event_category_override.empty()) filter_options.category_field = rule.event_category_override;
  for (const std::string& pattern : rule.index) {
    if (!pattern.empty() && pattern.front() == '-') compiled->exclude_patterns.push_back(pattern.substr(1));
    else compiled->include_patterns.push_back(pattern);
  }
  if ((!rule.timestamp_override.empty() && rule.timestamp_override != kDefaultTimestampField) ||
      !rule.tiebreaker_field.empty()) {
    compiled->ordering.timestamp_field =
        rule.timestamp_override.empty() ? std::string(kDefaultTimestampField) : rule.timestamp_override;
    compiled->ordering.tiebreaker_field = rule.tiebreaker_field;
    compiled->ordering_key = compiled->ordering.timestamp_field + '\n' + compiled->ordering.tiebreaker_field;
  }

  // The categories an event must have to matter to the rule; empty means any event may.
  std::vector<std::string> categories;
  bool any_category = filter_options.category_field != kDefaultCategoryField;
  auto note_category = [&](const ast::EventFilter& filter) {
    if (filter.any || filter.category.empty()) any_category = true;
    else categories.push_back(lowered(filter.category));
  };
  // Gates: one per event filter (each stage of a sequence or sample); the rule is indexed by
  // them only when every filter has one.
  std::vector<Gate> gates;
  bool every_filter_gated = true;
  auto note_gate = [&](const ast::EventFilter& filter) {
    std::optional<Gate> gate;
    if (filter.condition) gate = best_gate(*filter.condition);
    if (gate && filter_options.field_types) {
      // Only keyword fields compare as the index reads them (an ip or a date has many
      // spellings, text is analyzed); an alias is read from its path.
      std::optional<FieldInfo> info = filter_options.field_types->lookup(gate->field);
      if (info && info->type != FieldType::String && info->type != FieldType::Unknown) {
        gate.reset();
      } else if (info && !info->path.empty()) {
        gate->field = info->path;
      }
    }
    if (gate) gates.push_back(std::move(*gate));
    else every_filter_gated = false;
  };
  auto add_stage = [&](const ast::Term& term) -> bool {
    note_category(term.filter);
    note_gate(term.filter);
    FilterCompileResult stage = compile_filter(term.filter, filter_options);
    for (auto& d : stage.diagnostics) diagnostics.push_back(std::move(d));
    if (!stage.program) return false;
    compiled->stage_filters.push_back(std::move(*stage.program));
    return true;
  };

  if (const ast::EventFilter* filter = query.event()) {
    compiled->kind = Impl::Kind::Event;
    note_gate(*filter);
    note_category(*filter);
    FilterCompileResult program = compile_filter(*filter, filter_options);
    for (auto& d : program.diagnostics) diagnostics.push_back(std::move(d));
    if (!program.program) return diagnostics;
    compiled->filter = std::move(*program.program);
  } else if (const ast::Sequence* sequence = query.sequence()) {
    compiled->kind = Impl::Kind::Sequence;
    for (const ast::Term& term : sequence->terms) {
      if (!add_stage(term)) return diagnostics;
    }
    if (sequence->until && !add_stage(*sequence->until)) return diagnostics;
    SequenceOptions sequence_options;
    sequence_options.filter = filter_options;
    sequence_options.max_pending = impl_->options.max_pending;
    SequenceCompileResult matcher = SequenceMatcher::compile(*sequence, sequence_options);
    for (auto& d : matcher.diagnostics) diagnostics.push_back(std::move(d));
    if (!matcher.matcher) return diagnostics;
    compiled->sequence = std::move(matcher.matcher);
  } else if (const ast::Sample* sample = query.sample()) {
    compiled->kind = Impl::Kind::Sample;
    for (const ast::Term& term : sample->terms) {
      if (!add_stage(term)) return diagnostics;
    }
    SampleOptions sample_options;
    sample_options.filter = filter_options;
    sample_options.max_samples_per_key = impl_->options.max_samples_per_key;
    SampleCompileResult matcher = SampleMatcher::compile(*sample, sample_options);
    for (auto& d : matcher.diagnostics) diagnostics.push_back(std::move(d));
    if (!matcher.matcher) return diagnostics;
    compiled->sample = std::move(matcher.matcher);
  }
  if (has_errors(diagnostics)) return diagnostics;

  std::size_t index = impl_->rules.size();
  impl_->rules.push_back(std::move(compiled));
  if (every_filter_gated && !gates.empty()) {
    for (Gate& gate : gates) {
      auto found = std::find_if(impl_->gates.begin(), impl_->gates.end(),
                                [&](const Impl::GateIndex& g) { return g.field == gate.field; });
      if (found == impl_->gates.end()) {
        impl_->gates.push_back({gate.field, {}, {}});
        found = impl_->gates.end() - 1;
      }
      std::sort(gate.values.begin(), gate.values.end());
      gate.values.erase(std::unique(gate.values.begin(), gate.values.end()), gate.values.end());
      for (const std::string& value : gate.values) {
        auto& rules = found->by_value[value];
        if (rules.empty() || rules.back() != index) rules.push_back(index);
      }
      if (found->all.empty() || found->all.back() != index) found->all.push_back(index);
    }
  } else if (any_category) {
    impl_->every_event.push_back(index);
  } else {
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
    for (const std::string& category : categories) impl_->by_category[category].push_back(index);
  }
  return diagnostics;
}

void RuleRunner::push(Event&& parsed, std::string_view index) {
  Impl& impl = *impl_;
  parsed.ordinal = impl.stats.events;
  std::string own_index = event_index(parsed);
  std::string_view effective = own_index.empty() ? index : std::string_view(own_index);
  auto event = std::make_shared<const Event>(std::move(parsed));
  impl.reordered.clear();

  // Candidates in rule order, so alerts of one event come out in the order rules were added.
  impl.candidates.assign(impl.every_event.begin(), impl.every_event.end());
  for (const Value& category : event->values(kDefaultCategoryField)) {
    if (category.kind != ValueKind::String) continue;
    auto found = impl.by_category.find(lowered(category.string));
    if (found != impl.by_category.end()) {
      impl.candidates.insert(impl.candidates.end(), found->second.begin(), found->second.end());
    }
  }
  for (const Impl::GateIndex& gate : impl.gates) {
    for (const Value& value : event->values(gate.field)) {
      const std::vector<std::size_t>* rules = &gate.all;
      std::string key;
      if (value.kind == ValueKind::String && is_ascii(value.string)) {
        key = lowered(value.string);
        auto found = gate.by_value.find(key);
        if (found != gate.by_value.end()) {
          rules = &found->second;
        } else if (!parse_number(value.string)) {
          continue;
        }  // text that reads as a number may equal a literal written otherwise: every rule
      }
      impl.candidates.insert(impl.candidates.end(), rules->begin(), rules->end());
    }
  }
  std::sort(impl.candidates.begin(), impl.candidates.end());
  for (std::size_t rule : impl.candidates) impl.evaluate(rule, event, effective);
  ++impl.stats.events;
}

void RuleRunner::push(Event&& event, std::string_view index, const std::vector<bool>& rules) {
  impl_->only = &rules;
  push(std::move(event), index);
  impl_->only = nullptr;
}

void RuleRunner::finish() {
  Impl& impl = *impl_;
  for (std::size_t rule = 0; rule < impl.rules.size(); ++rule) {
    Impl::CompiledRule& compiled = *impl.rules[rule];
    if (compiled.kind == Impl::Kind::Sample) {
      for (JoinResult& result : compiled.sample->finish()) {
        impl.emit(rule, std::move(result.events), std::move(result.keys), true);
      }
      continue;
    }
    if (compiled.kind != Impl::Kind::Sequence) continue;
    std::stable_sort(compiled.held.begin(), compiled.held.end(), earlier);
    for (const EventRef& event : compiled.held) {
      compiled.sequence->push(event, impl.context);
      impl.drain(rule);
    }
    compiled.held = {};
    while (!compiled.window.empty()) {
      compiled.sequence->push(compiled.window.top(), impl.context);
      compiled.window.pop();
      impl.drain(rule);
    }
    compiled.sequence->finish();
    impl.drain(rule);
  }
}

}  // namespace eql
