// `eql validate` for rule sets and CI (issue 17): metadata checks, rule_id checks, --allow
// and the config file, --warnings-as-errors, --errors-only, the sarif and github formats,
// nothing to validate, standard input. Text output is compared with golden files in
// tests/data/validate/ (regenerate one by writing the program's output there and reading
// the difference).
#include <unistd.h>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/validate.h"

using namespace eql;

namespace {

const std::string kData = EQL_SOURCE_DIR "/tests/data/rules";
const std::string kGolden = EQL_SOURCE_DIR "/tests/data/validate";

cli::ValidateRun validate(const std::vector<std::string>& arguments, std::istream* in = nullptr) {
  std::vector<std::string_view> views(arguments.begin(), arguments.end());
  return cli::validate_command(cli::Args(views.data(), views.size()), false, in);
}

// File names in the output start with the test data folder; golden texts name them from there.
std::string relative(std::string text) {
  const std::string prefix = kData + "/";
  for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
    text.erase(at, prefix.size());
  }
  return text;
}

std::string golden(const std::string& name) {
  std::ifstream in(kGolden + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

rapidjson::Document parsed_json(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

// Runs in a fresh temporary folder (for the .eql.toml found in the current directory).
struct InTemporaryFolder {
  std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::path folder;
  explicit InTemporaryFolder(const std::string& name)
      // The process id in the name: the same tests may run at once from other checkouts.
      : folder(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    std::filesystem::current_path(folder);
  }
  ~InTemporaryFolder() {
    std::filesystem::current_path(before);
    std::filesystem::remove_all(folder);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(folder / name, std::ios::binary) << text;
  }
};

}  // namespace

TEST_CASE("golden text: every metadata check of issue 17, at its key or value, with its code") {
  cli::ValidateRun run = validate({kData + "/metadata"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(run.err.empty());
  CHECK(relative(run.out) == golden("metadata.expected"));
}

TEST_CASE("golden JSON: each metadata check's code and position") {
  cli::ValidateRun run = validate({"--format", "json", kData + "/metadata/bad_metadata.toml"});
  rapidjson::Document json = parsed_json(run.out);
  const auto& diagnostics = json["rules"][0]["diagnostics"];
  std::string found;
  for (const auto& d : diagnostics.GetArray()) {
    found += std::string(d["code"].GetString()) + " " + std::to_string(d["line"].GetUint()) + ":" +
             std::to_string(d["column"].GetUint()) + "-" + std::to_string(d["end_column"].GetUint()) +
             " " + d["severity"].GetString() + "\n";
  }
  CHECK(found ==
        "meta.date 3:17-28 error\n"
        "meta.enum 5:12-18 error\n"
        "meta.date 6:16-28 error\n"
        "meta.required 8:1-1 error\n"
        "meta.range 13:14-17 error\n"
        "meta.unknown-key 15:1-8 warning\n"
        "meta.enum 16:12-20 error\n"
        "meta.type-language 17:8-15 error\n"
        "meta.mitre-id 25:6-14 error\n"
        "meta.mitre-id 29:6-13 error\n"
        "meta.mitre-name 37:8-18 error\n"
        "meta.mitre-reference 38:13-55 error\n"
        "meta.mitre-parent 44:6-17 error\n"
        "meta.mitre-id 48:6-15 error\n"
        "meta.mitre-reference 54:13-61 error\n");
  CHECK(std::string(json["rules"][0]["status"].GetString()) == "invalid");
}

TEST_CASE("duplicate rule_ids name the other file; a TOML rule without rule_id is an error") {
  cli::ValidateRun run = validate({kData + "/duplicates"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(relative(run.out) == golden("duplicates.expected"));
  // One file alone has no duplicate: it is valid.
  CHECK(validate({kData + "/duplicates/first.toml"}).exit_code == cli::kExitOk);
}

TEST_CASE("a rule_id shared with a rule in another language is a duplicate too") {
  InTemporaryFolder here("eql-validate-duplicate-test");
  std::ifstream first(kData + "/duplicates/first.toml");
  std::ostringstream eql_rule;
  eql_rule << first.rdbuf();
  here.write("a.toml", eql_rule.str());
  here.write("b.toml",
             "[rule]\nname = \"A KQL rule\"\nlanguage = \"kuery\"\ntype = \"query\"\n"
             "rule_id = \"00000000-0000-4000-8000-0000000000d1\"\nquery = \"process.name:a.exe\"\n");
  cli::ValidateRun run = validate({"--errors-only", "a.toml", "b.toml"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(run.out ==
        "a.toml:12:11: error: rule_id \"00000000-0000-4000-8000-0000000000d1\" is also the rule_id "
        "of b.toml:1 (\"A KQL rule\") [rule.duplicate-id]\n"
        "   rule_id = \"00000000-0000-4000-8000-0000000000d1\"\n"
        "             ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
        "   hint: each rule needs a rule_id of its own\n"
        "2 files: 0 EQL rules valid, 1 invalid; 1 rule in other languages skipped (kuery 1)\n");
}

TEST_CASE("a rule's metadata and query problems are shown in the order of the file") {
  InTemporaryFolder here("eql-validate-order-test");
  std::ifstream first(kData + "/duplicates/first.toml");
  std::ostringstream text;
  text << first.rdbuf();
  std::string rule = text.str();
  rule.replace(rule.find("severity = \"low\""), 16, "severity = \"lo\"");
  rule.replace(rule.find("== \"a.exe\""), 2, "=");
  rule += "\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[rule.threat.tactic]\nid = \"TA2\"\n"
          "name = \"Execution\"\nreference = \"https://attack.mitre.org/tactics/TA0002/\"\n";
  here.write("order.toml", rule);
  cli::ValidateRun text_run = validate({"order.toml"});
  std::vector<std::string> firsts;
  std::istringstream lines(text_run.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("order.toml:", 0) == 0) firsts.push_back(line.substr(0, line.find(": error")));
  }
  CHECK(firsts == std::vector<std::string>{"order.toml:13:12", "order.toml:16:28", "order.toml:22:6"});
  // JSON lists them in the same order.
  rapidjson::Document json = parsed_json(validate({"--format=json", "order.toml"}).out);
  const auto& diagnostics = json["rules"][0]["diagnostics"];
  REQUIRE(diagnostics.Size() == 3);
  CHECK(std::string(diagnostics[0]["code"].GetString()) == "meta.enum");
  CHECK(std::string(diagnostics[1]["code"].GetString()) == "syntax.single-equals");
  CHECK(std::string(diagnostics[2]["code"].GetString()) == "meta.mitre-id");
}

TEST_CASE("a required key missing from [rule] is reported at the table, with the key to add") {
  InTemporaryFolder here("eql-validate-required-test");
  std::ifstream first(kData + "/duplicates/first.toml");
  std::ostringstream text;
  text << first.rdbuf();
  std::string rule = text.str();
  rule.erase(rule.find("language = \"eql\"\n"), 17);
  here.write("no_language.toml", rule);
  cli::ValidateRun run = validate({"no_language.toml"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(run.out ==
        "no_language.toml:6:1: error: missing required key `rule.language` [meta.required]\n"
        "   [rule]\n"
        "   ^\n"
        "   hint: add language = ... to the [rule] table\n"
        "1 file: 0 EQL rules valid, 1 invalid\n");
}

TEST_CASE("--allow drops a code or a family; unknown keys are warnings unless --warnings-as-errors") {
  const std::string file = kData + "/metadata/bad_metadata.toml";
  cli::ValidateRun all_meta = validate({"--allow", "meta.*", file});
  CHECK(all_meta.exit_code == cli::kExitOk);
  CHECK(relative(all_meta.out) == "1 file: 1 EQL rule valid, 0 invalid\n");

  // Everything but the unknown key allowed: a warning leaves the rule valid...
  std::vector<std::string> allow_errors = {"--allow", "meta.date",          "--allow=meta.enum",
                                           "--allow", "meta.required",      "--allow", "meta.range",
                                           "--allow", "meta.type-language", "--allow", "meta.mitre-id",
                                           "--allow", "meta.mitre-reference", "--allow", "meta.mitre-name",
                                           "--allow", "meta.mitre-parent"};
  std::vector<std::string> arguments = allow_errors;
  arguments.push_back(file);
  cli::ValidateRun warned = validate(arguments);
  CHECK(warned.exit_code == cli::kExitOk);
  CHECK(relative(warned.out).find("warning: unknown key `rule.severty` [meta.unknown-key]") != std::string::npos);
  CHECK(warned.out.substr(warned.out.rfind("1 file")) == "1 file: 1 EQL rule valid, 0 invalid; 1 warning\n");

  // ...and an error with --warnings-as-errors.
  arguments.insert(arguments.begin(), "--warnings-as-errors");
  cli::ValidateRun strict = validate(arguments);
  CHECK(strict.exit_code == cli::kExitFindings);
  CHECK(relative(strict.out).find("error: unknown key `rule.severty` [meta.unknown-key]") != std::string::npos);
  CHECK(strict.out.substr(strict.out.rfind("1 file")) == "1 file: 0 EQL rules valid, 1 invalid\n");
}

TEST_CASE("--warnings-as-errors over the corpus: its warnings make rules invalid") {
  cli::ValidateRun run = validate({"--quiet", "--warnings-as-errors", EQL_SHARED_DIR "/corpus/detection-rules"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(run.out.find("0 warnings") == std::string::npos);
  CHECK(run.out.find(" invalid; 1044 rules in other languages") != std::string::npos);
  CHECK(run.out.find(" 0 invalid") == std::string::npos);
}

TEST_CASE("the config file: --config FILE, or .eql.toml in the current directory") {
  const std::string file = kData + "/metadata/bad_metadata.toml";
  InTemporaryFolder here("eql-validate-config-test");
  here.write("allow-meta.toml", "# codes this repository accepts\nallow = [\"meta.*\"]\n");
  CHECK(validate({"--config", "allow-meta.toml", file}).exit_code == cli::kExitOk);
  // Without --config and without .eql.toml, nothing is allowed.
  CHECK(validate({file}).exit_code == cli::kExitFindings);

  here.write(".eql.toml", "allow = [\"meta.*\"]\nwarnings_as_errors = true\n");
  cli::ValidateRun found = validate({file, kData + "/invalid/x.toml"});
  CHECK(found.exit_code == cli::kExitFindings);  // x.toml's syntax error is not allowed
  CHECK(relative(found.out).find("[meta.") == std::string::npos);

  here.write("bad.toml", "allow = \"meta.date\"\n");
  cli::ValidateRun bad = validate({"--config", "bad.toml", file});
  CHECK(bad.exit_code == cli::kExitUsage);
  CHECK(bad.err == "eql validate: config bad.toml:1: allow must be an array of codes (strings)\n"
                   "Try 'eql validate --help'.\n");
  here.write("unknown.toml", "\nalow = []\n");
  CHECK(validate({"--config", "unknown.toml", file}).err ==
        "eql validate: config unknown.toml:2: unknown setting 'alow' (use allow or warnings_as_errors)\n"
        "Try 'eql validate --help'.\n");
  CHECK(validate({"--config", "missing.toml", file}).err ==
        "eql validate: cannot read config 'missing.toml'\nTry 'eql validate --help'.\n");
}

TEST_CASE("output levels: all, --errors-only (no warnings), --quiet (the summary only)") {
  const std::string file = kData + "/metadata/bad_metadata.toml";
  cli::ValidateRun all = validate({file});
  cli::ValidateRun errors = validate({"--errors-only", file});
  cli::ValidateRun quiet = validate({"-q", file});
  CHECK(all.out.find("warning:") != std::string::npos);
  CHECK(errors.out.find("warning:") == std::string::npos);
  CHECK(errors.out.find("error: `metadata.creation_date`") != std::string::npos);
  // The errors-only output is the full output without the warning's lines.
  std::string warning = all.out.substr(all.out.find(file + ":15:1: warning"));
  warning = warning.substr(0, warning.find(file + ":16:12"));
  std::string without = all.out;
  without.erase(without.find(warning), warning.size());
  CHECK(errors.out == without);
  CHECK(quiet.out == "1 file: 0 EQL rules valid, 1 invalid; 1 warning\n");
  for (const auto* run : {&all, &errors, &quiet}) CHECK(run->exit_code == cli::kExitFindings);
}

TEST_CASE("golden github annotations: one workflow command per problem, then the summary") {
  cli::ValidateRun run = validate({"--format", "github", kData + "/metadata", kData + "/duplicates/without_id.toml"});
  CHECK(run.exit_code == cli::kExitFindings);
  CHECK(relative(run.out) == golden("github.expected"));
}

TEST_CASE("SARIF 2.1.0: schema, version, the tool's rules, results with ids, levels, places") {
  cli::ValidateRun run = validate({"--format", "sarif", kData + "/metadata/bad_metadata.toml",
                                   kData + "/invalid/x.toml"});
  CHECK(run.exit_code == cli::kExitFindings);
  rapidjson::Document sarif = parsed_json(run.out);
  CHECK(std::string(sarif["$schema"].GetString()) == "https://json.schemastore.org/sarif-2.1.0.json");
  CHECK(std::string(sarif["version"].GetString()) == "2.1.0");
  REQUIRE(sarif["runs"].Size() == 1);
  const auto& run0 = sarif["runs"][0];
  CHECK(std::string(run0["tool"]["driver"]["name"].GetString()) == "eql");
  const auto& rules = run0["tool"]["driver"]["rules"];
  const auto& results = run0["results"];
  CHECK(results.Size() == 16);  // 15 metadata problems and x.toml's syntax error
  std::vector<std::string> ids;
  for (const auto& rule : rules.GetArray()) ids.emplace_back(rule["id"].GetString());
  CHECK(ids == std::vector<std::string>{"meta.date", "meta.enum", "meta.required", "meta.range",
                                        "meta.unknown-key", "meta.type-language", "meta.mitre-id",
                                        "meta.mitre-name", "meta.mitre-reference", "meta.mitre-parent",
                                        "syntax.expected-close-paren"});
  for (const auto& result : results.GetArray()) {
    CHECK(ids[result["ruleIndex"].GetUint()] == result["ruleId"].GetString());
  }
  const auto& unknown = results[5];
  CHECK(std::string(unknown["ruleId"].GetString()) == "meta.unknown-key");
  CHECK(std::string(unknown["level"].GetString()) == "warning");
  CHECK(std::string(unknown["message"]["text"].GetString()) ==
        "unknown key `rule.severty`\nhint: did you mean `severity`?");
  const auto& place = unknown["locations"][0]["physicalLocation"];
  CHECK(relative(place["artifactLocation"]["uri"].GetString()) == "metadata/bad_metadata.toml");
  CHECK(place["region"]["startLine"].GetUint() == 15);
  CHECK(place["region"]["startColumn"].GetUint() == 1);
  CHECK(place["region"]["endColumn"].GetUint() == 8);
  const auto& syntax = results[15];
  CHECK(std::string(syntax["level"].GetString()) == "error");
  CHECK(relative(syntax["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].GetString()) ==
        "invalid/x.toml");
  CHECK(syntax["locations"][0]["physicalLocation"]["region"]["startLine"].GetUint() == 14);
  CHECK(syntax["locations"][0]["physicalLocation"]["region"]["startColumn"].GetUint() == 54);
}

TEST_CASE("nothing to validate: an empty folder or a folder without rules exits 2, said clearly") {
  cli::ValidateRun empty = validate({kData + "/empty"});
  CHECK(empty.exit_code == cli::kExitUsage);
  CHECK(relative(empty.err) ==
        "eql validate: no rule files in 'empty' (files ending in .toml, .ndjson or .eql)\n");
  CHECK(empty.out == "0 files: 0 EQL rules valid, 0 invalid\n");

  cli::ValidateRun none = validate({kData + "/no_rules"});
  CHECK(none.exit_code == cli::kExitUsage);
  CHECK(none.err == "eql validate: no rules found: 1 file read, none holds a rule\n");

  // Rules in other languages only: there are rules, none of them EQL; nothing is wrong.
  CHECK(validate({kData + "/broken/other_language.toml"}).exit_code == cli::kExitOk);
}

TEST_CASE("PATH - reads one rule from standard input: a query, TOML or a Kibana export line") {
  std::istringstream query("process where process.name = \"x\"\n");
  cli::ValidateRun bare = validate({"-"}, &query);
  CHECK(bare.exit_code == cli::kExitFindings);
  CHECK(bare.out ==
        "<stdin>:1:28: error: use == to compare; = is not a comparison [syntax.single-equals]\n"
        "   process where process.name = \"x\"\n"
        "                              ^\n"
        "1 file: 0 EQL rules valid, 1 invalid\n");

  std::ifstream toml_file(kData + "/metadata/bad_metadata.toml");
  cli::ValidateRun toml = validate({"--errors-only", "-"}, &toml_file);
  CHECK(toml.out.rfind("<stdin>:3:17: error: `metadata.creation_date` must be a date", 0) == 0);

  std::ifstream export_file(kData + "/metadata/export.ndjson");
  cli::ValidateRun kibana = validate({"-"}, &export_file);
  CHECK(kibana.out.find("<stdin>:1:131: error: rule \"Kibana rule with bad values\"") == 0);

  std::istringstream twice("x");
  cli::ValidateRun two = validate({"-", "-"}, &twice);
  CHECK(two.exit_code == cli::kExitUsage);
  CHECK(two.err == "eql validate: standard input (-) can be read only once\n"
                   "Try 'eql validate --help'.\n");
}

TEST_CASE("a bad option value is one line and a pointer to --help, never the whole usage") {
  for (const auto& [arguments, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--format", "x", "."}, "unknown format 'x' (use text, json, sarif or github)"},
           {{"--color=sometimes", "."}, "unknown colour mode 'sometimes' (use auto, always or never)"},
           {{"--allow"}, "--allow needs a value"},
           {{"--allow", "unknown-key", "."},
            "cannot allow 'unknown-key': codes start with syntax., check., rule. or meta."},
           {{"--bogus", "."}, "unknown option '--bogus'"},
           {{}, "no PATH given"}}) {
    cli::ValidateRun run = validate(arguments);
    CHECK(run.exit_code == cli::kExitUsage);
    CHECK(run.err == "eql validate: " + message + "\nTry 'eql validate --help'.\n");
    CHECK(run.out.empty());
  }
}
