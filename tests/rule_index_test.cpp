// The runner's rule index (src/run/rule_index.h): what each rule is filed under, as its
// printer gives it. A table of queries and their printed filing; the differential test in
// run_command_test.cpp proves that the filing never hides a match.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "eql/parser.h"
#include "eql/runner.h"
#include "run_harness.h"
#include "run/rule_index.h"

using namespace eql;

namespace {

std::string filing(const std::string& query_text) {
  ParseResult parsed = parse_query(query_text);
  REQUIRE(parsed.ok());
  std::vector<const ast::EventFilter*> filters;
  if (const ast::EventFilter* filter = parsed.query->event()) filters.push_back(filter);
  if (const ast::Sequence* sequence = parsed.query->sequence()) {
    for (const ast::Term& term : sequence->terms) filters.push_back(&term.filter);
    if (sequence->until) filters.push_back(&sequence->until->filter);
  }
  if (const ast::Sample* sample = parsed.query->sample()) {
    for (const ast::Term& term : sample->terms) filters.push_back(&term.filter);
  }
  detail::RuleIndex index;
  index.add_rule(filters, nullptr, "event.category");
  return index.describe(0);
}

struct Case {
  const char* query;
  const char* filed;
};

const Case kCases[] = {
    {R"(process where process.name : ("cmd.exe", "Powershell.exe") and host.os.type == "windows")",
     "gate category: event.category \"process\"\n"
     "gate telling: process.name \"cmd.exe\" \"powershell.exe\"\n"
     "gate os: host.os.type \"windows\"\n"
     "gate coarse: none\n"
     "filter 1 (process): host.os.type and process.name\n"},
    // Wildcards: a literal start is a prefix, else a literal end a suffix.
    {R"(file where event.type == "creation" and file.name : "*.PS1")",
     "gate category: event.category \"file\"\n"
     "gate telling: file.name *\".ps1\"\n"
     "gate os: none\n"
     "gate coarse: event.type \"creation\"\n"
     "filter 1 (file): event.type and file.name\n"},
    // An `or` of gates on two fields is one gate on either; the fields, one clause.
    {R"(any where process.name : "python*" or process.pe.original_file_name : "python*")",
     "gate category: none\n"
     "gate telling: process.name \"python\"* | process.pe.original_file_name \"python\"*\n"
     "gate os: none\n"
     "gate coarse: none\n"
     "filter 1 (any category): (process.name or process.pe.original_file_name)\n"},
    // A sequence is filed under what every stage has: each stage's category, no telling
    // gate (the second stage has none); each stage keeps its own required fields.
    {R"(sequence by host.id [process where process.name == "a"] [network where destination.port == 443])",
     "gate category: event.category \"network\" \"process\"\n"
     "gate telling: none\n"
     "gate os: none\n"
     "gate coarse: none\n"
     "filter 1 (process): process.name\n"
     "filter 2 (network): destination.port\n"},
    // Negations, regexes and `!=` give no gate; `!= null` still needs the field.
    {R"(process where not process.name == "a" and process.args regex "x.*" and user.name != null)",
     "gate category: event.category \"process\"\n"
     "gate telling: none\n"
     "gate os: none\n"
     "gate coarse: none\n"
     "filter 1 (process): process.args and user.name\n"},
    {"any where true",
     "gate category: none\n"
     "gate telling: none\n"
     "gate os: none\n"
     "gate coarse: none\n"
     "filter 1 (any category): no field\n"},
};

}  // namespace

TEST_CASE("rule index: what each rule is filed under") {
  for (const Case& c : kCases) {
    CAPTURE(c.query);
    CHECK(filing(c.query) == c.filed);
  }
}

TEST_CASE("the plan counts each distinct leaf once and the rules that share it") {
  RuleRunner runner;
  // Three rules: `event.category == "process"` in all three (twice in the sequence, still one
  // rule), `process.name == "a.exe"` in two, and one leaf of its own each for the others.
  const char* const queries[] = {
      R"(process where process.name == "a.exe")",
      R"(process where process.name == "a.exe" and process.pid == 4)",
      R"(sequence [process where true] [process where host.os.type == "linux"])",
  };
  for (const char* query : queries) REQUIRE_FALSE(has_errors(runner.add_rule(testing::rule_of(query, query))));
  const std::string plan = runner.explain_plan(3);
  CHECK(plan ==
        "plan: 3 rules, 8 leaves, 4 distinct (each computed at most once per event), 2 held by two rules or more\n"
        "most shared leaves (rules holding each):\n"
        "      3  (== $event.category \"process\")\n"
        "      2  (== $process.name \"a.exe\")\n"
        "      1  (== $host.os.type \"linux\")\n"
        "fields with the most distinct leaves:\n"
        "      1  event.category\n"
        "      1  host.os.type\n"
        "      1  process.name\n");
}
