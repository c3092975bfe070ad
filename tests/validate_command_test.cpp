// `eql validate`: options, exit codes, the summary line, and golden text and JSON output.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli/validate.h"

using namespace eql;

namespace {

const std::string kData = EQL_SOURCE_DIR "/tests/data/rules";

cli::ValidateRun validate(const std::vector<std::string>& arguments, bool terminal = false) {
  std::vector<std::string_view> views(arguments.begin(), arguments.end());
  return cli::validate_command(cli::Args(views.data(), views.size()), terminal);
}

// File names in the output start with the test data folder; golden texts name them from there.
std::string relative(std::string text) {
  const std::string prefix = kData + "/";
  for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
    text.erase(at, prefix.size());
  }
  return text;
}

std::string last_line(const std::string& text) {
  std::string trimmed = text.substr(0, text.size() - 1);
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

rapidjson::Document parsed_json(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

}  // namespace

TEST_CASE("usage errors exit 2 with a message on stderr") {
  cli::ValidateRun none = validate({});
  CHECK(none.exit_code == cli::kExitUsage);
  CHECK(none.err.rfind("eql validate: no PATH given\n", 0) == 0);
  CHECK(none.out.empty());

  cli::ValidateRun unknown = validate({"--frobnicate", kData});
  CHECK(unknown.exit_code == cli::kExitUsage);
  CHECK(unknown.err.rfind("eql validate: unknown option '--frobnicate'\n", 0) == 0);

  cli::ValidateRun format = validate({"--format", "xml", kData});
  CHECK(format.exit_code == cli::kExitUsage);
  // One line and a pointer to --help, not the whole usage.
  CHECK(format.err == "eql validate: unknown format 'xml' (use text, json, sarif or github)\n"
                      "Try 'eql validate --help'.\n");

  cli::ValidateRun dangling = validate({kData, "--format"});
  CHECK(dangling.exit_code == cli::kExitUsage);
  CHECK(dangling.err.rfind("eql validate: --format needs a value\n", 0) == 0);
}

TEST_CASE("--help prints the usage on stdout and exits 0") {
  cli::ValidateRun help = validate({"--help"});
  CHECK(help.exit_code == cli::kExitOk);
  CHECK(help.out.rfind("usage: eql validate [options] PATH...\n", 0) == 0);
  CHECK(help.err.empty());
}

TEST_CASE("a missing path exits 2, and the other paths are still validated") {
  cli::ValidateRun run = validate({kData + "/missing", kData + "/broken/other_language.toml"});
  CHECK(run.exit_code == cli::kExitUsage);
  CHECK(relative(run.err) == "eql validate: cannot read 'missing': No such file or directory\n");
  CHECK(run.out == "1 file: 0 EQL rules valid, 0 invalid; 1 rule in other languages skipped (kuery 1)\n");
}

TEST_CASE("golden text: broken files are reported at their positions, then the summary") {
  cli::ValidateRun run = validate({kData + "/broken"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(run.err.empty());
  CHECK(relative(run.out) ==
        "broken/bad_syntax.toml:8:19: error: invalid TOML: Error while parsing string: unescaped "
        "control characters other than TAB (U+0009) are explicitly prohibited [rule.toml-syntax]\n"
        "   severity = \"medium\n"
        "                     ^\n"
        "   hint: the string is not closed on its line: add the closing quote, or use ''' for a "
        "string of several lines\n"
        "broken/wrong_types.toml:1:1: error: missing required key `metadata.creation_date` [meta.required]\n"
        "   [metadata]\n"
        "   ^\n"
        "   hint: add creation_date = ... to the [metadata] table\n"
        "broken/wrong_types.toml:1:1: error: missing required key `metadata.updated_date` [meta.required]\n"
        "   [metadata]\n"
        "   ^\n"
        "   hint: add updated_date = ... to the [metadata] table\n"
        "broken/wrong_types.toml:4:1: error: this EQL rule has no `query` [rule.missing-query]\n"
        "   [rule]\n"
        "   ^\n"
        "   hint: add query = '''...''' to the [rule] table\n"
        "broken/wrong_types.toml:8:14: error: `rule.risk_score` must be an integer, not a string [rule.wrong-type]\n"
        "   risk_score = \"high\"\n"
        "                ^~~~~~\n"
        "broken/wrong_types.toml:9:15: error: `rule.tags[]` must be a string, not an integer [rule.wrong-type]\n"
        "   tags = [\"ok\", 3]\n"
        "                 ^\n"
        "3 files: 0 EQL rules valid, 1 invalid; 1 rule in other languages skipped (kuery 1); "
        "1 file unreadable\n");
}

TEST_CASE("--quiet prints only the summary; --color decides escape codes") {
  cli::ValidateRun quiet = validate({"--quiet", kData + "/broken"});
  CHECK(quiet.exit_code == cli::kExitFindings);
  CHECK(quiet.out ==
        "3 files: 0 EQL rules valid, 1 invalid; 1 rule in other languages skipped (kuery 1); "
        "1 file unreadable\n");

  CHECK(validate({kData + "/broken"}, false).out.find('\033') == std::string::npos);
  CHECK(validate({kData + "/broken"}, true).out.find("\033[1;31merror:") != std::string::npos);
  CHECK(validate({"--color=always", kData + "/broken"}, false).out.find('\033') != std::string::npos);
  CHECK(validate({"--color", "never", kData + "/broken"}, true).out.find('\033') == std::string::npos);
}

TEST_CASE("golden JSON: summary, one entry per rule, file-level errors") {
  cli::ValidateRun run = validate({"--format", "json", kData + "/broken"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(relative(run.out) == R"({
  "summary": {
    "files": 3,
    "eql_rules": 1,
    "valid": 0,
    "invalid": 1,
    "skipped_rules": 1,
    "skipped_languages": {
      "kuery": 1
    },
    "skipped_objects": 0,
    "skipped_object_kinds": {},
    "unreadable_files": 1,
    "files_with_errors": 0,
    "warnings": 0,
    "notes": 0,
    "exit_code": 1,
    "text": "3 files: 0 EQL rules valid, 1 invalid; 1 rule in other languages skipped (kuery 1); 1 file unreadable"
  },
  "rules": [
    {
      "file": "broken/other_language.toml",
      "format": "toml",
      "line": 1,
      "rule_id": "",
      "name": "A KQL rule with a broken field is not ours to check",
      "language": "kuery",
      "type": "query",
      "status": "skipped",
      "diagnostics": []
    },
    {
      "file": "broken/wrong_types.toml",
      "format": "toml",
      "line": 4,
      "rule_id": "00000000-0000-4000-8000-000000000005",
      "name": "Broken fields",
      "language": "eql",
      "type": "eql",
      "status": "invalid",
      "diagnostics": [
        {
          "severity": "error",
          "code": "meta.required",
          "message": "missing required key `metadata.creation_date`",
          "line": 1,
          "column": 1,
          "end_line": 1,
          "end_column": 1,
          "hint": "add creation_date = ... to the [metadata] table"
        },
        {
          "severity": "error",
          "code": "meta.required",
          "message": "missing required key `metadata.updated_date`",
          "line": 1,
          "column": 1,
          "end_line": 1,
          "end_column": 1,
          "hint": "add updated_date = ... to the [metadata] table"
        },
        {
          "severity": "error",
          "code": "rule.missing-query",
          "message": "this EQL rule has no `query`",
          "line": 4,
          "column": 1,
          "end_line": 4,
          "end_column": 1,
          "hint": "add query = '''...''' to the [rule] table"
        },
        {
          "severity": "error",
          "code": "rule.wrong-type",
          "message": "`rule.risk_score` must be an integer, not a string",
          "line": 8,
          "column": 14,
          "end_line": 8,
          "end_column": 20
        },
        {
          "severity": "error",
          "code": "rule.wrong-type",
          "message": "`rule.tags[]` must be a string, not an integer",
          "line": 9,
          "column": 15,
          "end_line": 9,
          "end_column": 16
        }
      ]
    }
  ],
  "file_errors": [
    {
      "file": "broken/bad_syntax.toml",
      "unreadable": true,
      "diagnostics": [
        {
          "severity": "error",
          "code": "rule.toml-syntax",
          "message": "invalid TOML: Error while parsing string: unescaped control characters other than TAB (U+0009) are explicitly prohibited",
          "line": 8,
          "column": 19,
          "end_line": 8,
          "end_column": 19,
          "hint": "the string is not closed on its line: add the closing quote, or use ''' for a string of several lines"
        }
      ]
    }
  ],
  "io_errors": []
}
)");
}

TEST_CASE("the Kibana export's summary names every kind of skipped object") {
  cli::ValidateRun run =
      validate({"--quiet", EQL_SHARED_DIR "/corpus/kibana-export/rules-export.ndjson"});
  std::string summary = last_line(run.out);
  CHECK(summary.rfind("1 file: ", 0) == 0);
  const std::string skipped =
      "; 8 rules in other languages skipped (kuery 6, esql 1, machine learning 1); 7 other "
      "objects skipped (action connectors 2, exception lists 2, exception list items 2, export "
      "summary 1)";
  CHECK(summary.substr(summary.size() - skipped.size()) == skipped);
}

TEST_CASE("the detection-rules corpus: 2068 files, 1024 EQL rules, the other languages counted") {
  cli::ValidateRun run =
      validate({"--format=json", EQL_SHARED_DIR "/corpus/detection-rules"});
  rapidjson::Document json = parsed_json(run.out);
  const rapidjson::Value& summary = json["summary"];
  CHECK(summary["files"].GetUint64() == 2068);
  CHECK(summary["eql_rules"].GetUint64() == 1024);
  CHECK(summary["skipped_rules"].GetUint64() == 1044);
  CHECK(summary["skipped_languages"]["kuery"].GetUint64() == 729);
  CHECK(summary["skipped_languages"]["esql"].GetUint64() == 209);
  CHECK(summary["skipped_languages"]["machine learning"].GetUint64() == 106);
  CHECK(summary["unreadable_files"].GetUint64() == 0);
  CHECK(summary["valid"].GetUint64() == 1024);
  CHECK(summary["invalid"].GetUint64() == 0);
  CHECK(json["rules"].GetArray().Size() == 2068);
  CHECK(json["file_errors"].GetArray().Empty());
  CHECK(run.exit_code == cli::kExitOk);
  CHECK(summary["text"].GetString() ==
        std::string("2068 files: 1024 EQL rules valid, 0 invalid; 1044 rules in other languages "
                    "skipped (kuery 729, esql 209, machine learning 106); 48 warnings; 328 notes"));
  // The warnings: `*` used in `in` lists where it is a literal star (28), and fields of
  // integration packages newer than the embedded copy or missing from it (20).
  CHECK(summary["warnings"].GetUint64() == 48);
  CHECK(summary["notes"].GetUint64() == 328);
}

TEST_CASE("the bundled example rules are all valid") {
  cli::ValidateRun run = validate({EQL_SOURCE_DIR "/rules"});
  CHECK(run.exit_code == cli::kExitOk);
  CHECK(run.out ==
        "5 files: 5 EQL rules valid, 0 invalid; 1 rule in other languages skipped (kuery 1); "
        "1 other object skipped (export summary 1); 1 note\n");
}

TEST_CASE("golden text: query errors are shown in the rule file, through every file format") {
  cli::ValidateRun run = validate({kData + "/invalid"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(relative(run.out) ==
        // A TOML basic string: the column counts the file's escapes, not the query's.
        "invalid/escaped.toml:6:75: error: the pipe `count` is not supported by Elasticsearch EQL [syntax.pipe-unsupported]\n"
        R"(   query = "file where file.path : \"C:\\\\Temp\\\\*\" and file.size > 10 |  count")" "\n"
        "                                                                             ^~~~~\n"
        "   hint: Elasticsearch supports head and tail; eql query and eql shell also run count\n"
        // A Kibana export: the query's column on its JSON line, after the \" and \\ escapes.
        "invalid/export.ndjson:1:198: error: unknown time unit `x`; use ms, s, m, h or d [syntax.maxspan-unit]\n"
        // The rule is one long JSON line: a window of it around the caret is shown.
        R"(   ...:"low","query":"sequence by host.id with maxspan=5x\n  [process where process.name == \"a\\\\b.exe\"]\n  [network where ...)" "\n"
        "                                                        ^\n"
        // Non-ASCII text earlier in the file does not move columns.
        "invalid/single_equals.toml:7:28: error: use == to compare; = is not a comparison [syntax.single-equals]\n"
        "   process where process.name = \"cmd.exe\" and\n"
        "                              ^\n"
        "invalid/unbalanced.eql:2:29: error: expected ')' to close the list of patterns [syntax.expected-close-paren]\n"
        "     process.args : (\"/c\", \"/k\"\n"
        "                               ^\n"
        // The query starts on the line of its ''' delimiter.
        "invalid/x.toml:14:54: error: expected ')' to close the argument list [syntax.expected-close-paren]\n"
        "   query = '''process where startsWith(process.name, \"a\"\n"
        "                                                        ^\n"
        "5 files: 0 EQL rules valid, 5 invalid\n");
}

TEST_CASE("golden JSON: query diagnostics with file lines and character columns") {
  cli::ValidateRun run = validate(
      {"--format", "json", kData + "/invalid/x.toml", kData + "/invalid/unbalanced.eql"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(relative(run.out) == R"({
  "summary": {
    "files": 2,
    "eql_rules": 2,
    "valid": 0,
    "invalid": 2,
    "skipped_rules": 0,
    "skipped_languages": {},
    "skipped_objects": 0,
    "skipped_object_kinds": {},
    "unreadable_files": 0,
    "files_with_errors": 0,
    "warnings": 0,
    "notes": 0,
    "exit_code": 1,
    "text": "2 files: 0 EQL rules valid, 2 invalid"
  },
  "rules": [
    {
      "file": "invalid/x.toml",
      "format": "toml",
      "line": 5,
      "rule_id": "00000000-0000-4000-8000-000000000001",
      "name": "Unclosed call",
      "language": "eql",
      "type": "eql",
      "status": "invalid",
      "diagnostics": [
        {
          "severity": "error",
          "code": "syntax.expected-close-paren",
          "message": "expected ')' to close the argument list",
          "line": 14,
          "column": 54,
          "end_line": 14,
          "end_column": 54
        }
      ]
    },
    {
      "file": "invalid/unbalanced.eql",
      "format": "eql",
      "line": 1,
      "rule_id": "",
      "name": "unbalanced",
      "language": "eql",
      "type": "eql",
      "status": "invalid",
      "diagnostics": [
        {
          "severity": "error",
          "code": "syntax.expected-close-paren",
          "message": "expected ')' to close the list of patterns",
          "line": 2,
          "column": 29,
          "end_line": 2,
          "end_column": 29
        }
      ]
    }
  ],
  "file_errors": [],
  "io_errors": []
}
)");
}

TEST_CASE("golden text and JSON: type errors from the checker, each at its token in the rule file") {
  cli::ValidateRun text = validate({kData + "/typecheck"});
  CHECK(text.exit_code == cli::kExitFindings);
  CHECK(relative(text.out) ==
        "typecheck/type_errors.toml:20:15: error: unknown field `process.parnet.name` for process "
        "events; did you mean `process.parent.name`? [check.unknown-field]\n"
        "   process where process.parnet.name == \"explorer.exe\" and\n"
        "                 ^~~~~~~~~~~~~~~~~~~\n"
        "typecheck/type_errors.toml:21:18: error: `process.pid` is a number (long) and cannot be "
        "compared with the string \"4\" [check.type-mismatch]\n"
        "     process.pid == \"4\" and\n"
        "                    ^~~\n"
        "   hint: write the number without quotes\n"
        "typecheck/type_errors.toml:22:13: error: cidrMatch needs an ip field; `host.name` is a keyword [check.function-argument]\n"
        "     cidrMatch(host.name, \"10.0.0.0/8\")\n"
        "               ^~~~~~~~~\n"
        "   hint: cidrMatch tests ip fields such as source.ip\n"
        "1 file: 0 EQL rules valid, 1 invalid\n");

  cli::ValidateRun json_run = validate({"--format", "json", kData + "/typecheck"});
  rapidjson::Document json = parsed_json(json_run.out);
  const auto& diagnostics = json["rules"][0]["diagnostics"];
  REQUIRE(diagnostics.Size() == 3);
  const char* codes[] = {"check.unknown-field", "check.type-mismatch", "check.function-argument"};
  const unsigned positions[][4] = {{20, 15, 20, 34}, {21, 18, 21, 21}, {22, 13, 22, 22}};
  for (rapidjson::SizeType i = 0; i < 3; ++i) {
    CHECK(std::string(diagnostics[i]["code"].GetString()) == codes[i]);
    CHECK(diagnostics[i]["line"].GetUint() == positions[i][0]);
    CHECK(diagnostics[i]["column"].GetUint() == positions[i][1]);
    CHECK(diagnostics[i]["end_line"].GetUint() == positions[i][2]);
    CHECK(diagnostics[i]["end_column"].GetUint() == positions[i][3]);
  }
  CHECK(std::string(json["rules"][0]["status"].GetString()) == "invalid");
}
