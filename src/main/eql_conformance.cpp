// eql-conformance: runs Elasticsearch's EQL spec files (name, query, expected event ids)
// against their data sets and mappings, and reports every difference.
//
//   eql-conformance --spec SPEC.toml --data DATA --mapping MAPPING [--data D2 --mapping M2 ...]
//       [--tiebreaker FIELD] [--id-field FIELD] [--filetime-timestamps | --filetime-nanos]
//       [--event-queries-only] [--size N] [--verbose]
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/query.h"
#include "eql/sequence.h"
#include "conformance/spec_file.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailures = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "usage: eql-conformance --spec SPEC.toml --data DATA --mapping MAPPING [--data D2 --mapping M2 ...]\n"
    "                       [--tiebreaker FIELD] [--id-field FIELD]\n"
    "                       [--filetime-timestamps | --filetime-nanos] [--event-queries-only]\n"
    "                       [--size N] [--label NAME] [--verbose]\n"
    "\n"
    "Runs every [[queries]] entry of an Elasticsearch EQL spec file over the data sets and\n"
    "prints each failure, then `N passed, M failed`. Exit 0 only when nothing failed.\n"
    "  --filetime-timestamps  @timestamp = timestamp (Windows FILETIME) as epoch milliseconds\n"
    "  --filetime-nanos       @timestamp = timestamp read as nanoseconds since 1970\n"
    "  --event-queries-only   run event queries only; sequences/samples are counted as not run\n";

struct Options {
  std::string spec;
  std::vector<std::string> data;
  std::vector<std::string> mappings;
  std::string tiebreaker;
  std::string id_field;
  enum class Stamps { AsIs, FileTime, FileTimeNanos } stamps = Stamps::AsIs;
  bool event_queries_only = false;
  std::int64_t default_size = 50;
  bool verbose = false;
  std::string label;  // prefixes the closing line: "LABEL: N passed, M failed"
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string join_ids(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

std::string one_line(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

int compare_tiebreakers(const eql::Value& a, const eql::Value& b) {
  if (a.is_null() != b.is_null()) return a.is_null() ? 1 : -1;
  if (a.is_number() && b.is_number()) {
    double x = a.as_double(), y = b.as_double();
    if (a.kind == eql::ValueKind::Int && b.kind == eql::ValueKind::Int) return a.integer < b.integer ? -1 : a.integer > b.integer;
    return x < y ? -1 : x > y;
  }
  std::string x = eql::to_display_string(a), y = eql::to_display_string(b);
  return x < y ? -1 : x > y;
}

// Whether a query passes the parser and, for event queries, the compiler with the mapping
// (which refuses unknown fields, as Elasticsearch does).
bool query_accepted(const std::string& text, const eql::ParseOptions& parse_options,
                    const eql::FilterOptions& filter_options) {
  eql::ParseResult result = eql::parse_query(text, parse_options);
  if (!result.ok()) return false;
  if (const auto* filter = result.query->event()) return eql::compile_filter(*filter, filter_options).program.has_value();
  return true;
}

bool parse_options(int argc, char** argv, Options& options, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return false;
      }
      out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--spec") { if (!value(options.spec)) return false; }
    else if (arg == "--data") { if (!value(text)) return false; options.data.push_back(text); }
    else if (arg == "--mapping") { if (!value(text)) return false; options.mappings.push_back(text); }
    else if (arg == "--tiebreaker") { if (!value(options.tiebreaker)) return false; }
    else if (arg == "--id-field") { if (!value(options.id_field)) return false; }
    else if (arg == "--filetime-timestamps") options.stamps = Options::Stamps::FileTime;
    else if (arg == "--filetime-nanos") options.stamps = Options::Stamps::FileTimeNanos;
    else if (arg == "--event-queries-only") options.event_queries_only = true;
    else if (arg == "--verbose") options.verbose = true;
    else if (arg == "--label") { if (!value(options.label)) return false; }
    else if (arg == "--size") {
      if (!value(text)) return false;
      options.default_size = std::stoll(text);
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(kExitOk);
    } else {
      error = "unknown argument '" + arg + "'";
      return false;
    }
  }
  if (options.spec.empty()) error = "--spec is required";
  else if (options.data.empty()) error = "at least one --data is required";
  else if (options.data.size() != options.mappings.size()) error = "give one --mapping per --data";
  return error.empty();
}

/// Indexing, as Elasticsearch does it: a date field with a custom `format` in this data
/// file's own mapping is stored as an instant, so that indices whose mappings write the same
/// field differently (`dd-MM-yyyy` here, `yyyy-MM-dd` there) agree on its values.
void index_dates(eql::Event& event, const eql::FieldTable& mapping) {
  for (const auto& [name, info] : mapping.fields()) {
    if ((info.type != eql::FieldType::Date && info.type != eql::FieldType::DateNanos) ||
        info.date_format.empty()) {
      continue;
    }
    const std::string& path = info.path.empty() ? name : info.path;
    eql::Value value = event.first(path);
    if (value.kind != eql::ValueKind::String) continue;
    if (auto instant = eql::parse_date_with_format(value.string, info.date_format)) {
      event.set(path, eql::Value::of_int(*instant / 1'000'000));  // epoch milliseconds
    }
  }
}

// Reads every mapping and data file into `fields` and `events`; false (after saying why on
// standard error) when one cannot be read.
bool load_data(const Options& options, eql::FieldTable& fields, std::vector<eql::Event>& events) {
  std::string error;
  eql::EventReadOptions read_options;
  read_options.timestamp_field = std::string(eql::kDefaultTimestampField);
  read_options.tiebreaker_field = options.tiebreaker;
  for (std::size_t d = 0; d < options.data.size(); ++d) {
    auto mapping_text = read_file(options.mappings[d]);
    if (!mapping_text) {
      std::fprintf(stderr, "eql-conformance: cannot read %s\n", options.mappings[d].c_str());
      return false;
    }
    auto mapping = eql::parse_es_mapping(*mapping_text, error);
    if (!mapping) {
      std::fprintf(stderr, "%s: %s\n", options.mappings[d].c_str(), error.c_str());
      return false;
    }
    for (const auto& [name, info] : mapping->fields()) fields.add_if_absent(name, info);
    auto data_text = read_file(options.data[d]);
    if (!data_text) {
      std::fprintf(stderr, "eql-conformance: cannot read %s\n", options.data[d].c_str());
      return false;
    }
    // Read as Elasticsearch's test loader reads data files: comments allowed.
    bool problems = false;
    auto summary = eql::read_events_from_text(
        options.data[d], eql::conformance::blank_json_comments(*data_text), read_options,
        [&](eql::Event&& event) {
          index_dates(event, *mapping);
          events.push_back(std::move(event));
          return true;
        },
        [&](const eql::InputProblem& problem) {
          problems = true;
          std::fprintf(stderr, "%s\n", problem.to_string().c_str());
        });
    if (summary.io_error || problems) return false;
  }
  // Elasticsearch maps fields the mapping does not name from the JSON of the documents.
  for (const auto& event : events) {
    for (std::string_view path : event.paths()) {
      eql::Value sample = event.first(path);
      eql::FieldType type = sample.kind == eql::ValueKind::Int      ? eql::FieldType::Integer
                            : sample.kind == eql::ValueKind::Double ? eql::FieldType::Float
                            : sample.kind == eql::ValueKind::Bool   ? eql::FieldType::Boolean
                                                                    : eql::FieldType::String;
      fields.add_if_absent(std::string(path), eql::FieldInfo{type, std::string(path), std::nullopt, {}});
    }
  }
  return true;
}

// Gives each event its timestamp (converted as --stamps says), tiebreaker and input
// position, and puts the events in Elasticsearch's search order.
void stamp_and_order(const Options& options, const eql::FieldTable& fields, std::vector<eql::Event>& events) {
  std::uint64_t ordinal = 0;
  for (auto& event : events) {
    if (options.stamps != Options::Stamps::AsIs) {
      eql::Value raw = event.first("timestamp");
      if (raw.kind == eql::ValueKind::Int) {
        if (options.stamps == Options::Stamps::FileTime) {
          event.set("@timestamp", eql::Value::of_int(raw.integer / 10000 - 11644473600000LL));
        } else {
          std::string iso = eql::format_date(raw.integer, true);
          event.set("@timestamp", eql::Value::of_string(iso));
        }
      }
    }
    std::string format;
    if (auto info = fields.lookup("@timestamp")) format = info->date_format;
    eql::Value stamp = event.first("@timestamp");
    event.timestamp = stamp.is_null() ? std::nullopt : eql::date_of(stamp, format);
    event.tiebreaker = options.tiebreaker.empty() ? eql::Value::null() : event.first(options.tiebreaker);
    event.ordinal = ordinal++;
  }
  std::stable_sort(events.begin(), events.end(), [](const eql::Event& a, const eql::Event& b) {
    if (a.timestamp.has_value() != b.timestamp.has_value()) return a.timestamp.has_value();
    if (a.timestamp && *a.timestamp != *b.timestamp) return *a.timestamp < *b.timestamp;
    int tie = compare_tiebreakers(a.tiebreaker, b.tiebreaker);
    if (tie != 0) return tie < 0;
    return a.ordinal < b.ordinal;
  });

}

// What every spec runs over: the ordered events, shared (the matchers keep the events they
// match), and their field types.
struct Corpus {
  std::vector<eql::EventRef> refs;
  eql::FilterOptions filter_options;
};

// The ids (and for sequences and samples the join keys) a spec's query returns, after its
// pipes and the request size; a compile error or an unsupported pipe as text instead. The
// query runs through the library's QueryRun (eql/query.h), as `eql query` and the shell do.
std::optional<std::string> results_of(const eql::conformance::Spec& spec, const eql::ast::Query& query,
                                      const Options& options, const Corpus& corpus, std::vector<std::int64_t>& ids,
                                      std::vector<std::string>& keys) {
  auto id_of = [&](const eql::Event* event) -> std::int64_t {
    if (!event) return -1;  // a missing event `![...]`
    eql::Value id = event->first(options.id_field);
    return id.kind == eql::ValueKind::Int ? id.integer : -1;
  };
  eql::QueryRunOptions run_options;
  run_options.filter = corpus.filter_options;
  run_options.order = eql::QueryRunOptions::Order::Given;  // the corpus is in search order
  run_options.max_samples_per_key =
      static_cast<std::size_t>(std::max<std::int64_t>(spec.max_samples_per_key.value_or(1), 1));
  run_options.size = static_cast<std::size_t>(spec.size.value_or(options.default_size));
  // Pipes and size count events, or whole matches whose ids and keys are flattened.
  eql::QuerySink sink;
  sink.event = [&](const eql::EventRef& event) { ids.push_back(id_of(event.get())); };
  sink.match = [&](const eql::JoinResult& match) {
    for (const auto& event : match.events) ids.push_back(id_of(event.get()));
    for (const auto& key : match.keys) keys.push_back(key.display());
  };
  eql::QueryRunCompileResult compiled = eql::QueryRun::compile(query, run_options, std::move(sink));
  if (!compiled.run) {
    const eql::Diagnostics& problems = compiled.diagnostics;
    bool bad_pipe = std::any_of(problems.begin(), problems.end(),
                                [](const eql::Diagnostic& d) { return d.code == "query.unsupported-pipe"; });
    if (bad_pipe) return std::string("unsupported pipe");
    return "compile error: " + problems.front().message;
  }
  if (query.sample()) {
    // A sample ignores time: events are offered in the order the indices hold them.
    std::vector<eql::EventRef> by_input(corpus.refs);
    std::sort(by_input.begin(), by_input.end(),
              [](const eql::EventRef& a, const eql::EventRef& b) { return a->ordinal < b->ordinal; });
    for (const auto& event : by_input) compiled.run->push(event);
  } else {
    for (const auto& event : corpus.refs) compiled.run->push(event);
  }
  compiled.run->finish();
  return std::nullopt;
}

// The commented-out specs: queries Elasticsearch rejects must be rejected here too.
void check_commented(const eql::conformance::SpecFile& spec_file, const Options& options,
                     const eql::ParseOptions& parse_options, const eql::FilterOptions& filter_options) {
  const auto& commented = spec_file.commented;
  if (!commented.empty()) {
    std::size_t rejected = 0, accepted = 0;
    for (const auto& [line, name, text] : commented) {
      if (text.empty()) {
        std::printf("note: %s:%u: commented-out spec without a readable query\n", options.spec.c_str(), line);
        continue;
      }
      if (query_accepted(text, parse_options, filter_options)) {
        ++accepted;
        std::printf("accepted commented-out spec (%s:%u): %s\n", options.spec.c_str(), line, one_line(text).c_str());
      } else {
        ++rejected;
      }
    }
    std::printf("%zu commented-out specs rejected, %zu accepted\n", rejected, accepted);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string error;
  if (!parse_options(argc, argv, options, error)) {
    std::fprintf(stderr, "eql-conformance: %s\n\n%s", error.c_str(), kUsage);
    return kExitUsage;
  }
  if (options.id_field.empty()) options.id_field = options.tiebreaker.empty() ? "id" : options.tiebreaker;

  eql::FieldTable fields(true);
  std::vector<eql::Event> events;
  if (!load_data(options, fields, events)) return kExitUsage;
  stamp_and_order(options, fields, events);

  // ---- specs ----
  auto spec_text = read_file(options.spec);
  if (!spec_text) {
    std::fprintf(stderr, "eql-conformance: cannot read %s\n", options.spec.c_str());
    return kExitUsage;
  }
  auto spec_file = eql::conformance::read_spec_file(*spec_text, options.spec, error);
  if (!spec_file) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitUsage;
  }
  const std::vector<eql::conformance::Spec>& specs = spec_file->specs;

  auto started = std::chrono::steady_clock::now();
  std::size_t passed = 0, failed = 0, not_run = 0;
  eql::ParseOptions parse_options;
  Corpus corpus;
  corpus.filter_options.field_types = &fields;
  // Sequences and samples keep references to the events they match.
  corpus.refs.reserve(events.size());
  for (const auto& event : events) corpus.refs.push_back(std::make_shared<const eql::Event>(event));

  for (const eql::conformance::Spec& spec : specs) {
    auto report_failure = [&](const std::string& got) {
      ++failed;
      std::printf("FAIL %s (%s:%u)\n  query:    %s\n", spec.name.c_str(), options.spec.c_str(), spec.line,
                  one_line(spec.query).c_str());
      std::string expected;
      for (std::size_t i = 0; i < spec.expected.size(); ++i) expected += (i ? " or " : "") + join_ids(spec.expected[i]);
      std::printf("  expected: %s\n  got:      %s\n", expected.c_str(), got.c_str());
    };
    eql::ParseResult result = eql::parse_query(spec.query, parse_options);
    if (!result.ok()) {
      std::string message = result.diagnostics.empty() ? "parse error" : result.diagnostics.front().message;
      std::string head = one_line(spec.query).substr(0, 8);
      bool sequence_text = head.rfind("sequence", 0) == 0 || head.rfind("sample", 0) == 0;
      if (options.event_queries_only && sequence_text) {
        // Counted with the sequences that are not run, but never silently: say it.
        ++not_run;
        std::printf("note: %s (%s:%u) is a sequence/sample spec that does not parse: %s\n", spec.name.c_str(),
                    options.spec.c_str(), spec.line, message.c_str());
        continue;
      }
      report_failure("parse error: " + message);
      continue;
    }
    const eql::ast::Query& query = *result.query;
    if (options.event_queries_only && !query.event()) {
      ++not_run;  // counted and printed at the end, never silently
      if (options.verbose) std::printf("not run: %s (sequence/sample)\n", spec.name.c_str());
      continue;
    }
    std::vector<std::int64_t> ids;
    std::vector<std::string> keys;
    if (std::optional<std::string> problem = results_of(spec, query, options, corpus, ids, keys)) {
      report_failure(*problem);
      continue;
    }
    const bool joined = query.sequence() || query.sample();
    if (joined && !spec.join_keys.empty() && keys != spec.join_keys) {
      std::string got_keys;
      for (const auto& k : keys) got_keys += (got_keys.empty() ? "" : ", ") + k;
      report_failure(join_ids(ids) + " with join keys [" + got_keys + "]");
      continue;
    }
    bool ok = spec.expected.empty() ? ids.empty()
                                    : std::any_of(spec.expected.begin(), spec.expected.end(),
                                                  [&](const auto& alternative) { return alternative == ids; });
    if (ok) {
      ++passed;
      if (options.verbose) std::printf("ok   %s\n", spec.name.c_str());
    } else {
      report_failure(join_ids(ids));
    }
  }

  check_commented(*spec_file, options, parse_options, corpus.filter_options);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options.verbose) std::printf("%zu events, %.3f s\n", events.size(), seconds);
  if (not_run > 0) {
    std::printf("not run: %zu sequence/sample specs (--event-queries-only)\n", not_run);
  }
  if (!options.label.empty()) std::printf("%s: ", options.label.c_str());
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed == 0 ? kExitOk : kExitFailures;
}
