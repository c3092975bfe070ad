// The rule runner (include/eql/runner.h). Event rules that require a field to equal one of
// a few literal strings (`process.name : ("a", "b")` as a conjunct of the condition) are
// indexed by those values; the other rules by the event category they test. So an event is
// evaluated only against rules whose required value or category it has, plus the rules
// that test any category or another category field. Sequence and sample rules are fed only
// the events that match one of their stages; in exact mode those are the only events held.
#include "eql/runner.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>

#include "eql/eval.h"
#include "eql/parser.h"
#include "eval/text.h"
#include "run/reorder_window.h"

namespace eql {

namespace {

constexpr std::string_view kDefaultTimestampField = "@timestamp";
constexpr std::string_view kDefaultCategoryField = "event.category";

using text::is_ascii;
using detail::kTermsUndecided;
using detail::ReorderWindow;
using detail::SequenceUse;

std::string lowered(std::string_view text) {
  std::string out;
  text::fold_ascii_into(text, out);
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

// The kinds of necessary conditions the runner indexes by, each separately; an event must
// satisfy a rule's condition of each kind it has.
enum GateKind : std::size_t {
  kCategoryGate,  // the event category it tests (`process where`, or `any where event.category ...`)
  kTellingGate,   // values of fields that split events finely (process.name, file.extension)
  kOsGate,        // host.os.type
  kCoarseGate,    // event.type, event.action and the like
  kGateKinds
};

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
  auto field_of = [](const ast::Expr& expr) -> const ast::Field* { return expr.as<ast::Field>(); };
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

// The narrowest necessary condition of a kind of an expression: of `a and b`, the
// narrower of what either needs; of `a or b`, one of what each needs (when each needs
// something).
std::optional<Gate> best_gate(const ast::Expr& expr, GateKind kind, const GateFieldResolver& resolve) {
  std::optional<Gate> result;
  if (const auto* logical = expr.as<ast::Logical>()) {
    if (logical->op == ast::LogicOp::And) {
      for (const ast::ExprPtr& operand : logical->operands) {
        std::optional<Gate> gate = best_gate(*operand, kind, resolve);
        if (gate && (!result || narrower(*gate, *result))) result = std::move(gate);
      }
      return result;
    }
    result.emplace();
    for (const ast::ExprPtr& operand : logical->operands) {
      std::optional<Gate> gate = best_gate(*operand, kind, resolve);
      if (!gate) return std::nullopt;
      merge_gate(*result, std::move(*gate));
    }
  } else {
    result = gate_of(expr, resolve);
  }
  if (result && !accepts(kind, *result)) return std::nullopt;
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
    if (const auto* field = operand.as<ast::Field>()) {
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

// Marks a held event (or a rule of a waiting event) as one of the sequence's first stage.
constexpr std::uint32_t kFirstStage = 1u << 31;

// A sequence rule that can use a waiting event: the rule (with kFirstStage) and the
// verdicts of its terms on the event (bit t: term t, then `until`), decided when the event
// was pushed, or kTermsUndecided for the matcher to decide.
// Strings looked up per event (an event's field paths, its values of gate fields) in an
// open-addressing table under a hash of a string's length and its first and last 8 bytes:
// std::hash over every byte, a division by the bucket count and a walk of the bucket's
// chain cost more than the rest of the lookup. The items are not owned; the keys are
// views of strings that must outlive the table.
template <class Item>
class ViewTable {
 public:
  template <class Range>  // of pairs (a string or view, an Item)
  void build(const Range& range) {
    std::size_t count = 0;
    for (const auto& entry : range) {
      (void)entry;
      ++count;
    }
    std::size_t capacity = 8;
    while (capacity < count * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const auto& [key, item] : range) {
      std::string_view view = key;
      std::size_t slot = hash(view) & mask_;
      while (slots_[slot].item) slot = (slot + 1) & mask_;
      slots_[slot] = {view, &item};
    }
  }
  const Item* find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t slot = hash(key) & mask_;; slot = (slot + 1) & mask_) {
      const Slot& at = slots_[slot];
      if (!at.item) return nullptr;
      if (at.key.size() == key.size() && std::memcmp(at.key.data(), key.data(), key.size()) == 0) return at.item;
    }
  }

 private:
  struct Slot {
    std::string_view key;
    const Item* item = nullptr;
  };
  static std::uint64_t load(const char* bytes, std::size_t count) {
    std::uint64_t word = 0;
    if (count > 0) std::memcpy(&word, bytes, count);
    return word;
  }
  static std::size_t hash(std::string_view key) {
    const std::size_t size = key.size();
    std::uint64_t head = load(key.data(), std::min<std::size_t>(size, 8));
    std::uint64_t tail = size > 8 ? load(key.data() + size - 8, 8) : 0;
    std::uint64_t h = (size + 1) * 0x9E3779B97F4A7C15ULL;
    h ^= head * 0xFF51AFD7ED558CCDULL;
    h = std::rotl(h, 29) ^ (tail * 0xC4CEB9FE1A85EC53ULL);
    h ^= h >> 32;
    return static_cast<std::size_t>(h);
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

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
    std::uint32_t pattern_set = 0;   // into Impl::pattern_sets
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

  RunnerOptions options;
  std::vector<std::unique_ptr<CompiledRule>> rules;
  // ---- the index: which rules an event may matter to ----
  // Rules, as a list and (when long: `event.category` "process" has hundreds) as a bit set
  // too, which an event merges in a few word operations.
  struct RuleSet {
    std::vector<std::uint32_t> list;
    std::vector<std::uint64_t> bits;  // built by build_bit_sets()
  };
  struct GateField {  // the rules with a gate of one kind on one field
    std::unordered_map<std::string, RuleSet> by_value;  // lower-cased
    RuleSet all;  // for values the index cannot read (numbers, non-ASCII)
    ViewTable<RuleSet> value_table;  // by_value, for the lookups (built by build_bit_sets())
    // Rules by the start (or end) of the value they need: lower-cased, without the mark.
    struct Affixes {
      std::unordered_map<std::string, RuleSet> rules;
      std::vector<std::size_t> lengths;  // the distinct lengths of the keys of `rules`, ascending
      ViewTable<RuleSet> table;          // `rules`, for the lookups (built by build_bit_sets())
      bool at_end;                       // suffixes: the keys are the ends of values

      explicit Affixes(bool ends) : at_end(ends) {}

      // Calls `hit` with the rules of every start (or end) of `value` that is a key.
      template <class Hit>
      void each_hit(std::string_view value, Hit&& hit) const {
        for (std::size_t length : lengths) {
          if (length > value.size()) break;
          if (const RuleSet* rules_hit = table.find(at_end ? value.substr(value.size() - length) : value.substr(0, length))) {
            hit(*rules_hit);
          }
        }
      }
    };
    Affixes prefixes{false}, suffixes{true};
  };
  bool bit_sets_built = false;

  void build_bit_sets() {
    constexpr std::size_t kLong = 32;
    const std::size_t words = candidate_bits.size();
    auto build = [&](RuleSet& set) {
      set.bits.clear();
      if (set.list.size() < kLong) return;
      set.bits.assign(words, 0);
      for (std::uint32_t rule : set.list) set.bits[rule >> 6] |= std::uint64_t{1} << (rule & 63);
    };
    for (auto& [path, use] : field_uses) {
      for (auto& gate : use.gates) {
        if (!gate) continue;
        for (auto& [value, set] : gate->by_value) build(set);
        gate->value_table.build(gate->by_value);
        for (GateField::Affixes* affixes : {&gate->prefixes, &gate->suffixes}) {
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
    field_table.build(field_uses);
    bit_sets_built = true;
  }

  struct FieldUse {  // what the index reads of one event field
    std::array<std::unique_ptr<GateField>, kGateKinds> gates;
    std::uint32_t presence = UINT32_MAX;  // its index in presence_seen, when a rule needs it
  };
  std::deque<std::string> field_names;  // a deque: field_uses holds views of the names
  std::unordered_map<std::string_view, FieldUse> field_uses;
  // The fields the index reads, for the per-event lookups of an event's ~60 paths (most
  // of them absent). The FieldUse pointers stay valid: field_uses is node-based.
  ViewTable<FieldUse> field_table;
  std::array<std::vector<std::uint64_t>, kGateKinds> free_bits;  // rules without a gate of the kind
  std::array<std::vector<std::uint64_t>, kGateKinds> kind_bits;  // per event
  std::vector<std::uint64_t> presence_seen;  // per field: the current event's stamp when it has it
  // Candidates of the current event as a bit set over rules: deduplicated and in rule order
  // (so alerts of one event come out in the order rules were added) without sorting.
  std::vector<std::uint64_t> candidate_bits;
  std::string key_buffer;  // a lower-cased value, reused from event to event
  // What is checked of every candidate before it is evaluated, per rule in flat arrays
  // rather than in each CompiledRule: most candidates fail a check, and reading their
  // CompiledRule (one allocation each) cost a cache miss apiece.
  struct CandidateChecks {
    std::vector<std::uint32_t> pattern_set;  // CompiledRule::pattern_set
    // Per event filter (each stage) of a rule, the fields it needs as clauses of
    // FieldUse::presence ids (required_fields): an event may matter only when it satisfies
    // every clause of some filter. Flattened, as read by has_required_fields: filter
    // count, then per filter its category mask (see category_bit), its clause count, then
    // per clause its id count and ids; the rules one after another, rule r's from
    // required[required_at[r]].
    std::vector<std::uint32_t> required_at;
    std::vector<std::uint32_t> required;
  } candidate_checks;
  // The event categories filters test (`process where`), lower-cased, each a bit of a
  // mask: a filter can match only an event holding its category, so a sequence's
  // `network where dns.question.name != null` stage does not make a process event that
  // has the field a candidate. Past 31 names the rest share the last bit, which only
  // widens the candidates.
  std::unordered_map<std::string, std::uint32_t> category_bits;
  static constexpr std::uint32_t kAnyCategory = ~std::uint32_t{0};
  std::uint32_t category_bit(const std::string& lowered_category) {
    auto found = category_bits.find(lowered_category);
    if (found == category_bits.end()) {
      auto bit = static_cast<std::uint32_t>(std::min<std::size_t>(category_bits.size(), 31));
      found = category_bits.emplace(lowered_category, std::uint32_t{1} << bit).first;
    }
    return found->second;
  }
  // The current event's mask: the bits of the categories it holds; every bit when it holds
  // a value the mask cannot read (a number, non-ASCII text).
  std::uint32_t event_categories(const Event& event) {
    std::uint32_t mask = 0;
    for (const Value& value : event.values(kDefaultCategoryField)) {
      if (value.is_null()) continue;
      if (value.kind != ValueKind::String || !is_ascii(value.string)) return kAnyCategory;
      text::fold_ascii_into(value.string, key_buffer);
      if (auto found = category_bits.find(key_buffer); found != category_bits.end()) mask |= found->second;
    }
    return mask;
  }
  std::uint32_t current_categories = kAnyCategory;

  // ---- index patterns: rules share a few pattern sets, decided once per event ----
  struct PatternSet {
    std::vector<std::string> include, exclude;
  };
  std::vector<PatternSet> pattern_sets;
  std::map<std::string, std::uint32_t> pattern_set_ids;
  std::vector<std::int8_t> pattern_verdicts;  // per event: -1 not decided yet, 0, 1
  // The verdicts for each index name seen (events of one source share a few names), kept
  // so that an index is matched against each pattern set once, not once per event; a
  // verdict depends on the name and the set only. Bounded: past kMaxRememberedIndexes
  // names, verdicts are decided per event in pattern_verdicts.
  static constexpr std::size_t kMaxRememberedIndexes = 1024;
  struct NameHash {  // looks names up as views, without making a string per event
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  std::unordered_map<std::string, std::vector<std::int8_t>, NameHash, std::equal_to<>> verdicts_by_index;
  std::vector<std::int8_t>* verdicts = &pattern_verdicts;  // the current event's

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

  bool sees_index(const CompiledRule& compiled, std::string_view index) {
    return sees_index(compiled.pattern_set, index);
  }
  bool sees_index(std::uint32_t pattern_set, std::string_view index) {
    if (options.ignore_index || index.empty()) return true;
    std::int8_t& verdict = (*verdicts)[pattern_set];
    if (verdict < 0) verdict = decide_index(pattern_sets[pattern_set], index) ? 1 : 0;
    return verdict == 1;
  }

  // Points `verdicts` at the remembered verdicts of the index name (or fresh ones).
  void select_verdicts(std::string_view index) {
    auto found = verdicts_by_index.find(index);
    if (found == verdicts_by_index.end() && verdicts_by_index.size() < kMaxRememberedIndexes) {
      found = verdicts_by_index.emplace(std::string(index), std::vector<std::int8_t>()).first;
    }
    if (found == verdicts_by_index.end()) {
      std::fill(pattern_verdicts.begin(), pattern_verdicts.end(), -1);
      verdicts = &pattern_verdicts;
      return;
    }
    // Rules added since the name was last seen bring pattern sets not decided for it yet.
    found->second.resize(pattern_sets.size(), -1);
    verdicts = &found->second;
  }

  static bool decide_index(const PatternSet& set, std::string_view index) {
    if (set.include.empty()) return true;
    for (const auto& pattern : set.exclude) {
      if (index_matches(pattern, index)) return false;
    }
    for (const auto& pattern : set.include) {
      if (index_matches(pattern, index)) return true;
    }
    return false;
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

  // Whether the event (whose fields carry `stamp` in presence_seen) satisfies every
  // required-field clause of some filter of the rule (see CandidateChecks::required).
  bool has_required_fields(std::size_t rule, std::uint64_t stamp) const {
    const std::uint32_t* at = candidate_checks.required.data() + candidate_checks.required_at[rule];
    std::uint32_t filters = *at++;
    if (filters == 0) return true;
    for (; filters > 0; --filters) {
      std::uint32_t categories = *at++;
      std::uint32_t clauses = *at++;
      if (categories != kAnyCategory && (categories & current_categories) == 0) {
        for (; clauses > 0; --clauses) at += *at + 1;
        continue;
      }
      bool all = true;
      for (; clauses > 0; --clauses) {
        std::uint32_t ids = *at++;
        const std::uint32_t* end = at + ids;
        bool any = false;
        for (; at < end && !any; ++at) any = presence_seen[*at] == stamp;
        at = end;
        if (!any) {
          all = false;
          // Skip this filter's remaining clauses.
          for (--clauses; clauses > 0; --clauses) at += *at + 1;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

  void evaluate(std::size_t rule, const EventRef& event, std::string_view index) {
    if (only && !(*only)[rule]) return;
    CompiledRule& compiled = *rules[rule];
    // Abandoned: the sequence rules wait for the second pass, which is for them alone.
    if (phase == Phase::Abandoned && compiled.kind == Kind::Sequence) return;
    if (phase == Phase::SecondPass && compiled.kind != Kind::Sequence) return;
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
};

RuleRunner::RuleRunner(RunnerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
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
  Impl::PatternSet patterns;
  for (const std::string& pattern : rule.index) {
    if (!pattern.empty() && pattern.front() == '-') patterns.exclude.push_back(pattern.substr(1));
    else patterns.include.push_back(pattern);
  }
  std::string ordering_key;
  EventReadOptions ordering;
  if ((!rule.timestamp_override.empty() && rule.timestamp_override != kDefaultTimestampField) ||
      !rule.tiebreaker_field.empty()) {
    ordering.timestamp_field =
        rule.timestamp_override.empty() ? std::string(kDefaultTimestampField) : rule.timestamp_override;
    ordering.tiebreaker_field = rule.tiebreaker_field;
    ordering_key = ordering.timestamp_field + '\n' + ordering.tiebreaker_field;
  }

  if (const ast::Sequence* sequence = query.sequence()) {
    compiled->skips_until_first_stage = !sequence->terms.empty() && !sequence->terms.front().missing;
  }
  // Per kind of gate, what every event filter (each stage of a sequence or sample) needs;
  // a kind that some filter lacks does not restrict the rule. Likewise the fields every
  // filter needs.
  std::array<std::optional<Gate>, kGateKinds> rule_gates;
  std::array<bool, kGateKinds> every_filter_gated;
  every_filter_gated.fill(true);
  std::vector<FieldClauses> filter_fields;
  std::vector<std::optional<std::string>> filter_categories;  // lower-cased; none: any category
  GateFieldResolver resolve = [&](const std::string& field) -> std::optional<std::string> {
    if (!filter_options.field_types) return field;
    std::optional<FieldInfo> info = filter_options.field_types->lookup(field);
    if (info && info->type != FieldType::String && info->type != FieldType::Unknown) return std::nullopt;
    if (info && !info->path.empty()) return info->path;
    return field;
  };
  GateFieldResolver path_of = [&](const std::string& field) -> std::optional<std::string> {
    if (!filter_options.field_types) return field;
    std::optional<FieldInfo> info = filter_options.field_types->lookup(field);
    if (info && !info->path.empty()) return info->path;
    return field;
  };
  auto note_filter = [&](const ast::EventFilter& filter) {
    for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
      std::optional<Gate> gate;
      if (kind == kCategoryGate) {
        if (!filter.any && !filter.category.empty() && filter_options.category_field == kDefaultCategoryField) {
          gate.emplace();
          gate->values[std::string(kDefaultCategoryField)].push_back(lowered(filter.category));
        } else if (filter.condition) {
          gate = best_gate(*filter.condition, kCategoryGate, resolve);
        }
      } else if (filter.condition) {
        gate = best_gate(*filter.condition, static_cast<GateKind>(kind), resolve);
      }
      if (!gate) {
        every_filter_gated[kind] = false;
        rule_gates[kind].reset();
      } else if (every_filter_gated[kind]) {
        if (!rule_gates[kind]) rule_gates[kind].emplace();
        merge_gate(*rule_gates[kind], std::move(*gate));
      }
    }
    FieldClauses fields;
    if (filter.condition) fields = required_fields(*filter.condition, path_of);
    filter_fields.push_back(std::move(fields));
    if (!filter.any && !filter.category.empty() && filter_options.category_field == kDefaultCategoryField) {
      filter_categories.push_back(lowered(filter.category));
    } else {
      filter_categories.push_back(std::nullopt);
    }
  };
  auto add_stage = [&](const ast::Term& term) -> bool {
    note_filter(term.filter);
    FilterCompileResult stage = compile_filter(term.filter, filter_options);
    for (auto& d : stage.diagnostics) diagnostics.push_back(std::move(d));
    if (!stage.program) return false;
    compiled->stage_filters.push_back(std::move(*stage.program));
    return true;
  };

  if (const ast::EventFilter* filter = query.event()) {
    compiled->kind = Impl::Kind::Event;
    note_filter(*filter);
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
    compiled->sequence_options = sequence_options;
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

  Impl& impl = *impl_;
  auto index = static_cast<std::uint32_t>(impl.rules.size());
  std::string pattern_key;
  for (const auto* list : {&patterns.include, &patterns.exclude}) {
    for (const std::string& pattern : *list) pattern_key += pattern + '\n';
    pattern_key += '\0';
  }
  auto [set, added_set] = impl.pattern_set_ids.try_emplace(pattern_key, impl.pattern_sets.size());
  if (added_set) impl.pattern_sets.push_back(std::move(patterns));
  compiled->pattern_set = set->second;
  impl.pattern_verdicts.assign(impl.pattern_sets.size(), -1);
  if (!ordering_key.empty()) {
    auto found = std::find_if(impl.orderings.begin(), impl.orderings.end(),
                              [&](const Impl::Ordering& o) { return o.key == ordering_key; });
    if (found == impl.orderings.end()) {
      impl.orderings.push_back({});
      impl.orderings.back().key = ordering_key;
      impl.orderings.back().options = ordering;
      found = impl.orderings.end() - 1;
    }
    compiled->ordering_index = static_cast<std::size_t>(found - impl.orderings.begin());
  }
  auto use_of = [&](const std::string& path) -> Impl::FieldUse& {
    auto found = impl.field_uses.find(path);
    if (found == impl.field_uses.end()) {
      impl.field_names.push_back(path);
      found = impl.field_uses.emplace(impl.field_names.back(), Impl::FieldUse{}).first;
    }
    return found->second;
  };
  std::vector<std::uint32_t> required;
  required.push_back(static_cast<std::uint32_t>(filter_fields.size()));
  for (std::size_t f = 0; f < filter_fields.size(); ++f) {
    const FieldClauses& clauses = filter_fields[f];
    required.push_back(filter_categories[f] ? impl.category_bit(*filter_categories[f]) : Impl::kAnyCategory);
    required.push_back(static_cast<std::uint32_t>(clauses.size()));
    for (const std::set<std::string>& clause : clauses) {
      required.push_back(static_cast<std::uint32_t>(clause.size()));
      for (const std::string& path : clause) {
        Impl::FieldUse& use = use_of(path);
        if (use.presence == UINT32_MAX) {
          use.presence = static_cast<std::uint32_t>(impl.presence_seen.size());
          impl.presence_seen.push_back(0);
        }
        required.push_back(use.presence);
      }
    }
  }
  impl.candidate_checks.pattern_set.push_back(compiled->pattern_set);
  impl.candidate_checks.required_at.push_back(static_cast<std::uint32_t>(impl.candidate_checks.required.size()));
  impl.candidate_checks.required.insert(impl.candidate_checks.required.end(), required.begin(), required.end());
  impl.rules.push_back(std::move(compiled));
  const std::size_t words = (impl.rules.size() + 63) / 64;
  impl.candidate_bits.resize(words);
  for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
    impl.free_bits[kind].resize(words);
    impl.kind_bits[kind].resize(words);
    if (!every_filter_gated[kind] || !rule_gates[kind]) {
      impl.free_bits[kind][index >> 6] |= std::uint64_t{1} << (index & 63);
      continue;
    }
    for (auto& [field, values] : rule_gates[kind]->values) {
      Impl::FieldUse& use = use_of(field);
      if (!use.gates[kind]) use.gates[kind] = std::make_unique<Impl::GateField>();
      Impl::GateField& gate = *use.gates[kind];
      auto add_once = [&](Impl::RuleSet& rules) {
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
  impl.bit_sets_built = false;
  return diagnostics;
}

void RuleRunner::push(Event&& parsed, std::string_view index) {
  Impl& impl = *impl_;
  parsed.ordinal = impl.stats.events;
  std::string own_index = event_index(parsed);
  std::string_view effective = own_index.empty() ? index : std::string_view(own_index);
  auto event = std::make_shared<const Event>(std::move(parsed));
  if (!effective.empty()) impl.select_verdicts(effective);

  // Candidates as bit sets over rules, one per kind of gate: the rules without a gate of
  // the kind, and those whose gate of the kind the event satisfies. A rule is a candidate
  // when it is in all of them.
  if (!impl.bit_sets_built) impl.build_bit_sets();
  for (std::size_t kind = 0; kind < kGateKinds; ++kind) impl.kind_bits[kind] = impl.free_bits[kind];
  const std::uint64_t stamp = impl.stats.events + 1;
  impl.current_categories = impl.event_categories(*event);
  for (const Event::Entry& entry : event->entries()) {
    const Impl::FieldUse* found = impl.field_table.find(entry.path);
    if (!found) continue;
    const Impl::FieldUse& use = *found;
    if (use.presence != UINT32_MAX) impl.presence_seen[use.presence] = stamp;
    for (std::size_t kind = 0; kind < kGateKinds; ++kind) {
      if (!use.gates[kind]) continue;
      const Impl::GateField& gate = *use.gates[kind];
      auto& bits = impl.kind_bits[kind];
      auto mark = [&](const Impl::RuleSet& rules) {
        if (!rules.bits.empty()) {
          for (std::size_t word = 0; word < bits.size(); ++word) bits[word] |= rules.bits[word];
          return;
        }
        for (std::uint32_t rule : rules.list) bits[rule >> 6] |= std::uint64_t{1} << (rule & 63);
      };
      for (const Value& value : event->values_of(entry)) {
        if (value.kind == ValueKind::String && is_ascii(value.string)) {
          // Most values are lower-case already: looked up as they are, without a copy.
          std::string_view key = value.string;
          if (std::any_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
            key = text::fold_ascii_into(key, impl.key_buffer);
          }
          gate.prefixes.each_hit(key, mark);
          gate.suffixes.each_hit(key, mark);
          if (const Impl::RuleSet* hit = gate.value_table.find(key)) {
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
  auto& bits = impl.candidate_bits;
  for (std::size_t word = 0; word < bits.size(); ++word) {
    std::uint64_t all = ~std::uint64_t{0};
    for (std::size_t kind = 0; kind < kGateKinds; ++kind) all &= impl.kind_bits[kind][word];
    bits[word] = all;
  }
  for (std::size_t word = 0; word < bits.size(); ++word) {
    for (std::uint64_t rest = bits[word]; rest != 0; rest &= rest - 1) {
      auto rule = static_cast<std::size_t>(word * 64 + static_cast<std::size_t>(std::countr_zero(rest)));
      // The index patterns first: their verdict is decided once per event and pattern set.
      if (!impl.sees_index(impl.candidate_checks.pattern_set[rule], effective)) continue;
      if (impl.has_required_fields(rule, stamp)) impl.evaluate(rule, event, effective);
    }
  }
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
  std::fill(impl.presence_seen.begin(), impl.presence_seen.end(), 0);
  for (Impl::Ordering& ordering : impl.orderings) {
    ordering.current = nullptr;
    ordering.current_event = UINT64_MAX;
    ordering.held = {};
    ordering.last_held_event = UINT64_MAX;
  }
}

}  // namespace eql
