// One case of a rule test (`eql test`): its events through a RuleRunner holding the one rule,
// the alerts named by their events' `event.id`, compared with what the case expects.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "eql/rule_test.h"
#include "eql/runner.h"

namespace eql {

namespace {

// The events of a case, in the order written: files read as `eql run` reads them, inline
// JSON parsed at its place in the test file.
bool read_case_events(const RuleTestCase& test_case, std::vector<Event>& events,
                      RuleTestOutcome& outcome) {
  EventReadOptions options;
  for (const TestEventSource& source : test_case.events) {
    if (source.kind == TestEventSource::Kind::File) {
      std::vector<InputProblem> problems;
      ReadSummary summary = read_events(
          source.text, options,
          [&](Event&& event) {
            events.push_back(std::move(event));
            return true;
          },
          [&](const InputProblem& problem) { problems.push_back(problem); });
      for (const InputProblem& problem : problems) {
        if (problem.line != 0) {
          outcome.input_problems.push_back(problem);
        } else {
          // The file as a whole: said at the `events` entry of the test file.
          outcome.diagnostics.push_back(Diagnostic{Severity::Error, "test.events-file",
                                                   "events file '" + source.text + "': " + problem.message,
                                                   source.span, {}});
        }
      }
      if (summary.io_error && problems.empty()) {
        outcome.diagnostics.push_back(Diagnostic{Severity::Error, "test.events-file",
                                                 "cannot read the events file '" + source.text + "'", source.span, {}});
      }
      continue;
    }
    std::string error;
    std::size_t at = 0;
    std::optional<Event> event = parse_event(source.text, error, &at);
    if (!event) {
      Span span = source.span;
      if (source.mapped) {
        std::uint32_t offset = source.origin.to_file(static_cast<std::uint32_t>(std::min(at, source.text.size())));
        span = Span{offset, offset};
      }
      outcome.diagnostics.push_back(Diagnostic{Severity::Error, "test.event-json", "invalid event: " + error, span, {}});
      continue;
    }
    extract_ordering(*event, options);
    events.push_back(std::move(*event));
  }
  if (test_case.start) {
    // The case's time origin: events without @timestamp are given one by their position.
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].has("@timestamp")) continue;
      constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
      const auto position = static_cast<std::int64_t>(i);
      if (test_case.step_ns > 0 && position > kMax / test_case.step_ns) break;  // beyond any date
      const std::int64_t offset = position * test_case.step_ns;
      if (*test_case.start > 0 && offset > kMax - *test_case.start) break;
      EpochNanos at = *test_case.start + offset;
      events[i].set("@timestamp", Value::of_string(format_date(at, false)));
      extract_ordering(events[i], options);
    }
  }
  return outcome.diagnostics.empty() && outcome.input_problems.empty();
}

// The runner numbers the events it is given from 0 (Event::ordinal): `#N` is the N-th
// event of the case.
std::string event_name(const EventRef& event) {
  if (!event) return "-";
  Value id = event->first("event.id");
  if (!id.is_null()) return to_display_string(id);
  return "#" + std::to_string(event->ordinal + 1);
}

}  // namespace

RuleTestOutcome run_rule_test_case(const Rule& rule, const std::vector<ExceptionListItem>& exceptions,
                                   const RuleTestFile& file, const RuleTestCase& test_case,
                                   const FieldTypes* field_types) {
  RuleTestOutcome outcome;
  std::vector<Event> events;
  if (!read_case_events(test_case, events, outcome)) return outcome;

  RunnerOptions options;
  options.order = RunnerOptions::Order::Exact;
  options.field_types = field_types;
  RuleRunner runner(options);
  if (has_errors(runner.add_rule(rule, exceptions))) {
    outcome.diagnostics.push_back(Diagnostic{Severity::Error, "test.rule", "the rule does not compile", file.rule_path_span, {}});
    return outcome;
  }
  runner.set_alert_sink([&](Alert&& alert) {
    std::vector<std::string> names;
    for (const EventRef& event : alert.events) names.push_back(event_name(event));
    outcome.alerts.push_back(std::move(names));
  });
  for (Event& event : events) runner.push(std::move(event), test_case.index);
  runner.finish();

  outcome.passed = outcome.alerts.size() == static_cast<std::size_t>(test_case.alerts) &&
                   (!test_case.alert_events || *test_case.alert_events == outcome.alerts);
  return outcome;
}

}  // namespace eql
