// The evaluator's per-event caches (field lookups, leaf results shared by programs through
// process-wide ids): a cached answer is only ever reused for the very same event contents.
#include <doctest/doctest.h>

#include <string>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"

using namespace eql;

namespace {

FilterProgram compile(const std::string& query) {
  ParseResult parsed = parse_query(query);
  REQUIRE(parsed.ok());
  FilterCompileResult compiled = compile_filter(*parsed.query->event(), {});
  REQUIRE(compiled.program);
  return *compiled.program;
}

Event event_of(const std::string& json) {
  std::string error;
  std::optional<Event> event = parse_event(json, error);
  REQUIRE_MESSAGE(event, error);
  return std::move(*event);
}

}  // namespace

TEST_CASE("event serials: copies share one, set() and each parse give a new one") {
  Event a = event_of(R"({"x":"1"})");
  Event b = event_of(R"({"x":"1"})");
  CHECK(a.serial() != 0);
  CHECK(a.serial() != b.serial());
  Event copy = a;
  CHECK(copy.serial() == a.serial());
  CHECK(copy.json() == a.json());
  copy.set("x", Value::of_string("2"));
  CHECK(copy.serial() != a.serial());
  CHECK(copy.first("x").string == "2");
  CHECK(a.first("x").string == "1");  // the copy's change is its own
  CHECK(Event().serial() == 0);
}

TEST_CASE("programs that share leaves give each event its own answers through one context") {
  // Both programs hold the leaf `process.name : "cmd.exe"`; the context caches it per event.
  FilterProgram first = compile(R"(process where process.name : "cmd.exe")");
  FilterProgram second = compile(R"(process where process.name : "cmd.exe" and process.pid == 4)");
  Event cmd = event_of(R"({"event":{"category":"process"},"process":{"name":"CMD.EXE","pid":4}})");
  Event other = event_of(R"({"event":{"category":"process"},"process":{"name":"sh","pid":4}})");
  EvalContext context;
  for (int round = 0; round < 3; ++round) {
    CHECK(first.matches(cmd, context));
    CHECK(second.matches(cmd, context));
    CHECK_FALSE(first.matches(other, context));
    CHECK_FALSE(second.matches(other, context));
    CHECK(second.matches(cmd, context));
  }
  // A changed copy is a new event for the cache, the original keeps its answers.
  Event changed = cmd;
  changed.set("process.name", Value::of_string("sh"));
  CHECK(first.matches(cmd, context));
  CHECK_FALSE(first.matches(changed, context));
  CHECK(first.matches(cmd, context));
}
