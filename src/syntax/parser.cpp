// The parser driver: runs the PEGTL grammar (grammar/eql_grammar.hpp) into a parse tree,
// turns syntax failures into Diagnostics, converts the tree into the AST and applies the
// rules a grammar cannot express (counts, ranges, options, unsupported pipes).
#include "eql/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include "eql/functions.h"
#include "eql_grammar.hpp"
#include "syntax/ast_facts.h"
#include "syntax/errors.h"
#include "syntax/functions.h"
#include "syntax/lean_tree.h"
#include "syntax/parse_node.h"
#include "syntax/strings.h"

namespace eql {

namespace g = grammar;
namespace pt = tao::pegtl::parse_tree;

namespace {

using syntax::Node;
using syntax::fold_integer;
using syntax::references_field;
using syntax::whole_duration;

// ---- which grammar rules become parse-tree nodes -------------------------------------------

/// Like PEGTL's fold_one, a node with a single child is replaced by that child, but a node
/// that keeps several children also keeps its extent: the AST needs every node's span.
struct FoldSingleChild : pt::apply<FoldSingleChild> {
  template <typename ParseTreeNode, typename... States>
  static void transform(std::unique_ptr<ParseTreeNode>& n, States&&... /*unused*/) {
    if (n->children.size() == 1) n = std::move(n->children.front());
  }
};

template <typename Rule>
using Selector = pt::selector<
    Rule,
    pt::store_content::on<
        // literals and names
        g::null_literal, g::true_literal, g::false_literal, g::decimal_number, g::integer_number,
        g::raw_string, g::quoted_string, g::field, g::optional_mark, g::identifier,
        g::quoted_identifier, g::function_call, g::function_name, g::variable_mark,
        // operators
        g::negation, g::negative, g::in_predicate, g::in_negation, g::in_insensitive,
        g::match_predicate, g::colon_operator, g::like_operator, g::regex_operator,
        g::match_insensitive, g::pattern_list, g::multiply_operator, g::add_operator,
        g::compare_operator, g::lineage, g::lineage_relation,
        // queries
        g::event_filter, g::category, g::any_category, g::join_keys, g::maxspan, g::time_unit,
        g::term, g::missing_open, g::term_option, g::term_option_name, g::until_term, g::alias_name,
        g::sequence, g::sample, g::pipe, g::pipe_name, g::pipe_argument, g::sort_direction,
        g::query, g::standalone_expression>,
    FoldSingleChild::on<g::postfix, g::positive, g::multiplicative, g::additive, g::comparison,
                     g::and_expression, g::or_expression>>;

template <typename Rule>
struct ErrorControl : tao::pegtl::normal<Rule> {
  template <typename ParseInput, typename... States>
  [[noreturn]] static void raise(const ParseInput& in, States&&... /*unused*/) {
    throw syntax::SyntaxFailure{syntax::error_info<Rule>, in.byte()};
  }
};

Span span_of(const Node& node) {
  return Span{static_cast<std::uint32_t>(node.m_begin.byte),
              static_cast<std::uint32_t>(node.m_end.byte)};
}

Span span_between(Span first, Span last) { return Span{first.begin, last.end}; }

// ---- parse tree -> AST ---------------------------------------------------------------------

class Converter {
 public:
  Converter(std::string_view text, const ParseOptions& options, Diagnostics& diagnostics)
      : text_(text), options_(options), diagnostics_(diagnostics) {}

  ast::Query query(const Node& node);
  ast::ExprPtr expression(const Node& node, std::size_t depth = 0);

 private:
  void error(std::string code, std::string message, Span span, std::string hint = {}) {
    diagnostics_.push_back(
        Diagnostic{Severity::Error, std::move(code), std::move(message), span, std::move(hint)});
  }

  ast::ExprPtr make(Span span, ast::Expr::Node node) {
    auto expr = std::make_unique<ast::Expr>();
    expr->span = span;
    expr->node = std::move(node);
    return expr;
  }

  ast::ExprPtr literal(const Node& node);
  ast::ExprPtr field(const Node& node);
  ast::ExprPtr call(const Node& node, std::size_t depth);
  ast::ExprPtr array_search(const Node& node, ast::Call call, std::size_t depth);
  ast::ExprPtr lineage(const Node& node, std::size_t depth);
  bool endpoint() const { return options_.dialect == Dialect::Endpoint; }
  ast::ExprPtr postfix(const Node& node, std::size_t depth);
  ast::ExprPtr arithmetic_chain(const Node& node, std::size_t depth);
  ast::ExprPtr comparison(const Node& node, std::size_t depth);
  std::string string_value(const Node& node);

  ast::EventFilter event_filter(const Node& node);
  ast::Term term(const Node& node);
  std::vector<ast::ExprPtr> join_keys(const Node& node);
  ast::Duration duration(const Node& node);
  ast::Sequence sequence(const Node& node);
  ast::Sample sample(const Node& node);
  ast::Pipe pipe(const Node& node);

  void check_depth(std::size_t depth, Span span) {
    if (depth > options_.max_depth && !too_deep_reported_) {
      too_deep_reported_ = true;
      error("syntax.too-deep",
            "the query nests deeper than " + std::to_string(options_.max_depth) + " levels",
            span, "split the condition, or raise the limit with --max-depth");
    }
  }
  void check_field_comparison(const ast::Expr& left, const ast::Expr& right);

  std::string_view text_;
  const ParseOptions& options_;
  Diagnostics& diagnostics_;
  bool too_deep_reported_ = false;
  /// Endpoint dialect: the aliases of the sequence's earlier stages (`[...] as event0`),
  /// which a later stage's fields may start with.
  std::vector<std::string> stage_aliases_;
  /// Endpoint dialect: the `$variables` bound by the enclosing _arraysearch calls.
  std::vector<std::string> variables_;
};

void Converter::check_field_comparison(const ast::Expr& left, const ast::Expr& right) {
  // The endpoint evaluates both sides on the event: its rules compare fields freely.
  if (endpoint()) return;
  // Elasticsearch turns a comparison into a query on the field with a constant value; it
  // refuses one whose both sides read fields, even through functions ("Comparisons against
  // fields are not (currently) supported"), naming the right side as the offender.
  if (references_field(left) && references_field(right)) {
    error("syntax.field-comparison",
          "comparing a field with another field is not supported by Elasticsearch EQL",
          right.span,
          "compare each field with a literal value; to relate two events use a sequence with `by`");
  }
}

std::string Converter::string_value(const Node& node) {
  std::string_view content = node.string_view();
  if (node.is_type<g::raw_string>()) {
    return std::string(content.substr(3, content.size() - 6));
  }
  auto decoded = syntax::unescape_string(content.substr(1, content.size() - 2));
  if (decoded.error) {
    auto begin = static_cast<std::uint32_t>(node.m_begin.byte + 1 + decoded.error->offset);
    error("syntax.invalid-escape", decoded.error->message,
          Span{begin, begin + static_cast<std::uint32_t>(decoded.error->length)});
  }
  return std::move(decoded.value);
}

ast::ExprPtr Converter::literal(const Node& node) {
  Span span = span_of(node);
  if (node.is_type<g::null_literal>()) return make(span, ast::NullLiteral{});
  if (node.is_type<g::true_literal>()) return make(span, ast::BoolLiteral{true});
  if (node.is_type<g::false_literal>()) return make(span, ast::BoolLiteral{false});
  if (node.is_type<g::integer_number>()) {
    std::string_view digits = node.string_view();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size()) {
      return make(span, ast::IntLiteral{value});
    }
    // Like Elasticsearch, an integer beyond 64 bits is read as a double (it keeps unsigned
    // longs up to 2^64-1; a double is the nearest type here).
    double wide = std::strtod(node.string().c_str(), nullptr);
    if (!std::isfinite(wide)) {
      error("syntax.number-range", "the number " + std::string(digits) + " is out of range",
            span);
      wide = 0;
    }
    return make(span, ast::DecimalLiteral{wide});
  }
  if (node.is_type<g::decimal_number>()) {
    std::string digits = node.string();
    double value = std::strtod(digits.c_str(), nullptr);
    if (!std::isfinite(value)) {
      error("syntax.number-range", "the number " + digits + " is out of range for a double", span);
      value = 0;
    }
    return make(span, ast::DecimalLiteral{value});
  }
  bool raw = node.is_type<g::raw_string>();
  return make(span, ast::StringLiteral{string_value(node), raw});
}

ast::ExprPtr Converter::field(const Node& node) {
  ast::Field result;
  bool variable = false;
  std::vector<std::string> segments;
  for (const auto& child : node.children) {
    if (child->is_type<g::optional_mark>()) {
      result.optional = true;
    } else if (child->is_type<g::variable_mark>()) {
      variable = true;
    } else if (child->is_type<g::quoted_identifier>()) {
      segments.push_back(syntax::unquote_identifier(child->string_view()));
    } else {
      segments.emplace_back(child->string_view());
    }
  }
  std::size_t path_start = 0;
  if (variable) {
    // The grammar admits `$` in the endpoint dialect only.
    result.variable = segments.front();
    path_start = 1;
    if (std::find(variables_.begin(), variables_.end(), result.variable) == variables_.end()) {
      Span span = span_of(node);
      error("syntax.unbound-variable",
            "`$" + result.variable + "` is not bound here",
            Span{span.begin, span.begin + 1 + static_cast<std::uint32_t>(result.variable.size())},
            "_arraysearch(array, $" + result.variable + ", condition) binds it in its condition");
    }
  } else if (endpoint() && segments.size() > 1 &&
             std::find(stage_aliases_.begin(), stage_aliases_.end(), segments.front()) !=
                 stage_aliases_.end()) {
    result.event_alias = segments.front();
    path_start = 1;
  }
  for (std::size_t i = path_start; i < segments.size(); ++i) {
    if (i > path_start) result.name += '.';
    result.name += segments[i];
  }
  return make(span_of(node), std::move(result));
}

// Endpoint dialect: `_arraysearch(array, $entry, condition)` binds `$entry` to each element
// of the array in the condition.
ast::ExprPtr Converter::array_search(const Node& node, ast::Call result, std::size_t depth) {
  Span span = span_of(node);
  if (node.children.size() != 4) {
    error("syntax.arraysearch",
          "_arraysearch takes 3 arguments: an array field, a `$variable` and a condition; this "
          "call has " + std::to_string(node.children.size() - 1),
          span, "for example: _arraysearch(process.thread.Ext.call_stack, $entry, "
                "$entry.symbol_info : \"*ntdll.dll*\")");
    return make(span, std::move(result));
  }
  result.args.push_back(expression(*node.children[1], depth + 1));
  const Node& binder = *node.children[2];
  bool bare_variable = binder.is_type<g::field>() && binder.children.size() == 2 &&
                       binder.children[0]->is_type<g::variable_mark>();
  if (!bare_variable) {
    error("syntax.arraysearch",
          "the second argument of _arraysearch must be a variable such as `$entry`",
          span_of(binder));
    return make(span, std::move(result));
  }
  ast::Field variable;
  variable.variable = binder.children[1]->string();
  result.args.push_back(make(span_of(binder), std::move(variable)));
  variables_.push_back(binder.children[1]->string());
  result.args.push_back(expression(*node.children[3], depth + 1));
  variables_.pop_back();
  return make(span, std::move(result));
}

ast::ExprPtr Converter::lineage(const Node& node, std::size_t depth) {
  check_depth(depth, span_of(node));
  ast::Lineage result;
  std::string_view relation = node.children[0]->string_view();
  result.relation = relation == "child"   ? ast::LineageRelation::Child
                    : relation == "event" ? ast::LineageRelation::Event
                                          : ast::LineageRelation::Descendant;
  // The inner filter is a query of its own: it sees no stage aliases or variables.
  std::vector<std::string> aliases = std::exchange(stage_aliases_, {});
  std::vector<std::string> variables = std::exchange(variables_, {});
  result.filter = event_filter(*node.children[1]);
  stage_aliases_ = std::move(aliases);
  variables_ = std::move(variables);
  return make(span_of(node), std::move(result));
}

ast::ExprPtr Converter::call(const Node& node, std::size_t depth) {
  check_depth(depth, span_of(node));
  const Node& name_node = *node.children.front();
  std::string_view written = name_node.string_view();
  ast::Call result;
  result.case_insensitive = !written.empty() && written.back() == '~';
  if (result.case_insensitive) written.remove_suffix(1);
  result.written_name = std::string(written);
  result.name_span = span_of(name_node);
  std::string_view canonical = canonical_function_name(written);
  bool array_search_name = written.size() == 12 && std::equal(written.begin(), written.end(),
      "_arraysearch", [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a + 32 : a) == b; });
  if (array_search_name && endpoint() && !result.case_insensitive) {
    result.name = "_arraysearch";
    return array_search(node, std::move(result), depth);
  }
  if (canonical.empty()) {
    std::vector<std::string_view> args;
    for (std::size_t i = 1; i < node.children.size(); ++i) {
      Span arg = span_of(*node.children[i]);
      args.push_back(text_.substr(arg.begin, arg.end - arg.begin));
    }
    std::string hint = syntax::python_function_hint(written, args);
    if (array_search_name) {
      hint = "_arraysearch belongs to the endpoint dialect of Elastic Defend's behavior rules: "
             "check them with --dialect endpoint";
    }
    if (auto suggestion = syntax::closest_function_name(written); hint.empty() && !suggestion.empty()) {
      hint = "did you mean `" + std::string(suggestion) + "`?";
    }
    error("syntax.unknown-function",
          "unknown function `" + std::string(written) + "`: Elasticsearch EQL has no such function",
          result.name_span, hint);
    result.name = result.written_name;
  } else {
    result.name = std::string(canonical);
    if (result.case_insensitive && !function_accepts_tilde(canonical)) {
      error("syntax.tilde-function",
            "`" + result.name + "` has no case-insensitive form; remove the `~`", result.name_span,
            "only " + tilde_functions_text() + " take `~`");
    }
  }
  for (std::size_t i = 1; i < node.children.size(); ++i) {
    result.args.push_back(expression(*node.children[i], depth + 1));
  }
  return make(span_of(node), std::move(result));
}

ast::ExprPtr Converter::postfix(const Node& node, std::size_t depth) {
  ast::ExprPtr value = expression(*node.children[0], depth);
  const Node& predicate = *node.children[1];
  Span span = span_of(node);
  if (predicate.is_type<g::in_predicate>()) {
    ast::In in;
    in.value = std::move(value);
    for (const auto& child : predicate.children) {
      if (child->is_type<g::in_negation>()) {
        in.negated = true;
      } else if (child->is_type<g::in_insensitive>()) {
        in.case_insensitive = true;
      } else {
        in.candidates.push_back(expression(*child, depth + 1));
        if (!endpoint() && references_field(*in.candidates.back()) &&
            references_field(*in.value)) {
          error("syntax.field-comparison",
                "comparing a field with another field is not supported by Elasticsearch EQL",
                in.candidates.back()->span, "the values after `in` must be literals");
        }
      }
    }
    return make(span, std::move(in));
  }
  // match_predicate: an operator, an optional `~`, then one pattern or a pattern list.
  ast::Match match;
  match.value = std::move(value);
  std::vector<const Node*> patterns;
  for (const auto& child : predicate.children) {
    if (child->is_type<g::colon_operator>()) {
      match.op = ast::MatchOp::Colon;
      match.case_insensitive = true;
    } else if (child->is_type<g::like_operator>()) {
      match.op = ast::MatchOp::Like;
    } else if (child->is_type<g::regex_operator>()) {
      match.op = ast::MatchOp::Regex;
    } else if (child->is_type<g::match_insensitive>()) {
      match.case_insensitive = true;
    } else if (child->is_type<g::pattern_list>()) {
      match.list = true;
      for (const auto& item : child->children) patterns.push_back(item.get());
    } else {
      patterns.push_back(child.get());
    }
  }
  for (const Node* pattern : patterns) {
    if (!pattern->is_type<g::quoted_string>() && !pattern->is_type<g::raw_string>()) {
      const char* op = match.op == ast::MatchOp::Colon  ? ":"
                       : match.op == ast::MatchOp::Like ? "like"
                                                        : "regex";
      error("syntax.pattern-not-string",
            std::string("the pattern after `") + op + "` must be a string, not `" +
                std::string(pattern->string_view()) + "`",
            span_of(*pattern), "write it in double quotes, or compare numbers with ==");
      continue;
    }
    match.patterns.push_back(
        ast::StringLiteral{string_value(*pattern), pattern->is_type<g::raw_string>()});
    match.pattern_spans.push_back(span_of(*pattern));
  }
  return make(span, std::move(match));
}

ast::ExprPtr Converter::arithmetic_chain(const Node& node, std::size_t depth) {
  // Children alternate operand, operator, operand...; the chain is left-associative.
  ast::ExprPtr result = expression(*node.children[0], depth);
  std::size_t chain_depth = depth;
  for (std::size_t i = 1; i + 1 < node.children.size(); i += 2) {
    char op = node.children[i]->string_view().front();
    ast::Arith arith;
    arith.op = op == '+'   ? ast::ArithOp::Add
               : op == '-' ? ast::ArithOp::Sub
               : op == '*' ? ast::ArithOp::Mul
               : op == '/' ? ast::ArithOp::Div
                           : ast::ArithOp::Mod;
    arith.left = std::move(result);
    arith.right = expression(*node.children[i + 1], depth + 1);
    Span span = span_between(arith.left->span, arith.right->span);
    check_depth(++chain_depth, span);
    result = make(span, std::move(arith));
    // The query is refused already; building the rest of a 100,000-term chain would make a
    // tree whose later walks (field checks, destruction) overflow the stack.
    if (chain_depth > options_.max_depth) break;
  }
  return result;
}

ast::ExprPtr Converter::comparison(const Node& node, std::size_t depth) {
  ast::Compare compare;
  std::string_view op = node.children[1]->string_view();
  compare.op = op == "==" ? ast::CompareOp::Eq
               : op == "!=" ? ast::CompareOp::NotEq
               : op == "<"  ? ast::CompareOp::Less
               : op == "<=" ? ast::CompareOp::LessEq
               : op == ">"  ? ast::CompareOp::Greater
                            : ast::CompareOp::GreaterEq;
  compare.left = expression(*node.children[0], depth + 1);
  compare.right = expression(*node.children[2], depth + 1);
  Span span = span_of(node);
  check_field_comparison(*compare.left, *compare.right);
  return make(span, std::move(compare));
}

ast::ExprPtr Converter::expression(const Node& node, std::size_t depth) {
  check_depth(depth, span_of(node));
  if (node.is_type<g::field>()) return field(node);
  if (node.is_type<g::function_call>()) return call(node, depth);
  if (node.is_type<g::postfix>()) return postfix(node, depth);
  if (node.is_type<g::multiplicative>() || node.is_type<g::additive>()) {
    return arithmetic_chain(node, depth);
  }
  if (node.is_type<g::comparison>()) return comparison(node, depth);
  if (node.is_type<g::lineage>()) return lineage(node, depth + 1);
  if (node.is_type<g::negation>()) {
    return make(span_of(node), ast::Not{expression(*node.children[0], depth + 1)});
  }
  if (node.is_type<g::negative>()) {
    ast::ExprPtr operand = expression(*node.children[0], depth + 1);
    // `-5` is the literal -5, as in Elasticsearch; `-x` stays an operation.
    if (auto* i = std::get_if<ast::IntLiteral>(&operand->node)) {
      i->value = -i->value;
      operand->span = span_of(node);
      return operand;
    }
    if (auto* d = std::get_if<ast::DecimalLiteral>(&operand->node)) {
      d->value = -d->value;
      operand->span = span_of(node);
      return operand;
    }
    return make(span_of(node), ast::Negate{std::move(operand)});
  }
  if (node.is_type<g::and_expression>() || node.is_type<g::or_expression>()) {
    ast::Logical logical;
    logical.op = node.is_type<g::and_expression>() ? ast::LogicOp::And : ast::LogicOp::Or;
    for (const auto& child : node.children) {
      logical.operands.push_back(expression(*child, depth + 1));
    }
    return make(span_of(node), std::move(logical));
  }
  return literal(node);
}

// ---- queries ---------------------------------------------------------------------------

ast::EventFilter Converter::event_filter(const Node& node) {
  ast::EventFilter filter;
  filter.span = span_of(node);
  const Node& category = *node.children[0];
  filter.category_span = span_of(category);
  const Node& value = *category.children[0];
  if (value.is_type<g::any_category>()) {
    filter.any = true;
  } else if (value.is_type<g::quoted_string>() || value.is_type<g::raw_string>()) {
    filter.quoted_category = true;
    filter.category = string_value(value);
  } else {
    filter.category = value.string();
  }
  filter.condition = expression(*node.children[1]);
  return filter;
}

std::vector<ast::ExprPtr> Converter::join_keys(const Node& node) {
  std::vector<ast::ExprPtr> keys;
  for (const auto& child : node.children) {
    keys.push_back(expression(*child));
    if (!keys.back()->as<ast::Field>()) {
      error("syntax.join-key", "a join key must be a field", keys.back()->span,
            "Elasticsearch joins on field values: write `by process.entity_id`");
    }
  }
  return keys;
}

ast::Duration Converter::duration(const Node& node) {
  // children: the amount (integer or decimal), then the unit when one was written
  ast::Duration result;
  result.span = span_of(node);
  const Node& amount = *node.children[0];
  Span value_span = span_of(amount);
  if (node.children.size() > 1) value_span.end = span_of(*node.children[1]).end;
  result.span = value_span;
  if (amount.is_type<g::decimal_number>()) {
    std::string unit = node.children.size() > 1 ? node.children[1]->string() : "";
    std::string whole = whole_duration(amount.string_view(), unit);
    error("syntax.maxspan-decimal",
          "maxspan must be a whole number of a time unit, not " +
              std::string(text_.substr(value_span.begin, value_span.end - value_span.begin)),
          value_span,
          whole.empty() ? "use a smaller unit: 1500ms instead of 1.5s" : "write " + whole + ", the same span");
    return result;
  }
  std::string_view digits = amount.string_view();
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), result.value);
  if (ec != std::errc()) {
    error("syntax.number-range", "maxspan " + std::string(digits) + " is too large", value_span);
    return result;
  }
  if (node.children.size() < 2) {
    error("syntax.maxspan-unit", "maxspan needs a time unit (ms, s, m, h or d)", value_span,
          "for example maxspan=" + std::string(digits) + "s");
    return result;
  }
  result.unit = node.children[1]->string();
  static constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> units{
      {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
  auto unit = std::find_if(units.begin(), units.end(),
                           [&](const auto& u) { return u.first == result.unit; });
  if (unit == units.end()) {
    error("syntax.maxspan-unit",
          "unknown time unit `" + result.unit + "`; use ms, s, m, h or d",
          span_of(*node.children[1]));
    return result;
  }
  if (result.value <= 0) {
    error("syntax.maxspan-range", "maxspan must be positive", value_span);
  }
  if (result.value > INT64_MAX / unit->second) {
    error("syntax.number-range", "maxspan is too large", value_span);
    return result;
  }
  result.millis = result.value * unit->second;
  return result;
}

ast::Term Converter::term(const Node& node) {
  ast::Term result;
  result.span = span_of(node);
  for (const auto& child : node.children) {
    if (child->is_type<g::missing_open>()) {
      result.missing = true;
    } else if (child->is_type<g::event_filter>()) {
      result.filter = event_filter(*child);
    } else if (child->is_type<g::join_keys>()) {
      result.keys = join_keys(*child);
    } else if (child->is_type<g::term_option>()) {
      const Node& name = *child->children[0];
      Span option_span = span_of(*child);
      result.runs_span = option_span;
      if (name.string_view() == "maxspan") {
        error("syntax.maxspan-position",
              "maxspan belongs to the whole sequence: write `sequence [by ...] with maxspan=...`",
              option_span);
        continue;
      }
      if (name.string_view() != "runs") {
        error("syntax.term-option",
              "unknown option `" + name.string() + "` for a sequence term; the only one is runs",
              span_of(name), "for example: [process where true] with runs=3");
        continue;
      }
      const Node& amount = *child->children[1];
      std::int64_t runs = 0;
      std::string_view digits = amount.string_view();
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), runs);
      if (!amount.is_type<g::integer_number>() || child->children.size() > 2 ||
          ec != std::errc() || runs < 1 || runs > 100) {
        error("syntax.runs-range", "runs must be a whole number from 1 to 100",
              span_between(span_of(amount), span_of(*child->children.back())));
        continue;
      }
      result.runs = runs;
    } else if (child->is_type<g::alias_name>()) {
      result.alias = child->string();
      result.alias_span = span_of(*child);
    }
  }
  return result;
}

ast::Sequence Converter::sequence(const Node& node) {
  ast::Sequence result;
  stage_aliases_.clear();
  for (const auto& child : node.children) {
    if (child->is_type<g::join_keys>()) {
      result.keys = join_keys(*child);
    } else if (child->is_type<g::maxspan>()) {
      result.maxspan = duration(*child);
    } else if (child->is_type<g::term>()) {
      result.terms.push_back(term(*child));
      const ast::Term& added = result.terms.back();
      if (!added.alias.empty()) {
        if (std::find(stage_aliases_.begin(), stage_aliases_.end(), added.alias) !=
            stage_aliases_.end()) {
          error("syntax.duplicate-alias",
                "the alias `" + added.alias + "` names an earlier stage already",
                added.alias_span);
        }
        if (added.missing || added.runs != 1) {
          error("syntax.alias-position",
                "a missing event or a term with runs cannot be named with `as`",
                added.alias_span);
        }
        stage_aliases_.push_back(added.alias);
      }
    } else if (child->is_type<g::until_term>()) {
      result.until = term(*child->children[0]);
      if (!result.until->alias.empty()) {
        error("syntax.alias-position", "the until term cannot be named with `as`",
              result.until->alias_span);
      }
      if (result.until->missing) {
        error("syntax.until-missing", "the until term cannot be a missing event `![...]`",
              result.until->span);
      }
      if (result.until->runs != 1) {
        error("syntax.until-runs", "the until term cannot have runs", result.until->runs_span);
      }
    }
  }
  Span whole = span_of(node);
  std::int64_t expanded = 0;
  std::int64_t present = 0;
  const ast::Term* first_missing = nullptr;
  for (const auto& t : result.terms) {
    expanded += t.runs;
    if (t.missing) {
      if (!first_missing) first_missing = &t;
    } else {
      present += t.runs;
    }
  }
  if (expanded < 2) {
    error("syntax.sequence-terms",
          "a sequence needs at least 2 terms (counting runs); this one has " +
              std::to_string(expanded),
          whole, "add a term, or use a plain event query");
  } else if (expanded > 256) {
    error("syntax.sequence-terms",
          "a sequence may have at most 256 terms (counting runs); this one has " +
              std::to_string(expanded),
          whole);
  }
  if (first_missing && !result.maxspan) {
    error("syntax.missing-without-maxspan",
          "a missing event `![...]` needs the sequence to have a maxspan", first_missing->span,
          "add `with maxspan=...` after `sequence [by ...]`");
  }
  if (first_missing && present == 0) {
    error("syntax.missing-only", "a sequence needs at least one term that is not a missing event",
          whole);
  }
  // Every term (and until) must name as many keys as the others, and keys match by position.
  std::size_t expected_keys = result.terms.empty() ? 0 : result.terms.front().keys.size();
  auto check_keys = [&](const ast::Term& t) {
    if (t.keys.size() != expected_keys) {
      error("syntax.join-key-count",
            "every term needs the same number of join keys: the first has " +
                std::to_string(expected_keys) + ", this one " + std::to_string(t.keys.size()),
            t.span);
    }
  };
  for (const auto& t : result.terms) check_keys(t);
  if (result.until) check_keys(*result.until);
  return result;
}

ast::Sample Converter::sample(const Node& node) {
  ast::Sample result;
  for (const auto& child : node.children) {
    if (child->is_type<g::join_keys>()) {
      result.keys = join_keys(*child);
    } else if (child->is_type<g::term>()) {
      result.terms.push_back(term(*child));
      const ast::Term& t = result.terms.back();
      if (!t.alias.empty()) {
        error("syntax.alias-position", "the terms of a sample cannot be named with `as`",
              t.alias_span);
      }
      if (t.missing) {
        error("syntax.sample-missing", "a sample cannot have missing events `![...]`", t.span);
      }
      if (t.runs != 1) {
        error("syntax.sample-runs", "a sample term cannot have runs", t.runs_span);
      }
    }
  }
  if (result.terms.size() < 2 || result.terms.size() > 5) {
    error("syntax.sample-terms",
          "a sample needs 2 to 5 terms; this one has " + std::to_string(result.terms.size()),
          span_of(node));
  }
  std::size_t expected_keys = result.terms.empty() ? 0 : result.terms.front().keys.size();
  for (const auto& t : result.terms) {
    if (t.keys.size() != expected_keys) {
      error("syntax.join-key-count",
            "every term needs the same number of join keys: the first has " +
                std::to_string(expected_keys) + ", this one " + std::to_string(t.keys.size()),
            t.span);
    }
  }
  return result;
}

ast::Pipe Converter::pipe(const Node& node) {
  ast::Pipe result;
  result.span = span_of(node);
  const Node& name_node = *node.children[0];
  std::string name = name_node.string();
  static constexpr std::array<std::pair<std::string_view, ast::PipeKind>, 7> kinds{{
      {"head", ast::PipeKind::Head},
      {"tail", ast::PipeKind::Tail},
      {"count", ast::PipeKind::Count},
      {"unique", ast::PipeKind::Unique},
      {"unique_count", ast::PipeKind::UniqueCount},
      {"sort", ast::PipeKind::Sort},
      {"filter", ast::PipeKind::Filter},
  }};
  auto kind = std::find_if(kinds.begin(), kinds.end(),
                           [&](const auto& k) { return k.first == name; });
  if (kind == kinds.end()) {
    error("syntax.pipe-unknown", "unrecognized pipe `" + name + "`", span_of(name_node),
          options_.extension_pipes
              ? "pipes are head, tail, count, unique, unique_count, sort and filter"
              : "Elasticsearch EQL supports the pipes head and tail");
    return result;
  }
  result.kind = kind->second;
  bool extension = result.kind != ast::PipeKind::Head && result.kind != ast::PipeKind::Tail;
  if (extension && !options_.extension_pipes) {
    error("syntax.pipe-unsupported",
          "the pipe `" + name + "` is not supported by Elasticsearch EQL", span_of(name_node),
          "Elasticsearch supports head and tail; eql query and eql shell also run " + name);
    return result;
  }
  for (std::size_t i = 1; i < node.children.size(); ++i) {
    const Node& argument = *node.children[i];
    result.args.push_back(expression(*argument.children[0]));
    bool descending = argument.children.size() > 1 &&
                      argument.children[1]->string_view() == "desc";
    if (argument.children.size() > 1 && result.kind != ast::PipeKind::Sort) {
      error("syntax.pipe-argument", "asc/desc only applies to the sort pipe",
            span_of(*argument.children[1]));
    }
    result.descending.push_back(descending);
  }
  switch (result.kind) {
    case ast::PipeKind::Head:
    case ast::PipeKind::Tail: {
      // Elasticsearch takes any constant integer expression here (`head 2 + 3`); it is
      // folded, so later stages always see one literal.
      std::optional<std::int64_t> count;
      if (result.args.size() == 1) count = fold_integer(*result.args[0]);
      if (!count || *count < 0) {
        error("syntax.pipe-argument",
              "`" + name + "` takes one whole number that is not negative, e.g. | " + name + " 10",
              result.span);
      } else if (!result.args[0]->as<ast::IntLiteral>()) {
        Span span = result.args[0]->span;
        result.args[0] = make(span, ast::IntLiteral{*count});
      }
      break;
    }
    case ast::PipeKind::Filter:
      if (result.args.size() != 1) {
        error("syntax.pipe-argument", "`filter` takes one condition", result.span);
      }
      break;
    case ast::PipeKind::Count:
      break;
    default:
      if (result.args.empty()) {
        error("syntax.pipe-argument", "`" + name + "` needs at least one field", result.span);
      }
  }
  return result;
}

ast::Query Converter::query(const Node& node) {
  ast::Query result;
  result.span = span_of(node);
  for (const auto& child : node.children) {
    if (child->is_type<g::event_filter>()) {
      result.body = event_filter(*child);
    } else if (child->is_type<g::sequence>()) {
      result.body = sequence(*child);
    } else if (child->is_type<g::sample>()) {
      result.body = sample(*child);
    } else if (child->is_type<g::pipe>()) {
      result.pipes.push_back(pipe(*child));
    }
  }
  return result;
}

// ---- running the grammar -----------------------------------------------------------------

template <typename Rule>
std::unique_ptr<Node> run_grammar(std::string_view text, const ParseOptions& options,
                                  Diagnostics& diagnostics) {
  if (text.size() > options.max_length) {
    diagnostics.push_back({Severity::Error, "syntax.too-long",
                           "the query is " + std::to_string(text.size()) +
                               " bytes long; the limit is " + std::to_string(options.max_length),
                           Span{0, 0}, "raise the limit with --max-query-length"});
    return nullptr;
  }
  g::depth_budget = g::DepthBudget{options.max_depth, 0};
  g::endpoint_dialect_active = options.dialect == Dialect::Endpoint;
  tao::pegtl::memory_input<tao::pegtl::tracking_mode::eager, tao::pegtl::eol::lf_crlf> in(
      text.data(), text.size(), "query");
  try {
    auto root = syntax::parse_lean_tree<Rule, Node, Selector, ErrorControl>(in);
    if (!root) {
      diagnostics.push_back({Severity::Error, "syntax.expected-query",
                             syntax::error_info<g::query_body_required>.message, Span{0, 0}, {}});
    }
    return root;
  } catch (const syntax::SyntaxFailure& failure) {
    diagnostics.push_back(syntax::describe_failure(text, failure));
  } catch (const g::TooDeep& deep) {
    auto at = static_cast<std::uint32_t>(deep.offset);
    diagnostics.push_back({Severity::Error, "syntax.too-deep",
                           "the query nests deeper than " + std::to_string(options.max_depth) +
                               " levels",
                           Span{at, at + 1}, "split the condition, or raise the limit with --max-depth"});
  }
  return nullptr;
}

}  // namespace

const char* dialect_name(Dialect dialect) {
  return dialect == Dialect::Endpoint ? "endpoint" : "elasticsearch";
}

std::optional<Dialect> dialect_named(std::string_view name) {
  if (name == "endpoint") return Dialect::Endpoint;
  if (name == "elasticsearch") return Dialect::Elasticsearch;
  return std::nullopt;
}

ParseResult parse_query(std::string_view text, const ParseOptions& options) {
  ParseResult result;
  auto root = run_grammar<g::query>(text, options, result.diagnostics);
  if (!root) return result;
  Converter converter(text, options, result.diagnostics);
  ast::Query query = converter.query(*root->children.front());
  if (!has_errors(result.diagnostics)) result.query = std::move(query);
  return result;
}

ExpressionResult parse_expression(std::string_view text, const ParseOptions& options) {
  ExpressionResult result;
  auto root = run_grammar<g::standalone_expression>(text, options, result.diagnostics);
  if (!root) return result;
  Converter converter(text, options, result.diagnostics);
  const Node& expression_root = *root->children.front();
  ast::ExprPtr expr = converter.expression(*expression_root.children.front());
  if (!has_errors(result.diagnostics)) result.expr = std::move(expr);
  return result;
}

}  // namespace eql
