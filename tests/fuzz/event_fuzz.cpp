// libFuzzer target: the event reader and the evaluator behind it.
// The input is a file of events (NDJSON, a JSON array, a search response). It is read with
// read_events_from_text and every event is run through a fixed set of compiled queries that
// cover what the corpus uses: event filters (comparisons, `:` wildcards, regexes, cidrMatch,
// string functions, arithmetic), a sequence with join keys, maxspan, runs and until, a
// sequence with a missing event, and a sample.
// Properties checked on every input:
//  - the reader: no crash, hang or sanitizer report; every problem names a line and column
//    inside the input; one problem per skipped line; events arrive numbered 0, 1, 2...;
//    an event's JSON reads again to the same fields and values;
//  - filters: `A and B` matches exactly when both match, `A or B` when either does, and
//    `not A` never matches an event that A matches;
//  - sequences and samples: each result has one event per stage, each event matches its
//    stage's filter, events are in time order within maxspan, completed counts agree.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "eql/sequence.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "event_fuzz: %s\n  %s\n", what, detail.c_str());
  std::abort();
}

eql::ast::Query parse_fixed(const std::string& text) {
  eql::ParseResult parsed = eql::parse_query(text);
  if (!parsed.ok()) fail("a fixed query does not parse", text + ": " + parsed.diagnostics.front().message);
  return std::move(*parsed.query);
}

eql::FilterProgram compile_fixed(const eql::ast::EventFilter& filter, const std::string& category_field,
                                 const std::string& text) {
  eql::FilterOptions options;
  options.category_field = category_field;
  eql::FilterCompileResult compiled = eql::compile_filter(filter, options);
  if (!compiled.program) fail("a fixed filter does not compile", text);
  return *compiled.program;
}

// Three filters A, B and a combination of them, checked against each other.
struct FilterTriple {
  enum class Combination { And, Or, Not };
  Combination combination;
  eql::FilterProgram a, b, combined;
  std::string text;
};

struct SequenceQuery {
  std::string text;
  std::string category_field;
  eql::ast::Query query;
  std::vector<eql::FilterProgram> stage_filters;  // one per stage (runs expanded)
  std::vector<bool> missing;                      // per stage
};

struct SampleQuery {
  std::string text;
  eql::ast::Query query;
  std::vector<eql::FilterProgram> filters;
};

struct Queries {
  std::vector<FilterTriple> triples;
  std::vector<SequenceQuery> sequences;
  std::vector<SampleQuery> samples;
};

// Conditions drawn from the detection-rules corpus (ECS fields) and the conformance data
// (endgame fields), each a complete `where` condition.
const char* const kEcsConditions[] = {
    R"(process.name : ("cmd.exe", "powershell.exe", "*.tmp") and process.args : "*-enc*")",
    R"(process.parent.name : "explorer.exe" or process.pe.original_file_name == "rundll32.exe")",
    R"(process.command_line : "*\\AppData\\*" and not process.executable : "C:\\Windows\\*")",
    R"(process.name regex~ "(cmd|powershell)\\.exe" or file.path regex ".*[0-9]{2,}\\..*")",
    R"(file.extension in~ ("exe", "dll", "ps1") and file.size > 1024)",
    R"(cidrMatch(source.ip, "10.0.0.0/8", "192.168.0.0/16", "fe80::/10"))",
    R"(destination.port in (22, 445, 3389) or network.transport == "udp")",
    R"(length(process.name) > 8 and startsWith~(process.name, "sys"))",
    R"(stringContains(process.command_line, "http") and indexOf(process.command_line, "//") > 3)",
    R"(substring(process.name, 0, 3) == "cmd" or endsWith(file.name, ".lnk"))",
    R"(concat(user.name, "@", host.name) : "*admin*" or between(file.path, "\\", "\\") == "Users")",
    R"(process.pid + 1 > 100 and process.pid % 7 == 3)",
    R"(add(process.pid, process.parent.pid) * 2 < 50000 or divide(file.size, 0) == 1)",
    R"(number(process.args_count) >= 2 or string(event.`sequence`) : "1*")",
    R"(event.type : "start" and event.action like~ ("exec*", "fork", "start"))",
    R"(?process.Ext.token.integrity_level_name != null and registry.path : "*\\Run\\*")",
    R"(dns.question.name : "*.*.*.*.*.*.*.*.*.com" or url.full : "*a*a*a*a*a*a*b")",
    R"(host.os.type == "windows" and user.id != "S-1-5-18")",
};
const char* const kEndgameConditions[] = {
    R"(process_name : "cmd.exe" and command_line : "* /c *")",
    R"(serial_event_id < 50 or unique_pid == 1)",
    R"(event_type == "process" and opcode in (1, 3))",
    R"(process_path regex ".*\\\\(cmd|net)\\.exe" or user_name : "S*")",
    R"(pid * 4 > 1000 and modulo(ppid, 4) == 0)",
    R"(length(file_name) > 5 and not file_name : "*.exe")",
};

void add_triples(Queries& queries, const std::string& category, const std::string& category_field,
                 const char* const* conditions, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    std::string a = conditions[i];
    std::string b = conditions[(i + 1) % count];
    auto program = [&](const std::string& condition) {
      std::string text = category + " where " + condition;
      eql::ast::Query query = parse_fixed(text);
      return compile_fixed(*query.event(), category_field, text);
    };
    FilterTriple::Combination combination = static_cast<FilterTriple::Combination>(i % 3);
    std::string combined = combination == FilterTriple::Combination::And  ? "(" + a + ") and (" + b + ")"
                           : combination == FilterTriple::Combination::Or ? "(" + a + ") or (" + b + ")"
                                                                           : "not (" + a + ")";
    queries.triples.push_back({combination, program(a), program(b), program(combined), category + " where " + combined});
  }
}

void add_sequence(Queries& queries, const std::string& text, const std::string& category_field) {
  SequenceQuery sequence{text, category_field, parse_fixed(text), {}, {}};
  const eql::ast::Sequence& ast = *sequence.query.sequence();
  for (const eql::ast::Term& term : ast.terms) {
    for (std::int64_t run = 0; run < term.runs; ++run) {
      sequence.stage_filters.push_back(compile_fixed(term.filter, category_field, text));
      sequence.missing.push_back(term.missing);
    }
  }
  queries.sequences.push_back(std::move(sequence));
}

const Queries& fixed_queries() {
  static const Queries queries = [] {
    Queries q;
    add_triples(q, "any", "event.category", kEcsConditions, std::size(kEcsConditions));
    add_triples(q, "process", "event.category", kEcsConditions, 6);
    add_triples(q, "any", "event_type", kEndgameConditions, std::size(kEndgameConditions));
    add_sequence(q,
                 "sequence by host.id with maxspan=5m "
                 "[process where process.name : \"*.exe\"] by process.entity_id "
                 "[network where destination.port > 0] by process.entity_id "
                 "until [process where event.type == \"end\"] by process.entity_id",
                 "event.category");
    add_sequence(q, "sequence with maxspan=1h [any where true] with runs=2 [file where file.size > 0]",
                 "event.category");
    add_sequence(q, "sequence by unique_pid with maxspan=10s [process where true] ![file where opcode == 2] [any where opcode > 0]",
                 "event_type");
    for (const char* text : {"sample by host.id [process where true] [network where true]",
                             "sample by ppid [any where pid > 0] [any where opcode == 1] [any where true]"}) {
      SampleQuery sample{text, parse_fixed(text), {}};
      for (const eql::ast::Term& term : sample.query.sample()->terms) {
        sample.filters.push_back(compile_fixed(term.filter, "event.category", text));
      }
      q.samples.push_back(std::move(sample));
    }
    return q;
  }();
  return queries;
}

void check_reread(const eql::Event& event) {
  std::string error;
  std::optional<eql::Event> again = eql::parse_event(event.json(), error);
  if (!again) fail("an event's JSON does not read again", error + ": " + event.json());
  std::vector<std::string_view> paths = event.paths();
  if (paths != again->paths()) fail("an event's JSON reads again to other fields", event.json());
  for (std::string_view path : paths) {
    auto a = event.values(path);
    auto b = again->values(path);
    if (a.empty()) fail("a listed path has no value", std::string(path));
    if (a.size() != b.size()) fail("an event's JSON reads again to another number of values", std::string(path));
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string json_a, json_b;
      eql::append_json(json_a, a[i]);
      eql::append_json(json_b, b[i]);
      if (a[i].kind != b[i].kind || json_a != json_b) {
        fail("an event's JSON reads again to other values", std::string(path));
      }
    }
  }
}

void check_filters(const std::vector<std::shared_ptr<const eql::Event>>& events, eql::EvalContext& context) {
  for (const FilterTriple& triple : fixed_queries().triples) {
    for (const auto& event : events) {
      bool a = triple.a.matches(*event, context);
      bool b = triple.b.matches(*event, context);
      bool combined = triple.combined.matches(*event, context);
      bool expected = triple.combination == FilterTriple::Combination::And  ? (a && b)
                      : triple.combination == FilterTriple::Combination::Or ? (a || b)
                                                                            : (combined ? !a : combined);
      if (combined != expected) fail("a combined filter disagrees with its parts", triple.text + "\n  " + event->json());
    }
  }
}

void check_sequences(const std::vector<std::shared_ptr<const eql::Event>>& ordered, std::size_t without_timestamp,
                     eql::EvalContext& context) {
  for (const SequenceQuery& sequence : fixed_queries().sequences) {
    eql::SequenceOptions options;
    options.filter.category_field = sequence.category_field;
    options.max_pending = 4;  // small, so that eviction runs too
    eql::SequenceCompileResult compiled = eql::SequenceMatcher::compile(*sequence.query.sequence(), options);
    if (!compiled.matcher) fail("a fixed sequence does not compile", sequence.text);
    eql::SequenceMatcher& matcher = *compiled.matcher;
    if (matcher.stage_count() != sequence.stage_filters.size()) fail("stage count", sequence.text);
    std::vector<eql::JoinResult> results;
    for (const auto& event : ordered) {
      matcher.push(event, context);
      // A new partial is stored before the oldest is evicted, so the peak may pass the cap
      // by one; after each event the cap holds.
      if (matcher.stats().pending > options.max_pending) fail("more partials than max_pending", sequence.text);
      for (auto& result : matcher.take_results()) results.push_back(std::move(result));
    }
    matcher.finish();
    for (auto& result : matcher.take_results()) results.push_back(std::move(result));
    const eql::SequenceStats& stats = matcher.stats();
    if (stats.events_seen != ordered.size()) fail("events seen", sequence.text);
    if (stats.events_without_timestamp != without_timestamp) fail("events without a timestamp", sequence.text);
    if (stats.completed != results.size()) fail("completed count differs from the results", sequence.text);
    if (stats.peak_pending > options.max_pending + 1) fail("a peak of partials past max_pending", sequence.text);
    const auto* maxspan = sequence.query.sequence()->maxspan ? &*sequence.query.sequence()->maxspan : nullptr;
    for (const eql::JoinResult& result : results) {
      if (result.events.size() != sequence.stage_filters.size()) fail("a result without one event per stage", sequence.text);
      const eql::Event* previous = nullptr;
      const eql::Event* first = nullptr;
      for (std::size_t i = 0; i < result.events.size(); ++i) {
        const eql::Event* event = result.events[i].get();
        if (sequence.missing[i] != (event == nullptr)) fail("a missing stage holds an event or a stage lacks one", sequence.text);
        if (!event) continue;
        if (!event->timestamp) fail("a sequence result holds an event without a timestamp", sequence.text);
        if (!sequence.stage_filters[i].matches(*event, context)) fail("a sequence event does not match its stage", sequence.text + "\n  " + event->json());
        if (previous && eql::sequence_order_before(*event, *previous)) fail("sequence events out of order", sequence.text);
        if (!first) first = event;
        previous = event;
      }
      if (maxspan && first && previous &&
          static_cast<__int128>(*previous->timestamp) - *first->timestamp > static_cast<__int128>(maxspan->millis) * 1'000'000) {
        fail("a sequence longer than its maxspan", sequence.text);
      }
    }
  }
}

void check_samples(const std::vector<std::shared_ptr<const eql::Event>>& events, eql::EvalContext& context) {
  for (const SampleQuery& sample : fixed_queries().samples) {
    eql::SampleOptions options;
    options.max_samples_per_key = 2;
    eql::SampleCompileResult compiled = eql::SampleMatcher::compile(*sample.query.sample(), options);
    if (!compiled.matcher) fail("a fixed sample does not compile", sample.text);
    for (const auto& event : events) compiled.matcher->push(event, context);
    std::vector<eql::JoinResult> results = compiled.matcher->finish();
    for (const eql::JoinResult& result : results) {
      if (result.events.size() != sample.filters.size()) fail("a sample without one event per filter", sample.text);
      for (std::size_t i = 0; i < result.events.size(); ++i) {
        if (!result.events[i] || !sample.filters[i].matches(*result.events[i], context)) {
          fail("a sample event does not match its filter", sample.text);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Queries& queries = fixed_queries();
  (void)queries;

  eql::EventReadOptions options;
  options.tiebreaker_field = "event.sequence";
  options.max_line_bytes = 12000;  // below the 16 KiB inputs, so that the line limit is exercised
  std::vector<std::shared_ptr<const eql::Event>> events;
  std::uint64_t problems = 0;
  std::uint64_t lines = 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  eql::ReadSummary summary = eql::read_events_from_text(
      "<fuzz>", text, options,
      [&](eql::Event&& event) {
        if (event.ordinal != events.size()) fail("events out of sequence", std::to_string(event.ordinal));
        events.push_back(std::make_shared<const eql::Event>(std::move(event)));
        return true;
      },
      [&](const eql::InputProblem& problem) {
        ++problems;
        if (problem.line < 1 || problem.line > lines || problem.column < 1) fail("a problem outside the input", problem.to_string());
        // The column may point one past the line's last byte (an error at its end).
        std::size_t at = 0;
        for (std::uint64_t l = 1; l < problem.line; ++l) at = text.find('\n', at) + 1;
        std::size_t line_end = std::min(text.find('\n', at), text.size());
        if (problem.column > line_end - at + 1) fail("a problem's column past its line", problem.to_string());
        if (problem.message.empty()) fail("a problem without a message", problem.to_string());
      });
  if (summary.events != events.size()) fail("the summary miscounts events", std::to_string(summary.events));
  if (summary.skipped != problems) fail("the summary miscounts skipped lines", std::to_string(summary.skipped));
  if (summary.io_error) fail("an I/O error from text in memory", "");

  for (const auto& event : events) check_reread(*event);
  eql::EvalContext context;
  check_filters(events, context);

  std::vector<std::shared_ptr<const eql::Event>> ordered;
  std::size_t without_timestamp = 0;
  for (const auto& event : events) {
    if (!event->timestamp) ++without_timestamp;
  }
  for (const auto& event : events) {
    if (!event->timestamp) ordered.push_back(event);  // ignored by the matcher, and counted
  }
  std::vector<std::shared_ptr<const eql::Event>> timed;
  for (const auto& event : events) {
    if (event->timestamp) timed.push_back(event);
  }
  std::stable_sort(timed.begin(), timed.end(), [](const auto& a, const auto& b) { return eql::sequence_order_before(*a, *b); });
  ordered.insert(ordered.end(), timed.begin(), timed.end());
  check_sequences(ordered, without_timestamp, context);
  check_samples(events, context);
  return 0;
}
