// Rule test files (`*.test.toml`, docs/test.md): the TOML read into a RuleTestFile, every
// mistake (syntax, an unknown key, a wrong type, a missing field) a diagnostic at its place.
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "eql/rule_test.h"
#include "rules/loaders.h"
#include "rules/string_scan.h"
#include "rules/toml_types.h"

namespace eql {

namespace fs = std::filesystem;

bool is_rule_test_path(std::string_view path) {
  constexpr std::string_view suffix = ".test.toml";
  return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
}

namespace {

using rules_internal::offset_of_line_column;

// Reads the parsed TOML into the file's model, collecting diagnostics.
class TestFileReader {
 public:
  explicit TestFileReader(RuleTestFile& file)
      : file_(file), folder_(fs::path(file.source.name()).parent_path()) {}

  Span span_of(const toml::source_region& region) const {
    const std::string& text = file_.source.text();
    std::uint32_t begin = offset_of_line_column(text, region.begin.line, region.begin.column);
    std::uint32_t end = offset_of_line_column(text, region.end.line, region.end.column);
    return Span{begin, std::max(begin, end)};
  }

  void error(std::string code, std::string message, Span span, std::string hint = {}) {
    file_.diagnostics.push_back(Diagnostic{Severity::Error, std::move(code), std::move(message), span, std::move(hint)});
  }

  void wrong_type(const toml::node& node, std::string_view path, std::string_view expected) {
    std::string message;
    message.append("`").append(path).append("` must be ").append(expected).append(", not ");
    message.append(rules_internal::described_type(node));
    error("test.wrong-type", std::move(message), span_of(node.source()));
  }

  // Every key of `table` must be one of `known`.
  void check_keys(const toml::table& table, std::string_view where, std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string list;
      for (std::string_view name : known) list.append(list.empty() ? "" : ", ").append("`").append(name).append("`");
      std::string message;
      message.append("unknown key `").append(key.str()).append("` in ").append(where);
      Span span = key.source().begin.line ? span_of(key.source()) : span_of(node.source());
      error("test.unknown-key", std::move(message), span, "the keys here are " + list);
    }
  }

  std::string resolve(const std::string& relative) const {
    fs::path path(relative);
    if (path.is_absolute() || folder_.empty()) return path.lexically_normal().string();
    return (folder_ / path).lexically_normal().string();
  }

  void read_top(const toml::table& root) {
    check_keys(root, "a test file", {"rule", "rule_id", "index", "start", "step", "case"});
    if (const toml::node* node = root.get("rule")) {
      if (const auto* value = node->as_string()) {
        file_.rule_path = resolve(value->get());
        file_.rule_path_span = span_of(node->source());
      } else {
        wrong_type(*node, "rule", "a string (a rule file, relative to this file)");
      }
    }
    if (const toml::node* node = root.get("rule_id")) {
      if (const auto* value = node->as_string()) {
        file_.rule_id = value->get();
        file_.rule_id_span = span_of(node->source());
      } else {
        wrong_type(*node, "rule_id", "a string");
      }
    }
    if (!root.contains("rule") && !root.contains("rule_id")) {
      error("test.no-rule", "the test file names no rule", Span{0, 0},
            "write `rule = \"file.toml\"` (relative to this file) or `rule_id = \"...\"` (a rule of --rules)");
    }
    RuleTestCase defaults;
    if (const toml::node* node = root.get("index")) {
      if (const auto* value = node->as_string()) defaults.index = value->get();
      else wrong_type(*node, "index", "a string");
    }
    read_time(root, "", defaults);
    const toml::node* cases = root.get("case");
    if (cases == nullptr) {
      error("test.no-case", "the test file has no case", Span{0, 0}, "add a [[case]] table with `name`, `events` and `alerts`");
      return;
    }
    const auto* array = cases->as_array();
    if (array == nullptr) {
      wrong_type(*cases, "case", "an array of tables ([[case]])");
      return;
    }
    std::set<std::string> names;
    for (const toml::node& element : *array) {
      const auto* table = element.as_table();
      if (table == nullptr) {
        wrong_type(element, "case[]", "a table");
        continue;
      }
      RuleTestCase test_case = read_case(*table, defaults);
      if (!test_case.name.empty() && !names.insert(test_case.name).second) {
        error("test.duplicate-case", "another case is named `" + test_case.name + "`", test_case.span);
      }
      file_.cases.push_back(std::move(test_case));
    }
  }

 private:
  // `start` (a date) and `step` (a duration such as "1s", "250ms", "2m"): the time origin
  // of events without @timestamp.
  void read_time(const toml::table& table, std::string_view prefix, RuleTestCase& test_case) {
    if (const toml::node* node = table.get("start")) {
      std::optional<EpochNanos> start;
      if (const auto* text = node->as_string()) {
        start = parse_date(text->get());
      } else if (const auto* stamp = node->as_date_time()) {
        std::ostringstream written;
        written << stamp->get();
        start = parse_date(written.str());
      }
      if (start) test_case.start = start;
      else if (node->is_string()) error("test.bad-time", "`" + std::string(prefix) + "start` is not a date", span_of(node->source()), "write a date such as 2024-01-31T14:00:00Z");
      else wrong_type(*node, std::string(prefix) + "start", "a date such as 2024-01-31T14:00:00Z");
    }
    if (const toml::node* node = table.get("step")) {
      std::optional<std::int64_t> step;
      if (const auto* text = node->as_string()) step = duration_ns(text->get());
      if (step) test_case.step_ns = *step;
      else if (node->is_string()) error("test.bad-time", "`" + std::string(prefix) + "step` is not a duration of up to a day", span_of(node->source()), "write a whole number and a unit: \"250ms\", \"1s\", \"2m\", \"1h\"");
      else wrong_type(*node, std::string(prefix) + "step", "a duration such as \"1s\", \"250ms\" or \"2m\"");
    }
  }

  static std::optional<std::int64_t> duration_ns(std::string_view text) {
    std::size_t digits = 0;
    std::int64_t amount = 0;
    while (digits < text.size() && digits < 12 && text[digits] >= '0' && text[digits] <= '9') {
      amount = amount * 10 + (text[digits++] - '0');
    }
    if (digits == 0) return std::nullopt;
    std::string_view unit_name = text.substr(digits);
    std::int64_t unit = unit_name == "ms" ? 1'000'000 : unit_name == "s" ? 1'000'000'000
                      : unit_name == "m" ? 60'000'000'000 : unit_name == "h" ? 3'600'000'000'000 : 0;
    // Up to a day between two events: the times of a case stay far from overflowing.
    constexpr std::int64_t kDay = 86'400'000'000'000;
    if (unit == 0 || amount > kDay / unit) return std::nullopt;
    return amount * unit;
  }

  RuleTestCase read_case(const toml::table& table, const RuleTestCase& defaults) {
    check_keys(table, "a [[case]]", {"name", "events", "event", "alerts", "alert_events", "index", "start", "step"});
    RuleTestCase test_case;
    test_case.index = defaults.index;
    test_case.start = defaults.start;
    test_case.step_ns = defaults.step_ns;
    read_time(table, "case.", test_case);
    test_case.span = span_of(table.source());
    test_case.span.end = test_case.span.begin;
    if (const toml::node* node = table.get("name")) {
      if (const auto* value = node->as_string()) {
        test_case.name = value->get();
        test_case.span = span_of(node->source());
      } else {
        wrong_type(*node, "case.name", "a string");
      }
    } else {
      error("test.missing-key", "a case needs a `name`", test_case.span);
    }
    if (const toml::node* node = table.get("index")) {
      if (const auto* value = node->as_string()) test_case.index = value->get();
      else wrong_type(*node, "case.index", "a string");
    }
    read_events(table, test_case);
    read_expectations(table, test_case);
    return test_case;
  }

  void add_string_source(const toml::node& node, RuleTestCase& test_case) {
    const std::string& value = node.as_string()->get();
    TestEventSource source;
    source.span = span_of(node.source());
    std::size_t first = value.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && value[first] == '{') {
      source.kind = TestEventSource::Kind::Json;
      source.text = value;
      rules_internal::ScannedString scanned = rules_internal::scan_toml_string(file_.source.text(), source.span.begin);
      if (scanned.ok && scanned.value == value) {
        source.origin = rules_internal::origin_of(scanned);
        source.mapped = true;
      }
    } else {
      source.kind = TestEventSource::Kind::File;
      source.text = resolve(value);
    }
    test_case.events.push_back(std::move(source));
  }

  void read_events(const toml::table& table, RuleTestCase& test_case) {
    if (const toml::node* node = table.get("events")) {
      if (node->is_string()) {
        add_string_source(*node, test_case);
      } else if (const auto* array = node->as_array()) {
        for (const toml::node& element : *array) {
          if (element.is_string()) add_string_source(element, test_case);
          else wrong_type(element, "case.events[]", "a string (a file, or an event's JSON)");
        }
      } else {
        wrong_type(*node, "case.events", "a string or an array of strings (files, or events' JSON)");
      }
    }
    if (const toml::node* node = table.get("event")) {
      const auto* array = node->as_array();
      if (array == nullptr) {
        wrong_type(*node, "case.event", "an array of tables ([[case.event]])");
      } else {
        for (const toml::node& element : *array) {
          const auto* event = element.as_table();
          if (event == nullptr) {
            wrong_type(element, "case.event[]", "a table");
            continue;
          }
          // Keys written after a [[case.event]] header belong to that event, not to the case.
          for (std::string_view key : {"alerts", "alert_events"}) {
            if (const toml::node* misplaced = event->get(key)) {
              error("test.misplaced-key", "`" + std::string(key) + "` here is a field of the [[case.event]] above",
                    span_of(misplaced->source()),
                    "write the case's keys before its first [[case.event]] (TOML puts the keys after a "
                    "table header into that table)");
            }
          }
          std::ostringstream json;
          json << toml::json_formatter(*event, toml::format_flags::quote_dates_and_times);
          TestEventSource source;
          source.kind = TestEventSource::Kind::Json;
          source.text = json.str();
          source.span = span_of(event->source());
          test_case.events.push_back(std::move(source));
        }
      }
    }
    if (!table.contains("events") && !table.contains("event")) {
      error("test.missing-key", "a case needs events: `events = \"file.jsonl\"`, `events = ['''{...}''']` or [[case.event]]",
            test_case.span);
    }
  }

  void read_expectations(const toml::table& table, RuleTestCase& test_case) {
    bool have_alerts = false;
    if (const toml::node* node = table.get("alerts")) {
      if (const auto* value = node->as_integer()) {
        if (value->get() < 0) error("test.wrong-type", "`case.alerts` must be 0 or more", span_of(node->source()));
        test_case.alerts = value->get();
        have_alerts = true;
      } else {
        wrong_type(*node, "case.alerts", "an integer");
      }
    }
    if (const toml::node* node = table.get("alert_events")) {
      std::vector<std::vector<std::string>> expected;
      const auto* array = node->as_array();
      bool ok = array != nullptr;
      if (array != nullptr) {
        for (const toml::node& alert : *array) {
          const auto* ids = alert.as_array();
          if (ids == nullptr) {
            wrong_type(alert, "case.alert_events[]", "an array of event.id strings");
            ok = false;
            continue;
          }
          std::vector<std::string> strings;
          for (const toml::node& id : *ids) {
            if (const auto* text = id.as_string()) strings.push_back(text->get());
            else if (const auto* number = id.as_integer()) strings.push_back(std::to_string(number->get()));
            else {
              wrong_type(id, "case.alert_events[][]", "an event.id string");
              ok = false;
            }
          }
          expected.push_back(std::move(strings));
        }
      } else {
        wrong_type(*node, "case.alert_events", "an array of arrays of event.id strings");
      }
      if (ok) {
        if (have_alerts && static_cast<std::size_t>(test_case.alerts) != expected.size()) {
          error("test.alert-count", "`alert_events` lists " + std::to_string(expected.size()) +
                                        (expected.size() == 1 ? " alert" : " alerts") + " but `alerts` is " +
                                        std::to_string(test_case.alerts),
                span_of(node->source()));
        }
        if (!have_alerts) {
          test_case.alerts = static_cast<std::int64_t>(expected.size());
          have_alerts = true;
        }
        test_case.alert_events = std::move(expected);
      }
    }
    if (!have_alerts && !table.contains("alerts") && !table.contains("alert_events")) {
      error("test.missing-key", "a case needs `alerts = N`, the number of alerts the rule must raise", test_case.span);
    }
  }

  RuleTestFile& file_;
  fs::path folder_;
};

}  // namespace

RuleTestFile load_rule_test_text(std::string name, std::string text) {
  RuleTestFile file(SourceText(std::move(name), std::move(text)));
  toml::table root;
  try {
    root = toml::parse(std::string_view(file.source.text()), std::string_view(file.source.name()));
  } catch (const toml::parse_error& failure) {
    std::uint32_t at = offset_of_line_column(file.source.text(), failure.source().begin.line,
                                             failure.source().begin.column);
    file.diagnostics.push_back(Diagnostic{Severity::Error, "test.toml-syntax",
                                          "invalid TOML: " + std::string(failure.description()), Span{at, at}, {}});
    return file;
  }
  TestFileReader reader(file);
  reader.read_top(root);
  rules_internal::sort_by_position(file.diagnostics);
  return file;
}

std::vector<std::string> find_rule_test_files(const std::vector<std::string>& paths,
                                              std::vector<std::string>& io_errors) {
  std::vector<std::string> found;
  for (const std::string& argument : paths) {
    std::error_code error;
    fs::file_status status = fs::status(argument, error);
    if (error || !fs::exists(status)) {
      io_errors.push_back("cannot read '" + argument + "': no such file or directory");
      continue;
    }
    if (!fs::is_directory(status)) {
      found.push_back(argument);
      continue;
    }
    std::vector<std::string> under;
    fs::recursive_directory_iterator walk(argument, error);
    for (auto end = fs::recursive_directory_iterator(); !error && walk != end; walk.increment(error)) {
      std::string name = walk->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (walk->is_directory(error)) walk.disable_recursion_pending();
        continue;
      }
      if (walk->is_regular_file(error) && is_rule_test_path(name)) under.push_back(walk->path().string());
    }
    if (error) io_errors.push_back("cannot read '" + argument + "': " + error.message());
    std::sort(under.begin(), under.end());
    found.insert(found.end(), under.begin(), under.end());
  }
  // A file reached through two of the paths (`rules rules/windows`) runs once.
  std::set<std::string> seen;
  std::vector<std::string> once;
  for (std::string& path : found) {
    if (seen.insert(fs::path(path).lexically_normal().string()).second) once.push_back(std::move(path));
  }
  return once;
}

}  // namespace eql
