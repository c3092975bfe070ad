// Rule test files (`*.test.toml`, docs/test.md) as the library reads them: what each form of
// `events` becomes, defaults, and positions of mistakes. The command's output is checked
// against golden files by tests/test_command_test.sh.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "eql/rule_test.h"
#include "eql/rules.h"

using namespace eql;

namespace {

std::string located(const RuleTestFile& file, std::size_t index = 0) {
  REQUIRE(file.diagnostics.size() > index);
  const Diagnostic& d = file.diagnostics[index];
  LocatedDiagnostic where = locate(d, file.source, QueryOrigin());
  return std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column) + " " + d.code;
}

}  // namespace

TEST_CASE("rule test file names") {
  CHECK(is_rule_test_path("rules/windows/x.test.toml"));
  CHECK(is_rule_test_path(".test.toml"));
  CHECK_FALSE(is_rule_test_path("rules/windows/x.toml"));
  CHECK_FALSE(is_rule_test_path("x.test.toml.bak"));
}

TEST_CASE("a rule folder's walk leaves the tests out") {
  LoadedRules loaded = load_rule_paths({std::string(EQL_SOURCE_DIR) + "/rules"});
  REQUIRE(loaded.io_errors.empty());
  for (const RuleFile& file : loaded.files) {
    CHECK_FALSE(is_rule_test_path(file.source.name()));
    for (const SkippedEntry& entry : file.skipped) CHECK(entry.what != "non-rule TOML file");
  }
}

TEST_CASE("the forms of events, defaults and paths relative to the test file") {
  RuleTestFile file = load_rule_test_text("dir/sub/a.test.toml", R"(rule = "../r.toml"
index = "logs-x"
start = 2024-01-01T00:00:00Z
step = "250ms"

[[case]]
name = "one"
events = ["e.jsonl", '''  {"event": {"id": "a"}}''']
alert_events = [["a"], ["b", "c"]]
[[case.event]]
event.id = "t"

[[case]]
name = "two"
index = "logs-y"
step = "2m"
events = "/abs/e.ndjson"
alerts = 0
)");
  REQUIRE(file.diagnostics.empty());
  CHECK(file.rule_path == "dir/r.toml");
  REQUIRE(file.cases.size() == 2);
  const RuleTestCase& one = file.cases[0];
  REQUIRE(one.events.size() == 3);
  CHECK(one.events[0].kind == TestEventSource::Kind::File);
  CHECK(one.events[0].text == "dir/sub/e.jsonl");
  CHECK(one.events[1].kind == TestEventSource::Kind::Json);
  CHECK(one.events[2].kind == TestEventSource::Kind::Json);
  CHECK(one.events[2].text.find("\"t\"") != std::string::npos);
  CHECK(one.alerts == 2);  // from alert_events
  CHECK(one.index == "logs-x");
  REQUIRE(one.start.has_value());
  CHECK(*one.start == *parse_date("2024-01-01T00:00:00Z"));
  CHECK(one.step_ns == 250'000'000);
  const RuleTestCase& two = file.cases[1];
  CHECK(two.index == "logs-y");
  CHECK(two.step_ns == 120'000'000'000);
  CHECK(two.events[0].text == "/abs/e.ndjson");
}

TEST_CASE("mistakes are placed in the file, characters counted, CRLF or not") {
  for (const char* eol : {"\n", "\r\n"}) {
    std::string text = std::string("rule = \"r.toml\"") + eol + "[[case]]" + eol + "name = \"é é\"" + eol +
                       "events = 'e.jsonl'" + eol + "alerts = 1" + eol + "colour = 1" + eol;
    RuleTestFile file = load_rule_test_text("a.test.toml", text);
    CHECK(located(file) == "6:1 test.unknown-key");
  }
  RuleTestFile syntax = load_rule_test_text("a.test.toml", "rule = \"r.toml\"\n[[case]\n");
  CHECK(located(syntax) == "2:8 test.toml-syntax");
}

TEST_CASE("inline JSON keeps its place in the test file") {
  RuleTestFile file = load_rule_test_text("a.test.toml", "rule = \"r.toml\"\n[[case]]\nname = \"x\"\nalerts = 0\n"
                                                         "events = ['''\n{\"a\": 1,\n \"b\" 2}''']\n");
  REQUIRE(file.diagnostics.empty());
  const TestEventSource& source = file.cases.at(0).events.at(0);
  REQUIRE(source.mapped);
  // The JSON's byte 0 is the '{' at the start of line 6 (the newline after ''' is trimmed).
  CHECK(file.source.position_at(source.origin.to_file(0)) == Position{6, 1});
  CHECK(file.source.position_at(source.origin.to_file(14)) == Position{7, 6});
}
