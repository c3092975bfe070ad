// `eql test`: rule tests (`*.test.toml`, docs/test.md). Each test file names a rule; each of
// its cases runs the rule over events through the engine of `eql run` and compares the alerts
// with what the case expects. Output as text, JUnit XML or JSON; --coverage says which rules
// of the --rules set lack tests.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "report/explanation.h"
#include "cli/test_report.h"
#include "eql/rule_test.h"
#include "eql/rules.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "eql/schema_types.h"
#include "rules/rule_set.h"

namespace eql::cli {

// The writers shared with the shell (src/report/).
using report::explain_events_text;

namespace {

constexpr const char* kTestUsage =
    "usage: eql test [--rules PATH...] [options] PATH...\n"
    "\n"
    "Runs the rule tests (*.test.toml files) under the PATHs: each case runs its rule over its\n"
    "events as `eql run` does and checks the alerts (docs/test.md). Prints PASS or FAIL per case\n"
    "and closes with `N passed, M failed`.\n"
    "\n"
    "options:\n"
    "  --rules PATH      rule files or folders whose rules tests name by `rule_id`\n"
    "                    (repeatable; also the rules --coverage reports on)\n"
    "  --format FORMAT   text (default), junit (JUnit XML) or json\n"
    "  --color=WHEN      colour (text format): auto (default: on a terminal), always, never\n"
    "  -q, --quiet       text format: only the cases that failed or could not run, and the\n"
    "                    closing line\n"
    "  --coverage        after the results: the --rules rules without a test, without a case\n"
    "                    that alerts, without a case that stays quiet\n"
    "\n"
    "exit codes: 0 every case passed, 1 a case failed,\n"
    "            2 a test file or a rule that cannot run, a usage error or an unreadable path\n";

struct TestCommandOptions {
  std::vector<std::string> rule_paths;
  std::vector<std::string> paths;
  ReportFormat format = ReportFormat::Text;
  std::string color = "auto";
  bool coverage = false;
  bool quiet = false;  // -q: only the cases that failed or could not run, and the closing line
};

std::optional<std::string> parse_arguments(Args args, TestCommandOptions& options, bool& help) {
  ArgReader reader(args);
  std::string error;
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      help = true;
      return std::nullopt;
    }
    if (reader.flag("--coverage")) {
      options.coverage = true;
    } else if (reader.flag("--quiet") || reader.flag("-q")) {
      options.quiet = true;
    } else if (auto path = reader.option_value("--rules", error)) {
      options.rule_paths.push_back(*path);
    } else if (auto format = reader.option_value("--format", error)) {
      if (*format == "text") options.format = ReportFormat::Text;
      else if (*format == "junit") options.format = ReportFormat::Junit;
      else if (*format == "json") options.format = ReportFormat::Json;
      else return "unknown format '" + *format + "' (text, junit or json)";
    } else if (auto when = reader.option_value("--color", error)) {
      if (*when != "auto" && *when != "always" && *when != "never") {
        return "unknown --color '" + *when + "' (auto, always or never)";
      }
      options.color = *when;
    } else if (!error.empty()) {
      return error;
    } else if (reader.peek().size() > 1 && reader.peek().front() == '-') {
      return "unknown option " + std::string(reader.peek());
    } else {
      options.paths.emplace_back(reader.next());
    }
  }
  if (options.paths.empty()) return std::string("no test file or folder given");
  if (options.coverage && options.rule_paths.empty()) return std::string("--coverage needs --rules PATH");
  return std::nullopt;
}

std::string render_all(const Diagnostics& diagnostics, const SourceText& source, const QueryOrigin& origin,
                       const RenderOptions& how) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Severity::Error) out += render(d, source, origin, how);
  }
  return out;
}

Diagnostic error_at(std::string code, std::string message, Span span, std::string hint = {}) {
  return Diagnostic{Severity::Error, std::move(code), std::move(message), span, std::move(hint)};
}

// The rule a test file names, or the rendered reason it names none that can run.
std::optional<RuleRef> resolve_rule(const RuleTestFile& test, RuleSet& rules, bool have_rule_set,
                                    const RenderOptions& how, std::string& errors) {
  auto fail = [&](Diagnostic diagnostic) {
    errors += render(diagnostic, test.source, QueryOrigin(), how);
    return std::nullopt;
  };
  RuleLookup lookup = rules.find(test.rule_path, test.rule_id);
  if (lookup.problem == RuleLookup::Problem::Unreadable) {
    return fail(error_at("test.rule-file", lookup.detail, test.rule_path_span));
  }
  if (lookup.file) {
    for (const RuleFile& file : lookup.file->files) {
      errors += render_all(file.diagnostics, file.source, QueryOrigin(), how);
    }
    if (!errors.empty()) return std::nullopt;
  }
  const Span name_span = test.rule_id.empty() ? test.rule_path_span : test.rule_id_span;
  switch (lookup.problem) {
    case RuleLookup::Problem::None:
    case RuleLookup::Problem::Unreadable:
      break;
    case RuleLookup::Problem::OtherLanguage:
      return fail(error_at("test.rule-missing", "the rule " + test.rule_id + " is a " + lookup.detail + " rule",
                           test.rule_id_span, "eql test runs EQL rules"));
    case RuleLookup::Problem::NoEqlRule:
      return fail(error_at("test.rule-missing",
                           test.rule_id.empty() ? "no EQL rule in '" + test.rule_path + "'"
                                                : "no EQL rule with rule_id " + test.rule_id + " in '" + test.rule_path + "'",
                           name_span));
    case RuleLookup::Problem::Ambiguous:
      return fail(error_at("test.rule-ambiguous",
                           "'" + test.rule_path + "' holds " + std::to_string(lookup.candidates) + " EQL rules",
                           test.rule_path_span, "say which with rule_id = \"...\""));
    case RuleLookup::Problem::NoSuchId:
      return fail(error_at("test.rule-missing", "no rule with rule_id " + test.rule_id + " in the --rules set",
                           test.rule_id_span,
                           have_rule_set ? "" : "give the rules with --rules PATH, or name the file with rule = \"...\""));
  }
  std::optional<RuleRef> found = lookup.found;
  // The rule must run: its own fields, then its query.
  const Rule& rule = *found->rule;
  errors += render_all(rule.field_diagnostics, found->file->source, QueryOrigin(), how);
  if (!rule.has_query && errors.empty()) {
    errors += render(error_at("test.rule", "the rule has no query", Span{rule.file_offset, rule.file_offset}),
                     found->file->source, QueryOrigin(), how);
  }
  if (errors.empty()) {
    RuleRunner probe;
    errors += render_all(probe.add_rule(rule), found->file->source, rule.query_origin, how);
  }
  if (!errors.empty()) return std::nullopt;
  return found;
}

// The rule files of --rules that hold rules that cannot run (a file that is not TOML or JSON,
// a rule field of the wrong type, a query that does not compile), as files in error: a
// rule set with a broken rule does not pass.
std::vector<FileReport> broken_rule_files(const RuleSet& rules, const RenderOptions& how) {
  std::vector<FileReport> reports;
  for (const RuleFile& file : rules.loaded().files) {
    FileReport report;
    report.path = file.source.name();
    report.rules_file = true;
    report.errors = render_all(file.diagnostics, file.source, QueryOrigin(), how);
    for (const Rule& rule : file.rules) {
      std::string errors = render_all(rule.field_diagnostics, file.source, QueryOrigin(), how);
      if (errors.empty() && rule.has_query) {
        RuleRunner probe;
        errors = render_all(probe.add_rule(rule), file.source, rule.query_origin, how);
      }
      report.errors += errors;
    }
    if (!report.errors.empty()) reports.push_back(std::move(report));
  }
  return reports;
}

// `[a, b]`: an alert by its events' names.
std::string alert_text(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

// Why a case failed, for the text report (indented under its FAIL line): per mismatched
// alert, its events as `eql explain` explains them, only the filter each should pass.
std::string mismatch_text(const Rule& rule, const RuleTestCase& test_case, const RuleTestOutcome& outcome) {
  constexpr std::size_t kIndent = 6;
  const std::string pad(kIndent, ' ');
  std::string out;
  if (outcome.mismatched.empty() && outcome.alerts.size() < static_cast<std::size_t>(test_case.alerts)) {
    return pad + "(name the events of the alerts with alert_events = [[...]] to see why one did not come)\n";
  }
  for (const MismatchedAlert& alert : outcome.mismatched) {
    out += pad + (alert.expected ? "no alert " : "unexpected alert ") + alert_text(alert.events) + ":\n";
    for (std::size_t i = 0; i < alert.events.size(); ++i) {
      if (alert.positions[i] == 0 && alert.events[i] != "-") {
        out += pad + "  no event of the case is named " + alert.events[i] + " (event.id, or #N by position)\n";
      }
    }
    if (outcome.explanation) out += explain_events_text(rule, *outcome.explanation, alert.positions, kIndent + 2);
  }
  return out;
}

// Runs every case of one test file.
FileReport run_test_file(const std::string& path, RuleSet& rules, bool have_rule_set, const FieldTypes& types,
                         const RenderOptions& how) {
  FileReport report;
  report.path = path;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    report.errors = "eql test: cannot read '" + path + "'\n";
    return report;
  }
  RuleTestFile test = load_rule_test_text(path, text.str());
  if (has_errors(test.diagnostics)) {
    report.errors = render_all(test.diagnostics, test.source, QueryOrigin(), how);
    return report;
  }
  std::optional<RuleRef> rule = resolve_rule(test, rules, have_rule_set, how, report.errors);
  if (!rule) return report;
  report.rule_file = rule->rule->file;
  report.rule_id = rule->rule->rule_id;
  report.rule_name = rule->rule->name;
  std::vector<ExceptionListItem> exceptions = rules.exceptions_of(*rule->rule);
  for (const RuleTestCase& test_case : test.cases) {
    CaseReport result;
    result.name = test_case.name;
    result.expected_alerts = test_case.alerts;
    result.expected_events = test_case.alert_events;
    RuleTestOutcome outcome = run_rule_test_case(*rule->rule, exceptions, test, test_case, &types);
    result.errors = render_all(outcome.diagnostics, test.source, QueryOrigin(), how);
    for (const InputProblem& problem : outcome.input_problems) result.errors += problem.to_string() + "\n";
    result.status = !result.errors.empty() ? CaseStatus::Error : outcome.passed ? CaseStatus::Pass : CaseStatus::Fail;
    result.alerts = std::move(outcome.alerts);
    if (result.status == CaseStatus::Fail) result.explanation = mismatch_text(*rule->rule, test_case, outcome);
    report.cases.push_back(std::move(result));
  }
  return report;
}

// What --coverage reports: the --rules rules by what their tests cover.
Coverage coverage_of(const RuleSet& rules, const std::vector<FileReport>& files) {
  // A rule is known by its id, or by its file when it has none (a plain .eql file).
  auto key_of = [](const std::string& file, const std::string& rule_id) {
    return rule_id.empty() ? "file:" + std::filesystem::path(file).lexically_normal().string() : "id:" + rule_id;
  };
  std::map<std::string, std::pair<bool, bool>> tested;  // alerting case, quiet case
  for (const FileReport& file : files) {
    if (file.rule_file.empty()) continue;
    auto& [alerting, quiet] = tested[key_of(file.rule_file, file.rule_id)];
    for (const CaseReport& test_case : file.cases) {
      if (test_case.status == CaseStatus::Error) continue;
      if (test_case.expected_alerts > 0) alerting = true;
      else quiet = true;
    }
  }
  Coverage coverage;
  for (const RuleFile& file : rules.loaded().files) {
    for (const Rule& rule : file.rules) {
      ++coverage.rules;
      CoveredRule entry{rule.file, rule.rule_id, rule.name};
      auto found = tested.find(key_of(rule.file, rule.rule_id));
      if (found == tested.end()) {
        coverage.untested.push_back(entry);
        continue;
      }
      ++coverage.tested;
      if (!found->second.first) coverage.never_alerting.push_back(entry);
      if (!found->second.second) coverage.never_quiet.push_back(entry);
    }
  }
  return coverage;
}

}  // namespace

TestRun test_command(Args args, bool stdout_terminal) {
  TestRun run;
  TestCommandOptions options;
  bool help = false;
  if (auto error = parse_arguments(args, options, help)) {
    run.err = usage_text("test", *error);
    run.exit_code = kExitUsage;
    return run;
  }
  if (help) {
    run.out = kTestUsage;
    return run;
  }
  const bool color = options.format == ReportFormat::Text &&
                     (options.color == "always" || (options.color == "auto" && stdout_terminal));
  RuleSet rules(load_rule_paths(options.rule_paths));
  RenderOptions how;
  how.color = color;
  std::vector<std::string> io_errors = rules.loaded().io_errors;
  std::vector<std::string> files = find_rule_test_files(options.paths, io_errors);
  for (const std::string& error : io_errors) run.err += "eql test: " + error + "\n";
  if (!io_errors.empty()) {
    run.exit_code = kExitUsage;
    return run;
  }
  if (files.empty()) {
    run.err += "eql test: no *.test.toml file under the paths\n";
    run.exit_code = kExitUsage;
    return run;
  }
  SchemaFieldTypes types(embedded_schema_all());
  std::vector<FileReport> reports = broken_rule_files(rules, how);
  for (const std::string& file : files) reports.push_back(run_test_file(file, rules, !options.rule_paths.empty(), types, how));
  std::optional<Coverage> coverage;
  if (options.coverage) coverage = coverage_of(rules, reports);
  run.out = format_report(reports, coverage, options.format, color, options.quiet);
  run.exit_code = report_exit_code(reports);
  return run;
}

int run_test(Args args) {
  TestRun run = test_command(args, stdout_is_terminal());
  std::fwrite(run.out.data(), 1, run.out.size(), stdout);
  std::fwrite(run.err.data(), 1, run.err.size(), stderr);
  return run.exit_code;
}

}  // namespace eql::cli
