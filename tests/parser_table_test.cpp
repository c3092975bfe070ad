// Table-driven parser tests: every query in tests/data/parser/*.txt with its expected
// AST dump or its expected diagnostics. The file format is described at the top of
// tests/data/parser/valid.txt.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <tao/pegtl/contrib/analyze.hpp>
#include <vector>

#include "eql/parser.h"
#include "eql/printer.h"
#include "eql/source.h"
#include "eql_grammar.hpp"


namespace {

/// An expected diagnostic. In a table of known differences (none today), where the right diagnostic is not decided
/// yet, `*` as code or position and `...` as message match anything.
struct ExpectedError {
  std::string code;
  std::uint32_t line = 0;  ///< 0: any position
  std::uint32_t column = 0;
  std::string message;
  std::optional<std::string> hint;
};

struct TableCase {
  std::string file;
  int line = 0;  ///< where `query:` stands in the data file
  std::string query;
  std::optional<std::string> ast;
  std::vector<ExpectedError> errors;
  bool extension_pipes = false;
  eql::Dialect dialect = eql::Dialect::Elasticsearch;  ///< `options: endpoint`
};

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::string after_prefix(const std::string& line, std::string_view prefix) {
  std::string rest = line.substr(prefix.size());
  if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  return rest;
}

/// `CODE LINE:COLUMN MESSAGE`
ExpectedError parse_error_line(const std::string& text, const std::string& where) {
  ExpectedError error;
  std::istringstream in(text);
  std::string position;
  in >> error.code >> position;
  std::getline(in >> std::ws, error.message);
  if (position == "*") return error;
  std::size_t colon = position.find(':');
  if (error.code.empty() || colon == std::string::npos) {
    FAIL(where << ": malformed error line: " << text);
  }
  error.line = static_cast<std::uint32_t>(std::stoul(position.substr(0, colon)));
  error.column = static_cast<std::uint32_t>(std::stoul(position.substr(colon + 1)));
  return error;
}

std::vector<TableCase> load_table(const std::string& relative_path) {
  std::string path = std::string(EQL_SOURCE_DIR) + "/" + relative_path;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::vector<TableCase> cases;
  enum class State { Between, InQuery, InExpectations } state = State::Between;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::string where = relative_path + ":" + std::to_string(line_number);
    if (state == State::InQuery) {
      if (starts_with(line, "ast:") || starts_with(line, "error:") ||
          starts_with(line, "options:")) {
        state = State::InExpectations;
      } else {
        cases.back().query += "\n" + line;
        continue;
      }
    }
    if (state == State::InExpectations) {
      TableCase& current = cases.back();
      if (line.empty()) {
        state = State::Between;
      } else if (starts_with(line, "ast:")) {
        current.ast = after_prefix(line, "ast:");
      } else if (starts_with(line, "error:")) {
        current.errors.push_back(parse_error_line(after_prefix(line, "error:"), where));
      } else if (starts_with(line, "hint:")) {
        REQUIRE_MESSAGE(!current.errors.empty(), where << ": hint without an error");
        current.errors.back().hint = after_prefix(line, "hint:");
      } else if (starts_with(line, "options:")) {
        std::string option = after_prefix(line, "options:");
        REQUIRE_MESSAGE((option == "extension_pipes" || option == "endpoint"),
                        where << ": unknown option " << option);
        if (option == "endpoint") {
          current.dialect = eql::Dialect::Endpoint;
        } else {
          current.extension_pipes = true;
        }
      } else {
        FAIL(where << ": unexpected line in a case: " << line);
      }
      continue;
    }
    // Between cases: blank lines and # comments.
    if (line.empty() || line.front() == '#') continue;
    REQUIRE_MESSAGE(starts_with(line, "query:"), where << ": expected `query:`, got: " << line);
    TableCase c;
    c.file = relative_path;
    c.line = line_number;
    c.query = after_prefix(line, "query:");
    cases.push_back(std::move(c));
    state = State::InQuery;
  }
  for (const auto& c : cases) {
    bool has_ast = c.ast.has_value();
    bool has_errors = !c.errors.empty();
    REQUIRE_MESSAGE(has_ast != has_errors,
                    c.file << ":" << c.line << ": a case needs either `ast:` or `error:` lines");
  }
  return cases;
}

std::string describe(const eql::Diagnostic& d, const std::string& query) {
  eql::SourceText text("query", query);
  eql::Position at = text.position_at(d.span.begin);
  std::string out = d.code + " " + std::to_string(at.line) + ":" + std::to_string(at.column) +
                    " " + d.message;
  if (!d.hint.empty()) out += "\n      hint: " + d.hint;
  return out;
}

std::string describe(const ExpectedError& e) {
  std::string position =
      e.line == 0 ? "*" : std::to_string(e.line) + ":" + std::to_string(e.column);
  std::string out = e.code + " " + position + " " + e.message;
  if (e.hint) out += "\n      hint: " + *e.hint;
  return out;
}

bool matches(const ExpectedError& expected, const eql::Diagnostic& got, const std::string& query) {
  eql::SourceText text("query", query);
  eql::Position at = text.position_at(got.span.begin);
  bool any_position = expected.line == 0;
  return got.severity == eql::Severity::Error &&
         (expected.code == "*" || got.code == expected.code) &&
         (any_position || (at.line == expected.line && at.column == expected.column)) &&
         (expected.message == "..." || got.message == expected.message) &&
         (!expected.hint || *expected.hint == got.hint);
}

/// Runs one case; returns an empty string when it behaves as expected, else a report.
std::string run_case(const TableCase& c) {
  eql::ParseOptions options;
  options.extension_pipes = c.extension_pipes;
  options.dialect = c.dialect;
  eql::ParseResult result = eql::parse_query(c.query, options);
  std::ostringstream report;
  report << c.file << ":" << c.line << "\n  query:    " << c.query << "\n";
  std::string got_text;
  if (result.ok()) {
    got_text = "ast: " + eql::dump(*result.query);
  } else {
    for (const auto& d : result.diagnostics) got_text += "\n    error: " + describe(d, c.query);
  }
  if (c.ast) {
    bool any_ast = *c.ast == "...";  // tables of known differences only
    if (result.ok() && (any_ast || eql::dump(*result.query) == *c.ast)) return {};
    report << "  expected: ast: " << *c.ast << "\n  got:      " << got_text << "\n";
    return report.str();
  }
  bool ok = !result.ok() && result.diagnostics.size() >= c.errors.size() &&
            (c.errors.size() == 1 || result.diagnostics.size() == c.errors.size());
  for (std::size_t i = 0; ok && i < c.errors.size(); ++i) {
    ok = matches(c.errors[i], result.diagnostics[i], c.query);
  }
  if (ok) return {};
  report << "  expected:";
  for (const auto& e : c.errors) report << "\n    error: " << describe(e);
  report << "\n  got:      " << got_text << "\n";
  return report.str();
}

}  // namespace

TEST_CASE("valid queries parse to their expected AST") {
  auto cases = load_table("tests/data/parser/valid.txt");
  CHECK(cases.size() >= 170);
  int passed = 0;
  int failed = 0;
  for (const auto& c : cases) {
    CHECK_MESSAGE(c.ast.has_value(), c.file << ":" << c.line << " is not a valid-query case");
    CHECK_MESSAGE(c.ast != "...", c.file << ":" << c.line << ": `ast: ...` belongs in a table of known differences");
    std::string report = run_case(c);
    if (report.empty()) {
      ++passed;
    } else {
      ++failed;
      FAIL_CHECK(report);
    }
  }
  std::printf("parser-valid-table: %d passed, %d failed\n", passed, failed);
}

TEST_CASE("invalid queries report their expected diagnostics") {
  auto cases = load_table("tests/data/parser/invalid.txt");
  CHECK(cases.size() >= 70);
  int passed = 0;
  int failed = 0;
  for (const auto& c : cases) {
    CHECK_MESSAGE(!c.errors.empty(), c.file << ":" << c.line << " is not an invalid-query case");
    for (const auto& e : c.errors) {
      CHECK_MESSAGE((e.code != "*" && e.line != 0 && e.message != "..."),
                    c.file << ":" << c.line << ": wildcards belong in a table of known differences only");
    }
    std::string report = run_case(c);
    if (report.empty()) {
      ++passed;
    } else {
      ++failed;
      FAIL_CHECK(report);
    }
  }
  std::printf("parser-invalid-table: %d passed, %d failed\n", passed, failed);
}

TEST_CASE("the endpoint dialect: each construct parses there and is refused by Elasticsearch") {
  auto cases = load_table("tests/data/parser/endpoint.txt");
  CHECK(cases.size() >= 20);
  int passed = 0;
  int failed = 0;
  for (const auto& c : cases) {
    std::string report = run_case(c);
    if (report.empty()) {
      ++passed;
    } else {
      ++failed;
      FAIL_CHECK(report);
    }
  }
  std::printf("parser-endpoint-table: %d passed, %d failed\n", passed, failed);
}

TEST_CASE("every valid query survives the round trip through canonical EQL") {
  auto cases = load_table("tests/data/parser/valid.txt");
  auto endpoint_cases = load_table("tests/data/parser/endpoint.txt");
  for (auto& c : endpoint_cases) {
    if (c.ast) cases.push_back(std::move(c));
  }
  int passed = 0;
  int failed = 0;
  for (const auto& c : cases) {
    eql::ParseOptions options;
    options.extension_pipes = c.extension_pipes;
    options.dialect = c.dialect;
    auto first = eql::parse_query(c.query, options);
    if (!first.ok()) continue;  // reported by the table test
    std::string printed = eql::to_eql(*first.query);
    auto second = eql::parse_query(printed, options);
    std::string expected = eql::dump(*first.query);
    std::string got;
    if (second.ok()) {
      got = eql::dump(*second.query);
    } else {
      for (const auto& d : second.diagnostics) got += "\n    error: " + describe(d, printed);
    }
    if (got == expected) {
      ++passed;
    } else {
      ++failed;
      FAIL_CHECK(c.file << ":" << c.line << "\n  query:   " << c.query
                            << "\n  printed: " << printed << "\n  dump:    " << expected
                            << "\n  again:   " << got);
    }
  }
  CHECK(passed > 0);
  std::printf("parser-table-round-trip: %d passed, %d failed\n", passed, failed);
}

TEST_CASE("carriage returns count as line breaks in positions") {
  std::string query = "process where\r\n  a = 1";
  auto result = eql::parse_query(query);
  REQUIRE(!result.ok());
  REQUIRE(!result.diagnostics.empty());
  CHECK(describe(result.diagnostics.front(), query) ==
        "syntax.single-equals 2:5 use == to compare; = is not a comparison");
  auto valid = eql::parse_query("process where\r\n\ta == 1\r\n");
  REQUIRE(valid.ok());
  CHECK(eql::dump(*valid.query) == "(event \"process\" (== a 1))");
}

TEST_CASE("a sequence of more than 256 terms is refused, 256 are accepted") {
  auto sequence_of = [](int terms) {
    std::string query = "sequence";
    for (int i = 0; i < terms; ++i) query += " [process where true]";
    return query;
  };
  auto accepted = eql::parse_query(sequence_of(256));
  CHECK(accepted.ok());
  auto refused = eql::parse_query(sequence_of(257));
  REQUIRE(!refused.ok());
  REQUIRE(refused.diagnostics.size() == 1);
  CHECK(describe(refused.diagnostics.front(), sequence_of(257)) ==
        "syntax.sequence-terms 1:1 a sequence may have at most 256 terms (counting runs); this "
        "one has 257");
}

TEST_CASE("the grammar has no rule that can loop without consuming input") {
  // analyze() prints each problem it finds and returns their number.
  CHECK(tao::pegtl::analyze<eql::grammar::query>() == 0);
  CHECK(tao::pegtl::analyze<eql::grammar::standalone_expression>() == 0);
}
