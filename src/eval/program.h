// Internal to the evaluator: the compiled form of a filter and the scratch space used to
// run it. Built by compile.cpp, run by evaluate.cpp; see docs/semantics.md.
#pragma once

#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "eql/eval.h"
#include "eql/functions.h"
#include "eql/lineage.h"
#include "eval/text.h"

namespace eql::detail {

struct EqualityTable;  // equality_scan.cpp

/// How a comparison reads its operands, chosen from the field types at compile time.
enum class Domain : std::uint8_t { Generic, Date, Ip, Version };

enum class Op : std::uint8_t {
  Constant,  // `constant`
  Slot,      // the value currently chosen for field occurrence `slot`
  Eq, NotEq, Less, LessEq, Greater, GreaterEq,  // args: left, right
  Add, Sub, Mul, Div, Mod,                     // args: left, right
  Negate,                                      // args: operand
  In,        // args: value, candidates...; three-valued
  Match,     // args: value; `matchers`
  IsNull,    // args: operand; never null
  And, Or, Not,  // Kleene logic inside a leaf
  Call,      // `function`, args
  Lineage,   // `descendant of`/`child of`/`event of`: asks `lineage`; never null
  ArraySearch,  // `_arraysearch`: whether an element satisfies `array_search`; never null
};

struct ArraySearch;  // array_search.cpp

struct Matcher {
  enum class Kind : std::uint8_t { Equal, Wildcard, Regex };
  Kind kind = Kind::Equal;
  bool case_insensitive = false;
  std::string literal;  // Equal (folded when case-insensitive)
  text::Wildcard wildcard;
  std::shared_ptr<const RE2> regex;
  std::string source;  // the pattern as written, for describe()
};

struct Node {
  Op op = Op::Constant;
  Domain domain = Domain::Generic;
  Function function = Function::Concat;
  bool case_insensitive = false;
  Value constant;
  std::uint32_t slot = 0;
  std::vector<std::uint32_t> args;
  std::vector<Matcher> matchers;
  std::vector<CidrBlock> cidrs;  // cidrMatch with constant blocks
  std::string date_format;       // Date domain: the field's mapping format
  // Lineage: the source asked, the relation, and the inner query's id in the source.
  LineageSource* lineage = nullptr;
  LineageSource::Relation relation = LineageSource::Relation::Descendant;
  std::uint32_t lineage_condition = 0;
  // ArraySearch: the array field and the condition over one element.
  std::shared_ptr<const ArraySearch> array_search;
  // Long lists, looked up rather than scanned (index_long_lists; evaluate.cpp): the ASCII
  // string candidates of an `in` (generic domain), or the ASCII literals of a match's equal
  // matchers, sorted, lower-cased when compared ignoring case. `unlisted` holds the
  // candidates (indexes into args) or matchers (into matchers) that are not in the set.
  std::vector<std::string> ascii_set;
  bool ascii_set_case_insensitive = false;
  std::vector<std::uint32_t> unlisted;
  // Match: some matcher is a case-insensitive wildcard, so an ASCII value is lower-cased
  // once for all of them (Wildcard::matches_ascii(value, folded)).
  bool folds_ascii_value = false;
};

/// One occurrence of a field in a leaf.
struct Slot {
  std::string name;  // as written
  std::string path;  // resolved (aliases)
  FieldType type = FieldType::Unknown;
  bool has_null_value = false;
  Value null_value;  // what an explicit JSON null counts as (mapping null_value)
  /// Process-wide id of `path` (intern_field_path): programs compiled apart share the
  /// per-event lookup cache of an EvalContext.
  std::uint32_t field_id = 0;
  /// In the condition of an _arraysearch: a field of the event searched (written without
  /// `$entry.`), not of the element.
  bool of_event = false;
  /// A field of an aliased stage's event (endpoint dialect, `event0.file.name`): the
  /// index of the alias in Program::aliases, -1 for the event's own field.
  std::int32_t alias = -1;
};

/// A leaf: one comparison/predicate, true when some choice of one value per slot makes
/// `root` true.
struct Leaf {
  std::uint32_t root = 0;
  std::vector<std::uint32_t> slots;
  /// Process-wide id of what the leaf computes (intern_leaf): two leaves with one id give
  /// the same result on every event, so an EvalContext evaluates it once per event for
  /// all the programs that hold it (the `event.category == "process"` of hundreds of rules).
  std::uint32_t memo_id = 0;
  /// Some slot reads an aliased stage's event: the result depends on the partial sequence
  /// as well as on the event, so it is never memoized.
  bool cross = false;
};

enum class BoolOp : std::uint8_t { And, Or, Not, Leaf, True, False };
struct BoolNode {
  BoolOp op = BoolOp::True;
  std::vector<std::uint32_t> children;
  std::uint32_t leaf = 0;
  /// The query text the node came from (empty when it has none of its own: the positive
  /// leaf of a normalised `!=` or `not in`), and whether it is the `<category> where`
  /// test. Read by the tracing mode only.
  Span span{};
  bool category = false;
};

/// The boolean layer as run: the BoolNode tree from `root`, laid out in preorder in one
/// array (a node's children follow it, each child's subtree ends where its next sibling
/// starts), with each leaf's memo id copied in. Evaluating walks contiguous memory and a
/// leaf already computed for this event costs one load of its memo entry, without
/// touching the Leaf (built by build_steps at compile time).
struct Step {
  BoolOp op = BoolOp::True;
  std::uint32_t end = 0;      // one past this step's subtree
  std::uint32_t leaf = 0;     // BoolOp::Leaf: index into Program::leaves
  std::uint32_t memo_id = 0;  // BoolOp::Leaf: its Leaf::memo_id
  /// BoolOp::Leaf of a cross-stage leaf (Leaf::cross): what it answers when no aliased
  /// events are given (FilterProgram::matches), chosen so that the filter answers a
  /// necessary condition: true under an even number of `not`, false under an odd one.
  bool cross = false;
  bool relaxed = true;
};

struct Program {
  std::vector<Node> nodes;
  std::vector<Slot> slots;
  std::vector<Leaf> leaves;
  std::vector<BoolNode> bools;
  std::uint32_t root = 0;
  std::vector<Step> steps;  // from `root`; steps[0] is the root (build_steps)
  std::vector<std::uint32_t> step_bools;  // per step, its BoolNode (for the tracing mode)
  std::deque<std::string> strings;  // owns every string constant (stable addresses)
  std::size_t max_leaf_slots = 0;
  std::uint32_t field_id_end = 0;  // above every Slot::field_id
  std::uint32_t memo_id_end = 0;   // above every Leaf::memo_id
  std::vector<std::string> aliases;  // the stage aliases the slots read (Slot::alias)
};

/// Fills Program::steps from `bools` and `root`, once the leaves have their memo ids.
void build_steps(Program& program);

/// Files a compiled program's equality leaves in the process-wide table of one scan per
/// field (equality_scan.cpp; at compile time, thread-safe).
void register_equality_leaves(const Program& program);
/// Whether the leaf is an equality leaf whose field's values the table can decide on this
/// event; then `result` is the leaf's value, and every leaf of the field has been decided
/// (marked true in the leaf memo, or left unmarked for false). `serial` is not 0.
bool answer_by_field_scan(const Program& program, const Leaf& leaf, const Event& event, std::uint64_t serial,
                          EvalContext::Scratch& scratch, bool& result);

/// Builds the ascii_set of every long `in` and match list of a program (at compile time).
void index_long_lists(Program& program);

/// Interning, at compile time only (thread-safe): the same text always gets the same id.
std::uint32_t intern_field_path(std::string_view path);
/// The id of a leaf, from a key that spells out everything its result depends on.
std::uint32_t intern_leaf(const std::string& key);

/// Bump allocator for strings made while evaluating (concat, string()); reset per leaf
/// choice, keeps its blocks so that a warm context allocates nothing.
class Arena {
 public:
  std::string_view store(std::string_view text);
  std::string_view store(const std::string& text) { return store(std::string_view(text)); }
  void reset() {
    block_ = 0;
    used_ = 0;
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::size_t> sizes_;
  std::size_t block_ = 0;
  std::size_t used_ = 0;
};

}  // namespace eql::detail

namespace eql {

struct EvalContext::Scratch {
  // Per-event caches, valid while `serial` equals the event's Event::serial().
  struct FieldMemo {
    std::uint64_t serial = 0;
    std::span<const Value> values;
  };
  // A leaf's memo entry: (serial << 1) | result, 0 when never computed. One word, not a
  // pair, so that the memo of the ~10,000 distinct corpus leaves takes half the cache.
  // Serials are below 2^63 (a counter from 1), and serial 0 is never looked up.
  using LeafMemo = std::uint64_t;
  std::vector<FieldMemo> field_memo;  // by Slot::field_id
  std::vector<LeafMemo> leaf_memo;    // by Leaf::memo_id
  // One scan per field (equality_scan.cpp): the table of every program's equality leaves
  // this context reads, its version, and per field of it (serial << 1) | unscannable.
  std::shared_ptr<const detail::EqualityTable> equality_table;
  std::uint64_t equality_version = UINT64_MAX;
  std::vector<std::uint64_t> equality_scanned;

  std::span<const Value> field_values(const Event& event, std::uint64_t serial, const detail::Slot& slot) {
    const Event* from = &event;
    if (slot.alias >= 0) {
      // Without the partial sequence's events (a relaxed evaluation, or tracing), an
      // aliased field has no values.
      if (static_cast<std::size_t>(slot.alias) >= aliased_events.size() || aliased_events[slot.alias] == nullptr) {
        return {};
      }
      from = aliased_events[slot.alias];
      serial = from->serial();
    } else if (slot.of_event && searched_event != nullptr) {
      from = searched_event;
      serial = searched_event->serial();
    }
    FieldMemo& memo = field_memo[slot.field_id];
    if (memo.serial != serial || serial == 0) memo = {serial, from->values(slot.path)};
    return memo.values;
  }
  /// In the context an _arraysearch evaluates its elements in: the event searched, whose
  /// fields the condition's Slot::of_event read.
  const Event* searched_event = nullptr;
  /// The events of the partial sequence a cross-stage condition is judged against, by
  /// Program::aliases index; empty outside FilterProgram::matches_in_sequence.
  std::span<const Event* const> aliased_events;
  std::vector<const Event*> aliased_storage;  // what a nested context's aliased_events view

  std::vector<Value> slot_values;
  std::vector<std::uint32_t> cursor;
  detail::Arena arena;
  std::vector<char32_t> code_points_a, code_points_b;
  std::vector<std::size_t> offsets_a;
  std::string text_buffer;
  std::string list_key;  // a lower-cased value looked up in a Node::ascii_set
  std::string folded_value;  // Node::folds_ascii_value: the value, lower-cased

  // The tracing mode (FilterProgram::trace): where the nodes go, and per slot of the leaf
  // just decided true, the raw index of the value that made it true (UINT32_MAX: null).
  FilterTrace* trace = nullptr;
  std::vector<std::uint32_t> trace_choice;
  bool trace_decided = false;  // some choice of the leaf gave true or false, not null

  // _arraysearch (array_search.cpp): the elements of the arrays read from the JSON text of
  // the event whose serial is `array_serial` (each array once per event, however many
  // rules search it), and the context their conditions run in (its own: the leaf that asks
  // is being evaluated in this one).
  struct ArrayElements {
    std::string path;
    std::vector<Event> elements;
  };
  std::uint64_t array_serial = 0;
  std::vector<ArrayElements> arrays;
  std::unique_ptr<EvalContext> nested;

  // The event FilterProgram::matches evaluates (nullptr when folding constants), and its serial.
  const Event* current_event = nullptr;
  std::uint64_t current_serial = 0;

  /// `text` lower-cased (ASCII), kept for the rest of the event when `text` is one of the
  /// event's own strings: a rule set's case-insensitive patterns fold the same command
  /// lines and paths over and over, one rule after another. Other text (a function's
  /// result in the arena, whose address the next leaf reuses) is folded anew each time.
  std::string_view folded_ascii(std::string_view text) {
    if (current_event == nullptr || current_serial == 0 || !current_event->holds(text)) {
      return text::fold_ascii_into(text, folded_value);
    }
    if (folded_serial != current_serial) {
      folded_serial = current_serial;
      folded_texts.clear();
      folded_store.clear();
    }
    for (const FoldedText& known : folded_texts) {
      if (known.data == text.data() && known.size == text.size()) {
        return std::string_view(folded_store).substr(known.offset, known.size);
      }
    }
    if (folded_texts.size() == kMaxFoldedTexts) return text::fold_ascii_into(text, folded_value);
    const std::size_t offset = folded_store.size();
    folded_store.resize(offset + text.size());
    for (std::size_t i = 0; i < text.size(); ++i) folded_store[offset + i] = text::fold_ascii(text[i]);
    folded_texts.push_back({text.data(), text.size(), offset});
    return std::string_view(folded_store).substr(offset, text.size());
  }

 private:
  // A few dozen distinct strings are folded per event; a linear scan over them costs less
  // than hashing, and the bound keeps an event with thousands of values from making it slow.
  static constexpr std::size_t kMaxFoldedTexts = 32;
  struct FoldedText {
    const char* data;
    std::size_t size;
    std::size_t offset;  // into folded_store, which may grow (and move) as texts are added
  };
  std::uint64_t folded_serial = 0;
  std::vector<FoldedText> folded_texts;
  std::string folded_store;
};

}  // namespace eql

namespace eql::detail {

// ---- the semantics core (semantics.cpp): the only place that decides null/missing/multi ----

/// Element `raw` of a field's JSON values as one member of V(f): false when it is not a
/// member (a JSON null without a mapping null_value), else the value it stands for.
/// A field with no member at all takes the single value null (evaluate_leaf).
bool is_candidate(const Slot& slot, const Value& raw, Value& effective);

/// Whether a leaf value counts as a match: only `true`; false and null do not.
inline bool counts_as_match(const Value& value) { return value.is_true(); }

/// Kleene logic on three-valued booleans (null = unknown).
Value kleene_and(const Value& a, const Value& b);
Value kleene_or(const Value& a, const Value& b);
Value kleene_not(const Value& a);

// ---- scalar evaluation (evaluate.cpp, functions.cpp) ----

Value evaluate_node(const Program& program, std::uint32_t index, EvalContext::Scratch& scratch);
/// Runs program.steps from step `index` (0: the whole filter); `serial` is event.serial().
bool evaluate_steps(const Program& program, std::uint32_t index, const Event& event, std::uint64_t serial,
                    EvalContext::Scratch& scratch);
/// The same walk in its tracing mode (the same code, instantiated with tracing on): every
/// node's verdict and the values its leaves saw go to *scratch.trace, in preorder. Every
/// child of an `and`/`or` is evaluated, so that each node has a verdict; the result is the
/// one evaluate_steps gives (the layer is two-valued and leaves read the event only).
bool trace_steps(const Program& program, std::uint32_t index, const Event& event, std::uint64_t serial,
                 EvalContext::Scratch& scratch);

/// Comparison of two non-null values in a domain: <0, 0, >0, or nothing when they do not
/// compare (which makes the comparison null).
std::optional<int> compare_values(const Value& a, const Value& b, Domain domain,
                                  std::string_view date_format, bool case_insensitive);

Value call_function(const Node& node, std::span<const Value> args, EvalContext::Scratch& scratch);
/// A value's text for string functions and patterns: strings as they are, numbers and
/// booleans printed (into the arena), null stays null (returns false).
bool text_of(const Value& value, EvalContext::Scratch& scratch, std::string_view& out);

// ---- _arraysearch (array_search.cpp) ----

/// `_arraysearch(array, $entry, condition)` compiled: `condition` is a program of its own
/// over one element (an Event of the element's fields: `$entry.x` reads `x`).
struct ArraySearch {
  std::string path;  ///< the array field, as filed in events
  std::shared_ptr<const Program> condition;
  /// Everything the result depends on (the path, the condition's leaves and structure), for
  /// the leaf memo: the same search in two rules is evaluated once per event.
  std::string key;
  /// For each stage alias the condition reads (its Program::aliases), the index of that
  /// alias in the enclosing program's: the partial's events are handed down by it.
  std::vector<std::int32_t> alias_map;
};

/// Compiles the call `call` met by a compiler with `types` (the event's, or an enclosing
/// search's element's) and `variable` (the enclosing search's `$variable`, empty at the top):
/// nullptr with diagnostics on error.
/// `event_types`: the types of the event's own fields (the same as `types` at the top).
std::shared_ptr<const ArraySearch> compile_array_search(const ast::Call& call, const FilterOptions& options,
                                                        const FieldTypes& types, const FieldTypes& event_types,
                                                        std::string_view variable, Diagnostics& diagnostics,
                                                        std::vector<std::string>& outer_aliases);
/// The condition of a search, compiled by compile.cpp: `$variable.x` reads field `x` of the
/// element (typed by options.field_types), a field without `$` reads the event's (typed by
/// `event_types`); nullptr with diagnostics on error.
std::shared_ptr<const Program> compile_element_condition(const ast::Expr& condition, const FilterOptions& options,
                                                         const FieldTypes& event_types, std::string_view variable,
                                                         Diagnostics& diagnostics);
/// Whether some element of the search's array in `event` satisfies its condition.
bool array_search_matches(const ArraySearch& search, const Event& event, EvalContext::Scratch& scratch);
/// A leaf's compiled form, as describe() prints it (program_ids.cpp).
std::string describe_leaf(const Program& program, const Leaf& leaf);
/// The boolean layer from bools[index], as FilterProgram::describe() prints it.
void describe_bool(const Program& program, std::uint32_t index, std::string& out);
/// Everything a leaf's result depends on, spelled out (the key intern_leaf is given).
std::string leaf_key(const Program& program, const Leaf& leaf);
/// Appends a length-prefixed string to a key, so that no two sequences of parts spell one.
void key_text(std::string& key, std::string_view text);

}  // namespace eql::detail
