// `eql run`: every EQL rule of the given rule paths over event files in one pass, one
// alert per match (docs/run.md).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "cli/run_parallel.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/rules.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "eql/schema_types.h"

namespace eql::cli {

namespace {

constexpr const char* kRunUsage =
    "usage: eql run --rules PATH [--rules PATH...] [options] [FILE...]\n"
    "\n"
    "Loads every rule under the PATHs (detection-rules TOML, Kibana exports, .eql files) and\n"
    "runs all EQL rules over the events in one pass, printing one alert per match. FILE is\n"
    "NDJSON, a JSON array or a search response, optionally gzipped; `-` or no FILE reads\n"
    "standard input. The load report and a summary go to stderr.\n"
    "\n"
    "options:\n"
    "  --rules PATH             a rule file or folder (repeatable; at least one)\n"
    "  --format FORMAT          ndjson (default: one alert per line) or table\n"
    "  --index NAME             the index of the FILEs that follow, for events that name none\n"
    "                           (no `_index`, no data_stream.*)\n"
    "  --ignore-index           every rule sees every event, whatever its index patterns\n"
    "  --severity LEVEL         only rules of this severity or higher (low, medium, high,\n"
    "                           critical)\n"
    "  --rule-id ID             only this rule (repeatable)\n"
    "  --tag TAG                only rules with this tag (repeatable: any of them)\n"
    "  --fail-on-alert          exit 1 when there is any alert (for CI)\n"
    "  --order ORDER            sequences: exact gives Elasticsearch's results whatever the\n"
    "                           input order (files in time order run through the reorder\n"
    "                           window, files out of order are read twice); stream reorders\n"
    "                           within --max-lateness and drops later events; held is exact,\n"
    "                           holding the events sequences use to the end (as exact does on\n"
    "                           standard input);\n"
    "                           auto (default): stream for standard input, exact otherwise\n"
    "  --max-lateness DURATION  the reorder window (default 10s)\n"
    "  --max-delay DURATION     a live stream (standard input on a pipe): the longest an event\n"
    "                           waits in the reorder window in wall-clock time (default 2s)\n"
    "  --max-pending N          most partial sequences per rule (default 1000000)\n"
    "  --max-samples-per-key N  samples per join key (default 1)\n"
    "  --max-line-bytes N       longest NDJSON line accepted (default 64 MiB); longer lines\n"
    "                           are reported at FILE:LINE, counted and skipped\n"
    "  --max-nesting N          deepest nesting of objects and arrays in an event (default\n"
    "                           1000); deeper events are reported, counted and skipped\n"
    "  --threads N              N workers, the events partitioned by --partition-by\n"
    "                           (default 1: no worker threads)\n"
    "  --partition-by FIELD     the field that partitions the events (default host.id)\n"
    "  --kafka BROKERS ...      read a Kafka topic as a consumer-group member instead of\n"
    "                           FILEs (docs/kafka.md; `eql run --kafka B --help` lists its options)\n"
    "  --quiet                  no load report or summary (rule errors are still shown)\n"
    "  --color=WHEN             colour: auto (default), always, never\n"
    "\n"
    "exit codes: 0 ran (alerts or not), 1 alerts were found and --fail-on-alert was given,\n"
    "            2 usage error, no EQL rule to run, or an unreadable rule path or input\n";

enum class Format { Ndjson, Table };

struct Input {
  std::string path;
  std::string index;  // from the last --index before it
};

struct RunCommandOptions {
  std::vector<std::string> rule_paths;
  std::vector<Input> inputs;
  Format format = Format::Ndjson;
  std::string color = "auto";
  bool quiet = false;
  bool fail_on_alert = false;
  bool ignore_index = false;
  std::optional<int> min_severity;
  std::vector<std::string> rule_ids;
  std::vector<std::string> tags;
  std::optional<RunnerOptions::Order> order;
  bool hold_sequences = false;  // --order held: exact without the optimistic window
  std::int64_t max_lateness_ms = 10'000;
  std::int64_t max_delay_ms = 2'000;
  std::size_t max_pending = 1'000'000;
  std::size_t max_samples_per_key = 1;
  EventReadOptions read;
  std::size_t threads = 1;
  std::string partition_by = "host.id";
};

// low < medium < high < critical; anything else ranks below low.
int severity_rank(std::string_view severity) {
  std::string lower;
  for (char c : severity) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "low") return 1;
  if (lower == "medium") return 2;
  if (lower == "high") return 3;
  if (lower == "critical") return 4;
  return 0;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string> parse_arguments(Args args, RunCommandOptions& options, bool& help) {
  ArgReader reader(args);
  std::string error;
  std::string current_index;
  auto number = [](const std::string& text) -> std::optional<std::size_t> {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    return static_cast<std::size_t>(std::stoull(text));
  };
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      help = true;
      return std::nullopt;
    }
    if (reader.flag("--quiet")) {
      options.quiet = true;
    } else if (reader.flag("--fail-on-alert")) {
      options.fail_on_alert = true;
    } else if (reader.flag("--ignore-index")) {
      options.ignore_index = true;
    } else if (auto path = reader.option_value("--rules", error)) {
      options.rule_paths.push_back(*path);
    } else if (auto format = reader.option_value("--format", error)) {
      if (*format == "ndjson") options.format = Format::Ndjson;
      else if (*format == "table") options.format = Format::Table;
      else return "unknown format '" + *format + "' (ndjson or table)";
    } else if (auto index = reader.option_value("--index", error)) {
      current_index = *index;
    } else if (auto severity = reader.option_value("--severity", error)) {
      int rank = severity_rank(*severity);
      if (rank == 0) return "unknown severity '" + *severity + "' (low, medium, high or critical)";
      options.min_severity = rank;
    } else if (auto id = reader.option_value("--rule-id", error)) {
      options.rule_ids.push_back(*id);
    } else if (auto tag = reader.option_value("--tag", error)) {
      options.tags.push_back(*tag);
    } else if (auto when = reader.option_value("--color", error)) {
      if (*when != "auto" && *when != "always" && *when != "never") {
        return "unknown --color '" + *when + "' (auto, always or never)";
      }
      options.color = *when;
    } else if (auto order = reader.option_value("--order", error)) {
      options.hold_sequences = *order == "held";
      if (*order == "exact" || *order == "held") options.order = RunnerOptions::Order::Exact;
      else if (*order == "stream") options.order = RunnerOptions::Order::Stream;
      else if (*order == "auto") options.order.reset();
      else return "unknown order '" + *order + "' (exact, stream, held or auto)";
    } else if (auto lateness = reader.option_value("--max-lateness", error)) {
      ParseResult duration = parse_query("sequence with maxspan=" + *lateness + " [a where true] [a where true]");
      if (!duration.ok()) return "--max-lateness needs a duration such as 30s or 5m";
      options.max_lateness_ms = duration.query->sequence()->maxspan->millis;
    } else if (auto delay = reader.option_value("--max-delay", error)) {
      ParseResult duration = parse_query("sequence with maxspan=" + *delay + " [a where true] [a where true]");
      if (!duration.ok()) return "--max-delay needs a duration such as 2s or 500ms";
      options.max_delay_ms = duration.query->sequence()->maxspan->millis;
    } else if (auto pending = reader.option_value("--max-pending", error)) {
      auto n = number(*pending);
      if (!n) return std::string("--max-pending needs a number");
      options.max_pending = *n;
    } else if (auto samples = reader.option_value("--max-samples-per-key", error)) {
      auto n = number(*samples);
      if (!n) return std::string("--max-samples-per-key needs a number");
      options.max_samples_per_key = std::max<std::size_t>(*n, 1);
    } else if (auto bytes = reader.option_value("--max-line-bytes", error)) {
      auto n = number(*bytes);
      if (!n || *n == 0) return std::string("--max-line-bytes needs a number above 0");
      options.read.max_line_bytes = *n;
    } else if (auto nesting = reader.option_value("--max-nesting", error)) {
      auto n = number(*nesting);
      if (!n || *n == 0) return std::string("--max-nesting needs a number above 0");
      options.read.max_nesting = *n;
    } else if (auto threads = reader.option_value("--threads", error)) {
      auto n = number(*threads);
      if (!n || *n < 1 || *n > 256) return std::string("--threads needs a number from 1 to 256");
      options.threads = *n;
    } else if (auto field = reader.option_value("--partition-by", error)) {
      if (field->empty()) return std::string("--partition-by needs a field name");
      options.partition_by = *field;
    } else if (!error.empty()) {
      return error;
    } else if (reader.peek().size() > 1 && reader.peek().front() == '-') {
      return "unknown option " + std::string(reader.peek());
    } else {
      options.inputs.push_back({std::string(reader.next()), current_index});
    }
  }
  if (options.rule_paths.empty()) return std::string("no --rules PATH given");
  if (options.inputs.empty()) options.inputs.push_back({"-", current_index});
  return std::nullopt;
}

bool selected(const Rule& rule, const RunCommandOptions& options) {
  if (options.min_severity && severity_rank(rule.severity) < *options.min_severity) return false;
  if (!options.rule_ids.empty() &&
      std::find(options.rule_ids.begin(), options.rule_ids.end(), rule.rule_id) == options.rule_ids.end()) {
    return false;
  }
  if (!options.tags.empty()) {
    bool tagged = std::any_of(options.tags.begin(), options.tags.end(), [&](const std::string& wanted) {
      return std::any_of(rule.tags.begin(), rule.tags.end(),
                         [&](const std::string& tag) { return equal_ignoring_case(tag, wanted); });
    });
    if (!tagged) return false;
  }
  return true;
}

// "12s", "2.5s", "0.001s"; long spans in minutes, hours or days ("3.5h", "1854.7d").
std::string seconds_text(std::int64_t nanos) {
  const double seconds = static_cast<double>(nanos) / 1e9;
  char text[48];
  if (seconds >= 2 * 86400.0) {
    std::snprintf(text, sizeof text, "%.1fd", seconds / 86400.0);
    return text;
  }
  if (seconds >= 2 * 3600.0) {
    std::snprintf(text, sizeof text, "%.1fh", seconds / 3600.0);
    return text;
  }
  if (seconds >= 120.0) {
    std::snprintf(text, sizeof text, "%.1fm", seconds / 60.0);
    return text;
  }
  std::snprintf(text, sizeof text, "%.3f", seconds);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + "s";
}

// The summary's line when the sequence rules had to read the input a second time.
std::string describe_out_of_order(const OutOfOrder& why, const RunCommandOptions& options,
                                  const std::vector<std::uint64_t>& events_per_input) {
  std::size_t input = 0;
  std::uint64_t position = why.event;
  while (input + 1 < events_per_input.size() && position >= events_per_input[input]) {
    position -= events_per_input[input++];
  }
  std::string where = options.inputs[input].path + ", event " + std::to_string(position + 1) + " of the file";
  if (why.why == OutOfOrder::Why::MixedTiebreakers) {
    return "tiebreaker values of mixed types at " + where + ": sequence rules re-read the input";
  }
  const std::int64_t window = options.max_lateness_ms * 1'000'000;
  return "input out of time order at " + where + ": " + seconds_text(why.behind_ns) +
         " before the newest event, " + seconds_text(std::max<std::int64_t>(why.behind_ns - window, 0)) +
         " beyond the " + seconds_text(window) + " window: sequence rules re-read the input";
}

void append_string(std::string& out, std::string_view text) { append_json(out, Value::of_string(text)); }

void append_string_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    append_string(out, items[i]);
  }
  out += ']';
}

// MITRE ids in rule order, each once: tactics, and techniques with their subtechniques.
void mitre_ids(const Rule& rule, std::vector<std::string>& tactics, std::vector<std::string>& techniques) {
  auto add = [](std::vector<std::string>& list, const std::string& id) {
    if (!id.empty() && std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
  };
  for (const MitreThreat& threat : rule.threat) {
    add(tactics, threat.tactic_id);
    for (const MitreTechnique& technique : threat.techniques) {
      add(techniques, technique.id);
      for (const MitreSubtechnique& sub : technique.subtechniques) add(techniques, sub.id);
    }
  }
}

std::string alert_json(const Alert& alert, const Rule& rule) {
  std::string out = "{\"alert_id\":";
  append_string(out, alert.id);
  out += ",\"rule_id\":";
  append_string(out, rule.rule_id);
  out += ",\"rule_name\":";
  append_string(out, rule.name);
  out += ",\"severity\":";
  append_string(out, rule.severity);
  out += ",\"risk_score\":";
  out += rule.risk_score ? std::to_string(*rule.risk_score) : "null";
  std::vector<std::string> tactics, techniques;
  mitre_ids(rule, tactics, techniques);
  out += ",\"tactics\":";
  append_string_array(out, tactics);
  out += ",\"techniques\":";
  append_string_array(out, techniques);
  out += ",\"rule_file\":";
  append_string(out, rule.file);
  // The alert's time: the (last) matched event's, as the rule orders it.
  const Event* last = nullptr;
  for (const EventRef& event : alert.events) {
    if (event) last = event.get();
  }
  out += ",\"timestamp\":";
  if (last && last->timestamp) append_string(out, format_date(*last->timestamp, false));
  else out += "null";
  if (!alert.join) {
    out += ",\"event\":";
    out += alert.events.front()->json();
  } else {
    out += ",\"join_keys\":[";
    for (std::size_t i = 0; i < alert.join_keys.size(); ++i) {
      if (i) out += ',';
      append_string(out, alert.join_keys[i].display());
    }
    out += "],\"events\":[";
    for (std::size_t i = 0; i < alert.events.size(); ++i) {
      if (i) out += ',';
      out += alert.events[i] ? alert.events[i]->json() : "null";
    }
    out += ']';
  }
  out += "}\n";
  return out;
}

std::string short_text(std::string text, std::size_t limit) {
  for (char& c : text) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  if (count_characters(text) <= limit) return text;
  std::size_t cut = 0;
  for (std::uint32_t chars = 0; cut < text.size() && chars < limit - 1; ++cut) {
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) ++chars;
  }
  while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
  return text.substr(0, cut) + "…";
}

std::string event_summary(const Event& event) {
  std::string out;
  for (const char* field : {"event.category", "host.name", "user.name", "process.name", "process.command_line",
                            "file.path", "destination.ip", "registry.path", "dns.question.name"}) {
    Value value = event.first(field);
    if (value.is_null()) continue;
    if (!out.empty()) out += "  ";
    out += std::string(field) + "=" + short_text(to_display_string(value), 60);
  }
  return out.empty() ? short_text(event.json(), 120) : out;
}

std::string alert_table_entry(const Alert& alert, const Rule& rule, bool color) {
  const char* paint = "";
  switch (severity_rank(rule.severity)) {
    case 4: paint = "\x1b[1;31m"; break;
    case 3: paint = "\x1b[31m"; break;
    case 2: paint = "\x1b[33m"; break;
    default: paint = "\x1b[36m"; break;
  }
  std::string severity = rule.severity.empty() ? "-" : rule.severity;
  severity.resize(std::max<std::size_t>(severity.size(), 8), ' ');
  const Event* last = nullptr;
  for (const EventRef& event : alert.events) {
    if (event) last = event.get();
  }
  std::string stamp = last && last->timestamp ? format_date(*last->timestamp, false) : "-";
  std::string out = color ? std::string(paint) + severity + "\x1b[0m" : severity;
  out += "  " + stamp + "  " + rule.name + "  (" + rule.rule_id + ")\n";
  if (alert.join) {
    std::string keys;
    for (const JoinValue& key : alert.join_keys) keys += (keys.empty() ? "" : ", ") + key.display();
    if (!keys.empty()) out += "          join keys: " + keys + "\n";
  }
  for (std::size_t i = 0; i < alert.events.size(); ++i) {
    const EventRef& event = alert.events[i];
    out += "          ";
    if (alert.join) out += "[" + std::to_string(i + 1) + "] ";
    out += event ? event_summary(*event) : std::string("(missing event: none occurred)");
    out += "\n";
  }
  return out;
}

}  // namespace

int run_rules_command(Args args, std::FILE* out, std::FILE* err, bool out_is_terminal, RunService* service) {
  RunCommandOptions options;
  bool help = false;
  if (auto error = parse_arguments(args, options, help)) {
    std::fprintf(err, "eql run: %s\n\n%s", error->c_str(), kRunUsage);
    return kExitUsage;
  }
  if (help) {
    std::fputs(kRunUsage, out);
    return kExitOk;
  }
  const bool err_color = options.color == "always" || (options.color == "auto" && err == stderr && stderr_is_terminal());
  const bool out_color = options.color == "always" || (options.color == "auto" && out_is_terminal);
  auto started = std::chrono::steady_clock::now();

  // Load, then compile every selected EQL rule; every rule that cannot run is said why.
  LoadedRules loaded = load_rule_paths(options.rule_paths);
  for (const std::string& problem : loaded.io_errors) std::fprintf(err, "eql run: %s\n", problem.c_str());
  if (!loaded.io_errors.empty()) return kExitUsage;

  bool ordered_by_stream = options.order ? *options.order == RunnerOptions::Order::Stream
                                         : std::all_of(options.inputs.begin(), options.inputs.end(),
                                                       [](const Input& input) { return input.path == "-"; });
  RunnerOptions runner_options;
  runner_options.order = ordered_by_stream ? RunnerOptions::Order::Stream : RunnerOptions::Order::Exact;
  // Exact order over files that can be read again runs the sequences through the reorder
  // windows, so memory stays flat on input in time order; when the input turns out not to
  // be, the sequence rules read it a second time, held (docs/run.md).
  const bool rereadable = std::all_of(options.inputs.begin(), options.inputs.end(), [](const Input& input) {
    std::error_code error;
    return input.path != "-" && std::filesystem::is_regular_file(input.path, error);
  });
  runner_options.optimistic = !ordered_by_stream && !options.hold_sequences && rereadable;
  runner_options.max_lateness_ms = options.max_lateness_ms;
  runner_options.max_delay_ms = options.max_delay_ms;
  runner_options.max_pending = options.max_pending;
  runner_options.max_samples_per_key = options.max_samples_per_key;
  runner_options.ignore_index = options.ignore_index;
  // Field types from the embedded schemas, as `eql query` uses them: dates, ips and
  // versions compare as Elasticsearch compares them.
  SchemaFieldTypes schema_types(embedded_schema_all());
  runner_options.field_types = &schema_types;

  // Exception list items of every loaded file, by list id: a rule of a Kibana export refers
  // to its lists by list_id, and the export holds their items.
  std::map<std::string, std::vector<const ExceptionListItem*>> exception_items;
  for (const RuleFile& file : loaded.files) {
    for (const ExceptionListItem& item : file.exception_items) exception_items[item.list_id].push_back(&item);
  }
  std::size_t exceptions_applied = 0, exceptions_unsupported = 0, lists_missing = 0;
  auto exceptions_of = [&](const Rule& rule) {
    std::vector<ExceptionListItem> items;
    for (const ExceptionListReference& reference : rule.exceptions_list) {
      auto found = exception_items.find(reference.list_id);
      if (found == exception_items.end()) {
        ++lists_missing;
        continue;
      }
      for (const ExceptionListItem* item : found->second) {
        if (exception_item_supported(*item)) {
          items.push_back(*item);
          ++exceptions_applied;
        } else {
          ++exceptions_unsupported;
        }
      }
    }
    return items;
  };

  // The rules to compile, in load order, with their exception items.
  struct Candidate {
    const Rule* rule = nullptr;
    std::vector<ExceptionListItem> exceptions;
  };
  std::vector<Candidate> candidates;
  for (const RuleFile& file : loaded.files) {
    for (const Rule& rule : file.rules) {
      if (selected(rule, options) && rule.has_query && !has_errors(rule.field_diagnostics)) {
        candidates.push_back({&rule, exceptions_of(rule)});
      }
    }
  }
  // With --threads, every worker compiles the rules into its own runner, at the same time
  // as this thread compiles the first (whose diagnostics are shown).
  std::vector<std::future<std::unique_ptr<RuleRunner>>> worker_runners;
  for (std::size_t w = 1; w < options.threads; ++w) {
    worker_runners.push_back(std::async(std::launch::async, [&candidates, runner_options] {
      auto runner = std::make_unique<RuleRunner>(runner_options);
      for (const Candidate& candidate : candidates) runner->add_rule(*candidate.rule, candidate.exceptions);
      return runner;
    }));
  }
  auto first_runner = std::make_unique<RuleRunner>(runner_options);
  RuleRunner& runner = *first_runner;

  RenderOptions render_options{err_color};
  const QueryOrigin whole_file;
  std::size_t with_errors = 0, filtered_out = 0, unreadable_files = 0;
  std::map<std::string, std::size_t> skipped_languages, skipped_objects;
  std::size_t next_candidate = 0;
  for (const RuleFile& file : loaded.files) {
    for (const Diagnostic& d : file.diagnostics) {
      if (d.severity == Severity::Error) std::fputs(render(d, file.source, whole_file, render_options).c_str(), err);
    }
    if (file.unreadable) ++unreadable_files;
    for (const SkippedEntry& entry : file.skipped) {
      if (entry.kind == SkippedEntry::Kind::RuleInOtherLanguage) ++skipped_languages[entry.what];
      else ++skipped_objects[entry.what];
    }
    for (const Rule& rule : file.rules) {
      if (!selected(rule, options)) {
        ++filtered_out;
        continue;
      }
      if (!rule.has_query || has_errors(rule.field_diagnostics)) {
        ++with_errors;
        for (const Diagnostic& d : rule.field_diagnostics) {
          std::fputs(render(d, file.source, whole_file, render_options).c_str(), err);
        }
        continue;
      }
      Diagnostics problems = runner.add_rule(rule, candidates[next_candidate++].exceptions);
      if (has_errors(problems)) {
        ++with_errors;
        for (const Diagnostic& d : problems) {
          if (d.severity == Severity::Error) {
            std::fputs(render(d, file.source, rule.query_origin, render_options).c_str(), err);
          }
        }
      }
    }
  }
  std::vector<std::unique_ptr<RuleRunner>> runners;
  runners.push_back(std::move(first_runner));
  for (auto& pending : worker_runners) runners.push_back(pending.get());

  if (!options.quiet) {
    std::fprintf(err, "eql run: %zu EQL rules loaded from %zu files", runner.rule_count(), loaded.files.size());
    if (filtered_out) std::fprintf(err, ", %zu not selected (--severity/--rule-id/--tag)", filtered_out);
    if (with_errors) std::fprintf(err, ", %zu with errors (shown above) not run", with_errors);
    std::fputs("\n", err);
    if (!skipped_languages.empty()) {
      std::string list;
      std::size_t total = 0;
      for (const auto& [language, count] : skipped_languages) {
        list += (list.empty() ? "" : ", ") + std::to_string(count) + " " + language;
        total += count;
      }
      std::fprintf(err, "eql run: %zu rules in other languages skipped: %s\n", total, list.c_str());
    }
    if (!skipped_objects.empty()) {
      std::string list;
      for (const auto& [what, count] : skipped_objects) list += (list.empty() ? "" : ", ") + std::to_string(count) + " " + what;
      std::fprintf(err, "eql run: not rules, skipped: %s\n", list.c_str());
    }
    if (exceptions_applied || exceptions_unsupported || lists_missing) {
      std::fprintf(err, "eql run: exception items: %zu applied", exceptions_applied);
      if (exceptions_unsupported) {
        std::fprintf(err, ", %zu not applied (entries of type list or nested are not supported)",
                     exceptions_unsupported);
      }
      if (lists_missing) std::fprintf(err, ", %zu referenced lists not in the loaded files", lists_missing);
      std::fputs("\n", err);
    }
    if (unreadable_files) std::fprintf(err, "eql run: %zu rule files unreadable (shown above)\n", unreadable_files);
  }
  if (runner.rule_count() == 0) {
    std::fputs("eql run: no EQL rule to run\n", err);
    return kExitUsage;
  }

  // One pass over the inputs: into the one runner, or partitioned over the workers.
  auto format_alert = [&options, out_color](const Alert& alert, const Rule& rule) {
    return options.format == Format::Ndjson ? alert_json(alert, rule) : alert_table_entry(alert, rule, out_color);
  };
  auto write_text = [out](const std::string& text) { std::fwrite(text.data(), 1, text.size(), out); };
  if (service) return service->serve(runner, format_alert, out, err);  // e.g. --kafka (src/kafka/)
  std::unique_ptr<ParallelRun> parallel;
  std::uint64_t alerts = 0;
  std::vector<std::uint64_t> alerts_per_rule(runner.rule_count(), 0);
  if (runners.size() > 1) {
    RuleSpreadPlan plan = plan_rule_spread(runner, options.partition_by, schema_types);
    if (!options.quiet) {
      std::size_t partitioned = std::count(plan.spread.begin(), plan.spread.end(), RuleSpread::Partitioned);
      std::size_t designated = std::count(plan.spread.begin(), plan.spread.end(), RuleSpread::Designated);
      std::fprintf(err,
                   "eql run: %zu threads partitioned by %s: %zu sequence and sample rules join on it, "
                   "%zu others are shared out, each to one worker that sees every event\n",
                   runners.size(), options.partition_by.c_str(), partitioned, designated);
    }
    parallel = std::make_unique<ParallelRun>(std::move(runners), std::move(plan), options.partition_by,
                                             schema_types, format_alert, write_text);
  } else {
    runner.set_alert_sink([&](Alert&& alert) {
      ++alerts;
      ++alerts_per_rule[alert.rule];
      write_text(format_alert(alert, runner.rule(alert.rule)));
    });
  }
  auto alerts_so_far = [&] { return parallel ? parallel->alerts_written() : alerts; };
  bool io_error = false;
  std::uint64_t skipped_lines = 0;
  // On a terminal, a progress line on stderr about once a second.
  const bool progress = !options.quiet && err == stderr && stderr_is_terminal();
  std::uint64_t bytes = 0, pushed = 0;
  auto last_progress = std::chrono::steady_clock::now();
  bool progress_shown = false;
  std::vector<std::uint64_t> events_per_input(options.inputs.size(), 0);
  // A live stream: alerts are written as they are decided, and the reorder windows let go
  // of what has waited --max-delay (docs/run.md, "Live streams").
  LiveReadOptions live;
  if (!parallel) live.waiting = [&] {
    runner.release_overdue();
    std::fflush(out);
  };
  for (std::size_t i = 0; i < options.inputs.size(); ++i) {
    const Input& input = options.inputs[i];
    ReadSummary summary = read_events(
        input.path, options.read,
        [&](Event&& event) {
          ++events_per_input[i];
          bytes += event.json().size() + 1;
          if (parallel) parallel->push(std::move(event), input.index);
          else runner.push(std::move(event), input.index);
          if (progress && (++pushed & 4095) == 0) {
            auto now = std::chrono::steady_clock::now();
            if (now - last_progress >= std::chrono::seconds(1)) {
              last_progress = now;
              double elapsed = std::chrono::duration<double>(now - started).count();
              std::fprintf(err, "\r\x1b[Keql run: %.1f MB, %llu events, %.0f events/s, %llu alerts",
                           static_cast<double>(bytes) / 1048576.0, static_cast<unsigned long long>(pushed),
                           static_cast<double>(pushed) / elapsed, static_cast<unsigned long long>(alerts_so_far()));
              progress_shown = true;
            }
          }
          return true;
        },
        [&](const InputProblem& problem) { std::fprintf(err, "%s\n", problem.to_string().c_str()); }, live);
    skipped_lines += summary.skipped;
    io_error = io_error || summary.io_error;
  }
  // Counters over every runner: events, rule evaluations, sequence events ignored.
  ParallelTotals totals;
  std::string reread_note;  // why the sequence rules read the input twice, if they did
  // Optimistic exact order found the input out of order: the same events again, for the
  // sequence rules only. A file that has grown since is read up to the events of the first
  // pass, and its problems were reported then.
  auto read_again = [&](const std::function<void(Event&&, const std::string&)>& push) {
    for (std::size_t i = 0; i < options.inputs.size(); ++i) {
      std::uint64_t left = events_per_input[i];
      if (left == 0) continue;
      ReadSummary again = read_events(
          options.inputs[i].path, options.read,
          [&](Event&& event) {
            push(std::move(event), options.inputs[i].index);
            return --left > 0;
          },
          [](const InputProblem&) {});
      if (again.io_error || left > 0) {
        std::fprintf(err, "eql run: %s: could not be read again in full for the sequence rules\n",
                     options.inputs[i].path.c_str());
        io_error = true;
      }
    }
  };
  if (parallel) {
    if (runner_options.optimistic) {
      if (std::optional<OutOfOrder> why = parallel->end_first_pass()) {
        reread_note = describe_out_of_order(*why, options, events_per_input);
        parallel->begin_second_pass();
        read_again([&](Event&& event, const std::string& index) { parallel->push(std::move(event), index); });
      }
    }
    parallel->finish();
    totals = parallel->totals();
    alerts = parallel->alerts_written();
    alerts_per_rule = totals.alerts_per_rule;
  } else {
    if (const std::optional<OutOfOrder>& why = runner.out_of_order()) {
      reread_note = describe_out_of_order(*why, options, events_per_input);
      runner.begin_second_pass();
      read_again([&](Event&& event, const std::string& index) { runner.push(std::move(event), index); });
    }
    runner.finish();
    totals.events = runner.stats().events;
    totals.add(runner);
  }
  std::fflush(out);
  if (progress_shown) std::fputs("\r\x1b[K", err);
  auto rule_at = [&](std::size_t index) -> const Rule& { return parallel ? parallel->rule(index) : runner.rule(index); };

  if (!options.quiet) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::vector<std::size_t> alerting;
    std::size_t never = 0;
    for (std::size_t i = 0; i < alerts_per_rule.size(); ++i) {
      if (alerts_per_rule[i]) alerting.push_back(i);
      else ++never;
    }
    std::stable_sort(alerting.begin(), alerting.end(),
                     [&](std::size_t a, std::size_t b) { return alerts_per_rule[a] > alerts_per_rule[b]; });
    std::fprintf(err, "eql run: %llu events, %llu alerts from %zu rules, %zu rules never matched",
                 static_cast<unsigned long long>(totals.events), static_cast<unsigned long long>(alerts),
                 alerting.size(), never);
    if (skipped_lines) std::fprintf(err, ", %llu lines skipped", static_cast<unsigned long long>(skipped_lines));
    std::fprintf(err, "; %.3f s, %.0f events/s, %.1f rule evaluations per event (of %zu rules)\n", seconds,
                 seconds > 0 ? static_cast<double>(totals.events) / seconds : 0.0,
                 totals.events ? static_cast<double>(totals.evaluations) / static_cast<double>(totals.events) : 0.0,
                 alerts_per_rule.size());
    if (totals.late_events || totals.untimed_events) {
      std::fprintf(err, "eql run: sequence rules: %llu (rule, event) pairs without a timestamp ignored, "
                        "%llu later than --max-lateness dropped\n",
                   static_cast<unsigned long long>(totals.untimed_events),
                   static_cast<unsigned long long>(totals.late_events));
    }
    if (!reread_note.empty()) std::fprintf(err, "eql run: %s\n", reread_note.c_str());
    // What the sequence limits dropped, so that no partial sequence is lost silently.
    if (totals.evicted || totals.key_overflow) {
      std::fprintf(err, "eql run: sequence rules: %llu partial sequences evicted by --max-pending %zu, "
                        "%llu events with more than 10000 join keys dropped\n",
                   static_cast<unsigned long long>(totals.evicted), options.max_pending,
                   static_cast<unsigned long long>(totals.key_overflow));
    }
    if (!alerting.empty()) {
      std::fputs("eql run: alerts per rule (top 10):\n", err);
      for (std::size_t i = 0; i < alerting.size() && i < 10; ++i) {
        const Rule& rule = rule_at(alerting[i]);
        std::fprintf(err, "  %6llu  %s  (%s)\n", static_cast<unsigned long long>(alerts_per_rule[alerting[i]]),
                     rule.name.c_str(), rule.rule_id.c_str());
      }
    }
  }
  if (io_error) return kExitUsage;
  return options.fail_on_alert && alerts > 0 ? kExitFindings : kExitOk;
}

int run_run(Args args) { return run_rules_command(args, stdout, stderr, stdout_is_terminal()); }

}  // namespace eql::cli
