// The EQL abstract syntax tree. Plain structs that own their strings; every node keeps
// the byte span of the query text it came from. Produced by the parser (eql/parser.h),
// printed back to canonical EQL by eql/printer.h, read by the checker and evaluator.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eql/source.h"

namespace eql::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// ---- leaves ------------------------------------------------------------------------------

struct NullLiteral {};
struct BoolLiteral {
  bool value = false;
};
struct IntLiteral {
  std::int64_t value = 0;
};
struct DecimalLiteral {
  double value = 0;
};
/// A string literal after EQL unescaping (`"a\\b"` holds `a\b`). `raw` records that it was
/// written as `"""..."""`, so the printer can keep the form that needs no escapes.
struct StringLiteral {
  std::string value;
  bool raw = false;
};

/// A field reference such as `process.parent.name`, `@timestamp` or `` `my field` ``.
/// `name` is the dotted path as Elasticsearch sees it (backquotes removed, `` `` `` undoubled).
struct Field {
  std::string name;
  bool optional = false;  ///< written `?name`: unknown fields fold to null instead of erroring
  /// Endpoint dialect: `event0.file.name` reads `file.name` of the event an earlier sequence
  /// stage named `as event0` (`name` is then the path inside that event).
  std::string event_alias;
  /// Endpoint dialect: `$entry.trusted` reads `trusted` of the array element `_arraysearch`
  /// binds to `$entry`; `$entry` alone (`name` empty) is the element itself.
  std::string variable;
};

// ---- operators ---------------------------------------------------------------------------

enum class CompareOp { Eq, NotEq, Less, LessEq, Greater, GreaterEq };
enum class ArithOp { Add, Sub, Mul, Div, Mod };
enum class LogicOp { And, Or };
/// `:` (wildcards, case-insensitive), `like`/`like~`, `regex`/`regex~`.
enum class MatchOp { Colon, Like, Regex };

struct Not {
  ExprPtr operand;
};
/// An n-ary chain `a and b and c`: chains of one operator are flattened, so long rules do
/// not nest deeply. A parenthesised chain stays a child node of its own.
struct Logical {
  LogicOp op = LogicOp::And;
  std::vector<ExprPtr> operands;  ///< at least two
};
struct Compare {
  CompareOp op = CompareOp::Eq;
  ExprPtr left;
  ExprPtr right;
};
struct Arith {
  ArithOp op = ArithOp::Add;
  ExprPtr left;
  ExprPtr right;
};
/// Unary minus on a non-literal (`-x`). `-5` is folded into the literal by the parser.
struct Negate {
  ExprPtr operand;
};
/// `value in (a, b)`, `value not in (...)`, `value in~ (...)`.
struct In {
  ExprPtr value;
  std::vector<ExprPtr> candidates;
  bool negated = false;
  bool case_insensitive = false;
};
/// `value : "p*"`, `value like~ ("a*", "b?")`, `value regex "[a-z]+"`.
/// Patterns are string literals (the grammar only admits constants there).
struct Match {
  MatchOp op = MatchOp::Colon;
  bool case_insensitive = false;  ///< `:`, `like~`, `regex~`
  ExprPtr value;
  std::vector<StringLiteral> patterns;
  std::vector<Span> pattern_spans;  ///< one per pattern
  bool list = false;                ///< written with parentheses
};
/// A function call. `name` is the canonical Elasticsearch spelling when the function is
/// known (`endswith` -> `endsWith`), else as written; `written_name` keeps the user's form.
struct Call {
  std::string name;
  std::string written_name;
  Span name_span;
  bool case_insensitive = false;  ///< written `name~(...)`
  std::vector<ExprPtr> args;
};

/// `process where <condition>`; `category` is empty for `any`.
struct EventFilter {
  Span span;
  std::string category;  ///< the event category value; empty means `any`
  bool any = false;
  bool quoted_category = false;  ///< written as a string, e.g. `"network" where ...`
  Span category_span;
  ExprPtr condition;
};

/// Endpoint dialect: `descendant of [process where ...]`, `child of [...]`, `event of [...]`:
/// whether an ancestor (any, or the parent) of the event's process, or that process itself,
/// matched `filter` when it started.
enum class LineageRelation { Descendant, Child, Event };
const char* lineage_relation_name(LineageRelation relation);
struct Lineage {
  LineageRelation relation = LineageRelation::Descendant;
  EventFilter filter;
};

struct Expr {
  using Node = std::variant<NullLiteral, BoolLiteral, IntLiteral, DecimalLiteral, StringLiteral,
                            Field, Not, Logical, Compare, Arith, Negate, In, Match, Call, Lineage>;
  Span span;
  Node node;

  template <typename T>
  const T* as() const {
    return std::get_if<T>(&node);
  }
  bool is_literal() const { return node.index() <= 4; }
};

// ---- queries -----------------------------------------------------------------------------

/// `[filter] by k1, k2 with runs=N`, or a missing event `![filter]`.
struct Term {
  Span span;
  EventFilter filter;
  std::vector<ExprPtr> keys;
  std::int64_t runs = 1;  ///< `with runs=N`; the term stands for N identical terms
  Span runs_span;
  bool missing = false;   ///< `![...]`: no matching event may occur in the gap
  /// Endpoint dialect: `[...] as event0` names the stage's event for later stages' conditions.
  std::string alias;
  Span alias_span;
};

/// A duration such as `maxspan=5m`.
struct Duration {
  std::int64_t value = 0;
  std::string unit;  ///< ms, s, m, h, d
  std::int64_t millis = 0;
  Span span;
};

struct Sequence {
  std::vector<ExprPtr> keys;  ///< `sequence by ...`, prepended to every term's own keys
  std::optional<Duration> maxspan;
  std::vector<Term> terms;
  std::optional<Term> until;
};

struct Sample {
  std::vector<ExprPtr> keys;
  std::vector<Term> terms;
};

enum class PipeKind {
  Head,
  Tail,
  // Hunting extensions (refused by Elasticsearch; only with ParseOptions::extension_pipes).
  Count,
  Unique,
  UniqueCount,
  Sort,
  Filter,
};
const char* pipe_name(PipeKind kind);

struct Pipe {
  PipeKind kind = PipeKind::Head;
  Span span;
  std::vector<ExprPtr> args;  ///< head/tail: one IntLiteral
  std::vector<bool> descending;  ///< sort only: one flag per arg
};

struct Query {
  Span span;
  std::variant<EventFilter, Sequence, Sample> body;
  std::vector<Pipe> pipes;

  const EventFilter* event() const { return std::get_if<EventFilter>(&body); }
  const Sequence* sequence() const { return std::get_if<Sequence>(&body); }
  const Sample* sample() const { return std::get_if<Sample>(&body); }
};

}  // namespace eql::ast
