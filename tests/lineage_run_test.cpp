// Process lineage through the rule runner (eql run): rules of the endpoint dialect with
// `descendant of`/`child of` over a generated process tree, in event rules and sequence
// stages, and the tree's memory bound as the runner counts it.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eql/event.h"
#include "eql/rules.h"
#include "eql/runner.h"

namespace {

eql::Rule endpoint_rule(const std::string& id, const std::string& query) {
  eql::Rule rule;
  rule.rule_id = id;
  rule.query = query;
  rule.has_query = true;
  rule.dialect = eql::Dialect::Endpoint;
  return rule;
}

struct Step {
  std::string category;  // process or file
  std::string action;    // start, end, creation
  std::string entity_id;
  std::string parent;
  std::string name;
};

eql::Event event_of(const Step& step, int second) {
  std::string json = R"({"@timestamp":"2026-12-07T06:00:)" + std::string(second < 10 ? "0" : "") +
                     std::to_string(second) + R"(Z","event":{"category":[")" + step.category + R"("],"type":[")" +
                     step.action + R"("],"action":")" + step.action + R"("},"host":{"id":"h1"},"process":{"entity_id":")" +
                     step.entity_id + R"(","name":")" + step.name + R"(","parent":{"entity_id":")" + step.parent + R"("}}})";
  std::string error;
  auto event = eql::parse_event(json, error);
  REQUIRE_MESSAGE(event.has_value(), error);
  event->timestamp = eql::parse_date(event->first("@timestamp").string);
  return std::move(*event);
}

// word -> cmd -> ps (which writes a file); other-ps has no office ancestor.
const std::vector<Step> kTree = {
    {"process", "start", "word", "explorer", "WINWORD.EXE"},
    {"process", "start", "cmd", "word", "cmd.exe"},
    {"process", "start", "ps", "cmd", "powershell.exe"},
    {"file", "creation", "ps", "cmd", "powershell.exe"},
    {"process", "start", "other-ps", "explorer", "powershell.exe"},
    {"file", "creation", "other-ps", "explorer", "powershell.exe"},
};

struct Run {
  std::vector<std::pair<std::string, std::string>> alerts;  // rule id, first event's entity id
  eql::RunnerStats stats;
};

Run run(const std::vector<eql::Rule>& rules, eql::RunnerOptions options = {}) {
  eql::RuleRunner runner(options);
  for (const eql::Rule& rule : rules) {
    eql::Diagnostics problems = runner.add_rule(rule);
    REQUIRE_MESSAGE(!eql::has_errors(problems), rule.query, ": ", problems.empty() ? "" : problems[0].message);
  }
  Run result;
  runner.set_alert_sink([&](eql::Alert&& alert) {
    result.alerts.emplace_back(runner.rule(alert.rule).rule_id,
                               std::string(alert.events.front()->first("process.entity_id").string));
  });
  int second = 0;
  for (const Step& step : kTree) runner.push(event_of(step, ++second), "");
  runner.finish();
  result.stats = runner.stats();
  return result;
}

}  // namespace

TEST_CASE("eql run: descendant of and child of in event rules and sequence stages") {
  std::vector<eql::Rule> rules = {
      endpoint_rule("office-powershell", R"(process where event.action == "start" and process.name == "powershell.exe" and
          descendant of [process where event.action == "start" and process.name : "winword.exe"])"),
      endpoint_rule("office-file", R"(file where descendant of [process where process.name : "winword.exe"])"),
      endpoint_rule("not-office", R"(file where not descendant of [process where process.name : "winword.exe"])"),
      endpoint_rule("cmd-child-writes", R"(sequence by process.entity_id with maxspan=1m
          [process where event.action == "start" and child of [process where process.name == "cmd.exe"]]
          [file where true])"),
  };
  Run result = run(rules);
  std::set<std::pair<std::string, std::string>> got(result.alerts.begin(), result.alerts.end());
  const std::set<std::pair<std::string, std::string>> expected = {
      {"office-powershell", "ps"}, {"office-file", "ps"}, {"not-office", "other-ps"}, {"cmd-child-writes", "ps"}};
  CHECK(got == expected);
  CHECK(result.alerts.size() == expected.size());
  // Four start events (word, cmd, ps, other-ps); explorer, a parent never seen starting, is
  // not held.
  CHECK(result.stats.processes_peak == 4);
  CHECK(result.stats.processes_evicted == 0);
}

TEST_CASE("eql run: the process tree's bound evicts and counts; descendants keep what they knew") {
  eql::RunnerOptions options;
  options.max_processes = 1;
  Run result = run({endpoint_rule("office-file", R"(file where descendant of [process where process.name : "winword.exe"])")},
                   options);
  // Each start evicts the one before, yet ps still knows its office grandparent.
  CHECK(result.alerts == std::vector<std::pair<std::string, std::string>>{{"office-file", "ps"}});
  CHECK(result.stats.processes_evicted == 3);
  CHECK(result.stats.processes_peak == 1);
}

TEST_CASE("eql run: rules without lineage do not feed the tree") {
  Run result = run({endpoint_rule("any-file", R"(file where true)")});
  CHECK(result.alerts.size() == 2);
  CHECK(result.stats.processes_peak == 0);
}
