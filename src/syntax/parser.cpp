#include "eql/parser.h"

namespace eql {

ParseResult parse_query(std::string_view, const ParseOptions&) {
  ParseResult result;
  result.diagnostics.push_back({Severity::Error, "internal.unimplemented", "parser not implemented", {}, {}});
  return result;
}

ExpressionResult parse_expression(std::string_view, const ParseOptions&) { return {}; }

std::string_view canonical_function_name(std::string_view) { return {}; }
bool function_accepts_tilde(std::string_view) { return false; }

}  // namespace eql
