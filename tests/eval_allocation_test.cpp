// Once warm, evaluating a compiled filter, and feeding a sequence matcher, allocate nothing
// per event in the common case.
// Global operator new/delete (plain, array and nothrow forms, so that every pair matches)
// are replaced in this test binary to count allocations while a flag is raised; nothing
// else changes.
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>

#include "eql/parser.h"
#include "eql/sequence.h"
#include "eval_builder.h"

// The replacements below pair malloc with free, which is correct for replaced global
// new/delete; GCC's inliner cannot see that and warns (-Wmismatched-new-delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (counting) ++allocations;
  return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

TEST_CASE("evaluating a warm program allocates nothing per event") {
  // The counter sees allocations at all.
  allocations = 0;
  counting = true;
  auto* probe = new std::string(100, 'x');
  counting = false;
  CHECK(allocations >= 1);
  delete probe;

  eql::FieldTable types(false);
  types.add("@timestamp", eql::FieldInfo{eql::FieldType::Date, "@timestamp", std::nullopt, {}});
  types.add("source.ip", eql::FieldInfo{eql::FieldType::Ip, "source.ip", std::nullopt, {}});
  const char* queries[] = {
      R"(process where host.os.type == "windows" and event.type == "start" and
         process.parent.name : "WmiPrvSE.exe" and process.name : "cmd.exe" and
         process.args : "\\\\127.0.0.1\\*" and process.args : ("2>&1", "1>"))",
      R"(process where process.name regex~ "c[a-z]d\\.exe" and not process.args in~ ("/Q", "x"))",
      R"(process where startsWith~(process.name, "CMD") and length(process.name) > 3 and
         between(process.command_line, "/c ", " ") != "" and concat(process.pid, ":", process.name) : "*:cmd*")",
      R"(any where @timestamp > "2020-01-01T00:00:00Z" and cidrMatch(source.ip, "10.0.0.0/8", "fd00::/8") and
         process.pid % 7 >= 0 and indexOf~(process.name, "EXE") == 4 and substring(process.name, -4) == ".exe")",
  };
  std::vector<eql::Event> events = {
      eql::testing::event(R"({"@timestamp":"2024-01-31T14:23:00.443Z","host":{"os":{"type":"windows"}},
        "event":{"category":["process"],"type":["start"]},"source":{"ip":"10.1.2.3"},
        "process":{"pid":5524,"name":"cmd.exe","command_line":"cmd.exe /c whoami /all",
        "args":["cmd.exe","/Q","/c","1>","\\\\127.0.0.1\\ADMIN$\\__1","2>&1"],"parent":{"name":"WmiPrvSE.exe"}}})"),
      eql::testing::event(R"({"@timestamp":"2024-01-31T14:23:01Z","event":{"category":"process"},
        "process":{"pid":17,"name":"CMD.EXE","args":"cmd.exe /c x"}})"),
      eql::testing::event(R"({"event":{"category":"network"},"source":{"ip":"fd00::1"}})"),
  };
  for (const char* text : queries) {
    CAPTURE(std::string(text));
    auto parsed = eql::parse_query(text);
    REQUIRE(parsed.ok());
    eql::FilterOptions options;
    options.field_types = &types;
    auto compiled = eql::compile_filter(*parsed.query->event(), options);
    REQUIRE(compiled.program);
    eql::EvalContext context;
    std::size_t matched = 0;
    for (const auto& event : events) matched += compiled.program->matches(event, context);  // warm up
    allocations = 0;
    counting = true;
    for (int round = 0; round < 100; ++round) {
      for (const auto& event : events) matched += compiled.program->matches(event, context);
    }
    counting = false;
    CHECK(allocations == 0);
    CHECK(matched > 0);
  }
}

TEST_CASE("feeding a warm sequence matcher allocates only the compact copies its partials keep") {
  // Keys as long as real entity ids (beyond std::string's inline buffer), two key fields;
  // each round: a first-stage event for a key with state (a partial restarts), a later
  // stage for a key without state (a lookup that finds nothing), a middle stage taking a
  // partial forward, and a first stage again. Nothing completes (results allocate) and
  // maxspan expires the old partials, so the state stays the same size. Reading keys and
  // finding state allocate nothing; what a partial keeps of an event is a copy without the
  // parsed fields (Event::without_fields: the body, its JSON text and the shared event, three
  // allocations), made for the three events of a round that start or extend a partial.
  auto parsed = eql::parse_query(
      "sequence by host.id, process.entity_id with maxspan=1s "
      "[process where true] [network where true] [file where true]");
  REQUIRE(parsed.ok());
  auto compiled = eql::SequenceMatcher::compile(*parsed.query->sequence(), {});
  REQUIRE(compiled.matcher);
  eql::SequenceMatcher& matcher = *compiled.matcher;
  auto event = [](int round, int step, const std::string& category, const std::string& host) {
    auto e = eql::testing::event(R"({"event":{"category":")" + category + R"("},"host":{"id":")" + host +
                                 R"("},"process":{"entity_id":"{a4c1f2d0-5b7e-4c1a-9d3e-000000000001}"}})");
    e.timestamp = std::int64_t{round} * 4'000'000 + step * 1'000'000;  // 1 ms apart
    e.ordinal = static_cast<std::uint64_t>(round) * 4 + static_cast<std::uint64_t>(step);
    return std::make_shared<const eql::Event>(std::move(e));
  };
  const std::string known = "6f1f1e04-8d5c-4d8f-9a57-2f0b1c3d4e5f";
  const std::string unknown = "0b8e2c53-1d2a-4f3b-8c4d-5e6f7a8b9c0d";
  constexpr int kWarmRounds = 6000;  // past the partial FIFO's trim threshold
  constexpr int kRounds = 8000;
  std::vector<std::pair<eql::EventRef, std::uint64_t>> feed;  // an event, its term matches
  for (int round = 0; round < kWarmRounds + kRounds; ++round) {
    feed.emplace_back(event(round, 0, "process", known), 1u);
    feed.emplace_back(event(round, 1, "network", unknown), 2u);
    feed.emplace_back(event(round, 2, "network", known), 2u);
    feed.emplace_back(event(round, 3, "process", known), 1u);
  }
  eql::EvalContext context;
  std::size_t i = 0;
  for (; i < static_cast<std::size_t>(kWarmRounds) * 4; ++i) matcher.push(feed[i].first, context, feed[i].second);
  allocations = 0;
  counting = true;
  for (; i < feed.size(); ++i) matcher.push(feed[i].first, context, feed[i].second);
  counting = false;
  CHECK(allocations == std::size_t{kRounds} * 3 * 3);
  CHECK(matcher.stats().pending >= 1);
  CHECK(matcher.stats().completed == 0);
  CHECK(matcher.take_results().empty());
}
