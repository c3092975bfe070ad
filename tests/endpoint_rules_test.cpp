// Elastic Defend's behavior rules (issue 21): the loader maps their own TOML format, their
// metadata is checked by that format's rules, and every shared Windows rule validates in
// the endpoint dialect with 0 errors.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/validate.h"
#include "eql/rules.h"

namespace {

// The shape of a published behavior rule: [rule] with id (no rule_id, language or type),
// actions and threat at the top of the file.
const char* const kBehaviorRule = R"([rule]
description = "Keystrokes captured from an unsigned DLL."
id = "8ab0b921-38fb-495c-b5b8-075d1cbc731c"
license = "Elastic License v2"
name = "Keystrokes Input Capture from Unsigned DLL"
os_list = ["windows"]
version = "1.0.15"
query = '''
sequence by process.entity_id with maxspan=2m
 [library where dll.name : "*.dll"] as event0
 [api where process.Ext.api.name == "GetAsyncKeyState" and
  startswith~(process.thread.Ext.call_stack_final_user_module.name, event0.dll.name)]
'''
min_endpoint_version = "8.10.0"
[[actions]]
action = "kill_process"
field = "process.entity_id"
state = 0
tree = true

[[optional_actions]]
action = "rollback"
field = "process.entity_id"
state = 0

[[threat]]
framework = "MITRE ATT&CK"
[[threat.technique]]
id = "T1056"
name = "Input Capture"
reference = "https://attack.mitre.org/techniques/T1056/"

[threat.tactic]
id = "TA0009"
name = "Collection"
reference = "https://attack.mitre.org/tactics/TA0009/"

[internal]
min_endpoint_version = "8.10.0"
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  std::size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "the sample rule has no " << from);
  return text.replace(at, from.size(), to);
}

eql::Diagnostics metadata_of(const std::string& text) {
  eql::RuleFile file = eql::load_rule_text("behavior.toml", text, eql::RuleFormat::Toml);
  REQUIRE(file.rules.size() == 1);
  return eql::check_rule_metadata(file, file.rules[0]);
}

bool has_code(const eql::Diagnostics& found, const std::string& code, eql::Severity severity) {
  for (const auto& d : found) {
    if (d.code == code && d.severity == severity) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a behavior rule loads with its own keys, in the endpoint dialect") {
  eql::RuleFile file = eql::load_rule_text("behavior.toml", kBehaviorRule, eql::RuleFormat::Toml);
  REQUIRE(file.diagnostics.empty());
  REQUIRE(file.skipped.empty());
  REQUIRE(file.rules.size() == 1);
  const eql::Rule& rule = file.rules[0];
  CHECK(rule.dialect == eql::Dialect::Endpoint);
  CHECK(rule.rule_id == "8ab0b921-38fb-495c-b5b8-075d1cbc731c");
  CHECK(file.source.text().substr(rule.rule_id_span.begin, rule.rule_id_span.end - rule.rule_id_span.begin) ==
        "\"8ab0b921-38fb-495c-b5b8-075d1cbc731c\"");
  CHECK(rule.name == "Keystrokes Input Capture from Unsigned DLL");
  CHECK(rule.os_list == std::vector<std::string>{"windows"});
  CHECK(rule.rule_version == "1.0.15");
  CHECK(rule.min_endpoint_version == "8.10.0");
  REQUIRE(rule.actions.size() == 2);
  CHECK(rule.actions[0].action == "kill_process");
  CHECK(rule.actions[0].field == "process.entity_id");
  CHECK(rule.actions[0].state == 0);
  CHECK(rule.actions[0].tree);
  CHECK(!rule.actions[0].optional);
  CHECK(rule.actions[1].action == "rollback");
  CHECK(rule.actions[1].optional);
  CHECK(!rule.actions[1].tree);
  REQUIRE(rule.threat.size() == 1);
  CHECK(rule.threat[0].tactic_id == "TA0009");
  REQUIRE(rule.threat[0].techniques.size() == 1);
  CHECK(rule.threat[0].techniques[0].id == "T1056");
  REQUIRE(rule.has_query);
  CHECK(rule.query.find("as event0") != std::string::npos);
  CHECK(rule.field_diagnostics.empty());
  CHECK(metadata_of(kBehaviorRule).empty());
  // Its query is checked in the endpoint dialect, against Defend's fields.
  eql::Diagnostics found = eql::cli::check_rule_query(rule);
  CHECK_MESSAGE(!eql::has_errors(found), (found.empty() ? std::string() : found.front().message));
}

TEST_CASE("a behavior rule's metadata is checked by its format, not by detection-rules'") {
  // detection-rules requires author, risk_score, severity...: a behavior rule has none.
  for (const auto& d : metadata_of(kBehaviorRule)) CHECK_MESSAGE(false, d.code << ": " << d.message);

  CHECK(has_code(metadata_of(replaced(kBehaviorRule, "os_list = [\"windows\"]", "os_list = [\"windwos\"]")),
                 "meta.enum", eql::Severity::Error));
  CHECK(has_code(metadata_of(replaced(kBehaviorRule, "version = \"1.0.15\"", "version = \"1.0.x\"")),
                 "meta.version", eql::Severity::Error));
  CHECK(has_code(metadata_of(replaced(kBehaviorRule, "os_list = [\"windows\"]\n", "")),
                 "meta.required", eql::Severity::Error));
  CHECK(has_code(metadata_of(replaced(kBehaviorRule, "license =", "licence =")),
                 "meta.unknown-key", eql::Severity::Warning));
  CHECK(has_code(metadata_of(replaced(kBehaviorRule, "id = \"TA0009\"", "id = \"TA9999\"")),
                 "meta.mitre-id", eql::Severity::Error));

  // A wrongly typed action is reported at its value, and the rule still loads.
  eql::RuleFile file = eql::load_rule_text(
      "behavior.toml", replaced(kBehaviorRule, "state = 0\ntree = true", "state = \"zero\""),
      eql::RuleFormat::Toml);
  REQUIRE(file.rules.size() == 1);
  REQUIRE(file.rules[0].field_diagnostics.size() == 1);
  CHECK(file.rules[0].field_diagnostics[0].message == "`actions.state` must be an integer, not a string");
}

TEST_CASE("the endpoint dialect's queries are refused in a detection-rules file") {
  std::string detection = replaced(kBehaviorRule, "id = \"8ab0", "language = \"eql\"\ntype = \"eql\"\nrule_id = \"8ab0");
  eql::RuleFile file = eql::load_rule_text("detection.toml", detection, eql::RuleFormat::Toml);
  REQUIRE(file.rules.size() == 1);
  CHECK(file.rules[0].dialect == eql::Dialect::Elasticsearch);
  eql::Diagnostics found = eql::cli::check_rule_query(file.rules[0]);
  REQUIRE(eql::has_errors(found));
  CHECK(found.front().code == "syntax.stage-alias");
}

TEST_CASE("every shared Windows behavior rule validates with 0 errors") {
  std::filesystem::path root = std::filesystem::path(EQL_SHARED_DIR) / "corpus" / "protections-artifacts" /
                               "behavior" / "rules" / "windows";
  REQUIRE_MESSAGE(std::filesystem::is_directory(root), "missing " << root.string());
  eql::LoadedRules loaded = eql::load_rule_paths({root.string()});
  CHECK(loaded.io_errors.empty());
  int passed = 0;
  int failed = 0;
  int warnings = 0;
  for (const eql::RuleFile& file : loaded.files) {
    bool ok = file.diagnostics.empty() && file.skipped.empty() && file.rules.size() == 1;
    for (const eql::Rule& rule : file.rules) {
      eql::Diagnostics found = eql::check_rule_metadata(file, rule);
      eql::Diagnostics query = eql::cli::check_rule_query(rule);
      found.insert(found.end(), query.begin(), query.end());
      found.insert(found.end(), rule.field_diagnostics.begin(), rule.field_diagnostics.end());
      ok = ok && rule.dialect == eql::Dialect::Endpoint && !rule.rule_id.empty() && !eql::has_errors(found);
      for (const auto& d : found) {
        if (d.severity == eql::Severity::Error) {
          FAIL_CHECK(file.source.name() << ": " << d.code << ": " << d.message);
        } else if (d.severity == eql::Severity::Warning) {
          ++warnings;
          // The only warnings allowed name a field no published schema describes.
          CHECK_MESSAGE(d.code == "check.unpublished-field", file.source.name() << ": " << d.message);
        }
      }
    }
    ok ? ++passed : ++failed;
  }
  CHECK(passed + failed == 773);
  CHECK(failed == 0);
  std::printf("protections-validate: %d passed, %d failed (%d warnings)\n", passed, failed, warnings);
}
