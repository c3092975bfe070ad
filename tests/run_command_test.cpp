// `eql run` (issue 6): rules loaded and reported, one pass over events, alerts with rule
// metadata and deterministic ids; index patterns, overrides, filters and exit codes.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli/run.h"
#include "run_harness.h"
#include "eql/eval.h"
#include "eql/parser.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "eql/schema_types.h"
#include "eql/sequence.h"

using namespace eql;

namespace {

const std::string kRunData = EQL_SOURCE_DIR "/tests/data/run";

using RunOutput = testing::RunCapture;

RunOutput run(const std::vector<std::string>& arguments) { return testing::capture_eql_run(arguments); }

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document document;
  document.Parse(line.data(), line.size());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

// rule_id -> the `id` fields of the matched events, one string per alert ("1" or "1,2").
std::multimap<std::string, std::string> alerts_by_rule(const RunOutput& output) {
  std::multimap<std::string, std::string> alerts;
  for (const std::string& line : output.lines) {
    rapidjson::Document alert = parse(line);
    std::string ids;
    auto add = [&](const rapidjson::Value& event) {
      if (!ids.empty()) ids += ",";
      ids += event.IsNull() ? "null" : std::to_string(event["id"].GetInt());
    };
    if (alert.HasMember("event")) add(alert["event"]);
    else for (const auto& event : alert["events"].GetArray()) add(event);
    alerts.emplace(alert["rule_id"].GetString(), ids);
  }
  return alerts;
}

using Expected = std::multimap<std::string, std::string>;

const std::string kRules = kRunData + "/rules";
const std::string kEvents = kRunData + "/events.ndjson";

}  // namespace

TEST_CASE("eql run: every test rule over the test events, with index patterns and overrides") {
  RunOutput output = run({"--rules", kRules, kEvents});
  CHECK(output.exit_code == cli::kExitOk);
  CHECK(output.err.find("eql run: 6 EQL rules loaded from 6 files\n") != std::string::npos);
  CHECK(output.err.find("eql run: 6 events, 10 alerts from 6 rules, 0 rules never matched") != std::string::npos);
  CHECK(alerts_by_rule(output) == Expected{
                                      // index logs-endpoint.events.process-*: event 1 (data_stream.*)
                                      // only; 3 is a sysmon backing index, 5 a winlogbeat index
                                      {"run-cmd-endpoint", "1"},
                                      // no index patterns; `:` ignores case (CMD.EXE)
                                      {"run-cmd-anywhere", "1"},
                                      {"run-cmd-anywhere", "3"},
                                      {"run-cmd-anywhere", "5"},
                                      // category from custom.kind: 6 is a "file"
                                      {"run-override-category", "5"},
                                      {"run-sequence-default", "1,2"},
                                      {"run-sequence-default", "3,4"},
                                      // by event.ingested, host h1's connection comes first;
                                      // h2's events have none and fall back to @timestamp
                                      {"run-sequence-ingested", "3,4"},
                                      // winlogbeat-* but not -winlogbeat-excluded*; 6 has no index
                                      {"run-any-event", "4"},
                                      {"run-any-event", "6"},
                                  });
}

TEST_CASE("eql run: the alert carries the rule's metadata and the event") {
  RunOutput output = run({"--rules", kRules, "--rule-id", "run-cmd-endpoint", kEvents});
  REQUIRE(output.lines.size() == 1);
  rapidjson::Document alert = parse(output.lines[0]);
  CHECK(std::string(alert["rule_name"].GetString()) == "cmd.exe in endpoint process events");
  CHECK(std::string(alert["severity"].GetString()) == "low");
  CHECK(alert["risk_score"].GetInt() == 21);
  CHECK(std::string(alert["tactics"][0].GetString()) == "TA0002");
  CHECK(std::string(alert["techniques"][0].GetString()) == "T1059");
  CHECK(std::string(alert["rule_file"].GetString()) == kRules + "/cmd_endpoint.toml");
  CHECK(std::string(alert["timestamp"].GetString()) == "2026-01-01T00:00:10.000Z");
  CHECK(alert["event"]["id"].GetInt() == 1);
  CHECK(std::string(alert["alert_id"].GetString()).size() == 32);

  RunOutput sequence = run({"--rules", kRules, "--rule-id", "run-sequence-ingested", kEvents});
  REQUIRE(sequence.lines.size() == 1);
  rapidjson::Document joined = parse(sequence.lines[0]);
  CHECK(std::string(joined["join_keys"][0].GetString()) == "h2");
  CHECK(joined["events"].Size() == 2);
  CHECK_FALSE(joined.HasMember("event"));
}

TEST_CASE("eql run: alert ids are the same on a re-run and differ between alerts") {
  RunOutput first = run({"--rules", kRules, kEvents});
  RunOutput second = run({"--rules", kRules, kEvents});
  REQUIRE(first.lines.size() == 10);
  CHECK(first.out == second.out);
  std::map<std::string, int> ids;
  for (const std::string& line : first.lines) ++ids[parse(line)["alert_id"].GetString()];
  CHECK(ids.size() == first.lines.size());
  // The id depends on the rule and the events only.
  std::string error;
  auto event = std::make_shared<const Event>(*parse_event(R"({"a":1})", error));
  CHECK(alert_id("rule-1", {event}) == alert_id("rule-1", {event}));
  CHECK(alert_id("rule-1", {event}) != alert_id("rule-2", {event}));
  CHECK(alert_id("rule-1", {event}) != alert_id("rule-1", {event, event}));
}

TEST_CASE("eql run: --ignore-index and --index") {
  Expected all_cmd{{"run-cmd-endpoint", "1"}, {"run-cmd-endpoint", "3"}, {"run-cmd-endpoint", "5"}};
  CHECK(alerts_by_rule(run({"--rules", kRules, "--rule-id", "run-cmd-endpoint", "--ignore-index", kEvents})) ==
        all_cmd);
  // Events that name no index take the one given for their input; 6 is then outside winlogbeat-*.
  CHECK(alerts_by_rule(run({"--rules", kRules, "--rule-id", "run-any-event", "--index", "other-index", kEvents})) ==
        Expected{{"run-any-event", "4"}});
  CHECK(alerts_by_rule(run({"--rules", kRules, "--rule-id", "run-any-event", "--index", "winlogbeat-1", kEvents})) ==
        Expected{{"run-any-event", "4"}, {"run-any-event", "6"}});
}

TEST_CASE("index patterns") {
  CHECK(index_matches("logs-endpoint.events.process-*", "logs-endpoint.events.process-default"));
  CHECK(index_matches("logs-endpoint.events.*", ".ds-logs-endpoint.events.process-default-2024.01.31-000001"));
  CHECK(index_matches("remote:winlogbeat-*", "winlogbeat-8.0"));
  CHECK(index_matches("*", "anything"));
  CHECK_FALSE(index_matches("logs-endpoint.events.process-*", "logs-endpoint.events.file-default"));
  CHECK_FALSE(index_matches("winlogbeat-*", "winlogbeat"));
  CHECK(index_matches("a*b*c", "axxbyyc"));
  CHECK_FALSE(index_matches("a*b*c", "axxbyy"));
}

TEST_CASE("eql run: --severity, --rule-id and --tag select rules") {
  RunOutput high = run({"--rules", kRules, "--severity", "high", kEvents});
  CHECK(high.err.find("3 EQL rules loaded from 6 files, 3 not selected") != std::string::npos);
  CHECK(alerts_by_rule(high).count("run-cmd-endpoint") == 0);
  CHECK(alerts_by_rule(high).count("run-cmd-anywhere") == 3);
  RunOutput tagged = run({"--rules", kRules, "--tag", "sequence", kEvents});
  CHECK(tagged.err.find("2 EQL rules loaded") != std::string::npos);
  CHECK(tagged.lines.size() == 3);
  RunOutput none = run({"--rules", kRules, "--rule-id", "no-such-rule", kEvents});
  CHECK(none.exit_code == cli::kExitUsage);
  CHECK(none.err.find("--rule-id no-such-rule: no loaded rule has this id") != std::string::npos);
  CHECK(run({"--rules", kRules, "--severity", "extreme", kEvents}).exit_code == cli::kExitUsage);
}

TEST_CASE("eql run: exit codes") {
  CHECK(run({"--rules", kRules, "--fail-on-alert", kEvents}).exit_code == cli::kExitFindings);
  CHECK(run({"--rules", kRules, "--fail-on-alert", "--rule-id", "run-override-category",
             EQL_SOURCE_DIR "/rules/events/windows_wmi_cmd.jsonl"})
            .exit_code == cli::kExitOk);
  CHECK(run({kEvents}).exit_code == cli::kExitUsage);  // no --rules
  CHECK(run({"--rules", kRunData + "/no-such-folder", kEvents}).exit_code == cli::kExitUsage);
  RunOutput missing_input = run({"--rules", kRules, kRunData + "/no-such-file.ndjson"});
  CHECK(missing_input.exit_code == cli::kExitUsage);
}

TEST_CASE("eql run: the bundled rules over the bundled events") {
  RunOutput output = run({"--rules", EQL_SOURCE_DIR "/rules", EQL_SOURCE_DIR "/rules/events/windows_wmi_cmd.jsonl"});
  CHECK(output.exit_code == cli::kExitOk);
  std::multimap<std::string, std::string> alerts;
  std::vector<std::string> wmi_events;
  for (const std::string& line : output.lines) {
    rapidjson::Document alert = parse(line);
    if (std::string(alert["rule_id"].GetString()) == "0e170e43-3d5f-43b7-8428-0b5f4c7b1f44") {
      wmi_events.emplace_back(alert["event"]["event"]["id"].GetString());
    }
  }
  CHECK(wmi_events == std::vector<std::string>{"wmiexec-defend", "wmiexec-sysmon-uppercase"});
}

TEST_CASE("eql run: stream order gives the sequences of exact order on in-order input") {
  LoadedRules loaded = load_rule_paths({kRules + "/sequence_default.toml"});
  REQUIRE(loaded.files.size() == 1);
  for (auto order : {RunnerOptions::Order::Exact, RunnerOptions::Order::Stream}) {
    RunnerOptions options;
    options.order = order;
    options.max_lateness_ms = 1000;
    RuleRunner runner(options);
    CHECK_FALSE(has_errors(runner.add_rule(loaded.files[0].rules[0])));
    std::vector<std::string> keys;
    runner.set_alert_sink([&](Alert&& alert) { keys.push_back(alert.join_keys[0].display()); });
    read_events(kEvents, {}, [&](Event&& event) { runner.push(std::move(event), ""); return true; },
                [](const InputProblem&) {});
    runner.finish();
    CHECK(keys == std::vector<std::string>{"h1", "h2"});
  }
}

TEST_CASE("eql run: the detection-rules corpus over the corpus events") {
  namespace fs = std::filesystem;
  const std::string rules = EQL_SHARED_DIR "/corpus/detection-rules";
  const fs::path events_folder = EQL_SHARED_DIR "/corpus/events";
  REQUIRE_MESSAGE(fs::exists(rules), "no corpus at " EQL_SHARED_DIR);
  std::vector<std::string> arguments{"--rules", rules};
  std::vector<std::string> event_files;
  for (const auto& entry : fs::directory_iterator(events_folder)) {
    if (entry.path().extension() == ".ndjson") event_files.push_back(entry.path().string());
  }
  std::sort(event_files.begin(), event_files.end());
  REQUIRE(event_files.size() == 9);
  arguments.insert(arguments.end(), event_files.begin(), event_files.end());

  RunOutput output = run(arguments);
  CHECK(output.exit_code == cli::kExitOk);
  CHECK(output.err.find("eql run: 1024 EQL rules loaded from 2068 files\n") != std::string::npos);
  CHECK(output.err.find("eql run: 1044 rules in other languages skipped: 209 esql, 729 kuery, 106 machine learning\n") !=
        std::string::npos);
  CHECK(output.err.find("eql run: 73 events, 2 alerts from 2 rules, 1022 rules never matched") != std::string::npos);
  // Most corpus events lack host.os.type, which nearly every rule tests; these two do not.
  CHECK(alerts_by_rule(output).size() == 2);
  std::map<std::string, int> per_rule;
  for (const std::string& line : output.lines) ++per_rule[parse(line)["rule_id"].GetString()];
  CHECK(per_rule == std::map<std::string, int>{
                        {"02a23ee7-c8f8-4701-b99d-e9038ce313cb", 1},  // Process Created with an Elevated Token
                        {"fc552f49-8f1c-409b-90f8-6f5b9869b6c4", 1},  // Defend Alert Followed by Telemetry Loss
                    });

  // The rule index (required values, categories) never hides a match: each event rule evaluated alone on every event
  // (no index) gives exactly the runner's alerts with --ignore-index.
  std::vector<std::string> ignoring = arguments;
  ignoring.insert(ignoring.begin(), "--ignore-index");
  std::map<std::string, int> run_counts;
  for (const std::string& line : run(ignoring).lines) {
    rapidjson::Document alert = parse(line);
    if (alert.HasMember("event")) ++run_counts[alert["rule_id"].GetString()];
  }
  std::vector<Event> events;
  for (const std::string& file : event_files) {
    read_events(file, {}, [&](Event&& event) { events.push_back(std::move(event)); return true; },
                [](const InputProblem&) {});
  }
  REQUIRE(events.size() == 73);
  std::map<std::string, int> alone_counts;
  std::size_t event_rules = 0;
  EvalContext context;
  SchemaFieldTypes schema_types(embedded_schema_all());
  for (const RuleFile& file : load_rule_paths({rules}).files) {
    for (const Rule& rule : file.rules) {
      ParseResult parsed = parse_query(rule.query);
      if (!parsed.ok() || !parsed.query->event()) continue;
      FilterOptions options;
      options.field_types = &schema_types;
      if (!rule.event_category_override.empty()) options.category_field = rule.event_category_override;
      FilterCompileResult compiled = compile_filter(*parsed.query->event(), options);
      REQUIRE(compiled.program);
      ++event_rules;
      for (const Event& event : events) {
        if (compiled.program->matches(event, context)) ++alone_counts[rule.rule_id];
      }
    }
  }
  CHECK(event_rules > 800);
  CHECK(alone_counts == run_counts);
}

namespace {

// One event rule over the same events twice: through a RuleRunner (with its index) and
// compiled alone (no index). The index may only narrow: the two must find the same events.
struct IndexedAndAlone {
  std::vector<std::uint64_t> by_runner;  // ordinals of the runner's alerts
  std::vector<std::uint64_t> by_itself;  // indexes of the events the filter matches alone
  std::uint64_t evaluations = 0;         // how often the runner evaluated the rule
};

IndexedAndAlone run_indexed_and_alone(const std::string& query, const std::vector<std::string>& events,
                                      const FieldTypes* field_types = nullptr) {
  Rule rule = testing::rule_of("r", query);
  RunnerOptions options;
  options.field_types = field_types;
  RuleRunner runner(options);
  IndexedAndAlone result;
  REQUIRE_FALSE(has_errors(runner.add_rule(rule)));
  runner.set_alert_sink([&](Alert&& alert) { result.by_runner.push_back(alert.events[0]->ordinal); });
  FilterOptions filter_options;
  filter_options.field_types = field_types;
  FilterCompileResult alone = compile_filter(*parse_query(query).query->event(), filter_options);
  REQUIRE(alone.program);
  EvalContext context;
  for (std::size_t i = 0; i < events.size(); ++i) {
    std::string error;
    std::optional<Event> event = parse_event(events[i], error);
    REQUIRE(event);
    if (alone.program->matches(*event, context)) result.by_itself.push_back(i);
    runner.push(std::move(*event), "");
  }
  runner.finish();
  result.evaluations = runner.rule_stats(0).evaluations;
  return result;
}

}  // namespace

TEST_CASE("the rule index gives every rule exactly the events it matches alone") {
  // Required-value gates lower-case ASCII only; numbers, nulls and other text reach every
  // gated rule of the field, so case, multi-values, numbers and Unicode folding still match.
  const std::vector<std::string> queries{
      R"(process where process.name : "cmd.exe")",
      R"(process where process.name == "cmd.exe" and host.os.type == "windows")",
      R"(process where process.name like "cmd.exe")",
      R"(process where process.name in ("cmd.exe", "kill"))",
      R"(process where process.name : "kill")",
      R"(process where custom.code == "4")",
      R"(any where custom.code in ("4", "5"))",
      R"(process where process.name : ("c*.exe", "kill"))",
      R"(file where file.extension : "exe" or process.name : "cmd.exe")",
      R"(process where host.os.type == "windows")",
  };
  const std::vector<std::string> events{
      R"({"event":{"category":"process"},"process":{"name":"CMD.exe"},"host":{"os":{"type":"windows"}}})",
      R"({"event":{"category":"process"},"process":{"name":["x","cmd.exe"]},"host":{"os":{"type":"Windows"}}})",
      R"({"event":{"category":"process"},"process":{"name":"\u212aill"},"custom":{"code":4}})",
      R"({"event":{"category":"process"},"process":{"name":null},"custom":{"code":"4"}})",
      R"({"event":{"category":["file","process"]},"file":{"extension":"EXE"},"custom":{"code":5}})",
      R"({"event":{"category":"network"},"process":{"name":"cmd.exe"},"custom":{"code":"5"}})",
      R"({"process":{"name":"cmd.exe"}})",
  };
  SchemaFieldTypes schema_types(embedded_schema_all());
  for (const std::string& query : queries) {
    CAPTURE(query);
    IndexedAndAlone run = run_indexed_and_alone(query, events, &schema_types);
    CHECK(run.by_runner == run.by_itself);
  }
}

TEST_CASE("index pattern verdicts are remembered per index name, also for rules added later") {
  // The runner decides an index name against each pattern set once and keeps the verdict;
  // events from alternating indexes, named by the caller or by the event, and a rule added
  // after some names were seen must still alert exactly where their patterns allow.
  auto make_rule = [](std::string id, std::vector<std::string> index) {
    Rule rule = testing::rule_of(id, R"(process where process.name == "a.exe")");
    rule.index = std::move(index);
    return rule;
  };
  RuleRunner runner(RunnerOptions{});
  REQUIRE_FALSE(has_errors(runner.add_rule(make_rule("endpoint", {"logs-endpoint.*"}))));
  REQUIRE_FALSE(has_errors(runner.add_rule(make_rule("winlog", {"winlogbeat-*", "-winlogbeat-old"}))));
  std::vector<std::string> alerts;
  runner.set_alert_sink([&](Alert&& alert) {
    alerts.push_back(runner.rule(alert.rule).rule_id + "@" + std::to_string(alert.events[0]->ordinal));
  });
  auto push = [&](std::string_view json, std::string_view index) {
    std::string error;
    std::optional<Event> event = parse_event(json, error);
    REQUIRE(event);
    runner.push(std::move(*event), index);
  };
  const std::string plain = R"({"event":{"category":"process"},"process":{"name":"a.exe"}})";
  const std::string own_index =
      R"({"_index":"winlogbeat-8","event":{"category":"process"},"process":{"name":"a.exe"}})";
  for (int round = 0; round < 2; ++round) {
    push(plain, "logs-endpoint.events.process-default");  // 0, 4
    push(plain, "winlogbeat-8");                          // 1, 5
    push(plain, "winlogbeat-old");                        // 2, 6
    push(own_index, "logs-endpoint.events.process-default");  // 3, 7: the event's own name wins
  }
  REQUIRE_FALSE(has_errors(runner.add_rule(make_rule("old", {"*-old"}))));
  push(plain, "winlogbeat-old");                        // 8
  push(plain, "logs-endpoint.events.process-default");  // 9
  runner.finish();
  CHECK(alerts == std::vector<std::string>{"endpoint@0", "winlog@1", "winlog@3", "endpoint@4", "winlog@5",
                                           "winlog@7", "old@8", "endpoint@9"});
}

TEST_CASE("eql run: exception lists of a Kibana export keep events from their rules") {
  RunOutput output = run({"--rules", kRunData + "/kibana", kEvents});
  // cmd.exe events are 1 (host h1: excepted), 3 (CMD.EXE on h2: excepted by wildcard and
  // match_any) and 5 (h3, but it has custom.tool, so the `excluded exists` entry fails).
  CHECK(alerts_by_rule(output) == Expected{{"run-kibana-cmd", "5"}});
  CHECK(output.err.find("exception items: 3 applied, 1 not applied (entries of type list or nested are not "
                        "supported)") != std::string::npos);

  ExceptionListItem item;
  item.entries.push_back({"host.id", "match", "included", {"h3"}, "", {}});
  item.entries.push_back({"custom.tool", "exists", "excluded", {}, "", {}});
  std::string error;
  CHECK(exception_item_matches(item, *parse_event(R"({"host":{"id":"h3"}})", error)));
  CHECK_FALSE(exception_item_matches(item, *parse_event(R"({"host":{"id":"h3"},"custom":{"tool":"x"}})", error)));
  CHECK_FALSE(exception_item_matches(item, *parse_event(R"({"host":{"id":"H3"}})", error)));  // case-sensitive
  ExceptionListItem wildcard;
  wildcard.entries.push_back({"process.name", "wildcard", "included", {"c?d*"}, "", {}});
  CHECK(exception_item_matches(wildcard, *parse_event(R"({"process":{"name":["x","cmd.exe"]}})", error)));
  CHECK_FALSE(exception_item_matches(wildcard, *parse_event(R"({"process":{"name":"cd.exe"}})", error)));
  CHECK_FALSE(exception_item_supported(ExceptionListItem{}));
}

TEST_CASE("an event rule's alert is timed by the rule's timestamp_override, else @timestamp") {
  Rule rule = testing::rule_of("ingested", R"(process where process.name : "cmd.exe")");
  rule.timestamp_override = "event.ingested";
  RuleRunner runner;
  REQUIRE_FALSE(has_errors(runner.add_rule(rule)));
  std::vector<std::string> times;
  runner.set_alert_sink([&](Alert&& alert) { times.push_back(format_date(*alert.events[0]->timestamp, false)); });
  read_events(kEvents, {}, [&](Event&& event) { runner.push(std::move(event), ""); return true; },
              [](const InputProblem&) {});
  runner.finish();
  // Event 1 has event.ingested; 3 and 5 fall back to @timestamp.
  CHECK(times == std::vector<std::string>{"2026-01-01T00:05:00.000Z", "2026-01-01T00:00:30.000Z",
                                          "2026-01-01T00:00:50.000Z"});
}

TEST_CASE("the rule index reads necessary values through `and` and `or`") {
  const std::vector<std::string> queries{
      R"(process where (process.name : "a.exe" and x == 1) or process.name in ("b.exe", "C.EXE"))",
      R"(process where (process.name : "a.exe" or y == 2) and host.os.type == "linux")",
      R"(process where process.name : "a.exe" and (process.name : "b.exe" or z == 3))",
      R"(process where not process.name : "a.exe")",
  };
  const std::vector<std::string> events{
      R"({"event":{"category":"process"},"process":{"name":"A.exe"},"x":1,"host":{"os":{"type":"linux"}}})",
      R"({"event":{"category":"process"},"process":{"name":"c.exe"},"y":2,"host":{"os":{"type":"linux"}}})",
      R"({"event":{"category":"process"},"process":{"name":"d.exe"},"y":2,"z":3,"host":{"os":{"type":"linux"}}})",
      R"({"event":{"category":"process"},"process":{"name":"a.exe"},"z":3})",
  };
  for (const std::string& query : queries) {
    CAPTURE(query);
    IndexedAndAlone run = run_indexed_and_alone(query, events);
    CHECK(run.by_runner == run.by_itself);
    CHECK_FALSE(run.by_itself.empty());
    // The first query needs process.name in {a.exe, b.exe, c.exe}: d.exe is never evaluated.
    if (query == queries[0]) CHECK(run.evaluations == 3);
  }
}

TEST_CASE("the rule index gates a conjunction by its narrowest coarse field, not its fewest values") {
  // `event.module == "endpoint"` holds on every endpoint event; the action tells them apart.
  const std::string query =
      R"(network where event.module == "endpoint" and event.action in~ ("connection_attempted", "disconnect_received"))";
  const std::vector<std::string> events{
      R"({"event":{"category":"network","module":"endpoint","action":"connection_attempted"}})",
      R"({"event":{"category":"network","module":"endpoint","action":["other","DISCONNECT_RECEIVED"]}})",
      R"({"event":{"category":"network","module":"endpoint","action":"Connection_Attempted"}})",
      R"({"event":{"category":"network","module":"ENDPOINT","action":"connection_attempted"}})",
      R"({"event":{"category":"network","module":"endpoint","action":"process_started"}})",
      R"({"event":{"category":"network","module":"endpoint","action":null}})",
      R"({"event":{"category":"network","module":"endpoint"}})",
  };
  IndexedAndAlone run = run_indexed_and_alone(query, events);
  CHECK(run.by_runner == run.by_itself);
  CHECK(run.by_itself == std::vector<std::uint64_t>{0, 1, 2});
  // Gated by event.action, only the four events holding a listed action are evaluated (the
  // index compares lower-cased, so `==` on "ENDPOINT" is left to the evaluator); gated by
  // event.module, all seven would be. A null action cannot equal a listed one.
  CHECK(run.evaluations == 4);
}

TEST_CASE("the rule index reads a wildcard pattern's literal prefix") {
  const std::vector<std::string> queries{
      R"(process where process.name : ("python*", "perl"))",
      R"(process where process.name like ("Py?hon*", "perl"))",
  };
  const std::vector<std::string> events{
      R"({"event":{"category":"process"},"process":{"name":"Python3.11"}})",
      R"({"event":{"category":"process"},"process":{"name":["x","python"]}})",
      R"({"event":{"category":"process"},"process":{"name":"py"}})",
      R"({"event":{"category":"process"},"process":{"name":null}})",
      R"({"event":{"category":"process"}})",
      R"({"event":{"category":"process"},"process":{"name":"PERL"}})",
      R"({"event":{"category":"process"},"process":{"name":"xpython"}})",
      R"({"event":{"category":"process"},"process":{"name":3}})",
      R"({"event":{"category":"process"},"process":{"name":"Pyxhon"}})",
  };
  for (const std::string& query : queries) {
    CAPTURE(query);
    IndexedAndAlone run = run_indexed_and_alone(query, events);
    CHECK(run.by_runner == run.by_itself);
    CHECK_FALSE(run.by_itself.empty());
    if (query == queries[0]) {
      CHECK(run.by_itself == std::vector<std::uint64_t>{0, 1, 5});
      // Those three and the number (which the index cannot read); not "py", "xpython",
      // "Pyxhon", the null or the event without the field.
      CHECK(run.evaluations == 4);
    } else {
      // The prefix stops at the `?`: "py" lets "py", "Pyxhon" and both pythons through (with
      // "PERL" and the number).
      CHECK(run.evaluations == 6);
    }
  }
}

TEST_CASE("the rule index reads a wildcard pattern's literal suffix when it has no prefix") {
  // `?:\Windows\System32\cmd.exe` and `*.PS1` start with a wildcard: the value must end
  // with "cmd.exe" (the text after the last backslash) or ".ps1". A pattern with neither
  // (`*temp*`) gates nothing, so its rule sees every process event.
  const std::vector<std::string> queries{
      R"(process where process.executable : ("?:\\Windows\\System32\\cmd.exe", "*.PS1"))",
      R"(process where process.executable like~ ("*\\cmd.exe", "/usr/bin/perl"))",
      R"(process where process.executable : ("*.ps1", "*temp*"))",
  };
  const std::vector<std::string> events{
      R"({"event":{"category":"process"},"process":{"executable":"C:\\Windows\\System32\\CMD.EXE"}})",
      R"({"event":{"category":"process"},"process":{"executable":["x","D:\\Scripts\\run.ps1"]}})",
      R"({"event":{"category":"process"},"process":{"executable":"C:\\Windows\\cmd.exe"}})",
      R"({"event":{"category":"process"},"process":{"executable":"cmd.exe.bak"}})",
      R"({"event":{"category":"process"},"process":{"executable":null}})",
      R"({"event":{"category":"process"}})",
      R"({"event":{"category":"process"},"process":{"executable":"/usr/bin/perl"}})",
      R"({"event":{"category":"process"},"process":{"executable":"C:\\Temp\\x.exe"}})",
      R"({"event":{"category":"process"},"process":{"executable":7}})",
  };
  const std::vector<std::uint64_t> evaluations{4, 4, 8};
  for (std::size_t q = 0; q < queries.size(); ++q) {
    CAPTURE(queries[q]);
    IndexedAndAlone run = run_indexed_and_alone(queries[q], events);
    CHECK(run.by_runner == run.by_itself);
    CHECK_FALSE(run.by_itself.empty());
    // The first: both cmd.exe paths, the .ps1 and the number (which the index cannot read);
    // the second: the cmd.exe paths, the perl path and the number; the third, ungated,
    // every process event that has the field (null included).
    CHECK(run.evaluations == evaluations[q]);
  }
}

TEST_CASE("the rule index checks a stage's required fields only on events of its category") {
  // The process events carry dns.question.name too: without the category, the second
  // stage's `!= null` would make every one of them a candidate.
  const std::string query =
      R"(sequence by host.id [process where process.name == "a"] [network where dns.question.name != null])";
  const std::vector<std::string> events{
      R"({"@timestamp":"2024-01-01T00:00:00Z","host":{"id":"h"},"event":{"category":"process"},"process":{"name":"a"}})",
      R"({"@timestamp":"2024-01-01T00:00:01Z","host":{"id":"h"},"event":{"category":"process"},"dns":{"question":{"name":"x"}}})",
      R"({"@timestamp":"2024-01-01T00:00:02Z","host":{"id":"h"},"event":{"category":"process"}})",
      R"({"@timestamp":"2024-01-01T00:00:03Z","host":{"id":"h"},"event":{"category":"network"},"dns":{"question":{"name":null}}})",
      R"({"@timestamp":"2024-01-01T00:00:04Z","host":{"id":"h"},"event":{"category":["dns","network"]},"dns":{"question":{"name":"x"}}})",
  };
  for (auto order : {RunnerOptions::Order::Exact, RunnerOptions::Order::Stream}) {
    CAPTURE(static_cast<int>(order));
    Rule rule = testing::rule_of("r", query);
    RunnerOptions options;
    options.order = order;
    RuleRunner runner(options);
    REQUIRE_FALSE(has_errors(runner.add_rule(rule)));
    std::vector<std::vector<std::uint64_t>> alerts;
    runner.set_alert_sink([&](Alert&& alert) {
      std::vector<std::uint64_t> ordinals;
      for (const EventRef& event : alert.events) ordinals.push_back(event->ordinal);
      alerts.push_back(ordinals);
    });
    for (const std::string& line : events) {
      std::string error;
      std::optional<Event> event = parse_event(line, error);
      REQUIRE(event);
      extract_ordering(*event, {});
      runner.push(std::move(*event), "");
    }
    runner.finish();
    CHECK(alerts == std::vector<std::vector<std::uint64_t>>{{0, 4}});
    // Event 0 (the first stage's fields), 3 (network, the field present though null) and 4
    // (network among its categories); not 1 (process: the second stage's field on another
    // category) nor 2.
    CHECK(runner.rule_stats(0).evaluations == 3);
  }
}

TEST_CASE("eql run: a rule with errors is shown where it is wrong and the others still run") {
  RunOutput output = run({"--rules", kRunData + "/bad-rules", kEvents});
  CHECK(output.exit_code == cli::kExitOk);
  CHECK(output.err.find("bad-rules/bad.toml:19:28: error: use == to compare") != std::string::npos);
  CHECK(output.err.find("eql run: 1 EQL rule loaded from 2 files, 1 with errors (shown above) not run\n") !=
        std::string::npos);
  CHECK(alerts_by_rule(output).count("run-cmd-anywhere") == 3);
}

namespace {

// Events made of the literal values the corpus rules test: each event takes most of the
// (field, value) pairs written in one corpus rule (wildcards filled in, case sometimes
// changed, sometimes in an array) and a few of other rules, so that many rules match some
// events and many more nearly match.
std::vector<std::string> events_from_corpus_literals(const std::vector<Rule>& rules, std::size_t count) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  std::vector<Pairs> by_rule;
  std::vector<std::string> rule_categories;
  const std::regex pair(R"re(([A-Za-z_@][A-Za-z0-9_.@]*)\s*(?:==|:|like~?|in~?)\s*\(?\s*"([^"\\]*)")re");
  const std::regex category(R"re(([a-z_]+)\s+where)re");
  for (const Rule& rule : rules) {
    Pairs pairs;
    for (auto it = std::sregex_iterator(rule.query.begin(), rule.query.end(), pair); it != std::sregex_iterator(); ++it) {
      if ((*it)[1].str().find('.') != std::string::npos) pairs.emplace_back((*it)[1].str(), (*it)[2].str());
    }
    if (pairs.empty()) continue;
    by_rule.push_back(std::move(pairs));
    std::smatch found;
    rule_categories.push_back(std::regex_search(rule.query, found, category) ? found[1].str() : "process");
  }
  std::mt19937 random(20261203);
  auto pick = [&](const auto& list) -> const auto& { return list[random() % list.size()]; };
  auto fill = [&](std::string value) {
    std::string out;
    for (char c : value) {
      if (c == '*') out += pick(std::vector<std::string>{"", "x", "ab"});
      else if (c == '?') out += 'C';
      else out += random() % 8 == 0 ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    }
    return out;
  };
  auto quoted = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (static_cast<unsigned char>(c) < 0x20) {
        out += ' ';  // control characters (a literal across lines) as spaces
        continue;
      }
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  const std::vector<std::string> categories{"process", "file", "network", "registry", "library", "authentication", "dns"};
  const std::vector<std::string> systems{"windows", "linux", "macos"};
  const std::vector<std::string> types{"start", "creation", "change", "deletion", "end", "connection", "info"};
  std::vector<std::string> events;
  std::int64_t time = 1700000000000;
  for (std::size_t i = 0; i < count; ++i) {
    time += static_cast<std::int64_t>(random() % 3000);
    std::map<std::string, std::string> json;  // dotted field -> JSON value
    json["@timestamp"] = std::to_string(time);
    const std::size_t chosen = random() % by_rule.size();
    json["event.category"] = quoted(random() % 4 == 0 ? pick(categories) : rule_categories[chosen]);
    json["event.type"] = quoted(pick(types));
    json["host.os.type"] = quoted(pick(systems));
    json["host.id"] = quoted("h" + std::to_string(random() % 3));
    json["process.entity_id"] = quoted("p" + std::to_string(random() % 4));
    json["user.name"] = quoted("u" + std::to_string(random() % 2));
    auto add = [&](const std::pair<std::string, std::string>& field_value) {
      std::string value = quoted(fill(field_value.second));
      json[field_value.first] = random() % 6 == 0 ? "[\"other\", " + value + "]" : value;
    };
    for (const auto& field_value : by_rule[chosen]) {
      if (random() % 8 != 0 && json.count(field_value.first) == 0) add(field_value);
    }
    for (std::size_t k = random() % 3; k > 0; --k) add(pick(pick(by_rule)));
    // Flat dotted keys: the event reader files them under the same paths as nested objects.
    std::string line = "{";
    for (const auto& [field, value] : json) line += (line.size() > 1 ? "," : "") + quoted(field) + ":" + value;
    events.push_back(line + "}");
  }
  return events;
}

}  // namespace

TEST_CASE("the rule index hides no match: every corpus rule alerts as when run alone, with no index") {
  // All 1,024 corpus rules run together (index, shared leaf cache, held events replayed
  // event by event) must give each rule exactly the alerts it gives evaluated on every
  // event by itself: an event rule's filter, a sequence's matcher fed every event.
  std::vector<Rule> rules;
  for (const RuleFile& file : load_rule_paths({EQL_SHARED_DIR "/corpus/detection-rules"}).files) {
    rules.insert(rules.end(), file.rules.begin(), file.rules.end());
  }
  REQUIRE(rules.size() == 1024);
  const std::vector<std::string> lines = events_from_corpus_literals(rules, 8000);
  std::vector<EventRef> events;
  for (const std::string& line : lines) {
    std::string error;
    std::optional<Event> event = parse_event(line, error);
    REQUIRE_MESSAGE(event, error << " in " << line);
    extract_ordering(*event, {});
    event->ordinal = events.size();
    events.push_back(std::make_shared<const Event>(std::move(*event)));
  }
  SchemaFieldTypes schema_types(embedded_schema_all());

  for (auto order : {RunnerOptions::Order::Exact, RunnerOptions::Order::Stream}) {
    CAPTURE(static_cast<int>(order));
    RunnerOptions options;
    options.field_types = &schema_types;
    options.order = order;
    RuleRunner runner(options);
    for (const Rule& rule : rules) runner.add_rule(rule);
    REQUIRE(runner.rule_count() > 1000);
    std::map<std::string, std::multiset<std::string>> together;  // rule id -> alert ids
    runner.set_alert_sink([&](Alert&& alert) { together[runner.rule(alert.rule).rule_id].insert(alert.id); });
    for (const EventRef& event : events) runner.push(Event(*event), "");
    runner.finish();

    std::map<std::string, std::multiset<std::string>> alone;
    std::size_t sequences = 0;
    std::set<std::string> sequence_ids;
    EvalContext context;
    for (std::size_t index = 0; index < runner.rule_count(); ++index) {
      const Rule& rule = runner.rule(index);
      ParseResult parsed = parse_query(rule.query);
      REQUIRE(parsed.ok());
      FilterOptions filter_options;
      filter_options.field_types = &schema_types;
      if (!rule.event_category_override.empty()) filter_options.category_field = rule.event_category_override;
      if (const ast::EventFilter* filter = parsed.query->event()) {
        FilterCompileResult compiled = compile_filter(*filter, filter_options);
        REQUIRE(compiled.program);
        for (const EventRef& event : events) {
          if (compiled.program->matches(*event, context)) alone[rule.rule_id].insert(alert_id(rule.rule_id, {event}));
        }
      } else if (const ast::Sequence* sequence = parsed.query->sequence()) {
        if (!rule.timestamp_override.empty() || !rule.tiebreaker_field.empty()) continue;  // other orderings
        ++sequences;
        sequence_ids.insert(rule.rule_id);
        SequenceOptions sequence_options;
        sequence_options.filter = filter_options;
        SequenceCompileResult matcher = SequenceMatcher::compile(*sequence, sequence_options);
        REQUIRE(matcher.matcher);
        for (const EventRef& event : events) matcher.matcher->push(event, context);
        matcher.matcher->finish();
        for (const JoinResult& result : matcher.matcher->take_results()) {
          alone[rule.rule_id].insert(alert_id(rule.rule_id, result.events));
        }
      } else {
        together.erase(rule.rule_id);  // samples are not compared here
      }
    }
    for (const Rule& rule : rules) {
      if (!rule.timestamp_override.empty() || !rule.tiebreaker_field.empty()) {
        if (parse_query(rule.query).query->sequence()) together.erase(rule.rule_id);
      }
    }
    std::size_t alerts = 0, sequence_alerts = 0;
    for (const auto& [id, found] : alone) {
      alerts += found.size();
      if (sequence_ids.count(id)) sequence_alerts += found.size();
    }
    MESSAGE(alerts << " alerts (" << sequence_alerts << " of sequences) from " << alone.size() << " rules alone ("
                   << sequences << " sequence rules compared)");
    // The events reach many rules, sequences too: the comparison means something.
    CHECK(alone.size() >= 60);
    CHECK(sequence_alerts >= 5);
    CHECK(together == alone);
  }
}
