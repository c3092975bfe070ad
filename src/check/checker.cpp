// The type checker. One pass over the AST computes each expression's type (a schema type
// for fields, a literal type, or a function's result type) and reports every mismatch with
// the span of the token a user has to change.
#include "eql/checker.h"

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "check/suggestion_memo.h"
#include "common/edit_distance.h"
#include "schema/catalog.h"

namespace eql {

namespace {

using ast::Expr;

/// What the checker knows about an expression's value.
struct ValueType {
  enum class Kind { Unknown, Null, Literal, Field, Computed };
  Kind kind = Kind::Unknown;
  TypeFamily family = TypeFamily::Other;
  MappingType field_type = MappingType::Keyword;  ///< fields only
  const Expr* expr = nullptr;

  bool known() const { return kind == Kind::Literal || kind == Kind::Field || kind == Kind::Computed; }
  static ValueType unknown(const Expr* e) { return {Kind::Unknown, TypeFamily::Other, MappingType::Keyword, e}; }
  static ValueType computed(TypeFamily family, const Expr* e) { return {Kind::Computed, family, MappingType::Keyword, e}; }
};

/// ECS field sets (`process`, `file`, ...): unknown fields below them are always errors.
const std::set<std::string, std::less<>>& ecs_field_sets() {
  static const std::set<std::string, std::less<>> sets = [] {
    std::set<std::string, std::less<>> names;
    for (const auto& [name, info] : schema_internal::embedded_catalog().ecs->fields) {
      std::size_t dot = name.find('.');
      if (dot != std::string::npos) names.insert(name.substr(0, dot));
    }
    return names;
  }();
  return sets;
}

/// Text quoted in a message: at most 60 bytes, cut on a UTF-8 character boundary, with
/// control characters shown as spaces so a message stays on one line.
std::string shorten(std::string_view text) {
  std::string shown;
  if (text.size() > 60) {
    std::size_t cut = 57;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    shown = std::string(text.substr(0, cut)) + "...";
  } else {
    shown = std::string(text);
  }
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return shown;
}

std::string quote_literal(const Expr& expr) {
  if (const auto* s = expr.as<ast::StringLiteral>()) return "the string \"" + shorten(s->value) + "\"";
  if (const auto* i = expr.as<ast::IntLiteral>()) return "the number " + std::to_string(i->value);
  if (const auto* d = expr.as<ast::DecimalLiteral>()) {
    std::ostringstream text;
    text << std::setprecision(15) << d->value;
    return "the number " + text.str();
  }
  if (const auto* b = expr.as<ast::BoolLiteral>()) return std::string("the boolean ") + (b->value ? "true" : "false");
  return "null";
}

ValueType literal_type(const Expr& expr) {
  ValueType value{ValueType::Kind::Literal, TypeFamily::Other, MappingType::Keyword, &expr};
  if (expr.as<ast::StringLiteral>()) value.family = TypeFamily::String;
  else if (expr.as<ast::IntLiteral>() || expr.as<ast::DecimalLiteral>()) value.family = TypeFamily::Number;
  else if (expr.as<ast::BoolLiteral>()) value.family = TypeFamily::Boolean;
  else value.kind = ValueType::Kind::Null;
  return value;
}

const char* ordinal(std::size_t index) {
  static const char* const kNames[] = {"first", "second", "third", "fourth", "fifth", "sixth"};
  return index < 6 ? kNames[index] : "next";
}

class Checker {
 public:
  Checker(const Schema& schema, const CheckOptions& options) : schema_(schema), options_(options) {}

  Diagnostics run(const ast::Query& query) {
    if (const auto* event = query.event()) {
      check_filter(*event);
    } else if (const auto* sequence = query.sequence()) {
      check_joined(sequence->keys, sequence->terms, sequence->until ? &*sequence->until : nullptr);
    } else if (const auto* sample = query.sample()) {
      check_joined(sample->keys, sample->terms, nullptr);
    }
    for (const auto& pipe : query.pipes) {
      for (const auto& arg : pipe.args) visit(*arg);
    }
    std::stable_sort(out_.begin(), out_.end(),
                     [](const Diagnostic& a, const Diagnostic& b) { return a.span.begin < b.span.begin; });
    return std::move(out_);
  }

  /// Fields (not `?optional`) the schema lacks, for the endgame-only verdict.
  std::vector<const Expr*> unknown_fields;

 private:
  // ---- reporting ------------------------------------------------------------------------

  void report(Severity severity, std::string code, Span span, std::string message, std::string hint = {}) {
    out_.push_back({severity, std::move(code), std::move(message), span, std::move(hint)});
  }
  void error(std::string code, Span span, std::string message, std::string hint = {}) {
    report(Severity::Error, std::move(code), span, std::move(message), std::move(hint));
  }

  /// The query text of an expression, when the caller gave the text.
  std::string source_of(const Expr& expr) const {
    std::string_view text = options_.query_text;
    if (text.empty() || expr.span.end > text.size() || expr.span.begin >= expr.span.end) return {};
    return shorten(text.substr(expr.span.begin, expr.span.end - expr.span.begin));
  }

  /// As a subject: "`process.pid` is a number (long)", "`host.name` is a keyword",
  /// "`length(x)` is a number". As an object: "the string \"4\"", "the field `a` (keyword)".
  std::string describe(const ValueType& value, bool as_subject) const {
    if (value.kind == ValueType::Kind::Literal) return quote_literal(*value.expr);
    if (value.kind == ValueType::Kind::Field) {
      const auto& field = value.expr->as<ast::Field>()->name;
      std::string type(mapping_type_name(value.field_type));
      if (!as_subject) return "the field `" + field + "` (" + type + ")";
      return "`" + field + "` is " + kind_of(value);
    }
    std::string family(family_description(value.family));
    std::string text = source_of(*value.expr);
    if (as_subject) return (text.empty() ? "the expression" : "`" + text + "`") + " is " + family;
    return text.empty() ? "an expression that is " + family : "`" + text + "` (" + family + ")";
  }

  /// Ends "X must be a number, ...": "not the string \"1\"" or "but `a` is a keyword".
  std::string but(const ValueType& value) const {
    if (value.kind == ValueType::Kind::Literal) return "not " + quote_literal(*value.expr);
    return "but " + describe(value, true);
  }

  /// "`process.pid`", "`length(x)`", "an expression"
  std::string name_of(const ValueType& value) const {
    if (value.kind == ValueType::Kind::Field) return "`" + value.expr->as<ast::Field>()->name + "`";
    if (value.kind == ValueType::Kind::Literal) return quote_literal(*value.expr);
    std::string text = source_of(*value.expr);
    return text.empty() ? "an expression" : "`" + text + "`";
  }

  /// "a number (long)", "a keyword", "an ip", "a string" (computed values)
  std::string kind_of(const ValueType& value) const {
    if (value.kind == ValueType::Kind::Field && value.family == TypeFamily::Number) {
      return "a number (" + std::string(mapping_type_name(value.field_type)) + ")";
    }
    return type_word(value);
  }

  std::string type_word(const ValueType& value) const {
    if (value.kind == ValueType::Kind::Field) {
      std::string type(mapping_type_name(value.field_type));
      bool vowel = !type.empty() && std::string_view("aeiou").find(type.front()) != std::string_view::npos;
      return (vowel ? "an " : "a ") + type;
    }
    return std::string(family_description(value.family));
  }

  // ---- queries --------------------------------------------------------------------------

  void check_filter(const ast::EventFilter& filter) {
    category_ = filter.any ? std::string() : filter.category;
    if (!filter.any && options_.category_field != kDefaultCategoryField) {
      if (!schema_.find(options_.category_field)) {
        error("check.unknown-category-field", filter.category_span,
              "the event category field `" + options_.category_field +
                  "` (event_category_override) is not in the schema");
      }
    }
    if (!filter.any) check_allowed_value(options_.category_field, filter.category, filter.category_span, false);
    if (filter.condition) check_condition(*filter.condition);
  }

  /// A near miss of a value ECS allows for a categorisation field (`proces where`,
  /// `event.type == "strat"`) matches no ECS-conformant event. Values far from every
  /// allowed one are left alone: sources have their own (`process_started`, `dns`).
  void check_allowed_value(const std::string& field, const std::string& value, Span span, bool ignore_case) {
    const auto& allowed = ecs_allowed_values(field);
    if (allowed.empty() || value.empty()) return;
    // The same literals come back in rule after rule (`process where`, `event.type ==
    // "start"`): the nearest allowed value is remembered per field, value and case rule.
    static thread_local std::unordered_map<std::string, std::string> nearest;
    std::string key = (ignore_case ? "i" : "c") + field + '\0' + value;
    auto known = nearest.find(key);
    if (known == nearest.end()) {
      if (nearest.size() >= 4096) nearest.clear();  // bounded for a long-lived service
      known = nearest.emplace(std::move(key), nearest_allowed_value(allowed, value, ignore_case)).first;
    }
    const std::string& best = known->second;
    if (best.empty()) return;
    std::string list;
    for (const auto& candidate : allowed) list += (list.empty() ? "" : ", ") + candidate;
    report(Severity::Warning, "check.unknown-value", span,
           "\"" + shorten(value) + "\" is not an ECS value of `" + field + "`; did you mean \"" + best + "\"?",
           "ECS allows: " + list);
  }

  /// The allowed value within two edits of `value`; empty when `value` is allowed or when
  /// none is that close.
  static std::string nearest_allowed_value(const std::vector<std::string>& allowed, const std::string& value,
                                           bool ignore_case) {
    auto lower = [](std::string text) {
      for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      return text;
    };
    const std::string lowered = lower(value);
    const std::string& wanted = ignore_case ? lowered : value;
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& candidate : allowed) {
      if ((ignore_case ? lower(candidate) : candidate) == wanted) return {};
      std::size_t distance = edit_distance(lowered, candidate, 2);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
    return best;
  }

  /// Literals compared with a categorisation field: `event.type == "x"`, `in`, `:`.
  void check_allowed_literal(const Expr& field_side, const Expr& literal, bool ignore_case) {
    const auto* field = field_side.as<ast::Field>();
    const auto* text = literal.as<ast::StringLiteral>();
    if (field && text) check_allowed_value(field->name, text->value, literal.span, ignore_case);
  }

  void check_joined(const std::vector<ast::ExprPtr>& shared_keys, const std::vector<ast::Term>& terms,
                    const ast::Term* until) {
    for (const auto& key : shared_keys) check_key(*key);
    std::vector<const ast::Term*> all;
    for (const auto& term : terms) all.push_back(&term);
    if (until) all.push_back(until);
    const ast::Term* first = nullptr;
    std::vector<ValueType> first_keys;
    for (const ast::Term* term : all) {
      check_filter(term->filter);
      std::vector<ValueType> keys;
      for (const auto& key : term->keys) keys.push_back(check_key(*key));
      if (!first) {
        first = term;
        first_keys = keys;
        continue;
      }
      if (keys.size() != first_keys.size()) {
        Span where = term->keys.empty() ? term->span : Span{term->keys.front()->span.begin, term->keys.back()->span.end};
        error("check.join-key-count", where,
              "this term has " + std::to_string(keys.size() + shared_keys.size()) + " join key" +
                  (keys.size() + shared_keys.size() == 1 ? "" : "s") + " but the first term has " +
                  std::to_string(first_keys.size() + shared_keys.size()),
              "every term of a sequence or sample needs the same number of `by` keys");
        continue;
      }
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const ValueType& mine = keys[i];
        const ValueType& theirs = first_keys[i];
        if (!mine.known() || !theirs.known() || mine.family == theirs.family) continue;
        error("check.join-key-type", mine.expr->span,
              "join key " + std::to_string(shared_keys.size() + i + 1) + ": " + describe(mine, true) +
                  ", but the first term joins on " + name_of(theirs) + ", " + kind_of(theirs),
              "keys match by position: use fields of the same type in every term");
      }
    }
  }

  ValueType check_key(const Expr& key) {
    ValueType value = visit(key);
    if (value.kind == ValueType::Kind::Literal || value.kind == ValueType::Kind::Null) {
      error("check.join-key-literal", key.span, "a join key must be a field, not a constant");
    }
    return value;
  }

  /// A condition: the filter's `where` part or an operand of and/or/not.
  void check_condition(const Expr& expr) {
    ValueType value = visit(expr);
    if (!value.known() || value.family == TypeFamily::Boolean) return;
    error("check.not-boolean", expr.span,
          "a condition must be true or false, " + but(value),
          value.kind == ValueType::Kind::Field ? "compare it, e.g. `" + value.expr->as<ast::Field>()->name +
                                                     " != null` to test that it has a value"
                                               : std::string());
  }

  // ---- expressions ----------------------------------------------------------------------

  ValueType visit(const Expr& expr) {
    return std::visit([&](const auto& node) { return visit_node(expr, node); }, expr.node);
  }

  ValueType visit_node(const Expr& expr, const ast::NullLiteral&) { return literal_type(expr); }
  ValueType visit_node(const Expr& expr, const ast::BoolLiteral&) { return literal_type(expr); }
  ValueType visit_node(const Expr& expr, const ast::IntLiteral&) { return literal_type(expr); }
  ValueType visit_node(const Expr& expr, const ast::DecimalLiteral&) { return literal_type(expr); }
  ValueType visit_node(const Expr& expr, const ast::StringLiteral&) { return literal_type(expr); }

  /// The schema path a field reads: `$entry.trusted` inside _arraysearch over
  /// `dll.code_signature` reads `dll.code_signature.trusted`; none when the variable's array
  /// is not a known field (reported there already).
  std::optional<std::string> schema_path(const ast::Field& field) const {
    if (field.variable.empty()) return field.name;
    auto binding = std::find_if(bindings_.rbegin(), bindings_.rend(),
                                [&](const auto& b) { return b.first == field.variable; });
    if (binding == bindings_.rend() || binding->second.empty()) return std::nullopt;
    return field.name.empty() ? binding->second : binding->second + "." + field.name;
  }

  ValueType visit_node(const Expr& expr, const ast::Field& field) {
    std::optional<std::string> path = schema_path(field);
    if (!path) return ValueType::unknown(&expr);
    auto found = schema_.find(*path);
    if (!found) {
      if (!field.optional) report_unknown_field(expr, *path);
      return ValueType::unknown(&expr);
    }
    ValueType value{ValueType::Kind::Field, type_family(found->info.type), found->info.type, &expr};
    switch (value.family) {
      case TypeFamily::Text: {
        std::string hint;
        std::size_t dot = (*path).rfind('.');
        if (dot != std::string::npos && schema_.find((*path).substr(0, dot))) {
          hint = "use `" + (*path).substr(0, dot) + "`, the keyword form of the same value";
        }
        error("check.text-field", expr.span,
              "`" + (*path) + "` is a " + std::string(mapping_type_name(found->info.type)) +
                  " field: Elasticsearch analyses text into words, so EQL cannot compare or match it",
              hint);
        return ValueType::unknown(&expr);
      }
      case TypeFamily::Container:
        // The endpoint tests an object for presence (`code_signature != null`).
        if (endpoint()) return ValueType::unknown(&expr);
        [[fallthrough]];
      case TypeFamily::Other:
        error("check.unsupported-field", expr.span,
              "`" + (*path) + "` is " + type_word(value) +
                  " field, which EQL cannot read as a value",
              value.family == TypeFamily::Container ? "name one of its sub-fields instead" : std::string());
        return ValueType::unknown(&expr);
      default:
        return value;
    }
  }

  ValueType visit_node(const Expr& expr, const ast::Not& node) {
    check_condition(*node.operand);
    return ValueType::computed(TypeFamily::Boolean, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::Logical& node) {
    for (const auto& operand : node.operands) check_condition(*operand);
    return ValueType::computed(TypeFamily::Boolean, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::Compare& node) {
    ValueType left = visit(*node.left);
    ValueType right = visit(*node.right);
    check_comparable(left, right);
    if (node.op == ast::CompareOp::Eq || node.op == ast::CompareOp::NotEq) {
      warn_literal_wildcard(left, *node.right, "==");
      check_allowed_literal(*node.left, *node.right, false);
      check_allowed_literal(*node.right, *node.left, false);
    }
    return ValueType::computed(TypeFamily::Boolean, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::Arith& node) {
    for (const Expr* operand : {node.left.get(), node.right.get()}) {
      ValueType value = visit(*operand);
      if (value.known() && value.family != TypeFamily::Number) {
        error("check.arithmetic-type", operand->span,
              "arithmetic needs numbers, " + but(value));
      }
    }
    return ValueType::computed(TypeFamily::Number, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::Negate& node) {
    ValueType value = visit(*node.operand);
    if (value.known() && value.family != TypeFamily::Number) {
      error("check.arithmetic-type", node.operand->span, "unary minus needs a number, " + but(value));
    }
    return ValueType::computed(TypeFamily::Number, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::In& node) {
    ValueType value = visit(*node.value);
    for (const auto& candidate : node.candidates) {
      ValueType item = visit(*candidate);
      if (value.known() && value.family == TypeFamily::Ip && item.kind == ValueType::Kind::Literal &&
          item.family == TypeFamily::String) {
        error("check.ip-in-strings", candidate->span,
              describe(value, true) + " and cannot be compared with " + quote_literal(*candidate) +
                  " in an `in` list",
              "use cidrMatch(" + value.expr->as<ast::Field>()->name +
                  ", \"10.0.0.0/8\", ...) for addresses and ranges");
        continue;
      }
      check_comparable(value, item);
      warn_literal_wildcard(value, *candidate, "in");
      check_allowed_literal(*node.value, *candidate, node.case_insensitive);
    }
    return ValueType::computed(TypeFamily::Boolean, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::Match& node) {
    ValueType value = visit(*node.value);
    const char* op = node.op == ast::MatchOp::Colon ? ":" : node.op == ast::MatchOp::Like ? "like" : "regex";
    if (value.known() && value.family != TypeFamily::String) {
      std::string hint;
      if (value.family == TypeFamily::Ip) hint = "use cidrMatch() to test address ranges";
      else if (value.family == TypeFamily::Number || value.family == TypeFamily::Boolean)
        hint = "compare with `==` or `in` instead";
      error("check.pattern-type", node.value->span,
            std::string("`") + op + "` matches strings only, but " + describe(value, true), hint);
    }
    if (node.op != ast::MatchOp::Regex) {
      for (std::size_t i = 0; i < node.patterns.size() && i < node.pattern_spans.size(); ++i) {
        const auto* field = node.value->as<ast::Field>();
        const std::string& pattern = node.patterns[i].value;
        if (field && pattern.find_first_of("*?") == std::string::npos) {
          check_allowed_value(field->name, pattern, node.pattern_spans[i], node.case_insensitive);
        }
      }
    }
    if (node.op == ast::MatchOp::Regex) {
      for (std::size_t i = 0; i < node.patterns.size(); ++i) {
        std::size_t offset = 0;
        std::string problem = lucene_regex_error(node.patterns[i].value, offset);
        if (problem.empty()) continue;
        Span span = i < node.pattern_spans.size() ? node.pattern_spans[i] : expr.span;
        bool has_operators = node.patterns[i].value.find_first_of("@&~<>#\"") != std::string::npos;
        error("check.invalid-regex", span,
              "invalid regular expression (Lucene syntax) at character " + std::to_string(offset + 1) +
                  " of the pattern: " + problem,
              has_operators ? "in a Lucene regex `@ & ~ < > # \"` are operators: escape them with `\\` to match them"
                            : std::string());
      }
    }
    return ValueType::computed(TypeFamily::Boolean, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::Lineage& lineage) {
    // The inner filter tests the ancestor's own start event, a query of its own.
    std::string outer_category = std::exchange(category_, {});
    check_filter(lineage.filter);
    category_ = std::move(outer_category);
    return ValueType::computed(TypeFamily::Boolean, &expr);
  }

  /// `_arraysearch(array, $entry, condition)` (endpoint dialect): `$entry.x` in the
  /// condition reads `x` of an element, typed as `array.x` in the schema.
  ValueType check_array_search(const Expr& expr, const ast::Call& call) {
    std::string array;
    const auto* field = call.args[0]->as<ast::Field>();
    if (field) {
      std::optional<std::string> path = schema_path(*field);
      if (path && schema_.find(*path)) {
        array = *path;  // an object array has the type of a container: no value check here
      } else if (path && !field->optional) {
        report_unknown_field(*call.args[0], *path);
      }
    } else {
      error("check.function-argument", call.args[0]->span,
            "the first argument of `_arraysearch` must be an array field");
    }
    bindings_.emplace_back(call.args[1]->as<ast::Field>()->variable, array);
    check_condition(*call.args[2]);
    bindings_.pop_back();
    return ValueType::computed(TypeFamily::Boolean, &expr);
  }

  ValueType visit_node(const Expr& expr, const ast::Call& call) {
    // The parser builds _arraysearch calls in the endpoint dialect only, always of 3.
    if (call.name == "_arraysearch" && call.args.size() == 3) return check_array_search(expr, call);
    std::vector<ValueType> args;
    for (const auto& arg : call.args) args.push_back(visit(*arg));
    const FunctionSignature* signature = find_function(call.written_name.empty() ? call.name : call.written_name);
    if (!signature) signature = find_function(call.name);
    std::string shown = call.written_name.empty() ? call.name : call.written_name;
    if (!signature) {
      report_unknown_function(call, shown);
      return ValueType::unknown(&expr);
    }
    std::string name(signature->name);
    if (call.case_insensitive && !signature->accepts_tilde) {
      error("check.function-tilde", call.name_span,
            "`" + name + "` has no case-insensitive form `" + name + "~`",
            "only " + tilde_functions_text() + " take `~`");
    }
    if (args.size() < signature->min_args || args.size() > signature->max_args) {
      std::string expected = arity_text(*signature);
      error("check.function-arity", expr.span,
            "`" + name + "` takes " + expected + " argument" + (expected == "1" ? "" : "s") + ", not " +
                std::to_string(args.size()));
      return ValueType::computed(family_of(signature->result), &expr);
    }
    if (signature->function == Function::CidrMatch) {
      check_cidr_match(call, args);
    } else {
      check_arguments(call, *signature, args);
    }
    return ValueType::computed(family_of(signature->result), &expr);
  }

  // What the table's kinds are among the schema's families. No result is Any, and Any
  // arguments are not checked: it maps to Number only to be total.
  static TypeFamily family_of(ValueClass value) {
    switch (value) {
      case ValueClass::String: return TypeFamily::String;
      case ValueClass::Boolean: return TypeFamily::Boolean;
      case ValueClass::Ip: return TypeFamily::Ip;
      case ValueClass::Number: case ValueClass::Any: break;
    }
    return TypeFamily::Number;
  }

  void check_cidr_match(const ast::Call& call, const std::vector<ValueType>& args) {
    const ValueType& address = args[0];
    if (address.known() && address.family != TypeFamily::Ip) {
      error("check.function-argument", call.args[0]->span,
            "cidrMatch needs an ip field; " + describe(address, true), "cidrMatch tests ip fields such as source.ip");
    }
    for (std::size_t i = 1; i < args.size(); ++i) {
      const auto* block = call.args[i]->as<ast::StringLiteral>();
      if (!block) {
        error("check.function-argument", call.args[i]->span,
              "cidrMatch takes constant address blocks such as \"10.0.0.0/8\" after the field");
        continue;
      }
      std::string problem = cidr_error(block->value);
      if (!problem.empty()) {
        error("check.invalid-cidr", call.args[i]->span, "invalid CIDR \"" + shorten(block->value) + "\": " + problem,
              "write an address block such as \"192.168.0.0/16\" or \"fe80::/10\"");
      }
    }
  }

  // Each argument against what the function's signature says it must be.
  void check_arguments(const ast::Call& call, const FunctionSignature& signature, const std::vector<ValueType>& args) {
    for (std::size_t i = 0; i < args.size() && i < std::size(signature.arguments); ++i) {
      const ValueType& arg = args[i];
      if (signature.arguments[i] == ValueClass::Any || !arg.known()) continue;
      TypeFamily wanted = family_of(signature.arguments[i]);
      if (arg.family == wanted) continue;
      std::string wanted_text(family_description(wanted));
      error("check.function-argument", call.args[i]->span,
            "the " + std::string(ordinal(i)) + " argument of `" + std::string(signature.name) + "` must be " +
                wanted_text + ", " + but(arg));
    }
  }

  // ---- comparisons ----------------------------------------------------------------------

  static bool compatible(const ValueType& a, const ValueType& b) {
    if (a.family == b.family) return true;
    auto date_with = [](const ValueType& date, const ValueType& other) {
      return date.family == TypeFamily::Date &&
             (other.family == TypeFamily::String || other.family == TypeFamily::Number);
    };
    auto ip_with = [](const ValueType& ip, const ValueType& other) {
      // an ip field compares with an address written as a string
      return ip.family == TypeFamily::Ip && other.family == TypeFamily::String && other.kind == ValueType::Kind::Literal;
    };
    return date_with(a, b) || date_with(b, a) || ip_with(a, b) || ip_with(b, a);
  }

  void check_comparable(const ValueType& left, const ValueType& right) {
    if (endpoint()) {
      // The endpoint compares field with field, and a keyword holding digits with a number
      // (`user.id == 0`), converting as it compares.
      if (!left.known() || !right.known() || compatible(left, right)) return;
      auto number_and_string = [](const ValueType& a, const ValueType& b) {
        return a.family == TypeFamily::Number && b.family == TypeFamily::String;
      };
      if (number_and_string(left, right) || number_and_string(right, left)) return;
    }
    if (left.kind == ValueType::Kind::Field && right.kind == ValueType::Kind::Field) {
      error("check.field-comparison", right.expr->span,
            "Elasticsearch EQL cannot compare two fields (`" + left.expr->as<ast::Field>()->name + "` with `" +
                right.expr->as<ast::Field>()->name + "`): the right side must be a constant",
            "compare each field with a constant, or join on both with `sequence by`");
      return;
    }
    if (!left.known() || !right.known()) return;
    if (compatible(left, right)) {
      check_ip_literal(left, right);
      check_ip_literal(right, left);
      return;
    }
    // Point at the literal: that is the token to change.
    const ValueType& subject = right.kind == ValueType::Kind::Literal ? left : right;
    const ValueType& object = right.kind == ValueType::Kind::Literal ? right : left;
    std::string hint;
    if (subject.family == TypeFamily::Number && object.family == TypeFamily::String) hint = "write the number without quotes";
    else if (subject.family == TypeFamily::String && object.family == TypeFamily::Number) hint = "quote the value: string fields compare with strings";
    else if (subject.family == TypeFamily::Boolean) hint = "write true or false without quotes";
    error("check.type-mismatch", object.expr->span,
          describe(subject, true) + " and cannot be compared with " + describe(object, false), hint);
  }

  /// `process.name == "*.exe"` compares with a literal `*`: almost always meant as `:`.
  void warn_literal_wildcard(const ValueType& value, const Expr& literal, const char* op) {
    const auto* text = literal.as<ast::StringLiteral>();
    if (!text || value.family != TypeFamily::String || text->value.find('*') == std::string::npos) return;
    report(Severity::Warning, "check.literal-wildcard", literal.span,
           std::string("`") + op + "` compares exactly, so the `*` in \"" + shorten(text->value) +
               "\" is a literal star, not a wildcard",
           "use `:` or `like` to match a pattern");
  }

  void check_ip_literal(const ValueType& ip, const ValueType& text) {
    if (ip.family != TypeFamily::Ip || text.kind != ValueType::Kind::Literal) return;
    const auto* literal = text.expr->as<ast::StringLiteral>();
    if (!literal) return;
    std::string problem = cidr_error(literal->value);
    if (problem.empty()) return;
    error("check.invalid-ip", text.expr->span,
          describe(ip, true) + ", and \"" + shorten(literal->value) + "\" is not an address: " + problem,
          "use `:` or `like` on a keyword field for text patterns, cidrMatch() for ranges");
  }

  // ---- unknown names --------------------------------------------------------------------

  static bool in_namespace(const std::string& name, const std::string& package) {
    auto under = [&](std::string_view prefix) {
      return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 && name[prefix.size()] == '.';
    };
    // fortinet_fortigate writes `fortinet.*`: the part before the first `_` counts too
    return under(package) || under(std::string_view(package).substr(0, package.find('_')));
  }

  void report_unknown_field(const Expr& expr, const std::string& name) {
    unknown_fields.push_back(&expr);
    std::string field_set = name.substr(0, name.find('.'));
    bool in_ecs_set = ecs_field_sets().count(field_set) > 0;
    Suggestions suggestions = suggest_fields(name);
    for (const auto& package : schema_.packages) {
      if (!package.has_schema() && !in_ecs_set && in_namespace(name, package.name)) {
        report(Severity::Warning, "check.unchecked-package-field", expr.span,
               "field `" + name + "` cannot be checked: the integration package `" + package.name +
                   "` has no embedded schema",
               "add the package's fields with --schema FILE to check them");
        return;
      }
    }
    // A field of a newer package version than the embedded copy. A near miss of a known
    // field is a typo, not a new field: that stays an error.
    if (!suggestions.close) {
      for (const auto& package : schema_.packages) {
        if (!package.stale()) continue;
        bool defend_extension = package.name == "endpoint" && name.find(".Ext.") != std::string::npos;
        if ((!in_ecs_set && in_namespace(name, package.name)) || defend_extension) {
          report(Severity::Warning, "check.newer-package-field", expr.span,
                 "field `" + name + "` is not in the embedded schema of the integration package `" + package.name +
                     "` (version " + package.embedded_version + "; the package is now at " +
                     package.latest_version + "), so it cannot be checked",
                 "if the field is new, add it with --schema FILE; if not, check its spelling");
          return;
        }
      }
    }
    if (endpoint() && !suggestions.close) {
      // Defend's events carry fields its published package does not describe; a field far
      // from every known one is taken as such, a near miss stays a typo (an error).
      report(Severity::Warning, "check.unpublished-field", expr.span,
             "field `" + name + "` is in no published schema (ECS, Elastic Defend's endpoint "
             "package), so it cannot be checked",
             "if the field is real, describe it with --schema FILE; if not, check its spelling");
      return;
    }
    std::string message = "unknown field `" + name + "`";
    if (!category_.empty()) message += " for " + category_ + " events";
    if (!suggestions.names.empty()) message += "; did you mean `" + suggestions.names.front() + "`?";
    std::string hint;  // a single suggestion says it all
    if (suggestions.names.size() > 1) {
      hint = "other fields with a similar name:";
      for (std::size_t i = 1; i < suggestions.names.size(); ++i) {
        hint += (i == 1 ? " `" : ", `") + suggestions.names[i] + "`";
      }
    } else if (suggestions.names.empty()) {
      hint = "write `?" + name + "` if the field may be absent from the schema";
    }
    error("check.unknown-field", expr.span, message, hint);
  }

  struct Suggestions {
    std::vector<std::string> names;
    bool close = false;  ///< some name is within a few edits
  };

  /// Close spellings first (edit distance; ties go to the earlier table, ECS before
  /// integrations), then the same path in other field sets (`file.pid` -> `process.pid`),
  /// then, when nothing is close, the same leaf deeper in the same field set
  /// (`process.sha256` -> `process.hash.sha256`).
  Suggestions suggest_fields(const std::string& name) const {
    static thread_local check_internal::SuggestionMemo<Suggestions> memo;
    return memo.get(schema_.tables(), name, options_.max_suggestions, [&] { return compute_suggestions(name); });
  }

  Suggestions compute_suggestions(const std::string& name) const {
    std::size_t limit = std::clamp<std::size_t>(name.size() / 6, 1, 3);
    std::vector<std::tuple<std::size_t, std::size_t, std::string>> close;  // distance, table, name
    std::vector<std::string> same_tail, same_leaf;
    std::size_t first_dot = name.find('.');
    std::size_t last_dot = name.rfind('.');
    std::string tail = first_dot == std::string::npos ? std::string() : name.substr(first_dot);
    std::string head = first_dot == std::string::npos ? std::string() : name.substr(0, first_dot + 1);
    std::string leaf = last_dot == std::string::npos ? std::string() : name.substr(last_dot);
    auto ends_with = [](const std::string& text, const std::string& end) {
      return text.size() > end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
    };
    std::unordered_set<std::string_view> seen;
    for (std::size_t rank = 0; rank < schema_.tables().size(); ++rank) {
      for (const auto& [candidate, info] : schema_.tables()[rank]->fields) {
        if (!seen.insert(candidate).second) continue;
        TypeFamily family = type_family(info.type);
        if (family == TypeFamily::Container || family == TypeFamily::Text) continue;
        std::size_t distance = edit_distance(name, candidate, limit);
        if (distance <= limit) close.emplace_back(distance, rank, candidate);
        if (!tail.empty() && ends_with(candidate, tail) && candidate.find('.') == candidate.size() - tail.size()) {
          same_tail.push_back(candidate);
        } else if (!leaf.empty() && !head.empty() && candidate.compare(0, head.size(), head) == 0 &&
                   ends_with(candidate, leaf)) {
          same_leaf.push_back(candidate);
        }
      }
    }
    std::sort(close.begin(), close.end());
    std::sort(same_tail.begin(), same_tail.end());
    std::sort(same_leaf.begin(), same_leaf.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;  // the shallowest first
    });
    Suggestions result;
    result.close = !close.empty();
    auto add = [&](const std::string& candidate) {
      if (result.names.size() < options_.max_suggestions &&
          std::find(result.names.begin(), result.names.end(), candidate) == result.names.end()) {
        result.names.push_back(candidate);
      }
    };
    for (const auto& entry : close) add(std::get<2>(entry));
    for (const auto& candidate : same_tail) add(candidate);
    if (close.empty()) {
      for (const auto& candidate : same_leaf) add(candidate);  // broad: only without a near miss
    }
    return result;
  }

  void report_unknown_function(const ast::Call& call, const std::string& shown) {
    static constexpr std::string_view kNames[] = {"add", "between", "cidrMatch", "concat", "divide", "endsWith",
                                                  "indexOf", "length", "modulo", "multiply", "number", "startsWith",
                                                  "string", "stringContains", "substring", "subtract"};
    std::string lowered;
    for (char c : shown) lowered += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    std::string best;
    std::size_t best_distance = 4;
    for (std::string_view candidate : kNames) {
      std::string lower_candidate;
      for (char c : candidate) lower_candidate += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      std::size_t distance = edit_distance(lowered, lower_candidate, 3);
      if (distance < best_distance) {
        best_distance = distance;
        best = std::string(candidate);
      }
    }
    std::string message = "unknown function `" + shown + "`";
    if (!best.empty()) message += "; did you mean `" + best + "`?";
    error("check.unknown-function", call.name_span, message,
          "Elasticsearch EQL functions: add, between, cidrMatch, concat, divide, endsWith, indexOf, length, "
          "modulo, multiply, number, startsWith, string, stringContains, substring, subtract");
  }

  bool endpoint() const { return options_.dialect == Dialect::Endpoint; }

  const Schema& schema_;
  const CheckOptions& options_;
  Diagnostics out_;
  std::string category_;
  /// The `$variables` of the enclosing _arraysearch calls and the array field each ranges
  /// over (empty when that is not a known field).
  std::vector<std::pair<std::string, std::string>> bindings_;
};

void collect_datasets(const Expr& expr, std::vector<std::string>& out) {
  auto is_dataset_field = [](const Expr& e) {
    const auto* field = e.as<ast::Field>();
    return field && (field->name == "event.dataset" || field->name == "data_stream.dataset" ||
                     field->name == "event.module");
  };
  auto add = [&](const std::string& value) {
    if (!value.empty() && std::find(out.begin(), out.end(), value) == out.end()) out.push_back(value);
  };
  if (const auto* compare = expr.as<ast::Compare>()) {
    if (compare->op == ast::CompareOp::Eq) {
      if (is_dataset_field(*compare->left)) {
        if (const auto* s = compare->right->as<ast::StringLiteral>()) add(s->value);
      } else if (is_dataset_field(*compare->right)) {
        if (const auto* s = compare->left->as<ast::StringLiteral>()) add(s->value);
      }
    }
  } else if (const auto* in = expr.as<ast::In>()) {
    if (!in->negated && is_dataset_field(*in->value)) {
      for (const auto& candidate : in->candidates) {
        if (const auto* s = candidate->as<ast::StringLiteral>()) add(s->value);
      }
    }
  } else if (const auto* match = expr.as<ast::Match>()) {
    if (match->op != ast::MatchOp::Regex && is_dataset_field(*match->value)) {
      for (const auto& pattern : match->patterns) {
        if (pattern.value.find_first_of("*?") == std::string::npos) add(pattern.value);
      }
    }
  } else if (const auto* logical = expr.as<ast::Logical>()) {
    for (const auto& operand : logical->operands) collect_datasets(*operand, out);
  }
  // under `not` a dataset literal names what the rule excludes: not a target
}

void collect_filter_datasets(const ast::EventFilter& filter, std::vector<std::string>& out) {
  if (filter.condition) collect_datasets(*filter.condition, out);
}

}  // namespace

Diagnostics check_query(const ast::Query& query, const Schema& schema, const CheckOptions& options) {
  Checker checker(schema, options);
  Diagnostics diagnostics = checker.run(query);
  if (schema.endgame_only && options.endgame != EndgameCheck::Off) {
    Checker endgame(*schema.endgame_only, options);
    endgame.run(query);
    std::set<std::string, std::less<>> reported;
    std::set<const Expr*> already(checker.unknown_fields.begin(), checker.unknown_fields.end());
    Severity severity = options.endgame == EndgameCheck::Error     ? Severity::Error
                        : options.endgame == EndgameCheck::Warning ? Severity::Warning
                                                                   : Severity::Note;
    for (const Expr* expr : endgame.unknown_fields) {
      if (already.count(expr)) continue;
      const std::string& name = expr->as<ast::Field>()->name;
      if (!reported.insert(name).second) continue;
      diagnostics.push_back({severity, "check.endgame-unknown-field",
                             "`" + name + "` is not in the endgame mapping, and this rule also searches `endgame-*`",
                             expr->span,
                             "detection-rules checks such rules against the endgame mapping alone; write `?" + name +
                                 "` if endgame events need not carry it"});
    }
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) { return a.span.begin < b.span.begin; });
  }
  return diagnostics;
}

std::vector<std::string> query_datasets(const ast::Query& query) {
  std::vector<std::string> out;
  if (const auto* event = query.event()) {
    collect_filter_datasets(*event, out);
  } else if (const auto* sequence = query.sequence()) {
    for (const auto& term : sequence->terms) collect_filter_datasets(term.filter, out);
  } else if (const auto* sample = query.sample()) {
    for (const auto& term : sample->terms) collect_filter_datasets(term.filter, out);
  }
  return out;
}

bool holds_for_any_data(const Diagnostic& finding) {
  return finding.severity == Severity::Error &&
         (finding.code == "check.function-arity" || finding.code == "check.invalid-regex" ||
          finding.code == "check.invalid-cidr");
}

bool settle_adhoc_findings(Diagnostics& findings, bool refuse_errors) {
  for (Diagnostic& d : findings) {
    if (!refuse_errors && d.severity == Severity::Error && !holds_for_any_data(d)) d.severity = Severity::Warning;
  }
  return !has_errors(findings);
}

}  // namespace eql
