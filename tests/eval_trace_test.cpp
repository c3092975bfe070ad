// The tracing mode of a FilterProgram (eql explain): the same verdict as matches() on every
// query and event of a table, each node's verdict, the values a leaf saw, which element of
// an array matched, missing fields and null leaves.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "eql/eval.h"
#include "eql/parser.h"

using namespace eql;

namespace {

struct Traced {
  bool matched = false;
  bool traced = false;
  FilterTrace trace;
  std::string query;
};

Traced run(const std::string& query, const std::string& json) {
  Traced out;
  out.query = query;
  ParseResult parsed = parse_query(query);
  REQUIRE(parsed.query);
  REQUIRE(parsed.query->event());
  FilterCompileResult compiled = compile_filter(*parsed.query->event(), FilterOptions{});
  REQUIRE(compiled.program);
  std::string error;
  std::optional<Event> event = parse_event(json, error);
  REQUIRE(event);
  EvalContext context;
  out.traced = compiled.program->trace(*event, context, out.trace);
  out.matched = compiled.program->matches(*event, context);
  return out;
}

std::string text_of(const Traced& traced, const TraceNode& node) {
  return traced.query.substr(node.span.begin, node.span.end - node.span.begin);
}

}  // namespace

TEST_CASE("trace: the verdict is the one matches() gives") {
  const std::vector<std::string> queries = {
      R"(process where process.name : "cmd.exe")",
      R"(process where process.name != "cmd.exe")",
      R"(process where process.name not in ("a", "cmd.exe") or process.pid > 5)",
      R"(process where not (process.pid > 5 and process.args : "/c"))",
      R"(process where process.pid + 1 == 5)",
      R"(any where process.args == null)",
      R"(network where true)",
      R"(process where startsWith(process.name, "cm") and length(process.args) > 1)",
  };
  const std::vector<std::string> events = {
      R"({"event":{"category":"process"},"process":{"name":"cmd.exe","pid":4,"ppid":5,"args":["x","/c"]}})",
      R"({"event":{"category":["process","network"]},"process":{"name":"CMD.EXE","pid":[1,9],"args":[]}})",
      R"({"event":{"category":"process"}})",
      R"({"event":{"category":"file"},"process":{"name":null,"pid":7}})",
  };
  for (const std::string& query : queries) {
    for (const std::string& event : events) {
      CAPTURE(query);
      CAPTURE(event);
      Traced traced = run(query, event);
      CHECK(traced.traced == traced.matched);
      REQUIRE(!traced.trace.nodes.empty());
      CHECK(traced.trace.nodes.front().verdict == traced.matched);
      CHECK(traced.trace.nodes.front().depth == 0);
    }
  }
}

TEST_CASE("trace: every node of an `and` has a verdict, with the values it saw") {
  Traced traced = run(R"(process where process.parent.name : "WmiPrvSE.exe" and process.args : "/c")",
                      R"({"event":{"category":"process"},"process":{"parent":{"name":"explorer.exe"},"args":["cmd.exe","/c"]}})");
  CHECK_FALSE(traced.traced);
  const auto& nodes = traced.trace.nodes;
  REQUIRE(nodes.size() == 4);
  CHECK(nodes[0].kind == TraceNode::Kind::And);
  CHECK(nodes[1].category);
  CHECK(text_of(traced, nodes[1]) == "process");
  CHECK(nodes[1].verdict);
  // Evaluated although the `and` is already false: each node says what it saw.
  CHECK(text_of(traced, nodes[2]) == R"(process.parent.name : "WmiPrvSE.exe")");
  CHECK_FALSE(nodes[2].verdict);
  REQUIRE(nodes[2].fields.size() == 1);
  CHECK(nodes[2].fields[0].name == "process.parent.name");
  CHECK(nodes[2].fields[0].values == std::vector<std::string>{"\"explorer.exe\""});
  CHECK_FALSE(nodes[2].fields[0].matched);
  CHECK(nodes[3].verdict);
  CHECK(nodes[3].fields[0].values == std::vector<std::string>{"\"cmd.exe\"", "\"/c\""});
  CHECK(nodes[3].fields[0].matched == std::optional<std::size_t>(1));
}

TEST_CASE("trace: a missing field, a null leaf, and `!=` as `not (==)`") {
  Traced traced = run(R"(process where process.name != "cmd.exe")", R"({"event":{"category":"process"}})");
  CHECK(traced.traced);
  const auto& nodes = traced.trace.nodes;
  REQUIRE(nodes.size() == 4);
  CHECK(nodes[2].kind == TraceNode::Kind::Not);
  CHECK(text_of(traced, nodes[2]) == R"(process.name != "cmd.exe")");
  CHECK(nodes[2].verdict);
  CHECK(nodes[3].kind == TraceNode::Kind::Leaf);
  CHECK(nodes[3].span == Span{});  // no text of its own: the normalised positive leaf
  CHECK(nodes[3].null);
  CHECK_FALSE(nodes[3].verdict);
  REQUIRE(nodes[3].fields.size() == 1);
  CHECK(nodes[3].fields[0].values.empty());  // missing
  CHECK(nodes[3].compiled == R"((== $process.name "cmd.exe"))");
}

TEST_CASE("trace: a leaf reading two fields notes the choice that made it true") {
  Traced traced = run(R"(any where concat(a, b) == "25")", R"({"a":[9,2],"b":[1,5]})");
  CHECK(traced.traced);
  const TraceNode& leaf = traced.trace.nodes.front();
  REQUIRE(leaf.fields.size() == 2);
  CHECK(leaf.fields[0].matched == std::optional<std::size_t>(1));  // a = 2
  CHECK(leaf.fields[1].matched == std::optional<std::size_t>(1));  // b = 5
}

TEST_CASE("trace: tracing leaves the context as matches() needs it") {
  ParseResult parsed = parse_query(R"(process where process.name : "cmd.exe")");
  REQUIRE(parsed.query);
  FilterCompileResult compiled = compile_filter(*parsed.query->event(), FilterOptions{});
  REQUIRE(compiled.program);
  std::string error;
  std::optional<Event> hit = parse_event(R"({"event":{"category":"process"},"process":{"name":"cmd.exe"}})", error);
  std::optional<Event> miss = parse_event(R"({"event":{"category":"process"},"process":{"name":"sh"}})", error);
  REQUIRE(hit);
  REQUIRE(miss);
  EvalContext context;
  FilterTrace trace;
  CHECK(compiled.program->matches(*hit, context));
  CHECK_FALSE(compiled.program->trace(*miss, context, trace));
  CHECK(compiled.program->matches(*hit, context));
  CHECK_FALSE(compiled.program->matches(*miss, context));
}
