// Hostile query text (issue 8): absurd nesting, a 1 MiB query, invalid UTF-8, NUL bytes and
// every escape form. The parser must answer each with a query or a positioned error, never
// a crash, a hang or an exhausted stack; errors must render.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eql/diagnostic.h"
#include "eql/parser.h"
#include "eql/printer.h"
#include "eql/source.h"

using namespace eql;

namespace {

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// Every diagnostic lies inside the text and renders with a caret.
void check_diagnostics_inside(std::string_view text, const Diagnostics& diagnostics) {
  SourceText source("<query>", std::string(text));
  for (const Diagnostic& d : diagnostics) {
    INFO("diagnostic: " << d.code << ": " << d.message);
    CHECK(d.span.begin <= d.span.end);
    CHECK(d.span.end <= text.size());
    std::string shown = render(d, source, QueryOrigin{});
    CHECK(shown.find(d.message) != std::string::npos);
    CHECK(shown.find('^') != std::string::npos);
  }
}

const Diagnostic& only_error(const ParseResult& result) {
  REQUIRE_FALSE(result.ok());
  REQUIRE(result.diagnostics.size() == 1);
  return result.diagnostics.front();
}

// The string value of `process where a == "<body>"`.
std::string string_value(const ParseResult& result) {
  REQUIRE(result.ok());
  const auto* filter = std::get_if<ast::EventFilter>(&result.query->body);
  REQUIRE(filter != nullptr);
  const auto* compare = filter->condition->as<ast::Compare>();
  REQUIRE(compare != nullptr);
  const auto* literal = compare->right->as<ast::StringLiteral>();
  REQUIRE(literal != nullptr);
  return literal->value;
}

// A query whose condition nests `levels` deep in one of the ways the grammar recurses.
struct Nesting {
  const char* name;
  const char* open;
  const char* leaf;
  const char* close;
  const char* tail;
  std::size_t depth_per_level;  // `-(` is two levels: a unary minus and a parenthesis
};

const Nesting kNestings[] = {
    {"parentheses", "(", "true", ")", "", 1},
    {"not", "not ", "true", "", "", 1},
    {"unary minus", "-(", "x", ")", " == 1", 2},
    {"function calls", "length(", "x", ")", " == 1", 1},
    {"mixed", "not length(", "x", ")", " == 1", 2},
};

std::string nested_query(const Nesting& nesting, std::size_t levels) {
  return "process where " + repeat(nesting.open, levels) + nesting.leaf +
         repeat(nesting.close, levels) + nesting.tail;
}

}  // namespace

TEST_CASE("absurd nesting: refused at the limit with a positioned error, accepted below it") {
  const ParseOptions defaults;
  for (const Nesting& nesting : kNestings) {
    INFO("nesting: " << std::string(nesting.name));
    std::size_t below = (defaults.max_depth - 1) / nesting.depth_per_level;
    std::string accepted = nested_query(nesting, below);
    ParseResult ok = parse_query(accepted);
    CHECK(ok.ok());
    CHECK(ok.diagnostics.empty());
    if (ok.ok()) CHECK(parse_query(to_eql(*ok.query)).ok());

    for (std::size_t levels : {defaults.max_depth, std::size_t{10'000}, std::size_t{50'000}}) {
      INFO("levels: " << levels);
      std::string query = nested_query(nesting, levels);
      ParseResult result = parse_query(query);
      const Diagnostic& error = only_error(result);
      CHECK(error.code == "syntax.too-deep");
      // The error points into the nesting, not at the start or the end of the query.
      CHECK(error.span.begin > std::string_view("process where ").size());
      CHECK(error.span.end < query.size());
      check_diagnostics_inside(query, result.diagnostics);
    }
  }
}

TEST_CASE("the deepest nesting eql parse can be asked for fits on the stack") {
  // `eql parse --max-depth` accepts at most 500 (src/cli/parse_command.cpp); before that
  // bound, --max-depth 20000 and a query that deep overflowed the stack.
  ParseOptions options;
  options.max_depth = 500;
  for (const Nesting& nesting : kNestings) {
    INFO("nesting: " << std::string(nesting.name));
    std::size_t levels = (options.max_depth - 1) / nesting.depth_per_level;
    ParseResult result = parse_query(nested_query(nesting, levels), options);
    CHECK(result.ok());
    if (result.ok()) CHECK(!to_eql(*result.query).empty());
    CHECK(only_error(parse_query(nested_query(nesting, levels + 1), options)).code ==
          "syntax.too-deep");
  }
}

// Long flat `and`/`or` chains (100,000 terms) are in tests/parser_limits_test.cpp.

TEST_CASE("long arithmetic chains are counted as nesting and refused, not overflowed") {
  // Found by this test in the ASan job: the parser refused the chain but still built all of
  // it, 100,000 levels deep, and the field-comparison check then overflowed the stack.
  std::string query = "process where a == 1" + repeat(" + 1", 100'000);
  ParseResult result = parse_query(query);
  CHECK(only_error(result).code == "syntax.too-deep");
  check_diagnostics_inside(query, result.diagnostics);
}

TEST_CASE("a 1 MiB query parses; one byte more is refused before parsing") {
  const std::size_t limit = ParseOptions{}.max_length;
  REQUIRE(limit == std::size_t{1} << 20);
  std::string query = "process where process.name in (\"x\"";
  std::size_t candidates = 1;
  while (query.size() + 12 < limit) {
    query += ", \"" + std::to_string(candidates++) + "\"";
  }
  query += ")";
  query += std::string(limit - query.size(), ' ');  // trailing space: exactly at the limit
  REQUIRE(query.size() == limit);

  ParseResult result = parse_query(query);
  REQUIRE(result.ok());
  const auto& filter = std::get<ast::EventFilter>(result.query->body);
  const auto* in = filter.condition->as<ast::In>();
  REQUIRE(in != nullptr);
  CHECK(in->candidates.size() == candidates);
  CHECK(parse_query(to_eql(*result.query)).ok());

  query += ' ';
  ParseResult too_long = parse_query(query);
  const Diagnostic& error = only_error(too_long);
  CHECK(error.code == "syntax.too-long");
  CHECK(error.message.find(std::to_string(limit + 1)) != std::string::npos);
  check_diagnostics_inside(query, too_long.diagnostics);
}

TEST_CASE("a 1 MiB string literal and a 1 MiB field name") {
  std::string body(1'000'000, 'a');
  ParseResult literal = parse_query("process where a == \"" + body + "\"");
  CHECK(string_value(literal) == body);

  std::string field = "process where " + std::string(1'000'000, 'f') + " == 1";
  CHECK(parse_query(field).ok());

  // Unterminated: the error underlines from the opening quote, inside the text.
  std::string open = "process where a == \"" + body;
  ParseResult unterminated = parse_query(open);
  const Diagnostic& error = only_error(unterminated);
  CHECK(error.code == "syntax.unterminated-string");
  CHECK(error.span.begin == 19);
  check_diagnostics_inside(open, unterminated.diagnostics);
}

TEST_CASE("invalid UTF-8 inside a string is kept byte for byte") {
  // EQL compares bytes; a rule file that is not UTF-8 is the file's problem, not the parser's.
  const std::string bodies[] = {
      "\xff", "\xfe\xff", "\x80", "\xc3", "\xc3(", "\xe2\x82", "\xf0\x9f\x98",
      "\xc0\xaf",          // overlong '/'
      "\xed\xa0\x80",      // an encoded surrogate
      "\xf4\x90\x80\x80",  // above U+10FFFF
  };
  for (const std::string& body : bodies) {
    std::string query = "process where a == \"" + body + "\"";
    ParseResult result = parse_query(query);
    CHECK(string_value(result) == body);
    ParseResult again = parse_query(to_eql(*result.query));
    CHECK(string_value(again) == body);
  }
}

TEST_CASE("invalid UTF-8 and control bytes outside strings: an error showing the byte escaped") {
  struct Case {
    std::string query;
    std::uint32_t at;
    const char* message;
  };
  const Case cases[] = {
      {std::string("process where a == 1 \xff"), 21, R"(unexpected `\xFF`)"},
      {std::string("process where a == 1 \x80"), 21, R"(unexpected `\x80`)"},
      {std::string("process where a == 1 \xc3("), 21, R"(unexpected `\xC3(`)"},
      {std::string("process where a == 1 \x01"), 21, R"(unexpected `\x01`)"},
      {std::string("process where a == 1 \x7f"), 21, R"(unexpected `\x7F`)"},
      {std::string("process where a == 1 \xc3\xa9"), 21, "unexpected `\xc3\xa9`"},
  };
  for (const Case& c : cases) {
    INFO("query: " << c.query);
    ParseResult result = parse_query(c.query);
    const Diagnostic& error = only_error(result);
    CHECK(error.code == "syntax.unexpected");
    CHECK(error.span.begin == c.at);
    CHECK(error.message == c.message);
    check_diagnostics_inside(c.query, result.diagnostics);
  }
  // In a field name position the parser says what it expected instead.
  std::string field = "process where \xff == 1";
  ParseResult result = parse_query(field);
  CHECK(only_error(result).span.begin == 14);
  check_diagnostics_inside(field, result.diagnostics);
}

TEST_CASE("NUL bytes: kept inside strings, a positioned error anywhere else") {
  using namespace std::string_literals;
  ParseResult in_string = parse_query("process where a == \"x\0y\""s);
  CHECK(string_value(in_string) == "x\0y"s);
  // Elasticsearch refuses \u{00}, so canonical EQL keeps the raw byte and reads it back.
  CHECK(string_value(parse_query(to_eql(*in_string.query))) == "x\0y"s);

  const std::string elsewhere[] = {
      "process where a == 1\0"s, "\0process where true"s, "process\0 where true"s,
      "process where a\0 == 1"s, "process where true | head\0 1"s,
  };
  for (const std::string& query : elsewhere) {
    ParseResult result = parse_query(query);
    const Diagnostic& error = only_error(result);
    CHECK(error.span.begin == query.find('\0'));
    CHECK(error.message.find('\0') == std::string::npos);
    check_diagnostics_inside(query, result.diagnostics);
  }
}

TEST_CASE("every escape form of a double-quoted string") {
  struct Case {
    std::string written;
    std::string value;
  };
  const Case cases[] = {
      {R"(\t)", "\t"},          {R"(\b)", "\b"},
      {R"(\f)", "\f"},          {R"(\n)", "\n"},
      {R"(\r)", "\r"},          {R"(\")", "\""},
      {R"(\')", "'"},           {R"(\\)", "\\"},
      {R"(\u{41})", "A"},       {R"(\u{00e9})", "\xc3\xa9"},
      {R"(\u{20AC})", "\xe2\x82\xac"}, {R"(\u{1F600})", "\xf0\x9f\x98\x80"},
      {R"(\u{0010FFFF})", "\xf4\x8f\xbf\xbf"},
      {R"(\u{01})", "\x01"},
      // An unknown escape keeps its backslash (Elasticsearch does the same).
      {R"(\q)", "\\q"},         {R"(\x41)", "\\x41"},
      {R"(a\\\"b)", "a\\\"b"},
  };
  for (const Case& c : cases) {
    std::string query = "process where a == \"" + c.written + "\"";
    INFO("query: " << query);
    ParseResult result = parse_query(query);
    CHECK(string_value(result) == c.value);
    if (result.ok()) CHECK(string_value(parse_query(to_eql(*result.query))) == c.value);
  }
}

// Malformed escapes (\u41, \u{}, \u{D800}, \u{00}, ...) are rows of tests/data/parser/invalid.txt.

TEST_CASE("raw strings, single quotes, ?-strings and unterminated forms") {
  // """...""" takes its body verbatim: no escapes.
  CHECK(string_value(parse_query(R"(process where a == """C:\temp\"x""")")) == R"(C:\temp\"x)");
  CHECK(string_value(parse_query("process where a == \"\"\"line\nbreak\"\"\"")) == "line\nbreak");

  struct Case {
    std::string query;
    const char* code;
    std::uint32_t at;
  };
  const Case cases[] = {
      {"process where a == 'x'", "syntax.single-quotes", 19},
      {R"(process where a == ?"x")", "syntax.question-string", 19},
      {R"(process where a == "abc)", "syntax.unterminated-string", 19},
      {R"(process where a == "abc\)", "syntax.unterminated-string", 19},
      {R"(process where a == "abc\")", "syntax.unterminated-string", 19},
      {"process where a == \"a\nb\"", "syntax.unterminated-string", 19},
  };
  for (const Case& c : cases) {
    INFO("query: " << c.query);
    ParseResult result = parse_query(c.query);
    REQUIRE_FALSE(result.ok());
    CHECK(result.diagnostics.front().code == c.code);
    CHECK(result.diagnostics.front().span.begin == c.at);
    check_diagnostics_inside(c.query, result.diagnostics);
  }
  std::string raw = "process where a == \"\"\"never closed";
  ParseResult result = parse_query(raw);
  REQUIRE_FALSE(result.ok());
  CHECK(result.diagnostics.front().span.begin == 19);
  check_diagnostics_inside(raw, result.diagnostics);
}

TEST_CASE("every prefix of every bundled query parses or fails inside the text") {
  // Truncation is the commonest damage a query suffers (a cut-off paste, a broken file).
  const char* queries[] = {
      R"q(sequence by host.id with maxspan=1m [process where process.name : ("cmd.exe", "powershell.exe") and process.args : "*-enc*"] [network where destination.port == 443 and not cidrMatch(destination.ip, "10.0.0.0/8")] until [process where event.type == "end"])q",
      R"q(process where length(process.command_line) > 4096 and startsWith~(process.name, "C:\\Windows\\") or process.pe.original_file_name regex~ """.*\.(exe|dll)""" | head 10)q",
      R"q(sample by host.id [file where file.path like~ "/etc/*"] [any where `weird field`.x != null and -(a * 2) % 3 >= 1.5e3])q",
  };
  for (const char* full : queries) {
    std::string_view text(full);
    REQUIRE(parse_query(text).ok());
    for (std::size_t length = 0; length <= text.size(); ++length) {
      std::string_view prefix = text.substr(0, length);
      ParseResult result = parse_query(prefix);
      INFO("prefix: " << std::string(prefix));
      CHECK((result.ok() || has_errors(result.diagnostics)));
      check_diagnostics_inside(prefix, result.diagnostics);
    }
  }
}
