// `eql test`: the results of the test files as data, and their three printed forms (text,
// JUnit XML, JSON). test_command runs the command in-process for the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace eql::cli {

enum class ReportFormat { Text, Junit, Json };
enum class CaseStatus { Pass, Fail, Error };

struct CaseReport {
  std::string name;
  CaseStatus status = CaseStatus::Pass;
  std::int64_t expected_alerts = 0;
  std::optional<std::vector<std::vector<std::string>>> expected_events;
  std::vector<std::vector<std::string>> alerts;  ///< per alert, its events' event.id
  std::string errors;                            ///< Error: rendered diagnostics and input problems
  /// Fail: why, rendered: the events of the first expected alert that did not come and of
  /// the first alert that was not expected, as `eql explain` explains them (each line
  /// indented for the text report); empty when the counts alone cannot say which.
  std::string explanation;
};

struct FileReport {
  std::string path;
  /// A rule file of --rules with rules that cannot run, reported as a file in error (no
  /// cases), rather than a test file.
  bool rules_file = false;
  std::string rule_file;  ///< empty when the test names no rule that runs
  std::string rule_id;
  std::string rule_name;
  std::string errors;  ///< rendered: the file or its rule cannot run (then no cases)
  std::vector<CaseReport> cases;
};

struct CoveredRule {
  std::string file;
  std::string rule_id;
  std::string name;
};

struct Coverage {
  std::size_t rules = 0;   ///< EQL rules of --rules
  std::size_t tested = 0;  ///< of them, named by a test file that runs
  std::vector<CoveredRule> untested;
  std::vector<CoveredRule> never_alerting;  ///< tested, but no case expects an alert
  std::vector<CoveredRule> never_quiet;     ///< tested, but no case expects none
};

/// The whole report in one format, ending (text) with `N passed, M failed`. `color`: PASS,
/// FAIL and ERROR in colour (text only); `quiet`: no PASS lines (text only).
std::string format_report(const std::vector<FileReport>& files, const std::optional<Coverage>& coverage,
                          ReportFormat format, bool color = false, bool quiet = false);

/// 2 when a file or a case could not run, else 1 when a case failed, else 0.
int report_exit_code(const std::vector<FileReport>& files);

struct TestRun {
  std::string out;
  std::string err;
  int exit_code = kExitOk;
};

/// Runs `eql test ARGS` without touching the process's streams. `stdout_terminal` decides
/// colour under `--color=auto`.
TestRun test_command(Args args, bool stdout_terminal);

}  // namespace eql::cli
