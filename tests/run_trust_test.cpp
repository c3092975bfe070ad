// `eql run` and a rule set a detection engineer can trust (issue 17): alert identity of rules
// without a rule_id, rule-id warnings, type checks at load, building-block rules, selection
// mistakes, the output formats and the command's messages.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "eql/rules.h"
#include "eql/runner.h"
#include "run_harness.h"

using namespace eql;

namespace {

const std::string kRunData = EQL_SOURCE_DIR "/tests/data/run";
const std::string kEvents = kRunData + "/events.ndjson";
const std::string kBundledEvents = EQL_SOURCE_DIR "/rules/events/windows_wmi_cmd.jsonl";

testing::RunCapture run(const std::vector<std::string>& arguments) { return testing::capture_eql_run(arguments); }

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("eql run: alerts of two .eql hunts over the same events never share an id") {
  const std::string hunts = kRunData + "/hunts";
  testing::RunCapture output = run({"--rules", hunts, kBundledEvents});
  REQUIRE(output.exit_code == cli::kExitOk);
  // Four events (the cmd.exe children of WmiPrvSE) match both hunts: the ids hashed only the
  // (empty) rule_id and the event, so the two files' alerts on them had the same four ids.
  std::map<std::string, std::set<std::string>> events_by_identity;
  std::set<std::string> ids;
  for (const std::string& line : output.lines) {
    rapidjson::Document alert = parse(line);
    CHECK(std::string(alert["rule_id"].GetString()).empty());
    const std::string identity = alert["rule_identity"].GetString();
    CHECK(identity.size() == 32);
    events_by_identity[identity].insert(alert["event"]["event"]["id"].GetString());
    ids.insert(alert["alert_id"].GetString());
  }
  REQUIRE(output.lines.size() == 9);
  REQUIRE(events_by_identity.size() == 2);
  std::vector<std::string> both;
  for (const std::string& event : events_by_identity.begin()->second) {
    if (events_by_identity.rbegin()->second.count(event)) both.push_back(event);
  }
  CHECK(both.size() == 4);
  CHECK(ids.size() == 9);

  // The identity does not depend on how the rule set's folder was named: the same files by
  // another path give the same ids (and re-runs do).
  testing::RunCapture again = run({"--rules", hunts + "/../hunts/cmd.eql", "--rules", hunts + "/wmi_child.eql",
                                   kBundledEvents});
  std::set<std::string> again_ids;
  for (const std::string& line : again.lines) again_ids.insert(parse(line)["alert_id"].GetString());
  CHECK(again_ids == ids);
}

TEST_CASE("the derived identity of a rule without rule_id: what changes it and what does not") {
  Rule rule = testing::rule_of("", R"(process where process.name : "cmd.exe")");
  rule.file = "some/where/cmd.eql";
  rule.name = "cmd";
  const std::string identity = derived_rule_identity(rule);
  CHECK(identity.size() == 32);
  CHECK(rule_identity(rule) == identity);
  Rule moved = rule;
  moved.file = "/elsewhere/else/cmd.eql";
  CHECK(derived_rule_identity(moved) == identity);
  Rule other_query = rule;
  other_query.query = R"(process where process.name : "pwsh.exe")";
  CHECK(derived_rule_identity(other_query) != identity);
  Rule other_index = rule;
  other_index.index = {"logs-*"};
  CHECK(derived_rule_identity(other_index) != identity);
  Rule with_id = rule;
  with_id.rule_id = "abc";
  CHECK(derived_rule_identity(with_id).empty());
  CHECK(rule_identity(with_id) == "abc");
}

TEST_CASE("eql run: a duplicate rule_id and a TOML rule without one are warned about at load") {
  testing::RunCapture output = run({"--rules", kRunData + "/rule-ids", kEvents});
  CHECK(output.exit_code == cli::kExitOk);
  const std::string folder = kRunData + "/rule-ids";
  CHECK(contains(output.err, "eql run: " + folder + "/no_id.toml:5: warning: the rule has no rule_id; its alerts "
                                                    "carry a derived rule_identity\n"));
  CHECK(contains(output.err, "eql run: warning: rule_id run-dup is used by 2 rules: " + folder + "/first.toml:13, " +
                                 folder + "/second.toml:13\n"));
  CHECK(contains(output.err, "eql run: 3 EQL rules loaded from 3 files\n"));
}

TEST_CASE("eql run: the type checker's findings are warnings at load; --strict-rules refuses the rule") {
  const std::string folder = kRunData + "/typo";
  testing::RunCapture output = run({"--rules", folder, kEvents});
  CHECK(output.exit_code == cli::kExitOk);
  CHECK(contains(output.err, folder + "/typo.toml:19:15: warning: "));
  CHECK(contains(output.err, "process.nmae"));
  CHECK(contains(output.err, "eql run: 2 EQL rules loaded from 2 files\n"));

  testing::RunCapture strict = run({"--rules", folder, "--strict-rules", kEvents});
  CHECK(strict.exit_code == cli::kExitFindings);
  CHECK(contains(strict.err, folder + "/typo.toml:19:15: warning: "));
  CHECK(contains(strict.err, "eql run: 1 EQL rule loaded from 2 files, 1 refused by --strict-rules (findings shown "
                             "above)\n"));
  CHECK(strict.lines.size() == 3);  // the fine rule still ran
}

TEST_CASE("eql run: --check off skips the type checks at load, --check error refuses as --strict-rules") {
  const std::string folder = kRunData + "/typo";
  testing::RunCapture off = run({"--check", "off", "--rules", folder, kEvents});
  CHECK(off.exit_code == cli::kExitOk);
  CHECK_FALSE(contains(off.err, "warning: "));
  CHECK(contains(off.err, "eql run: 2 EQL rules loaded from 2 files\n"));

  testing::RunCapture error = run({"--check", "error", "--rules", folder, kEvents});
  CHECK(error.exit_code == cli::kExitFindings);
  CHECK(contains(error.err, "1 refused by --strict-rules"));

  testing::RunCapture bad = run({"--check", "never", "--rules", folder, kEvents});
  CHECK(bad.exit_code == cli::kExitUsage);
  CHECK(contains(bad.err, "eql run: unknown --check mode 'never' (warn, error or off)\nTry 'eql run --help'.\n"));
}

TEST_CASE("eql run: --schema adds fields to the schemas rules are checked against; a broken one is a usage error") {
  const std::string folder = kRunData + "/typo";
  const std::string schema = kRunData + "/schemas/nmae.json";
  testing::RunCapture output = run({"--schema", schema, "--rules", folder, "--strict-rules", kEvents});
  CHECK(output.exit_code == cli::kExitOk);
  CHECK_FALSE(contains(output.err, "warning: "));
  CHECK(contains(output.err, "eql run: 2 EQL rules loaded from 2 files\n"));

  testing::RunCapture missing = run({"--schema", kRunData + "/schemas/absent.json", "--rules", folder, kEvents});
  CHECK(missing.exit_code == cli::kExitUsage);
  CHECK(contains(missing.err, "eql run: schema " + kRunData + "/schemas/absent.json: "));
  CHECK(missing.lines.empty());
}

TEST_CASE("eql run: building-block rules are marked, counted apart and left out of the table") {
  const std::string folder = kRunData + "/building-blocks";
  testing::RunCapture output = run({"--rules", folder, kEvents});
  REQUIRE(output.exit_code == cli::kExitOk);
  REQUIRE(output.lines.size() == 5);
  std::size_t blocks = 0;
  for (const std::string& line : output.lines) {
    rapidjson::Document alert = parse(line);
    bool block = std::string(alert["rule_id"].GetString()) == "run-bb-cmd";
    CHECK(alert.HasMember("building_block") == block);
    if (block) {
      CHECK(alert["building_block"].GetBool());
      ++blocks;
    }
  }
  CHECK(blocks == 3);
  CHECK(contains(output.err, "eql run: 6 events, 2 alerts from 1 rule, 0 rules never matched, "
                             "3 building-block alerts from 1 building-block rule;"));

  testing::RunCapture table = run({"--rules", folder, "--format", "table", kEvents});
  std::ifstream golden(kRunData + "/golden/building-blocks.table");
  CHECK(table.out == std::string(std::istreambuf_iterator<char>(golden), {}));
  CHECK_FALSE(contains(table.out, "cmd.exe (building block)"));
  testing::RunCapture threaded = run({"--rules", folder, "--format", "table", "--threads", "2", kEvents});
  CHECK(threaded.out == table.out);
  CHECK(contains(threaded.err, "2 alerts from 1 rule, 0 rules never matched, 3 building-block alerts"));
  CHECK(contains(table.out, "SMB connection"));
  testing::RunCapture all = run({"--rules", folder, "--format", "table", "--building-blocks", "include", kEvents});
  CHECK(contains(all.out, "cmd.exe (building block)"));

  testing::RunCapture excluded = run({"--rules", folder, "--building-blocks", "exclude", kEvents});
  CHECK(excluded.lines.size() == 2);
  CHECK(contains(excluded.err, "eql run: 1 EQL rule loaded from 2 files, 1 not selected"));
  testing::RunCapture only = run({"--rules", folder, "--building-blocks", "only", kEvents});
  CHECK(only.lines.size() == 3);
  CHECK(run({"--rules", folder, "--building-blocks", "some", kEvents}).err ==
        "eql run: unknown --building-blocks 'some' (include, exclude or only)\nTry 'eql run --help'.\n");
}

TEST_CASE("eql run: a selection that matches nothing, or names what is not loaded, is an error") {
  const std::string rules = kRunData + "/rules";
  testing::RunCapture missing = run({"--rules", rules, "--rule-id", "no-such-rule", kEvents});
  CHECK(missing.exit_code == cli::kExitUsage);
  CHECK(missing.err == "eql run: --rule-id no-such-rule: no loaded rule has this id\n");
  CHECK(missing.out.empty());

  // A rule of another language is loaded, but not run.
  testing::RunCapture kql = run({"--rules", EQL_SOURCE_DIR "/rules", "--rule-id",
                                 "051eee15-68c4-41be-8e05-7aaea1a54b44", kBundledEvents});
  CHECK(kql.exit_code == cli::kExitUsage);
  CHECK(kql.err == "eql run: --rule-id 051eee15-68c4-41be-8e05-7aaea1a54b44 is a kuery rule, not EQL: eql run runs "
                   "EQL rules only\n");

  testing::RunCapture tag = run({"--rules", kRunData + "/building-blocks", "--tag", "Tactic:Execution", kEvents});
  CHECK(tag.exit_code == cli::kExitUsage);
  CHECK(tag.err == "eql run: --tag 'Tactic:Execution': no loaded EQL rule has this tag; did you mean "
                   "'Tactic: Execution'?\n");
  testing::RunCapture far = run({"--rules", rules, "--tag", "nothing like it", kEvents});
  CHECK(far.err == "eql run: --tag 'nothing like it': no loaded EQL rule has this tag\n");

  // Each part exists, but no rule has both.
  testing::RunCapture empty = run({"--rules", rules, "--rule-id", "run-cmd-endpoint", "--severity", "critical", kEvents});
  CHECK(empty.exit_code == cli::kExitUsage);
  CHECK(empty.err == "eql run: no loaded EQL rule matches the selection (--severity, --rule-id, --tag, "
                     "--building-blocks)\n");

  // --index before a file applies to it (event 6 names no index: it is outside winlogbeat-*).
  testing::RunCapture before = run({"--rules", rules, "--rule-id", "run-any-event", "--index", "logs-x", kEvents});
  CHECK(before.exit_code == cli::kExitOk);
  CHECK(before.lines.size() == 1);
  testing::RunCapture late_index = run({"--rules", rules, kEvents, "--index", "logs-x"});
  CHECK(late_index.exit_code == cli::kExitUsage);
  CHECK(late_index.err == "eql run: --index logs-x is given after the last FILE: it applies to the FILEs after it\n"
                          "Try 'eql run --help'.\n");
}

TEST_CASE("eql run: a bad option value is one line and a pointer to --help") {
  testing::RunCapture threads = run({"--rules", kRunData + "/rules", "--threads", "0", kEvents});
  CHECK(threads.exit_code == cli::kExitUsage);
  CHECK(threads.err == "eql run: --threads needs a number from 1 to 256\nTry 'eql run --help'.\n");
  CHECK(run({"--rules", kRunData + "/rules", "--bogus", kEvents}).err ==
        "eql run: unknown option --bogus\nTry 'eql run --help'.\n");
  CHECK(run({"--rules", kRunData + "/rules", "--format", "xml", kEvents}).err ==
        "eql run: unknown format 'xml' (ndjson, json, csv or table)\nTry 'eql run --help'.\n");
}

TEST_CASE("eql run: durations accept 0s") {
  testing::RunCapture zero = run({"--rules", kRunData + "/rules", "--max-lateness", "0s", kEvents});
  CHECK(zero.exit_code == cli::kExitOk);
  CHECK(zero.lines.size() == 10);
  CHECK(cli::duration_millis("0s") == 0);
  CHECK(cli::duration_millis("250ms") == 250);
  CHECK(cli::duration_millis("5m") == 300'000);
  CHECK_FALSE(cli::duration_millis("1.5s"));
  CHECK_FALSE(cli::duration_millis("s"));
  CHECK_FALSE(cli::duration_millis("10"));
}

TEST_CASE("eql run: -q and plurals in the report") {
  testing::RunCapture quiet = run({"-q", "--rules", kRunData + "/building-blocks", kEvents});
  CHECK(quiet.exit_code == cli::kExitOk);
  CHECK(quiet.err.empty());
  CHECK(quiet.lines.size() == 5);
  // Warnings about the rules are not the report: -q still shows them.
  CHECK(run({"-q", "--rules", kRunData + "/typo", kEvents}).err.find("warning: unknown field `process.nmae`") !=
        std::string::npos);
  testing::RunCapture one = run({"--rules", kRunData + "/rules/cmd_endpoint.toml", kEvents});
  CHECK(contains(one.err, "eql run: 1 EQL rule loaded from 1 file\n"));
  CHECK(contains(one.err, "eql run: 6 events, 1 alert from 1 rule, 0 rules never matched;"));
  CHECK(contains(one.err, "(of 1 rule)\n"));
}

TEST_CASE("eql run: --format json is one array, --format csv one line per alert after a header") {
  const std::string rules = kRunData + "/rules";
  testing::RunCapture ndjson = run({"--rules", rules, kEvents});
  testing::RunCapture json = run({"--rules", rules, "--format", "json", kEvents});
  CHECK(json.exit_code == cli::kExitOk);
  rapidjson::Document array = parse(json.out);
  REQUIRE(array.IsArray());
  REQUIRE(array.Size() == ndjson.lines.size());
  // The array's elements are the ndjson lines, in order.
  std::string expected = "[";
  for (std::size_t i = 0; i < ndjson.lines.size(); ++i) expected += (i ? ",\n" : "\n") + ndjson.lines[i];
  CHECK(json.out == expected + "\n]\n");
  CHECK(run({"--rules", rules, "--rule-id", "run-override-category", "--format", "json",
             EQL_SOURCE_DIR "/rules/events/windows_wmi_cmd.jsonl"}).out == "[]\n");

  testing::RunCapture csv = run({"--rules", rules, "--rule-id", "run-cmd-endpoint", "--format", "csv", kEvents});
  REQUIRE(csv.lines.size() == 2);
  CHECK(csv.lines[0] == "alert_id,rule_id,rule_identity,rule_name,severity,risk_score,building_block,tactics,"
                        "techniques,rule_file,timestamp,join_keys,events");
  testing::RunCapture one = run({"--rules", rules, "--rule-id", "run-cmd-endpoint", kEvents});
  REQUIRE(one.lines.size() == 1);
  rapidjson::Document alert = parse(one.lines[0]);
  const std::string id = alert["alert_id"].GetString();
  CHECK(csv.lines[1].rfind(id + ",run-cmd-endpoint,,cmd.exe in endpoint process events,low,21,false,TA0002,T1059," +
                               rules + "/cmd_endpoint.toml,2026-01-01T00:00:10.000Z,,\"[{", 0) == 0);
}
