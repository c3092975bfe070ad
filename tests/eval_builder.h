// Test helper: builds AST expressions by hand (the evaluator's tests do not depend on the
// parser) and runs conditions over JSON events.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eql/ast.h"
#include "eql/eval.h"
#include "eql/event.h"

namespace eql::testing {

inline ast::ExprPtr make(ast::Expr::Node node) {
  auto expr = std::make_unique<ast::Expr>();
  expr->node = std::move(node);
  return expr;
}
inline ast::ExprPtr field(std::string name, bool optional = false) { return make(ast::Field{std::move(name), optional, {}, {}}); }
inline ast::ExprPtr str(std::string value) { return make(ast::StringLiteral{std::move(value), false}); }
inline ast::ExprPtr num(std::int64_t value) { return make(ast::IntLiteral{value}); }
inline ast::ExprPtr dec(double value) { return make(ast::DecimalLiteral{value}); }
inline ast::ExprPtr null_() { return make(ast::NullLiteral{}); }
inline ast::ExprPtr boolean(bool value) { return make(ast::BoolLiteral{value}); }

inline ast::ExprPtr compare(ast::CompareOp op, ast::ExprPtr left, ast::ExprPtr right) {
  return make(ast::Compare{op, std::move(left), std::move(right)});
}
inline ast::ExprPtr eq(ast::ExprPtr l, ast::ExprPtr r) { return compare(ast::CompareOp::Eq, std::move(l), std::move(r)); }
inline ast::ExprPtr ne(ast::ExprPtr l, ast::ExprPtr r) { return compare(ast::CompareOp::NotEq, std::move(l), std::move(r)); }
inline ast::ExprPtr lt(ast::ExprPtr l, ast::ExprPtr r) { return compare(ast::CompareOp::Less, std::move(l), std::move(r)); }
inline ast::ExprPtr le(ast::ExprPtr l, ast::ExprPtr r) { return compare(ast::CompareOp::LessEq, std::move(l), std::move(r)); }
inline ast::ExprPtr gt(ast::ExprPtr l, ast::ExprPtr r) { return compare(ast::CompareOp::Greater, std::move(l), std::move(r)); }
inline ast::ExprPtr ge(ast::ExprPtr l, ast::ExprPtr r) { return compare(ast::CompareOp::GreaterEq, std::move(l), std::move(r)); }

inline ast::ExprPtr not_(ast::ExprPtr operand) { return make(ast::Not{std::move(operand)}); }
inline ast::ExprPtr logical(ast::LogicOp op, std::vector<ast::ExprPtr> operands) {
  ast::Logical node;
  node.op = op;
  node.operands = std::move(operands);
  return make(std::move(node));
}
template <typename... E>
ast::ExprPtr and_(E&&... operands) {
  std::vector<ast::ExprPtr> list;
  (list.push_back(std::forward<E>(operands)), ...);
  return logical(ast::LogicOp::And, std::move(list));
}
template <typename... E>
ast::ExprPtr or_(E&&... operands) {
  std::vector<ast::ExprPtr> list;
  (list.push_back(std::forward<E>(operands)), ...);
  return logical(ast::LogicOp::Or, std::move(list));
}

inline ast::ExprPtr arith(ast::ArithOp op, ast::ExprPtr l, ast::ExprPtr r) {
  return make(ast::Arith{op, std::move(l), std::move(r)});
}

inline ast::ExprPtr in(ast::ExprPtr value, std::vector<ast::ExprPtr> candidates, bool negated = false,
                       bool insensitive = false) {
  ast::In node;
  node.value = std::move(value);
  node.candidates = std::move(candidates);
  node.negated = negated;
  node.case_insensitive = insensitive;
  return make(std::move(node));
}
template <typename... E>
std::vector<ast::ExprPtr> list(E&&... items) {
  std::vector<ast::ExprPtr> out;
  (out.push_back(std::forward<E>(items)), ...);
  return out;
}

inline ast::ExprPtr match(ast::MatchOp op, bool insensitive, ast::ExprPtr value, std::vector<std::string> patterns) {
  ast::Match node;
  node.op = op;
  node.case_insensitive = insensitive;
  node.value = std::move(value);
  for (auto& p : patterns) {
    node.patterns.push_back(ast::StringLiteral{std::move(p), false});
    node.pattern_spans.push_back(Span{});
  }
  node.list = node.patterns.size() > 1;
  return make(std::move(node));
}
inline ast::ExprPtr colon(ast::ExprPtr value, std::vector<std::string> patterns) {
  return match(ast::MatchOp::Colon, true, std::move(value), std::move(patterns));
}
inline ast::ExprPtr like(ast::ExprPtr value, std::vector<std::string> patterns, bool insensitive = false) {
  return match(ast::MatchOp::Like, insensitive, std::move(value), std::move(patterns));
}
inline ast::ExprPtr regex(ast::ExprPtr value, std::vector<std::string> patterns, bool insensitive = false) {
  return match(ast::MatchOp::Regex, insensitive, std::move(value), std::move(patterns));
}

inline ast::ExprPtr call(std::string name, std::vector<ast::ExprPtr> args, bool insensitive = false) {
  ast::Call node;
  node.name = name;
  node.written_name = name;
  node.case_insensitive = insensitive;
  node.args = std::move(args);
  return make(std::move(node));
}

inline Event event(std::string_view json) {
  std::string error;
  auto parsed = parse_event(json, error);
  if (!parsed) throw std::runtime_error("bad test event: " + error);
  return std::move(*parsed);
}

/// An event for the sequence matchers (an EventRef): `json` at `millis` milliseconds, the
/// `ordinal`-th of its stream.
inline std::shared_ptr<const Event> timed_event(std::string_view json, std::int64_t millis, std::uint64_t ordinal) {
  Event parsed = event(json);
  parsed.timestamp = millis * 1'000'000;
  parsed.ordinal = ordinal;
  return std::make_shared<const Event>(std::move(parsed));
}

/// Whether `condition` (no category test) matches the JSON event.
inline bool matches(const ast::ExprPtr& condition, std::string_view json, const FieldTypes* types = nullptr) {
  FilterOptions options;
  options.field_types = types;
  auto compiled = compile_condition(*condition, options);
  if (!compiled.program) throw std::runtime_error("condition did not compile: " + compiled.diagnostics.front().message);
  EvalContext context;
  return compiled.program->matches(event(json), context);
}

/// The value of a constant expression, printed (`null`, `9`, `"cmd"` -> cmd).
inline std::string value_of(const ast::ExprPtr& expr) {
  std::string storage;
  auto value = evaluate_constant(*expr, storage);
  if (!value) return "<not constant>";
  return to_display_string(*value);
}

}  // namespace eql::testing
