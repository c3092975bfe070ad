// The evaluator's per-event caches (field lookups, leaf results shared by programs through
// process-wide ids): a cached answer is only ever reused for the very same event contents.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

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

TEST_CASE("long `in` and match lists, looked up rather than scanned, decide as a chain of `or`s") {
  // A list of four or more constants is looked up in a sorted set (ASCII entries); the same
  // test written as `or`s of single comparisons is scanned. Both must always agree.
  const std::vector<std::string> items{R"("cmd.exe")", R"("kill")", R"("5")", R"("\u{C9}t\u{E9}")", R"("Other")"};
  auto joined = [&](const std::string& separator, const std::string& prefix) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + prefix + items[i];
    return out;
  };
  auto chain_of = [&](const std::string& prefix) {  // `x in~ ("a") or x in~ ("b") ...`
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? " or " : "") + prefix + items[i] + ")";
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> pairs{
      {"x in (" + joined(", ", "") + ")", joined(" or ", "x == ")},
      {"x in (" + joined(", ", "") + ")", chain_of("x in (")},
      {"x in~ (" + joined(", ", "") + ")", chain_of("x in~ (")},
      {"x : (" + joined(", ", "") + ")", joined(" or ", "x : ")},
      {"x like (" + joined(", ", "") + ")", joined(" or ", "x like ")},
      {"x like~ (" + joined(", ", "") + ")", joined(" or ", "x like~ ")},
      {"x : (" + joined(", ", "") + ", \"c*\")", joined(" or ", "x : ") + " or x : \"c*\""},
  };
  const std::vector<std::string> values{
      R"("cmd.exe")", R"("CMD.EXE")", R"("kill")", R"("\u212aill")", R"("KILL")", R"("5")", "5", "5.0",
      R"("05")", "null", R"(["x", "Kill"])", R"("\u00e9t\u00e9")", R"("\u00c9T\u00c9")", R"("other")",
      R"("cmd")", "true", "[]"};
  EvalContext context;
  for (const auto& [listed, chained] : pairs) {
    CAPTURE(listed);
    FilterProgram list = compile("any where " + listed);
    FilterProgram chain = compile("any where " + chained);
    for (const std::string& value : values) {
      CAPTURE(value);
      Event event = event_of(R"({"x":)" + value + "}");
      CHECK(list.matches(event, context) == chain.matches(event, context));
    }
  }
  // And the answers themselves, for a few telling values.
  EvalContext fresh;
  CHECK(compile(R"(any where x in~ ("a", "b", "c", "kill"))").matches(event_of(R"({"x":"\u212aill"})"), fresh));
  CHECK_FALSE(compile(R"(any where x in ("a", "b", "c", "kill"))").matches(event_of(R"({"x":"KILL"})"), fresh));
  CHECK(compile(R"(any where x : ("a", "b", "c", "kill"))").matches(event_of(R"({"x":"KILL"})"), fresh));
}

TEST_CASE("the folded text of an event's strings is reused for that event only, never for computed text") {
  // Case-insensitive patterns read a lower-cased copy of the value, kept per event for the
  // event's own strings. Computed text (concat's result in the scratch arena) takes the same
  // address leaf after leaf with other contents (here: names of one length), so it must be
  // folded anew every time.
  FilterProgram own = compile(R"(process where process.name : "ABC.*" and process.parent.name : "*yz*")");
  FilterProgram computed = compile(
      R"(process where concat(process.name, "") : "abc.*" and concat(process.parent.name, "") : "xyz.*")");
  FilterProgram swapped = compile(
      R"(process where concat(process.parent.name, "") : "abc.*" or concat(process.name, "") : "xyz.*")");
  Event first = event_of(R"({"event":{"category":"process"},"process":{"name":"ABC.EXE","parent":{"name":"XYZ.EXE"}}})");
  Event second = event_of(R"({"event":{"category":"process"},"process":{"name":"XYZ.EXE","parent":{"name":"ABC.EXE"}}})");
  EvalContext context;
  for (int round = 0; round < 2; ++round) {
    CHECK(own.matches(first, context));
    CHECK(computed.matches(first, context));
    CHECK_FALSE(swapped.matches(first, context));
    CHECK_FALSE(own.matches(second, context));
    CHECK_FALSE(computed.matches(second, context));
    CHECK(swapped.matches(second, context));
  }
  // More distinct strings in one event than the cache keeps: the rest are folded each time.
  std::string many = R"({"event":{"category":"process"},"process":{"args":[)";
  for (int i = 0; i < 40; ++i) many += (i ? "," : "") + std::string("\"ARG") + std::to_string(i) + "\"";
  many += "]}}";
  Event crowded = event_of(many);
  for (int i = 0; i < 40; i += 13) {
    FilterProgram arg = compile("process where process.args : \"arg" + std::to_string(i) + "\"");
    CHECK(arg.matches(crowded, context));
    CHECK(arg.matches(crowded, context));
  }
  CHECK_FALSE(compile(R"(process where process.args : "arg40")").matches(crowded, context));
}

TEST_CASE("one scan per field: equality leaves decided together agree with each leaf evaluated alone") {
  // Programs holding `==`, `in`, `in~`, `:` and `:` lists over one field (with a wildcard
  // and a regex beside them, which the scan leaves alone) share one context, so the first
  // equality leaf asked on an event decides the others of its field. The oracle is
  // trace(), which evaluates every leaf on its own; both must agree on every event, asked
  // in every order.
  const std::vector<std::string> queries{
      R"(process where process.name == "cmd.exe")",
      R"(process where process.name == "CMD.EXE")",
      R"(process where process.name : "cmd.exe")",
      R"(process where process.name : ("cmd.exe", "kill", "sh", "bash", "zsh"))",
      R"(process where process.name in ("cmd.exe", "kill", "5"))",
      R"(process where process.name in~ ("CMD.exe", "k", "Kill", "sh", "dash"))",
      R"(process where process.name like~ "cmd*" or process.name : "5")",
      R"(process where not process.name in ("sh", "bash") and process.name != "kill")",
      R"(process where process.name regex~ "cmd\\.exe" or process.name : "\u{C9}t\u{E9}")",
      R"(process where process.name in~ ("\u{E9}t\u{E9}", "k"))",
      R"(process where process.parent.name : "cmd.exe" and process.name == "sh")",
  };
  const std::vector<std::string> names{
      R"("cmd.exe")", R"("CMD.EXE")", R"("Cmd.Exe")", R"("kill")", R"("KILL")", R"("sh")", R"(5)", R"("5")",
      R"(["sh","cmd.exe"])", R"(["x",null,"KILL"])", R"([])", R"(null)", R"("\u00c9t\u00e9")", R"("\u212a")",
      R"("k")", R"(true)", R"([5,"sh"])", R"("cmd.exe ")"};
  std::vector<FilterProgram> programs;
  for (const std::string& query : queries) programs.push_back(compile(query));
  std::vector<Event> events;
  for (const std::string& name : names) {
    events.push_back(event_of(R"({"event":{"category":"process"},"process":{"name":)" + name + R"(}})"));
    events.push_back(event_of(R"({"event":{"category":"process"},"process":{"name":)" + name +
                              R"(,"parent":{"name":)" + name + R"(}}})"));
  }
  events.push_back(event_of(R"({"event":{"category":"process"}})"));
  EvalContext shared;
  for (int order = 0; order < 2; ++order) {
    for (const Event& event : events) {
      for (std::size_t k = 0; k < programs.size(); ++k) {
        const std::size_t i = order == 0 ? k : programs.size() - 1 - k;
        EvalContext alone;
        FilterTrace trace;
        const bool expected = programs[i].trace(event, alone, trace);
        INFO(queries[i] << " on " << event.json());
        CHECK(programs[i].matches(event, shared) == expected);
      }
    }
  }
}

TEST_CASE("one scan per field: programs compiled on another thread while events are evaluated") {
  // Compiling files new leaves in the shared table while this thread evaluates; a context
  // takes the newer table between leaves and must stay exact throughout.
  const std::vector<std::string> queries{R"(process where process.name == "n3")",
                                         R"(process where process.name in ("n1", "n3", "n5"))",
                                         R"(process where process.name : ("N2", "n4"))"};
  std::vector<FilterProgram> programs;
  for (const std::string& query : queries) programs.push_back(compile(query));
  std::thread compiler([] {
    for (int i = 0; i < 300; ++i) {
      ParseResult parsed = parse_query("process where process.name in~ (\"n" + std::to_string(i % 7) + "\", \"m" +
                                       std::to_string(i) + "\")");
      if (parsed.ok()) (void)compile_filter(*parsed.query->event(), {});
    }
  });
  EvalContext shared;
  std::size_t wrong = 0;
  for (int round = 0; round < 300; ++round) {
    Event event = event_of(R"({"event":{"category":"process"},"process":{"name":"n)" + std::to_string(round % 7) +
                           R"("}})");
    for (std::size_t i = 0; i < programs.size(); ++i) {
      EvalContext alone;
      FilterTrace trace;
      if (programs[i].matches(event, shared) != programs[i].trace(event, alone, trace)) ++wrong;
    }
  }
  compiler.join();
  CHECK(wrong == 0);
}
