// The evaluator for event filters: an AST condition compiled once into an immutable
// program that decides, for one Event at a time, whether it matches, with
// Elasticsearch's semantics for missing, null and multi-valued fields (docs/semantics.md).
// Sequence stages (issue 5) reuse `FilterProgram` per stage.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eql/ast.h"
#include "eql/diagnostic.h"
#include "eql/event.h"
#include "eql/value.h"

namespace eql {

// ---- field types -------------------------------------------------------------------------

/// The Elasticsearch field types the evaluator distinguishes. Every string family
/// (keyword, wildcard, constant_keyword, text with a keyword sub-field) is `String`.
enum class FieldType : std::uint8_t {
  Unknown,  ///< no type information: compare by the JSON types of the values
  String,
  Text,
  Integer,  ///< long, integer, short, byte, unsigned_long
  Float,    ///< double, float, half_float, scaled_float
  Boolean,
  Date,
  DateNanos,
  Ip,
  Version,
  Object,
};

const char* field_type_name(FieldType type);
/// Reads an Elasticsearch mapping type name (`keyword`, `long`, `date_nanos`, ...).
FieldType field_type_from_mapping(std::string_view es_type);

struct FieldInfo {
  FieldType type = FieldType::Unknown;
  /// The path values are read from (differs from the name for aliases).
  std::string path;
  /// The mapping's `null_value`: what an explicit JSON null counts as.
  std::optional<std::string> null_value;
  /// The mapping's date `format`, when it is not the default.
  std::string date_format;
};

/// Field name -> type. A *closed* provider knows every field that exists (a mapping or a
/// schema): a name it does not know is absent, so `?name` folds to null. An open
/// provider (`eql query` without a schema) may not know a field that events still hold.
class FieldTypes {
 public:
  virtual ~FieldTypes() = default;
  virtual std::optional<FieldInfo> lookup(std::string_view name) const = 0;
  virtual bool closed() const = 0;
};

/// No schema: every field is of unknown type and may exist.
class JsonFieldTypes final : public FieldTypes {
 public:
  std::optional<FieldInfo> lookup(std::string_view name) const override;
  bool closed() const override { return false; }
};

/// A table of fields, e.g. read from an Elasticsearch mapping.
class FieldTable final : public FieldTypes {
 public:
  explicit FieldTable(bool is_closed = true) : closed_(is_closed) {}
  void add(std::string name, FieldInfo info);
  /// Adds `name` only when it is not there yet (dynamic mapping of unmapped data).
  void add_if_absent(std::string name, FieldInfo info);
  std::optional<FieldInfo> lookup(std::string_view name) const override;
  bool closed() const override { return closed_; }
  const std::map<std::string, FieldInfo, std::less<>>& fields() const { return fields_; }

 private:
  bool closed_;
  std::map<std::string, FieldInfo, std::less<>> fields_;
};

/// Reads an Elasticsearch mapping (`{"properties": {...}}` or `{"mappings": {...}}`):
/// nested properties, `alias` paths, `null_value`, date `format`, multi-fields. `#`
/// comment lines are ignored and `[runtime_random_keyword_type]` reads as `keyword`.
/// Returns nothing and sets `error` when the text is not such a mapping.
std::optional<FieldTable> parse_es_mapping(std::string_view text, std::string& error);

// ---- compiling -----------------------------------------------------------------------

class LineageSource;  // eql/lineage.h

struct FilterOptions {
  /// The field `<category> where` tests (`event_category_override` in rules).
  std::string category_field{kDefaultCategoryField};
  /// Types of fields; nullptr means JsonFieldTypes.
  const FieldTypes* field_types = nullptr;
  /// What answers `descendant of`/`child of`/`event of` (the endpoint dialect); it must
  /// outlive the programs compiled with it. nullptr: such a condition does not compile.
  LineageSource* lineage = nullptr;
};

/// Scratch space for evaluation, reused from event to event so that evaluating allocates
/// nothing once warm. One per thread; not shared.
class EvalContext {
 public:
  EvalContext();
  ~EvalContext();
  EvalContext(const EvalContext&) = delete;
  EvalContext& operator=(const EvalContext&) = delete;
  struct Scratch;
  Scratch& scratch() { return *scratch_; }

 private:
  std::unique_ptr<Scratch> scratch_;
};

namespace detail {
struct Program;
}

/// One node of a condition as the tracing mode of a FilterProgram saw it (`eql explain`).
struct TraceNode {
  enum class Kind : std::uint8_t { And, Or, Not, Leaf, True, False };
  Kind kind = Kind::Leaf;
  std::uint32_t depth = 0;  ///< 0 for the root; a child is one deeper than its parent
  bool verdict = false;     ///< true, or false (a null leaf counts as false)
  bool null = false;        ///< Leaf: no choice of values gave true or false, only null
  bool category = false;    ///< the `<category> where` test
  /// Leaf: it reads an aliased stage's event and no partial sequence was given, so its
  /// verdict is the relaxed one (FilterProgram::matches); the matcher judges it per partial.
  bool cross = false;
  /// Where the node is in the query text; empty (0, 0) when it has no text of its own
  /// (the positive leaf of `a != b`, which is `not (a == b)`).
  Span span;
  std::string compiled;  ///< Leaf: its compiled form, as FilterProgram::describe() prints it
  /// Leaf: each field it reads, once, with its values V(f) (JSON text; none: missing).
  struct Field {
    std::string name;  ///< as written in the query
    std::vector<std::string> values;
    /// When the verdict is true, the value it came from (an index into values).
    std::optional<std::size_t> matched;
  };
  std::vector<Field> fields;
};

/// The nodes of one traced evaluation, in preorder.
struct FilterTrace {
  std::vector<TraceNode> nodes;
};

/// A compiled event filter (category test plus condition). Immutable and cheap to copy.
class FilterProgram {
 public:
  explicit FilterProgram(std::shared_ptr<const detail::Program> program);

  /// For a condition that reads aliased stages' events (endpoint dialect, `event0.x`)
  /// this answers a necessary condition: each cross-stage comparison counts as whatever
  /// lets the whole be true (true under an even number of `not`, false under an odd one).
  bool matches(const Event& event, EvalContext& context) const;
  /// The exact verdict of such a condition within one partial sequence: `aliased[i]` is
  /// the event that matched the stage named aliases()[i] (none may be nullptr).
  bool matches_in_sequence(const Event& event, std::span<const Event* const> aliased, EvalContext& context) const;
  /// The stage aliases the condition reads, in the order matches_in_sequence takes them
  /// (empty for a condition on the event alone).
  const std::vector<std::string>& aliases() const;
  /// matches() in its tracing mode: the same program, recording every node's verdict and
  /// the values it saw into `trace` (cleared first). Slower; for explanations only.
  bool trace(const Event& event, EvalContext& context, FilterTrace& trace) const;
  /// The fields the program reads (resolved paths, sorted), e.g. for table columns.
  std::vector<std::string> fields() const;
  /// A readable dump of the compiled form (for tests and debugging):
  ///   (and (leaf (== $event.category "process")) (not (leaf (== $x 1))))
  std::string describe() const;
  /// Whether the condition folded to a constant (true: every event of the category).
  std::optional<bool> constant() const;
  /// One comparison of the program as the per-event leaf memo knows it: programs holding
  /// leaves of one id compute that leaf at most once per event between them.
  struct LeafUse {
    std::uint32_t id = 0;             ///< equal for leaves that give the same result
    std::string text;                 ///< as describe() prints it: (== $process.name "a")
    std::vector<std::string> fields;  ///< the fields it reads (resolved paths)
  };
  /// The program's memoized leaves (`eql run --explain-plan`); leaves that read an aliased
  /// stage's event are never memoized and are left out.
  std::vector<LeafUse> leaf_uses() const;

 private:
  std::shared_ptr<const detail::Program> program_;
};

struct FilterCompileResult {
  std::optional<FilterProgram> program;
  Diagnostics diagnostics;  ///< spans into the query text
};

/// Compiles `<category> where <condition>`.
FilterCompileResult compile_filter(const ast::EventFilter& filter, const FilterOptions& options);
/// Compiles a bare condition (no category test).
FilterCompileResult compile_condition(const ast::Expr& condition, const FilterOptions& options);

/// Evaluates a constant expression (no fields), e.g. `add(4, 5)`; for tests and the shell.
std::optional<Value> evaluate_constant(const ast::Expr& expr, std::string& text_storage);

}  // namespace eql
