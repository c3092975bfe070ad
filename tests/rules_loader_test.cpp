// The rule-file loader: fields, skipped entries, file-level errors, and above all the exact
// mapping of every query byte back to its line and column in the rule file.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "eql/rules.h"

using namespace eql;

namespace eql {
doctest::String toString(const Position& position) {
  return (std::to_string(position.line) + ":" + std::to_string(position.column)).c_str();
}
}  // namespace eql

namespace {

// Where query byte `query_offset` of `rule` is shown in its file.
Position file_position(const RuleFile& file, const Rule& rule, std::uint32_t query_offset) {
  return file.source.position_at(rule.query_origin.to_file(query_offset));
}

std::uint32_t query_offset_of(const Rule& rule, std::string_view needle) {
  auto at = rule.query.find(needle);
  REQUIRE(at != std::string::npos);
  return static_cast<std::uint32_t>(at);
}

const Rule& only_rule(const RuleFile& file) {
  REQUIRE(file.diagnostics.empty());
  REQUIRE(file.rules.size() == 1);
  return file.rules.front();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("a ''' literal query maps by a shift, newline after the delimiter trimmed") {
  RuleFile file = load_rule_text("r.toml",
                                 "[rule]\n"
                                 "name = \"x\"\n"
                                 "language = \"eql\"\n"
                                 "type = \"eql\"\n"
                                 "query = '''\n"
                                 "process where x = 1\n"
                                 "'''\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.query == "process where x = 1\n");
  CHECK(rule.has_query);
  CHECK(file_position(file, rule, 0) == Position{6, 1});
  CHECK(file_position(file, rule, 16) == Position{6, 17});  // the '='
  CHECK(file_position(file, rule, static_cast<std::uint32_t>(rule.query.size())) == Position{7, 1});
  for (std::uint32_t i = 0; i < rule.query.size(); ++i) {
    CHECK(file.source.text()[rule.query_origin.to_file(i)] == rule.query[i]);
  }
}

TEST_CASE("columns count characters after non-ASCII text on the query's own line") {
  RuleFile file = load_rule_text("r.toml",
                                 "[rule]\n"
                                 "name = 'Ünïcödé'\n"
                                 "language = \"eql\"\n"
                                 "query = 'process where p == \"é\" and x = 1'\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.name == "Ünïcödé");
  CHECK(rule.query == "process where p == \"é\" and x = 1");
  CHECK(file_position(file, rule, query_offset_of(rule, "x = 1") + 2) == Position{4, 39});
}

TEST_CASE("a basic string with escapes maps every byte through the escapes") {
  RuleFile file = load_rule_text("r.toml",
                                 "[rule]\n"
                                 "language = \"eql\"\n"
                                 R"(query = "process where a == \"C:\\\\dir\" and b = 1")" "\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.query == R"(process where a == "C:\\dir" and b = 1)");
  CHECK(rule.query[35] == '=');
  CHECK(file_position(file, rule, 35) == Position{3, 49});
  // An escaped byte is shown at its backslash.
  CHECK(file_position(file, rule, 19) == Position{3, 29});
  CHECK(file_position(file, rule, 0) == Position{3, 10});
}

TEST_CASE("a multi-line basic string: line-ending backslash and \\u escapes") {
  RuleFile file = load_rule_text("r.toml",
                                 "[rule]\n"
                                 "language = \"eql\"\n"
                                 "query = \"\"\"\n"
                                 "process where \\\n"
                                 "    name == \"\\u00e9\" and x = 1\"\"\"\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.query == "process where name == \"é\" and x = 1");
  CHECK(rule.query[33] == '=');
  CHECK(file_position(file, rule, 33) == Position{5, 28});
  CHECK(file_position(file, rule, 23) == Position{5, 14});  // both bytes of 'é' at the '\'
  CHECK(file_position(file, rule, 24) == Position{5, 14});
  CHECK(file_position(file, rule, 14) == Position{5, 5});   // "name", after the trimmed indent
}

TEST_CASE("a CRLF file maps query lines exactly although TOML reads CRLF as LF") {
  RuleFile file = load_rule_text("r.toml",
                                 "[rule]\r\n"
                                 "language = \"eql\"\r\n"
                                 "query = '''\r\n"
                                 "process where\r\n"
                                 "  x = 1\r\n"
                                 "'''\r\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.query == "process where\n  x = 1\n");
  CHECK(file_position(file, rule, 0) == Position{4, 1});
  CHECK(file_position(file, rule, 18) == Position{5, 5});
  CHECK(file_position(file, rule, static_cast<std::uint32_t>(rule.query.size())) == Position{6, 1});
}

TEST_CASE("a ''' string may end with one or two quotes before the delimiter") {
  RuleFile file = load_rule_text("r.toml",
                                 "[rule]\nlanguage = \"eql\"\nquery = '''a = 'b'''''\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.query == "a = 'b''");
  CHECK(file_position(file, rule, 7) == Position{3, 19});
  CHECK(file_position(file, rule, 8) == Position{3, 20});
}

TEST_CASE("broken TOML is one error at its line and character column") {
  RuleFile file = load_rule_text("bad.toml",
                                 "[rule]\n"
                                 "language = \"eql\"\n"
                                 "name = \"Ünïcödé\" x\n"
                                 "query = 'process where true'\n",
                                 RuleFormat::Toml);
  CHECK(file.unreadable);
  CHECK(file.rules.empty());
  REQUIRE(file.diagnostics.size() == 1);
  const Diagnostic& error = file.diagnostics.front();
  CHECK(error.code == "rule.toml-syntax");
  CHECK(error.message.rfind("invalid TOML: ", 0) == 0);
  CHECK(file.source.position_at(error.span.begin) == Position{3, 18});
}

TEST_CASE("an EQL rule without a query is reported at its [rule] table") {
  RuleFile file = load_rule_text("r.toml",
                                 "[metadata]\nmaturity = \"production\"\n\n[rule]\nlanguage = \"eql\"\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK_FALSE(rule.has_query);
  REQUIRE(rule.field_diagnostics.size() == 1);
  CHECK(rule.field_diagnostics[0].code == "rule.missing-query");
  CHECK(file.source.position_at(rule.field_diagnostics[0].span.begin) == Position{4, 1});
}

TEST_CASE("fields of the wrong type are errors at the value; the query still loads") {
  RuleFile file = load_rule_text("r.toml",
                                 "[metadata]\n"
                                 "integration = \"endpoint\"\n"
                                 "[rule]\n"
                                 "language = \"eql\"\n"
                                 "risk_score = \"high\"\n"
                                 "index = \"logs-*\"\n"
                                 "max_signals = 100\n"
                                 "query = 'any where true'\n",
                                 RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.has_query);
  CHECK(rule.query == "any where true");
  CHECK_FALSE(rule.risk_score.has_value());
  CHECK(rule.max_signals == 100);
  CHECK(rule.integrations == std::vector<std::string>{"endpoint"});  // one string is allowed
  REQUIRE(rule.field_diagnostics.size() == 2);
  CHECK(rule.field_diagnostics[0].code == "rule.wrong-type");
  CHECK(rule.field_diagnostics[0].message == "`rule.risk_score` must be an integer, not a string");
  CHECK(file.source.position_at(rule.field_diagnostics[0].span.begin) == Position{5, 14});
  CHECK(file.source.position_at(rule.field_diagnostics[0].span.end) == Position{5, 20});
  CHECK(rule.field_diagnostics[1].message == "`rule.index` must be an array of strings, not a string");
}

TEST_CASE("a language of the wrong type is a file error: the rule cannot be classified") {
  RuleFile file = load_rule_text("r.toml", "[rule]\nlanguage = 3\nquery = 'x'\n", RuleFormat::Toml);
  CHECK(file.rules.empty());
  CHECK(file.skipped.empty());
  REQUIRE(file.diagnostics.size() == 1);
  CHECK(file.diagnostics[0].message == "`rule.language` must be a string, not an integer");
  CHECK_FALSE(file.unreadable);
}

TEST_CASE("rules in other languages are skipped with their language") {
  RuleFile kuery = load_rule_text("k.toml",
                                  "[rule]\nrule_id = \"k1\"\nname = \"K\"\nlanguage = \"kuery\"\n"
                                  "type = \"query\"\nrisk_score = \"not checked\"\n",
                                  RuleFormat::Toml);
  CHECK(kuery.rules.empty());
  CHECK(kuery.diagnostics.empty());
  REQUIRE(kuery.skipped.size() == 1);
  CHECK(kuery.skipped[0].kind == SkippedEntry::Kind::RuleInOtherLanguage);
  CHECK(kuery.skipped[0].what == "kuery");
  CHECK(kuery.skipped[0].rule_id == "k1");
  CHECK(kuery.skipped[0].name == "K");

  RuleFile ml = load_rule_text("m.toml", "[rule]\ntype = \"machine_learning\"\n", RuleFormat::Toml);
  REQUIRE(ml.skipped.size() == 1);
  CHECK(ml.skipped[0].what == "machine learning");

  RuleFile other = load_rule_text("pyproject.toml", "[tool]\nx = 1\n", RuleFormat::Toml);
  REQUIRE(other.skipped.size() == 1);
  CHECK(other.skipped[0].kind == SkippedEntry::Kind::OtherObject);
  CHECK(other.diagnostics.empty());
}

TEST_CASE("the bundled WMI rule keeps every fact a later stage needs") {
  std::string path = EQL_SOURCE_DIR "/rules/windows/execution_suspicious_cmd_wmi.toml";
  RuleFile file = load_rule_text(path, read_file(path), RuleFormat::Toml);
  const Rule& rule = only_rule(file);
  CHECK(rule.field_diagnostics.empty());
  CHECK(rule.name == "Suspicious Cmd Execution via WMI");
  CHECK(rule.description ==
        "Identifies suspicious command execution (cmd) via Windows Management Instrumentation "
        "(WMI) on a remote host. This could be indicative of adversary lateral movement.");
  CHECK(rule.language == "eql");
  CHECK(rule.type == "eql");
  CHECK(rule.severity == "medium");
  CHECK(rule.risk_score == 47);
  CHECK(rule.max_signals == 100);
  CHECK(rule.timestamp_override.empty());
  CHECK(rule.index == std::vector<std::string>{
                          "logs-endpoint.events.process-*", "winlogbeat-*", "logs-windows.forwarded*",
                          "logs-windows.sysmon_operational-*", "endgame-*", "logs-system.security*",
                          "logs-m365_defender.event-*", "logs-sentinel_one_cloud_funnel.*",
                          "logs-crowdstrike.fdr*"});
  CHECK(rule.maturity == "production");
  REQUIRE(rule.threat.size() == 1);
  const MitreThreat& threat = rule.threat[0];
  CHECK(threat.framework == "MITRE ATT&CK");
  CHECK(threat.tactic_id == "TA0002");
  CHECK(threat.tactic_name == "Execution");
  REQUIRE(threat.techniques.size() == 2);
  CHECK(threat.techniques[0].id == "T1047");
  CHECK(threat.techniques[0].name == "Windows Management Instrumentation");
  CHECK(threat.techniques[0].subtechniques.empty());
  CHECK(threat.techniques[1].id == "T1059");
  CHECK(threat.techniques[1].name == "Command and Scripting Interpreter");
  REQUIRE(threat.techniques[1].subtechniques.size() == 1);
  CHECK(threat.techniques[1].subtechniques[0].id == "T1059.003");
  CHECK(threat.techniques[1].subtechniques[0].name == "Windows Command Shell");
  CHECK(rule.query ==
        "process where host.os.type == \"windows\" and event.type == \"start\" and\n"
        "process.parent.name : \"WmiPrvSE.exe\" and process.name : \"cmd.exe\" and\n"
        "process.args : \"\\\\\\\\127.0.0.1\\\\*\" and process.args : (\"2>&1\", \"1>\")\n");
  CHECK(file_position(file, rule, 0) == Position{35, 1});
}

TEST_CASE("the real Kibana export: one EQL rule, the rest counted as skipped") {
  std::string path = EQL_SHARED_DIR "/corpus/kibana-export/rules-export.ndjson";
  RuleFile file = load_rule_text(path, read_file(path), RuleFormat::Kibana);
  CHECK(file.diagnostics.empty());
  REQUIRE(file.rules.size() == 1);
  const Rule& rule = file.rules[0];
  CHECK(rule.format == RuleFormat::Kibana);
  CHECK(rule.name == "test_eql_rule");
  CHECK(rule.rule_id == "2cc8f325-e1b1-4201-8b8d-88a51c94992b");
  CHECK(rule.index == std::vector<std::string>{"logs-*"});
  CHECK(rule.query.rfind("sequence by process.entity_id with maxspan=2h", 0) == 0);
  CHECK(file.source.position_at(rule.file_offset).line == 4);
  // Every query byte maps to itself in the file, or to the backslash of its escape.
  const std::string& text = file.source.text();
  for (std::uint32_t i = 0; i < rule.query.size(); ++i) {
    char in_file = text[rule.query_origin.to_file(i)];
    if (in_file != rule.query[i]) CHECK(in_file == '\\');
  }

  std::map<std::string, int> skipped;
  for (const SkippedEntry& entry : file.skipped) ++skipped[entry.what];
  CHECK(skipped == std::map<std::string, int>{{"kuery", 6},
                                              {"esql", 1},
                                              {"machine learning", 1},
                                              {"exception list", 2},
                                              {"exception list item", 2},
                                              {"action connector", 2},
                                              {"export summary", 1}});

  REQUIRE(file.exception_lists.size() == 2);
  CHECK(file.exception_lists[0].list_id == "1c8a1378-8f0d-4565-9ae0-abeeaf3981ca");
  CHECK(file.exception_lists[0].type == "detection");
  REQUIRE(file.exception_items.size() == 2);
  const ExceptionListItem& item = file.exception_items[0];
  CHECK(item.list_id == "1c8a1378-8f0d-4565-9ae0-abeeaf3981ca");
  CHECK(item.name == "host_excpetion");
  REQUIRE(item.entries.size() == 1);
  CHECK(item.entries[0].field == "host.name");
  CHECK(item.entries[0].operator_name == "included");
  CHECK(item.entries[0].type == "match");
  CHECK(item.entries[0].values == std::vector<std::string>{"test-host"});
}

TEST_CASE("a Kibana query maps through JSON escapes to its column on the line") {
  RuleFile file = load_rule_text(
      "export.ndjson",
      "{\"exported_count\":1}\n"
      R"({"rule_id":"r1","language":"eql","type":"eql","name":"n","query":"process where\n  a == \"\u00e9\" and b = 1"})"
      "\n",
      RuleFormat::Kibana);
  const Rule& rule = only_rule(file);
  CHECK(rule.query == "process where\n  a == \"é\" and b = 1");
  CHECK(file_position(file, rule, 32) == Position{2, 106});  // '=' of "b = 1"
  CHECK(file_position(file, rule, 22) == Position{2, 91});   // 'é' at its \u escape
  CHECK(file_position(file, rule, 13) == Position{2, 80});   // the newline at its \n
  CHECK(file_position(file, rule, 16) == Position{2, 84});
}

TEST_CASE("Kibana exports: a broken line is an error at its position, other lines load") {
  RuleFile file = load_rule_text("export.ndjson",
                                 "{\"rule_id\":\"a\",\"language\":\"eql\",\"query\":\"any where true\"}\n"
                                 "{\"rule_id\": tru}\n"
                                 "[1]\n"
                                 "{\"rule_id\":\"b\",\"language\":\"eql\",\"risk_score\":\"high\"}\n",
                                 RuleFormat::Kibana);
  REQUIRE(file.diagnostics.size() == 2);
  CHECK(file.diagnostics[0].code == "rule.json-syntax");
  CHECK(file.source.position_at(file.diagnostics[0].span.begin) == Position{2, 13});
  CHECK(file.diagnostics[1].code == "rule.json-not-object");
  CHECK(file.source.position_at(file.diagnostics[1].span.begin) == Position{3, 1});
  CHECK_FALSE(file.unreadable);
  REQUIRE(file.rules.size() == 2);
  CHECK(file.rules[0].query == "any where true");
  const Rule& broken = file.rules[1];
  CHECK_FALSE(broken.has_query);
  REQUIRE(broken.field_diagnostics.size() == 2);
  CHECK(broken.field_diagnostics[0].code == "rule.missing-query");
  CHECK(broken.field_diagnostics[1].message == "`risk_score` must be an integer, not a string");
  CHECK(file.source.position_at(broken.field_diagnostics[1].span.begin) == Position{4, 46});
}

TEST_CASE("a .eql file is one query: the whole file, positions unchanged") {
  RuleFile file = load_rule_text("hunt/x.eql", "// c\nany where x = 1\n", RuleFormat::Eql);
  const Rule& rule = only_rule(file);
  CHECK(rule.query == "// c\nany where x = 1\n");
  CHECK(rule.name == "x");
  CHECK(file_position(file, rule, 17) == Position{2, 13});
}

TEST_CASE("folders are walked in sorted order; other files and hidden folders are ignored") {
  std::string root = EQL_SOURCE_DIR "/tests/data/rules/walk";
  LoadedRules loaded = load_rule_paths({root});
  CHECK(loaded.io_errors.empty());
  std::vector<std::string> names;
  for (const RuleFile& file : loaded.files) names.push_back(file.source.name());
  CHECK(names == std::vector<std::string>{root + "/c.eql", root + "/windows/a_rule.toml",
                                          root + "/windows/b_rule.toml"});
}

TEST_CASE("a missing path or a named non-rule file is an I/O error; the rest still loads") {
  std::string root = EQL_SOURCE_DIR "/tests/data/rules/walk";
  LoadedRules loaded = load_rule_paths({root + "/nope", root + "/README.md", root + "/c.eql"});
  REQUIRE(loaded.io_errors.size() == 2);
  CHECK(loaded.io_errors[0].find("nope") != std::string::npos);
  CHECK(loaded.io_errors[1].find("not a rule file") != std::string::npos);
  CHECK(loaded.files.size() == 1);
}

TEST_CASE("the detection-rules corpus: counts, and every query byte found in its file") {
  std::string root = EQL_SHARED_DIR "/corpus/detection-rules";
  LoadedRules loaded = load_rule_paths({root});
  CHECK(loaded.io_errors.empty());
  CHECK(loaded.files.size() == 2068);
  std::size_t eql = 0;
  std::map<std::string, std::size_t> skipped;
  for (const RuleFile& file : loaded.files) {
    CHECK(file.diagnostics.empty());
    for (const SkippedEntry& entry : file.skipped) ++skipped[entry.what];
    for (const Rule& rule : file.rules) {
      ++eql;
      CHECK(rule.field_diagnostics.empty());
      CHECK_FALSE(rule.rule_id.empty());
      bool exact = true;
      for (std::uint32_t i = 0; i < rule.query.size(); ++i) {
        exact = exact && file.source.text()[rule.query_origin.to_file(i)] == rule.query[i];
      }
      if (!exact) FAIL_CHECK("query bytes do not map back into " << file.source.name());
    }
  }
  CHECK(eql == 1024);
  CHECK(skipped == std::map<std::string, std::size_t>{
                       {"kuery", 729}, {"esql", 209}, {"machine learning", 106}});
}

TEST_CASE("odd input never crashes the loader and never loses the rest of the file") {
  const std::vector<std::string> texts = {
      "",
      "\xEF\xBB\xBF[rule]\nlanguage = \"eql\"\nquery = 'any where true'\n",
      "\xFF\xFE\x00garbage",
      "[rule]\nlanguage = \"eql\"\nquery = '''unterminated",
      "[rule]\nlanguage = \"eql\"\nquery = \"\"\n",
      "rule = { language = \"eql\", query = \"any where \\\"x\\\"\" }\n",
      "rule = 5\n",
      "{\"rule_id\":",
      "{}\n\n[]\n\"x\"\n",
      "{\"rule_id\":\"r\",\"language\":\"eql\",\"qu\\u0065ry\":\"any where true\"}\n",
      "{\"rule_id\":\"r\",\"language\":\"eql\",\"query\":\"any where true\"}\r\n",
  };
  for (const std::string& text : texts) {
    for (RuleFormat format : {RuleFormat::Toml, RuleFormat::Kibana, RuleFormat::Eql}) {
      CAPTURE(text);
      RuleFile file = load_rule_text("odd", text, format);
      for (const Rule& rule : file.rules) {
        // Every mapped offset stays inside the file.
        for (std::uint32_t i = 0; i <= rule.query.size(); ++i) {
          CHECK(rule.query_origin.to_file(i) <= file.source.text().size());
        }
      }
    }
  }

  RuleFile bom = load_rule_text("bom.toml", texts[1], RuleFormat::Toml);
  REQUIRE(bom.rules.size() == 1);
  CHECK(file_position(bom, bom.rules[0], 0) == Position{3, 10});

  RuleFile inline_table = load_rule_text("inline.toml", texts[5], RuleFormat::Toml);
  REQUIRE(inline_table.rules.size() == 1);
  CHECK(inline_table.rules[0].query == "any where \"x\"");
  CHECK(file_position(inline_table, inline_table.rules[0], 10) == Position{1, 47});

  RuleFile crlf = load_rule_text("crlf.ndjson", texts[10], RuleFormat::Kibana);
  CHECK(crlf.diagnostics.empty());
  REQUIRE(crlf.rules.size() == 1);
  CHECK(file_position(crlf, crlf.rules[0], 4) == Position{1, 46});
}
