// Internal to the runner: the rule index, which rules an event may matter to. Each event
// filter of a rule (the rule's condition, or each stage of a sequence or sample) is read
// for necessary conditions of four kinds (GateKind), and for the fields it cannot be true
// without; a rule is filed under the conditions every one of its filters has. An event is
// then evaluated only against the rules whose every gate it passes and whose required
// fields (of some filter) it holds. The index only ever widens the candidates: a rule it
// files is never kept from an event it could match (the runner-versus-each-rule-alone test
// in tests/run_command_test.cpp proves it on the corpus).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eql/ast.h"
#include "eql/event.h"
#include "eql/eval.h"
#include "common/view_table.h"

namespace eql::detail {

// The kinds of necessary conditions the index files rules by, each separately; an event
// must satisfy a rule's condition of each kind it has.
enum GateKind : std::size_t {
  kCategoryGate,  // the event category it tests (`process where`, or `any where event.category ...`)
  kTellingGate,   // values of fields that split events finely (process.name, file.extension)
  kOsGate,        // host.os.type
  kCoarseGate,    // event.type, event.action and the like
  kGateKinds
};

struct Filing;  // how a rule is filed (rule_index.cpp)

class RuleIndex {
 public:
  /// Files the next rule (rules are added in order, numbered from 0) by its event filters.
  /// `field_types` (may be null) says which fields the index can read as the evaluator
  /// does; `category_field` is the rule's event category field.
  void add_rule(std::span<const ast::EventFilter* const> filters, const FieldTypes* field_types,
                std::string_view category_field);

  /// The candidates of an event whose presence stamp is `stamp` (a number not used for an
  /// earlier event since reset_presence()): afterwards for_each_candidate visits them.
  void mark_candidates(const Event& event, std::uint64_t stamp);
  /// Calls `visit(rule)` for each candidate marked, in rule order (so alerts of one event
  /// come out in the order rules were added).
  template <class Visit>
  void for_each_candidate(Visit&& visit) const {
    for (std::size_t word = 0; word < candidate_bits_.size(); ++word) {
      for (std::uint64_t rest = candidate_bits_[word]; rest != 0; rest &= rest - 1) {
        visit(static_cast<std::uint32_t>(word * 64 + static_cast<std::size_t>(std::countr_zero(rest))));
      }
    }
  }
  /// Whether the event marked with `stamp` satisfies every required-field clause of some
  /// filter of the rule. Checked after the cheaper index-pattern verdict.
  bool has_required_fields(std::uint32_t rule, std::uint64_t stamp) const;
  /// Forgets the stamps of events seen (the runner's second pass numbers events afresh).
  void reset_presence();

  /// How the rule was filed, as text: its gate of each kind and each filter's required
  /// fields (`eql run --explain-index`; pinned by tests/rule_index_test.cpp).
  std::string describe(std::uint32_t rule) const;

 private:
  // Rules, as a list and (when long: `event.category` "process" has hundreds) as a bit set
  // too, which an event merges in a few word operations.
  struct RuleSet {
    std::vector<std::uint32_t> list;
    std::vector<std::uint64_t> bits;  // built by build_bit_sets()
  };
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
  struct GateField {  // the rules with a gate of one kind on one field
    std::unordered_map<std::string, RuleSet> by_value;  // lower-cased
    RuleSet all;  // for values the index cannot read (numbers, non-ASCII)
    ViewTable<RuleSet> value_table;  // by_value, for the lookups (built by build_bit_sets())
    Affixes prefixes{false}, suffixes{true};
  };
  struct FieldUse {  // what the index reads of one event field
    std::array<std::unique_ptr<GateField>, kGateKinds> gates;
    std::uint32_t presence = UINT32_MAX;  // its index in presence_seen_, when a rule needs it
  };

  FieldUse& use_of(const std::string& path);
  std::uint32_t category_bit(const std::string& lowered_category);
  std::uint32_t event_categories(const Event& event);
  void build_bit_sets();

  std::size_t rule_count_ = 0;
  bool bit_sets_built_ = false;
  std::deque<std::string> field_names_;  // a deque: field_uses_ holds views of the names
  std::unordered_map<std::string_view, FieldUse> field_uses_;
  // The fields the index reads, for the per-event lookups of an event's ~60 paths (most
  // of them absent). The FieldUse pointers stay valid: field_uses_ is node-based.
  ViewTable<FieldUse> field_table_;
  std::array<std::vector<std::uint64_t>, kGateKinds> free_bits_;  // rules without a gate of the kind
  std::array<std::vector<std::uint64_t>, kGateKinds> kind_bits_;  // per event
  std::vector<std::uint64_t> presence_seen_;  // per field: the current event's stamp when it has it
  // Candidates of the current event as a bit set over rules: deduplicated and in rule order
  // without sorting.
  std::vector<std::uint64_t> candidate_bits_;
  std::string key_buffer_;  // a lower-cased value, reused from event to event
  // Per event filter (each stage) of a rule, the fields it needs as clauses of
  // FieldUse::presence ids: an event may matter only when it satisfies every clause of some
  // filter. Flat rather than in per-rule objects, as most candidates fail the check and a
  // cache miss apiece cost more: filter count, then per filter its category mask (see
  // category_bit), its clause count, then per clause its id count and ids; the rules one
  // after another, rule r's from required_[required_at_[r]].
  std::vector<std::uint32_t> required_at_;
  std::vector<std::uint32_t> required_;
  // The event categories filters test (`process where`), lower-cased, each a bit of a
  // mask: a filter can match only an event holding its category, so a sequence's
  // `network where dns.question.name != null` stage does not make a process event that
  // has the field a candidate. Past 31 names the rest share the last bit, which only
  // widens the candidates.
  std::unordered_map<std::string, std::uint32_t> category_bits_;
  static constexpr std::uint32_t kAnyCategory = ~std::uint32_t{0};
  std::uint32_t current_categories_ = kAnyCategory;
  // Per rule, what describe() prints. Kept as read, not as text: printing every rule's
  // filing at load cost 1% of loading the corpus, for an output only --explain-index asks
  // for. A shared_ptr, whose deleter is bound where Filing is complete (rule_index.cpp).
  std::vector<std::shared_ptr<const Filing>> filings_;
};

inline bool RuleIndex::has_required_fields(std::uint32_t rule, std::uint64_t stamp) const {
  const std::uint32_t* at = required_.data() + required_at_[rule];
  std::uint32_t filters = *at++;
  if (filters == 0) return true;
  for (; filters > 0; --filters) {
    std::uint32_t categories = *at++;
    std::uint32_t clauses = *at++;
    if (categories != kAnyCategory && (categories & current_categories_) == 0) {
      for (; clauses > 0; --clauses) at += *at + 1;
      continue;
    }
    bool all = true;
    for (; clauses > 0; --clauses) {
      std::uint32_t ids = *at++;
      const std::uint32_t* end = at + ids;
      bool any = false;
      for (; at < end && !any; ++at) any = presence_seen_[*at] == stamp;
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

}  // namespace eql::detail
