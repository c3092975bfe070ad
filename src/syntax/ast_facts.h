// Facts the parser reads off AST expressions it has built: whether one reads a field, the
// value of a constant integer expression, a decimal duration as a whole one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eql/ast.h"

namespace eql::syntax {

/// Whether an expression reads a field that is sure to exist. An optional `?field` does not
/// count: unknown to the mapping it is folded to null before Elasticsearch looks for
/// field-vs-field comparisons (test_extra: `?x == ?y`).
bool references_field(const ast::Expr& expr);

/// A decimal maxspan (`1.5m`) as the same span in a whole number of the largest unit that
/// holds it (`90s`); empty when the span is no whole number of milliseconds, or has an
/// exponent or an unknown unit.
std::string whole_duration(std::string_view decimal, std::string_view unit);

/// The value of a constant integer expression (literals, + - * / %, unary minus), or
/// nothing when it reads a field, is not an integer, divides by zero or overflows.
std::optional<std::int64_t> fold_integer(const ast::Expr& expr);

}  // namespace eql::syntax
