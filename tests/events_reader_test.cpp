// Events: field lookup across nested objects, dotted keys and arrays; the readers (NDJSON,
// JSON array, search response, gzip) with their per-line problem reports.
#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "eql/event.h"
#include "eql/sequence.h"

using namespace eql;

namespace {

Event parse(std::string_view json) {
  std::string error;
  auto event = parse_event(json, error);
  REQUIRE_MESSAGE(event, error);
  return std::move(*event);
}

std::string show(std::span<const Value> values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    append_json(out, values[i]);
  }
  return out + "]";
}

struct Collected {
  std::vector<Event> events;
  std::vector<std::string> problems;
  ReadSummary summary;
};

Collected read_text(std::string_view text, EventReadOptions options = {}) {
  Collected out;
  out.summary = read_events_from_text(
      "t.json", text, options,
      [&](Event&& e) {
        out.events.push_back(std::move(e));
        return true;
      },
      [&](const InputProblem& p) { out.problems.push_back(p.to_string()); });
  return out;
}

}  // namespace

TEST_CASE("nested objects, dotted keys and their mixtures answer the same dotted path") {
  CHECK(show(parse(R"({"process":{"name":"a"}})").values("process.name")) == R"(["a"])");
  CHECK(show(parse(R"({"process.name":"a"})").values("process.name")) == R"(["a"])");
  CHECK(show(parse(R"({"process":{"parent.name":"p"}})").values("process.parent.name")) == R"(["p"])");
  CHECK(show(parse(R"({"process.parent":{"name":"p"}})").values("process.parent.name")) == R"(["p"])");
  // Both spellings in one document: all values, in document order.
  CHECK(show(parse(R"({"a":{"b":1},"a.b":2})").values("a.b")) == "[1,2]");
  CHECK(parse(R"({"process":{"name":"a"}})").values("process").empty());  // objects hold no value
}

TEST_CASE("arrays add no path component; arrays of objects gather each member") {
  CHECK(show(parse(R"({"a":[{"b":1},{"b":2},{"c":3}]})").values("a.b")) == "[1,2]");
  CHECK(show(parse(R"({"a":[[1,2],[3]]})").values("a")) == "[1,2,3]");
  CHECK(show(parse(R"({"args":["cmd.exe","/c"]})").values("args")) == R"(["cmd.exe","/c"])");
}

TEST_CASE("scalars keep their types: int64 exactly, doubles, booleans, null vs missing") {
  Event e = parse(R"({"big":9223372036854775807,"neg":-9007199254740993,"d":1.5,"t":true,"n":null,"e":[],
                     "huge":18446744073709551615,"s":"x\u00e9\n"})");
  CHECK(e.values("big")[0].integer == INT64_MAX);
  CHECK(e.values("neg")[0].integer == -9007199254740993LL);
  CHECK(e.values("d")[0].number == 1.5);
  CHECK(e.values("t")[0].is_true());
  REQUIRE(e.values("n").size() == 1);
  CHECK(e.values("n")[0].is_null());  // explicit null is kept (a mapping null_value may apply)
  CHECK(e.values("e").empty());       // [] leaves no value, like a missing field
  CHECK(e.values("missing").empty());
  CHECK(e.values("huge")[0].kind == ValueKind::Double);  // beyond int64
  CHECK(e.values("s")[0].string == "x\xC3\xA9\n");
}

TEST_CASE("set() adds derived fields and copies keep their own storage") {
  Event e = parse(R"({"a":"x"})");
  e.set("@timestamp", Value::of_string("2024-01-01T00:00:00Z"));
  Event copy = e;
  e.set("a", Value::of_string("changed"));
  CHECK(copy.first("a").string == "x");
  CHECK(copy.first("@timestamp").string == "2024-01-01T00:00:00Z");
  CHECK(e.first("a").string == "changed");
}

TEST_CASE("NDJSON: a malformed line is reported as file:line:column and skipped, no event lost") {
  auto got = read_text("{\"a\":1}\n\n{\"a\":2,}\n[1]\n{\"a\":3}\r\n{\"a\":4}");
  REQUIRE(got.events.size() == 3);
  CHECK(got.events[0].first("a").integer == 1);
  CHECK(got.events[2].first("a").integer == 4);
  REQUIRE(got.problems.size() == 2);
  CHECK(got.problems[0].rfind("t.json:3:", 0) == 0);
  CHECK(got.problems[1].rfind("t.json:4:", 0) == 0);
  CHECK(got.summary.skipped == 2);
  CHECK(got.events[1].ordinal == 1);
}

TEST_CASE("a JSON array, a pretty-printed document and a search response") {
  auto array = read_text("[\n  {\"a\": 1},\n  {\"a\": [2, 3]}\n]\n");
  REQUIRE(array.events.size() == 2);
  CHECK(array.events[1].values("a").size() == 2);
  CHECK(array.events[0].json() == "{\"a\": 1}");

  auto bad_element = read_text("[{\"a\":1}, 5, {\"a\":2}]");
  CHECK(bad_element.events.size() == 2);
  REQUIRE(bad_element.problems.size() == 1);
  CHECK(bad_element.problems[0].find("not a JSON object") != std::string::npos);

  auto pretty = read_text("{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
  REQUIRE(pretty.events.size() == 1);
  CHECK(pretty.events[0].first("a.b").integer == 1);
  CHECK(pretty.events[0].json() == R"({"a":{"b":1}})");  // one line, for NDJSON output

  auto pretty_array = read_text("[\n  {\n    \"a\": 9007199254740993,\n    \"s\": \"x\\ny\"\n  }\n]");
  REQUIRE(pretty_array.events.size() == 1);
  CHECK(pretty_array.events[0].json() == R"({"a":9007199254740993,"s":"x\ny"})");

  auto response = read_text(R"({"took":3,"hits":{"total":{"value":2},"hits":[
      {"_index":"logs","_id":"1","_source":{"process":{"name":"a"}}},
      {"_index":"logs","_id":"2","_source":{"process":{"name":"b"}}}]}})");
  REQUIRE(response.events.size() == 2);
  CHECK(response.events[1].first("process.name").string == "b");
}

TEST_CASE("timestamps and tiebreakers are extracted once, when the event is read") {
  EventReadOptions options;
  options.tiebreaker_field = "event.sequence";
  auto got = read_text(R"({"@timestamp":"1970-01-01T00:00:01.5Z","event":{"sequence":7}})", options);
  REQUIRE(got.events.size() == 1);
  CHECK(got.events[0].timestamp == std::optional<EpochNanos>(1500000000));
  CHECK(got.events[0].tiebreaker.integer == 7);
}

TEST_CASE("limits: long lines are refused, deep nesting does not crash") {
  EventReadOptions options;
  options.max_line_bytes = 16;
  auto got = read_text("{\"a\":\"0123456789abcdef\"}\n{\"a\":1}\n", options);
  CHECK(got.events.size() == 1);
  REQUIRE(got.problems.size() == 1);
  CHECK(got.problems[0].find("longer than the limit") != std::string::npos);

  // Past the nesting limit (1000 by default) an event is refused; raised, it is read
  // without recursion (tests/hostile_events_test.cpp has more).
  std::string deep = "{\"a\":" + std::string(200000, '[') + "1" + std::string(200000, ']') + "}";
  CHECK(read_text(deep + "\n" + deep + "\n").summary.skipped == 2);
  EventReadOptions deep_options;
  deep_options.max_nesting = 300000;
  auto nested = read_text(deep + "\n" + deep + "\n", deep_options);
  REQUIRE(nested.events.size() == 2);
  CHECK(nested.events[0].first("a").integer == 1);
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"k\":";
  deep_objects += "1" + std::string(100000, '}');
  auto objects = read_text(deep_objects, deep_options);
  REQUIRE(objects.events.size() == 1);
}

TEST_CASE("files: gzip by magic bytes, a UTF-8 byte order mark, unreadable paths") {
  auto dir = std::filesystem::temp_directory_path() / ("eql-events-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string gz = (dir / "e.ndjson.gz").string();
  gzFile file = gzopen(gz.c_str(), "wb");
  REQUIRE(file);
  std::string body = "{\"a\":1}\n{\"a\":2}\n";
  gzwrite(file, body.data(), static_cast<unsigned>(body.size()));
  gzclose(file);
  std::vector<Event> events;
  std::vector<std::string> problems;
  auto sink = [&](Event&& e) {
    events.push_back(std::move(e));
    return true;
  };
  auto problem = [&](const InputProblem& p) { problems.push_back(p.to_string()); };
  read_events(gz, {}, sink, problem);
  CHECK(events.size() == 2);

  std::string bom = (dir / "bom.json").string();
  std::ofstream(bom) << "\xEF\xBB\xBF[{\"a\":3}]";
  read_events(bom, {}, sink, problem);
  CHECK(events.size() == 3);
  CHECK(problems.empty());

  // NDJSON streams: a sink that stops ends the reading; long lines are skipped one by one.
  std::string stream = (dir / "stream.ndjson").string();
  {
    std::ofstream out(stream);
    out << "{\"a\":1}\n{\"a\":\"" << std::string(100, 'x') << "\"}\n{\"a\":2}\n{\"a\":3}\n";
  }
  EventReadOptions small;
  small.max_line_bytes = 50;
  std::size_t seen = 0;
  auto limited = read_events(stream, small, [&](Event&&) { return ++seen < 2; }, problem);
  CHECK(seen == 2);
  CHECK(limited.events == 2);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("stream.ndjson:2:1: line longer") != std::string::npos);
  problems.clear();

  auto summary = read_events((dir / "missing.json").string(), {}, sink, problem);
  CHECK(summary.io_error);
  CHECK(problems.size() == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("random bytes never crash the readers; every reported problem has a position") {
  std::uint64_t state = 0x2545F4914F6CDD1DULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char alphabet[] = "{}[]\":,. \n\\abnul0123456789-eE\xC3\xFF";
  for (int i = 0; i < 2000; ++i) {
    std::string text = i % 2 ? "{\"a\":" : "[";
    for (std::uint64_t n = next() % 40; n > 0; --n) text += alphabet[next() % (sizeof alphabet - 1)];
    auto got = read_text(text);
    for (const auto& problem : got.problems) CHECK(problem.rfind("t.json:", 0) == 0);
  }
}

TEST_CASE("an event without its fields keeps its text and order, and gets its fields back") {
  EventReadOptions options;
  options.tiebreaker_field = "seq";
  Event full = parse(R"({"@timestamp":"2024-01-01T00:00:01.5Z","seq":"b-7","process":{"name":"cmd.exe","args":["a","b"]}})");
  full.ordinal = 41;
  extract_ordering(full, options);
  REQUIRE(full.tiebreaker.kind == ValueKind::String);

  Event thin = full.without_fields();
  CHECK(thin.fields_dropped());
  CHECK_FALSE(full.fields_dropped());
  CHECK(thin.json() == full.json());
  CHECK(thin.entries().empty());
  CHECK(thin.timestamp == full.timestamp);
  CHECK(thin.ordinal == 41);
  CHECK(thin.tiebreaker.string == "b-7");
  CHECK(thin.holds(thin.tiebreaker.string));  // its own copy, not a view into `full`
  CHECK(thin.without_fields().serial() == thin.serial());  // already thin: the same event

  Event back = thin.restored();
  CHECK_FALSE(back.fields_dropped());
  CHECK(back.paths() == full.paths());
  CHECK(show(back.values("process.args")) == R"(["a","b"])");
  CHECK(back.timestamp == full.timestamp);
  CHECK(back.ordinal == 41);
  CHECK(back.tiebreaker.string == "b-7");
  CHECK(back.holds(back.tiebreaker.string));
  CHECK(sequence_order_before(full, back) == false);
  CHECK(sequence_order_before(back, full) == false);

  // A changed event keeps its fields: its JSON text does not tell the change.
  Event changed = full;
  changed.set("process.name", Value::of_string("sh"));
  Event kept = changed.without_fields();
  CHECK_FALSE(kept.fields_dropped());
  CHECK(kept.first("process.name").string == "sh");
}

TEST_CASE("a field selection files only its paths, whatever the document's shape") {
  auto selection = std::make_shared<const FieldSelection>(
      std::vector<std::string>{"process.name", "a.b", "process.parent.pid"});
  CHECK(selection->wants("process.name"));
  CHECK_FALSE(selection->wants("process"));
  CHECK(selection->may_hold("process"));
  CHECK(selection->may_hold("process.parent"));
  CHECK_FALSE(selection->may_hold("process.pid"));
  CHECK_FALSE(selection->may_hold("proc"));  // a prefix of a component is no prefix

  const std::string json =
      R"({"process":{"name":"a","pid":4,"parent.pid":1,"parent":{"name":"p","pid":2}},)"
      R"("process.name":"b","a":[{"b":1},{"c":2},{"b":[3,4]}],"host":{"name":"h"},"z":"\u00e9"})";
  std::string error;
  auto event = parse_event(json, error, nullptr, kDefaultMaxNesting, selection);
  REQUIRE_MESSAGE(event, error);
  CHECK(show(event->values("process.name")) == R"(["a","b"])");
  CHECK(show(event->values("process.parent.pid")) == "[1,2]");  // dotted key and nested, in order
  CHECK(show(event->values("a.b")) == "[1,3,4]");
  CHECK(event->values("process.pid").empty());
  CHECK(event->values("host.name").empty());
  CHECK(event->values("z").empty());
  // The whole document is still checked: an error outside the selected fields is an error.
  CHECK_FALSE(parse_event(R"({"process":{"name":"a"},"host":{"name":)", error, nullptr, kDefaultMaxNesting,
                          selection));
  // Restoring an event whose fields were dropped reads them back with the same selection.
  Event restored = event->without_fields().restored();
  CHECK(show(restored.values("a.b")) == "[1,3,4]");
  CHECK(restored.values("host.name").empty());
  // Without a selection every field is filed.
  CHECK(show(parse(json).values("host.name")) == R"(["h"])");
}

TEST_CASE("the reader files the selected fields; offsets of errors do not depend on the fast path") {
  EventReadOptions options;
  options.fields = std::make_shared<const FieldSelection>(std::vector<std::string>{"@timestamp", "x"});
  Collected read = read_text("{\"@timestamp\":1,\"x\":1,\"y\":2}\n\xEF\xBB\xBF{\"@timestamp\":2,\"x\":2}\n"
                             "{\"@timestamp\":3,\"x\":}\n{\"x\":\"\xC3\"}\n",
                             options);
  REQUIRE(read.events.size() == 2);
  CHECK(read.events[0].values("y").empty());
  CHECK(show(read.events[1].values("x")) == "[2]");
  REQUIRE(read.problems.size() == 2);
  CHECK(read.problems[0].find("t.json:3:21:") == 0);
  CHECK(read.problems[1].find("t.json:4:") == 0);
}
