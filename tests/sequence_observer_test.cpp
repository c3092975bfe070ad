// The SequenceObserver of a SequenceMatcher (eql explain): what it is told when a partial
// sequence runs past maxspan (both ways: expired by a later event's time, and found too old
// by the stage event itself), ends at `until`, a stage event has no partial to continue, or a
// missing-event stage's event drops a candidate (between, before or after its events); and
// that observing changes no result.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "eql/parser.h"
#include "eql/sequence.h"
#include "eval_builder.h"

namespace {

eql::EventRef event(int id, std::int64_t millis, const std::string& category, const std::string& host) {
  std::string json = R"({"event": {"category": ")" + category + R"("}, "host": {"id": ")" + host + R"("}})";
  return eql::testing::timed_event(json, millis, static_cast<std::uint64_t>(id));
}

// Each call as one line: "expired [1] term 1 key h1 at 3 over 500ms".
class Recorder final : public eql::SequenceObserver {
 public:
  std::vector<std::string> lines;
  void expired(const std::vector<eql::EventRef>& partial, std::size_t term, const eql::CompositeKey& key,
               const eql::Event& event, std::int64_t over_nanos) override {
    lines.push_back("expired " + ids(partial) + " term " + std::to_string(term) + " key " + text(key) + " at " +
                    std::to_string(event.ordinal) + " over " + std::to_string(over_nanos / 1'000'000) + "ms");
  }
  void ended(const std::vector<eql::EventRef>& partial, std::size_t term, const eql::CompositeKey& key,
             const eql::Event& until_event) override {
    lines.push_back("until " + ids(partial) + " term " + std::to_string(term) + " key " + text(key) + " at " +
                    std::to_string(until_event.ordinal));
  }
  void unmatched(std::size_t term, const eql::CompositeKey& key, const eql::Event& event) override {
    lines.push_back("unmatched term " + std::to_string(term) + " key " + text(key) + " at " +
                    std::to_string(event.ordinal));
  }
  void missing_found(const std::vector<eql::EventRef>& candidate, std::size_t missing_term,
                     const eql::CompositeKey& key, std::uint64_t missing_ordinal) override {
    lines.push_back("missing " + ids(candidate) + " term " + std::to_string(missing_term) + " key " + text(key) +
                    " at " + std::to_string(missing_ordinal));
  }

 private:
  static std::string ids(const std::vector<eql::EventRef>& events) {
    std::string out = "[";
    for (const auto& e : events) out += (out.size() > 1 ? "," : "") + std::to_string(e->ordinal);
    return out + "]";
  }
  static std::string text(const eql::CompositeKey& key) {
    std::string out;
    for (const auto& value : key) out += value.display();
    return out;
  }
};

// Runs `query` over `events` with and without an observer; the results must agree.
std::vector<std::string> observe(const std::string& query, const std::vector<eql::EventRef>& events) {
  auto parsed = eql::parse_query(query);
  REQUIRE(parsed.ok());
  std::size_t results[2] = {0, 0};
  Recorder recorder;
  for (int observed = 0; observed < 2; ++observed) {
    auto compiled = eql::SequenceMatcher::compile(*parsed.query->sequence(), {});
    REQUIRE(compiled.matcher);
    if (observed) compiled.matcher->set_observer(&recorder);
    eql::EvalContext context;
    for (const auto& e : events) compiled.matcher->push(e, context);
    compiled.matcher->finish();
    results[observed] = compiled.matcher->take_results().size();
  }
  CHECK(results[0] == results[1]);
  return recorder.lines;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("observer: a partial expired by a later event's time, then a stage event without a partial") {
  // 1 starts h1 at 0 ms; 2 (another category) at 1500 ms passes the 1 s deadline; 3 is stage 2.
  Lines lines = observe("sequence by host.id with maxspan=1s [a where true] [b where true]",
                        {event(1, 0, "a", "h1"), event(2, 1500, "c", "h1"), event(3, 1600, "b", "h1")});
  CHECK(lines == Lines{"expired [1] term 1 key h1 at 2 over 500ms", "unmatched term 1 key h1 at 3"});
}

TEST_CASE("observer: the stage event itself finds its partial too old") {
  Lines lines = observe("sequence by host.id with maxspan=1s [a where true] [b where true] [c where true]",
                        {event(1, 0, "a", "h1"), event(2, 900, "b", "h1"), event(3, 1000, "c", "h1"),
                         event(4, 2000, "a", "h1"), event(5, 2500, "b", "h1"), event(6, 3001, "c", "h1")});
  // 1-2-3 completes; 4-5 waits for c, and 6 comes 1001 ms after 4: past the deadline of
  // 4 + 1 s, the heap drops it first.
  CHECK(lines == Lines{"expired [4,5] term 2 key h1 at 6 over 1ms", "unmatched term 2 key h1 at 6"});
}

TEST_CASE("observer: until ends the partials of its key only") {
  Lines lines = observe("sequence by host.id [a where true] [b where true] until [c where true]",
                        {event(1, 0, "a", "h1"), event(2, 1, "a", "h2"), event(3, 2, "c", "h1"),
                         event(4, 3, "b", "h1"), event(5, 4, "b", "h2")});
  CHECK(lines == Lines{"until [1] term 1 key h1 at 3", "unmatched term 1 key h1 at 4"});
}

TEST_CASE("observer: a stage event of another key") {
  Lines lines = observe("sequence by host.id [a where true] [b where true]",
                        {event(1, 0, "a", "h1"), event(2, 1, "b", "h2"), event(3, 2, "b", "h1")});
  CHECK(lines == Lines{"unmatched term 1 key h2 at 2"});
}

TEST_CASE("observer: a missing-event stage's event between two stages drops the candidate") {
  Lines lines = observe("sequence by host.id with maxspan=1m [a where true] ![m where true] [b where true]",
                        {event(1, 0, "a", "h1"), event(2, 1, "m", "h2"), event(3, 2, "m", "h1"),
                         event(4, 3, "b", "h1"), event(5, 4, "a", "h2"), event(6, 5, "b", "h2")});
  // h2's `m` (2) comes before its sequence 5-6: that one completes.
  CHECK(lines == Lines{"missing [1,4] term 1 key h1 at 3"});
}

TEST_CASE("observer: a leading missing event within maxspan drops the candidate") {
  Lines lines = observe("sequence by host.id with maxspan=1s ![m where true] [a where true] [b where true]",
                        {event(1, 0, "m", "h1"), event(2, 500, "a", "h1"), event(3, 900, "b", "h1"),
                         event(4, 5000, "a", "h1"), event(5, 5100, "b", "h1")});
  CHECK(lines == Lines{"missing [2,3] term 0 key h1 at 1"});
}

TEST_CASE("observer: a trailing missing event within maxspan drops the candidate") {
  Lines lines = observe("sequence by host.id with maxspan=1s [a where true] [b where true] ![m where true]",
                        {event(1, 0, "a", "h1"), event(2, 100, "b", "h1"), event(3, 800, "m", "h1"),
                         event(4, 5000, "a", "h1"), event(5, 5100, "b", "h1")});
  CHECK(lines == Lines{"missing [1,2] term 2 key h1 at 3"});
}
