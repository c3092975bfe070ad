// The parser's limits (ParseOptions::max_depth, max_length) and hostile input: very deep
// nesting, very long chains, huge literals, NUL bytes and invalid UTF-8. Each must give the
// documented outcome (syntax.too-deep, syntax.too-long, another syntax error, or success)
// and never crash.
#include <doctest/doctest.h>

#include <string>

#include "eql/parser.h"
#include "eql/printer.h"
#include "eql/source.h"

namespace {

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

eql::Diagnostic only_error(const eql::ParseResult& result) {
  REQUIRE_FALSE(result.ok());
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics.front().severity == eql::Severity::Error);
  return result.diagnostics.front();
}

/// "line:column" of the start of a diagnostic.
std::string position_of(const eql::Diagnostic& d, const std::string& query) {
  eql::Position at = eql::SourceText("query", query).position_at(d.span.begin);
  return std::to_string(at.line) + ":" + std::to_string(at.column);
}

constexpr std::string_view kPrefix = "process where ";

}  // namespace

TEST_CASE("a 10,000-deep parenthesis nest is syntax.too-deep, not a stack overflow") {
  std::string query =
      std::string(kPrefix) + repeat("(", 10'000) + "a == 1" + repeat(")", 10'000);
  auto result = eql::parse_query(query);
  const eql::Diagnostic error = only_error(result);
  CHECK(error.code == "syntax.too-deep");
  CHECK(error.message == "the query nests deeper than 200 levels");
  // It points into the run of parentheses, around the level where the limit was crossed.
  CHECK(error.span.begin >= kPrefix.size() + 150);
  CHECK(error.span.begin <= kPrefix.size() + 250);
}

TEST_CASE("100,000 nested `not` are syntax.too-deep") {
  std::string query = std::string(kPrefix) + repeat("not ", 100'000) + "a == 1";
  const eql::Diagnostic error = only_error(eql::parse_query(query));
  CHECK(error.code == "syntax.too-deep");
  CHECK(error.message == "the query nests deeper than 200 levels");
}

TEST_CASE("100,000 unary minus are syntax.too-deep") {
  std::string query = std::string(kPrefix) + repeat("-", 100'000) + "a == 1";
  const eql::Diagnostic error = only_error(eql::parse_query(query));
  CHECK(error.code == "syntax.too-deep");
  CHECK(error.message == "the query nests deeper than 200 levels");
}

TEST_CASE("deep nesting inside function calls is syntax.too-deep") {
  std::string query =
      std::string(kPrefix) + repeat("length(", 10'000) + "a" + repeat(")", 10'000) + " == 1";
  const eql::Diagnostic error = only_error(eql::parse_query(query));
  CHECK(error.code == "syntax.too-deep");
}

TEST_CASE("a 100,000-term `or` chain parses into one flat node") {
  std::string query = std::string(kPrefix) + "a == 0";
  for (int i = 1; i < 100'000; ++i) query += " or a == " + std::to_string(i % 10);
  REQUIRE(query.size() < (1u << 20));
  auto result = eql::parse_query(query);
  REQUIRE(result.ok());
  const eql::ast::Expr& condition = *result.query->event()->condition;
  const auto* chain = condition.as<eql::ast::Logical>();
  REQUIRE(chain != nullptr);
  CHECK(chain->op == eql::ast::LogicOp::Or);
  CHECK(chain->operands.size() == 100'000);
  // The printers walk it without trouble and the round trip holds.
  std::string printed = eql::to_eql(*result.query);
  auto again = eql::parse_query(printed);
  REQUIRE(again.ok());
  CHECK(eql::dump(*again.query) == eql::dump(*result.query));
}

TEST_CASE("a 100,000-term `and` chain parses into one flat node") {
  std::string query = std::string(kPrefix) + repeat("a and ", 99'999) + "a";
  auto result = eql::parse_query(query);
  REQUIRE(result.ok());
  const auto* chain = result.query->event()->condition->as<eql::ast::Logical>();
  REQUIRE(chain != nullptr);
  CHECK(chain->operands.size() == 100'000);
}

TEST_CASE("a 10,000-term `a + a + ...` chain") {
  std::string query = std::string(kPrefix) + repeat("a + ", 9'999) + "a == 1";
  SUBCASE("is refused as too deep with the default limits") {
    // Arithmetic is binary in the AST: the chain is a 10,000-deep left-leaning tree, and
    // the parser counts it against max_depth.
    auto result = eql::parse_query(query);
    REQUIRE_FALSE(result.ok());
    REQUIRE_FALSE(result.diagnostics.empty());
    CHECK(result.diagnostics.front().code == "syntax.too-deep");
    CHECK(result.diagnostics.front().message == "the query nests deeper than 200 levels");
  }
  SUBCASE("parses, prints and round-trips when the limit allows it") {
    eql::ParseOptions options;
    options.max_depth = 20'000;
    auto result = eql::parse_query(query, options);
    REQUIRE(result.ok());
    const auto* compare = result.query->event()->condition->as<eql::ast::Compare>();
    REQUIRE(compare != nullptr);
    const auto* sum = compare->left->as<eql::ast::Arith>();
    REQUIRE(sum != nullptr);
    CHECK(sum->op == eql::ast::ArithOp::Add);
    auto again = eql::parse_query(eql::to_eql(*result.query), options);
    REQUIRE(again.ok());
    CHECK(eql::dump(*again.query) == eql::dump(*result.query));
  }
}

TEST_CASE("nesting up to max_depth is accepted, one more level is refused") {
  eql::ParseOptions options;
  options.max_depth = 5;
  SUBCASE("parentheses") {
    auto accepted = eql::parse_query("process where ((a == 1))", options);
    CHECK(accepted.ok());
    std::string deep = std::string(kPrefix) + repeat("(", 8) + "a" + repeat(")", 8);
    const eql::Diagnostic error = only_error(eql::parse_query(deep, options));
    CHECK(error.code == "syntax.too-deep");
    CHECK(error.message == "the query nests deeper than 5 levels");
    CHECK(error.hint == "split the condition, or raise the limit with --max-depth");
  }
  SUBCASE("not") {
    CHECK(eql::parse_query("process where not not a", options).ok());
    const auto& error =
        only_error(eql::parse_query(std::string(kPrefix) + repeat("not ", 8) + "a", options));
    CHECK(error.code == "syntax.too-deep");
    CHECK(error.message == "the query nests deeper than 5 levels");
  }
  SUBCASE("the same query passes with a larger limit") {
    std::string deep = std::string(kPrefix) + repeat("(", 300) + "a" + repeat(")", 300);
    CHECK_FALSE(eql::parse_query(deep).ok());
    options.max_depth = 1'000;
    auto result = eql::parse_query(deep, options);
    REQUIRE(result.ok());
    CHECK(eql::dump(*result.query) == "(event \"process\" a)");
  }
}

TEST_CASE("a query longer than max_length is syntax.too-long") {
  SUBCASE("the default limit of 1 MiB") {
    std::string query = std::string(kPrefix) + "a == \"" +
                        std::string((1u << 20) - kPrefix.size() - 6, 'x') + "\"";
    REQUIRE(query.size() == (1u << 20) + 1);
    const eql::Diagnostic error = only_error(eql::parse_query(query));
    CHECK(error.code == "syntax.too-long");
    CHECK(error.message == "the query is 1048577 bytes long; the limit is 1048576");
    CHECK(position_of(error, query) == "1:1");
  }
  SUBCASE("a custom limit") {
    eql::ParseOptions options;
    options.max_length = 20;
    CHECK(eql::parse_query("process where a == 1", options).ok());  // exactly 20 bytes
    const eql::Diagnostic error = only_error(eql::parse_query("process where a == 10", options));
    CHECK(error.code == "syntax.too-long");
    CHECK(error.message == "the query is 21 bytes long; the limit is 20");
  }
}

TEST_CASE("a 1 MB string literal under the length limit is accepted") {
  std::string text(1'000'000, 'x');
  text[500'000] = '\\';  // an escape in the middle: \\ is one backslash
  text[500'001] = '\\';
  std::string query = std::string(kPrefix) + "a == \"" + text + "\"";
  REQUIRE(query.size() < (1u << 20));
  auto result = eql::parse_query(query);
  REQUIRE(result.ok());
  const auto* compare = result.query->event()->condition->as<eql::ast::Compare>();
  REQUIRE(compare != nullptr);
  const auto* literal = compare->right->as<eql::ast::StringLiteral>();
  REQUIRE(literal != nullptr);
  CHECK(literal->value.size() == 999'999);
  CHECK(literal->value[500'000] == '\\');

  std::string raw_query = std::string(kPrefix) + "a == \"\"\"" + text + "\"\"\"";
  auto raw = eql::parse_query(raw_query);
  REQUIRE(raw.ok());
  const auto* raw_literal =
      raw.query->event()->condition->as<eql::ast::Compare>()->right->as<eql::ast::StringLiteral>();
  REQUIRE(raw_literal != nullptr);
  CHECK(raw_literal->value == text);
}

TEST_CASE("NUL bytes") {
  using namespace std::string_literals;
  SUBCASE("inside a string they are ordinary characters") {
    std::string query = "process where a == \"x\0y\""s;
    auto result = eql::parse_query(query);
    REQUIRE(result.ok());
    CHECK(eql::dump(*result.query) == "(event \"process\" (== a \"x\0y\"))"s);
    // Elasticsearch refuses the escape \u{00}, so the canonical form keeps the raw byte,
    // and reads back the same.
    std::string printed = eql::to_eql(*result.query);
    CHECK(printed.find('\0') != std::string::npos);
    auto again = eql::parse_query(printed);
    REQUIRE(again.ok());
    CHECK(eql::dump(*again.query) == eql::dump(*result.query));
  }
  SUBCASE("outside a string they are a syntax error at their position") {
    std::string query = "process where a == 1\0 and b == 2"s;
    const eql::Diagnostic error = only_error(eql::parse_query(query));
    CHECK(error.code == "syntax.unexpected");
    CHECK(position_of(error, query) == "1:21");
  }
  SUBCASE("in the middle of a keyword") {
    std::string query = "process wh\0ere a == 1"s;
    const eql::Diagnostic error = only_error(eql::parse_query(query));
    CHECK(error.code == "syntax.expected-where");
    CHECK(position_of(error, query) == "1:9");
  }
  SUBCASE("a query that is only NUL bytes") {
    std::string query(16, '\0');
    const eql::Diagnostic error = only_error(eql::parse_query(query));
    CHECK(error.code == "syntax.expected-query");
  }
}

TEST_CASE("invalid UTF-8") {
  SUBCASE("inside a string the bytes are kept as they are") {
    std::string query = "process where a == \"\xFF\xFE\xC3\"";
    auto result = eql::parse_query(query);
    REQUIRE(result.ok());
    const auto* literal = result.query->event()->condition->as<eql::ast::Compare>()
                              ->right->as<eql::ast::StringLiteral>();
    REQUIRE(literal != nullptr);
    CHECK(literal->value == "\xFF\xFE\xC3");
  }
  SUBCASE("inside a raw string and a backquoted name too") {
    std::string query = "process where `f\xFF` == \"\"\"\xE2\x82\"\"\"";
    auto result = eql::parse_query(query);
    REQUIRE(result.ok());
    const auto* compare = result.query->event()->condition->as<eql::ast::Compare>();
    CHECK(compare->left->as<eql::ast::Field>()->name == "f\xFF");
    CHECK(compare->right->as<eql::ast::StringLiteral>()->value == "\xE2\x82");
  }
  SUBCASE("outside a string it is a syntax error at its position") {
    std::string query = "process where \xFF == 1";
    const eql::Diagnostic error = only_error(eql::parse_query(query));
    CHECK(error.code == "syntax.expected-condition");
    CHECK(position_of(error, query) == "1:15");
  }
  SUBCASE("a truncated sequence at the very end") {
    std::string query = "process where a == 1 \xE2\x82";
    const eql::Diagnostic error = only_error(eql::parse_query(query));
    CHECK(error.code == "syntax.unexpected");
    CHECK(position_of(error, query) == "1:22");
  }
}

// source.h documents that invalid bytes count one column each, a lone continuation byte
// (0x80-0xBF) included, so positions after one stay right.
TEST_CASE("a lone continuation byte counts one column") {
  std::string query = "process where \"\x80\x80\" = 1";
  auto result = eql::parse_query(query);
  REQUIRE_FALSE(result.ok());
  REQUIRE_FALSE(result.diagnostics.empty());
  CHECK(result.diagnostics.front().code == "syntax.single-equals");
  // `process where ` is 14 columns, the string "\x80\x80" 4 more, then a blank: `=` is
  // column 20.
  CHECK(position_of(result.diagnostics.front(), query) == "1:20");
}

TEST_CASE("parse_expression honours the same limits") {
  eql::ParseOptions options;
  options.max_depth = 3;
  auto deep = eql::parse_expression("((((a))))", options);
  CHECK(deep.expr == nullptr);
  REQUIRE_FALSE(deep.diagnostics.empty());
  CHECK(deep.diagnostics.front().code == "syntax.too-deep");
  options.max_length = 4;
  auto long_one = eql::parse_expression("a == 1", options);
  CHECK(long_one.expr == nullptr);
  REQUIRE_FALSE(long_one.diagnostics.empty());
  CHECK(long_one.diagnostics.front().code == "syntax.too-long");
}

namespace {

/// Whether `text` is well-formed UTF-8 without control characters (what a terminal or a
/// JSON report can show as it is).
bool is_printable_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3
                                                                : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    if (length == 1 && (lead < 0x20 || lead == 0x7F)) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

// "unexpected `...`" names bytes a terminal or a JSON report cannot show (a NUL byte, a
// broken UTF-8 sequence) as \xNN instead of quoting them raw.
TEST_CASE("messages about NUL bytes and broken UTF-8 are printable") {
  using namespace std::string_literals;
  for (const std::string& query :
       {"process where a == 1\0 and b == 2"s, "process where a == 1 \xE2\x82"s}) {
    auto result = eql::parse_query(query);
    REQUIRE_FALSE(result.ok());
    REQUIRE_FALSE(result.diagnostics.empty());
    CHECK(result.diagnostics.front().code == "syntax.unexpected");
    CHECK(is_printable_utf8(result.diagnostics.front().message));
  }
}

TEST_CASE("messages about ordinary mistakes are printable") {
  // The counterpart of the test above, so that is_printable_utf8 is known to accept them.
  auto result = eql::parse_query("process where a == \"\xC3\xA9\" garbage\xC3\xA9");
  REQUIRE_FALSE(result.ok());
  REQUIRE_FALSE(result.diagnostics.empty());
  CHECK(is_printable_utf8(result.diagnostics.front().message));
  CHECK_FALSE(is_printable_utf8(std::string("a\0b", 3)));
  CHECK_FALSE(is_printable_utf8("\xE2\x82"));
}
