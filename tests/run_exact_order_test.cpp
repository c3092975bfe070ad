// RuleRunner's optimistic exact order (RunnerOptions::optimistic): sequences run through the
// reorder windows and their alerts wait for finish(); when the input turns out not to be in
// time order the caller pushes it a second time and the held replay decides. Either way the
// alerts must be those of the held exact order, in the same order: ties in input order,
// events without a timestamp, maxspan, `until`, --max-pending evictions, a rule's own
// timestamp field and tiebreaker.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "eql/event.h"
#include "eql/runner.h"
#include "run_harness.h"

using namespace eql;
using eql::testing::rule_of;

namespace {

struct Run {
  std::vector<std::string> alerts;  // "rule-id keys: ordinal,ordinal,..." in output order
  bool reread = false;
  OutOfOrder::Why why = OutOfOrder::Why::Late;
  RunnerStats stats;
};

// The events are pushed as a file would be by `eql run`: once, and a second time when the
// runner asks for it.
Run run_rules(const std::vector<Rule>& rules, const std::vector<std::string>& events, bool optimistic,
              RunnerOptions options = {}) {
  options.order = RunnerOptions::Order::Exact;
  options.optimistic = optimistic;
  RuleRunner runner(options);
  for (const Rule& rule : rules) REQUIRE_FALSE(has_errors(runner.add_rule(rule)));
  Run result;
  runner.set_alert_sink([&](Alert&& alert) {
    std::string text = runner.rule(alert.rule).rule_id + " " +
                       (alert.join_keys.empty() ? std::string() : alert.join_keys[0].display()) + ":";
    for (const EventRef& event : alert.events) text += " " + (event ? std::to_string(event->ordinal) : "-");
    result.alerts.push_back(text);
  });
  auto push_all = [&] {
    for (const std::string& json : events) {
      std::string error;
      std::optional<Event> event = parse_event(json, error);
      REQUIRE_MESSAGE(event, error);
      extract_ordering(*event, EventReadOptions{});
      runner.push(std::move(*event), "");
    }
  };
  push_all();
  if (runner.out_of_order()) {
    CHECK(optimistic);
    result.reread = true;
    result.why = runner.out_of_order()->why;
    runner.begin_second_pass();
    push_all();
  }
  runner.finish();
  result.stats = runner.stats();
  return result;
}

std::string event(const std::string& time, const std::string& category, const std::string& host,
                  const std::string& extra = "") {
  std::string json = R"({"event":{"category":")" + category + R"("},"host":{"id":")" + host + R"("})";
  if (!time.empty()) json += R"(,"@timestamp":")" + time + R"(")";
  if (!extra.empty()) json += "," + extra;
  return json + "}";
}

// The optimistic run gives the held run's alerts, in order, and the same counters; returns it.
Run same_as_held(const std::vector<Rule>& rules, const std::vector<std::string>& events, bool reread_expected,
                 RunnerOptions options = {}) {
  Run held = run_rules(rules, events, false, options);
  Run optimistic = run_rules(rules, events, true, options);
  CHECK_FALSE(held.reread);
  CHECK(optimistic.reread == reread_expected);
  CHECK(optimistic.alerts == held.alerts);
  CHECK(optimistic.stats.events == held.stats.events);
  CHECK(optimistic.stats.evaluations == held.stats.evaluations);
  CHECK(optimistic.stats.untimed_events == held.stats.untimed_events);
  CHECK(optimistic.stats.late_events == 0);
  return optimistic;
}

const std::string kT = "2026-01-01T00:00:";

}  // namespace

TEST_CASE("optimistic exact order: equal timestamps are taken in input order") {
  std::vector<Rule> rules{rule_of("seq", "sequence by host.id [process where true] [network where true]")};
  // All at one instant: the first process event of each host starts the sequence.
  std::vector<std::string> events{event(kT + "01Z", "network", "a"), event(kT + "01Z", "process", "a"),
                                  event(kT + "01Z", "process", "b"), event(kT + "01Z", "network", "a"),
                                  event(kT + "01Z", "network", "b"), event(kT + "01Z", "process", "a"),
                                  event(kT + "01Z", "network", "a")};
  Run run = same_as_held(rules, events, false);
  CHECK(run.alerts == std::vector<std::string>{"seq a: 1 3", "seq b: 2 4", "seq a: 5 6"});
}

TEST_CASE("optimistic exact order: disorder within the window is sorted, beyond it the input is re-read") {
  std::vector<Rule> rules{rule_of("seq", "sequence by host.id [process where true] [network where true]"),
                          rule_of("evt", "network where true")};
  // The process event of host a (input 2) comes after events 5s and 13s later than it.
  std::vector<std::string> events{event(kT + "06Z", "network", "a"), event(kT + "14Z", "process", "b"),
                                  event(kT + "01Z", "process", "a"), event(kT + "15Z", "network", "b")};
  Run within = same_as_held(rules, events, false);
  // Event-rule alerts come as the events are read; sequence alerts at the end.
  CHECK(within.alerts == std::vector<std::string>{"evt : 0", "evt : 3", "seq a: 2 0", "seq b: 1 3"});
  RunnerOptions narrow;
  narrow.max_lateness_ms = 2'000;
  Run beyond = same_as_held(rules, events, true, narrow);
  CHECK(beyond.alerts == within.alerts);
  CHECK(beyond.why == OutOfOrder::Why::Late);
}

TEST_CASE("optimistic exact order: the first late event is named with how far behind it is") {
  RunnerOptions options;
  options.order = RunnerOptions::Order::Exact;
  options.optimistic = true;
  options.max_lateness_ms = 1'000;
  RuleRunner runner(options);
  REQUIRE_FALSE(has_errors(runner.add_rule(rule_of("seq", "sequence [process where true] [network where true]"))));
  for (const std::string& json : {event(kT + "00Z", "process", "a"), event(kT + "10Z", "process", "a"),
                                  event(kT + "20Z", "process", "a"), event(kT + "08Z", "network", "a"),
                                  event(kT + "01Z", "network", "a")}) {
    std::string error;
    std::optional<Event> parsed = parse_event(json, error);
    REQUIRE(parsed);
    extract_ordering(*parsed, EventReadOptions{});
    runner.push(std::move(*parsed), "");
  }
  REQUIRE(runner.out_of_order());
  CHECK(runner.out_of_order()->why == OutOfOrder::Why::Late);
  CHECK(runner.out_of_order()->event == 3);
  CHECK(runner.out_of_order()->behind_ns == 12'000'000'000);
}

TEST_CASE("optimistic exact order: events without a timestamp are left out as by the held order") {
  std::vector<Rule> rules{rule_of("seq", "sequence by host.id [process where true] [network where true]")};
  std::vector<std::string> events{event(kT + "01Z", "process", "a"), event("", "network", "a"),
                                  event("", "process", "b"), event(kT + "03Z", "network", "b"),
                                  event(kT + "02Z", "network", "a"), event(kT + "00Z", "network", "c")};
  Run run = same_as_held(rules, events, false);
  CHECK(run.alerts == std::vector<std::string>{"seq a: 0 4"});
  CHECK(run.stats.untimed_events == 2);
  // Out of order beyond the window: the second pass counts them once, not twice.
  RunnerOptions narrow;
  narrow.max_lateness_ms = 500;
  Run reread = same_as_held(rules, events, true, narrow);
  CHECK(reread.stats.untimed_events == 2);
}

TEST_CASE("optimistic exact order: maxspan and until as the held order decides them") {
  std::vector<Rule> rules{
      rule_of("span", "sequence by host.id with maxspan=5s [process where true] [network where true]"),
      rule_of("until", "sequence by host.id [process where true] [network where true] until [file where true]")};
  std::vector<std::string> events{
      event(kT + "00Z", "process", "a"), event(kT + "04Z", "network", "a"),   // within 5s
      event(kT + "10Z", "process", "b"), event(kT + "16Z", "network", "b"),   // 6s apart: expired
      event(kT + "20Z", "process", "c"), event(kT + "22Z", "file", "c"),      // cancelled by until
      event(kT + "23Z", "network", "c"),
      event(kT + "30Z", "process", "d"), event(kT + "32Z", "network", "d"),
      event(kT + "31Z", "file", "d"),  // arrives after the network event but is before it in time
  };
  Run run = same_as_held(rules, events, false);
  CHECK(run.alerts == std::vector<std::string>{"span a: 0 1", "span c: 4 6", "span d: 7 8", "until a: 0 1", "until b: 2 3"});
  // The same with the input reversed (read twice: exact order decides alike).
  std::vector<std::string> reversed(events.rbegin(), events.rend());
  RunnerOptions narrow;
  narrow.max_lateness_ms = 1'000;
  Run reread = same_as_held(rules, reversed, true, narrow);
  CHECK(reread.alerts.size() == run.alerts.size());
}

TEST_CASE("optimistic exact order: --max-pending evicts the same partial sequences") {
  std::vector<Rule> rules{rule_of("seq", "sequence by host.id [process where true] [network where true]")};
  std::vector<std::string> events;
  for (int i = 0; i < 6; ++i) events.push_back(event(kT + "0" + std::to_string(i) + "Z", "process", "h" + std::to_string(i)));
  for (int i = 0; i < 6; ++i) events.push_back(event(kT + "1" + std::to_string(i) + "Z", "network", "h" + std::to_string(i)));
  RunnerOptions options;
  options.max_pending = 2;
  Run run = same_as_held(rules, events, false, options);
  // Only the two newest partial sequences survive.
  CHECK(run.alerts == std::vector<std::string>{"seq h4: 4 10", "seq h5: 5 11"});
  options.max_lateness_ms = 1'000;
  std::swap(events[0], events[7]);  // a network event 7s early: re-read
  Run reread = same_as_held(rules, events, true, options);
  CHECK(reread.alerts == run.alerts);
}

TEST_CASE("optimistic exact order: a rule's own timestamp field and tiebreaker") {
  Rule ingested = rule_of("ingested", "sequence by host.id [process where true] [network where true]");
  ingested.timestamp_override = "event.ingested";
  Rule tiebreak = rule_of("tiebreak", "sequence by host.id [process where true] [network where true]");
  tiebreak.tiebreaker_field = "event.sequence";
  std::vector<Rule> rules{ingested, tiebreak};
  auto with = [](const std::string& time, const std::string& category, const std::string& ingest, int sequence) {
    return R"({"event":{"category":")" + category + R"(","ingested":")" + ingest + R"(","sequence":)" +
           std::to_string(sequence) + R"(},"host":{"id":"a"},"@timestamp":")" + time + R"("})";
  };
  // By @timestamp and event.sequence the network event comes first; by event.ingested last.
  std::vector<std::string> events{with(kT + "05Z", "network", kT + "09Z", 1), with(kT + "05Z", "process", kT + "06Z", 2),
                                  with(kT + "05Z", "network", kT + "07Z", 3)};
  Run run = same_as_held(rules, events, false);
  CHECK(run.alerts == std::vector<std::string>{"ingested a: 1 2", "tiebreak a: 1 2"});
  // Tiebreakers of different types do not order consistently: the held replay decides.
  events.push_back(R"({"event":{"category":"network","sequence":"x"},"host":{"id":"a"},"@timestamp":")" + kT +
                   R"(05Z"})");
  Run mixed = same_as_held(rules, events, true);
  CHECK(mixed.why == OutOfOrder::Why::MixedTiebreakers);
}
