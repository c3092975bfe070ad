// Text -> AST. The grammar itself is in grammar/eql_grammar.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "eql/ast.h"
#include "eql/dialect.h"
#include "eql/diagnostic.h"

namespace eql {

struct ParseOptions {
  /// Deepest nesting of parentheses, `not`, unary minus and function calls. Deeper input
  /// is an error (syntax.too-deep), never a stack overflow.
  std::size_t max_depth = 200;
  /// Longest query accepted, in bytes (syntax.too-long).
  std::size_t max_length = 1 << 20;
  /// Accept the hunting pipes (count, unique, unique_count, sort, filter) that
  /// Elasticsearch refuses. Off for `eql validate`, on for `eql query` and `eql shell`.
  bool extension_pipes = false;
  /// Elasticsearch's EQL is the default everywhere; Defend's behavior rules are endpoint.
  Dialect dialect = Dialect::Elasticsearch;
};

/// The result of parsing: a query when the text was valid EQL, and every problem found.
/// Warnings may accompany a query; errors mean `query` is empty.
struct ParseResult {
  std::optional<ast::Query> query;
  Diagnostics diagnostics;

  bool ok() const { return query.has_value(); }
};

ParseResult parse_query(std::string_view text, const ParseOptions& options = {});

/// Parses a single expression (used by tests and the shell's `filter`).
struct ExpressionResult {
  ast::ExprPtr expr;
  Diagnostics diagnostics;
};
ExpressionResult parse_expression(std::string_view text, const ParseOptions& options = {});

/// The canonical Elasticsearch spelling of a function name, matched case-insensitively
/// (`endswith` -> `endsWith`), or empty when it is not an Elasticsearch EQL function.
std::string_view canonical_function_name(std::string_view name);
/// Every Elasticsearch EQL function name, canonically spelled (for completion and help).
std::vector<std::string_view> function_names();
/// Whether the function has a case-insensitive `name~` form.
bool function_accepts_tilde(std::string_view canonical_name);

}  // namespace eql
