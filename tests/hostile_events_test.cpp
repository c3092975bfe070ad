// Hostile event input (issue 8): malformed and truncated JSON, a 100 MB line, 100,000
// levels of nesting, huge arrays, numbers past int64 and double, duplicate keys, invalid
// UTF-8, NUL bytes, byte order marks and CRLF; patterns built to make backtracking
// matchers explode, against values of up to 1 MB; and each reading limit exceeded through
// `eql run`. Every problem is reported at file:line:column and counted, and the lines
// around it are still read (docs/limits.md).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/run.h"
#include "run_harness.h"
#include "eql/eval.h"
#include "eql/event.h"
#include "eql/parser.h"

using namespace eql;

namespace {

struct Read {
  std::vector<Event> events;
  std::vector<InputProblem> problems;
  ReadSummary summary;
};

Read read_text(std::string_view text, const EventReadOptions& options = {}) {
  Read out;
  out.summary = read_events_from_text(
      "h.ndjson", text, options,
      [&](Event&& e) {
        out.events.push_back(std::move(e));
        return true;
      },
      [&](const InputProblem& p) { out.problems.push_back(p); });
  return out;
}

Read read_file(const std::string& path, const EventReadOptions& options = {}) {
  Read out;
  out.summary = read_events(
      path, options,
      [&](Event&& e) {
        out.events.push_back(std::move(e));
        return true;
      },
      [&](const InputProblem& p) { out.problems.push_back(p); });
  return out;
}

// A file in a fresh temporary folder, removed with it.
struct TempFile {
  std::filesystem::path folder;
  std::string path;
  explicit TempFile(const std::string& name) {
    folder = std::filesystem::temp_directory_path() /
             ("eql-hostile-" + std::to_string(std::hash<std::string>{}(name)) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    path = (folder / name).string();
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }
  void write(std::string_view text) const {
    std::ofstream out(path, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
};

std::string first_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::getline(in, line);
  return line;
}

// Checks that `got` read the events `a` and `b` around one problem on line `line`.
void check_one_problem_between(const Read& got, std::uint64_t line, const std::string& what) {
  INFO(what);
  REQUIRE(got.problems.size() == 1);
  CHECK(got.problems[0].line == line);
  CHECK(got.problems[0].column >= 1);
  CHECK(got.summary.skipped == 1);
  REQUIRE(got.events.size() == 2);
  CHECK(got.events[0].first("n").integer == 1);
  CHECK(got.events[1].first("n").integer == 3);
}

const std::string kBefore = "{\"n\":1}\n";
const std::string kAfter = "\n{\"n\":3}\n";

std::string deep_arrays(std::size_t levels) {
  return "{\"n\":2,\"a\":" + std::string(levels - 1, '[') + "1" + std::string(levels - 1, ']') + "}";
}

std::string deep_objects(std::size_t levels) {
  std::string out = "{\"n\":2";
  for (std::size_t i = 1; i < levels; ++i) out += ",\"k\":{\"v\":1";
  return out + std::string(levels, '}');
}

// The same depth with one value at the bottom only (no path repeated per level).
std::string deep_keys(std::size_t levels) {
  std::string out = "{\"n\":2";
  for (std::size_t i = 1; i < levels; ++i) out += i == 1 ? ",\"k\":{" : "\"k\":{";
  return out + "\"v\":1" + std::string(levels, '}');
}

}  // namespace

// ---- malformed and truncated JSON ----------------------------------------------------------

TEST_CASE("malformed JSON lines: each one reported at its line and column, the others read") {
  const std::vector<std::pair<std::string, std::uint64_t>> bad = {
      {"{\"a\":1,}", 8},       {"{\"a\" 1}", 6},          {"{a:1}", 2},
      {"{\"a\":01}", 7},       {"{\"a\":tru}", 9},        {"{\"a\":\"x}", 9},
      {"{\"a\":1}}", 8},       {"{\"a\":[1,2}", 10},      {"{\"a\":1} {\"b\":2}", 9},
      {"\"just a string\"", 16}, {"[1,2]", 1},             {"{\"a\":NaN}", 6},
      {"{\"a\":\"\\x\"}", 7},  {"{\"a\":-}", 7},          {"{\"a\":1.}", 8},
  };
  for (const auto& [line, column] : bad) {
    Read got = read_text(kBefore + line + kAfter);
    check_one_problem_between(got, 2, line);
    CHECK_MESSAGE(got.problems[0].column == column, line, " -> ", got.problems[0].to_string());
    CHECK(got.problems[0].to_string().rfind("h.ndjson:2:", 0) == 0);
  }
}

TEST_CASE("a real event cut after every byte: an error on its line, the lines around it read") {
  std::string event = first_line(EQL_SHARED_DIR "/corpus/events/crowdstrike.fdr.ndjson");
  REQUIRE(event.size() > 1000);
  REQUIRE(read_text(event).events.size() == 1);
  std::string all = kBefore;
  for (std::size_t cut = 1; cut < event.size(); ++cut) {
    std::string prefix = event.substr(0, cut);
    // In memory, between intact lines and as the last line of the file (no newline).
    Read between = read_text(kBefore + prefix + kAfter);
    check_one_problem_between(between, 2, prefix);
    CHECK(between.problems[0].column <= cut + 1);
    Read last = read_text(kBefore + prefix);
    REQUIRE(last.problems.size() == 1);
    CHECK(last.problems[0].line == 2);
    CHECK(last.events.size() == 1);
    all += prefix + "\n";
  }
  all += "{\"n\":3}\n";
  // Through a file as the CLI reads it (streamed line by line): one problem per cut line.
  TempFile file("cuts.ndjson");
  file.write(all);
  Read got = read_file(file.path);
  CHECK(got.problems.size() == event.size() - 1);
  CHECK(got.summary.skipped == event.size() - 1);
  REQUIRE(got.events.size() == 2);
  CHECK(got.events[1].first("n").integer == 3);
  bool lines_in_order = true;
  for (std::size_t i = 0; i < got.problems.size(); ++i) lines_in_order = lines_in_order && got.problems[i].line == i + 2;
  CHECK(lines_in_order);
}

// ---- size and nesting limits -----------------------------------------------------------------

TEST_CASE("a 100 MB line: past the default limit an error at file:line, counted; a raised limit reads it") {
  const std::size_t length = 100u << 20;
  std::string big = "{\"n\":2,\"blob\":\"" + std::string(length, 'x') + "\"}";
  TempFile file("big.ndjson");
  file.write(kBefore + big + kAfter);
  big.clear();
  big.shrink_to_fit();

  Read refused = read_file(file.path);
  check_one_problem_between(refused, 2, "default limit");
  CHECK(refused.problems[0].file == file.path);
  CHECK(refused.problems[0].message.find("longer than the limit of 67108864 bytes") != std::string::npos);

  EventReadOptions raised;
  raised.max_line_bytes = 128u << 20;
  Read read = read_file(file.path, raised);
  CHECK(read.problems.empty());
  REQUIRE(read.events.size() == 3);
  CHECK(read.events[1].first("blob").string.size() == length);
  CHECK(read.events[2].first("n").integer == 3);
}

TEST_CASE("the line limit applies to every line and counts each refused one") {
  EventReadOptions options;
  options.max_line_bytes = 20;
  std::string text = "{\"n\":1}\n{\"n\":2,\"pad\":\"0123456789\"}\n{\"n\":3}\n{\"n\":4,\"pad\":\"0123456789\"}\n{\"n\":5}\n";
  Read got = read_text(text, options);
  CHECK(got.events.size() == 3);
  REQUIRE(got.problems.size() == 2);
  CHECK(got.problems[0].line == 2);
  CHECK(got.problems[1].line == 4);
  CHECK(got.summary.skipped == 2);
  TempFile file("limit.ndjson");
  file.write(text);
  Read streamed = read_file(file.path, options);
  CHECK(streamed.events.size() == 3);
  CHECK(streamed.summary.skipped == 2);
}

TEST_CASE("100,000 levels of nesting: refused past the nesting limit without a crash, the next line read") {
  for (const std::string& deep : {deep_arrays(100'000), deep_objects(100'000), deep_keys(100'000)}) {
    Read got = read_text(kBefore + deep + kAfter);
    check_one_problem_between(got, 2, deep.substr(0, 20));
    CHECK(got.problems[0].message == "nested deeper than the limit of 1000 levels; skipped");
    // The column is the bracket that went one level too deep.
    CHECK(got.problems[0].column > 1000);
    CHECK(got.problems[0].column < 20'000);

    TempFile file("deep.ndjson");
    file.write(kBefore + deep + kAfter);
    check_one_problem_between(read_file(file.path), 2, "file");
    file.write(deep + kAfter);  // the first line decides the format: still NDJSON
    Read first = read_file(file.path);
    CHECK(first.problems.size() == 1);
    CHECK(first.events.size() == 1);

    // Raised, the nesting is read (without recursion); a value at each of 100,000 levels
    // would need 10 GB of field paths and meets the path limit instead.
    EventReadOptions raised;
    raised.max_nesting = 200'000;
    Read read = read_text(kBefore + deep + kAfter, raised);
    if (deep.find("\"v\":1,") != std::string::npos) {
      check_one_problem_between(read, 2, "paths");
      CHECK(read.problems[0].message.find("field paths longer than the limit") == 0);
    } else {
      CHECK(read.problems.empty());
      REQUIRE(read.events.size() == 3);
      CHECK(read.events[1].first("n").integer == 2);
    }
  }
  // In a JSON array and a search response the deep element is refused, its neighbours kept.
  std::string deep = deep_arrays(5000);
  Read array = read_text("[{\"n\":1},\n" + deep + ",\n{\"n\":3}]");
  check_one_problem_between(array, 2, "array");
  Read response = read_text(R"({"hits":{"hits":[{"_source":{"n":1}},{"_source":)" + deep +
                            R"(},{"_source":{"n":3}}]}})");
  check_one_problem_between(response, 1, "search response");
}

TEST_CASE("the nesting limit counts levels: at the limit read, one more refused") {
  EventReadOptions options;
  options.max_nesting = 5;
  CHECK(read_text(deep_arrays(5)).problems.size() == 0);  // 5 levels with the root object
  CHECK(read_text(deep_arrays(5), options).events.size() == 1);
  CHECK(read_text(deep_arrays(6), options).problems.size() == 1);
  CHECK(read_text(deep_objects(5), options).events.size() == 1);
  CHECK(read_text(deep_objects(6), options).problems.size() == 1);
  CHECK(read_text(deep_keys(5), options).events.size() == 1);
  CHECK(read_text(deep_keys(6), options).problems.size() == 1);
  CHECK(read_text(deep_arrays(1000)).events.size() == 1);
  CHECK(read_text(deep_arrays(1001)).problems.size() == 1);
  options.max_nesting = 1;
  CHECK(read_text("{\"a\":1}", options).events.size() == 1);
  CHECK(read_text("{\"a\":[1]}", options).problems.size() == 1);
}

TEST_CASE("huge arrays: a million values under one field, and a long path above a long array stays linear") {
  std::string numbers = "{\"a\":[";
  for (int i = 0; i < 1'000'000; ++i) numbers += (i ? "," : "") + std::to_string(i);
  numbers += "]}";
  Read got = read_text(numbers);
  REQUIRE(got.events.size() == 1);
  auto values = got.events[0].values("a");
  REQUIRE(values.size() == 1'000'000);
  CHECK(values[999'999].integer == 999'999);

  std::string objects = "{\"a\":[";
  for (int i = 0; i < 100'000; ++i) objects += (i ? ",{\"b\":" : "{\"b\":") + std::to_string(i) + "}";
  objects += "]}";
  Read gathered = read_text(objects);
  REQUIRE(gathered.events.size() == 1);
  CHECK(gathered.events[0].values("a.b").size() == 100'000);

  // A 1 MB key above 500,000 array elements: once compared in full per element (about
  // 5 * 10^11 byte comparisons), now each element reuses the path.
  std::string key(1u << 20, 'k');
  std::string long_path = "{\"" + key + "\":[1";
  for (int i = 1; i < 500'000; ++i) long_path += ",1";
  long_path += "]}";
  Read linear = read_text(long_path);
  REQUIRE(linear.events.size() == 1);
  CHECK(linear.events[0].values(key).size() == 500'000);
}

TEST_CASE("field paths that would outgrow the event are refused, not allocated") {
  // A 512 KB key above 80,000 fields would need 40 GB of paths.
  std::string key(512u << 10, 'k');
  std::string event = "{\"n\":2,\"" + key + "\":{";
  for (int i = 0; i < 80'000; ++i) event += (i ? ",\"" : "\"") + std::to_string(i) + "\":1";
  event += "}}";
  Read got = read_text(kBefore + event + kAfter);
  check_one_problem_between(got, 2, "paths");
  CHECK(got.problems[0].message.find("field paths longer than the limit of") == 0);
  // Ordinary nesting stays far below the limit: 20 levels of 30-byte keys over 200 fields.
  std::string nested = "{\"n\":2";
  std::string open;
  for (int level = 0; level < 20; ++level) open += ",\"" + std::string(30, static_cast<char>('a' + level)) + "\":{\"x\":0";
  nested += open;
  for (int i = 0; i < 200; ++i) nested += ",\"f" + std::to_string(i) + "\":1";
  nested += std::string(21, '}');
  CHECK(read_text(nested).events.size() == 1);
}

// ---- values ----------------------------------------------------------------------------------

TEST_CASE("numbers beyond int64 read as doubles; beyond double an error at the number") {
  Read got = read_text(
      "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"over\":9223372036854775808,"
      "\"under\":-9223372036854775809,\"u64\":18446744073709551615,\"huge\":123456789012345678901234567890,"
      "\"tiny\":1e-400,\"big\":1.7976931348623157e308}\n"
      "{\"n\":2,\"x\":1e309}\n{\"n\":3,\"x\":-1e400}\n{\"n\":4}");
  REQUIRE(got.events.size() == 2);
  const Event& e = got.events[0];
  CHECK(e.first("max").kind == ValueKind::Int);
  CHECK(e.first("max").integer == INT64_MAX);
  CHECK(e.first("min").integer == INT64_MIN);
  CHECK(e.first("over").kind == ValueKind::Double);
  CHECK(e.first("over").number == 9223372036854775808.0);
  CHECK(e.first("under").kind == ValueKind::Double);
  CHECK(e.first("u64").kind == ValueKind::Double);
  CHECK(e.first("huge").kind == ValueKind::Double);
  CHECK(e.first("huge").number == doctest::Approx(1.2345678901234568e29));
  CHECK(e.first("tiny").number == 0.0);
  CHECK(e.first("big").number == 1.7976931348623157e308);
  REQUIRE(got.problems.size() == 2);
  CHECK(got.problems[0].line == 2);
  CHECK(got.problems[0].column == 12);
  CHECK(got.problems[0].message.find("too big") != std::string::npos);
  CHECK(got.problems[1].line == 3);
  // Compared as numbers: the double past int64 is above every int64.
  auto parsed = parse_query("any where `over` > 9223372036854775807 and `under` < -9223372036854775807 and `max` == 9223372036854775807");
  REQUIRE(parsed.ok());
  auto compiled = compile_filter(*parsed.query->event(), FilterOptions{});
  REQUIRE(compiled.program);
  EvalContext context;
  CHECK(compiled.program->matches(e, context));
}

TEST_CASE("duplicate keys: both values are kept, in document order, like an array") {
  // Elasticsearch refuses such a document when indexing it (strict duplicate detection), so
  // no index holds one; eql reads a file that has one leniently (docs/limits.md).
  Read got = read_text("{\"a\":1,\"a\":2}\n{\"p\":{\"n\":\"x\"},\"p\":{\"n\":\"y\"}}\n{\"d.e\":1,\"d\":{\"e\":2}}");
  REQUIRE(got.events.size() == 3);
  auto a = got.events[0].values("a");
  REQUIRE(a.size() == 2);
  CHECK(a[0].integer == 1);
  CHECK(a[1].integer == 2);
  auto n = got.events[1].values("p.n");
  REQUIRE(n.size() == 2);
  CHECK(n[0].string == "x");
  CHECK(n[1].string == "y");
  CHECK(got.events[2].values("d.e").size() == 2);
  // The event's JSON is the line as read, both keys included.
  CHECK(got.events[0].json() == "{\"a\":1,\"a\":2}");
  auto parsed = parse_query("any where a == 2");
  auto compiled = compile_filter(*parsed.query->event(), FilterOptions{});
  EvalContext context;
  CHECK(compiled.program->matches(got.events[0], context));
}

TEST_CASE("invalid UTF-8 in strings: an error at the string, the lines around it read") {
  const std::vector<std::string> bad = {
      "\xFF", "\x80", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "a\xE2\x82",
  };
  for (const std::string& bytes : bad) {
    std::string line = "{\"n\":2,\"s\":\"" + bytes + "\"}";
    Read got = read_text(kBefore + line + kAfter);
    check_one_problem_between(got, 2, "bytes");
    CHECK(got.problems[0].column >= 12);
    CHECK(got.problems[0].column <= line.size());
    CHECK(got.problems[0].message.find("encoding") != std::string::npos);
    // In a key too.
    check_one_problem_between(read_text(kBefore + "{\"n\":2,\"" + bytes + "\":1}" + kAfter), 2, "key");
  }
  // Escaped lone surrogates are refused as well; a valid pair and valid UTF-8 are read.
  check_one_problem_between(read_text(kBefore + "{\"n\":2,\"s\":\"\\ud800\"}" + kAfter), 2, "surrogate");
  Read good = read_text("{\"s\":\"\\ud83d\\ude00 \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}");
  REQUIRE(good.events.size() == 1);
  CHECK(good.events[0].first("s").string == "\xF0\x9F\x98\x80 \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST_CASE("NUL bytes: escaped ones are kept in strings, raw ones are an error at their byte") {
  Read escaped = read_text("{\"s\":\"a\\u0000b\"}");
  REQUIRE(escaped.events.size() == 1);
  CHECK(escaped.events[0].first("s").string == std::string_view("a\0b", 3));
  for (const std::string& line : {std::string("{\"n\":2,\"s\":\"a\0b\"}", 17), std::string("{\"n\":2,\0\"s\":1}", 15),
                                  std::string("\0{\"n\":2}", 8), std::string("{\"n\":2}\0", 8)}) {
    Read got = read_text(kBefore + line + kAfter);
    check_one_problem_between(got, 2, "NUL");
    CHECK(got.problems[0].column == line.find('\0') + 1);
    TempFile file("nul.ndjson");
    file.write(kBefore + line + kAfter);
    check_one_problem_between(read_file(file.path), 2, "NUL in a file");
  }
  // A NUL inside a JSON array document: the elements before it are kept.
  Read array = read_text(std::string("[{\"n\":1},{\"n\":\0}]", 18));
  CHECK(array.events.size() == 1);
  CHECK(array.problems.size() == 1);
}

TEST_CASE("byte order marks and CRLF line ends") {
  Read bom = read_text("\xEF\xBB\xBF{\"n\":1}\r\n{\"n\":3}\r\n");
  CHECK(bom.problems.empty());
  CHECK(bom.events.size() == 2);
  // A BOM at the start of a line is skipped, as Elasticsearch skips one at the start of a
  // document; anywhere else it is not JSON: an error at its byte.
  CHECK(read_text(kBefore + "\xEF\xBB\xBF{\"n\":2}" + kAfter).events.size() == 3);
  Read inside = read_text(kBefore + "{\"n\":2,\xEF\xBB\xBF\"m\":1}" + kAfter);
  check_one_problem_between(inside, 2, "BOM inside");
  CHECK(inside.problems[0].column == 8);
  // CRLF: the CR is not part of the event, blank CRLF lines are blank, errors point into the line.
  Read crlf = read_text("{\"n\":1}\r\n\r\n{\"n\":2,}\r\n{\"n\":3}\r\n");
  REQUIRE(crlf.events.size() == 2);
  CHECK(crlf.events[0].json() == "{\"n\":1}");
  REQUIRE(crlf.problems.size() == 1);
  CHECK(crlf.problems[0].line == 3);
  CHECK(crlf.problems[0].column == 8);
  TempFile file("crlf.ndjson");
  file.write("\xEF\xBB\xBF{\"n\":1}\r\n\r\n{\"n\":2,}\r\n{\"n\":3}\r\n");
  Read streamed = read_file(file.path);
  CHECK(streamed.events.size() == 2);
  REQUIRE(streamed.problems.size() == 1);
  CHECK(streamed.problems[0].line == 3);
  CHECK(streamed.problems[0].column == 8);
  // A pretty-printed array with CRLF line ends.
  Read pretty = read_text("[\r\n  {\"n\": 1},\r\n  {\r\n    \"n\": 3\r\n  }\r\n]\r\n");
  CHECK(pretty.problems.empty());
  CHECK(pretty.events.size() == 2);
}

// ---- patterns against long values ------------------------------------------------------------

namespace {

FilterProgram compile_text(const std::string& query) {
  ParseResult parsed = parse_query(query);
  REQUIRE_MESSAGE(parsed.ok(), query);
  FilterCompileResult compiled = compile_filter(*parsed.query->event(), FilterOptions{});
  REQUIRE_MESSAGE(compiled.program, query);
  return *compiled.program;
}

Event event_with(const std::string& value) {
  std::string error;
  auto event = parse_event("{\"v\":\"" + value + "\"}", error);
  REQUIRE_MESSAGE(event, error);
  return std::move(*event);
}

}  // namespace

TEST_CASE("patterns that explode backtracking matchers stay linear against a 1 MB value") {
  // A backtracking matcher needs about 2^n steps for `(a*)*b` or `(a|aa)+$` on n a's and
  // n^k for k stars: on a 1 MB value neither would finish in any lifetime. RE2 and the
  // wildcard matcher (one backtrack point) take a few passes over the value; the benchmark
  // tools/bench_patterns.sh shows the time growing with the value's length only.
  const std::string as(1u << 20, 'a');
  Event plain = event_with(as);
  Event with_b = event_with(as + "b");
  Event almost = event_with(as + "c");
  EvalContext context;
  struct Case {
    const char* query;
    bool on_plain, on_with_b, on_almost;
  };
  const Case cases[] = {
      {R"(any where v regex "(a*)*b")", false, true, false},
      {R"(any where v regex "(a|aa)+")", true, false, false},
      {R"(any where v regex "(a|a)*c")", false, false, true},
      {R"(any where v regex "(a+)+b")", false, true, false},
      {R"(any where v regex~ "(A*)*B")", false, true, false},
      {R"(any where v regex "((a{1,10}){1,10})*b")", false, true, false},
      {R"(any where v : "*a*a*a*a*a*a*b")", false, true, false},
      {R"(any where v : "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c")", false, false, true},
      {R"(any where v : "*?*?*?*?*?*?*?*?b")", false, true, false},
      {R"(any where v like~ "*A*A*A*A*A*A*B")", false, true, false},
      {R"(any where v : "a*a*a*a*a*a*a*a*")", true, true, true},
      {R"(any where v : "*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")", false, true, false},
  };
  for (const Case& c : cases) {
    INFO(c.query);
    FilterProgram program = compile_text(c.query);
    CHECK(program.matches(plain, context) == c.on_plain);
    CHECK(program.matches(with_b, context) == c.on_with_b);
    CHECK(program.matches(almost, context) == c.on_almost);
  }
}

// ---- limits through `eql run` ----------------------------------------------------------------

namespace {

using RunResult = testing::RunCapture;

RunResult run_eql_run(const std::vector<std::string>& arguments) { return testing::capture_eql_run(arguments); }

std::size_t count_lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("eql run: a line past --max-line-bytes or --max-nesting is reported, counted, and the rest still runs") {
  TempFile rule("rule.eql");
  rule.write("any where n > 0\n");
  TempFile events("events.ndjson");
  events.write("{\"n\":1}\n{\"n\":2,\"pad\":\"" + std::string(200, 'x') + "\"}\n" + deep_arrays(50) + "\n{\"n\":3}\n");

  RunResult defaults = run_eql_run({"--rules", rule.path, "--ignore-index", events.path});
  CHECK(defaults.exit_code == 0);
  CHECK(count_lines(defaults.out) == 4);

  RunResult limited = run_eql_run({"--rules", rule.path, "--ignore-index", "--max-line-bytes", "128",
                                   "--max-nesting", "20", events.path});
  CHECK(limited.exit_code == 0);
  CHECK(count_lines(limited.out) == 2);
  CHECK(limited.err.find(events.path + ":2:1: line longer than the limit of 128 bytes; skipped") != std::string::npos);
  CHECK(limited.err.find(events.path + ":3:") != std::string::npos);
  CHECK(limited.err.find("nested deeper than the limit of 20 levels; skipped") != std::string::npos);
  CHECK(limited.err.find("2 lines skipped") != std::string::npos);

  // --max-pending: the partial of key `a` is evicted when the one of `b` starts; said in the summary.
  TempFile sequence("sequence.eql");
  sequence.write("sequence by k [any where n == 1] [any where n == 3]\n");
  RunResult evicting = run_eql_run({"--rules", sequence.path, "--ignore-index", "--max-pending", "1",
                                    EQL_SOURCE_DIR "/tests/data/hostile/limits.ndjson"});
  CHECK(evicting.exit_code == 0);
  CHECK(count_lines(evicting.out) == 1);
  CHECK(evicting.err.find("1 partial sequence evicted by --max-pending 1") != std::string::npos);
  RunResult keeping = run_eql_run({"--rules", sequence.path, "--ignore-index",
                                   EQL_SOURCE_DIR "/tests/data/hostile/limits.ndjson"});
  CHECK(count_lines(keeping.out) == 2);
  CHECK(keeping.err.find("evicted") == std::string::npos);

  // More than 10,000 join-key combinations (101 x 100 values): the event is dropped, counted.
  TempFile product_rule("product.eql");
  product_rule.write("sequence by a, b [any where n == 1] [any where n == 3]\n");
  std::string many_a, many_b;
  for (int i = 0; i < 101; ++i) many_a += (i ? "," : "") + std::to_string(i);
  for (int i = 0; i < 100; ++i) many_b += (i ? "," : "") + std::to_string(i);
  TempFile product_events("product.ndjson");
  product_events.write("{\"@timestamp\":1,\"n\":1,\"a\":[" + many_a + "],\"b\":[" + many_b + "]}\n" +
                       "{\"@timestamp\":2,\"n\":1,\"a\":1,\"b\":2}\n{\"@timestamp\":3,\"n\":3,\"a\":1,\"b\":2}\n");
  RunResult product = run_eql_run({"--rules", product_rule.path, "--ignore-index", product_events.path});
  CHECK(count_lines(product.out) == 1);
  CHECK(product.err.find("1 event with more than 10000 join keys dropped") != std::string::npos);

  for (const char* bad : {"0", "-1", "abc", "99999999999999999999"}) {
    INFO(bad);
    RunResult usage = run_eql_run({"--rules", rule.path, "--max-nesting", bad, events.path});
    CHECK(usage.exit_code == 2);
    CHECK(usage.err.find("--max-nesting needs a number above 0") != std::string::npos);
    usage = run_eql_run({"--rules", rule.path, "--max-line-bytes", bad, events.path});
    CHECK(usage.exit_code == 2);
  }
}
