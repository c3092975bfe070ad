// The runner on a live stream (RunnerOptions::max_delay_ms, RuleRunner::release_overdue):
// a quiet stream's reorder window lets go of what has waited long enough in wall-clock
// time, in time order; later events with an earlier time are late.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "eql/event.h"
#include "eql/runner.h"
#include "run_harness.h"

namespace eql {
namespace {

Event event_at(const std::string& time, const std::string& name) {
  std::string error;
  auto event = parse_event(R"({"@timestamp":")" + time + R"(","event":{"category":"process"},"host":{"id":"h"},)" +
                               R"("process":{"name":")" + name + R"("}})",
                           error);
  REQUIRE(event);
  extract_ordering(*event, EventReadOptions{});
  return std::move(*event);
}

struct LiveRun {
  RuleRunner runner;
  std::vector<std::string> alerts;  // the names of each alert's last event
  explicit LiveRun(std::int64_t max_delay_ms) : runner(options(max_delay_ms)) {
    runner.add_rule(testing::rule_of("seq", "sequence by host.id [process where process.name == \"a\"] "
                                            "[process where process.name == \"b\"]"));
    runner.set_alert_sink([this](Alert&& alert) {
      alerts.push_back(to_display_string(alert.events.back()->first("process.name")));
    });
  }
  static RunnerOptions options(std::int64_t max_delay_ms) {
    RunnerOptions options;
    options.order = RunnerOptions::Order::Stream;
    options.max_delay_ms = max_delay_ms;
    return options;
  }
};

TEST_CASE("live stream: a quiet window releases after max_delay_ms of wall-clock time") {
  LiveRun live(100);
  live.runner.push(event_at("2024-01-01T00:00:00Z", "a"), "");
  live.runner.push(event_at("2024-01-01T00:00:01Z", "b"), "");
  live.runner.release_overdue();
  CHECK(live.alerts.empty());  // not yet waited long enough
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  live.runner.release_overdue();
  CHECK(live.alerts == std::vector<std::string>{"b"});
  // Released: an event with an earlier time than what went is late now, and counted.
  live.runner.push(event_at("2024-01-01T00:00:00.500Z", "a"), "");
  CHECK(live.runner.stats().late_events == 1);
  live.runner.finish();
  CHECK(live.alerts.size() == 1);
}

TEST_CASE("live stream: without max_delay_ms the window waits for newer events or the end") {
  LiveRun live(0);
  live.runner.push(event_at("2024-01-01T00:00:00Z", "a"), "");
  live.runner.push(event_at("2024-01-01T00:00:01Z", "b"), "");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  live.runner.release_overdue();
  CHECK(live.alerts.empty());
  live.runner.finish();
  CHECK(live.alerts == std::vector<std::string>{"b"});
}

TEST_CASE("live stream: release keeps time order, up to the newest overdue event") {
  LiveRun live(50);
  // Out of order within the window: b (at 2s) came before a (at 1s), then a newer a at 3s.
  live.runner.push(event_at("2024-01-01T00:00:02Z", "b"), "");
  live.runner.push(event_at("2024-01-01T00:00:01Z", "a"), "");
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  live.runner.push(event_at("2024-01-01T00:00:03Z", "a"), "");
  live.runner.release_overdue();
  // a@1 then b@2 were released in time order (a match); a@3 has not waited long enough.
  CHECK(live.alerts == std::vector<std::string>{"b"});
  live.runner.push(event_at("2024-01-01T00:00:04Z", "b"), "");
  live.runner.finish();
  CHECK(live.alerts == std::vector<std::string>{"b", "b"});
}

}  // namespace
}  // namespace eql
