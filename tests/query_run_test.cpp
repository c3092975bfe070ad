// The query run (eql/query.h): event queries, sequences and samples with their pipes and
// limits, over small event lists with known answers; the three orderings of a sequence's
// events agree where they should, and the stream window counts what comes too late.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "eql/parser.h"
#include "eql/query.h"

namespace {

// id, @timestamp in seconds, category, host.
struct Row {
  int id;
  int seconds;
  const char* category;
  const char* host;
};

const std::vector<Row> kRows{
    {1, 1, "process", "a"}, {2, 2, "network", "a"}, {3, 3, "process", "b"}, {4, 4, "network", "b"},
    {5, 5, "process", "a"}, {6, 6, "file", "a"},    {7, 7, "network", "a"}, {8, 8, "process", "c"},
};

eql::Event event_of(const Row& row, std::uint64_t ordinal) {
  std::string json = "{\"id\":" + std::to_string(row.id) + ",\"event\":{\"category\":\"" + row.category +
                     "\"},\"host\":{\"name\":\"" + row.host + "\"}}";
  std::string error;
  std::optional<eql::Event> event = eql::parse_event(json, error);
  REQUIRE_MESSAGE(event, error);
  event->timestamp = std::int64_t{row.seconds} * 1'000'000'000;
  event->ordinal = ordinal;
  return std::move(*event);
}

struct Outcome {
  std::vector<std::string> results;  ///< ids per result: "3" for an event, "1,2" for a match
  eql::QueryRunStats stats;
  bool compiled = true;
};

std::string id_of(const eql::EventRef& event) {
  return event ? eql::to_display_string(event->first("id")) : "-";
}

// Runs `text` over `rows` pushed in the order given.
Outcome run(const std::string& text, const std::vector<Row>& rows, eql::QueryRunOptions options = {}) {
  eql::ParseOptions parse_options;
  parse_options.extension_pipes = true;
  eql::ParseResult parsed = eql::parse_query(text, parse_options);
  REQUIRE_MESSAGE(parsed.ok(), text);
  Outcome outcome;
  eql::QuerySink sink;
  sink.event = [&](const eql::EventRef& event) { outcome.results.push_back(id_of(event)); };
  sink.match = [&](const eql::JoinResult& match) {
    std::string ids;
    for (const auto& event : match.events) ids += (ids.empty() ? "" : ",") + id_of(event);
    outcome.results.push_back(ids);
  };
  eql::QueryRunCompileResult compiled = eql::QueryRun::compile(*parsed.query, options, sink);
  if (!compiled.run) {
    outcome.compiled = false;
    return outcome;
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!compiled.run->push(event_of(rows[i], i))) break;
  }
  compiled.run->finish();
  outcome.stats = compiled.run->stats();
  return outcome;
}

eql::QueryRunOptions ordered(eql::QueryRunOptions::Order order, std::int64_t lateness_ms = 10'000) {
  eql::QueryRunOptions options;
  options.order = order;
  options.max_lateness_ms = lateness_ms;
  return options;
}

using Ids = std::vector<std::string>;

// kRows with neighbours swapped: 2 before 1, 4 before 3, ...
std::vector<Row> swapped_rows() {
  std::vector<Row> rows = kRows;
  for (std::size_t i = 0; i + 1 < rows.size(); i += 2) std::swap(rows[i], rows[i + 1]);
  return rows;
}

}  // namespace

TEST_CASE("an event query gives its matches in time order, cut by head, tail and size") {
  using Order = eql::QueryRunOptions::Order;
  CHECK(run("process where true", kRows).results == Ids{"1", "3", "5", "8"});
  CHECK(run("process where true", swapped_rows(), ordered(Order::Exact)).results == Ids{"1", "3", "5", "8"});
  CHECK(run("process where true | tail 2", swapped_rows(), ordered(Order::Exact)).results == Ids{"5", "8"});
  CHECK(run("process where true | head 3 | tail 2", kRows, ordered(Order::Exact)).results == Ids{"3", "5"});
  eql::QueryRunOptions sized = ordered(Order::Exact);
  sized.size = 1;
  Outcome cut = run("process where true | tail 3", kRows, sized);
  CHECK(cut.results == Ids{"8"});  // the size from the end after a tail
  CHECK(cut.stats.matched == 4);   // every match counted, shown or not
}

TEST_CASE("an event query's hunting pipes run over its ordered matches") {
  Outcome counted = run("any where true | count host.name", kRows, ordered(eql::QueryRunOptions::Order::Exact));
  REQUIRE(counted.results.size() == 3);
  CHECK(run("any where true | unique host.name", kRows).results == Ids{"1", "3", "8"});
}

TEST_CASE("a sequence gives the same matches held and sorted, through the window, or as given") {
  using Order = eql::QueryRunOptions::Order;
  const std::string query = "sequence by host.name [process where true] [network where true]";
  const Ids expected{"1,2", "3,4", "5,7"};
  CHECK(run(query, kRows).results == expected);
  CHECK(run(query, swapped_rows(), ordered(Order::Exact)).results == expected);
  CHECK(run(query, swapped_rows(), ordered(Order::Stream)).results == expected);
  CHECK(run(query + " | tail 1", swapped_rows(), ordered(Order::Exact)).results == Ids{"5,7"});
  CHECK(run(query + " | head 1", swapped_rows(), ordered(Order::Stream)).results == Ids{"1,2"});
}

TEST_CASE("the stream window drops and counts the events older than what it let through") {
  // No lateness: each event is let through as it comes, so the swapped earlier ones are late.
  Outcome strict = run("sequence by host.name [process where true] [network where true]", swapped_rows(),
                       ordered(eql::QueryRunOptions::Order::Stream, 0));
  CHECK(strict.stats.late == 4);
  CHECK(strict.results.empty());
}

TEST_CASE("a sample takes events in the order pushed and gives its matches by key") {
  Outcome sampled = run("sample by host.name [process where true] [network where true]", kRows);
  CHECK(sampled.results == Ids{"1,2", "3,4"});
  CHECK(sampled.stats.matched == 2);
}

TEST_CASE("hunting pipes after a sequence do not compile") {
  CHECK_FALSE(run("sequence [process where true] [network where true] | count", kRows).compiled);
}
