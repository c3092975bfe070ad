// Sequences and samples, case by case from the documented semantics
// (/work/shared/reference/EQL-SEMANTICS.md, docs/sequences.md). The conformance specs
// cover the rest; missing events and max_samples_per_key > 1 have no spec there.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "eql/parser.h"
#include "eql/sequence.h"
#include "eval_builder.h"

namespace {

/// An event with `id`, a category and a timestamp in milliseconds, plus extra JSON fields.
eql::EventRef event(int id, std::int64_t millis, const std::string& category,
                    const std::string& extra = "") {
  std::string json = "{\"id\": " + std::to_string(id) + ", \"event\": {\"category\": \"" + category +
                     "\"}" + (extra.empty() ? "" : ", " + extra) + "}";
  return eql::testing::timed_event(json, millis, static_cast<std::uint64_t>(id));
}

/// Runs a sequence query; each match is written as its ids ("-" for a missing event) and
/// keys: "1,2|k" .
std::vector<std::string> run_sequence(const std::string& text, const std::vector<eql::EventRef>& events,
                                      eql::SequenceOptions options = {},
                                      eql::SequenceStats* stats = nullptr) {
  auto parsed = eql::parse_query(text);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.diagnostics.empty() ? "" : parsed.diagnostics[0].message));
  auto compiled = eql::SequenceMatcher::compile(*parsed.query->sequence(), options);
  REQUIRE_MESSAGE(compiled.matcher, (compiled.diagnostics.empty() ? "" : compiled.diagnostics[0].message));
  eql::EvalContext context;
  for (const auto& e : events) compiled.matcher->push(e, context);
  compiled.matcher->finish();
  std::vector<std::string> out;
  for (const auto& match : compiled.matcher->take_results()) {
    std::string line;
    for (const auto& e : match.events) {
      if (!line.empty()) line += ",";
      line += e ? std::to_string(e->first("id").integer) : "-";
    }
    std::string keys;
    for (const auto& k : match.keys) keys += (keys.empty() ? "" : ";") + k.display();
    if (!keys.empty()) line += "|" + keys;
    out.push_back(line);
  }
  if (stats) *stats = compiled.matcher->stats();
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("one event can complete a sequence and start the next (later stages first)") {
  std::vector<eql::EventRef> events{event(1, 1, "a"), event(2, 2, "a"), event(3, 3, "a"),
                                    event(4, 4, "a")};
  CHECK(run_sequence("sequence [a where true] [a where true]", events) ==
        Lines{"1,2", "2,3", "3,4"});
}

TEST_CASE("a newer start overwrites the pending sequence of its stage") {
  std::vector<eql::EventRef> events{event(1, 1, "a"), event(2, 2, "a"), event(3, 3, "b")};
  CHECK(run_sequence("sequence [a where true] [b where true]", events) == Lines{"2,3"});
}

TEST_CASE("maxspan is inclusive and counts from the first event") {
  std::vector<eql::EventRef> within{event(1, 0, "a"), event(2, 500, "b"), event(3, 1000, "c")};
  CHECK(run_sequence("sequence with maxspan=1s [a where true] [b where true] [c where true]", within) ==
        Lines{"1,2,3"});
  std::vector<eql::EventRef> beyond{event(1, 0, "a"), event(2, 500, "b"), event(3, 1001, "c")};
  CHECK(run_sequence("sequence with maxspan=1s [a where true] [b where true] [c where true]", beyond).empty());
}

TEST_CASE("until drops the pending sequences of its key, not completed ones") {
  std::vector<eql::EventRef> events{event(1, 1, "a", "\"k\": 1"), event(2, 2, "a", "\"k\": 2"),
                                    event(3, 3, "stop", "\"k\": 1"), event(4, 4, "b", "\"k\": 1"),
                                    event(5, 5, "b", "\"k\": 2")};
  CHECK(run_sequence("sequence by k [a where true] [b where true] until [stop where true]", events) ==
        Lines{"2,5|2"});
}

TEST_CASE("keys: per-term fields match by position; multi-valued keys join on each value") {
  std::vector<eql::EventRef> events{
      event(1, 1, "process", "\"process\": {\"entity_id\": \"p1\"}"),
      event(2, 2, "file", "\"process\": {\"parent\": {\"entity_id\": \"p1\"}}"),
      event(3, 3, "net", "\"tags\": [\"y\", \"x\", \"x\"]"),
      event(4, 4, "dns", "\"tags\": [\"x\", \"z\", \"y\"]"),
  };
  CHECK(run_sequence("sequence [process where true] by process.entity_id "
                     "[file where true] by process.parent.entity_id",
                     events) == Lines{"1,2|p1"});
  CHECK(run_sequence("sequence by tags [net where true] [dns where true]", events) ==
        Lines{"3,4|x", "3,4|y"});
}

TEST_CASE("a non-optional key without a value keeps the event out; an optional one joins as null") {
  std::vector<eql::EventRef> events{event(1, 1, "a"), event(2, 2, "b")};
  CHECK(run_sequence("sequence by user.name [a where true] [b where true]", events).empty());
  CHECK(run_sequence("sequence by ?user.name [a where true] [b where true]", events) == Lines{"1,2|null"});
}

TEST_CASE("runs repeat a term") {
  std::vector<eql::EventRef> events{event(1, 1, "a"), event(2, 2, "a"), event(3, 3, "a"),
                                    event(4, 4, "b")};
  CHECK(run_sequence("sequence [a where true] with runs=3 [b where true]", events) ==
        Lines{"1,2,3,4"});
}

TEST_CASE("missing event in the middle: none may lie between its neighbours") {
  const char* query = "sequence with maxspan=10s [a where true] ![x where true] [b where true]";
  CHECK(run_sequence(query, {event(1, 0, "a"), event(2, 1000, "x"), event(3, 2000, "b")}).empty());
  // An x before the first event or after the last one is outside the gap.
  CHECK(run_sequence(query, {event(1, 0, "x"), event(2, 1000, "a"), event(3, 2000, "b"),
                             event(4, 3000, "x")}) == Lines{"2,-,3"});
}

TEST_CASE("missing events are matched per key") {
  const char* query = "sequence by k with maxspan=10s [a where true] ![x where true] [b where true]";
  CHECK(run_sequence(query, {event(1, 0, "a", "\"k\": 1"), event(2, 1000, "x", "\"k\": 2"),
                             event(3, 2000, "b", "\"k\": 1")}) == Lines{"1,-,3|1"});
}

TEST_CASE("trailing missing event: the window runs to first event + maxspan") {
  const char* query = "sequence with maxspan=5s [a where true] [b where true] ![x where true]";
  CHECK(run_sequence(query, {event(1, 0, "a"), event(2, 1000, "b"), event(3, 5000, "x")}).empty());
  CHECK(run_sequence(query, {event(1, 0, "a"), event(2, 1000, "b"), event(3, 5001, "x")}) ==
        Lines{"1,2,-"});
  // With no later event at all, the end of the input closes the window.
  CHECK(run_sequence(query, {event(1, 0, "a"), event(2, 1000, "b")}) == Lines{"1,2,-"});
}

TEST_CASE("trailing missing event: nothing is reported before the window has passed") {
  auto parsed = eql::parse_query("sequence with maxspan=5s [a where true] ![x where true]");
  REQUIRE(parsed.ok());
  auto compiled = eql::SequenceMatcher::compile(*parsed.query->sequence(), {});
  REQUIRE(compiled.matcher);
  eql::EvalContext context;
  compiled.matcher->push(event(1, 0, "a"), context);
  compiled.matcher->push(event(2, 4000, "other"), context);
  CHECK(compiled.matcher->take_results().empty());  // x could still come at 5 s
  compiled.matcher->push(event(3, 5001, "other"), context);
  CHECK(compiled.matcher->take_results().size() == 1);
}

TEST_CASE("leading missing event: the window reaches back maxspan from the last event") {
  const char* query = "sequence with maxspan=5s ![x where true] [a where true] [b where true]";
  // x at 1 s, last event at 7 s: 7 - 5 = 2 s > 1 s, so x is outside the window.
  CHECK(run_sequence(query, {event(1, 1000, "x"), event(2, 3000, "a"), event(3, 7000, "b")}) ==
        Lines{"-,2,3"});
  // x at 2 s is inside the window (inclusive).
  CHECK(run_sequence(query, {event(1, 2000, "x"), event(2, 3000, "a"), event(3, 7000, "b")}).empty());
}

TEST_CASE("leading and trailing missing events: a window of length maxspan floats") {
  const char* query = "sequence with maxspan=10s ![x where true] [a where true] ![y where true]";
  // x at 0, a at 5 s, y at 14 s: the window [1 s, 11 s] holds neither x nor y.
  CHECK(run_sequence(query, {event(1, 0, "x"), event(2, 5000, "a"), event(3, 14000, "y")}) ==
        Lines{"-,2,-"});
  // x at 0, a at 5 s, y at 9 s: every window holding a (start in [0, 5 s]) holds x or y.
  CHECK(run_sequence(query, {event(1, 0, "x"), event(2, 5000, "a"), event(3, 9000, "y")}).empty());
}

TEST_CASE("missing events with runs and keys") {
  const char* query =
      "sequence by k with maxspan=1m [a where true] with runs=2 ![x where true] [b where true]";
  CHECK(run_sequence(query, {event(1, 0, "a", "\"k\": \"h\""), event(2, 1000, "a", "\"k\": \"h\""),
                             event(3, 2000, "x", "\"k\": \"other\""), event(4, 3000, "b", "\"k\": \"h\"")}) ==
        Lines{"1,2,-,4|h"});
  CHECK(run_sequence(query, {event(1, 0, "a", "\"k\": \"h\""), event(2, 1000, "a", "\"k\": \"h\""),
                             event(3, 2000, "x", "\"k\": \"h\""), event(4, 3000, "b", "\"k\": \"h\"")})
            .empty());
}

TEST_CASE("pending state expires with event time and is capped") {
  std::vector<eql::EventRef> events;
  for (int i = 0; i < 1000; ++i) {
    events.push_back(event(i + 1, i * 1000, "a", "\"k\": " + std::to_string(i)));
  }
  eql::SequenceStats stats;
  run_sequence("sequence by k with maxspan=10s [a where true] [b where true]", events, {}, &stats);
  CHECK(stats.peak_pending <= 12);  // only the last ~10 s of starts can still complete
  CHECK(stats.expired >= 980);
  CHECK(stats.keys <= 12);

  eql::SequenceOptions capped;
  capped.max_pending = 100;
  run_sequence("sequence by k [a where true] [b where true]", events, capped, &stats);
  CHECK(stats.pending == 100);
  CHECK(stats.evicted == 900);
}

TEST_CASE("results come in completion order, ties by first event then key") {
  std::vector<eql::EventRef> events{event(1, 1, "a", "\"k\": [\"z\", \"m\"]"), event(2, 2, "a", "\"k\": \"q\""),
                                    event(3, 3, "b", "\"k\": [\"q\", \"m\", \"z\"]")};
  CHECK(run_sequence("sequence by k [a where true] [b where true]", events) ==
        Lines{"1,3|m", "1,3|z", "2,3|q"});
}

TEST_CASE("samples: one event per filter, several samples per key, keys in order") {
  std::vector<eql::EventRef> events{
      event(1, 50, "a", "\"h\": \"web\""), event(2, 10, "b", "\"h\": \"web\""),
      event(3, 40, "a", "\"h\": \"db\""),  event(4, 30, "b", "\"h\": \"db\""),
      event(5, 20, "a", "\"h\": \"web\""), event(6, 60, "b", "\"h\": \"web\""),
      event(7, 70, "a", "\"h\": \"web\""),
  };
  auto run = [&](std::size_t per_key) {
    auto parsed = eql::parse_query("sample by h [a where true] [b where true]");
    REQUIRE(parsed.ok());
    eql::SampleOptions options;
    options.max_samples_per_key = per_key;
    auto compiled = eql::SampleMatcher::compile(*parsed.query->sample(), options);
    REQUIRE(compiled.matcher);
    eql::EvalContext context;
    for (const auto& e : events) compiled.matcher->push(e, context);
    Lines out;
    for (const auto& s : compiled.matcher->finish()) {
      std::string line;
      for (const auto& e : s.events) line += std::to_string(e->first("id").integer) + ",";
      out.push_back(line + s.keys[0].display());
    }
    return out;
  };
  CHECK(run(1) == Lines{"3,4,db", "1,2,web"});
  CHECK(run(2) == Lines{"3,4,db", "1,2,web", "5,6,web"});
  CHECK(run(5) == Lines{"3,4,db", "1,2,web", "5,6,web"});  // no third b for web
}

namespace {

/// Runs a sequence query over events whose term verdicts the caller decides (the push that
/// takes them); the events' own categories match no term.
std::vector<std::string> run_with_verdicts(const std::string& text,
                                           const std::vector<std::pair<int, std::uint64_t>>& pushes) {
  auto parsed = eql::parse_query(text);
  REQUIRE(parsed.ok());
  auto compiled = eql::SequenceMatcher::compile(*parsed.query->sequence(), {});
  REQUIRE(compiled.matcher);
  eql::EvalContext context;
  for (const auto& [id, verdicts] : pushes) compiled.matcher->push(event(id, id * 1000, "none"), context, verdicts);
  compiled.matcher->finish();
  std::vector<std::string> out;
  for (const auto& match : compiled.matcher->take_results()) {
    std::string line;
    for (const auto& e : match.events) line += (line.empty() ? "" : ",") + std::to_string(e->first("id").integer);
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("term verdicts given to push decide the stages instead of the filters") {
  const char* query = "sequence [a where true] [b where true] until [u where true]";
  CHECK(run_with_verdicts(query, {{1, 0b001}, {2, 0b010}}) == Lines{"1,2"});
  // Bit 2 (after the terms) is `until`: it drops the pending sequence.
  CHECK(run_with_verdicts(query, {{1, 0b001}, {2, 0b100}, {3, 0b010}}).empty());
  // No verdict set: the event is no stage's, whatever its filters would say.
  CHECK(run_with_verdicts("sequence [none where true] [none where true]", {{1, 0}, {2, 0}}).empty());
  // `with runs=2` repeats term 0: both of its stages follow bit 0, the next term bit 1.
  CHECK(run_with_verdicts("sequence [a where true] with runs=2 [b where true]",
                          {{1, 0b01}, {2, 0b01}, {3, 0b10}}) == Lines{"1,2,3"});
}

TEST_CASE("missing events and the order of results follow the order events are pushed in, not input positions") {
  // Out-of-order input is pushed sorted by time: an event read later may come first. Here
  // the ids (which are the input positions) disagree with time.
  // Trailing: the `b` comes before the `a` in time, so the window after `a` holds none.
  CHECK(run_sequence("sequence with maxspan=1m [a where true] ![b where true]",
                     {event(2, 5, "b"), event(1, 10, "a")}) == Lines{"1,-"});
  // Middle: the `b` lies between `a` and `c` in time: no sequence.
  CHECK(run_sequence("sequence with maxspan=1m [a where true] ![b where true] [c where true]",
                     {event(3, 1, "a"), event(1, 2, "b"), event(2, 3, "c")})
            .empty());
  // Leading: the `b` comes after the `a` in time, so the window before `a` holds none.
  CHECK(run_sequence("sequence with maxspan=1m ![b where true] [a where true] [c where true]",
                     {event(3, 1, "a"), event(1, 2, "b"), event(2, 3, "c")}) == Lines{"-,3,2"});
  // Results come in the order they completed in, the same order.
  CHECK(run_sequence("sequence [a where true] [b where true]",
                     {event(4, 1, "a"), event(3, 2, "b"), event(2, 3, "a"), event(1, 4, "b")}) ==
        Lines{"4,3", "2,1"});
}
