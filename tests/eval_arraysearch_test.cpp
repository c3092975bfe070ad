// `_arraysearch(array, $entry, condition)` of the endpoint dialect (src/eval/array_search.cpp):
// element-wise truth tables (missing, empty, null, single object, scalar elements, nested
// arrays, dotted keys, the event's own fields in the condition, nested searches), the case
// rules of `:`/`like~`/`==` over an element against the same predicate over a plain field,
// a random differential test against a model that knows the elements, and the same answers
// when events are read with only the fields the program names.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"

using namespace eql;

namespace {

ParseOptions endpoint() {
  ParseOptions options;
  options.dialect = Dialect::Endpoint;
  return options;
}

FilterCompileResult compile(const std::string& condition) {
  ExpressionResult parsed = parse_expression(condition, endpoint());
  REQUIRE_MESSAGE(parsed.expr != nullptr, condition);
  return compile_condition(*parsed.expr, {});
}

FilterProgram program_of(const std::string& condition) {
  FilterCompileResult compiled = compile(condition);
  std::string messages;
  for (const auto& d : compiled.diagnostics) messages += d.message + "\n";
  REQUIRE_MESSAGE(compiled.program.has_value(), std::string(condition + ": " + messages));
  return *compiled.program;
}

Event event_of(const std::string& json, std::shared_ptr<const FieldSelection> selection = nullptr) {
  std::string error;
  auto event = parse_event(json, error, nullptr, kDefaultMaxNesting, std::move(selection));
  REQUIRE_MESSAGE(event.has_value(), std::string(json + ": " + error));
  return std::move(*event);
}

// The answer on the whole event, checked to be the same when the event is read with only
// the fields the program names (what `eql run` and `eql query` do).
bool matches(const std::string& condition, const std::string& json) {
  FilterProgram program = program_of(condition);
  EvalContext context;
  bool whole = program.matches(event_of(json), context);
  auto selection = std::make_shared<const FieldSelection>(program.fields());
  EvalContext other;
  CHECK_MESSAGE(program.matches(event_of(json, selection), other) == whole, std::string(condition + " over " + json));
  return whole;
}

struct Row {
  const char* condition;
  const char* json;
  bool expected;
};

const char* const kBoth = "_arraysearch(a, $e, $e.x == 1 and $e.y == 2)";

const Row kRows[] = {
    // One element must hold both: values of different elements do not mix.
    {kBoth, R"({"a":[{"x":1,"y":2}]})", true},
    {kBoth, R"({"a":[{"x":1,"y":3},{"x":0,"y":2}]})", false},
    {kBoth, R"({"a":[{"x":1,"y":3},{"x":1,"y":2}]})", true},
    {kBoth, R"({"a":{"x":1,"y":2}})", true},  // a single object is one element
    // No array, no element: false, even for a condition that a missing field satisfies.
    {kBoth, R"({"b":[{"x":1,"y":2}]})", false},
    {kBoth, R"({"a":[]})", false},
    {kBoth, R"({"a":null})", false},
    {"_arraysearch(a, $e, $e.x == null)", R"({"b":1})", false},
    {"_arraysearch(a, $e, $e.x == null)", R"({"a":[]})", false},
    {"_arraysearch(a, $e, $e.x == null)", R"({"a":[{"y":1}]})", true},
    {"_arraysearch(a, $e, $e.x == null)", R"({"a":[{"x":null}]})", true},
    {"_arraysearch(a, $e, $e.x == null)", R"({"a":[{"x":1}]})", false},
    {"_arraysearch(a, $e, $e.x != null)", R"({"a":[{"x":null},{"y":1}]})", false},
    // `!=` is `not ==`, as over a plain field (docs/semantics.md).
    {"_arraysearch(a, $e, $e.x != 1)", R"({"a":[{"x":null}]})", true},
    {"_arraysearch(a, $e, $e.x != 1)", R"({"a":[{"x":1}]})", false},
    {"not _arraysearch(a, $e, $e.x == 1)", R"({"b":1})", true},
    {"not _arraysearch(a, $e, $e.x == 1)", R"({"a":[{"x":2},{"x":1}]})", false},
    // Elements that are not objects have no fields.
    {"_arraysearch(a, $e, $e.x == 1)", R"({"a":[1,"x",null]})", false},
    {"_arraysearch(a, $e, $e.x == null)", R"({"a":[1]})", true},
    // Nested arrays: arrays of arrays give their innermost elements; an array inside an
    // element is a multi-valued field of that element.
    {kBoth, R"({"a":[[{"x":1,"y":2}]]})", true},
    {kBoth, R"({"a":[[{"x":1}],[{"y":2}]]})", false},
    {kBoth, R"({"a":[{"x":[0,1],"y":[2]}]})", true},
    {"_arraysearch(a, $e, $e.b.c == 5)", R"({"a":[{"b":[{"c":4},{"c":5}]}]})", true},
    // Paths: dotted keys and objects alike, also through an array above the searched one.
    {"_arraysearch(p.a, $e, $e.x == 1 and $e.y == 2)", R"({"p":{"a":[{"x":1,"y":2}]}})", true},
    {"_arraysearch(p.a, $e, $e.x == 1 and $e.y == 2)", R"({"p.a":[{"x":1,"y":2}]})", true},
    {"_arraysearch(p.a, $e, $e.x.z == 1)", R"({"p":{"a":[{"x.z":1}]}})", true},
    {"_arraysearch(p.a, $e, $e.x == 1 and $e.y == 2)", R"({"p":[{"a":[{"x":1}]},{"a":[{"y":2}]}]})", false},
    {"_arraysearch(p.a, $e, $e.x == 1)", R"({"p":[{"a":[{"y":1}]},{"a":[{"x":1}]}]})", true},
    // The event's own fields in the condition.
    {"_arraysearch(a, $e, $e.x == n)", R"({"n":1,"a":[{"x":1}]})", true},
    {"_arraysearch(a, $e, $e.x == n)", R"({"n":2,"a":[{"x":1}]})", false},
    {"_arraysearch(a, $e, stringContains($e.s, name))", R"({"name":"ll","a":[{"s":"ntdll"}]})", true},
    // A search inside a search: over the element's own array.
    {"_arraysearch(a, $e, _arraysearch($e.b, $f, $f.x == 1 and $f.y == 2))",
     R"({"a":[{"b":[{"x":1},{"y":2}]}]})", false},
    {"_arraysearch(a, $e, _arraysearch($e.b, $f, $f.x == 1 and $f.y == 2))",
     R"({"a":[{"b":[{"x":1}]},{"b":[{"x":1,"y":2}]}]})", true},
    {"_arraysearch(a, $e, $e.k == 3 and _arraysearch($e.b, $f, $f.x == 1))",
     R"({"a":[{"k":3,"b":[{"x":2}]},{"k":4,"b":[{"x":1}]}]})", false},
    // Case rules, as over plain fields: `:` ignores case, `like` and `==` do not.
    {R"(_arraysearch(a, $e, $e.s : "ab*"))", R"({"a":[{"s":"ABC"}]})", true},
    {R"(_arraysearch(a, $e, $e.s like "ab*"))", R"({"a":[{"s":"ABC"}]})", false},
    {R"(_arraysearch(a, $e, $e.s like~ "ab*"))", R"({"a":[{"s":"ABC"}]})", true},
    {R"(_arraysearch(a, $e, $e.s == "abc"))", R"({"a":[{"s":"ABC"}]})", false},
    {R"(_arraysearch(a, $e, $e.s : ("x", "*BC")))", R"({"a":[{"s":"zz"},{"s":"abc"}]})", true},
    // Large integers and doubles survive the element's re-reading.
    {"_arraysearch(a, $e, $e.n == 9223372036854775807)", R"({"a":[{"n":9223372036854775807}]})", true},
    {"_arraysearch(a, $e, $e.d == 0.1)", R"({"a":[{"d":0.1}]})", true},
};

}  // namespace

TEST_CASE("_arraysearch: element-wise truth table") {
  int passed = 0, failed = 0;
  for (const Row& row : kRows) {
    std::string condition = row.condition, json = row.json;
    CAPTURE(condition);
    CAPTURE(json);
    bool got = matches(row.condition, row.json);
    CHECK(got == row.expected);
    got == row.expected ? ++passed : ++failed;
  }
  std::printf("arraysearch-table: %d passed, %d failed\n", passed, failed);
}

TEST_CASE("_arraysearch: a predicate over an element answers as over a plain field") {
  const char* const predicates[] = {
      R"(: "ab*")",      R"(: "AB*")",         R"(like "ab*")",      R"(like~ "AB*")", R"(== "abc")",
      R"(: "abc")",      R"(in ("ABC", "x"))", R"(in~ ("abc", "x"))", R"(regex "a.c")", R"(regex~ "A.C")",
      R"(!= "abc")",     R"(== null)",         R"(!= null)",
  };
  const char* const values[] = {R"("abc")", R"("ABC")", R"("Abd")", "null", "1", R"(["x","abc"])"};
  for (const char* predicate : predicates) {
    for (const char* value : values) {
      std::string predicate_text = predicate, value_text = value;
      CAPTURE(predicate_text);
      CAPTURE(value_text);
      bool plain = matches(std::string("s ") + predicate, std::string(R"({"s":)") + value + "}");
      bool element = matches(std::string("_arraysearch(a, $e, $e.s ") + predicate + ")",
                             std::string(R"({"a":[{"t":0},{"s":)") + value + "}]}");
      // The first element has no `s`: only a predicate true of a missing field differs.
      bool missing = matches(std::string("s ") + predicate, R"({"t":0})");
      CHECK(element == (plain || missing));
    }
  }
}

TEST_CASE("_arraysearch: what is not evaluated is refused at compile time") {
  const char* const refused[] = {
      "_arraysearch(a, $e, $e == 1)",                                   // the element itself
      "_arraysearch(a, $e, _arraysearch($e.b, $f, $e.x == $f.x))",      // an enclosing element
      "_arraysearch(a, $e, _arraysearch(b, $f, $f.x == 1))",            // the event's array inside
  };
  for (const char* refused_condition : refused) {
    std::string condition = refused_condition;
    CAPTURE(condition);
    FilterCompileResult compiled = compile(condition);
    CHECK_FALSE(compiled.program.has_value());
    bool named = false;
    for (const auto& d : compiled.diagnostics) named = named || d.code == "eval.endpoint-unsupported";
    CHECK(named);
  }
}

TEST_CASE("_arraysearch: two searches of one array in one context keep their own answers") {
  // Both read the array once per event (a cache per event): the leaf memo must still tell
  // the two conditions apart, and a new event must not see the last one's elements.
  FilterProgram one = program_of("_arraysearch(a, $e, $e.x == 1)");
  FilterProgram two = program_of("_arraysearch(a, $e, $e.x == 2)");
  FilterProgram again = program_of("_arraysearch(a, $e, $e.x == 1)");
  EvalContext context;
  Event first = event_of(R"({"a":[{"x":1}]})");
  Event second = event_of(R"({"a":[{"x":2}]})");
  CHECK(one.matches(first, context));
  CHECK_FALSE(two.matches(first, context));
  CHECK(again.matches(first, context));
  CHECK_FALSE(one.matches(second, context));
  CHECK(two.matches(second, context));
  CHECK(one.fields() == std::vector<std::string>{"a.x"});
  CHECK(program_of("_arraysearch(a, $e, $e.x == n and _arraysearch($e.b, $f, $f.y == 1))").fields() ==
        std::vector<std::string>{"a.b.y", "a.x", "n"});
}

TEST_CASE("_arraysearch: random arrays against a model of their elements") {
  // Elements with x and y drawn from {absent, null, 0, 1, 2}, some wrapped in an inner
  // array; the model: some element has x == 1 and y == 2, or x == 2 and no y.
  std::mt19937 random(20261207);
  FilterProgram program = program_of("_arraysearch(a, $e, ($e.x == 1 and $e.y == 2) or ($e.x == 2 and $e.y == null))");
  auto selection = std::make_shared<const FieldSelection>(program.fields());
  EvalContext context;
  int passed = 0, failed = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string json = R"({"a":[)";
    bool model = false;
    int count = static_cast<int>(random() % 5);
    for (int i = 0; i < count; ++i) {
      int x = static_cast<int>(random() % 5) - 2;  // -2: absent, -1: null
      int y = static_cast<int>(random() % 5) - 2;
      std::string element = "{";
      auto member = [&](const char* name, int v) {
        if (v == -2) return;
        if (element.size() > 1) element += ",";
        element += std::string("\"") + name + "\":" + (v == -1 ? std::string("null") : std::to_string(v));
      };
      member("x", x);
      member("y", y);
      element += "}";
      if (random() % 4 == 0) element = "[" + element + "]";
      json += (i ? "," : "") + element;
      model = model || (x == 1 && y == 2) || (x == 2 && y < 0);
    }
    json += "]}";
    bool whole = program.matches(event_of(json), context);
    bool selected = program.matches(event_of(json, selection), context);
    bool ok = whole == model && selected == model;
    if (!ok) CHECK_MESSAGE(ok, json);
    ok ? ++passed : ++failed;
  }
  CHECK(failed == 0);
  std::printf("arraysearch-random: %d passed, %d failed\n", passed, failed);
}

TEST_CASE("a reference to an aliased stage compiles to a condition over the partial's events") {
  // Judged by the sequence matcher per partial (tests/sequence_alias_test.cpp); alone, the
  // filter answers a necessary condition: the cross-stage comparison counts as true.
  ParseResult parsed = parse_query(
      "sequence by process.entity_id [file where file.name : \"*.dll\"] as event0 "
      "[library where startswith~(dll.path, event0.file.path) and dll.name : \"*.dll\"]",
      endpoint());
  REQUIRE(parsed.ok());
  const ast::Sequence* sequence = parsed.query->sequence();
  REQUIRE(sequence != nullptr);
  REQUIRE(sequence->terms.size() == 2);
  CHECK(compile_filter(sequence->terms[0].filter, {}).program.has_value());
  FilterCompileResult second = compile_filter(sequence->terms[1].filter, {});
  REQUIRE(second.program.has_value());
  CHECK(second.program->aliases() == std::vector<std::string>{"event0"});
  auto fields = second.program->fields();
  CHECK(std::find(fields.begin(), fields.end(), "file.path") != fields.end());
  EvalContext context;
  Event library = event_of(R"({"event": {"category": "library"}, "dll": {"path": "c:\\x\\a.dll", "name": "a.dll"}})");
  Event file = event_of(R"({"event": {"category": "file"}, "file": {"path": "C:\\X"}})");
  Event other = event_of(R"({"event": {"category": "file"}, "file": {"path": "d:\\y"}})");
  CHECK(second.program->matches(library, context));
  const Event* within[] = {&file};
  CHECK(second.program->matches_in_sequence(library, within, context));
  const Event* outside[] = {&other};
  CHECK_FALSE(second.program->matches_in_sequence(library, outside, context));
  Event exe = event_of(R"({"event": {"category": "library"}, "dll": {"path": "c:\\x\\a.exe", "name": "a.exe"}})");
  CHECK_FALSE(second.program->matches(exe, context));
}
