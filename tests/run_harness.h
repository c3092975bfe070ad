// Test helpers for `eql run`: a rule as a loaded file gives it, and the command run in
// process (cli::run_rules_command) with stdout and stderr captured, so that every test of
// the command reads its output the same way.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run.h"
#include "eql/rules.h"

namespace eql::testing {

// An EQL rule with an id and a query, the rest as a file that says nothing more gives it.
inline Rule rule_of(const std::string& id, const std::string& query) {
  Rule rule;
  rule.rule_id = id;
  rule.query = query;
  rule.has_query = true;
  return rule;
}

struct RunCapture {
  int exit_code = 0;
  std::string out;
  std::string err;
  std::vector<std::string> lines;  // stdout's lines: the alerts
};

// Reads a temporary file back from its start, and closes it.
inline std::string read_back(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[65536];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, got);
  std::fclose(file);
  return text;
}

inline RunCapture capture_eql_run(const std::vector<std::string>& arguments) {
  std::vector<std::string_view> views(arguments.begin(), arguments.end());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  REQUIRE(out);
  REQUIRE(err);
  RunCapture result;
  result.exit_code = cli::run_rules_command(cli::Args(views.data(), views.size()), out, err);
  result.out = read_back(out);
  result.err = read_back(err);
  std::size_t start = 0;
  for (std::size_t end = result.out.find('\n'); end != std::string::npos; end = result.out.find('\n', start)) {
    result.lines.push_back(result.out.substr(start, end - start));
    start = end + 1;
  }
  return result;
}

}  // namespace eql::testing
