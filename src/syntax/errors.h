// Every syntax error message of the grammar, in one place (internal to src/syntax/).
//
// A grammar rule used inside must<> or raise<> names an error point; error_info<Rule> gives
// it a stable code and a message that says what to do. `{}` in a message is replaced by the
// token found at the error position. Rules without an entry fall back to "unexpected ...".
#pragma once

#include <cstddef>
#include <string_view>

#include "eql/diagnostic.h"
#include "eql_grammar.hpp"

namespace eql::syntax {

/// How a syntax error's position is reported.
enum class Anchor {
  Here,          ///< where the parser stopped (after the last token when at the very end)
  OpeningQuote,  ///< at the `"` that opened an unterminated string
  OpeningRaw,    ///< at the `"""` that opened an unterminated raw string
  OpeningComment,
  OpeningBackquote,
};

struct ErrorInfo {
  const char* code = nullptr;
  const char* message = nullptr;
  const char* hint = nullptr;
  Anchor anchor = Anchor::Here;
};

template <typename Rule>
inline constexpr ErrorInfo error_info{};

#define EQL_SYNTAX_ERROR(rule, ...) \
  template <>                       \
  inline constexpr ErrorInfo error_info<grammar::rule>{__VA_ARGS__};

// Unterminated tokens
EQL_SYNTAX_ERROR(close_comment, "syntax.unterminated-comment",
                 "unterminated comment: add */ to close it", nullptr, Anchor::OpeningComment)
EQL_SYNTAX_ERROR(close_quoted_identifier, "syntax.unterminated-field",
                 "unterminated backquoted name: add the closing `", nullptr,
                 Anchor::OpeningBackquote)
EQL_SYNTAX_ERROR(close_string, "syntax.unterminated-string",
                 "unterminated string: add the closing \"",
                 "a string ends on its line; for text with line breaks use \"\"\"...\"\"\"",
                 Anchor::OpeningQuote)
EQL_SYNTAX_ERROR(raw_body, "syntax.unterminated-string",
                 "unterminated raw string: add the closing \"\"\"", nullptr, Anchor::OpeningRaw)
EQL_SYNTAX_ERROR(close_raw_string, "syntax.unterminated-string",
                 "unterminated raw string: add the closing \"\"\"", nullptr, Anchor::OpeningRaw)
EQL_SYNTAX_ERROR(exponent_digits, "syntax.number", "expected digits after the exponent of a number")

// Mistakes users really make
EQL_SYNTAX_ERROR(single_quoted_string, "syntax.single-quotes",
                 "strings use double quotes: write \"...\" instead of '...'",
                 "for text with backslashes or quotes, a raw string \"\"\"...\"\"\" needs no escapes")
EQL_SYNTAX_ERROR(question_string, "syntax.question-string",
                 "?\"...\" strings are not supported by Elasticsearch EQL",
                 "use a raw string \"\"\"...\"\"\" for text that should not be unescaped")
EQL_SYNTAX_ERROR(single_equals, "syntax.single-equals", "use == to compare; = is not a comparison",
                 nullptr)
EQL_SYNTAX_ERROR(chained_comparison, "syntax.chained-comparison",
                 "comparisons cannot be chained; join them with `and`",
                 "for a range write: x > 1 and x < 5")
EQL_SYNTAX_ERROR(lineage_query, "syntax.lineage",
                 "`{} of [...]` (process lineage) is not supported by Elasticsearch EQL",
                 "relate a process to its parent with a sequence: sequence [process where ...] by "
                 "process.entity_id [process where ...] by process.parent.entity_id; Elastic "
                 "Defend's behavior rules use it: check them with --dialect endpoint")
EQL_SYNTAX_ERROR(unknown_lineage, "syntax.lineage",
                 "unknown lineage relation `{} of`: the endpoint dialect has `descendant of`, "
                 "`child of` and `event of`")
EQL_SYNTAX_ERROR(variable_reference, "syntax.variable",
                 "`$` variables (bound by _arraysearch) are not supported by Elasticsearch EQL",
                 "Elastic Defend's behavior rules use them: check them with --dialect endpoint")
EQL_SYNTAX_ERROR(stage_alias, "syntax.stage-alias",
                 "naming a sequence stage with `as` is not supported by Elasticsearch EQL",
                 "Elastic Defend's behavior rules use it: check them with --dialect endpoint")
EQL_SYNTAX_ERROR(join_query, "syntax.join", "`join` is not supported by Elasticsearch EQL",
                 "a sequence with `by` keys relates events: sequence by host.id [...] [...]")
EQL_SYNTAX_ERROR(not_before_pattern, "syntax.not-pattern",
                 "`not` cannot stand before this operator; negate the whole condition",
                 "write: not process.name : \"cmd.exe\"")
EQL_SYNTAX_ERROR(keyword_as_field, "syntax.keyword-field",
                 "`{}` is a keyword and cannot be a bare field name; put it in backquotes",
                 "for example: event.`{}`")
EQL_SYNTAX_ERROR(by_after_with, "syntax.by-after-with",
                 "`by` must come before `with`: write `sequence by ... with maxspan=...`")
EQL_SYNTAX_ERROR(sample_with, "syntax.sample-with",
                 "a sample takes no `with` options: no maxspan and no runs")

// Expressions
EQL_SYNTAX_ERROR(field_segment_required, "syntax.expected-field", "expected a field name after '.'")
EQL_SYNTAX_ERROR(paren_expression_required, "syntax.expected-condition",
                 "expected a condition after '('")
EQL_SYNTAX_ERROR(close_paren, "syntax.expected-close-paren",
                 "expected ')' to close the parenthesis")
EQL_SYNTAX_ERROR(argument, "syntax.expected-argument", "expected an argument after ','")
EQL_SYNTAX_ERROR(close_arguments, "syntax.expected-close-paren",
                 "expected ')' to close the argument list")
EQL_SYNTAX_ERROR(open_in_list, "syntax.expected-list",
                 "expected '(' and a list of values after `in`", "for example: in (\"a\", \"b\")")
EQL_SYNTAX_ERROR(in_value, "syntax.expected-value", "expected a value in the list")
EQL_SYNTAX_ERROR(close_in_list, "syntax.expected-close-paren",
                 "expected ')' to close the list of values")
EQL_SYNTAX_ERROR(pattern_required, "syntax.expected-pattern",
                 "expected a string pattern, or a list of them in parentheses",
                 "for example: process.name : (\"cmd.exe\", \"powershell*\")")
EQL_SYNTAX_ERROR(pattern_item, "syntax.expected-pattern", "expected a string pattern in the list")
EQL_SYNTAX_ERROR(close_pattern_list, "syntax.expected-close-paren",
                 "expected ')' to close the list of patterns")
EQL_SYNTAX_ERROR(operand_required, "syntax.expected-value", "expected a value after the operator")
EQL_SYNTAX_ERROR(additive_operand_required, "syntax.expected-value",
                 "expected a value after the operator")
EQL_SYNTAX_ERROR(comparison_operand_required, "syntax.expected-value",
                 "expected a value to compare with")
EQL_SYNTAX_ERROR(condition_required, "syntax.expected-condition", "expected a condition")
EQL_SYNTAX_ERROR(or_operand_required, "syntax.expected-condition",
                 "expected a condition after `or`")
EQL_SYNTAX_ERROR(expression, "syntax.expected-condition", "expected an expression")

// Queries
EQL_SYNTAX_ERROR(query_body_required, "syntax.expected-query",
                 "expected a query: `category where condition`, a sequence or a sample",
                 "for example: process where process.name == \"cmd.exe\"")
EQL_SYNTAX_ERROR(where_required, "syntax.expected-where",
                 "expected `where` after the event category",
                 "an event query reads `category where condition`; use `any` for every category")
EQL_SYNTAX_ERROR(event_condition_required, "syntax.expected-condition",
                 "expected a condition after `where`")
EQL_SYNTAX_ERROR(join_keys_required, "syntax.expected-key", "expected a join key after `by`")
EQL_SYNTAX_ERROR(join_key_item, "syntax.expected-key", "expected a join key after ','")
EQL_SYNTAX_ERROR(maxspan_required, "syntax.expected-maxspan", "expected `maxspan` after `with`",
                 "a sequence option is written `with maxspan=5m`")
EQL_SYNTAX_ERROR(maxspan_equals_required, "syntax.expected-equals",
                 "expected '=' after maxspan")
EQL_SYNTAX_ERROR(maxspan_value_required, "syntax.expected-duration",
                 "expected a duration after maxspan=, such as 30s or 5m")
EQL_SYNTAX_ERROR(term_filter_required, "syntax.expected-filter",
                 "expected `category where condition` inside the brackets")
EQL_SYNTAX_ERROR(close_term, "syntax.expected-close-bracket",
                 "expected ']' to close the sequence term")
EQL_SYNTAX_ERROR(lineage_open, "syntax.expected-filter",
                 "expected `[category where condition]` after `of`",
                 "for example: descendant of [process where process.name : \"winword.exe\"]")
EQL_SYNTAX_ERROR(lineage_filter_required, "syntax.expected-filter",
                 "expected `category where condition` inside the brackets")
EQL_SYNTAX_ERROR(close_lineage, "syntax.expected-close-bracket",
                 "expected ']' to close the lineage filter")
EQL_SYNTAX_ERROR(alias_name_required, "syntax.expected-alias",
                 "expected a name after `as`", "for example: [file where true] as event0")
EQL_SYNTAX_ERROR(term_option_equals_required, "syntax.expected-equals",
                 "expected '=' after the option name", "for example: with runs=3")
EQL_SYNTAX_ERROR(term_option_value_required, "syntax.expected-number",
                 "expected a whole number, such as runs=3")
EQL_SYNTAX_ERROR(term_required, "syntax.expected-term",
                 "expected a term `[category where condition]`")
EQL_SYNTAX_ERROR(pipe_name_required, "syntax.expected-pipe",
                 "expected a pipe name after '|', such as head or tail")
EQL_SYNTAX_ERROR(pipe_argument_item, "syntax.expected-argument", "expected an argument after ','")
EQL_SYNTAX_ERROR(end_of_query, "syntax.unexpected", "unexpected {}")

#undef EQL_SYNTAX_ERROR

/// Thrown by the grammar's error control; turned into a Diagnostic by describe_failure.
struct SyntaxFailure {
  ErrorInfo info;
  std::size_t offset;
};

Diagnostic describe_failure(std::string_view text, const SyntaxFailure& failure);

}  // namespace eql::syntax
