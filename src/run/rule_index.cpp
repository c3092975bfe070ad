// The rule index (src/run/rule_index.h). Event rules that require a field to equal one of
// a few literal strings (`process.name : ("a", "b")` as a conjunct of the condition) are
// filed by those values; the others by the event category they test, the OS, or a coarse
// field. So an event is evaluated only against rules whose required values it has, plus
// the rules that file under nothing of a kind.
#include "run/rule_index.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "eql/parser.h"
#include "eval/text.h"

namespace eql::detail {

namespace {

using text::is_ascii;

std::string lowered(std::string_view text) {
  std::string out;
  text::fold_ascii_into(text, out);
  return out;
}

// Marks a gate value as a prefix: the event's value must start with the rest; or as a
// suffix: it must end with it. Literal values that start with a mark are not used as gate
// values, so the marks tell the three apart.
constexpr std::string_view kPrefixMark{"\0", 1};
constexpr std::string_view kSuffixMark{"\1", 1};

bool is_affix(std::string_view gate_value) {
  return gate_value.starts_with(kPrefixMark) || gate_value.starts_with(kSuffixMark);
}

// A necessary condition of a rule: the event holds, in at least one of `values`' fields,
// one of that field's values (lower-cased). Read from conjuncts `field == "v"`,
// `field : "v"`, `field like "v"` or `field in ("v", ...)` without wildcards, and from
// `or`s of such conditions, on whatever fields (`process.name : "a" or
// process.pe.original_file_name : "a"`). Lower-casing both sides and ignoring the
// operator's case rule only widens the set of candidates, so the index never hides a match.

struct Gate {
  std::map<std::string, std::vector<std::string>> values;  // field -> lower-cased values

  bool has_affix() const {
    return std::any_of(values.begin(), values.end(), [](const auto& entry) {
      return std::any_of(entry.second.begin(), entry.second.end(), is_affix);
    });
  }

  std::size_t size() const {
    std::size_t total = 0;
    for (const auto& [field, list] : values) total += list.size();
    return total;
  }
  bool all_fields_in(std::span<const std::string_view> fields) const {
    return std::all_of(values.begin(), values.end(), [&](const auto& entry) {
      return std::find(fields.begin(), fields.end(), entry.first) != fields.end();
    });
  }
  bool any_field_in(std::span<const std::string_view> fields) const {
    return std::any_of(values.begin(), values.end(), [&](const auto& entry) {
      return std::find(fields.begin(), fields.end(), entry.first) != fields.end();
    });
  }
};

// Fields that split events in few groups: a gate on one of them lets most events through,
// so the index keeps them apart from the telling gates (a rule is a candidate only when
// its gate of every kind holds: see GateKind).
constexpr std::string_view kOsFields[] = {"host.os.type"};
constexpr std::string_view kCategoryFields[] = {"event.category"};
constexpr std::string_view kCoarseFields[] = {"host.os.type",   "event.type",          "event.kind",
                                              "event.outcome",  "event.category",      "host.os.family",
                                              "host.os.platform", "event.action",      "event.dataset",
                                              "data_stream.dataset", "event.module",   "host.os.name"};
constexpr std::string_view kCoarseNonOsFields[] = {"event.type",   "event.kind",   "event.outcome",
                                                   "event.action", "event.dataset", "data_stream.dataset",
                                                   "event.module", "host.os.family", "host.os.platform",
                                                   "host.os.name"};

bool accepts(GateKind kind, const Gate& gate) {
  switch (kind) {
    case kCategoryGate: return gate.all_fields_in(kCategoryFields);
    case kTellingGate: return !gate.any_field_in(kCoarseFields);
    case kOsGate: return gate.all_fields_in(kOsFields);
    case kCoarseGate: return gate.all_fields_in(kCoarseNonOsFields);
    default: return false;
  }
}

// Where the runner reads a field of a gate, or nothing when the index cannot read it: only
// keyword fields compare as the index reads them (an ip or a date has many spellings, text
// is analyzed); an alias is read from its path.
using GateFieldResolver = std::function<std::optional<std::string>(const std::string&)>;

void merge_gate(Gate& into, Gate&& gate) {
  for (auto& [field, values] : gate.values) {
    auto& merged = into.values[field];
    merged.insert(merged.end(), values.begin(), values.end());
  }
}

std::optional<Gate> gate_of(const ast::Expr& conjunct, const GateFieldResolver& resolve) {
  // `?field` may be used too: when the schema folds it to null its branch never matches,
  // so requiring its value of the event is still necessary.
  // A field of an aliased stage's event or of an _arraysearch element (endpoint dialect) is
  // not the event's: it tells nothing of the event's values.
  auto field_of = [](const ast::Expr& expr) -> const ast::Field* {
    const auto* field = expr.as<ast::Field>();
    return field && field->event_alias.empty() && field->variable.empty() ? field : nullptr;
  };
  auto literal = [](std::string_view text, bool wildcards) -> std::optional<std::string> {
    if (!is_ascii(text) || is_affix(text)) return std::nullopt;
    if (wildcards && text.find_first_of("*?\\") != std::string_view::npos) return std::nullopt;
    return lowered(text);
  };
  std::string field;
  std::vector<std::string> values;
  if (const auto* compare = conjunct.as<ast::Compare>()) {
    if (compare->op != ast::CompareOp::Eq) return std::nullopt;
    const ast::Field* name = field_of(*compare->left);
    const auto* value = compare->right->as<ast::StringLiteral>();
    if (!name || !value) {
      name = field_of(*compare->right);
      value = compare->left->as<ast::StringLiteral>();
    }
    if (!name || !value) return std::nullopt;
    auto text = literal(value->value, false);
    if (!text) return std::nullopt;
    field = name->name;
    values.push_back(*text);
  } else if (const auto* match = conjunct.as<ast::Match>()) {
    if (match->op == ast::MatchOp::Regex) return std::nullopt;
    const ast::Field* name = field_of(*match->value);
    if (!name) return std::nullopt;
    field = name->name;
    for (const ast::StringLiteral& pattern : match->patterns) {
      auto text = literal(pattern.value, true);
      if (!text) {
        // A pattern that starts with literal text ("python*") needs a value starting with
        // it: a prefix value, marked as such; else one that ends with literal text
        // ("?:\\Windows\\System32\\cmd.exe", "*.ps1") a value ending with it. A backslash
        // ends the literal text, as a wildcard does, whatever the pattern language makes of it.
        const std::string_view whole = pattern.value;
        std::string_view head = whole.substr(0, whole.find_first_of("*?\\"));
        std::string_view tail = whole.substr(whole.find_last_of("*?\\") + 1);
        if (!head.empty() && is_ascii(head)) {
          text = std::string(kPrefixMark) + lowered(head);
        } else if (!tail.empty() && is_ascii(tail)) {
          text = std::string(kSuffixMark) + lowered(tail);
        } else {
          return std::nullopt;
        }
      }
      values.push_back(*text);
    }
  } else if (const auto* in = conjunct.as<ast::In>()) {
    if (in->negated) return std::nullopt;
    const ast::Field* name = field_of(*in->value);
    if (!name) return std::nullopt;
    field = name->name;
    for (const ast::ExprPtr& candidate : in->candidates) {
      const auto* value = candidate->as<ast::StringLiteral>();
      if (!value) return std::nullopt;
      auto text = literal(value->value, false);
      if (!text) return std::nullopt;
      values.push_back(*text);
    }
  } else {
    return std::nullopt;
  }
  if (values.empty()) return std::nullopt;
  std::optional<std::string> path = resolve(field);
  if (!path) return std::nullopt;
  Gate gate;
  gate.values[*path] = std::move(values);
  return gate;
}

// How many events a value of a coarse field typically lets through, from fewest (0) to
// most: `event.action` names what happened ("connection_attempted"), a dataset a source,
// while `event.module == "endpoint"` or `event.kind == "event"` hold on nearly every
// event of a source. Only the choice between a filter's conjuncts depends on it, so any
// order is sound; a poor one only lets more events through.
int breadth_of(std::string_view field) {
  constexpr std::pair<std::string_view, int> kBreadth[] = {
      {"event.action", 1},  {"event.dataset", 2}, {"data_stream.dataset", 2}, {"event.type", 3},
      {"event.outcome", 4}, {"event.kind", 5},    {"event.module", 6},        {"host.os.family", 7},
      {"host.os.platform", 7}, {"host.os.name", 7}, {"host.os.type", 7},      {"event.category", 7}};
  for (const auto& [name, breadth] : kBreadth) {
    if (name == field) return breadth;
  }
  return 0;  // a telling field
}

// Which of two gates a conjunction should be indexed by: the one on narrower fields, then
// the one with fewer values.
bool narrower(const Gate& a, const Gate& b) {
  auto breadth = [](const Gate& gate) {
    int widest = 0;
    for (const auto& [field, values] : gate.values) widest = std::max(widest, breadth_of(field));
    return widest;
  };
  int breadth_a = breadth(a), breadth_b = breadth(b);
  if (breadth_a != breadth_b) return breadth_a < breadth_b;
  bool affix_a = a.has_affix(), affix_b = b.has_affix();
  if (affix_a != affix_b) return affix_b;  // a prefix or suffix lets more values through
  return a.size() < b.size();
}

// The narrowest necessary condition of each kind of an expression: of `a and b`, the
// narrower of what either needs; of `a or b`, one of what each needs (when each needs
// something). All four kinds in one walk, so each leaf's gate is read once (gate_of: the
// field's lookup, the lowered values) rather than once per kind.
using KindGates = std::array<std::optional<Gate>, kGateKinds>;

KindGates best_gates(const ast::Expr& expr, const GateFieldResolver& resolve) {
  KindGates result;
  if (const auto* logical = expr.as<ast::Logical>()) {
    if (logical->op == ast::LogicOp::And) {
      for (const ast::ExprPtr& operand : logical->operands) {
        KindGates gates = best_gates(*operand, resolve);
        for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
          std::optional<Gate>& gate = gates[kind];
          if (gate && (!result[kind] || narrower(*gate, *result[kind]))) result[kind] = std::move(gate);
        }
      }
      return result;
    }
    // Each operand's gate of a kind is accepted for that kind, so their union is too.
    std::array<bool, kGateKinds> every_operand_gated;
    every_operand_gated.fill(true);
    for (auto& gate : result) gate.emplace();
    for (const ast::ExprPtr& operand : logical->operands) {
      KindGates gates = best_gates(*operand, resolve);
      for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
        if (!every_operand_gated[kind]) continue;
        if (!gates[kind]) {
          every_operand_gated[kind] = false;
          result[kind].reset();
        } else {
          merge_gate(*result[kind], std::move(*gates[kind]));
        }
      }
    }
    return result;
  }
  std::optional<Gate> gate = gate_of(expr, resolve);
  if (!gate) return result;
  // The kinds' field lists hardly overlap, so a leaf's gate is mostly filed under one kind:
  // copied for all but the last kind that accepts it, which takes it.
  std::size_t last_kind = kGateKinds;
  for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
    if (!accepts(static_cast<GateKind>(kind), *gate)) continue;
    if (last_kind != kGateKinds) result[last_kind] = *gate;
    last_kind = kind;
  }
  if (last_kind != kGateKinds) result[last_kind] = std::move(gate);
  return result;
}

// The fields an expression cannot be true without, as clauses that must all hold, each
// "the event has one of these fields" (possibly null): a field compared, matched or tested
// with `in` directly is needed, since a missing field makes those leaves null. Of `a and b`
// the clauses of both; of `a or b` the clauses both have, and one clause joining a
// narrowest clause of each (`url.original : "x" or url.query : "y"` needs one of the two).
using FieldClauses = std::set<std::set<std::string>>;

FieldClauses required_fields(const ast::Expr& expr, const GateFieldResolver& path_of) {
  FieldClauses needs;
  auto add = [&](const ast::Expr& operand) {
    if (const auto* field = operand.as<ast::Field>(); field && field->event_alias.empty() && field->variable.empty()) {
      if (auto path = path_of(field->name)) needs.insert({*path});
    }
  };
  if (const auto* logical = expr.as<ast::Logical>()) {
    if (logical->op == ast::LogicOp::And) {
      for (const ast::ExprPtr& operand : logical->operands) needs.merge(required_fields(*operand, path_of));
      return needs;
    }
    std::set<std::string> joined;
    bool every_branch_needs = true;
    bool first = true;
    for (const ast::ExprPtr& operand : logical->operands) {
      FieldClauses branch = required_fields(*operand, path_of);
      if (branch.empty()) every_branch_needs = false;
      if (every_branch_needs) {
        auto narrowest = std::min_element(branch.begin(), branch.end(),
                                          [](const auto& a, const auto& b) { return a.size() < b.size(); });
        joined.insert(narrowest->begin(), narrowest->end());
      }
      if (first) {
        needs = std::move(branch);
      } else {
        FieldClauses both;
        std::set_intersection(needs.begin(), needs.end(), branch.begin(), branch.end(),
                              std::inserter(both, both.end()));
        needs = std::move(both);
      }
      first = false;
    }
    if (every_branch_needs) needs.insert(std::move(joined));
  } else if (const auto* compare = expr.as<ast::Compare>()) {
    // `f != v` is `not (f == v)`; `f == null` asks for no value, `f != null` for one.
    bool with_null = compare->left->as<ast::NullLiteral>() || compare->right->as<ast::NullLiteral>();
    if (compare->op == ast::CompareOp::NotEq ? with_null : !with_null) {
      add(*compare->left);
      add(*compare->right);
    }
  } else if (const auto* match = expr.as<ast::Match>()) {
    add(*match->value);
  } else if (const auto* in = expr.as<ast::In>()) {
    if (!in->negated) add(*in->value);
  }
  return needs;
}


}  // namespace

// What a rule is filed under: per kind, the gate every one of its filters has (none when a
// filter lacks one: that kind does not restrict the rule); per filter, the fields it needs
// and the category it tests (lower-cased; none: any category).
struct Filing {
  std::array<std::optional<Gate>, kGateKinds> gates;
  std::vector<FieldClauses> filter_fields;
  std::vector<std::optional<std::string>> filter_categories;
};

namespace {

Filing filing_of(std::span<const ast::EventFilter* const> filters, const FieldTypes* field_types,
                 std::string_view category_field) {
  // Where the index reads a gate's field (only keyword fields compare as it reads them),
  // and where it finds a required field (any type: presence is all it asks).
  GateFieldResolver resolve = [&](const std::string& field) -> std::optional<std::string> {
    if (!field_types) return field;
    std::optional<FieldInfo> info = field_types->lookup(field);
    if (info && info->type != FieldType::String && info->type != FieldType::Unknown) return std::nullopt;
    if (info && !info->path.empty()) return info->path;
    return field;
  };
  GateFieldResolver path_of = [&](const std::string& field) -> std::optional<std::string> {
    if (!field_types) return field;
    std::optional<FieldInfo> info = field_types->lookup(field);
    if (info && !info->path.empty()) return info->path;
    return field;
  };
  Filing filing;
  std::array<bool, kGateKinds> every_filter_gated;
  every_filter_gated.fill(true);
  for (const ast::EventFilter* filter : filters) {
    const bool tests_category = !filter->any && !filter->category.empty() && category_field == kDefaultCategoryField;
    KindGates condition_gates;
    if (filter->condition) condition_gates = best_gates(*filter->condition, resolve);
    for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
      std::optional<Gate> gate;
      if (kind == kCategoryGate && tests_category) {
        gate.emplace();
        gate->values[std::string(kDefaultCategoryField)].push_back(lowered(filter->category));
      } else {
        gate = std::move(condition_gates[kind]);
      }
      if (!gate) {
        every_filter_gated[kind] = false;
        filing.gates[kind].reset();
      } else if (every_filter_gated[kind]) {
        if (!filing.gates[kind]) filing.gates[kind].emplace();
        merge_gate(*filing.gates[kind], std::move(*gate));
      }
    }
    FieldClauses fields;
    if (filter->condition) fields = required_fields(*filter->condition, path_of);
    filing.filter_fields.push_back(std::move(fields));
    filing.filter_categories.push_back(tests_category ? std::optional(lowered(filter->category)) : std::nullopt);
  }
  return filing;
}

// The printed filing (RuleIndex::describe): one line per gate kind, one per filter.
std::string printed(const Filing& filing) {
  constexpr std::string_view kKindNames[kGateKinds] = {"category", "telling", "os", "coarse"};
  std::string out;
  for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
    out += "gate ";
    out += kKindNames[kind];
    out += ':';
    if (!filing.gates[kind]) out += " none";
    bool first_field = true;
    for (const auto& [field, listed] : filing.gates[kind] ? filing.gates[kind]->values : decltype(Gate::values){}) {
      out += first_field ? " " : " | ";
      out += field;
      first_field = false;
      std::vector<std::string> values = listed;  // stages may repeat a value
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      for (const std::string& value : values) {
        if (value.starts_with(kPrefixMark)) out += " \"" + value.substr(kPrefixMark.size()) + "\"*";
        else if (value.starts_with(kSuffixMark)) out += " *\"" + value.substr(kSuffixMark.size()) + '"';
        else out += " \"" + value + '"';
      }
    }
    out += '\n';
  }
  for (std::size_t f = 0; f < filing.filter_fields.size(); ++f) {
    out += "filter " + std::to_string(f + 1) + " (" +
           (filing.filter_categories[f] ? *filing.filter_categories[f] : std::string("any category")) + "):";
    if (filing.filter_fields[f].empty()) out += " no field";
    bool first_clause = true;
    for (const std::set<std::string>& clause : filing.filter_fields[f]) {
      out += first_clause ? " " : " and ";
      first_clause = false;
      std::string joined;
      for (const std::string& path : clause) joined += (joined.empty() ? "" : " or ") + path;
      out += clause.size() > 1 ? "(" + joined + ")" : joined;
    }
    out += '\n';
  }
  return out;
}

}  // namespace

RuleIndex::FieldUse& RuleIndex::use_of(const std::string& path) {
  auto found = field_uses_.find(path);
  if (found == field_uses_.end()) {
    field_names_.push_back(path);
    found = field_uses_.emplace(field_names_.back(), FieldUse{}).first;
  }
  return found->second;
}

std::uint32_t RuleIndex::category_bit(const std::string& lowered_category) {
  auto found = category_bits_.find(lowered_category);
  if (found == category_bits_.end()) {
    auto bit = static_cast<std::uint32_t>(std::min<std::size_t>(category_bits_.size(), 31));
    found = category_bits_.emplace(lowered_category, std::uint32_t{1} << bit).first;
  }
  return found->second;
}

// The current event's mask: the bits of the categories it holds; every bit when it holds
// a value the mask cannot read (a number, non-ASCII text).
std::uint32_t RuleIndex::event_categories(const Event& event) {
  std::uint32_t mask = 0;
  for (const Value& value : event.values(kDefaultCategoryField)) {
    if (value.is_null()) continue;
    if (value.kind != ValueKind::String || !is_ascii(value.string)) return kAnyCategory;
    text::fold_ascii_into(value.string, key_buffer_);
    if (auto found = category_bits_.find(key_buffer_); found != category_bits_.end()) mask |= found->second;
  }
  return mask;
}

void RuleIndex::add_rule(std::span<const ast::EventFilter* const> filters, const FieldTypes* field_types,
                         std::string_view category_field) {
  auto filed = std::make_shared<Filing>(filing_of(filters, field_types, category_field));
  const Filing& filing = *filed;
  filings_.push_back(std::move(filed));
  const auto index = static_cast<std::uint32_t>(rule_count_++);
  std::vector<std::uint32_t> required;
  required.push_back(static_cast<std::uint32_t>(filing.filter_fields.size()));
  for (std::size_t f = 0; f < filing.filter_fields.size(); ++f) {
    const FieldClauses& clauses = filing.filter_fields[f];
    required.push_back(filing.filter_categories[f] ? category_bit(*filing.filter_categories[f]) : kAnyCategory);
    required.push_back(static_cast<std::uint32_t>(clauses.size()));
    for (const std::set<std::string>& clause : clauses) {
      required.push_back(static_cast<std::uint32_t>(clause.size()));
      for (const std::string& path : clause) {
        FieldUse& use = use_of(path);
        if (use.presence == UINT32_MAX) {
          use.presence = static_cast<std::uint32_t>(presence_seen_.size());
          presence_seen_.push_back(0);
        }
        required.push_back(use.presence);
      }
    }
  }
  required_at_.push_back(static_cast<std::uint32_t>(required_.size()));
  required_.insert(required_.end(), required.begin(), required.end());
  const std::size_t words = (rule_count_ + 63) / 64;
  candidate_bits_.resize(words);
  for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
    free_bits_[kind].resize(words);
    kind_bits_[kind].resize(words);
    if (!filing.gates[kind]) {
      free_bits_[kind][index >> 6] |= std::uint64_t{1} << (index & 63);
      continue;
    }
    for (auto& [field, values] : filing.gates[kind]->values) {
      FieldUse& use = use_of(field);
      if (!use.gates[kind]) use.gates[kind] = std::make_unique<GateField>();
      GateField& gate = *use.gates[kind];
      auto add_once = [&](RuleSet& rules) {
        if (rules.list.empty() || rules.list.back() != index) rules.list.push_back(index);
      };
      for (const std::string& value : values) {
        if (value.starts_with(kPrefixMark)) add_once(gate.prefixes.rules[value.substr(kPrefixMark.size())]);
        else if (value.starts_with(kSuffixMark)) add_once(gate.suffixes.rules[value.substr(kSuffixMark.size())]);
        else add_once(gate.by_value[value]);
      }
      add_once(gate.all);
    }
  }
  bit_sets_built_ = false;
}

std::string RuleIndex::describe(std::uint32_t rule) const { return printed(*filings_[rule]); }

void RuleIndex::build_bit_sets() {
  constexpr std::size_t kLong = 32;
  const std::size_t words = candidate_bits_.size();
  auto build = [&](RuleSet& set) {
    set.bits.clear();
    if (set.list.size() < kLong) return;
    set.bits.assign(words, 0);
    for (std::uint32_t rule : set.list) set.bits[rule >> 6] |= std::uint64_t{1} << (rule & 63);
  };
  for (auto& [path, use] : field_uses_) {
    for (auto& gate : use.gates) {
      if (!gate) continue;
      for (auto& [value, set] : gate->by_value) build(set);
      gate->value_table.build(gate->by_value);
      for (Affixes* affixes : {&gate->prefixes, &gate->suffixes}) {
        affixes->lengths.clear();
        for (auto& [affix, set] : affixes->rules) {
          build(set);
          affixes->lengths.push_back(affix.size());
        }
        std::sort(affixes->lengths.begin(), affixes->lengths.end());
        affixes->lengths.erase(std::unique(affixes->lengths.begin(), affixes->lengths.end()), affixes->lengths.end());
        affixes->table.build(affixes->rules);
      }
      build(gate->all);
    }
  }
  field_table_.build(field_uses_);
  bit_sets_built_ = true;
}

void RuleIndex::mark_candidates(const Event& event, std::uint64_t stamp) {
  // Candidates as bit sets over rules, one per kind of gate: the rules without a gate of
  // the kind, and those whose gate of the kind the event satisfies. A rule is a candidate
  // when it is in all of them.
  if (!bit_sets_built_) build_bit_sets();
  for (std::size_t kind = 0; kind < kGateKinds; ++kind) kind_bits_[kind] = free_bits_[kind];
  current_categories_ = event_categories(event);
  for (const Event::Entry& entry : event.entries()) {
    const FieldUse* found = field_table_.find(entry.path);
    if (!found) continue;
    const FieldUse& use = *found;
    if (use.presence != UINT32_MAX) presence_seen_[use.presence] = stamp;
    for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
      if (!use.gates[kind]) continue;
      const GateField& gate = *use.gates[kind];
      auto& bits = kind_bits_[kind];
      auto mark = [&](const RuleSet& rules) {
        if (!rules.bits.empty()) {
          for (std::size_t word = 0; word < bits.size(); ++word) bits[word] |= rules.bits[word];
          return;
        }
        for (std::uint32_t rule : rules.list) bits[rule >> 6] |= std::uint64_t{1} << (rule & 63);
      };
      for (const Value& value : event.values_of(entry)) {
        if (value.kind == ValueKind::String && is_ascii(value.string)) {
          // Most values are lower-case already: looked up as they are, without a copy.
          std::string_view key = value.string;
          if (std::any_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
            key = text::fold_ascii_into(key, key_buffer_);
          }
          gate.prefixes.each_hit(key, mark);
          gate.suffixes.each_hit(key, mark);
          if (const RuleSet* hit = gate.value_table.find(key)) {
            mark(*hit);
            continue;
          }
          // Text that reads as a number may equal a literal written otherwise: every rule.
          if (!parse_number(value.string)) continue;
        }
        // A null equals, matches and is in no string: it needs no rule of the field.
        if (value.is_null()) continue;
        mark(gate.all);
      }
    }
  }
  for (std::size_t word = 0; word < candidate_bits_.size(); ++word) {
    std::uint64_t all = ~std::uint64_t{0};
    for (std::size_t kind = 0; kind < kGateKinds; ++kind) all &= kind_bits_[kind][word];
    candidate_bits_[word] = all;
  }
}

void RuleIndex::reset_presence() { std::fill(presence_seen_.begin(), presence_seen_.end(), 0); }

}  // namespace eql::detail
