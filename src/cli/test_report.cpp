// The printed forms of `eql test` results: text for people, JUnit XML for CI dashboards,
// JSON for programs (docs/test.md).
#include <string>
#include <vector>

#include "common/plural.h"
#include "cli/test_report.h"
#include "report/json_output.h"
#include "eql/value.h"

namespace eql::cli {

namespace {

using report::append_json_string;
using report::append_json_strings;

struct Totals {
  std::size_t passed = 0;
  std::size_t failed = 0;        ///< failed and error cases
  std::size_t error_cases = 0;   ///< cases that could not run
  std::size_t broken_files = 0;  ///< files that could not run at all
};

Totals totals_of(const std::vector<FileReport>& files) {
  Totals totals;
  for (const FileReport& file : files) {
    if (!file.errors.empty()) ++totals.broken_files;
    for (const CaseReport& test_case : file.cases) {
      if (test_case.status == CaseStatus::Pass) {
        ++totals.passed;
      } else {
        ++totals.failed;
        if (test_case.status == CaseStatus::Error) ++totals.error_cases;
      }
    }
  }
  return totals;
}

// `[a] [b, c]`: per alert, its events' ids.
std::string alerts_text(const std::vector<std::vector<std::string>>& alerts) {
  std::string out;
  for (const std::vector<std::string>& alert : alerts) {
    out += out.empty() ? "[" : " [";
    for (std::size_t i = 0; i < alert.size(); ++i) out += (i ? ", " : "") + alert[i];
    out += ']';
  }
  return out;
}

std::string expected_text(const CaseReport& test_case) {
  std::string out = "expected " + count_of(static_cast<std::size_t>(test_case.expected_alerts), "alert");
  if (test_case.expected_events && !test_case.expected_events->empty()) {
    out += ": " + alerts_text(*test_case.expected_events);
  }
  return out;
}

std::string got_text(const CaseReport& test_case) {
  std::string out = "got " + count_of(test_case.alerts.size(), "alert");
  if (!test_case.alerts.empty()) out += ": " + alerts_text(test_case.alerts);
  return out;
}

std::string coverage_list(const std::vector<CoveredRule>& rules) {
  std::string out;
  for (const CoveredRule& rule : rules) {
    out += "    " + rule.file + "  " + rule.name;
    if (!rule.rule_id.empty()) out += " (" + rule.rule_id + ")";
    out += "\n";
  }
  return out;
}

// `PASS  `, `FAIL  `, `ERROR `: green, red, bold red in colour.
std::string status_label(CaseStatus status, bool color) {
  const char* text = status == CaseStatus::Pass ? "PASS" : status == CaseStatus::Fail ? "FAIL" : "ERROR";
  const char* padding = status == CaseStatus::Error ? " " : "  ";
  if (!color) return std::string(text) + padding;
  const char* paint = status == CaseStatus::Pass ? "\x1b[32m" : status == CaseStatus::Fail ? "\x1b[31m" : "\x1b[1;31m";
  return std::string(paint) + text + "\x1b[0m" + padding;
}

std::string text_report(const std::vector<FileReport>& files, const std::optional<Coverage>& coverage, bool color,
                        bool quiet) {
  std::string out;
  for (const FileReport& file : files) {
    if (!file.errors.empty()) {
      out += status_label(CaseStatus::Error, color) + file.path + "\n" + file.errors;
      continue;
    }
    for (const CaseReport& test_case : file.cases) {
      if (quiet && test_case.status == CaseStatus::Pass) continue;  // -q: what needs a look
      out += status_label(test_case.status, color) + file.path + ": " + test_case.name + "\n";
      if (test_case.status == CaseStatus::Fail) {
        out += "      " + expected_text(test_case) + "\n";
        out += "      " + got_text(test_case) + "\n";
        out += test_case.explanation;
      } else if (test_case.status == CaseStatus::Error) {
        out += test_case.errors;
      }
    }
  }
  if (coverage) {
    out += "coverage: " + count_of(coverage->rules, "EQL rule") + " loaded, " +
           std::to_string(coverage->tested) + " with tests\n";
    auto section = [&out](const char* title, const std::vector<CoveredRule>& rules) {
      out += std::string("  ") + title + ": " + std::to_string(rules.size()) + "\n" + coverage_list(rules);
    };
    section("no test", coverage->untested);
    section("no case that alerts", coverage->never_alerting);
    section("no case that stays quiet", coverage->never_quiet);
  }
  Totals totals = totals_of(files);
  if (totals.broken_files || totals.error_cases) {
    out += "could not run: " + count_of(totals.broken_files, "file") + ", " +
           count_of(totals.error_cases, "case") + " (shown above)\n";
  }
  out += std::to_string(totals.passed) + " passed, " + std::to_string(totals.failed) + " failed\n";
  return out;
}

std::string xml_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "&#10;"; break;
      default:
        // Control characters are not allowed in XML 1.0 (tabs and line ends aside).
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::string junit_case(const FileReport& file, const CaseReport& test_case) {
  std::string out = "    <testcase name=\"" + xml_escaped(test_case.name) + "\" classname=\"" + xml_escaped(file.path) + "\"";
  if (test_case.status == CaseStatus::Pass) return out + "/>\n";
  out += ">\n";
  if (test_case.status == CaseStatus::Fail) {
    std::string message = expected_text(test_case) + ", " + got_text(test_case);
    // The body adds the explanation: the dashboards show it under the message.
    std::string body = message + (test_case.explanation.empty() ? "" : "\n" + test_case.explanation);
    out += "      <failure message=\"" + xml_escaped(message) + "\" type=\"alerts\">" + xml_escaped(body) + "</failure>\n";
  } else {
    out += "      <error message=\"the case could not run\" type=\"error\">" + xml_escaped(test_case.errors) + "</error>\n";
  }
  return out + "    </testcase>\n";
}

std::string junit_report(const std::vector<FileReport>& files) {
  Totals totals = totals_of(files);
  std::size_t tests = totals.passed + totals.failed + totals.broken_files;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"eql test\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
         std::to_string(totals.failed - totals.error_cases) + "\" errors=\"" +
         std::to_string(totals.error_cases + totals.broken_files) + "\">\n";
  for (const FileReport& file : files) {
    std::size_t failures = 0, errors = file.errors.empty() ? 0 : 1;
    for (const CaseReport& test_case : file.cases) {
      if (test_case.status == CaseStatus::Fail) ++failures;
      if (test_case.status == CaseStatus::Error) ++errors;
    }
    std::size_t count = file.cases.size() + (file.errors.empty() ? 0 : 1);
    out += "  <testsuite name=\"" + xml_escaped(file.path) + "\" tests=\"" + std::to_string(count) +
           "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\">\n";
    if (!file.errors.empty()) {
      // A file that cannot run is one test in error, so that dashboards show it.
      const char* name = file.rules_file ? "(rule file)" : "(test file)";
      const char* message = file.rules_file ? "rules that cannot run" : "the test file could not run";
      out += "    <testcase name=\"" + std::string(name) + "\" classname=\"" + xml_escaped(file.path) + "\">\n";
      out += "      <error message=\"" + std::string(message) + "\" type=\"error\">" + xml_escaped(file.errors) + "</error>\n";
      out += "    </testcase>\n";
    }
    for (const CaseReport& test_case : file.cases) out += junit_case(file, test_case);
    out += "  </testsuite>\n";
  }
  return out + "</testsuites>\n";
}

void json_alerts(std::string& out, const std::vector<std::vector<std::string>>& alerts) {
  out += '[';
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i) out += ',';
    append_json_strings(out, alerts[i]);
  }
  out += ']';
}

void json_text_or_null(std::string& out, const std::string& text) {
  if (text.empty()) out += "null";
  else append_json_string(out, text);
}

void json_case(std::string& out, const CaseReport& test_case) {
  static const char* const kStatus[] = {"pass", "fail", "error"};
  out += "{\"name\":";
  append_json_string(out, test_case.name);
  out += ",\"status\":";
  append_json_string(out, kStatus[static_cast<int>(test_case.status)]);
  out += ",\"expected_alerts\":" + std::to_string(test_case.expected_alerts) + ",\"expected_alert_events\":";
  if (test_case.expected_events) json_alerts(out, *test_case.expected_events);
  else out += "null";
  out += ",\"alerts\":";
  json_alerts(out, test_case.alerts);
  out += ",\"errors\":";
  json_text_or_null(out, test_case.errors);
  out += ",\"explanation\":";
  json_text_or_null(out, test_case.explanation);
  out += '}';
}

void json_rules(std::string& out, const char* key, const std::vector<CoveredRule>& rules) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < rules.size(); ++i) {
    out += i ? ",{\"file\":" : "{\"file\":";
    append_json_string(out, rules[i].file);
    out += ",\"rule_id\":";
    append_json_string(out, rules[i].rule_id);
    out += ",\"name\":";
    append_json_string(out, rules[i].name);
    out += '}';
  }
  out += ']';
}

std::string json_report(const std::vector<FileReport>& files, const std::optional<Coverage>& coverage) {
  std::string out = "{\"files\":[";
  for (std::size_t i = 0; i < files.size(); ++i) {
    const FileReport& file = files[i];
    out += i ? ",{\"file\":" : "{\"file\":";
    append_json_string(out, file.path);
    out += file.rules_file ? ",\"kind\":\"rules\"" : ",\"kind\":\"test\"";
    out += ",\"rule_file\":";
    json_text_or_null(out, file.rule_file);
    out += ",\"rule_id\":";
    json_text_or_null(out, file.rule_id);
    out += ",\"rule_name\":";
    json_text_or_null(out, file.rule_name);
    out += ",\"errors\":";
    json_text_or_null(out, file.errors);
    out += ",\"cases\":[";
    for (std::size_t j = 0; j < file.cases.size(); ++j) {
      if (j) out += ',';
      json_case(out, file.cases[j]);
    }
    out += "]}";
  }
  Totals totals = totals_of(files);
  out += "],\"passed\":" + std::to_string(totals.passed) + ",\"failed\":" + std::to_string(totals.failed) +
         ",\"broken_files\":" + std::to_string(totals.broken_files) + ",\"coverage\":";
  if (coverage) {
    out += "{\"rules\":" + std::to_string(coverage->rules) + ",\"tested\":" + std::to_string(coverage->tested);
    json_rules(out, "untested", coverage->untested);
    json_rules(out, "no_alerting_case", coverage->never_alerting);
    json_rules(out, "no_quiet_case", coverage->never_quiet);
    out += '}';
  } else {
    out += "null";
  }
  return out + "}\n";
}

}  // namespace

std::string format_report(const std::vector<FileReport>& files, const std::optional<Coverage>& coverage,
                          ReportFormat format, bool color, bool quiet) {
  switch (format) {
    case ReportFormat::Text: return text_report(files, coverage, color, quiet);
    case ReportFormat::Junit: return junit_report(files);
    case ReportFormat::Json: return json_report(files, coverage);
  }
  return {};
}

int report_exit_code(const std::vector<FileReport>& files) {
  Totals totals = totals_of(files);
  if (totals.broken_files || totals.error_cases) return kExitUsage;
  return totals.failed ? kExitFindings : kExitOk;
}

}  // namespace eql::cli
