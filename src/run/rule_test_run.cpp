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

// An event of the case by its `event.id`, else `#N`, N its 1-based position (`index` is
// 0-based; the runner numbers the events it is given from 0 as Event::ordinal).
std::string event_name(const Event& event, std::uint64_t index) {
  Value id = event.first("event.id");
  if (!id.is_null()) return to_display_string(id);
  return "#" + std::to_string(index + 1);
}

// The alerts that tell why a case failed: with `alert_events`, the first expected alert
// that did not come and the first that came unexpected (alerts paired as multisets); with
// a count alone, an alert where none was expected.
std::vector<MismatchedAlert> mismatched_alerts(const RuleTestCase& test_case, const std::vector<Event>& events,
                                               const std::vector<std::vector<std::string>>& got,
                                               const std::vector<std::vector<std::size_t>>& got_positions) {
  std::vector<MismatchedAlert> out;
  std::vector<bool> paired(got.size(), false);
  if (test_case.alert_events) {
    std::optional<MismatchedAlert> missing;
    for (const std::vector<std::string>& expected : *test_case.alert_events) {
      bool found = false;
      for (std::size_t i = 0; i < got.size() && !found; ++i) {
        if (!paired[i] && got[i] == expected) paired[i] = found = true;
      }
      if (found || missing) continue;
      // Each named event: the first of that name after the alert's previous event, else the
      // first of that name.
      missing = MismatchedAlert{true, expected, {}};
      std::size_t previous = 0;
      for (const std::string& name : expected) {
        std::size_t position = 0;
        for (std::size_t pass = 0; pass < 2 && position == 0 && name != "-"; ++pass) {
          for (std::size_t i = pass == 0 ? previous : 0; i < events.size(); ++i) {
            if (event_name(events[i], i) == name) {
              position = i + 1;
              break;
            }
          }
        }
        missing->positions.push_back(position);
        if (position) previous = position;
      }
    }
    if (missing) out.push_back(std::move(*missing));
  } else if (test_case.alerts != 0) {
    return out;  // a count alone cannot say which alert is missing or too many
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (paired[i]) continue;
    out.push_back(MismatchedAlert{false, got[i], got_positions[i]});
    break;
  }
  return out;
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
  std::vector<std::vector<std::size_t>> positions;  // of each alert's events, as MismatchedAlert
  runner.set_alert_sink([&](Alert&& alert) {
    std::vector<std::string> names;
    std::vector<std::size_t> at;
    for (const EventRef& event : alert.events) {
      names.push_back(event ? event_name(*event, event->ordinal) : "-");
      at.push_back(event ? event->ordinal + 1 : 0);
    }
    outcome.alerts.push_back(std::move(names));
    positions.push_back(std::move(at));
  });
  for (const Event& event : events) runner.push(Event(event), test_case.index);
  runner.finish();

  outcome.passed = outcome.alerts.size() == static_cast<std::size_t>(test_case.alerts) &&
                   (!test_case.alert_events || *test_case.alert_events == outcome.alerts);
  if (outcome.passed) return outcome;
  // Why not: the events of the alerts that tell, as `eql explain` explains them.
  outcome.mismatched = mismatched_alerts(test_case, events, outcome.alerts, positions);
  if (outcome.mismatched.empty()) return outcome;
  ExplainOptions explain_options;
  explain_options.index = test_case.index;
  explain_options.field_types = field_types;
  RuleExplanation explanation;
  if (!has_errors(explain_rule(rule, exceptions, events, explain_options, explanation))) {
    outcome.explanation = std::move(explanation);
  }
  return outcome;
}

}  // namespace eql
