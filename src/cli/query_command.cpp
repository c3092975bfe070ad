// `eql query`: run one event query over event files (NDJSON, JSON arrays, search responses,
// gzip, stdin) and print the matching events.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "pipes/limits.h"
#include "common/plural.h"
#include "cli/query_join.h"
#include "cli/user_schemas.h"
#include "shell/table.h"
#include "eql/eval.h"
#include "eql/event.h"
#include "eql/checker.h"
#include "eql/parser.h"
#include "eql/pipes.h"
#include "eql/schema.h"
#include "eql/schema_types.h"
#include "run/lineage.h"

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

enum class Format { Ndjson, Json, Table, Csv };

struct QueryOptions {
  Format format = Format::Ndjson;
  std::optional<std::size_t> size;
  bool strict = false;
  bool quiet = false;
  std::string color = "auto";
  std::string category_field{kDefaultCategoryField};
  EventReadOptions read;
  std::optional<std::string> query;
  std::vector<std::string> files;
  // Sequences and samples (src/cli/query_join.cpp).
  JoinQueryOptions::Order order = JoinQueryOptions::Order::Auto;
  std::int64_t max_lateness_ms = 10'000;
  std::size_t max_pending = 1'000'000;
  std::size_t max_samples_per_key = 1;
  /// The type checker against every embedded schema: findings shown as warnings (warn),
  /// refusing the query on errors (error), or not run (off).
  std::string check = "warn";
  std::vector<std::string> schemas;  ///< --schema FILE
  Dialect dialect = Dialect::Elasticsearch;  ///< --dialect
};

int compare_values_for_order(const Value& a, const Value& b) {
  if (a.is_null() != b.is_null()) return a.is_null() ? 1 : -1;
  if (a.kind == ValueKind::Int && b.kind == ValueKind::Int) return a.integer < b.integer ? -1 : a.integer > b.integer;
  if (a.is_number() && b.is_number()) return a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double();
  std::string x = to_display_string(a), y = to_display_string(b);
  return x < y ? -1 : x > y;
}

bool event_before(const Event& a, const Event& b) {
  if (a.timestamp.has_value() != b.timestamp.has_value()) return a.timestamp.has_value();
  if (a.timestamp && *a.timestamp != *b.timestamp) return *a.timestamp < *b.timestamp;
  int tie = compare_values_for_order(a.tiebreaker, b.tiebreaker);
  if (tie != 0) return tie < 0;
  return a.ordinal < b.ordinal;
}

// A table cell of `eql query`: the shell's cell text, cut at 60 characters.
std::string cell_text(const Event& event, const std::string& path) {
  constexpr std::size_t kMaxCell = 60;
  return shell::fit_text(shell::cell_text(event, path), kMaxCell);
}

void print_csv(const std::vector<Event>& events, const std::vector<std::string>& columns) {
  std::printf("%s\n", shell::csv_line(columns).c_str());
  std::vector<std::string> cells;
  for (const auto& event : events) {
    cells.clear();
    for (const auto& column : columns) cells.push_back(shell::full_text(event, column));
    std::printf("%s\n", shell::csv_line(cells).c_str());
  }
}

void print_table(const std::vector<Event>& events, std::vector<std::string> columns) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> widths;
  for (const auto& column : columns) widths.push_back(count_characters(column));
  for (const auto& event : events) {
    std::vector<std::string> row;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      row.push_back(cell_text(event, columns[c]));
      widths[c] = std::max<std::size_t>(widths[c], count_characters(row.back()));
    }
    rows.push_back(std::move(row));
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      line += cells[c];
      if (c + 1 < cells.size()) line += std::string(widths[c] - count_characters(cells[c]) + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(columns);
  std::vector<std::string> rule;
  for (auto width : widths) rule.push_back(std::string(width, '-'));
  print_row(rule);
  for (const auto& row : rows) print_row(row);
}

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
      if (*format == "ndjson") options.format = Format::Ndjson;
      else if (*format == "json") options.format = Format::Json;
      else if (*format == "table") options.format = Format::Table;
      else if (*format == "csv") options.format = Format::Csv;
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
      if (*order == "exact") options.order = JoinQueryOptions::Order::Exact;
      else if (*order == "stream") options.order = JoinQueryOptions::Order::Stream;
      else if (*order == "auto") options.order = JoinQueryOptions::Order::Auto;
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

// What reading the input gave: the matches kept, in no particular order.
struct Matches {
  std::vector<Event> kept;
  std::size_t count = 0;  ///< every match, kept or not
  std::size_t printed = 0;  ///< matches printed as they were read (a live stream)
  std::uint64_t read = 0, skipped = 0;
  bool io_error = false, strict_failure = false;
};

// Reads every file and keeps its matches; with `bound` (tail?, N) only the first or last N in
// event order (a bounded heap), so `| head 10` over a large file needs little memory.
Matches read_matches(const QueryOptions& options, const FilterProgram& program, EvalContext& context,
                     std::optional<std::pair<bool, std::size_t>> bound, bool hunting, ProcessTree& lineage) {
  Matches found;
  std::vector<Event>& matched = found.kept;
  std::uint64_t ordinal = 0;
  auto heap_order = [&](const Event& a, const Event& b) {
    return bound && bound->first ? event_before(b, a) : event_before(a, b);
  };

  // Live streams (standard input on a pipe) with nothing to sort or cut: each match is
  // printed as soon as its event is read, in input order.
  const bool live = !hunting && !bound && options.format == Format::Ndjson &&
                    std::all_of(options.files.begin(), options.files.end(), is_live_input);
  LiveReadOptions live_read;
  if (live) live_read.waiting = [] { std::fflush(stdout); };
  for (const std::string& file : options.files) {
    ReadSummary summary = read_events(
        file, options.read,
        [&](Event&& event) {
          event.ordinal = ordinal++;
          // The process tree of `descendant of`/`child of` sees the event first (docs/lineage.md).
          if (lineage.condition_count() != 0) lineage.observe(event);
          if (!program.matches(event, context)) return true;
          ++found.count;
          if (live) {
            std::printf("%s\n", event.json().c_str());
            ++found.printed;
            return true;
          }
          if (bound && bound->second == 0) return true;
          matched.push_back(std::move(event));
          if (bound) {
            std::push_heap(matched.begin(), matched.end(), heap_order);
            if (matched.size() > bound->second) {
              std::pop_heap(matched.begin(), matched.end(), heap_order);
              matched.pop_back();
            }
          }
          return true;
        },
        [&](const InputProblem& problem) {
          report_input_problem(problem);
          if (options.strict && problem.line > 0) found.strict_failure = true;  // the reader stops
        },
        live_read);
    found.read += summary.events;
    found.skipped += summary.skipped;
    found.io_error = found.io_error || summary.io_error;
    if (found.strict_failure) break;
  }
  return found;
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
                                       const FilterProgram& program, std::vector<std::string> pipe_columns) {
  if (!pipe_columns.empty()) return pipe_columns;
  std::vector<std::string> columns;
  if (!options.read.timestamp_field.empty()) columns.push_back(options.read.timestamp_field);
  if (!query.event()->any) columns.push_back(options.category_field);
  std::vector<std::string> wanted = program.fields();
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

void print_events(const std::vector<Event>& shown, Format format, const std::vector<std::string>& columns) {
  switch (format) {
    case Format::Ndjson:
      for (const auto& event : shown) std::printf("%s\n", event.json().c_str());
      break;
    case Format::Json:
      std::printf("[");
      for (std::size_t i = 0; i < shown.size(); ++i) std::printf("%s\n  %s", i ? "," : "", shown[i].json().c_str());
      std::printf("%s]\n", shown.empty() ? "" : "\n");
      break;
    case Format::Table:
      print_table(shown, columns);
      break;
    case Format::Csv:
      print_csv(shown, columns);
      break;
  }
  std::fflush(stdout);
}

int run_join(const QueryOptions& options, const ast::Query& query, const FieldTypes& types,
             const SourceText& source, const RenderOptions& render_options) {
  JoinQueryOptions join;
  join.files = options.files;
  join.read = options.read;
  join.category_field = options.category_field;
  join.format = options.format == Format::Table  ? JoinQueryOptions::Format::Table
                : options.format == Format::Json ? JoinQueryOptions::Format::Json
                : options.format == Format::Csv  ? JoinQueryOptions::Format::Csv
                                                 : JoinQueryOptions::Format::Ndjson;
  join.order = options.order;
  join.max_lateness_ms = options.max_lateness_ms;
  join.max_pending = options.max_pending;
  join.max_samples_per_key = options.max_samples_per_key;
  join.size = options.size;
  join.strict = options.strict;
  join.quiet = options.quiet;
  join.field_types = &types;
  join.source = &source;
  join.render = render_options;
  return run_join_query(query, join);
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
  auto show = [&](const Diagnostic& d) { std::fputs(render(d, source, QueryOrigin{}, render_options).c_str(), stderr); };
  Prepared prepared;
  if (auto refused = prepare(options, source, render_options, prepared)) return *refused;
  const ast::Query& query = *prepared.parsed.query;
  // Field types from the embedded schemas (and --schema files): `@timestamp > "2024-01-01"`
  // compares instants, `source.ip` compares addresses, as in Elasticsearch.
  SchemaFieldTypes schema_types(embedded_schema_all(prepared.user_tables));
  const ast::EventFilter* filter = query.event();
  if (!filter) return run_join(options, query, schema_types, source, render_options);
  // Only head and tail: the bounded path below. Any hunting pipe: every match is kept and
  // the pipes run over them in order (eql/pipes.h).
  std::optional<PipeProgram> hunting;
  if (has_extension_pipes(query)) {
    PipeOptions pipe_options;
    pipe_options.field_types = &schema_types;
    pipe_options.category_field = options.category_field;
    PipeCompileResult pipes = PipeProgram::compile(query.pipes, pipe_options);
    for (const Diagnostic& d : pipes.diagnostics) show(d);
    if (!pipes.program) return kExitFindings;
    hunting = std::move(pipes.program);
  }
  std::string unsupported;
  std::optional<ResultLimits> limits =
      hunting ? ResultLimits{{}, options.size} : ResultLimits::of(query, options.size, unsupported);
  if (!limits) {
    std::fprintf(stderr, "eql query: the pipe `%s` is not supported here\n", unsupported.c_str());
    return kExitUsage;
  }
  FilterOptions filter_options;
  filter_options.field_types = &schema_types;
  filter_options.category_field = options.category_field;
  ProcessTree lineage;
  filter_options.lineage = &lineage;
  FilterCompileResult compiled = compile_filter(*filter, filter_options);
  for (const Diagnostic& d : compiled.diagnostics) show(d);
  if (!compiled.program) return kExitFindings;
  const FilterProgram& program = *compiled.program;

  // Only the events the first limit can keep are held (a bounded heap in event order), so
  // `| head 10` over a large file needs little memory.
  std::optional<std::pair<bool, std::size_t>> bound;
  if (hunting) {
    // every match goes into the pipes
  } else if (!limits->pipes.empty()) {
    bound = std::make_pair(limits->pipes.front().tail, limits->pipes.front().count);
  } else if (options.size) bound = std::make_pair(false, *options.size);
  // Without hunting pipes (which may read any field), events are read for the fields the
  // query and the output use: the others are parsed but not filed (docs/performance.md).
  if (!hunting) {
    std::vector<std::string> fields = event_columns(options, query, program, {});
    for (std::string& field : program.fields()) fields.push_back(std::move(field));
    for (std::string& field : lineage.fields_read()) fields.push_back(std::move(field));
    fields.push_back(options.category_field);
    if (!options.read.tiebreaker_field.empty()) fields.push_back(options.read.tiebreaker_field);
    options.read.fields = std::make_shared<const FieldSelection>(fields);
  }
  auto started = std::chrono::steady_clock::now();
  EvalContext context;
  Matches found = read_matches(options, program, context, bound, hunting.has_value(), lineage);
  if (lineage.stats().evicted != 0) {
    std::fprintf(stderr, "eql query: process lineage: %s evicted (at most %zu held)\n",
                 count_of(lineage.stats().evicted, "process", "processes").c_str(), lineage.options().max_processes);
  }
  std::vector<Event>& matched = found.kept;
  if (found.strict_failure) {
    std::fputs("eql query: stopped at a malformed line (--strict)\n", stderr);
    return kExitUsage;
  }

  // Order, then the pipes, then --size.
  std::stable_sort(matched.begin(), matched.end(), event_before);
  std::vector<std::string> pipe_columns;
  if (hunting) {
    std::vector<EventRef> rows;
    rows.reserve(matched.size());
    for (const Event& event : matched) rows.push_back(std::make_shared<const Event>(event));
    rows = hunting->apply(std::move(rows), context);
    matched.clear();
    matched.reserve(rows.size());  // copies, never moved again: short rows keep inline text
    for (const EventRef& row : rows) matched.push_back(*row);
    pipe_columns = hunting->columns();
  }
  auto [first, last] = limits->window(matched.size());
  std::vector<Event> shown;
  shown.reserve(last - first);
  for (std::size_t i = first; i < last; ++i) shown.push_back(static_cast<const Event&>(matched[i]));
  print_events(shown, options.format, event_columns(options, query, program, pipe_columns));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!options.quiet) {
    std::fprintf(stderr, "eql query: %s read, %zu matched, %zu shown, %s skipped, %.3f s\n",
                 count_of(found.read, "event").c_str(), found.count, shown.size() + found.printed, count_of(found.skipped, "line").c_str(),
                 seconds);
  }
  return found.io_error ? kExitUsage : kExitOk;
}

}  // namespace eql::cli
