// Every EQL rule of the detection-rules corpus compiles for evaluation and runs over the
// real ECS events of ../shared/corpus/events without a runtime error. Sequence and sample
// rules are checked stage by stage (each stage filter, and `until`), since the sequence
// engine comes later.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/rules.h"

namespace fs = std::filesystem;

namespace {

std::vector<eql::Event> corpus_events() {
  std::vector<eql::Event> events;
  fs::path root = fs::path(EQL_SHARED_DIR) / "corpus" / "events";
  if (!fs::exists(root)) return events;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.path().extension() == ".ndjson") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    eql::read_events(
        file.string(), {},
        [&](eql::Event&& event) {
          events.push_back(std::move(event));
          return true;
        },
        [&](const eql::InputProblem& problem) { FAIL_CHECK(problem.to_string()); });
  }
  return events;
}

}  // namespace

// Compiles every filter of one rule (the query, or each sequence/sample stage and `until`)
// and runs it over the events; false when a filter does not compile.
static bool evaluate_rule(const eql::Rule& rule, const std::vector<eql::Event>& events, eql::EvalContext& context,
                   std::size_t& filters, std::size_t& matches) {
  eql::FilterOptions options;
  if (!rule.event_category_override.empty()) options.category_field = rule.event_category_override;
  eql::ParseResult parsed = eql::parse_query(rule.query);
  if (!parsed.ok()) {
    FAIL_CHECK(rule.file << ": does not parse: " << parsed.diagnostics.front().message);
    return false;
  }
  std::vector<const eql::ast::EventFilter*> stages;
  if (const auto* filter = parsed.query->event()) stages.push_back(filter);
  if (const auto* sequence = parsed.query->sequence()) {
    for (const auto& term : sequence->terms) stages.push_back(&term.filter);
    if (sequence->until) stages.push_back(&sequence->until->filter);
  }
  if (const auto* sample = parsed.query->sample()) {
    for (const auto& term : sample->terms) stages.push_back(&term.filter);
  }
  bool ok = true;
  for (const auto* stage : stages) {
    auto compiled = eql::compile_filter(*stage, options);
    if (!compiled.program) {
      FAIL_CHECK(rule.file << ": " << compiled.diagnostics.front().message);
      ok = false;
      continue;
    }
    ++filters;
    for (const auto& event : events) matches += compiled.program->matches(event, context) ? 1 : 0;
  }
  return ok;
}

TEST_CASE("every corpus EQL rule evaluates over the corpus events") {
  fs::path root = fs::path(EQL_SHARED_DIR) / "corpus" / "detection-rules";
  REQUIRE_MESSAGE(fs::exists(root), "no corpus at " EQL_SHARED_DIR);
  std::vector<eql::Event> events = corpus_events();
  REQUIRE(events.size() >= 70);

  // The rules as the rule loader reads them (detection-rules TOML, with their overrides).
  eql::LoadedRules loaded = eql::load_rule_paths({root.string()});
  REQUIRE(loaded.io_errors.empty());
  std::size_t rules = 0, passed = 0, filters = 0, matches = 0;
  eql::EvalContext context;
  for (const auto& rule_file : loaded.files) {
    for (const auto& rule : rule_file.rules) {
      if (!rule.has_query) continue;
      ++rules;
      if (evaluate_rule(rule, events, context, filters, matches)) ++passed;
    }
  }
  std::printf("corpus-eval: %zu passed, %zu failed (%zu filters over %zu events, %zu matches)\n", passed,
              rules - passed, filters, events.size(), matches);
  CHECK(rules == 1024);
  CHECK(passed == rules);
  CHECK(matches > 0);
}
