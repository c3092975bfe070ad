// One scan per field for the equality leaves of every compiled program (issue 19): the
// ASCII string literals that `==`, `in` and `:`/`like` without wildcards compare a field
// with, of all rules, in one table per field; the first such leaf asked on an event looks
// the field's values up once and marks every leaf they make true in the leaf memo, so the
// others answer false without their compiled nodes being read (which, a thousand rules'
// worth, do not stay in cache). See docs/performance.md.
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "eval/program.h"

namespace eql::detail {

struct EqualityTable {
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using Literals = std::unordered_map<std::string, std::vector<std::uint32_t>, TextHash, std::equal_to<>>;
  struct Field {
    Literals exact;   // literal -> memo ids of the leaves it makes true (case matters)
    Literals folded;  // the same for leaves ignoring case, the literal lower-cased
  };
  // By memo id: the index of the leaf's field in `fields`, kNone when not an equality leaf,
  // kUnseen when no program has held it yet.
  static constexpr std::int32_t kNone = -1, kUnseen = -2;
  std::vector<std::int32_t> field_of_memo;
  std::vector<Field> fields;
  std::uint32_t memo_end = 0;
};

namespace {

// Compiling adds to `building` under the mutex; evaluating reads it once published, as an
// immutable table: compiling after that (rare: programs are compiled before the events
// come) first copies it, so that a context holding an older table stays exact (a leaf that
// table lacks is evaluated the ordinary way) while only one copy is kept the rest of the
// time.
struct Registry {
  std::mutex mutex;
  std::shared_ptr<EqualityTable> building = std::make_shared<EqualityTable>();
  bool building_published = false;  // `published` is `building`: copy before changing it
  std::unordered_map<std::uint32_t, std::uint32_t> field_index;  // Slot::field_id -> fields
  std::atomic<std::uint64_t> version{0};
  std::shared_ptr<const EqualityTable> published;
  std::uint64_t published_version = 0;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

bool ascii_string_constant(const Node& node, std::string& out) {
  if (node.op != Op::Constant || node.constant.kind != ValueKind::String) return false;
  if (!text::is_ascii(node.constant.string)) return false;
  out = std::string(node.constant.string);
  return true;
}

// The literals of an equality leaf over one plain string field, and whether they ignore
// case; false for any other leaf. For an ASCII value and ASCII literals, text::equals (what
// `==`, `in` and an equal matcher decide with) is byte equality, or equality of the
// ASCII-lower-cased bytes when ignoring case (as Node::ascii_set relies on too).
bool equality_literals(const Program& program, const Leaf& leaf, std::vector<std::string>& literals, bool& folded) {
  if (leaf.slots.size() != 1 || leaf.cross) return false;
  const Slot& slot = program.slots[leaf.slots[0]];
  if (slot.alias >= 0 || slot.of_event || slot.has_null_value) return false;
  if (slot.type != FieldType::String && slot.type != FieldType::Unknown) return false;
  const Node& root = program.nodes[leaf.root];
  auto is_slot = [&](std::uint32_t i) { return program.nodes[i].op == Op::Slot; };
  std::string text;
  if (root.op == Op::Match) {
    if (root.args.size() != 1 || !is_slot(root.args[0]) || root.matchers.empty()) return false;
    folded = root.matchers[0].case_insensitive;
    for (const Matcher& matcher : root.matchers) {
      if (matcher.kind != Matcher::Kind::Equal || matcher.case_insensitive != folded ||
          !text::is_ascii(matcher.literal)) {
        return false;
      }
      literals.push_back(matcher.literal);
    }
    return true;
  }
  if (root.domain != Domain::Generic) return false;
  folded = root.case_insensitive;
  if (root.op == Op::In) {
    if (root.args.size() < 2 || !is_slot(root.args[0])) return false;
    for (std::size_t i = 1; i < root.args.size(); ++i) {
      if (!ascii_string_constant(program.nodes[root.args[i]], text)) return false;
      literals.push_back(text);
    }
    return true;
  }
  if (root.op == Op::Eq && root.args.size() == 2) {
    const std::uint32_t literal = is_slot(root.args[0])   ? root.args[1]
                                  : is_slot(root.args[1]) ? root.args[0]
                                                          : UINT32_MAX;
    if (literal == UINT32_MAX || !ascii_string_constant(program.nodes[literal], text)) return false;
    literals.push_back(text);
    return true;
  }
  return false;
}

// Points the context at the newest table; the fields it scanned on this event under the
// older one are scanned again (the new table may hold more of their leaves).
void refresh(EvalContext::Scratch& scratch) {
  Registry& shared = registry();
  std::lock_guard<std::mutex> lock(shared.mutex);
  const std::uint64_t version = shared.version.load(std::memory_order_relaxed);
  if (shared.published_version != version || !shared.published) {
    shared.published = shared.building;
    shared.building_published = true;
    shared.published_version = version;
  }
  scratch.equality_table = shared.published;
  scratch.equality_version = version;
  scratch.equality_scanned.assign(shared.published->fields.size(), 0);
}

// Marks in the leaf memo every leaf of `field` that one of the field's values makes true;
// false (nothing marked) when some value is not an ASCII string, which the leaves'
// ordinary evaluation decides (numbers against numeric text, Unicode case folding).
bool scan_field(const EqualityTable& table, std::size_t field, const Slot& slot, const Event& event,
                std::uint64_t serial, EvalContext::Scratch& scratch) {
  const std::span<const Value> raws = scratch.field_values(event, serial, slot);
  Value effective;
  for (const Value& raw : raws) {
    if (!is_candidate(slot, raw, effective)) continue;
    if (effective.kind != ValueKind::String || !text::is_ascii(effective.string)) return false;
  }
  if (scratch.leaf_memo.size() < table.memo_end) scratch.leaf_memo.resize(table.memo_end);
  const EqualityTable::Field& literals = table.fields[field];
  auto mark = [&](const EqualityTable::Literals& map, std::string_view key) {
    auto found = map.find(key);
    if (found == map.end()) return;
    for (std::uint32_t id : found->second) scratch.leaf_memo[id] = (serial << 1) | 1;
  };
  for (const Value& raw : raws) {
    if (!is_candidate(slot, raw, effective)) continue;
    mark(literals.exact, effective.string);
    if (!literals.folded.empty()) mark(literals.folded, text::fold_ascii_into(effective.string, scratch.list_key));
  }
  return true;
}

// Whether some leaf of the program is not in the table yet.
bool has_unseen_leaf(const EqualityTable& table, const Program& program) {
  for (const Leaf& leaf : program.leaves) {
    if (leaf.memo_id >= table.field_of_memo.size() || table.field_of_memo[leaf.memo_id] == EqualityTable::kUnseen) {
      return true;
    }
  }
  return false;
}

}  // namespace

void register_equality_leaves(const Program& program) {
  Registry& shared = registry();
  std::lock_guard<std::mutex> lock(shared.mutex);
  if (!has_unseen_leaf(*shared.building, program)) return;
  if (shared.building_published) {
    shared.building = std::make_shared<EqualityTable>(*shared.building);
    shared.building_published = false;
  }
  EqualityTable& table = *shared.building;
  for (const Leaf& leaf : program.leaves) {
    if (table.field_of_memo.size() <= leaf.memo_id) table.field_of_memo.resize(leaf.memo_id + 1, EqualityTable::kUnseen);
    if (table.field_of_memo[leaf.memo_id] != EqualityTable::kUnseen) continue;  // one id, one leaf
    table.memo_end = std::max(table.memo_end, leaf.memo_id + 1);
    std::vector<std::string> literals;
    bool folded = false;
    if (!equality_literals(program, leaf, literals, folded)) {
      table.field_of_memo[leaf.memo_id] = EqualityTable::kNone;
      continue;
    }
    const Slot& slot = program.slots[leaf.slots[0]];
    auto [at, added] = shared.field_index.emplace(slot.field_id, static_cast<std::uint32_t>(table.fields.size()));
    if (added) table.fields.emplace_back();
    EqualityTable::Field& field = table.fields[at->second];
    std::string key;
    for (const std::string& literal : literals) {
      auto& ids = (folded ? field.folded : field.exact)[folded ? std::string(text::fold_ascii_into(literal, key)) : literal];
      if (std::find(ids.begin(), ids.end(), leaf.memo_id) == ids.end()) ids.push_back(leaf.memo_id);
    }
    table.field_of_memo[leaf.memo_id] = static_cast<std::int32_t>(at->second);
  }
  shared.version.fetch_add(1, std::memory_order_release);
}

bool answer_by_field_scan(const Program& program, const Leaf& leaf, const Event& event, std::uint64_t serial,
                          EvalContext::Scratch& scratch, bool& result) {
  if (scratch.equality_version != registry().version.load(std::memory_order_acquire)) refresh(scratch);
  const EqualityTable& table = *scratch.equality_table;
  if (leaf.memo_id >= table.field_of_memo.size() || table.field_of_memo[leaf.memo_id] < 0) return false;
  const auto field = static_cast<std::size_t>(table.field_of_memo[leaf.memo_id]);
  // Per field: (serial << 1) | 1 when the values could not be scanned on that event.
  std::uint64_t& state = scratch.equality_scanned[field];
  if ((state >> 1) != serial) {
    state = serial << 1;
    if (!scan_field(table, field, program.slots[leaf.slots[0]], event, serial, scratch)) state |= 1;
  }
  if ((state & 1) != 0) return false;
  const EvalContext::Scratch::LeafMemo memo = scratch.leaf_memo[leaf.memo_id];
  result = (memo >> 1) == serial && (memo & 1) != 0;
  return true;
}

}  // namespace eql::detail
