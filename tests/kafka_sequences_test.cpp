// Sequences and samples in Kafka mode (src/kafka/sequences.h): where an event is forwarded,
// one runner per repartition partition, input events forwarded twice pushed once, and the
// alerts a replay makes again not written twice. The multi-process proof is
// kafka_cluster_test.py (sequences).
#include <doctest/doctest.h>

#if EQL_WITH_KAFKA

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "eql/event.h"
#include "eql/runner.h"
#include "kafka/sequences.h"

namespace eql::kafka {
namespace {

Rule rule_of(const std::string& name, const std::string& query) {
  Rule rule;
  rule.name = name;
  rule.rule_id = name;
  rule.query = query;
  rule.language = "eql";
  rule.type = "eql";
  rule.has_query = true;
  return rule;
}

Event event_of(const std::string& host, const std::string& process, int second) {
  std::string json = R"({"@timestamp":"2024-01-01T00:00:)" + std::string(second < 10 ? "0" : "") +
                     std::to_string(second) + R"(Z","event":{"category":"process"},"host":{"id":")" + host +
                     R"("},"process":{"name":")" + process + R"("}})";
  std::string error;
  std::optional<Event> event = parse_event(json, error);
  REQUIRE_MESSAGE(event, error);
  extract_ordering(*event, EventReadOptions{});
  return std::move(*event);
}

struct Emitted {
  std::string rule;
  std::string id;
  std::int32_t partition = -1;
};

struct Fixture {
  RuleRunner runner;
  std::vector<Emitted> emitted;
  std::unique_ptr<SequenceStage> stage;

  explicit Fixture(std::int32_t partitions) {
    REQUIRE(runner.add_rule(rule_of("event", R"(process where process.name == "a")")).empty());
    REQUIRE(runner.add_rule(rule_of("by host", R"(sequence by host.id [process where process.name == "a"]
                                                     [process where process.name == "b"])"))
                .empty());
    REQUIRE(runner.add_rule(rule_of("no key", R"(sequence [process where process.name == "x"]
                                                    [process where process.name == "y"])"))
                .empty());
    RunnerOptions stream;
    stream.order = RunnerOptions::Order::Stream;
    stage = std::make_unique<SequenceStage>(runner, "host.id", partitions, stream,
                                            [this](Alert&& alert, std::int32_t partition, std::int64_t) {
                                              emitted.push_back({runner.rule(alert.rule).name, alert.id, partition});
                                            });
  }

  std::vector<std::int32_t> route(const Event& event) {
    std::vector<std::int32_t> out;
    stage->route(runner, event, out);
    return out;
  }
};

TEST_CASE("kafka sequences: an event goes to the partitions of the rules that can use it") {
  Fixture fixture(4);
  CHECK(fixture.stage->rule_count() == 2);
  CHECK(fixture.stage->partitioned_count() == 1);
  // "a" and "b" of one host go to one partition, the same on every call (and worker).
  std::vector<std::int32_t> a = fixture.route(event_of("h1", "a", 1));
  std::vector<std::int32_t> b = fixture.route(event_of("h1", "b", 2));
  REQUIRE(a.size() == 1);
  CHECK(a == b);
  CHECK(fixture.route(event_of("h1", "a", 3)) == a);
  // The rule without a join key runs in one partition: "x" and "y" of any host go there.
  std::vector<std::int32_t> x = fixture.route(event_of("h1", "x", 4));
  REQUIRE(x.size() == 1);
  CHECK(fixture.route(event_of("h7", "y", 5)) == x);
  // No sequence or sample can use it: not forwarded.
  CHECK(fixture.route(event_of("h1", "other", 6)).empty());
  // Spread over the partitions by host.
  std::set<std::int32_t> seen;
  for (int host = 0; host < 40; ++host) seen.insert(fixture.route(event_of("h" + std::to_string(host), "b", 7))[0]);
  CHECK(seen.size() == 4);
}

TEST_CASE("kafka sequences: duplicates skipped by input position, written alerts not written again") {
  Fixture fixture(2);
  const std::int32_t partition = fixture.route(event_of("h1", "a", 1))[0];
  auto replay = [&](std::int32_t input_partition) {
    fixture.stage->push(partition, 0, input_partition, 10, event_of("h1", "a", 1));
    fixture.stage->push(partition, 1, input_partition, 11, event_of("h1", "b", 2));
    // Forwarded again by the next owner of the input partition (re-read from its commit).
    fixture.stage->push(partition, 2, input_partition, 11, event_of("h1", "b", 2));
    fixture.stage->push(partition, 3, input_partition, 10, event_of("h1", "a", 1));
    fixture.stage->finish();
  };
  fixture.stage->assign(partition, {});
  replay(5);
  REQUIRE(fixture.emitted.size() == 1);
  CHECK(fixture.emitted[0].rule == "by host");
  CHECK(fixture.emitted[0].partition == partition);
  CHECK(fixture.stage->duplicates() == 2);
  CHECK(fixture.stage->alerts() == 1);
  // Given to a worker again (replayed from the start): the id found in the alerts topic is
  // made again and not written; a partition not owned ignores its messages.
  fixture.stage->assign(partition, {fixture.emitted[0].id});
  replay(5);
  CHECK(fixture.emitted.size() == 1);
  CHECK(fixture.stage->suppressed() == 1);
  fixture.stage->revoke(partition);
  CHECK_FALSE(fixture.stage->owns(partition));
  fixture.stage->push(partition, 4, 5, 12, event_of("h1", "a", 3));
  CHECK(fixture.emitted.size() == 1);
}

TEST_CASE("kafka sequences: a key's alert comes from its own partition only") {
  // An event with two hosts reaches both their partitions; the match is written once, by
  // the partition of the key it matched on.
  Fixture fixture(8);
  std::string two_hosts = R"({"@timestamp":"2024-01-01T00:00:01Z","event":{"category":"process"},)"
                          R"("host":{"id":["h1","h2"]},"process":{"name":"a"}})";
  std::string error;
  std::optional<Event> first = parse_event(two_hosts, error);
  REQUIRE(first);
  extract_ordering(*first, EventReadOptions{});
  std::vector<std::int32_t> owners = fixture.route(*first);
  const std::int32_t h1 = fixture.route(event_of("h1", "b", 2))[0];
  const std::int32_t h2 = fixture.route(event_of("h2", "b", 2))[0];
  REQUIRE(h1 != h2);  // FNV-1a of "h1" and "h2" modulo 8
  CHECK(owners == std::vector<std::int32_t>{std::min(h1, h2), std::max(h1, h2)});
  for (std::int32_t partition : owners) {
    fixture.stage->assign(partition, {});
    fixture.stage->push(partition, 0, 0, 0, Event(*first));
    fixture.stage->push(partition, 1, 0, 1, event_of("h1", "b", 2));
  }
  fixture.stage->finish();
  REQUIRE(fixture.emitted.size() == 1);
  CHECK(fixture.emitted[0].partition == h1);
}

}  // namespace
}  // namespace eql::kafka

#endif
