// The null / missing / multi-valued truth table (docs/semantics.md): every operator, its
// negation and every function predicate over a missing field, null, [], [null], a
// multi-valued field with one matching element, one with none, and single values.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

#include "eval_builder.h"

using namespace eql;
using namespace eql::testing;

namespace {

// The shapes of field `x`: whether the positive predicate holds follows from whether some
// element of V(x) satisfies it.
struct Shape {
  const char* name;
  const char* json;
  bool has_match;  // some element satisfies the predicate
};

// For string predicates satisfied by "Alpha" and not by "beta"/"gamma".
const Shape kStringShapes[] = {
    {"missing", R"({"y":1})", false},
    {"null", R"({"x":null})", false},
    {"empty array", R"({"x":[]})", false},
    {"array of null", R"({"x":[null]})", false},
    {"single match", R"({"x":"Alpha"})", true},
    {"single miss", R"({"x":"beta"})", false},
    {"multi, one matches", R"({"x":["beta","Alpha",null]})", true},
    {"multi, none matches", R"({"x":["beta","gamma"]})", false},
    {"array of objects, one matches", R"({"x":[{"y":1}],"x.z":2})", false},
    {"dotted key, matches", R"({"a":1,"x":["gamma"],"x ":"Alpha"})", false},
};

// For numeric predicates satisfied by 7 and not by 1 or 2.
const Shape kNumberShapes[] = {
    {"missing", R"({"y":1})", false},
    {"null", R"({"x":null})", false},
    {"empty array", R"({"x":[]})", false},
    {"single match", R"({"x":7})", true},
    {"single miss", R"({"x":1})", false},
    {"multi, one matches", R"({"x":[1,7]})", true},
    {"multi, none matches", R"({"x":[1,2]})", false},
};

using Builder = std::function<ast::ExprPtr()>;

void check_table(const char* what, const Builder& positive, const Shape* shapes, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const Shape& shape = shapes[i];
    std::string operation = what, shape_name = shape.name;
    CAPTURE(operation);
    CAPTURE(shape_name);
    CHECK(matches(positive(), shape.json) == shape.has_match);
    // `not` is the event-level complement, also where the field has no value.
    CHECK(matches(not_(positive()), shape.json) == !shape.has_match);
  }
}

template <std::size_t N>
void string_table(const char* what, const Builder& positive, const Shape (&shapes)[N] = kStringShapes) {
  check_table(what, positive, shapes, N);
}
template <std::size_t N>
void number_table(const char* what, const Builder& positive, const Shape (&shapes)[N] = kNumberShapes) {
  check_table(what, positive, shapes, N);
}

}  // namespace

TEST_CASE("every string predicate is true when some value satisfies it; not is the complement") {
  string_table("==", [] { return eq(field("x"), str("Alpha")); }, kStringShapes);
  string_table("== reversed", [] { return eq(str("Alpha"), field("x")); }, kStringShapes);
  string_table("in", [] { return in(field("x"), list(str("zzz"), str("Alpha"))); }, kStringShapes);
  string_table("in~", [] { return in(field("x"), list(str("ALPHA")), false, true); }, kStringShapes);
  string_table(":", [] { return colon(field("x"), {"alp*"}); }, kStringShapes);
  string_table(": list", [] { return colon(field("x"), {"zz", "?LPHA"}); }, kStringShapes);
  string_table("like", [] { return like(field("x"), {"Al*a"}); }, kStringShapes);
  string_table("like~", [] { return like(field("x"), {"al*A"}, true); }, kStringShapes);
  string_table("regex", [] { return regex(field("x"), {"A[a-z]+"}); }, kStringShapes);
  string_table("regex~", [] { return regex(field("x"), {"al.*"}, true); }, kStringShapes);
  string_table("startsWith", [] { return call("startsWith", list(field("x"), str("Al"))); }, kStringShapes);
  string_table("startsWith~", [] { return call("startsWith", list(field("x"), str("aL")), true); }, kStringShapes);
  string_table("endsWith", [] { return call("endsWith", list(field("x"), str("pha"))); }, kStringShapes);
  string_table("endsWith~", [] { return call("endsWith", list(field("x"), str("PHA")), true); }, kStringShapes);
  string_table("stringContains", [] { return call("stringContains", list(field("x"), str("lph"))); }, kStringShapes);
  string_table("stringContains~", [] { return call("stringContains", list(field("x"), str("LPH")), true); }, kStringShapes);
  string_table("length", [] { return eq(call("length", list(call("between", list(field("x"), str("A"), str("a"))))), num(3)); }, kStringShapes);
  string_table("indexOf", [] { return eq(call("indexOf", list(field("x"), str("ph"))), num(2)); }, kStringShapes);
  string_table("indexOf != null", [] { return ne(call("indexOf", list(field("x"), str("ph"))), null_()); }, kStringShapes);
  string_table("between", [] { return eq(call("between", list(field("x"), str("A"), str("a"))), str("lph")); }, kStringShapes);
  string_table("substring", [] { return eq(call("substring", list(field("x"), num(0), num(2))), str("Al")); }, kStringShapes);
  string_table("concat", [] { return eq(call("concat", list(field("x"), str("!"))), str("Alpha!")); }, kStringShapes);
  string_table("string", [] { return eq(call("string", list(field("x"))), str("Alpha")); }, kStringShapes);
}

TEST_CASE("every numeric comparison and arithmetic predicate follows the same rule") {
  number_table("==", [] { return eq(field("x"), num(7)); }, kNumberShapes);
  number_table(">", [] { return gt(field("x"), num(5)); }, kNumberShapes);
  number_table(">=", [] { return ge(field("x"), num(7)); }, kNumberShapes);
  number_table("<", [] { return lt(num(5), field("x")); }, kNumberShapes);
  number_table("<=", [] { return le(num(7), field("x")); }, kNumberShapes);
  number_table("in", [] { return in(field("x"), list(num(7), num(70))); }, kNumberShapes);
  number_table("+", [] { return eq(arith(ast::ArithOp::Add, field("x"), num(1)), num(8)); }, kNumberShapes);
  number_table("add", [] { return eq(call("add", list(field("x"), num(1))), num(8)); }, kNumberShapes);
  number_table("multiply", [] { return eq(call("multiply", list(field("x"), num(2))), num(14)); }, kNumberShapes);
  number_table("modulo", [] { return eq(call("modulo", list(field("x"), num(4))), num(3)); }, kNumberShapes);
  number_table("string", [] { return eq(call("string", list(field("x"))), str("7")); }, kNumberShapes);
  number_table("number", [] { return eq(field("x"), call("number", list(str("7")))); }, kNumberShapes);
}

TEST_CASE("!= and not in are the negations of == and in, true where the field has no value") {
  for (const Shape& shape : kStringShapes) {
    std::string shape_name = shape.name;
    CAPTURE(shape_name);
    CHECK(matches(ne(field("x"), str("Alpha")), shape.json) == !shape.has_match);
    CHECK(matches(in(field("x"), list(str("Alpha"), str("q")), true), shape.json) == !shape.has_match);
    CHECK(matches(in(field("x"), list(str("ALPHA")), true, true), shape.json) == !shape.has_match);
  }
}

TEST_CASE("x == null tests for no value; x != null for some value") {
  const std::pair<const char*, bool> cases[] = {
      {R"({})", true},          {R"({"x":null})", true},      {R"({"x":[]})", true},
      {R"({"x":[null]})", true}, {R"({"x":"a"})", false},      {R"({"x":["a",null]})", false},
      {R"({"x":0})", false},     {R"({"x":false})", false},    {R"({"x":""})", false},
  };
  for (const auto& [json, no_value] : cases) {
    std::string event_json = json;
    CAPTURE(event_json);
    CHECK(matches(eq(field("x"), null_()), json) == no_value);
    CHECK(matches(eq(null_(), field("x")), json) == no_value);
    CHECK(matches(ne(field("x"), null_()), json) == !no_value);
    CHECK(matches(not_(eq(field("x"), null_())), json) == !no_value);
  }
}

TEST_CASE("two comparisons on one multi-valued field may be satisfied by different elements") {
  auto range = [] { return and_(gt(field("x"), num(100)), lt(field("x"), num(200))); };
  CHECK(matches(range(), R"({"x":[50, 300]})"));
  CHECK_FALSE(matches(range(), R"({"x":[50, 60]})"));
  // `not (x > 5)` is not `x <= 5`: an event without x matches the first only.
  CHECK(matches(not_(gt(field("x"), num(5))), R"({})"));
  CHECK_FALSE(matches(le(field("x"), num(5)), R"({})"));
  CHECK_FALSE(matches(not_(gt(field("x"), num(5))), R"({"x":[1, 9]})"));
}

TEST_CASE("each field occurrence in a leaf takes any one value, independently") {
  auto pair = [] { return eq(call("concat", list(field("a"), field("b"))), str("xy")); };
  CHECK(matches(pair(), R"({"a":["z","x"],"b":["q","y"]})"));
  CHECK_FALSE(matches(pair(), R"({"a":["z","x"],"b":["q","w"]})"));
  CHECK_FALSE(matches(pair(), R"({"a":["x"]})"));  // b missing: concat(x, null) is null
  // Two occurrences of the same field choose independently.
  CHECK(matches(eq(call("concat", list(field("x"), field("x"))), str("ab")), R"({"x":["a","b"]})"));
  // Values from nested objects and dotted keys are one list.
  CHECK(matches(eq(call("concat", list(field("p.n"), str("!"))), str("b!")), R"({"p":[{"n":"a"}],"p.n":"b"})"));
}

TEST_CASE("inside a leaf, logic is three-valued: null == (comparison) tests for a null result") {
  // Elasticsearch's exitCodeGteZero family: `null == (exit_code > -1)`.
  CHECK(matches(eq(null_(), gt(field("exit_code"), num(-1))), R"({"pid":1})"));
  CHECK_FALSE(matches(eq(null_(), gt(field("exit_code"), num(-1))), R"({"exit_code":0})"));
  // Kleene: null and false is false, null or true is true.
  CHECK(matches(eq(and_(gt(field("q"), num(1)), boolean(false)), boolean(false)), R"({})"));
  CHECK(matches(eq(or_(gt(field("q"), num(1)), boolean(true)), boolean(true)), R"({})"));
}

TEST_CASE("a mapping null_value stands in for an explicit JSON null only") {
  FieldTable table(true);
  table.add("f", FieldInfo{FieldType::String, "f", std::string("NULL"), {}});
  CHECK(matches(eq(field("f"), str("NULL")), R"({"f":null})", &table));
  CHECK_FALSE(matches(eq(field("f"), null_()), R"({"f":null})", &table));
  CHECK(matches(eq(field("f"), null_()), R"({"g":1})", &table));
  CHECK_FALSE(matches(eq(field("f"), str("NULL")), R"({"g":1})", &table));
}

TEST_CASE("?field unknown to a closed schema is the literal null, folded before any event") {
  FieldTable table(true);
  table.add("known", FieldInfo{FieldType::String, "known", std::nullopt, {}});
  FilterOptions options;
  options.field_types = &table;
  auto is_constant = [&](ast::ExprPtr e) {
    auto compiled = compile_condition(*e, options);
    REQUIRE(compiled.program);
    return compiled.program->constant();
  };
  CHECK(is_constant(eq(field("nope", true), str("x"))) == std::optional<bool>(false));
  CHECK(is_constant(ne(field("nope", true), str("x"))) == std::optional<bool>(true));
  CHECK(is_constant(eq(field("nope", true), null_())) == std::optional<bool>(true));
  CHECK(is_constant(ne(field("nope", true), null_())) == std::optional<bool>(false));
  CHECK(is_constant(field("nope", true)) == std::optional<bool>(false));
  CHECK(is_constant(eq(field("known", true), str("x"))) == std::nullopt);
  CHECK(matches(eq(field("known", true), str("x")), R"({"known":"x"})", &table));
}

TEST_CASE("an open schema keeps ?field as a field") {
  CHECK(matches(eq(field("a.b", true), num(1)), R"({"a":{"b":1}})"));
  CHECK_FALSE(matches(eq(field("a.b", true), num(1)), R"({})"));
}

TEST_CASE("the category test is case-sensitive, any-element, on the configured field") {
  ast::EventFilter filter;
  filter.category = "process";
  filter.condition = boolean(true);
  EvalContext context;
  auto program = compile_filter(filter, {}).program;
  REQUIRE(program);
  CHECK(program->matches(event(R"({"event":{"category":["network","process"]}})"), context));
  CHECK_FALSE(program->matches(event(R"({"event":{"category":"Process"}})"), context));
  CHECK_FALSE(program->matches(event(R"({})"), context));
  FilterOptions options;
  options.category_field = "event.type";
  auto overridden = compile_filter(filter, options).program;
  CHECK(overridden->matches(event(R"({"event":{"type":"process"}})"), context));
  ast::EventFilter any;
  any.any = true;
  any.condition = boolean(true);
  CHECK(compile_filter(any, {}).program->matches(event(R"({})"), context));
}

TEST_CASE("the compiled form shows the normalisations") {
  auto compiled = compile_condition(*and_(ne(field("a"), str("x")), in(field("b"), list(num(1)), true)), {});
  REQUIRE(compiled.program);
  CHECK(compiled.program->describe() == R"((and (not (== $a "x")) (not (in $b 1))))");
  auto folded = compile_condition(*eq(call("add", list(num(4), num(5))), field("n")), {});
  CHECK(folded.program->describe() == "(== 9 $n)");
}

// The boolean layer runs from a preorder array (program.h, Step) with the leaf memo shared
// by every program of one context. Random and/or/not trees over a few leaves, with boolean
// literals that the compiler simplifies away, must give what the rules say (a leaf is
// true when some value of the field equals the constant; not, and, or two-valued) on
// random events, each program asked twice per event and in a changing order.
TEST_CASE("random and/or/not trees over shared leaves agree with the two-valued rules") {
  std::uint64_t state = 0x243F6A8885A308D3ULL;
  auto next = [&](std::size_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::size_t>(state % bound);
  };
  const char* const kFields[] = {"a", "b", "c"};
  // A tree as the test decides it: leaf (field, value), literal, not, and, or.
  struct Tree {
    enum Kind { Leaf, Literal, Not, And, Or } kind = Leaf;
    std::size_t field = 0;
    std::int64_t value = 0;
    bool literal = false;
    std::vector<Tree> children;
  };
  std::function<Tree(int)> random_tree = [&](int depth) {
    Tree tree;
    const std::size_t pick = depth == 0 ? next(5) % 2 : next(5);
    if (pick == 0 || (pick == 1 && next(4) != 0)) {
      tree.kind = Tree::Leaf;
      tree.field = next(3);
      tree.value = static_cast<std::int64_t>(next(2) + 1);
    } else if (pick == 1) {
      tree.kind = Tree::Literal;
      tree.literal = next(2) == 1;
    } else if (pick == 2) {
      tree.kind = Tree::Not;
      tree.children.push_back(random_tree(depth - 1));
    } else {
      tree.kind = pick == 3 ? Tree::And : Tree::Or;
      for (std::size_t n = next(4) + 1; n > 0; --n) tree.children.push_back(random_tree(depth - 1));
    }
    return tree;
  };
  std::function<ast::ExprPtr(const Tree&)> to_expr = [&](const Tree& tree) -> ast::ExprPtr {
    switch (tree.kind) {
      case Tree::Leaf: return eq(field(kFields[tree.field]), num(tree.value));
      case Tree::Literal: return boolean(tree.literal);
      case Tree::Not: return not_(to_expr(tree.children[0]));
      default: {
        std::vector<ast::ExprPtr> operands;
        for (const Tree& child : tree.children) operands.push_back(to_expr(child));
        return logical(tree.kind == Tree::And ? ast::LogicOp::And : ast::LogicOp::Or, std::move(operands));
      }
    }
  };
  using Values = std::vector<std::int64_t>;  // the non-null values of one field
  std::function<bool(const Tree&, const Values*)> decide = [&](const Tree& tree, const Values* fields) {
    switch (tree.kind) {
      case Tree::Leaf: {
        const Values& values = fields[tree.field];
        return std::find(values.begin(), values.end(), tree.value) != values.end();
      }
      case Tree::Literal: return tree.literal;
      case Tree::Not: return !decide(tree.children[0], fields);
      case Tree::And:
        return std::all_of(tree.children.begin(), tree.children.end(),
                           [&](const Tree& child) { return decide(child, fields); });
      case Tree::Or:
        return std::any_of(tree.children.begin(), tree.children.end(),
                           [&](const Tree& child) { return decide(child, fields); });
    }
    return false;
  };
  std::vector<Tree> trees;
  std::vector<FilterProgram> programs;
  for (int i = 0; i < 300; ++i) {
    trees.push_back(random_tree(4));
    auto compiled = compile_condition(*to_expr(trees.back()), {});
    REQUIRE(compiled.program);
    programs.push_back(*compiled.program);
  }
  // Field shapes: JSON text and the non-null values it gives.
  const std::pair<const char*, Values> kShapes[] = {
      {nullptr, {}}, {"null", {}}, {"1", {1}}, {"2", {2}}, {"[1,2]", {1, 2}}, {"[null,2]", {2}}, {"[]", {}},
  };
  EvalContext context;
  std::size_t checked = 0, true_results = 0, wrong = 0;
  for (int e = 0; e < 400; ++e) {
    std::string json = "{";
    Values fields[3];
    for (std::size_t f = 0; f < 3; ++f) {
      const auto& shape = kShapes[next(std::size(kShapes))];
      fields[f] = shape.second;
      if (!shape.first) continue;
      if (json.size() > 1) json += ",";
      json += std::string("\"") + kFields[f] + "\":" + shape.first;
    }
    json += "}";
    const Event parsed = event(json);
    const std::size_t start = next(programs.size());
    for (int round = 0; round < 2; ++round) {
      for (std::size_t k = 0; k < programs.size(); ++k) {
        const std::size_t i = (round == 0 ? start + k : start + programs.size() - k) % programs.size();
        const bool expected = decide(trees[i], fields);
        const bool actual = programs[i].matches(parsed, context);
        ++checked;
        if (expected) ++true_results;
        if (actual != expected) {
          ++wrong;
          CHECK_MESSAGE(actual == expected, programs[i].describe() << " on " << json);
        }
      }
    }
  }
  CHECK(wrong == 0);
  CHECK(checked == 240000);
  CHECK(true_results > 40000);  // both outcomes are well represented
  CHECK(true_results < 200000);
}
