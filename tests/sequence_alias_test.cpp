// Stage aliases of the endpoint dialect (`[file where ...] as event0`, then `event0.file.name`
// in a later stage's condition): the sequence matcher judges such a condition against each
// partial sequence it holds (docs/endpoint.md). Cases from the documented rule, the caller's
// verdict path (the runner's), a random differential test against a direct model of the
// rule, and the refused forms.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "eql/parser.h"
#include "eql/sequence.h"
#include "eval_builder.h"

namespace {

eql::EventRef event(int id, std::int64_t millis, const std::string& category, const std::string& extra = "") {
  std::string json = "{\"id\": " + std::to_string(id) + ", \"event\": {\"category\": \"" + category +
                     "\"}, \"process\": {\"entity_id\": \"p\"}" + (extra.empty() ? "" : ", " + extra) + "}";
  return eql::testing::timed_event(json, millis, static_cast<std::uint64_t>(id));
}

eql::ParseResult parse(const std::string& text) {
  eql::ParseOptions options;
  options.dialect = eql::Dialect::Endpoint;
  auto parsed = eql::parse_query(text, options);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.diagnostics.empty() ? "" : parsed.diagnostics[0].message));
  return parsed;
}

std::vector<std::string> lines_of(eql::SequenceMatcher& matcher) {
  std::vector<std::string> out;
  for (const auto& match : matcher.take_results()) {
    std::string line;
    for (const auto& e : match.events) line += (line.empty() ? "" : ",") + std::to_string(e->first("id").integer);
    out.push_back(line);
  }
  return out;
}

/// Runs the query over `events`; with `verdicts`, as the runner does: the term filters
/// decided first (their relaxed verdict) and handed to push().
std::vector<std::string> run(const std::string& text, const std::vector<eql::EventRef>& events, bool verdicts = false,
                             eql::SequenceStats* stats = nullptr, std::size_t max_pending = 1'000'000) {
  auto parsed = parse(text);
  const eql::ast::Sequence& sequence = *parsed.query->sequence();
  eql::SequenceOptions options;
  options.max_pending = max_pending;
  std::vector<eql::FilterProgram> filters;
  for (const auto& term : sequence.terms) {
    auto compiled = eql::compile_filter(term.filter, options.filter);
    REQUIRE(compiled.program);
    filters.push_back(*compiled.program);
  }
  auto compiled = eql::SequenceMatcher::compile(sequence, options, filters);
  REQUIRE_MESSAGE(compiled.matcher, (compiled.diagnostics.empty() ? "" : compiled.diagnostics[0].message));
  eql::EvalContext context;
  for (const auto& e : events) {
    if (!verdicts) {
      compiled.matcher->push(e, context);
      continue;
    }
    std::uint64_t bits = 0;
    for (std::size_t t = 0; t < filters.size(); ++t) {
      if (filters[t].matches(*e, context)) bits |= std::uint64_t{1} << t;
    }
    compiled.matcher->push(e, context, bits);
  }
  compiled.matcher->finish();
  if (stats) *stats = compiled.matcher->stats();
  return lines_of(*compiled.matcher);
}

using Lines = std::vector<std::string>;

const char* kLoad =
    "sequence by process.entity_id with maxspan=1s [file where true] as event0 "
    "[library where dll.name == event0.file.name]";

}  // namespace

TEST_CASE("an aliased stage's field is read from the event of that stage in the partial") {
  for (bool verdicts : {false, true}) {
    CAPTURE(verdicts);
    CHECK(run(kLoad, {event(1, 0, "file", R"("file": {"name": "a.dll"})"),
                      event(2, 10, "library", R"("dll": {"name": "a.dll"})")},
              verdicts) == Lines{"1,2"});
    CHECK(run(kLoad, {event(1, 0, "file", R"("file": {"name": "a.dll"})"),
                      event(2, 10, "library", R"("dll": {"name": "b.dll"})")},
              verdicts)
              .empty());
  }
}

TEST_CASE("a newer partial does not shadow an older one that satisfies the reference") {
  // Writes a.dll, then b.dll, then loads a.dll: one partial per stage (the newest) would
  // hold b.dll only and miss.
  std::vector<eql::EventRef> events{event(1, 0, "file", R"("file": {"name": "a.dll"})"),
                                    event(2, 5, "file", R"("file": {"name": "b.dll"})"),
                                    event(3, 10, "library", R"("dll": {"name": "a.dll"})"),
                                    event(4, 20, "library", R"("dll": {"name": "b.dll"})")};
  CHECK(run(kLoad, events) == Lines{"1,3", "2,4"});
  CHECK(run(kLoad, events, true) == Lines{"1,3", "2,4"});
}

TEST_CASE("the aliased event expired by maxspan ends its partial") {
  eql::SequenceStats stats;
  CHECK(run(kLoad,
            {event(1, 0, "file", R"("file": {"name": "a.dll"})"),
             event(2, 1001, "library", R"("dll": {"name": "a.dll"})")},
            false, &stats)
            .empty());
  CHECK(stats.expired == 1);
  CHECK(stats.pending == 0);
  CHECK(run(kLoad, {event(1, 0, "file", R"("file": {"name": "a.dll"})"),
                    event(2, 1000, "library", R"("dll": {"name": "a.dll"})")}) == Lines{"1,2"});
}

TEST_CASE("a negated reference: the runner's verdict is a necessary condition, the matcher's exact") {
  const char* query =
      "sequence by process.entity_id [file where true] as event0 "
      "[library where not dll.name == event0.file.name]";
  std::vector<eql::EventRef> events{event(1, 0, "file", R"("file": {"name": "a.dll"})"),
                                    event(2, 5, "library", R"("dll": {"name": "a.dll"})"),
                                    event(3, 6, "library", R"("dll": {"name": "c.dll"})")};
  CHECK(run(query, events) == Lines{"1,3"});
  CHECK(run(query, events, true) == Lines{"1,3"});
}

TEST_CASE("a later stage tells apart partials that an earlier stage advanced alike") {
  const char* query =
      "sequence by process.entity_id [file where true] as event0 [network where true] "
      "[library where dll.name == event0.file.name]";
  std::vector<eql::EventRef> events{event(1, 0, "file", R"("file": {"name": "a.dll"})"),
                                    event(2, 1, "file", R"("file": {"name": "b.dll"})"),
                                    event(3, 2, "network"),
                                    event(4, 3, "library", R"("dll": {"name": "a.dll"})")};
  CHECK(run(query, events) == Lines{"1,3,4"});
}

TEST_CASE("an aliased event's fields inside _arraysearch's condition") {
  const char* query =
      "sequence by process.entity_id [library where true] as event0 "
      "[api where _arraysearch(process.thread.Ext.call_stack, $entry, "
      "stringcontains~($entry.symbol_info, event0.dll.name))]";
  auto api = [](int id, const char* symbol) {
    return event(id, id, "api",
                 std::string(R"("process.thread.Ext.call_stack": [{"symbol_info": "ntdll.dll!x"}, {"symbol_info": ")") +
                     symbol + "\"}]");
  };
  CHECK(run(query, {event(1, 0, "library", R"("dll": {"name": "Evil.DLL"})"), api(2, "c:/evil.dll!Run")}) ==
        Lines{"1,2"});
  CHECK(run(query, {event(1, 0, "library", R"("dll": {"name": "Evil.DLL"})"), api(2, "c:/good.dll!Run")}).empty());
  CHECK(run(query, {event(1, 0, "library", R"("dll": {"name": "Evil.DLL"})"), api(2, "c:/good.dll!Run")}, true)
            .empty());
}

TEST_CASE("partials of a sequence with aliases are capped, and evictions counted") {
  eql::SequenceStats stats;
  std::vector<eql::EventRef> events;
  for (int i = 1; i <= 5; ++i) events.push_back(event(i, i, "file", "\"file\": {\"name\": \"" + std::to_string(i) + "\"}"));
  events.push_back(event(6, 10, "library", R"("dll": {"name": "1"})"));
  events.push_back(event(7, 11, "library", R"("dll": {"name": "5"})"));
  CHECK(run(kLoad, events, false, &stats, 3) == Lines{"5,7"});
  CHECK(stats.evicted == 2);
}

TEST_CASE("the fields read through an alias are the matcher's fields") {
  auto parsed = parse(kLoad);
  auto compiled = eql::SequenceMatcher::compile(*parsed.query->sequence(), {});
  REQUIRE(compiled.matcher);
  auto fields = compiled.matcher->fields();
  CHECK(std::find(fields.begin(), fields.end(), "file.name") != fields.end());
  CHECK(std::find(fields.begin(), fields.end(), "dll.name") != fields.end());
}

TEST_CASE("references the matcher cannot judge per partial are refused") {
  for (const char* query : {
           "sequence by process.entity_id [file where true] as event0 ![library where dll.name == event0.file.name] "
           "[network where true]",
           "sequence by process.entity_id [file where true] as event0 [network where true] "
           "until [library where dll.name == event0.file.name]",
           "sequence by process.entity_id [file where true] with runs=2 as event0 "
           "[library where dll.name == event0.file.name]",
       }) {
    CAPTURE(query);
    eql::ParseOptions options;
    options.dialect = eql::Dialect::Endpoint;
    auto parsed = eql::parse_query(query, options);
    if (!parsed.ok()) continue;  // refused by the parser already
    auto compiled = eql::SequenceMatcher::compile(*parsed.query->sequence(), {});
    CHECK_FALSE(compiled.matcher);
    REQUIRE_FALSE(compiled.diagnostics.empty());
    CHECK(compiled.diagnostics[0].code == "eval.endpoint-unsupported");
  }
}

TEST_CASE("random sequences with aliases against a direct model of the rule") {
  // The rule (docs/endpoint.md): every first-stage event starts its own candidate; a
  // candidate takes, at each later stage, the first later event of that stage whose
  // condition holds with the candidate's own aliased events, within maxspan of its first.
  const char* query =
      "sequence with maxspan=6ms [a where true] as e0 [b where v == e0.v] as e1 [c where w != e0.v and w != e1.w]";
  std::mt19937 random(21);
  int passed = 0;
  int failed = 0;
  for (int round = 0; round < 300; ++round) {
    struct Raw {
      char category;
      int v, w;
      std::int64_t time;
    };
    std::vector<Raw> raws;
    std::vector<eql::EventRef> events;
    std::int64_t time = 0;
    for (int i = 0; i < 14; ++i) {
      time += static_cast<std::int64_t>(random() % 3);
      Raw raw{"abc"[random() % 3], static_cast<int>(random() % 3), static_cast<int>(random() % 3), time};
      raws.push_back(raw);
      events.push_back(event(i + 1, time, std::string(1, raw.category),
                             "\"v\": " + std::to_string(raw.v) + ", \"w\": " + std::to_string(raw.w)));
    }
    struct Done {
      std::size_t last, first;
      std::string line;
    };
    std::vector<Done> model;
    for (std::size_t first = 0; first < raws.size(); ++first) {
      if (raws[first].category != 'a') continue;
      std::vector<std::size_t> taken{first};
      for (std::size_t j = first + 1; j < raws.size() && taken.size() < 3; ++j) {
        if (raws[j].time - raws[first].time > 6) break;
        const Raw& e = raws[j];
        bool fits = taken.size() == 1 ? e.category == 'b' && e.v == raws[first].v
                                      : e.category == 'c' && e.w != raws[first].v && e.w != raws[taken[1]].w;
        if (fits) taken.push_back(j);
      }
      if (taken.size() == 3) {
        model.push_back({taken[2], first, std::to_string(taken[0] + 1) + "," + std::to_string(taken[1] + 1) + "," +
                                              std::to_string(taken[2] + 1)});
      }
    }
    std::sort(model.begin(), model.end(),
              [](const Done& x, const Done& y) { return x.last != y.last ? x.last < y.last : x.first < y.first; });
    Lines expected;
    for (const Done& d : model) expected.push_back(d.line);
    const bool verdicts = round % 2 == 1;
    Lines got = run(query, events, verdicts);
    bool ok = got == expected;
    if (!ok) CHECK(got == expected);
    ok ? ++passed : ++failed;
  }
  CHECK(failed == 0);
  std::printf("sequence-alias-random: %d passed, %d failed\n", passed, failed);
}

TEST_CASE("a trace marks the cross-stage leaves, whose verdict there is the relaxed one") {
  auto parsed = parse(kLoad);
  auto compiled = eql::compile_filter(parsed.query->sequence()->terms[1].filter, {});
  REQUIRE(compiled.program);
  eql::EvalContext context;
  eql::FilterTrace trace;
  CHECK(compiled.program->trace(*event(1, 0, "library", R"("dll": {"name": "a.dll"})"), context, trace));
  int cross = 0;
  for (const auto& node : trace.nodes) cross += node.cross ? 1 : 0;
  CHECK(cross == 1);
}
