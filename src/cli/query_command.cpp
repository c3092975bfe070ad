// `eql query`: run one query (event query, sequence or sample) over event files (NDJSON,
// JSON arrays, search responses, gzip, stdin) through the library's QueryRun (eql/query.h)
// and print what it gives (src/cli/query_output.cpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/query_output.h"
#include "cli/user_schemas.h"
#include "common/plural.h"
#include "eql/checker.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/pipes.h"
#include "eql/query.h"
#include "eql/schema.h"
#include "eql/schema_types.h"

namespace eql::cli {

namespace {

constexpr const char* kQueryUsage =
    "usage: eql query [options] QUERY [FILE...]\n"
    "\n"
    "Runs an EQL query over events and prints what matches. FILE is NDJSON, a JSON\n"
    "array of events, a search response (hits.hits[]._source) or an EQL search response\n"
    "(hits.events, hits.sequences), optionally gzipped; `-` or no FILE reads standard input.\n"
    "Matches are printed in (timestamp, tiebreaker) order.\n"
    "\n"
    "options:\n"
    "  --format FORMAT          ndjson (default), json (one array), table or csv\n"
    "  --size N                 print at most N results (after | head / | tail); --limit N\n"
    "                         is the same\n"
    "  --strict                 stop at the first malformed line (exit 2) instead of skipping it\n"
    "  --category-field FIELD   field that `<category> where` tests (default event.category)\n"
    "  --dialect D              endpoint (Elastic Defend's behavior rules, docs/endpoint.md)\n"
    "                           or elasticsearch (default)\n"
    "  --timestamp-field FIELD  field that orders events (default @timestamp)\n"
    "  --tiebreaker-field FIELD field that orders events with equal timestamps\n"
    "  --max-line-bytes N       longest NDJSON line accepted (default 64 MiB); longer lines\n"
    "                         are reported at FILE:LINE, counted and skipped\n"
    "  --max-nesting N          deepest nesting of objects and arrays in an event (default\n"
    "                         1000); deeper events are reported, counted and skipped\n"
    "  -q, --quiet              no summary and no notes on stderr (errors and warnings stay)\n"
    "  --color=WHEN             colour diagnostics: auto (default), always, never\n"
    "\n"
    "  --check warn|error|off   type-check the query against the embedded schemas (ECS and\n"
    "                         more): warn (default) prints findings as warnings, error refuses\n"
    "                         the query on an error, off skips the check\n"
    "  --schema FILE            a schema of your own for the check; repeatable\n"
    "\n"
    "sequences and samples (one match per line: join keys and events in stage order):\n"
    "  --order exact|stream|auto exact: read all, sort by time, then match (any input order);\n"
    "                         stream: match as events come, reordering within --max-lateness;\n"
    "                         auto (default): exact for files, stream for standard input\n"
    "  --max-lateness DURATION stream mode: how late an event may come (default 10s); later\n"
    "                         ones are dropped and counted\n"
    "  --max-pending N          most partial sequences held (default 1000000); the oldest is\n"
    "                         evicted and counted beyond it\n"
    "  --max-samples-per-key N  samples returned per join key (default 1)\n"
    "\n"
    "exit codes: 0 ran (whether or not events matched), 1 the query has errors,\n"
    "            2 usage error, unreadable input, or a malformed line with --strict\n";

struct QueryOptions {
  QueryFormat format = QueryFormat::Ndjson;
  std::optional<std::size_t> size;
  bool strict = false;
  bool quiet = false;
  std::string color = "auto";
  std::string category_field{kDefaultCategoryField};
  EventReadOptions read;
  std::optional<std::string> query;
  std::vector<std::string> files;
  // Sequences and samples. No order (auto): exact for files, stream for standard input.
  std::optional<QueryRunOptions::Order> order;
  std::int64_t max_lateness_ms = 10'000;
  std::size_t max_pending = 1'000'000;
  std::size_t max_samples_per_key = 1;
  /// The type checker against every embedded schema: findings shown as warnings (warn),
  /// refusing the query on errors (error), or not run (off).
  std::string check = "warn";
  std::vector<std::string> schemas;  ///< --schema FILE
  Dialect dialect = Dialect::Elasticsearch;  ///< --dialect
};

// A count or size option: decimal digits only (std::stoull would take "-1" as 2^64 - 1).
std::optional<std::size_t> whole_number(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoull(text));
}

std::optional<std::size_t> positive_number(const std::string& text) {
  auto n = whole_number(text);
  if (!n || *n == 0) return std::nullopt;
  return n;
}

std::optional<std::string> parse_arguments(Args args, QueryOptions& options, bool& help) {
  ArgReader reader(args);
  std::string error;
  while (!reader.done()) {
    if (reader.flag("--help") || reader.flag("-h")) {
      help = true;
      return std::nullopt;
    }
    if (reader.flag("--strict")) {
      options.strict = true;
    } else if (reader.flag("--quiet") || reader.flag("-q")) {
      options.quiet = true;
    } else if (auto format = reader.option_value("--format", error)) {
      if (*format == "ndjson") options.format = QueryFormat::Ndjson;
      else if (*format == "json") options.format = QueryFormat::Json;
      else if (*format == "table") options.format = QueryFormat::Table;
      else if (*format == "csv") options.format = QueryFormat::Csv;
      else return "unknown format '" + *format + "' (ndjson, json, table or csv)";
    } else if (auto size = reader.option_value("--size", error)) {
      options.size = whole_number(*size);
      if (!options.size) return "--size needs a number";
    } else if (auto limit = reader.option_value("--limit", error)) {  // the shell's name
      options.size = whole_number(*limit);
      if (!options.size) return "--limit needs a number";
    } else if (auto field = reader.option_value("--category-field", error)) {
      options.category_field = *field;
    } else if (auto stamp = reader.option_value("--timestamp-field", error)) {
      options.read.timestamp_field = *stamp;
    } else if (auto tie = reader.option_value("--tiebreaker-field", error)) {
      options.read.tiebreaker_field = *tie;
    } else if (auto bytes = reader.option_value("--max-line-bytes", error)) {
      auto n = positive_number(*bytes);
      if (!n) return "--max-line-bytes needs a number above 0";
      options.read.max_line_bytes = *n;
    } else if (auto nesting = reader.option_value("--max-nesting", error)) {
      auto n = positive_number(*nesting);
      if (!n) return "--max-nesting needs a number above 0";
      options.read.max_nesting = *n;
    } else if (auto when = reader.option_value("--color", error)) {
      options.color = *when;
    } else if (auto check = reader.option_value("--check", error)) {
      if (!check_mode(*check)) return "unknown --check mode '" + *check + "' (warn, error or off)";
      options.check = *check;
    } else if (dialect_option(reader, options.dialect, error)) {
      if (!error.empty()) return error;
    } else if (auto schema = reader.option_value("--schema", error)) {
      options.schemas.push_back(*schema);
    } else if (auto order = reader.option_value("--order", error)) {
      if (*order == "exact") options.order = QueryRunOptions::Order::Exact;
      else if (*order == "stream") options.order = QueryRunOptions::Order::Stream;
      else if (*order == "auto") options.order = std::nullopt;
      else return "unknown order '" + *order + "' (exact, stream or auto)";
    } else if (auto lateness = reader.option_value("--max-lateness", error)) {
      std::optional<std::int64_t> millis = duration_millis(*lateness);
      if (!millis) return "--max-lateness needs a duration such as 0s, 30s or 5m";
      options.max_lateness_ms = *millis;
    } else if (auto pending = reader.option_value("--max-pending", error)) {
      auto n = positive_number(*pending);
      if (!n) return "--max-pending needs a number above 0";
      options.max_pending = *n;
    } else if (auto samples = reader.option_value("--max-samples-per-key", error)) {
      auto n = whole_number(*samples);
      if (!n) return "--max-samples-per-key needs a number";
      options.max_samples_per_key = std::max<std::size_t>(*n, 1);
    } else if (!error.empty()) {
      return error;
    } else if (reader.peek().size() > 1 && reader.peek().front() == '-' && reader.peek() != "-") {
      return "unknown option " + std::string(reader.peek());
    } else if (!options.query) {
      options.query = std::string(reader.next());
    } else {
      options.files.emplace_back(reader.next());
    }
  }
  if (!options.query) return std::string("no query given");
  if (options.files.empty()) options.files.push_back("-");
  return std::nullopt;
}

// The query parsed, its --schema files loaded and the type checker run; the exit code when
// the query cannot run.
struct Prepared {
  ParseResult parsed;
  std::vector<std::shared_ptr<const SchemaTable>> user_tables;
};

std::optional<int> prepare(const QueryOptions& options, const SourceText& source,
                           const RenderOptions& render_options, Prepared& prepared) {
  const std::string& text = *options.query;
  auto show = [&](const Diagnostic& d) { std::fputs(render(d, source, QueryOrigin{}, render_options).c_str(), stderr); };
  ParseOptions parse_options;
  parse_options.extension_pipes = true;
  parse_options.dialect = options.dialect;
  prepared.parsed = parse_query(text, parse_options);
  for (const Diagnostic& d : prepared.parsed.diagnostics) show(d);
  if (!prepared.parsed.ok()) return kExitFindings;
  const ast::Query& query = *prepared.parsed.query;
  if (!load_user_schemas("query", options.schemas, prepared.user_tables)) return kExitUsage;
  if (options.check != "off") {
    // The same checker as `eql validate`, against every embedded schema (an ad-hoc query
    // targets no index): a hunter sees typos and type mistakes before the data is read.
    CheckOptions check_options;
    check_options.category_field = options.category_field;
    check_options.query_text = text;
    check_options.dialect = options.dialect;
    Diagnostics findings = check_query(query, embedded_schema_all(prepared.user_tables), check_options);
    drop_pipe_created_fields(findings, query, text);
    bool runs = settle_adhoc_findings(findings, options.check == "error");
    for (const Diagnostic& d : findings) show(d);
    if (!runs) return kExitFindings;
  }
  // A hunting pipe after a sequence or sample, shown against the pipe.
  Diagnostics join_pipes = pipes_on_joins(query);
  for (const Diagnostic& d : join_pipes) show(d);
  if (!join_pipes.empty()) return kExitFindings;
  return std::nullopt;
}

// The columns of --format table and csv for an event query: the timestamp, the category
// and the fields the query and its pipes read (after count: the pipe's own columns).
std::vector<std::string> event_columns(const QueryOptions& options, const ast::Query& query,
                                       std::vector<std::string> wanted, std::vector<std::string> pipe_columns) {
  if (!pipe_columns.empty()) return pipe_columns;
  std::vector<std::string> columns;
  if (!options.read.timestamp_field.empty()) columns.push_back(options.read.timestamp_field);
  if (!query.event()->any) columns.push_back(options.category_field);
  for (const ast::Pipe& pipe : query.pipes) {  // `| unique a | sort b`: a and b too
    for (const auto& arg : pipe.args) {
      if (const auto* field = arg->as<ast::Field>()) wanted.push_back(field->name);
    }
    if (pipe.kind == ast::PipeKind::UniqueCount) wanted.push_back("count");
  }
  for (const auto& field : wanted) {
    if (std::find(columns.begin(), columns.end(), field) == columns.end()) columns.push_back(field);
  }
  return columns;
}

bool standard_input_only(const QueryOptions& options) {
  return std::all_of(options.files.begin(), options.files.end(), [](const std::string& f) { return f == "-"; });
}

QueryRunOptions run_options(const QueryOptions& options, const ast::Query& query, const FieldTypes& types) {
  QueryRunOptions run;
  run.filter.category_field = options.category_field;
  run.filter.field_types = &types;
  run.lineage = true;  // `descendant of`/`child of` (docs/lineage.md)
  run.order = options.order.value_or(standard_input_only(options) ? QueryRunOptions::Order::Stream
                                                                   : QueryRunOptions::Order::Exact);
  run.max_lateness_ms = options.max_lateness_ms;
  run.max_pending = options.max_pending;
  run.max_samples_per_key = options.max_samples_per_key;
  run.size = options.size;
  // Live streams (standard input on a pipe) with nothing to sort or cut: each match is
  // printed as soon as its event is read, in input order.
  run.live = query.event() && options.format == QueryFormat::Ndjson &&
             std::all_of(options.files.begin(), options.files.end(), is_live_input);
  return run;
}

// Where the run's results go: events kept for printing at the end (or printed at once on a
// live stream), matches printed as they come.
struct QueryOutput {
  bool live = false;
  std::vector<EventRef> shown;
  std::uint64_t printed_live = 0;
  std::optional<MatchWriter> matches;

  QuerySink sink() {
    QuerySink sink;
    sink.event = [this](const EventRef& event) {
      if (!live) {
        shown.push_back(event);
        return;
      }
      std::printf("%s\n", event->json().c_str());
      ++printed_live;
    };
    sink.match = [this](const JoinResult& match) { matches->write(match); };
    return sink;
  }
};

// What reading the input gave.
struct ReadTotals {
  std::uint64_t read = 0, skipped = 0;
  bool io_error = false, strict_failure = false;
};

// Reads every file into the run, each event numbered in input order, until the input ends,
// the run needs no more events, or a malformed line stops the reader (--strict).
ReadTotals read_into(QueryRun& run, const QueryOptions& options, const LiveReadOptions& live_read) {
  ReadTotals totals;
  std::uint64_t ordinal = 0;
  bool enough = false;
  for (const std::string& file : options.files) {
    ReadSummary summary = read_events(
        file, options.read,
        [&](Event&& event) {
          event.ordinal = ordinal++;
          enough = !run.push(std::move(event));
          return !enough;
        },
        [&](const InputProblem& problem) {
          report_input_problem(problem);
          if (options.strict && problem.line > 0) totals.strict_failure = true;  // the reader stops
        },
        live_read);
    totals.read += summary.events;
    totals.skipped += summary.skipped;
    totals.io_error = totals.io_error || summary.io_error;
    if (totals.strict_failure || enough) break;
  }
  return totals;
}

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void report_lineage_evictions(const QueryRunStats& stats) {
  if (stats.lineage_evicted == 0) return;
  std::fprintf(stderr, "eql query: process lineage: %s evicted (at most %zu held)\n",
               count_of(stats.lineage_evicted, "process", "processes").c_str(), stats.lineage_max_processes);
}

int run_event_query(QueryRun& run, QueryOptions& options, const ast::Query& query, QueryOutput& output) {
  output.live = run.live();
  // Without hunting pipes (which may read any field), events are read for the fields the
  // query and the output use: the others are parsed but not filed (docs/performance.md).
  if (!run.has_hunting_pipes()) {
    std::vector<std::string> fields = event_columns(options, query, run.filter_fields(), {});
    for (std::string& field : run.filter_fields()) fields.push_back(std::move(field));
    for (std::string& field : run.lineage_fields()) fields.push_back(std::move(field));
    fields.push_back(options.category_field);
    if (!options.read.tiebreaker_field.empty()) fields.push_back(options.read.tiebreaker_field);
    options.read.fields = std::make_shared<const FieldSelection>(fields);
  }
  auto started = std::chrono::steady_clock::now();
  LiveReadOptions live_read;
  if (run.live()) live_read.waiting = [] { std::fflush(stdout); };
  ReadTotals totals = read_into(run, options, live_read);
  report_lineage_evictions(run.stats());
  if (totals.strict_failure) {
    std::fputs("eql query: stopped at a malformed line (--strict)\n", stderr);
    return kExitUsage;
  }
  run.finish();  // order, then the pipes, then --size
  print_events(output.shown, options.format, event_columns(options, query, run.filter_fields(), run.pipe_columns()));
  if (!options.quiet) {
    std::fprintf(stderr, "eql query: %s read, %llu matched, %llu shown, %s skipped, %.3f s\n",
                 count_of(totals.read, "event").c_str(), static_cast<unsigned long long>(run.stats().matched),
                 static_cast<unsigned long long>(output.shown.size() + output.printed_live),
                 count_of(totals.skipped, "line").c_str(), seconds_since(started));
  }
  return totals.io_error ? kExitUsage : kExitOk;
}

void report_sequence_state(const QueryRun& run, const QueryOptions& options, bool stream) {
  const SequenceStats& stats = *run.sequence_stats();
  std::fprintf(stderr, "eql query: %s mode; pending %llu (peak %llu), expired %llu, evicted %llu (--max-pending %zu)",
               stream ? "stream" : "exact", static_cast<unsigned long long>(stats.pending),
               static_cast<unsigned long long>(stats.peak_pending), static_cast<unsigned long long>(stats.expired),
               static_cast<unsigned long long>(stats.evicted), options.max_pending);
  if (stats.key_overflow) {
    std::fprintf(stderr, ", %s with more than 10000 join keys dropped", count_of(stats.key_overflow, "event").c_str());
  }
  const QueryRunStats& dropped = run.stats();
  if (dropped.untimed) std::fprintf(stderr, ", %s without a timestamp ignored", count_of(dropped.untimed, "event").c_str());
  if (dropped.late) std::fprintf(stderr, ", %s later than --max-lateness dropped", count_of(dropped.late, "event").c_str());
  std::fputs("\n", stderr);
}

int run_join_query(QueryRun& run, const QueryOptions& options, QueryOutput& output, bool stream) {
  auto started = std::chrono::steady_clock::now();
  output.matches.emplace(options.format, options.read.timestamp_field, options.category_field);
  ReadTotals totals = read_into(run, options, {});
  if (totals.strict_failure) {
    std::fputs("eql query: stopped at a malformed line (--strict)\n", stderr);
    return kExitUsage;
  }
  run.finish();
  output.matches->close();
  std::fflush(stdout);
  if (!options.quiet) {
    const bool sequence = run.kind() == QueryRun::Kind::Sequences;
    std::fprintf(stderr, "eql query: %s read, %s matched, %llu shown, %s skipped, %.3f s\n",
                 count_of(totals.read, "event").c_str(),
                 count_of(run.stats().matched, sequence ? "sequence" : "sample").c_str(),
                 static_cast<unsigned long long>(output.matches->printed()), count_of(totals.skipped, "line").c_str(),
                 seconds_since(started));
    if (sequence) report_sequence_state(run, options, stream);
    report_lineage_evictions(run.stats());
  }
  return totals.io_error ? kExitUsage : kExitOk;
}

}  // namespace

int run_query(Args args) {
  QueryOptions options;
  bool help = false;
  if (auto error = parse_arguments(args, options, help)) return usage_error("query", *error);
  if (help) {
    std::fputs(kQueryUsage, stdout);
    return kExitOk;
  }
  options.read.stop_at_problem = options.strict;

  // Parse, check and compile; mistakes in the query are rendered against the query text.
  SourceText source("<query>", *options.query);
  RenderOptions render_options{options.color == "always" || (options.color == "auto" && stderr_is_terminal())};
  Prepared prepared;
  if (auto refused = prepare(options, source, render_options, prepared)) return *refused;
  const ast::Query& query = *prepared.parsed.query;
  // Field types from the embedded schemas (and --schema files): `@timestamp > "2024-01-01"`
  // compares instants, `source.ip` compares addresses, as in Elasticsearch.
  SchemaFieldTypes schema_types(embedded_schema_all(prepared.user_tables));
  QueryRunOptions run_with = run_options(options, query, schema_types);
  QueryOutput output;
  QueryRunCompileResult compiled = QueryRun::compile(query, run_with, output.sink());
  for (const Diagnostic& d : compiled.diagnostics) {
    std::fputs(render(d, source, QueryOrigin{}, render_options).c_str(), stderr);
  }
  if (!compiled.run) return kExitFindings;
  if (query.event()) return run_event_query(*compiled.run, options, query, output);
  return run_join_query(*compiled.run, options, output, run_with.order == QueryRunOptions::Order::Stream);
}

}  // namespace eql::cli
