// The null / missing / multi-valued truth table (docs/semantics.md): every operator, its
// negation and every function predicate over a missing field, null, [], [null], a
// multi-valued field with one matching element, one with none, and single values.
#include <doctest/doctest.h>

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
