// The grammar of Elasticsearch EQL as PEGTL rules: one struct per production.
//
// This file is the readable grammar of the project. It is included only by
// src/syntax/parser.cpp, which turns the parse tree into the AST (include/eql/ast.h) and
// applies the checks a grammar cannot express (counts, ranges, field-vs-field comparisons).
//
// Conventions
//   skip            whitespace and comments between tokens
//   kw_*            reserved words; a keyword never matches a prefix of a longer identifier
//   close_* / *_required
//                   rules that exist only to name an error point: they are used inside
//                   must<>, and parser.cpp gives each its message (see error_info there)
//   trap_*          rules that recognise a mistake users really make (`=`, 'single quotes',
//                   `child of`, ...) and raise a specific error instead of a generic one
//   guarded<R>      R, counted against the nesting limit (ParseOptions::max_depth)
#pragma once

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze_traits.hpp>

namespace eql::grammar {

namespace pegtl = tao::pegtl;
using namespace tao::pegtl;  // NOLINT: the grammar reads best with PEGTL's names unqualified

// ---- limits ------------------------------------------------------------------------------

/// Thrown by guarded<> when the nesting limit is exceeded; caught by the parser driver.
struct TooDeep {
  std::size_t offset;
};

/// The nesting counter for the parse running on this thread (set by the parser driver).
struct DepthBudget {
  std::size_t limit = 200;
  std::size_t depth = 0;
};
inline thread_local DepthBudget depth_budget;

template <typename Rule>
struct guarded {
  using rule_t = guarded;
  using subs_t = type_list<Rule>;

  template <apply_mode A, rewind_mode M, template <typename...> class Action,
            template <typename...> class Control, typename ParseInput, typename... States>
  static bool match(ParseInput& in, States&&... st) {
    struct Scope {
      Scope() { ++depth_budget.depth; }
      ~Scope() { --depth_budget.depth; }
      Scope(const Scope&) = delete;
      Scope& operator=(const Scope&) = delete;
    } scope;
    if (depth_budget.depth > depth_budget.limit) throw TooDeep{in.byte()};
    return Control<Rule>::template match<A, M, Action, Control>(in, st...);
  }
};

/// Whether the parse running on this thread reads the endpoint dialect (set by the driver).
inline thread_local bool endpoint_dialect_active = false;

/// Matches nothing, and succeeds only in the endpoint dialect: the constructs after it in a
/// seq<> exist in that dialect only, and the Elasticsearch dialect falls through to the trap
/// that refuses them.
struct endpoint_dialect {
  using rule_t = endpoint_dialect;
  using subs_t = empty_list;

  template <apply_mode A, rewind_mode M, template <typename...> class Action,
            template <typename...> class Control, typename ParseInput, typename... States>
  static bool match(ParseInput& /*in*/, States&&... /*st*/) {
    return endpoint_dialect_active;
  }
};

}  // namespace eql::grammar

namespace tao::pegtl {
// For PEGTL's grammar analysis (`analyze<query>()` in the tests), guarded<R> is R.
template <typename Name, typename Rule>
struct analyze_traits<Name, eql::grammar::guarded<Rule>> : analyze_seq_traits<Rule> {};
// endpoint_dialect consumes nothing and may succeed.
template <typename Name>
struct analyze_traits<Name, eql::grammar::endpoint_dialect> : analyze_opt_traits<> {};
}  // namespace tao::pegtl

namespace eql::grammar {

// ---- lexical -----------------------------------------------------------------------------

struct line_comment : seq<two<'/'>, until<eolf>> {};
// Block comments nest, as in Elasticsearch's lexer: /* a /* b */ c */ is one comment.
struct block_comment;
struct close_comment : until<string<'*', '/'>, sor<block_comment, any>> {};
struct block_comment : if_must<string<'/', '*'>, close_comment> {};
struct ignored : sor<plus<ascii::space>, line_comment, block_comment> {};
struct skip : star<ignored> {};

struct ident_first : sor<ascii::alpha, one<'_', '@'>> {};
struct ident_other : sor<ascii::alnum, one<'_'>> {};
struct identifier_word : seq<ident_first, star<ident_other>> {};

template <typename Word>
struct keyword : seq<Word, not_at<ident_other>> {};

struct kw_and : keyword<TAO_PEGTL_STRING("and")> {};
struct kw_any : keyword<TAO_PEGTL_STRING("any")> {};
struct kw_by : keyword<TAO_PEGTL_STRING("by")> {};
struct kw_false : keyword<TAO_PEGTL_STRING("false")> {};
struct kw_in : keyword<TAO_PEGTL_STRING("in")> {};
struct kw_join : keyword<TAO_PEGTL_STRING("join")> {};
struct kw_like : keyword<TAO_PEGTL_STRING("like")> {};
struct kw_maxspan : keyword<TAO_PEGTL_STRING("maxspan")> {};
struct kw_not : keyword<TAO_PEGTL_STRING("not")> {};
struct kw_null : keyword<TAO_PEGTL_STRING("null")> {};
struct kw_of : keyword<TAO_PEGTL_STRING("of")> {};
struct kw_or : keyword<TAO_PEGTL_STRING("or")> {};
struct kw_regex : keyword<TAO_PEGTL_STRING("regex")> {};
struct kw_sample : keyword<TAO_PEGTL_STRING("sample")> {};
struct kw_sequence : keyword<TAO_PEGTL_STRING("sequence")> {};
struct kw_true : keyword<TAO_PEGTL_STRING("true")> {};
struct kw_until : keyword<TAO_PEGTL_STRING("until")> {};
struct kw_where : keyword<TAO_PEGTL_STRING("where")> {};
struct kw_with : keyword<TAO_PEGTL_STRING("with")> {};

struct any_keyword : sor<kw_and, kw_any, kw_by, kw_false, kw_in, kw_join, kw_like, kw_maxspan,
                         kw_not, kw_null, kw_of, kw_or, kw_regex, kw_sample, kw_sequence, kw_true,
                         kw_until, kw_where, kw_with> {};

struct identifier : seq<not_at<any_keyword>, identifier_word> {};

// `my field` with `` for a literal backquote.
struct quoted_identifier_body : star<sor<two<'`'>, not_one<'`'>>> {};
struct close_quoted_identifier : one<'`'> {};
struct quoted_identifier : if_must<one<'`'>, quoted_identifier_body, close_quoted_identifier> {};

// Strings. The parser decodes escapes; here a backslash simply takes the next character.
struct string_escape : seq<one<'\\'>, not_one<'\n', '\r'>> {};
struct string_char : sor<string_escape, not_one<'"', '\\', '\n', '\r'>> {};
struct string_body : star<string_char> {};
struct close_string : one<'"'> {};
struct quoted_string : if_must<one<'"'>, string_body, close_string> {};

struct raw_quotes : three<'"'> {};
struct raw_body : until<at<raw_quotes>> {};
// Like Elasticsearch's lexer, up to two extra quotes after the closing """ belong to the text.
struct close_raw_string : seq<raw_quotes, opt<one<'"'>>, opt<one<'"'>>> {};
struct raw_string : if_must<raw_quotes, raw_body, close_raw_string> {};

struct string_literal : sor<raw_string, quoted_string> {};

struct digits : plus<ascii::digit> {};
struct exponent_digits : digits {};
struct exponent : seq<one<'e', 'E'>, opt<one<'+', '-'>>, must<exponent_digits>> {};
struct decimal_number : sor<seq<digits, one<'.'>, star<ascii::digit>, opt<exponent>>,
                            seq<one<'.'>, digits, opt<exponent>>, seq<digits, exponent>> {};
struct integer_number : digits {};
// Like Elasticsearch's lexer, a number ends where its digits end: `1and` is 1 then `and`.
struct number : sor<decimal_number, integer_number> {};

// ---- mistakes users make -----------------------------------------------------------------
// Tags naming the errors that raise<> reports (they never match anything themselves).

struct single_quoted_string : failure {};
struct question_string : failure {};
struct single_equals : failure {};
struct chained_comparison : failure {};
struct lineage_query : failure {};
struct join_query : failure {};
struct not_before_pattern : failure {};
struct keyword_as_field : failure {};
struct by_after_with : failure {};
struct sample_with : failure {};
struct variable_reference : failure {};
struct stage_alias : failure {};
struct unknown_lineage : failure {};

struct trap_single_quote : seq<at<one<'\''>>, raise<single_quoted_string>> {};
struct trap_question_string : seq<at<one<'?'>, one<'"', '\''>>, raise<question_string>> {};
struct trap_single_equals : seq<at<one<'='>, not_at<one<'='>>>, raise<single_equals>> {};
struct trap_keyword_field : seq<at<any_keyword>, raise<keyword_as_field>> {};
struct trap_variable : seq<at<one<'$'>>, raise<variable_reference>> {};

// ---- expressions -------------------------------------------------------------------------

struct expression;
struct constant;

struct null_literal : kw_null {};
struct true_literal : kw_true {};
struct false_literal : kw_false {};
struct constant : sor<null_literal, true_literal, false_literal, number, string_literal> {};

struct optional_mark : one<'?'> {};
// Endpoint dialect: `$entry`, the variable _arraysearch binds to each array element.
struct variable_mark : one<'$'> {};
struct field_segment : sor<quoted_identifier, identifier> {};
struct field_segment_required : sor<field_segment, trap_keyword_field> {};
// The endpoint accepts blanks after a dot (`process. command_line`, in a shipped rule).
struct field_dot : seq<one<'.'>, opt<endpoint_dialect, star<ascii::blank>>> {};
struct field : seq<opt<optional_mark, skip>, opt<endpoint_dialect, variable_mark>, field_segment,
                   star<field_dot, must<field_segment_required>>> {};

struct close_paren : seq<skip, one<')'>> {};
struct paren_expression_required : seq<skip, guarded<expression>> {};
struct paren_expression : seq<one<'('>, must<paren_expression_required>, must<close_paren>> {};

struct function_tilde : one<'~'> {};
struct function_name : seq<not_at<any_keyword>, identifier_word, opt<function_tilde>> {};
struct argument : seq<skip, expression> {};
struct argument_list : seq<argument, star<skip, one<','>, must<argument>>> {};
struct close_arguments : seq<skip, one<')'>> {};
struct function_call
    : seq<function_name, skip, one<'('>, guarded<opt<argument_list>>, must<close_arguments>> {};

struct primary : sor<trap_question_string, trap_single_quote, constant, function_call, field,
                     paren_expression, trap_variable> {};

// `x in (...)`, `x not in (...)`, `x in~ (...)`
struct in_negation : kw_not {};
struct in_insensitive : one<'~'> {};
struct open_in_list : seq<skip, one<'('>> {};
struct close_in_list : seq<skip, one<')'>> {};
struct in_value : seq<skip, expression> {};
struct in_values : seq<must<in_value>, star<skip, one<','>, must<in_value>>> {};
struct in_predicate : seq<opt<in_negation, skip>, kw_in, opt<in_insensitive>,
                          must<open_in_list>, in_values, must<close_in_list>> {};

// `x : "a*"`, `x like~ ("a", "b")`, `x regex "[0-9]+"`
struct colon_operator : one<':'> {};
struct like_operator : kw_like {};
struct regex_operator : kw_regex {};
struct match_insensitive : one<'~'> {};
struct match_operator : sor<colon_operator, seq<like_operator, opt<match_insensitive>>,
                            seq<regex_operator, opt<match_insensitive>>> {};
struct pattern : constant {};
struct close_pattern_list : seq<skip, one<')'>> {};
struct pattern_item : seq<skip, pattern> {};
struct pattern_list : seq<one<'('>, must<pattern_item>, star<skip, one<','>, must<pattern_item>>,
                          must<close_pattern_list>> {};
struct pattern_required : seq<skip, sor<pattern, pattern_list>> {};
struct match_predicate : seq<match_operator, must<pattern_required>> {};

struct trap_not_before_pattern
    : seq<at<kw_not, skip, sor<kw_like, kw_regex, one<':'>>>, raise<not_before_pattern>> {};

struct predicate : sor<in_predicate, match_predicate, trap_not_before_pattern> {};
struct postfix : seq<primary, opt<skip, predicate>> {};

struct unary;
struct operand_required : seq<skip, unary> {};
struct negative : seq<one<'-'>, must<operand_required>> {};
struct positive : seq<one<'+'>, must<operand_required>> {};
struct unary : sor<guarded<negative>, guarded<positive>, postfix> {};

struct multiply_operator : sor<one<'*', '%'>, seq<one<'/'>, not_at<one<'/', '*'>>>> {};
struct multiplicative : seq<unary, star<skip, multiply_operator, must<operand_required>>> {};
struct additive_operand_required : seq<skip, multiplicative> {};
struct add_operator : one<'+', '-'> {};
struct additive
    : seq<multiplicative, star<skip, add_operator, must<additive_operand_required>>> {};

struct compare_operator : sor<two<'='>, string<'!', '='>, string<'<', '='>, string<'>', '='>,
                              one<'<'>, one<'>'>> {};
struct comparison_operand_required : seq<skip, additive> {};
struct trap_chained_comparison
    : seq<skip, at<sor<compare_operator, one<':'>>>, raise<chained_comparison>> {};
struct comparison
    : seq<additive, opt<skip, sor<seq<compare_operator, must<comparison_operand_required>,
                                      opt<trap_chained_comparison>>,
                                  trap_single_equals>>> {};

// `child of [...]`, `descendant of [...]`, `event of [...]`: process lineage, in the endpoint
// dialect (and the Python one); refused by Elasticsearch.
struct event_filter;
struct lineage_relation : sor<keyword<TAO_PEGTL_STRING("descendant")>,
                              keyword<TAO_PEGTL_STRING("child")>,
                              keyword<TAO_PEGTL_STRING("event")>> {};
struct lineage_open : seq<skip, one<'['>> {};
struct lineage_filter_required : seq<skip, event_filter> {};
struct close_lineage : seq<skip, one<']'>> {};
struct lineage : seq<endpoint_dialect, lineage_relation, skip, kw_of, must<lineage_open>,
                     must<lineage_filter_required>, must<close_lineage>> {};
struct trap_unknown_lineage
    : seq<endpoint_dialect, at<identifier_word, skip, kw_of>, raise<unknown_lineage>> {};
struct trap_lineage : seq<at<identifier_word, skip, kw_of>, raise<lineage_query>> {};

struct condition_required;
struct negation : seq<kw_not, must<condition_required>> {};
struct not_expression
    : sor<guarded<negation>, guarded<lineage>, trap_unknown_lineage, trap_lineage, comparison> {};
struct condition_required : seq<skip, not_expression> {};
struct and_expression : seq<not_expression, star<skip, kw_and, must<condition_required>>> {};
struct or_operand_required : seq<skip, and_expression> {};
struct or_expression : seq<and_expression, star<skip, kw_or, must<or_operand_required>>> {};
struct expression : seq<or_expression> {};

// ---- queries -----------------------------------------------------------------------------

struct any_category : kw_any {};
struct category : sor<any_category, string_literal, identifier> {};
struct where_required : seq<skip, kw_where> {};
struct event_condition_required : seq<skip, expression> {};
struct event_filter : seq<category, must<where_required>, must<event_condition_required>> {};

struct join_key : expression {};
struct join_key_item : seq<skip, join_key> {};
struct join_keys_required : seq<join_key_item, star<skip, one<','>, must<join_key_item>>> {};
struct join_keys : seq<kw_by, must<join_keys_required>> {};

struct time_unit : identifier_word {};
struct time_amount : sor<decimal_number, integer_number> {};
struct maxspan_value_required
    : seq<skip, time_amount, opt<skip, not_at<any_keyword>, time_unit>> {};
struct maxspan_equals_required : seq<skip, one<'='>> {};
struct maxspan_required : seq<skip, kw_maxspan> {};
struct maxspan : seq<kw_with, must<maxspan_required>, must<maxspan_equals_required>,
                     must<maxspan_value_required>> {};

struct missing_open : string<'!', '['> {};
struct term_open : sor<missing_open, one<'['>> {};
struct term_filter_required : seq<skip, event_filter> {};
struct close_term : seq<skip, one<']'>> {};
struct term_option_name : identifier_word {};
struct term_option_value : seq<time_amount, opt<skip, not_at<any_keyword>, time_unit>> {};
struct term_option_equals_required : seq<skip, one<'='>> {};
struct term_option_value_required : seq<skip, term_option_value> {};
struct term_option : seq<kw_with, skip, term_option_name, must<term_option_equals_required>,
                         must<term_option_value_required>> {};
// Endpoint dialect: `[file where ...] as event0`. `as` is no keyword: it may name a field.
struct kw_as : keyword<TAO_PEGTL_STRING("as")> {};
struct alias_name : identifier {};
struct alias_name_required : seq<skip, alias_name> {};
struct term_alias : sor<seq<endpoint_dialect, kw_as, must<alias_name_required>>,
                        seq<at<kw_as>, raise<stage_alias>>> {};
struct term : seq<term_open, must<term_filter_required>, must<close_term>,
                  opt<skip, join_keys>, opt<skip, term_option>, opt<skip, term_alias>> {};
struct term_required : seq<skip, term> {};

struct until_term : seq<kw_until, must<term_required>> {};
struct trap_by_after_with : seq<skip, at<kw_by>, raise<by_after_with>> {};
struct sequence_header
    : opt<skip, sor<seq<join_keys, opt<skip, maxspan>>, seq<maxspan, opt<trap_by_after_with>>>> {};
struct sequence
    : seq<kw_sequence, sequence_header, must<term_required>, star<skip, term>,
          opt<skip, until_term>> {};

struct trap_sample_with : seq<skip, at<kw_with>, raise<sample_with>> {};
struct sample : seq<kw_sample, opt<skip, join_keys>, opt<trap_sample_with>, must<term_required>,
                    star<skip, term>> {};

struct trap_join : seq<at<kw_join>, raise<join_query>> {};

struct pipe_name : identifier_word {};
struct sort_direction : sor<keyword<TAO_PEGTL_STRING("desc")>, keyword<TAO_PEGTL_STRING("asc")>> {};
struct pipe_argument : seq<expression, opt<skip, sort_direction>> {};
struct pipe_argument_item : seq<skip, pipe_argument> {};
struct pipe_arguments : seq<pipe_argument, star<skip, one<','>, must<pipe_argument_item>>> {};
struct pipe_name_required : seq<skip, pipe_name> {};
struct pipe : seq<one<'|'>, must<pipe_name_required>, opt<skip, pipe_arguments>> {};

struct query_body_required : sor<sequence, sample, trap_join, event_filter> {};
struct end_of_query : eof {};
struct query : seq<skip, must<query_body_required>, star<skip, pipe>, skip, must<end_of_query>> {};

struct standalone_expression : seq<skip, must<expression>, skip, must<end_of_query>> {};

}  // namespace eql::grammar
