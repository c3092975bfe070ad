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
#include "common/plural.h"
#include "cli/run.h"
#include "report/alerts.h"
#include "run/parallel_run.h"
#include "cli/run_selection.h"
#include "cli/user_schemas.h"
#include "cli/validate.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/rules.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "eql/schema_types.h"
#include "rules/rule_set.h"

namespace eql::cli {

// The writers shared with the shell (src/report/).
using report::AlertFormat;
using report::AlertWriter;
using report::alert_format_named;
using report::severity_rank;
using report::is_building_block;

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
    "  --schema FILE            add fields to the schemas rules are checked and typed against\n"
    "                           ({\"field\": \"es_type\"} or ECS flat; repeatable; docs/schemas.md)\n"
    "  --format FORMAT          ndjson (default: one alert per line), json (one array), csv\n"
    "                           or table\n"
    "  --index NAME             the index of the FILEs that follow, for events that name none\n"
    "                           (no `_index`, no data_stream.*)\n"
    "  --ignore-index           every rule sees every event, whatever its index patterns\n"
    "  --explain-index          print, per rule, what the runner indexed it under (index\n"
    "                           patterns, gates, required fields), and read no events\n"
    "  --explain-plan           print the rule set as one program (leaves, how many are\n"
    "                           distinct, which most rules share), and read no events\n"
    "  --severity LEVEL         only rules of this severity or higher (low, medium, high,\n"
    "                           critical)\n"
    "  --rule-id ID             only this rule (repeatable)\n"
    "  --tag TAG                only rules with this tag (repeatable: any of them)\n"
    "  --building-blocks WHICH  building-block rules (building_block_type): by default run,\n"
    "                           their alerts marked and left out of --format table; include\n"
    "                           shows them there too, exclude does not run them, only runs\n"
    "                           nothing else\n"
    "  --strict-rules           do not run a rule the type checker finds a problem in\n"
    "  --check MODE             the type checks at load: warn (default), error (as\n"
    "                           --strict-rules) or off (no checks: a faster load)\n"
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
    "  --max-processes N        most processes the lineage tree holds, over all hosts, for\n"
    "                           descendant of / child of (default 250000)\n"
    "  --max-samples-per-key N  samples per join key (default 1)\n"
    "  --max-line-bytes N       longest NDJSON line accepted (default 64 MiB); longer lines\n"
    "                           are reported at FILE:LINE, counted and skipped\n"
    "  --max-nesting N          deepest nesting of objects and arrays in an event (default\n"
    "                           1000); deeper events are reported, counted and skipped\n"
    "  --read-all-fields        file every field of every event, not only those the rules\n"
    "                           read (slower, same alerts: for comparing the two)\n"
    "  --threads N              N workers, the events partitioned by --partition-by\n"
    "                           (default 1: no worker threads)\n"
    "  --partition-by FIELD     the field that partitions the events (default host.id)\n"
    "  --kafka BROKERS ...      read a Kafka topic as a consumer-group member instead of\n"
    "                           FILEs (docs/kafka.md; `eql run --kafka B --help` lists its options)\n"
    "  -q, --quiet              no load report or summary (rule errors are still shown)\n"
    "  --color=WHEN             colour: auto (default), always, never\n"
    "\n"
    "exit codes: 0 ran (alerts or not), 1 alerts were found and --fail-on-alert was given,\n"
    "            2 usage error, a selection that matches no rule, no EQL rule to run, a rule\n"
    "            refused by --strict-rules, or an unreadable rule path or input\n";

struct Input {
  std::string path;
  std::string index;  // from the last --index before it
};

struct RunCommandOptions {
  std::vector<std::string> rule_paths;
  std::vector<std::string> schemas;  // --schema FILE: fields the embedded schemas lack
  std::vector<Input> inputs;
  AlertFormat format = AlertFormat::Ndjson;
  std::string color = "auto";
  bool quiet = false;
  bool fail_on_alert = false;
  bool ignore_index = false;
  bool explain_index = false;
  bool explain_plan = false;
  bool read_all_fields = false;  // --read-all-fields: no FieldSelection
  RuleSelection selection;
  bool strict_rules = false;
  bool check_rules = true;  // --check off: no type checks at load
  std::optional<RunnerOptions::Order> order;
  bool hold_sequences = false;  // --order held: exact without the optimistic window
  std::int64_t max_lateness_ms = 10'000;
  std::int64_t max_delay_ms = 2'000;
  std::size_t max_pending = 1'000'000;
  std::size_t max_processes = 250'000;
  std::size_t max_samples_per_key = 1;
  EventReadOptions read;
  std::size_t threads = 1;
  std::string partition_by = "host.id";
};

std::optional<std::string> parse_arguments(Args args, RunCommandOptions& options, bool& help) {
  ArgReader reader(args);
  std::string error;
  std::string current_index;
  bool index_given = false;  // an --index not followed by a FILE yet
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
    if (reader.flag("--quiet") || reader.flag("-q")) {
      options.quiet = true;
    } else if (reader.flag("--explain-index")) {
      options.explain_index = true;
    } else if (reader.flag("--explain-plan")) {
      options.explain_plan = true;
    } else if (reader.flag("--read-all-fields")) {
      options.read_all_fields = true;
    } else if (reader.flag("--fail-on-alert")) {
      options.fail_on_alert = true;
    } else if (reader.flag("--strict-rules")) {
      options.strict_rules = true;
    } else if (auto mode = reader.option_value("--check", error)) {
      if (!check_mode(*mode)) return "unknown --check mode '" + *mode + "' (warn, error or off)";
      options.check_rules = *mode != "off";
      options.strict_rules = *mode == "error";
    } else if (reader.flag("--ignore-index")) {
      options.ignore_index = true;
    } else if (auto schema = reader.option_value("--schema", error)) {
      options.schemas.push_back(*schema);
    } else if (auto path = reader.option_value("--rules", error)) {
      options.rule_paths.push_back(*path);
    } else if (auto format = reader.option_value("--format", error)) {
      if (!alert_format_named(*format, options.format)) {
        return "unknown format '" + *format + "' (ndjson, json, csv or table)";
      }
    } else if (auto index = reader.option_value("--index", error)) {
      current_index = *index;
      index_given = true;
    } else if (auto severity = reader.option_value("--severity", error)) {
      int rank = severity_rank(*severity);
      if (rank == 0) return "unknown severity '" + *severity + "' (low, medium, high or critical)";
      options.selection.min_severity = rank;
    } else if (auto id = reader.option_value("--rule-id", error)) {
      options.selection.rule_ids.push_back(*id);
    } else if (auto tag = reader.option_value("--tag", error)) {
      options.selection.tags.push_back(*tag);
    } else if (auto which = reader.option_value("--building-blocks", error)) {
      if (*which == "include") options.selection.building_blocks = BuildingBlocks::Include;
      else if (*which == "exclude") options.selection.building_blocks = BuildingBlocks::Exclude;
      else if (*which == "only") options.selection.building_blocks = BuildingBlocks::Only;
      else return "unknown --building-blocks '" + *which + "' (include, exclude or only)";
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
      std::optional<std::int64_t> millis = duration_millis(*lateness);
      if (!millis) return "--max-lateness needs a duration such as 0s, 30s or 5m";
      options.max_lateness_ms = *millis;
    } else if (auto delay = reader.option_value("--max-delay", error)) {
      std::optional<std::int64_t> millis = duration_millis(*delay);
      if (!millis) return "--max-delay needs a duration such as 2s or 500ms";
      options.max_delay_ms = *millis;
    } else if (auto pending = reader.option_value("--max-pending", error)) {
      auto n = number(*pending);
      if (!n) return std::string("--max-pending needs a number");
      options.max_pending = *n;
    } else if (auto processes = reader.option_value("--max-processes", error)) {
      auto n = number(*processes);
      if (!n || *n == 0) return std::string("--max-processes needs a number above 0");
      options.max_processes = *n;
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
      index_given = false;
    }
  }
  if (index_given && !options.inputs.empty()) {
    return "--index " + current_index + " is given after the last FILE: it applies to the FILEs after it";
  }
  if (options.rule_paths.empty()) return std::string("no --rules PATH given");
  if (options.inputs.empty()) options.inputs.push_back({"-", current_index});
  return std::nullopt;
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

// What the load report counts.
struct LoadCounts {
  std::size_t rules = 0, files = 0;
  std::size_t filtered_out = 0, with_errors = 0, refused = 0, unreadable_files = 0;
  std::map<std::string, std::size_t> skipped_languages, skipped_objects;
  std::size_t exceptions_applied = 0, exceptions_unsupported = 0, lists_missing = 0;
};

// The load report on stderr (docs/run.md, "What is loaded, and what is not").
void print_load_report(std::FILE* err, const LoadCounts& counts) {
  std::fprintf(err, "eql run: %s loaded from %s", count_of(counts.rules, "EQL rule", "EQL rules").c_str(),
               count_of(counts.files, "file", "files").c_str());
  if (counts.filtered_out) {
    std::fprintf(err, ", %zu not selected (--severity/--rule-id/--tag/--building-blocks)", counts.filtered_out);
  }
  if (counts.with_errors) std::fprintf(err, ", %zu with errors (shown above) not run", counts.with_errors);
  if (counts.refused) std::fprintf(err, ", %zu refused by --strict-rules (findings shown above)", counts.refused);
  std::fputs("\n", err);
  if (!counts.skipped_languages.empty()) {
    std::string list;
    std::size_t total = 0;
    for (const auto& [language, count] : counts.skipped_languages) {
      list += (list.empty() ? "" : ", ") + std::to_string(count) + " " + language;
      total += count;
    }
    std::fprintf(err, "eql run: %s in other languages skipped: %s\n", count_of(total, "rule", "rules").c_str(),
                 list.c_str());
  }
  if (!counts.skipped_objects.empty()) {
    std::string list;
    for (const auto& [what, count] : counts.skipped_objects) {
      list += (list.empty() ? "" : ", ") + std::to_string(count) + " " + what;
    }
    std::fprintf(err, "eql run: not rules, skipped: %s\n", list.c_str());
  }
  if (counts.exceptions_applied || counts.exceptions_unsupported || counts.lists_missing) {
    std::fprintf(err, "eql run: exception items: %zu applied", counts.exceptions_applied);
    if (counts.exceptions_unsupported) {
      std::fprintf(err, ", %zu not applied (entries of type list or nested are not supported)",
                   counts.exceptions_unsupported);
    }
    if (counts.lists_missing) {
      std::fprintf(err, ", %s not in the loaded files",
                   count_of(counts.lists_missing, "referenced list", "referenced lists").c_str());
    }
    std::fputs("\n", err);
  }
  if (counts.unreadable_files) {
    std::fprintf(err, "eql run: %s unreadable (shown above)\n",
                 count_of(counts.unreadable_files, "rule file", "rule files").c_str());
  }
}

// The rules each runner holds, and what the load report counts.
struct CompiledRules {
  std::vector<std::unique_ptr<RuleRunner>> runners;  // one per thread
  LoadCounts counts;
};

// Compiles every selected EQL rule into one runner per thread, with its exception items;
// every rule that cannot run is said why on `err`, and the type checker's findings are
// shown as warnings (docs/run.md, "Checks at load").
CompiledRules compile_rules(const LoadedRules& loaded, const RunCommandOptions& options,
                            const RunnerOptions& runner_options, const CheckContext& check, std::FILE* err,
                            bool err_color) {
  // Exception list items of every loaded file, by list id.
  ExceptionItems exception_items;
  for (const RuleFile& file : loaded.files) exception_items.add(file);
  ExceptionCounts exception_counts;

  // The rules to compile, in load order, with their exception items.
  struct Candidate {
    const Rule* rule = nullptr;
    std::vector<ExceptionListItem> exceptions;
  };
  std::vector<Candidate> candidates;
  // The queries the check parsed, by candidate: the first runner compiles them rather than
  // parsing every query a second time (a separate vector: the workers read the candidates
  // while this thread moves these out).
  std::vector<std::optional<ParseResult>> checked_parses;
  // The type checker's findings (as `eql validate` reports them), shown as warnings;
  // --strict-rules does not run a rule that has any.
  std::map<const Rule*, Diagnostics> findings;
  for (const RuleFile& file : loaded.files) {
    for (const Rule& rule : file.rules) {
      if (selected(rule, options.selection) && rule.has_query && !has_errors(rule.field_diagnostics)) {
        std::optional<ParseResult> parsed;
        Diagnostics found;
        if (options.check_rules) {
          ParseOptions parse_options;
          parse_options.dialect = rule.dialect;
          parsed = parse_query(rule.query, parse_options);
          found = type_check_findings(rule, *parsed, check);
        }
        const bool refused = options.strict_rules && !found.empty();
        if (!found.empty()) findings[&rule] = std::move(found);
        if (!refused) {
          candidates.push_back({&rule, exception_items.of(rule, &exception_counts)});
          checked_parses.push_back(std::move(parsed));
        }
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
  std::size_t with_errors = 0, filtered_out = 0, unreadable_files = 0, refused = 0;
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
      if (!selected(rule, options.selection)) {
        ++filtered_out;
        continue;
      }
      if (auto found = findings.find(&rule); found != findings.end()) {
        for (const Diagnostic& d : found->second) {
          std::fputs(render(d, file.source, rule.query_origin, render_options).c_str(), err);
        }
        if (options.strict_rules) {
          ++refused;
          continue;
        }
      }
      if (!rule.has_query || has_errors(rule.field_diagnostics)) {
        ++with_errors;
        for (const Diagnostic& d : rule.field_diagnostics) {
          std::fputs(render(d, file.source, whole_file, render_options).c_str(), err);
        }
        continue;
      }
      std::optional<ParseResult>& parsed = checked_parses[next_candidate];
      const Candidate& candidate = candidates[next_candidate++];
      Diagnostics problems = parsed ? runner.add_rule(rule, candidate.exceptions, std::move(*parsed))
                                    : runner.add_rule(rule, candidate.exceptions);
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
  CompiledRules compiled;
  compiled.runners.push_back(std::move(first_runner));
  for (auto& pending : worker_runners) compiled.runners.push_back(pending.get());
  compiled.counts = LoadCounts{runner.rule_count(), loaded.files.size(), filtered_out, with_errors, refused,
                               unreadable_files, skipped_languages, skipped_objects, exception_counts.applied,
                               exception_counts.unsupported, exception_counts.lists_missing};
  return compiled;

}

// What the summary says besides the runners' counters.
struct SummaryFacts {
  std::uint64_t alerts = 0;
  std::uint64_t skipped_lines = 0;
  double seconds = 0;
  std::string reread_note;  // why the sequence rules read the input twice, if they did
  std::size_t max_pending = 0;
  std::size_t max_processes = 0;
};

// The summary on stderr at the end of a run (docs/run.md, "Progress and summary").
void print_summary(std::FILE* err, const ParallelTotals& totals, const std::vector<std::uint64_t>& alerts_per_rule,
                   const std::function<const Rule&(std::size_t)>& rule_at, const SummaryFacts& facts) {
  std::vector<std::size_t> alerting;
  std::size_t never = 0, block_rules = 0;
  std::uint64_t block_alerts = 0;
  for (std::size_t i = 0; i < alerts_per_rule.size(); ++i) {
    if (alerts_per_rule[i] && is_building_block(rule_at(i))) {
      ++block_rules;
      block_alerts += alerts_per_rule[i];
    }
    if (alerts_per_rule[i]) alerting.push_back(i);
    else ++never;
  }
  std::stable_sort(alerting.begin(), alerting.end(),
                   [&](std::size_t a, std::size_t b) { return alerts_per_rule[a] > alerts_per_rule[b]; });
  // Building-block alerts are counted apart, as Kibana leaves them out of its alerts view.
  std::fprintf(err, "eql run: %s, %s from %s, %s never matched", count_of(totals.events, "event", "events").c_str(),
               count_of(facts.alerts - block_alerts, "alert", "alerts").c_str(),
               count_of(alerting.size() - block_rules, "rule", "rules").c_str(),
               count_of(never, "rule", "rules").c_str());
  if (block_alerts) {
    std::fprintf(err, ", %s from %s", count_of(block_alerts, "building-block alert", "building-block alerts").c_str(),
                 count_of(block_rules, "building-block rule", "building-block rules").c_str());
  }
  if (facts.skipped_lines) std::fprintf(err, ", %s skipped", count_of(facts.skipped_lines, "line", "lines").c_str());
  std::fprintf(err, "; %.3f s, %.0f events/s, %.1f rule evaluations per event (of %s)\n", facts.seconds,
               facts.seconds > 0 ? static_cast<double>(totals.events) / facts.seconds : 0.0,
               totals.events ? static_cast<double>(totals.evaluations) / static_cast<double>(totals.events) : 0.0,
               count_of(alerts_per_rule.size(), "rule", "rules").c_str());
  if (totals.late_events || totals.untimed_events) {
    std::fprintf(err, "eql run: sequence rules: %s without a timestamp ignored, %s dropped\n",
                 count_of(totals.untimed_events, "(rule, event) pair").c_str(),
                 count_of(totals.late_events, "event later than --max-lateness", "events later than --max-lateness").c_str());
  }
  if (!facts.reread_note.empty()) std::fprintf(err, "eql run: %s\n", facts.reread_note.c_str());
  // What the sequence limits dropped, so that no partial sequence is lost silently.
  if (totals.evicted || totals.key_overflow) {
    std::fprintf(err, "eql run: sequence rules: %s evicted by --max-pending %zu, %s dropped\n",
                 count_of(totals.evicted, "partial sequence").c_str(), facts.max_pending,
                 count_of(totals.key_overflow, "event with more than 10000 join keys",
                          "events with more than 10000 join keys").c_str());
  }
  // What the process tree of lineage conditions dropped (docs/lineage.md).
  if (totals.processes_evicted || totals.lineage_walks_cut) {
    std::fprintf(err, "eql run: process lineage: %s evicted by --max-processes %zu, %s\n",
                 count_of(totals.processes_evicted, "process", "processes").c_str(), facts.max_processes,
                 count_of(totals.lineage_walks_cut, "question stopped at 64 ancestors",
                          "questions stopped at 64 ancestors").c_str());
  }
  if (!alerting.empty()) {
    std::fputs("eql run: alerts per rule (top 10):\n", err);
    for (std::size_t i = 0; i < alerting.size() && i < 10; ++i) {
      const Rule& rule = rule_at(alerting[i]);
      std::fprintf(err, "  %6llu  %s  (%s)%s\n", static_cast<unsigned long long>(alerts_per_rule[alerting[i]]),
                   rule.name.c_str(), rule.rule_id.empty() ? rule.file.c_str() : rule.rule_id.c_str(),
                   is_building_block(rule) ? "  [building block]" : "");
    }
  }
}

// Optimistic exact order found the input out of order: the same events again, for the
// sequence rules only. A file that has grown since is read up to the events of the first
// pass, and its problems were reported then. False when a file could not be read again in full.
bool read_again(const RunCommandOptions& options, const std::vector<std::uint64_t>& events_per_input, std::FILE* err,
                const std::function<void(Event&&, const std::string&)>& push) {
  bool complete = true;
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
      complete = false;
    }
  }
  return complete;
}

// What reading the inputs the first time gave.
struct FirstPass {
  std::vector<std::uint64_t> events_per_input;
  std::uint64_t skipped_lines = 0;
  bool io_error = false;
  bool progress_shown = false;  // a progress line is on stderr, to be erased
};

// Reads every input once, pushing each event with its input's index; on a terminal, keeps a
// progress line on stderr about once a second.
FirstPass read_inputs(const RunCommandOptions& options, std::FILE* err, std::chrono::steady_clock::time_point started,
                      const std::function<std::uint64_t()>& alerts_so_far,
                      const std::function<void(Event&&, const std::string&)>& push, const LiveReadOptions& live) {
  FirstPass pass;
  pass.events_per_input.assign(options.inputs.size(), 0);
  // On a terminal, a progress line on stderr about once a second.
  const bool progress = !options.quiet && err == stderr && stderr_is_terminal();
  std::uint64_t bytes = 0, pushed = 0;
  auto last_progress = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < options.inputs.size(); ++i) {
    const Input& input = options.inputs[i];
    ReadSummary summary = read_events(
        input.path, options.read,
        [&](Event&& event) {
          ++pass.events_per_input[i];
          bytes += event.json().size() + 1;
          push(std::move(event), input.index);
          if (progress && (++pushed & 4095) == 0) {
            auto now = std::chrono::steady_clock::now();
            if (now - last_progress >= std::chrono::seconds(1)) {
              last_progress = now;
              double elapsed = std::chrono::duration<double>(now - started).count();
              std::fprintf(err, "\r\x1b[Keql run: %.1f MB, %llu events, %.0f events/s, %llu alerts",
                           static_cast<double>(bytes) / 1048576.0, static_cast<unsigned long long>(pushed),
                           static_cast<double>(pushed) / elapsed, static_cast<unsigned long long>(alerts_so_far()));
              pass.progress_shown = true;
            }
          }
          return true;
        },
        [&](const InputProblem& problem) { std::fprintf(err, "%s\n", problem.to_string().c_str()); }, live);
    pass.skipped_lines += summary.skipped;
    pass.io_error = pass.io_error || summary.io_error;
  }
  return pass;
}

// --explain-index: each rule's filing in the runner's index, indented under its name, so
// that a reader can see why an event is or is not evaluated against a rule.
void print_index_filing(std::FILE* out, const RuleRunner& runner) {
  for (std::size_t i = 0; i < runner.rule_count(); ++i) {
    const Rule& rule = runner.rule(i);
    std::string text = "rule " + (rule.name.empty() ? std::string("(unnamed)") : rule.name);
    if (!rule.rule_id.empty()) text += " [" + rule.rule_id + "]";
    text += " (" + rule.file + ")\n";
    std::string filing = runner.explain_index(i);
    for (std::size_t start = 0; start < filing.size();) {
      std::size_t end = filing.find('\n', start);
      if (end == std::string::npos) end = filing.size();
      text += "  " + filing.substr(start, end - start) + "\n";
      start = end + 1;
    }
    std::fputs(text.c_str(), out);
  }
}

// The runner's options from the command's: the order of events, its windows and limits.
RunnerOptions runner_options_of(const RunCommandOptions& options) {
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
  runner_options.max_processes = options.max_processes;
  runner_options.max_samples_per_key = options.max_samples_per_key;
  runner_options.ignore_index = options.ignore_index;
  return runner_options;
}

// The rule files of --rules; false, with every reason on `err`, when they cannot be read
// or the selection names rules they do not have.
bool load_rules(const RunCommandOptions& options, std::FILE* err, LoadedRules& loaded) {
  loaded = load_rule_paths(options.rule_paths);
  for (const std::string& problem : loaded.io_errors) std::fprintf(err, "eql run: %s\n", problem.c_str());
  if (!loaded.io_errors.empty()) return false;
  std::vector<std::string> selection_problems = selection_errors(loaded.files, options.selection);
  for (const std::string& problem : selection_problems) std::fprintf(err, "eql run: %s\n", problem.c_str());
  if (!selection_problems.empty()) return false;
  for (const std::string& warning : rule_id_warnings(loaded.files)) std::fprintf(err, "eql run: %s\n", warning.c_str());
  return true;
}

// Events are read for the fields the rules look at: the others are parsed, not filed
// (docs/performance.md). The reader's ordering fields and what the writer and the
// --threads partitioning read come with them.
void select_fields_read(RunCommandOptions& options, const RuleRunner& runner, const AlertWriter& writer) {
  if (options.read_all_fields) return;
  std::vector<std::string> fields = runner.fields_read();
  for (std::string& field : writer.fields_read()) fields.push_back(std::move(field));
  for (const std::string* field : {&options.read.timestamp_field, &options.read.tiebreaker_field, &options.partition_by}) {
    if (!field->empty()) fields.push_back(*field);
  }
  options.read.fields = std::make_shared<const FieldSelection>(fields);
}

// What the pass over the inputs leaves for the summary and the exit code.
struct PassOutcome {
  std::uint64_t alerts = 0;
  std::vector<std::uint64_t> alerts_per_rule;
  ParallelTotals totals;  // counters over every runner: events, rule evaluations, sequence events ignored
  std::string reread_note;  // why the sequence rules read the input twice, if they did
  std::uint64_t skipped_lines = 0;
  bool io_error = false;
  bool progress_shown = false;
};

// The pass through the one runner. A live stream has its alerts written as they are
// decided, and the reorder windows let go of what has waited --max-delay (docs/run.md,
// "Live streams").
void run_one_runner(RuleRunner& runner, const RunCommandOptions& options, std::FILE* out, std::FILE* err,
                    std::chrono::steady_clock::time_point started, const ParallelRun::Format& format_alert,
                    const ParallelRun::Write& write_text, PassOutcome& pass) {
  pass.alerts_per_rule.assign(runner.rule_count(), 0);
  runner.set_alert_sink([&](Alert&& alert) {
    ++pass.alerts;
    ++pass.alerts_per_rule[alert.rule];
    write_text(format_alert(alert, runner.rule(alert.rule)));
  });
  LiveReadOptions live;
  live.waiting = [&] {
    runner.release_overdue();
    std::fflush(out);
  };
  auto push = [&](Event&& event, const std::string& index) { runner.push(std::move(event), index); };
  FirstPass first = read_inputs(options, err, started, [&] { return pass.alerts; }, push, live);
  pass.io_error = first.io_error;
  pass.skipped_lines = first.skipped_lines;
  pass.progress_shown = first.progress_shown;
  if (const std::optional<OutOfOrder>& why = runner.out_of_order()) {
    pass.reread_note = describe_out_of_order(*why, options, first.events_per_input);
    runner.begin_second_pass();
    pass.io_error |= !read_again(options, first.events_per_input, err, push);
  }
  runner.finish();
  pass.totals.events = runner.stats().events;
  pass.totals.add(runner);
}

// The pass through the workers of --threads.
void run_workers(ParallelRun& parallel, const RunCommandOptions& options, bool optimistic, std::FILE* err,
                 std::chrono::steady_clock::time_point started, PassOutcome& pass) {
  auto push = [&](Event&& event, const std::string& index) { parallel.push(std::move(event), index); };
  FirstPass first = read_inputs(options, err, started, [&] { return parallel.alerts_written(); }, push, {});
  pass.io_error = first.io_error;
  pass.skipped_lines = first.skipped_lines;
  pass.progress_shown = first.progress_shown;
  if (optimistic) {
    if (std::optional<OutOfOrder> why = parallel.end_first_pass()) {
      pass.reread_note = describe_out_of_order(*why, options, first.events_per_input);
      parallel.begin_second_pass();
      pass.io_error |= !read_again(options, first.events_per_input, err, push);
    }
  }
  parallel.finish();
  pass.totals = parallel.totals();
  pass.alerts = parallel.alerts_written();
  pass.alerts_per_rule = pass.totals.alerts_per_rule;
}

// The workers of --threads over the runners, each rule spread by the plan for
// --partition-by (said on `err` unless --quiet).
std::unique_ptr<ParallelRun> start_workers(std::vector<std::unique_ptr<RuleRunner>> runners,
                                           const RunCommandOptions& options, const SchemaFieldTypes& schema_types,
                                           const ParallelRun::Format& format_alert,
                                           const ParallelRun::Write& write_text, std::FILE* err) {
  RuleSpreadPlan plan = plan_rule_spread(*runners.front(), options.partition_by, schema_types);
  if (!options.quiet) {
    std::size_t partitioned = std::count(plan.spread.begin(), plan.spread.end(), RuleSpread::Partitioned);
    std::size_t designated = std::count(plan.spread.begin(), plan.spread.end(), RuleSpread::Designated);
    std::fprintf(err,
                 "eql run: %zu threads partitioned by %s: %zu sequence and sample rules join on it, "
                 "%zu others are shared out, each to one worker that sees every event\n",
                 runners.size(), options.partition_by.c_str(), partitioned, designated);
  }
  return std::make_unique<ParallelRun>(std::move(runners), std::move(plan), options.partition_by, schema_types,
                                       format_alert, write_text);
}

}  // namespace

int run_rules_command(Args args, std::FILE* out, std::FILE* err, bool out_is_terminal, RunService* service) {
  RunCommandOptions options;
  bool help = false;
  if (auto error = parse_arguments(args, options, help)) {
    std::fputs(usage_text("run", *error).c_str(), err);
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
  LoadedRules loaded;
  if (!load_rules(options, err, loaded)) return kExitUsage;
  RunnerOptions runner_options = runner_options_of(options);
  // Field types from the embedded schemas (and --schema files), as `eql query` uses them:
  // dates, ips and versions compare as Elasticsearch compares them.
  CheckContext check;
  if (!load_user_schemas("run", options.schemas, check.user_tables, err)) return kExitUsage;
  SchemaFieldTypes schema_types(embedded_schema_all(check.user_tables));
  runner_options.field_types = &schema_types;

  CompiledRules compiled = compile_rules(loaded, options, runner_options, check, err, err_color);
  std::vector<std::unique_ptr<RuleRunner>> runners = std::move(compiled.runners);
  RuleRunner& runner = *runners.front();
  if (!options.quiet) print_load_report(err, compiled.counts);
  if (runner.rule_count() == 0) {
    std::fputs("eql run: no EQL rule to run\n", err);
    return kExitUsage;
  }
  if (options.explain_index) {
    print_index_filing(out, runner);
    return kExitOk;
  }
  if (options.explain_plan) {
    std::fputs(runner.explain_plan().c_str(), out);
    return kExitOk;
  }

  // One pass over the inputs: into the one runner, or partitioned over the workers.
  // Building-block alerts are written, marked, but left out of the table (as Kibana's
  // alerts view leaves them out) unless --building-blocks asks for them.
  AlertWriter writer(options.format, out_color,
                     [out](const std::string& text) { std::fwrite(text.data(), 1, text.size(), out); });
  const bool table_hides_building_blocks =
      options.format == AlertFormat::Table && options.selection.building_blocks == BuildingBlocks::Default;
  const ParallelRun::Format format_alert = [&writer, table_hides_building_blocks](const Alert& alert,
                                                                                   const Rule& rule) {
    return table_hides_building_blocks && is_building_block(rule) ? std::string() : writer.format(alert, rule);
  };
  const ParallelRun::Write write_text = [&writer](const std::string& text) {
    if (!text.empty()) writer.add(text);
  };
  select_fields_read(options, runner, writer);
  if (service) return service->serve(runner, format_alert, options.read, out, err);  // e.g. --kafka (src/kafka/)
  writer.begin();
  PassOutcome pass;
  std::unique_ptr<ParallelRun> parallel;
  if (runners.size() > 1) {
    parallel = start_workers(std::move(runners), options, schema_types, format_alert, write_text, err);
    run_workers(*parallel, options, runner_options.optimistic, err, started, pass);
  } else {
    run_one_runner(runner, options, out, err, started, format_alert, write_text, pass);
  }
  writer.finish();
  std::fflush(out);
  if (pass.progress_shown) std::fputs("\r\x1b[K", err);

  if (!options.quiet) {
    SummaryFacts facts;
    facts.alerts = pass.alerts;
    facts.skipped_lines = pass.skipped_lines;
    facts.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    facts.reread_note = pass.reread_note;
    facts.max_pending = options.max_pending;
    facts.max_processes = options.max_processes;
    auto rule_at = [&](std::size_t index) -> const Rule& { return parallel ? parallel->rule(index) : runner.rule(index); };
    print_summary(err, pass.totals, pass.alerts_per_rule, rule_at, facts);
  }
  if (pass.io_error) return kExitUsage;
  if (options.strict_rules && (compiled.counts.refused || compiled.counts.with_errors)) return kExitFindings;
  return options.fail_on_alert && pass.alerts > 0 ? kExitFindings : kExitOk;
}

int run_run(Args args) { return run_rules_command(args, stdout, stderr, stdout_is_terminal()); }

}  // namespace eql::cli
