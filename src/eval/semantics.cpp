// The null / missing / multi-valued rules of Elasticsearch EQL, in one place
// (docs/semantics.md, tests/eval_semantics_test.cpp):
//   * V(f) is the list of non-null scalars of f (arrays flattened; missing, null, [] and
//     [null] all give the empty list; a mapping null_value stands in for a JSON null);
//   * a leaf (comparison, in, pattern, function predicate) is true when some choice of
//     one value of V(f) per field occurrence makes it true, an empty V(f) giving null;
//   * inside a leaf, scalar logic is three-valued and a null result counts as false;
//   * `not`, `and`, `or` above the leaves are two-valued: `not` is the complement.
#include <algorithm>

#include "eval/program.h"

namespace eql::detail {

bool is_candidate(const Slot& slot, const Value& raw, Value& effective) {
  if (!raw.is_null()) {
    effective = raw;
    return true;
  }
  if (!slot.has_null_value) return false;
  effective = slot.null_value;
  return true;
}

Value kleene_and(const Value& a, const Value& b) {
  bool a_false = a.kind == ValueKind::Bool && !a.boolean;
  bool b_false = b.kind == ValueKind::Bool && !b.boolean;
  if (a_false || b_false) return Value::of_bool(false);
  if (a.is_true() && b.is_true()) return Value::of_bool(true);
  return Value::null();
}

Value kleene_or(const Value& a, const Value& b) {
  if (a.is_true() || b.is_true()) return Value::of_bool(true);
  bool a_false = a.kind == ValueKind::Bool && !a.boolean;
  bool b_false = b.kind == ValueKind::Bool && !b.boolean;
  if (a_false && b_false) return Value::of_bool(false);
  return Value::null();
}

Value kleene_not(const Value& a) {
  if (a.kind != ValueKind::Bool) return Value::null();
  return Value::of_bool(!a.boolean);
}

namespace {

// kTrace: the tracing mode, which also notes in scratch.trace_choice the values a true
// verdict came from (the untraced instantiation has no trace of it).
template <bool kTrace>
bool evaluate_leaf_now(const Program& program, const Leaf& leaf, const Event& event, std::uint64_t serial,
                       EvalContext::Scratch& scratch) {
  // One choice of values: whether the leaf's value counts as a match (traced: whether
  // some choice gave true or false rather than null).
  auto decide = [&] {
    const Value value = evaluate_node(program, leaf.root, scratch);
    if constexpr (kTrace) scratch.trace_decided = scratch.trace_decided || value.kind == ValueKind::Bool;
    return counts_as_match(value);
  };
  const std::size_t count = leaf.slots.size();
  if (count == 0) {
    scratch.arena.reset();
    return decide();
  }
  // Bound the work on pathological events (many multi-valued fields in one leaf).
  constexpr std::size_t kMaxChoices = 1u << 16;
  if (count == 1) {
    // Most leaves read one field: try each member in turn, or the single null when there
    // is none (what the odometer below does with one digit, without its bookkeeping).
    const std::uint32_t slot_index = leaf.slots[0];
    const Slot& slot = program.slots[slot_index];
    Value& current = scratch.slot_values[slot_index];
    bool any_member = false;
    std::size_t choices = 0;
    const std::span<const Value> raws = scratch.field_values(event, serial, slot);
    for (std::uint32_t i = 0; i < raws.size(); ++i) {
      if (!is_candidate(slot, raws[i], current)) continue;
      any_member = true;
      if (++choices > kMaxChoices) return false;
      scratch.arena.reset();
      if (decide()) {
        if constexpr (kTrace) scratch.trace_choice.assign(1, i);
        return true;
      }
    }
    if (any_member) return false;
    current = Value::null();
    scratch.arena.reset();
    const bool result = decide();
    if constexpr (kTrace) scratch.trace_choice.assign(1, UINT32_MAX);
    return result;
  }
  // An odometer over the slots: cursor[k] is the raw index of slot k's current value, or
  // the raw size when V(f) is empty and the slot holds the single null.
  auto& cursor = scratch.cursor;
  auto& current = scratch.slot_values;
  auto raw_of = [&](std::size_t k) { return scratch.field_values(event, serial, program.slots[leaf.slots[k]]); };
  // Moves slot k to its next member at or after `from`; false when there is none.
  auto seek = [&](std::size_t k, std::uint32_t from) {
    const Slot& slot = program.slots[leaf.slots[k]];
    auto raw = raw_of(k);
    for (std::uint32_t i = from; i < raw.size(); ++i) {
      if (is_candidate(slot, raw[i], current[leaf.slots[k]])) {
        cursor[k] = i;
        return true;
      }
    }
    return false;
  };
  for (std::size_t k = 0; k < count; ++k) {
    if (!seek(k, 0)) {
      cursor[k] = UINT32_MAX;  // empty V(f): the occurrence is null
      current[leaf.slots[k]] = Value::null();
    }
  }
  for (std::size_t choice = 0; choice < kMaxChoices; ++choice) {
    scratch.arena.reset();
    if (decide()) {
      if constexpr (kTrace) scratch.trace_choice.assign(cursor.begin(), cursor.begin() + static_cast<std::ptrdiff_t>(count));
      return true;
    }
    // Advance the odometer.
    std::size_t k = 0;
    for (; k < count; ++k) {
      if (cursor[k] != UINT32_MAX && seek(k, cursor[k] + 1)) break;
      if (cursor[k] != UINT32_MAX) seek(k, 0);  // wrap this digit, carry to the next
    }
    if (k == count) return false;
  }
  return false;
}

// A traced leaf: its fields (each once, in the order the leaf reads them) with their
// members V(f), and the one a true verdict came from.
void trace_leaf(const Program& program, const Leaf& leaf, const Event& event, std::uint64_t serial, bool result,
                EvalContext::Scratch& scratch, TraceNode& node) {
  for (std::size_t k = 0; k < leaf.slots.size(); ++k) {
    const Slot& slot = program.slots[leaf.slots[k]];
    const std::uint32_t chosen = result && k < scratch.trace_choice.size() ? scratch.trace_choice[k] : UINT32_MAX;
    auto known = std::find_if(node.fields.begin(), node.fields.end(),
                              [&](const TraceNode::Field& field) { return field.name == slot.name; });
    const bool first = known == node.fields.end();
    if (first) {
      node.fields.push_back({slot.name, {}, {}});
      known = node.fields.end() - 1;
    }
    const std::span<const Value> raws = scratch.field_values(event, serial, slot);
    std::size_t member = 0;
    for (std::uint32_t i = 0; i < raws.size(); ++i) {
      Value effective;
      if (!is_candidate(slot, raws[i], effective)) continue;
      if (first) {
        known->values.emplace_back();
        append_json(known->values.back(), effective);
      }
      if (i == chosen && !known->matched) known->matched = member;
      ++member;
    }
  }
}

// The boolean layer, untraced (kTrace false: what matches() runs) or traced (into
// *scratch.trace, every child evaluated).
template <bool kTrace>
bool run_steps(const Program& program, std::uint32_t index, const Event& event, std::uint64_t serial,
               EvalContext::Scratch& scratch, std::uint32_t depth) {
  const Step& step = program.steps[index];
  [[maybe_unused]] std::size_t at = 0;
  if constexpr (kTrace) {
    const BoolNode& bool_node = program.bools[program.step_bools[index]];
    TraceNode node;
    node.kind = static_cast<TraceNode::Kind>(step.op);
    node.depth = depth;
    node.span = bool_node.span;
    node.category = bool_node.category;
    at = scratch.trace->nodes.size();
    scratch.trace->nodes.push_back(std::move(node));
  }
  auto verdict = [&](bool result) {
    if constexpr (kTrace) scratch.trace->nodes[at].verdict = result;
    return result;
  };
  switch (step.op) {
    case BoolOp::True: return verdict(true);
    case BoolOp::False: return verdict(false);
    case BoolOp::Leaf: {
      // A cross-stage leaf without the partial's events answers its relaxed verdict.
      if (step.cross && scratch.aliased_events.empty()) {
        if constexpr (kTrace) scratch.trace->nodes[at].cross = true;
        return verdict(step.relaxed);
      }
      if constexpr (kTrace) {
        const Leaf& leaf = program.leaves[step.leaf];
        scratch.trace_choice.clear();
        scratch.trace_decided = false;
        const bool result = evaluate_leaf_now<true>(program, leaf, event, serial, scratch);
        scratch.trace->nodes[at].null = !scratch.trace_decided;
        scratch.trace->nodes[at].compiled = describe_leaf(program, leaf);
        trace_leaf(program, leaf, event, serial, result, scratch, scratch.trace->nodes[at]);
        return verdict(result);
      }
      // A leaf's result depends on the event alone, so it is computed once per event and
      // context, whichever program asks (see Leaf::memo_id).
      if (step.cross) return evaluate_leaf_now<false>(program, program.leaves[step.leaf], event, serial, scratch);
      if (serial != 0) {
        const EvalContext::Scratch::LeafMemo known = scratch.leaf_memo[step.memo_id];
        if ((known >> 1) == serial) return (known & 1) != 0;
        // An equality leaf is decided with all the others of its field, by one lookup of
        // the field's values (equality_scan.cpp); the scan may grow leaf_memo.
        bool scanned = false;
        if (answer_by_field_scan(program, program.leaves[step.leaf], event, serial, scratch, scanned)) {
          scratch.leaf_memo[step.memo_id] = (serial << 1) | static_cast<std::uint64_t>(scanned);
          return scanned;
        }
      }
      const bool result = evaluate_leaf_now<false>(program, program.leaves[step.leaf], event, serial, scratch);
      // Indexed again rather than held across the evaluation, which may grow leaf_memo.
      scratch.leaf_memo[step.memo_id] = (serial << 1) | static_cast<std::uint64_t>(result);
      return result;
    }
    case BoolOp::Not: return verdict(!run_steps<kTrace>(program, index + 1, event, serial, scratch, depth + 1));
    case BoolOp::And:
    case BoolOp::Or: {
      const bool is_and = step.op == BoolOp::And;
      bool result = is_and;
      for (std::uint32_t child = index + 1; child < step.end; child = program.steps[child].end) {
        if (run_steps<kTrace>(program, child, event, serial, scratch, depth + 1) != is_and) {
          result = !is_and;
          if constexpr (!kTrace) break;
        }
      }
      return verdict(result);
    }
  }
  return false;
}

}  // namespace

bool evaluate_steps(const Program& program, std::uint32_t index, const Event& event, std::uint64_t serial,
                    EvalContext::Scratch& scratch) {
  return run_steps<false>(program, index, event, serial, scratch, 0);
}

bool trace_steps(const Program& program, std::uint32_t index, const Event& event, std::uint64_t serial,
                 EvalContext::Scratch& scratch) {
  return run_steps<true>(program, index, event, serial, scratch, 0);
}

namespace {

// `negated`: under an odd number of `not` (a cross-stage leaf's relaxed verdict).
void append_steps(Program& program, std::uint32_t index, bool negated) {
  const BoolNode& node = program.bools[index];
  const auto at = static_cast<std::uint32_t>(program.steps.size());
  Step step;
  step.op = node.op;
  if (node.op == BoolOp::Leaf) {
    step.leaf = node.leaf;
    step.memo_id = program.leaves[node.leaf].memo_id;
    step.cross = program.leaves[node.leaf].cross;
    step.relaxed = !negated;
  }
  program.steps.push_back(step);
  program.step_bools.push_back(index);
  // Not has one child; And/Or their list; the others none.
  for (std::uint32_t child : node.children) {
    append_steps(program, child, node.op == BoolOp::Not ? !negated : negated);
    if (node.op == BoolOp::Not) break;
  }
  program.steps[at].end = static_cast<std::uint32_t>(program.steps.size());
}

}  // namespace

void build_steps(Program& program) {
  program.steps.clear();
  program.step_bools.clear();
  append_steps(program, program.root, false);
  register_equality_leaves(program);
}

}  // namespace eql::detail
