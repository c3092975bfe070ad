// AST -> text. Two printers: canonical EQL (parses back to the same tree) and a
// structural dump for tests and `eql parse`.
#pragma once

#include <string>

#include "eql/ast.h"

namespace eql {

/// Canonical EQL: one line, minimal parentheses, strings re-escaped, `~` and `?` kept.
/// Invariant (tested over the whole corpus): dump(parse(to_eql(q))) == dump(q).
std::string to_eql(const ast::Query& query);
std::string to_eql(const ast::Expr& expr);

/// An S-expression dump of the tree, without spans:
///   (event "process" (and (== process.name "cmd.exe") (: process.args ["2>&1"])))
std::string dump(const ast::Query& query);
std::string dump(const ast::Expr& expr);

/// An EQL string literal for `value`, escaped so that it reads back as `value`.
std::string quote_string(std::string_view value);

}  // namespace eql
