// Rule tests (`eql test`, docs/test.md): a `*.test.toml` file names one rule and gives
// cases, each a set of events and the alerts the rule must raise on them. The loader turns
// the file into data (every mistake a Diagnostic at its place in the file); run_rule_test_case
// runs one case through the RuleRunner, the engine of `eql run`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eql/diagnostic.h"
#include "eql/eval.h"
#include "eql/event.h"
#include "eql/explain.h"
#include "eql/rules.h"
#include "eql/source.h"
#include "eql/value.h"

namespace eql {

/// Whether a file name is a rule test (`*.test.toml`). Rule loaders skip such files when
/// they walk a folder.
bool is_rule_test_path(std::string_view path);

/// One source of a case's events.
struct TestEventSource {
  enum class Kind { File, Json };
  Kind kind = Kind::File;
  /// File: the path as resolved against the test file's folder. Json: the event's JSON text
  /// (an inline string, or an inline table converted to JSON).
  std::string text;
  Span span;  ///< where the source is written in the test file
  /// Json from a string: where each byte of `text` is in the test file (for parse errors).
  QueryOrigin origin;
  bool mapped = false;  ///< `origin` maps `text` (else errors point at `span`)
};

struct RuleTestCase {
  std::string name;
  Span span;  ///< the case's name in the test file
  std::vector<TestEventSource> events;
  std::int64_t alerts = 0;
  /// Per alert, the `event.id` of each of its events, in order; absent when not given.
  std::optional<std::vector<std::vector<std::string>>> alert_events;
  /// The index the events are read as when they name none (`eql run --index`).
  std::string index;
  /// `start`: events without `@timestamp` get start + N * step, N their 0-based position
  /// among the case's events; absent: such events stay untimed.
  std::optional<EpochNanos> start;
  std::int64_t step_ns = 1'000'000'000;
};

struct RuleTestFile {
  SourceText source;
  /// `rule = "..."`, resolved against the test file's folder; empty when not given.
  std::string rule_path;
  Span rule_path_span;
  /// `rule_id = "..."`: the rule in the --rules set, or in `rule_path` when both are given.
  std::string rule_id;
  Span rule_id_span;
  std::vector<RuleTestCase> cases;
  /// Every mistake in the file; the file cannot run when one is an error.
  Diagnostics diagnostics;

  explicit RuleTestFile(SourceText text) : source(std::move(text)) {}
};

/// Reads a test file's text. `name` is its path as shown (and the base of relative paths).
RuleTestFile load_rule_test_text(std::string name, std::string text);

/// The test files under the paths (folders walked recursively in sorted order, hidden
/// entries skipped; a file named directly is taken whatever its name). Paths that do not
/// exist go to `io_errors`.
std::vector<std::string> find_rule_test_files(const std::vector<std::string>& paths,
                                              std::vector<std::string>& io_errors);

/// An alert a failed case is explained by: the first expected alert that did not come, or
/// the first alert that was not expected.
struct MismatchedAlert {
  bool expected = true;  ///< true: expected and missing; false: raised and not expected
  /// Its events' names, as in RuleTestOutcome::alerts.
  std::vector<std::string> events;
  /// Per event, its 1-based position among the case's events; 0 for a missing-event stage
  /// (`-`) or a name no event of the case has.
  std::vector<std::size_t> positions;
};

/// What one case gave.
struct RuleTestOutcome {
  /// Per alert, the `event.id` of each event (`#N`, the event's 1-based position among the
  /// case's events, when it has none; `-` for a missing-event stage).
  std::vector<std::vector<std::string>> alerts;
  /// Events that could not be read: diagnostics into the test file...
  Diagnostics diagnostics;
  /// ...and problems in events files (file:line:column), unreadable files included.
  std::vector<InputProblem> input_problems;
  bool passed = false;  ///< false too when the events could not all be read
  /// A failed case: the alerts that tell what went wrong (at most one of each kind; none
  /// when only counts were given and the counts cannot say which alert), and the
  /// explanation of the case's events (as `eql explain` gives it) they point into.
  std::vector<MismatchedAlert> mismatched;
  std::optional<RuleExplanation> explanation;
};

/// Runs one case: the rule (with the exception items that apply to it) over the case's
/// events in exact order, as `eql run` runs it over files. `field_types` (e.g. the embedded
/// schemas' SchemaFieldTypes; nullptr: JSON types) must outlive the call. `rule` must
/// compile (check with RuleRunner::add_rule first).
RuleTestOutcome run_rule_test_case(const Rule& rule, const std::vector<ExceptionListItem>& exceptions,
                                   const RuleTestFile& file, const RuleTestCase& test_case,
                                   const FieldTypes* field_types);

}  // namespace eql
