#include "syntax/ast_facts.h"

#include <algorithm>
#include <array>
#include <utility>
#include <variant>
#include <vector>

namespace eql::syntax {

namespace {

struct FieldReferenceVisitor {
  bool operator()(const ast::Field& field) const { return !field.optional; }
  bool operator()(const ast::Not& n) const { return references_field(*n.operand); }
  bool operator()(const ast::Negate& n) const { return references_field(*n.operand); }
  bool operator()(const ast::Logical& l) const { return any_references(l.operands); }
  bool operator()(const ast::Compare& c) const {
    return references_field(*c.left) || references_field(*c.right);
  }
  bool operator()(const ast::Arith& a) const {
    return references_field(*a.left) || references_field(*a.right);
  }
  bool operator()(const ast::In& i) const { return references_field(*i.value); }
  bool operator()(const ast::Match& m) const { return references_field(*m.value); }
  bool operator()(const ast::Call& c) const { return any_references(c.args); }
  bool operator()(const ast::Lineage&) const { return false; }
  template <typename Literal>
  bool operator()(const Literal&) const {
    return false;
  }
  static bool any_references(const std::vector<ast::ExprPtr>& list) {
    return std::any_of(list.begin(), list.end(),
                       [](const ast::ExprPtr& e) { return references_field(*e); });
  }
};

}  // namespace

bool references_field(const ast::Expr& expr) {
  return std::visit(FieldReferenceVisitor{}, expr.node);
}

std::string whole_duration(std::string_view decimal, std::string_view unit) {
  static constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> kUnits{
      {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}}};
  auto written = std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& u) { return u.first == unit; });
  std::size_t dot = decimal.find('.');
  if (written == kUnits.end() || dot == std::string_view::npos || dot > 6) return {};
  std::string_view fraction = decimal.substr(dot + 1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > 4 || fraction.find_first_not_of("0123456789") != std::string_view::npos) return {};
  std::int64_t scale = 1, amount = 0;
  for (char c : decimal.substr(0, dot)) amount = amount * 10 + (c - '0');
  for (char c : fraction) {
    amount = amount * 10 + (c - '0');
    scale *= 10;
  }
  // at most 10 digits times a day in milliseconds: inside 64 bits
  std::int64_t scaled = amount * written->second;
  if (scaled % scale != 0 || scaled == 0) return {};
  std::int64_t millis = scaled / scale;
  for (const auto& [name, factor] : kUnits) {
    if (millis % factor == 0) return std::to_string(millis / factor) + std::string(name);
  }
  return {};
}

std::optional<std::int64_t> fold_integer(const ast::Expr& expr) {
  if (const auto* literal = expr.as<ast::IntLiteral>()) return literal->value;
  if (const auto* negate = expr.as<ast::Negate>()) {
    auto value = fold_integer(*negate->operand);
    if (!value || *value == INT64_MIN) return std::nullopt;
    return -*value;
  }
  const auto* arith = expr.as<ast::Arith>();
  if (!arith) return std::nullopt;
  auto left = fold_integer(*arith->left);
  auto right = fold_integer(*arith->right);
  if (!left || !right) return std::nullopt;
  std::int64_t out = 0;
  switch (arith->op) {
    case ast::ArithOp::Add:
      if (__builtin_add_overflow(*left, *right, &out)) return std::nullopt;
      return out;
    case ast::ArithOp::Sub:
      if (__builtin_sub_overflow(*left, *right, &out)) return std::nullopt;
      return out;
    case ast::ArithOp::Mul:
      if (__builtin_mul_overflow(*left, *right, &out)) return std::nullopt;
      return out;
    case ast::ArithOp::Div:
    case ast::ArithOp::Mod:
      if (*right == 0 || (*left == INT64_MIN && *right == -1)) return std::nullopt;
      return arith->op == ast::ArithOp::Div ? *left / *right : *left % *right;
  }
  return std::nullopt;
}

}  // namespace eql::syntax
