// `eql run --threads N` (issue 6): the same alerts as one thread, whatever N, for event
// rules, sequences and samples that join on the partition field and for those that do not;
// events without the partition field, with several values of it, with a number for it.
#include <unistd.h>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/run.h"
#include "run/parallel_run.h"
#include "run_harness.h"
#include "eql/rules.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "eql/schema_types.h"
#include "eql/value.h"

using namespace eql;

namespace {

const std::string kThreadRules = EQL_SOURCE_DIR "/tests/data/run_threads/rules";

using Output = testing::RunCapture;

Output run_eql(const std::vector<std::string>& arguments) { return testing::capture_eql_run(arguments); }

// Each alert as "rule name|alert id|join keys", sorted: the alert set, order aside.
std::vector<std::string> alert_set(const Output& output) {
  std::vector<std::string> alerts;
  for (const std::string& line : output.lines) {
    rapidjson::Document alert;
    alert.Parse(line.data(), line.size());
    REQUIRE_FALSE(alert.HasParseError());
    std::string keys;
    if (alert.HasMember("join_keys")) {
      for (const auto& key : alert["join_keys"].GetArray()) keys += std::string(key.GetString()) + ",";
    }
    alerts.push_back(std::string(alert["rule_name"].GetString()) + "|" + alert["alert_id"].GetString() + "|" + keys);
  }
  std::sort(alerts.begin(), alerts.end());
  return alerts;
}

// The summary line up to the timing, e.g. "eql run: 4000 events, 812 alerts from 12 rules,
// 0 rules never matched".
std::string summary_counts(const Output& output) {
  auto start = output.err.rfind("eql run: ", output.err.find(" events, "));
  auto end = output.err.find(';', start);
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  return output.err.substr(start, end - start);
}

// A deterministic stream: 13 hosts, a few values per field so that sequences and samples
// form; about 1 event in 30 has no host.id, 1 in 30 two of them, 1 in 40 a number. Times
// go forward by 0.7 s on average, with events up to 3 s early (exact mode sorts them).
std::string write_events(std::size_t count, const std::string& name) {
  std::uint64_t state = 12345;
  auto next = [&](std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  const char* categories[] = {"process", "network", "file", "authentication"};
  const char* names[] = {"cmd.exe", "powershell.exe", "svchost.exe"};
  const int ports[] = {445, 443, 53, 80};
  std::string text;
  EpochNanos now = *parse_date("2024-03-01T00:00:00.000Z");
  for (std::size_t i = 0; i < count; ++i) {
    now += static_cast<EpochNanos>(next(1400)) * 1'000'000;
    EpochNanos stamp = now - (next(10) == 0 ? static_cast<EpochNanos>(next(3000)) * 1'000'000 : 0);
    std::string category = categories[next(4)];
    std::string line = "{\"id\":" + std::to_string(i) + ",\"@timestamp\":\"" + format_date(stamp, false) + "\"";
    line += ",\"event\":{\"category\":[\"" + category + "\"]";
    if (category == "authentication") line += std::string(",\"outcome\":\"") + (next(3) ? "success" : "failure") + "\"";
    line += "}";
    std::uint64_t shape = next(120);
    std::string host = "h" + std::to_string(1 + next(13));
    if (shape < 4) {
      // no host.id
    } else if (shape < 8) {
      line += ",\"host\":{\"id\":[\"" + host + "\",\"h" + std::to_string(1 + next(13)) + "\"]}";
    } else if (shape < 11) {
      line += ",\"host\":{\"id\":" + std::to_string(1 + next(3)) + "}";
    } else {
      line += ",\"host\":{\"id\":\"" + host + "\"}";
    }
    line += ",\"user\":{\"name\":\"u" + std::to_string(next(5)) + "\"}";
    line += ",\"process\":{\"name\":\"" + std::string(names[next(3)]) + "\",\"entity_id\":\"p" +
            std::to_string(next(20)) + "\"}";
    if (category == "network") line += ",\"destination\":{\"port\":" + std::to_string(ports[next(4)]) + "}";
    if (category == "file") line += std::string(",\"file\":{\"name\":\"") + (next(8) ? "a.txt" : "stop.txt") + "\"}";
    text += line + "}\n";
  }
  // One file per test case and process: ctest runs the cases in parallel, maybe from
  // several checkouts at once.
  auto path = std::filesystem::temp_directory_path() /
              ("eql_run_threads_" + name + "-" + std::to_string(getpid()) + ".ndjson");
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

}  // namespace

TEST_CASE("eql run --threads: the rules' spread over the workers") {
  LoadedRules loaded = load_rule_paths({kThreadRules});
  SchemaFieldTypes types(embedded_schema_all());
  RunnerOptions options;
  options.field_types = &types;
  RuleRunner runner(options);
  for (const RuleFile& file : loaded.files) {
    for (const Rule& rule : file.rules) REQUIRE_FALSE(has_errors(runner.add_rule(rule)));
  }
  eql::RuleSpreadPlan plan = eql::plan_rule_spread(runner, "host.id", types);
  std::map<std::string, std::string> spread;
  for (std::size_t i = 0; i < runner.rule_count(); ++i) {
    const char* names[] = {"owner", "partitioned", "designated"};
    spread[runner.rule(i).name] = names[static_cast<int>(plan.spread[i])];
    if (plan.spread[i] == eql::RuleSpread::Partitioned) {
      spread[runner.rule(i).name] += " at " + std::to_string(plan.key_position[i]);
    }
  }
  std::map<std::string, std::string> expected = {
      {"event_cmd", "owner"},
      {"event_smb_h1", "owner"},
      {"seq_by_host", "partitioned at 0"},
      {"seq_host_then_entity", "partitioned at 0"},
      {"seq_host_second_key", "partitioned at 1"},
      {"seq_until", "partitioned at 0"},
      {"seq_missing_event", "partitioned at 0"},
      {"seq_optional_host", "partitioned at 0"},
      {"seq_by_user", "designated"},
      {"seq_no_key", "designated"},
      {"sample_by_host", "partitioned at 0"},
      {"sample_by_user", "designated"},
  };
  CHECK(spread == expected);

  // By another field, the host.id sequences must see every event.
  eql::RuleSpreadPlan by_user = eql::plan_rule_spread(runner, "user.name", types);
  for (std::size_t i = 0; i < runner.rule_count(); ++i) {
    bool on_user = runner.rule(i).name == "seq_by_user" || runner.rule(i).name == "sample_by_user";
    if (runner.rule(i).name.rfind("event_", 0) == 0) continue;
    CHECK_MESSAGE((by_user.spread[i] == eql::RuleSpread::Partitioned) == on_user, runner.rule(i).name);
  }
  // A date field joins on instants whose text may differ: never partitioned on.
  eql::RuleSpreadPlan by_time = eql::plan_rule_spread(runner, "@timestamp", types);
  CHECK(std::count(by_time.spread.begin(), by_time.spread.end(), eql::RuleSpread::Partitioned) == 0);
}

TEST_CASE("eql run --threads: 1 to 4 threads give the same alerts") {
  const std::string events = write_events(4000, "same_alerts");
  for (const char* order : {"exact", "stream"}) {
    CAPTURE(order);
    Output one = run_eql({"--rules", kThreadRules, "--order", order, events});
    REQUIRE(one.exit_code == 0);
    std::vector<std::string> expected = alert_set(one);
    // Every rule alerts, so each kind of rule is really compared.
    std::map<std::string, int> per_rule;
    for (const std::string& alert : expected) ++per_rule[alert.substr(0, alert.find('|'))];
    CHECK(per_rule.size() == 12);
    for (const auto& [rule, count] : per_rule) {
      CAPTURE(rule);
      CHECK(count > 0);
    }
    CHECK(expected.size() > 500);
    for (const char* threads : {"1", "2", "3", "4"}) {
      CAPTURE(threads);
      Output many = run_eql({"--rules", kThreadRules, "--order", order, "--threads", threads, events});
      REQUIRE(many.exit_code == 0);
      CHECK(alert_set(many) == expected);
      CHECK(summary_counts(many) == summary_counts(one));
    }
  }
  std::filesystem::remove(events);
}

TEST_CASE("eql run --threads: the order of the alerts") {
  const std::string events = write_events(3000, "order");
  Output one = run_eql({"--rules", kThreadRules, events});
  Output four = run_eql({"--rules", kThreadRules, "--threads", "4", events});
  // Event-rule alerts come in input order (for one event, in rule order), as one thread
  // gives them; the alerts decided at the end follow, by rule.
  auto event_alerts = [](const Output& output) {
    std::vector<std::string> lines;
    for (const std::string& line : output.lines) {
      if (line.find("\"join_keys\":") == std::string::npos) lines.push_back(line);
    }
    return lines;
  };
  CHECK(event_alerts(four) == event_alerts(one));
  CHECK_FALSE(event_alerts(one).empty());
  // The same threads give the same bytes, whatever the threads' timing.
  Output again = run_eql({"--rules", kThreadRules, "--threads", "4", events});
  CHECK(again.out == four.out);
  Output by_user = run_eql({"--rules", kThreadRules, "--threads", "3", "--partition-by", "user.name", events});
  CHECK(alert_set(by_user) == alert_set(one));
  std::filesystem::remove(events);
}

TEST_CASE("eql run --threads: usage errors") {
  for (const char* bad : {"0", "x", "257"}) {
    Output output = run_eql({"--rules", kThreadRules, "--threads", bad, "-"});
    CHECK(output.exit_code == 2);
    CHECK(output.err.find("--threads needs a number from 1 to 256") != std::string::npos);
  }
}
