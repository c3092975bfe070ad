// AST -> Program: fields resolved through the FieldTypes once, patterns and regexes
// compiled, constants folded, Elasticsearch's normalisations applied (`!=` is `not ==`,
// `not in` is `not (in)`, `x == null` tests for no value).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <utility>
#include <mutex>
#include <set>

#include "eval/program.h"
#include "eval/regex.h"

namespace eql {

namespace detail {
namespace {

class Compiler {
 public:
  // `variable`: compiling the condition of an _arraysearch that binds `$variable` (over one
  // element's fields); empty at the top.
  // `event_types`: there, the types of the event's own fields.
  explicit Compiler(const FilterOptions& options, std::string_view variable = {},
                    const FieldTypes* event_types = nullptr)
      : options_(options),
        types_(options.field_types ? *options.field_types : json_types_),
        variable_(variable),
        event_types_(event_types ? *event_types : types_) {}

  Program program;
  Diagnostics diagnostics;

  std::uint32_t compile_filter(const ast::EventFilter& filter, const std::string& category_field) {
    std::uint32_t condition = filter.condition ? boolean(*filter.condition) : add_bool({BoolOp::True, {}, 0});
    if (filter.any) return condition;
    std::uint32_t category = leaf([&] {
      Node eq;
      eq.op = Op::Eq;
      eq.args = {field(category_field, false, filter.category_span), constant(Value::of_string(filter.category))};
      return finish_comparison(std::move(eq));
    });
    program.bools[category].category = true;
    program.bools[category].span = filter.category_span;
    return simplify(add_bool({BoolOp::And, {category, condition}, 0}));
  }

  // The boolean layer of `expr`, its node marked with the text it came from (unless a
  // simplification gave a node that already has text of its own, or a shared constant).
  std::uint32_t boolean(const ast::Expr& expr) {
    const std::uint32_t index = boolean_node(expr);
    BoolNode& node = program.bools[index];
    if (node.span == Span{}) node.span = expr.span;
    return index;
  }

  std::uint32_t boolean_node(const ast::Expr& expr) {
    if (const auto* logical = expr.as<ast::Logical>()) {
      BoolNode node{logical->op == ast::LogicOp::And ? BoolOp::And : BoolOp::Or, {}, 0};
      for (const auto& operand : logical->operands) node.children.push_back(boolean(*operand));
      return simplify(add_bool(std::move(node)));
    }
    if (const auto* negation = expr.as<ast::Not>()) {
      return simplify(add_bool({BoolOp::Not, {boolean(*negation->operand)}, 0}));
    }
    if (const auto* literal = expr.as<ast::BoolLiteral>()) {
      return add_bool({literal->value ? BoolOp::True : BoolOp::False, {}, 0});
    }
    if (expr.as<ast::NullLiteral>()) return add_bool({BoolOp::False, {}, 0});
    if (const auto* compare = expr.as<ast::Compare>(); compare && compare->op == ast::CompareOp::NotEq &&
                                                       !compare->left->as<ast::NullLiteral>() &&
                                                       !compare->right->as<ast::NullLiteral>()) {
      // `a != b` is `not (a == b)`. (`e != null` stays a leaf "some value of e is not
      // null", as Elasticsearch's IsNotNull runs per value; for a plain field that is
      // exactly `not (f == null)`.)
      std::uint32_t positive = leaf([&] { return comparison(ast::CompareOp::Eq, *compare->left, *compare->right); });
      return simplify(add_bool({BoolOp::Not, {positive}, 0}));
    }
    if (const auto* in = expr.as<ast::In>(); in && in->negated) {
      std::uint32_t positive = leaf([&] { return membership(*in); });
      return simplify(add_bool({BoolOp::Not, {positive}, 0}));
    }
    return leaf([&] { return scalar(expr); });
  }

  std::uint32_t scalar(const ast::Expr& expr) {
    return std::visit([&](const auto& node) { return scalar_node(node, expr); }, expr.node);
  }

 private:
  // ---- boolean layer ----

  std::uint32_t add_bool(BoolNode node) {
    program.bools.push_back(std::move(node));
    return static_cast<std::uint32_t>(program.bools.size() - 1);
  }

  template <typename Build>
  std::uint32_t leaf(Build build) {
    std::vector<std::uint32_t> slots;
    std::vector<std::uint32_t>* outer = leaf_slots_;
    leaf_slots_ = &slots;
    const bool outer_cross = std::exchange(leaf_cross_, false);
    std::uint32_t root = build();
    leaf_slots_ = outer;
    const bool searches_aliased = std::exchange(leaf_cross_, outer_cross);
    const Node& node = program.nodes[root];
    if (node.op == Op::Constant) {
      return add_bool({counts_as_match(node.constant) ? BoolOp::True : BoolOp::False, {}, 0});
    }
    program.max_leaf_slots = std::max(program.max_leaf_slots, slots.size());
    const bool cross = searches_aliased || std::any_of(slots.begin(), slots.end(), [&](std::uint32_t s) { return program.slots[s].alias >= 0; });
    program.leaves.push_back(Leaf{root, std::move(slots)});
    program.leaves.back().cross = cross;
    return add_bool({BoolOp::Leaf, {}, static_cast<std::uint32_t>(program.leaves.size() - 1)});
  }

  std::uint32_t simplify(std::uint32_t index) {
    BoolNode node = program.bools[index];
    auto is = [&](std::uint32_t i, BoolOp op) { return program.bools[i].op == op; };
    switch (node.op) {
      case BoolOp::Not:
        if (is(node.children[0], BoolOp::True)) return add_bool({BoolOp::False, {}, 0});
        if (is(node.children[0], BoolOp::False)) return add_bool({BoolOp::True, {}, 0});
        return index;
      case BoolOp::And:
      case BoolOp::Or: {
        BoolOp absorbing = node.op == BoolOp::And ? BoolOp::False : BoolOp::True;
        BoolOp neutral = node.op == BoolOp::And ? BoolOp::True : BoolOp::False;
        std::vector<std::uint32_t> kept;
        for (auto child : node.children) {
          if (is(child, absorbing)) return add_bool({absorbing, {}, 0});
          if (is(child, neutral)) continue;
          // Flatten nested chains of the same operator.
          if (is(child, node.op)) {
            for (auto grandchild : program.bools[child].children) kept.push_back(grandchild);
          } else {
            kept.push_back(child);
          }
        }
        if (kept.empty()) return add_bool({neutral, {}, 0});
        if (kept.size() == 1) return kept[0];
        program.bools[index].children = std::move(kept);
        return index;
      }
      default: return index;
    }
  }

  // ---- scalar layer ----

  std::uint32_t add(Node node) {
    program.nodes.push_back(std::move(node));
    return static_cast<std::uint32_t>(program.nodes.size() - 1);
  }

  std::uint32_t constant(Value value) {
    if (value.kind == ValueKind::String) {
      program.strings.emplace_back(value.string);
      value.string = program.strings.back();
    }
    Node node;
    node.op = Op::Constant;
    node.constant = value;
    return add(std::move(node));
  }

  bool is_constant(std::uint32_t index) const { return program.nodes[index].op == Op::Constant; }

  // Evaluates a node whose arguments are all constants now, once.
  std::uint32_t fold(std::uint32_t index) {
    const Node& node = program.nodes[index];
    if (node.op == Op::Constant || node.op == Op::Slot) return index;
    if (!std::all_of(node.args.begin(), node.args.end(), [&](std::uint32_t a) { return is_constant(a); }))
      return index;
    EvalContext context;
    Value value = evaluate_node(program, index, context.scratch());
    return constant(value);  // copies a string result out of the scratch arena
  }

  // `of_event`: in a search's condition, a field of the event rather than of the element.
  // `alias`: a field of that aliased stage's event (endpoint dialect).
  std::uint32_t field(const std::string& name, bool optional, Span span, bool of_event = false,
                      const std::string& alias = {}) {
    auto info = (of_event ? event_types_ : types_).lookup(name);
    if (!info) {
      if (types_.closed()) {
        if (!optional) {
          // Elasticsearch refuses the query ("Unknown column"); `?name` is the way to ask
          // for a field that may not exist.
          diagnostics.push_back({Severity::Error, "eval.unknown-field",
                                 "unknown field '" + name + "'", span,
                                 "write ?" + name + " for a field that may not exist"});
        }
        return constant(Value::null());  // `?field` unknown to the schema is the literal null
      }
      info = FieldInfo{FieldType::Unknown, name, std::nullopt, {}};
    }
    Slot slot;
    slot.of_event = of_event;
    if (!alias.empty()) {
      auto known = std::find(program.aliases.begin(), program.aliases.end(), alias);
      slot.alias = static_cast<std::int32_t>(known - program.aliases.begin());
      if (known == program.aliases.end()) program.aliases.push_back(alias);
    }
    slot.name = name;
    slot.path = info->path.empty() ? name : info->path;
    slot.type = info->type;
    if (info->null_value) {
      slot.has_null_value = true;
      bool numeric = info->type == FieldType::Integer || info->type == FieldType::Float;
      auto number = numeric ? parse_number(*info->null_value) : std::nullopt;
      if (number) {
        slot.null_value = *number;
      } else if (info->type == FieldType::Boolean && (*info->null_value == "true" || *info->null_value == "false")) {
        slot.null_value = Value::of_bool(*info->null_value == "true");
      } else {
        program.strings.push_back(*info->null_value);
        slot.null_value = Value::of_string(program.strings.back());
      }
    }
    slot_field_types_.push_back(*info);
    program.slots.push_back(std::move(slot));
    auto slot_index = static_cast<std::uint32_t>(program.slots.size() - 1);
    if (leaf_slots_) leaf_slots_->push_back(slot_index);
    Node node;
    node.op = Op::Slot;
    node.slot = slot_index;
    return add(std::move(node));
  }

  // The domain of a comparison follows the type of a field operand.
  void choose_domain(Node& node) {
    for (auto arg : node.args) {
      const Node& operand = program.nodes[arg];
      if (operand.op != Op::Slot) continue;
      const FieldInfo& info = slot_field_types_[operand.slot];
      switch (info.type) {
        case FieldType::Date:
        case FieldType::DateNanos:
          node.domain = Domain::Date;
          node.date_format = info.date_format;
          return;
        case FieldType::Ip: node.domain = Domain::Ip; return;
        case FieldType::Version: node.domain = Domain::Version; return;
        default: break;
      }
    }
  }

  // `operands[i]` is the AST of node.args[i] (for positions in diagnostics).
  std::uint32_t finish_comparison(Node node, const std::vector<const ast::Expr*>& operands = {}) {
    choose_domain(node);
    // A literal that cannot be read in the field's type is a mistake in the query (Elasticsearch
    // refuses it too), not a comparison that silently never matches.
    for (std::size_t i = 0; i < node.args.size() && i < operands.size(); ++i) {
      const Node& operand = program.nodes[node.args[i]];
      if (operand.op != Op::Constant || operand.constant.kind != ValueKind::String) continue;
      std::string_view text = operand.constant.string;
      if (node.domain == Domain::Date && !date_of(operand.constant, {})) {
        diagnostics.push_back({Severity::Error, "eval.bad-date",
                               "'" + std::string(text) + "' is not a date (ISO 8601 such as 2024-01-31T14:23:00Z, or epoch milliseconds)",
                               operands[i]->span, {}});
      } else if (node.domain == Domain::Ip && !parse_ip(text)) {
        diagnostics.push_back({Severity::Error, "eval.bad-ip", "'" + std::string(text) + "' is not an IP address",
                               operands[i]->span, {}});
      }
    }
    return fold(add(std::move(node)));
  }

  bool is_null_constant(std::uint32_t index) const {
    return is_constant(index) && program.nodes[index].constant.is_null();
  }

  std::uint32_t comparison(ast::CompareOp op, const ast::Expr& left, const ast::Expr& right) {
    // Operands first: a `?field` unknown to the schema has become the literal null here,
    // so `?x == ?y` is `null == null`, which is true (test_extra, test_sample).
    std::uint32_t left_node = scalar(left);
    std::uint32_t right_node = scalar(right);
    bool left_null = is_null_constant(left_node);
    bool right_null = is_null_constant(right_node);
    if ((left_null || right_null) && (op == ast::CompareOp::Eq || op == ast::CompareOp::NotEq)) {
      // `x == null`: x has no value. (`null == null` is true.)
      Node is_null;
      is_null.op = Op::IsNull;
      is_null.args = {left_null ? right_node : left_node};
      std::uint32_t test = fold(add(std::move(is_null)));
      if (op == ast::CompareOp::Eq) return test;
      Node negation;
      negation.op = Op::Not;
      negation.args = {test};
      return fold(add(std::move(negation)));
    }
    Node node;
    switch (op) {
      case ast::CompareOp::Eq: node.op = Op::Eq; break;
      case ast::CompareOp::NotEq: node.op = Op::NotEq; break;
      case ast::CompareOp::Less: node.op = Op::Less; break;
      case ast::CompareOp::LessEq: node.op = Op::LessEq; break;
      case ast::CompareOp::Greater: node.op = Op::Greater; break;
      case ast::CompareOp::GreaterEq: node.op = Op::GreaterEq; break;
    }
    node.args = {left_node, right_node};
    return finish_comparison(std::move(node), {&left, &right});
  }

  std::uint32_t membership(const ast::In& in) {
    Node node;
    node.op = Op::In;
    node.case_insensitive = in.case_insensitive;
    node.args.push_back(scalar(*in.value));
    std::vector<const ast::Expr*> operands{in.value.get()};
    for (const auto& candidate : in.candidates) {
      node.args.push_back(scalar(*candidate));
      operands.push_back(candidate.get());
    }
    return finish_comparison(std::move(node), operands);
  }

  std::uint32_t scalar_node(const ast::NullLiteral&, const ast::Expr&) { return constant(Value::null()); }
  std::uint32_t scalar_node(const ast::BoolLiteral& literal, const ast::Expr&) {
    return constant(Value::of_bool(literal.value));
  }
  std::uint32_t scalar_node(const ast::IntLiteral& literal, const ast::Expr&) {
    return constant(Value::of_int(literal.value));
  }
  std::uint32_t scalar_node(const ast::DecimalLiteral& literal, const ast::Expr&) {
    return constant(Value::of_double(literal.value));
  }
  std::uint32_t scalar_node(const ast::StringLiteral& literal, const ast::Expr&) {
    return constant(Value::of_string(literal.value));
  }
  std::uint32_t scalar_node(const ast::Field& f, const ast::Expr& expr) {
    if (!f.event_alias.empty()) {
      // Judged against the events of the partial sequence the sequence matcher holds
      // (docs/endpoint.md); an _arraysearch's element condition is evaluated apart from it.
      // In a search's condition it is read like the event's own fields (typed by the
      // event's schema, not the element's).
      return field(f.name, f.optional, expr.span, !variable_.empty(), f.event_alias);
    }
    if (f.variable.empty() && variable_.empty()) return field(f.name, f.optional, expr.span);
    // In a search's condition (array_search.cpp) `$entry.x` is the element's `x`, and a
    // field without `$` the event's. An enclosing search's element is not at hand.
    if (f.variable.empty()) return field(f.name, f.optional, expr.span, true);
    if (f.variable == variable_ && !f.name.empty()) return field(f.name, f.optional, expr.span);
    not_evaluated(f.variable != variable_ ? "`$" + f.variable + "` of an enclosing _arraysearch"
                                          : "`$" + f.variable + "` alone (not one of its fields)",
                  expr.span);
    return constant(Value::null());
  }
  // `descendant of [process where ...]`: the inner query is compiled as a filter of its
  // own and registered with the lineage source, which judges each process's start event
  // by it; the leaf asks the source about the event's process (docs/lineage.md).
  std::uint32_t scalar_node(const ast::Lineage& lineage, const ast::Expr& expr) {
    if (!variable_.empty()) {
      not_evaluated(std::string("`") + ast::lineage_relation_name(lineage.relation) +
                        " of [...]` inside _arraysearch's condition",
                    expr.span);
      return constant(Value::null());
    }
    if (options_.lineage == nullptr) {
      diagnostics.push_back({Severity::Error, "eval.lineage-unavailable",
                             std::string("`") + ast::lineage_relation_name(lineage.relation) +
                                 " of [...]` needs the process tree that `eql run` keeps; it cannot be "
                                 "evaluated here",
                             expr.span, {}});
      return constant(Value::null());
    }
    FilterCompileResult inner = eql::compile_filter(lineage.filter, options_);
    for (auto& d : inner.diagnostics) diagnostics.push_back(std::move(d));
    if (!inner.program) return constant(Value::null());
    Node node;
    node.op = Op::Lineage;
    node.lineage = options_.lineage;
    node.relation = lineage.relation == ast::LineageRelation::Child   ? LineageSource::Relation::Child
                    : lineage.relation == ast::LineageRelation::Event ? LineageSource::Relation::Event
                                                                      : LineageSource::Relation::Descendant;
    node.lineage_condition = options_.lineage->add_condition(std::move(*inner.program));
    return add(std::move(node));
  }
  // Endpoint-dialect constructs the evaluator does not run (yet): refused at compile time,
  // so a rule never silently evaluates to no match.
  void not_evaluated(const std::string& what, Span span, std::string hint = {}) {
    diagnostics.push_back({Severity::Error, "eval.endpoint-unsupported",
                           what + " (endpoint dialect) is not evaluated yet", span, std::move(hint)});
  }
  std::uint32_t scalar_node(const ast::Not& negation, const ast::Expr&) {
    Node node;
    node.op = Op::Not;
    node.args = {scalar(*negation.operand)};
    return fold(add(std::move(node)));
  }
  std::uint32_t scalar_node(const ast::Logical& logical, const ast::Expr&) {
    Node node;
    node.op = logical.op == ast::LogicOp::And ? Op::And : Op::Or;
    for (const auto& operand : logical.operands) node.args.push_back(scalar(*operand));
    return fold(add(std::move(node)));
  }
  std::uint32_t scalar_node(const ast::Compare& compare, const ast::Expr&) {
    return comparison(compare.op, *compare.left, *compare.right);
  }
  std::uint32_t scalar_node(const ast::Arith& arith, const ast::Expr&) {
    Node node;
    switch (arith.op) {
      case ast::ArithOp::Add: node.op = Op::Add; break;
      case ast::ArithOp::Sub: node.op = Op::Sub; break;
      case ast::ArithOp::Mul: node.op = Op::Mul; break;
      case ast::ArithOp::Div: node.op = Op::Div; break;
      case ast::ArithOp::Mod: node.op = Op::Mod; break;
    }
    node.args = {scalar(*arith.left), scalar(*arith.right)};
    return fold(add(std::move(node)));
  }
  std::uint32_t scalar_node(const ast::Negate& negate, const ast::Expr&) {
    Node node;
    node.op = Op::Negate;
    node.args = {scalar(*negate.operand)};
    return fold(add(std::move(node)));
  }
  std::uint32_t scalar_node(const ast::In& in, const ast::Expr&) {
    std::uint32_t positive = membership(in);
    if (!in.negated) return positive;
    Node node;
    node.op = Op::Not;
    node.args = {positive};
    return fold(add(std::move(node)));
  }
  std::uint32_t scalar_node(const ast::Match& match, const ast::Expr&) {
    Node node;
    node.op = Op::Match;
    node.args = {scalar(*match.value)};
    for (std::size_t i = 0; i < match.patterns.size(); ++i) {
      Span span = i < match.pattern_spans.size() ? match.pattern_spans[i] : Span{};
      auto matcher = compile_pattern(match.op, match.case_insensitive, match.patterns[i].value, span);
      if (matcher) node.matchers.push_back(std::move(*matcher));
    }
    return fold(add(std::move(node)));
  }
  std::uint32_t scalar_node(const ast::Call& call, const ast::Expr& expr) {
    if (call.name == "_arraysearch") {  // built by the parser in the endpoint dialect only
      auto search =
          compile_array_search(call, options_, types_, event_types_, variable_, diagnostics, program.aliases);
      if (!search) return constant(Value::null());
      if (!search->alias_map.empty()) leaf_cross_ = true;
      Node node;
      node.op = Op::ArraySearch;
      node.array_search = std::move(search);
      return add(std::move(node));
    }
    const FunctionSignature* spec = find_function(call.name);
    if (!spec) spec = find_function(call.written_name);
    if (!spec) {
      diagnostics.push_back({Severity::Error, "eval.unknown-function",
                             "unknown function '" + call.written_name + "'", call.name_span, {}});
      return constant(Value::null());
    }
    if (call.args.size() < spec->min_args || call.args.size() > spec->max_args) {
      std::string expected = arity_text(*spec);
      diagnostics.push_back({Severity::Error, "eval.function-arity",
                             std::string(spec->name) + " takes " + expected +
                                 (expected == "1" ? " argument, not " : " arguments, not ") +
                                 std::to_string(call.args.size()),
                             expr.span, {}});
      return constant(Value::null());
    }
    if (call.case_insensitive && !spec->accepts_tilde) {
      diagnostics.push_back({Severity::Error, "eval.function-tilde",
                             std::string(spec->name) + " has no case-insensitive form '~'", call.name_span, {}});
    }
    Node node;
    node.op = Op::Call;
    node.function = spec->function;
    node.case_insensitive = call.case_insensitive;
    node.args.push_back(scalar(*call.args[0]));

    if (spec->function == Function::CidrMatch) {
      for (std::size_t i = 1; i < call.args.size(); ++i) {
        const auto* literal = call.args[i]->as<ast::StringLiteral>();
        if (call.args[i]->as<ast::NullLiteral>()) return constant(Value::null());
        if (!literal) {
          node.args.push_back(scalar(*call.args[i]));
          continue;
        }
        auto block = parse_cidr(literal->value);
        if (!block) {
          diagnostics.push_back({Severity::Error, "eval.bad-cidr",
                                 "'" + literal->value + "' is not a CIDR block such as 10.0.0.0/8", call.args[i]->span, {}});
          continue;
        }
        node.cidrs.push_back(*block);
      }
      return fold(add(std::move(node)));
    }

    for (std::size_t i = 1; i < call.args.size(); ++i) node.args.push_back(scalar(*call.args[i]));

    // endsWith/stringContains on a plain field run as Lucene wildcard queries in
    // Elasticsearch: `*` and `?` in the substring are wildcards there.
    if ((spec->function == Function::EndsWith || spec->function == Function::StringContains) &&
        program.nodes[node.args[0]].op == Op::Slot && is_constant(node.args[1])) {
      const Value& sub = program.nodes[node.args[1]].constant;
      if (sub.kind == ValueKind::String &&
          sub.string.find_first_of("*?") != std::string_view::npos) {
        std::string pattern = "*" + std::string(sub.string);
        if (spec->function == Function::StringContains) pattern += "*";
        Node match;
        match.op = Op::Match;
        match.args = {node.args[0]};
        Matcher matcher;
        matcher.kind = Matcher::Kind::Wildcard;
        matcher.case_insensitive = call.case_insensitive;
        matcher.wildcard = text::Wildcard(pattern, call.case_insensitive);
        matcher.source = pattern;
        match.matchers.push_back(std::move(matcher));
        return add(std::move(match));
      }
    }
    return fold(add(std::move(node)));
  }

  std::optional<Matcher> compile_pattern(ast::MatchOp op, bool case_insensitive, const std::string& pattern,
                                         Span span) {
    Matcher matcher;
    matcher.case_insensitive = case_insensitive;
    matcher.source = pattern;
    if (op == ast::MatchOp::Regex) {
      regex::Translation translation = regex::translate_lucene(pattern);
      if (!translation.error.empty()) {
        diagnostics.push_back({Severity::Error, "eval.regex", "regular expression: " + translation.error, span, {}});
        return std::nullopt;
      }
      RE2::Options options;
      options.set_encoding(RE2::Options::EncodingUTF8);
      options.set_case_sensitive(!case_insensitive);
      options.set_log_errors(false);
      options.set_dot_nl(true);
      auto compiled = std::make_shared<RE2>(translation.re2, options);
      if (!compiled->ok()) {
        diagnostics.push_back({Severity::Error, "eval.regex",
                               "regular expression cannot be compiled: " + compiled->error(), span, {}});
        return std::nullopt;
      }
      matcher.kind = Matcher::Kind::Regex;
      matcher.regex = std::move(compiled);
      return matcher;
    }
    text::Wildcard wildcard(pattern, case_insensitive);
    if (wildcard.is_literal()) {
      matcher.kind = Matcher::Kind::Equal;
      matcher.literal = case_insensitive ? text::fold_case(pattern) : pattern;
      return matcher;
    }
    matcher.kind = Matcher::Kind::Wildcard;
    matcher.wildcard = std::move(wildcard);
    return matcher;
  }

  const FilterOptions& options_;  // outlives the compiler (compile_filter's argument)
  JsonFieldTypes json_types_;
  const FieldTypes& types_;
  std::vector<std::uint32_t>* leaf_slots_ = nullptr;
  bool leaf_cross_ = false;  // the leaf being built holds an _arraysearch reading aliased events
  std::vector<FieldInfo> slot_field_types_;
  std::string_view variable_;
  const FieldTypes& event_types_;
};

}  // namespace
}  // namespace detail

// ---- public API --------------------------------------------------------------------------

EvalContext::EvalContext() : scratch_(std::make_unique<Scratch>()) {}
EvalContext::~EvalContext() = default;

FilterProgram::FilterProgram(std::shared_ptr<const detail::Program> program) : program_(std::move(program)) {}

bool FilterProgram::matches(const Event& event, EvalContext& context) const {
  auto& scratch = context.scratch();
  if (scratch.slot_values.size() < program_->slots.size()) scratch.slot_values.resize(program_->slots.size());
  if (scratch.cursor.size() < program_->max_leaf_slots) scratch.cursor.resize(program_->max_leaf_slots);
  if (scratch.field_memo.size() < program_->field_id_end) scratch.field_memo.resize(program_->field_id_end);
  if (scratch.leaf_memo.size() < program_->memo_id_end) scratch.leaf_memo.resize(program_->memo_id_end);
  scratch.current_event = &event;
  scratch.current_serial = event.serial();
  return detail::evaluate_steps(*program_, 0, event, scratch.current_serial, scratch);
}

bool FilterProgram::matches_in_sequence(const Event& event, std::span<const Event* const> aliased,
                                        EvalContext& context) const {
  auto& scratch = context.scratch();
  struct Reset {
    EvalContext::Scratch& scratch;
    ~Reset() { scratch.aliased_events = {}; }
  } reset{scratch};
  scratch.aliased_events = aliased;
  return matches(event, context);
}

const std::vector<std::string>& FilterProgram::aliases() const { return program_->aliases; }

bool FilterProgram::trace(const Event& event, EvalContext& context, FilterTrace& trace) const {
  auto& scratch = context.scratch();
  trace.nodes.clear();
  scratch.trace = &trace;
  // Prepares the scratch space as matches() does; the leaf memo is not read when tracing.
  struct Reset {
    EvalContext::Scratch& scratch;
    ~Reset() { scratch.trace = nullptr; }
  } reset{scratch};
  if (scratch.slot_values.size() < program_->slots.size()) scratch.slot_values.resize(program_->slots.size());
  if (scratch.cursor.size() < program_->max_leaf_slots) scratch.cursor.resize(program_->max_leaf_slots);
  if (scratch.field_memo.size() < program_->field_id_end) scratch.field_memo.resize(program_->field_id_end);
  scratch.current_event = &event;
  scratch.current_serial = event.serial();
  return detail::trace_steps(*program_, 0, event, scratch.current_serial, scratch);
}

std::vector<std::string> FilterProgram::fields() const {
  std::set<std::string> unique;
  // An _arraysearch reads its array's elements from the event's text, whatever fields were
  // filed; the element fields it reads are named too (`array.x`), as columns and so that a
  // selection holds every field the program reads.
  auto collect = [&unique](const detail::Program& program, const std::string& prefix, const auto& self) -> void {
    for (const auto& slot : program.slots) unique.insert(slot.of_event ? slot.path : prefix + slot.path);
    for (const auto& node : program.nodes) {
      if (node.op != detail::Op::ArraySearch) continue;
      self(*node.array_search->condition, prefix + node.array_search->path + ".", self);
    }
  };
  collect(*program_, "", collect);
  return {unique.begin(), unique.end()};
}

std::string FilterProgram::describe() const {
  std::string out;
  detail::describe_bool(*program_, program_->root, out);
  return out;
}

std::vector<FilterProgram::LeafUse> FilterProgram::leaf_uses() const {
  std::vector<LeafUse> uses;
  for (const detail::Leaf& leaf : program_->leaves) {
    if (leaf.cross) continue;
    LeafUse use{leaf.memo_id, detail::describe_leaf(*program_, leaf), {}};
    for (std::uint32_t slot : leaf.slots) use.fields.push_back(program_->slots[slot].path);
    std::sort(use.fields.begin(), use.fields.end());
    use.fields.erase(std::unique(use.fields.begin(), use.fields.end()), use.fields.end());
    uses.push_back(std::move(use));
  }
  return uses;
}

std::optional<bool> FilterProgram::constant() const {
  switch (program_->bools[program_->root].op) {
    case detail::BoolOp::True: return true;
    case detail::BoolOp::False: return false;
    default: return std::nullopt;
  }
}

namespace {

// The program, its ids and steps filled in; nullptr when the compiler reported errors.
std::shared_ptr<const detail::Program> finish_program(detail::Compiler& compiler, std::uint32_t root) {
  if (has_errors(compiler.diagnostics)) return nullptr;
  compiler.program.root = root;
  detail::Program& program = compiler.program;
  for (detail::Slot& slot : program.slots) {
    slot.field_id = detail::intern_field_path(slot.path);
    program.field_id_end = std::max(program.field_id_end, slot.field_id + 1);
  }
  detail::index_long_lists(program);
  for (detail::Leaf& leaf : program.leaves) {
    leaf.memo_id = detail::intern_leaf(detail::leaf_key(program, leaf));
    program.memo_id_end = std::max(program.memo_id_end, leaf.memo_id + 1);
  }
  detail::build_steps(program);
  return std::make_shared<const detail::Program>(std::move(compiler.program));
}

FilterCompileResult finish(detail::Compiler& compiler, std::uint32_t root) {
  FilterCompileResult result;
  auto program = finish_program(compiler, root);
  result.diagnostics = std::move(compiler.diagnostics);
  if (program) result.program = FilterProgram(std::move(program));
  return result;
}
}  // namespace

FilterCompileResult compile_filter(const ast::EventFilter& filter, const FilterOptions& options) {
  detail::Compiler compiler(options);
  std::uint32_t root = compiler.compile_filter(filter, options.category_field);
  return finish(compiler, root);
}

namespace detail {

std::shared_ptr<const Program> compile_element_condition(const ast::Expr& condition, const FilterOptions& options,
                                                         const FieldTypes& event_types, std::string_view variable,
                                                         Diagnostics& diagnostics) {
  Compiler compiler(options, variable, &event_types);
  std::uint32_t root = compiler.boolean(condition);
  auto program = finish_program(compiler, root);
  for (auto& d : compiler.diagnostics) diagnostics.push_back(std::move(d));
  return program;
}

}  // namespace detail

FilterCompileResult compile_condition(const ast::Expr& condition, const FilterOptions& options) {
  detail::Compiler compiler(options);
  std::uint32_t root = compiler.boolean(condition);
  return finish(compiler, root);
}

std::optional<Value> evaluate_constant(const ast::Expr& expr, std::string& text_storage) {
  FilterOptions options;
  FieldTable no_fields(true);
  options.field_types = &no_fields;
  detail::Compiler compiler(options);
  std::uint32_t root = compiler.scalar(expr);
  if (has_errors(compiler.diagnostics)) return std::nullopt;
  const detail::Node& node = compiler.program.nodes[root];
  if (node.op != detail::Op::Constant) return std::nullopt;
  Value value = node.constant;
  if (value.kind == ValueKind::String) {
    text_storage.assign(value.string);
    value.string = text_storage;
  }
  return value;
}

}  // namespace eql
