// Every EQL query of the detection-rules corpus parses, and printing it back as canonical
// EQL then parsing that again gives the same tree.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <toml++/toml.h>
#include <vector>

#include "eql/parser.h"
#include "eql/printer.h"

namespace fs = std::filesystem;

namespace {

struct CorpusQuery {
  std::string file;
  std::string query;
};

std::vector<CorpusQuery> corpus_eql_queries() {
  std::vector<CorpusQuery> queries;
  fs::path root = fs::path(EQL_SHARED_DIR) / "corpus" / "detection-rules";
  if (!fs::exists(root)) return queries;
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    toml::table document = toml::parse_file(file.string());
    if (document["rule"]["language"].value_or(std::string()) != "eql") continue;
    queries.push_back({file.string(), document["rule"]["query"].value_or(std::string())});
  }
  return queries;
}

/// Every node's span lies inside its parent's and inside the text, and is not empty.
bool spans_nest(const eql::ast::Expr& expr, eql::Span outer, std::string& problem);

struct SpanChecker {
  eql::Span span;
  std::string& problem;
  bool child(const eql::ast::ExprPtr& e) const { return spans_nest(*e, span, problem); }
  bool operator()(const eql::ast::Not& n) const { return child(n.operand); }
  bool operator()(const eql::ast::Negate& n) const { return child(n.operand); }
  bool operator()(const eql::ast::Logical& l) const {
    return std::all_of(l.operands.begin(), l.operands.end(), [&](auto& e) { return child(e); });
  }
  bool operator()(const eql::ast::Compare& c) const { return child(c.left) && child(c.right); }
  bool operator()(const eql::ast::Arith& a) const { return child(a.left) && child(a.right); }
  bool operator()(const eql::ast::In& i) const {
    return child(i.value) &&
           std::all_of(i.candidates.begin(), i.candidates.end(), [&](auto& e) { return child(e); });
  }
  bool operator()(const eql::ast::Match& m) const { return child(m.value); }
  bool operator()(const eql::ast::Call& c) const {
    return std::all_of(c.args.begin(), c.args.end(), [&](auto& e) { return child(e); });
  }
  template <typename Leaf>
  bool operator()(const Leaf&) const {
    return true;
  }
};

bool spans_nest(const eql::ast::Expr& expr, eql::Span outer, std::string& problem) {
  if (expr.span.begin >= expr.span.end || expr.span.begin < outer.begin ||
      expr.span.end > outer.end) {
    problem = "span [" + std::to_string(expr.span.begin) + ", " + std::to_string(expr.span.end) +
              ") outside [" + std::to_string(outer.begin) + ", " + std::to_string(outer.end) +
              ") at " + eql::dump(expr);
    return false;
  }
  return std::visit(SpanChecker{expr.span, problem}, expr.node);
}

}  // namespace

TEST_CASE("every node of every corpus query has a span inside its parent's") {
  std::size_t checked = 0;
  for (const auto& [file, text] : corpus_eql_queries()) {
    eql::ParseResult result = eql::parse_query(text);
    REQUIRE(result.ok());
    std::string problem;
    auto whole = eql::Span{0, static_cast<std::uint32_t>(text.size())};
    auto check_filter = [&](const eql::ast::EventFilter& filter) {
      if (!spans_nest(*filter.condition, whole, problem)) FAIL_CHECK(file << ": " << problem);
    };
    if (auto* event = result.query->event()) check_filter(*event);
    if (auto* sequence = result.query->sequence()) {
      for (const auto& term : sequence->terms) check_filter(term.filter);
    }
    if (auto* sample = result.query->sample()) {
      for (const auto& term : sample->terms) check_filter(term.filter);
    }
    ++checked;
  }
  CHECK(checked == 1024);
}

TEST_CASE("every corpus EQL query parses and round-trips through the printer") {
  std::vector<CorpusQuery> queries = corpus_eql_queries();
  REQUIRE_MESSAGE(queries.size() == 1024, "the corpus at " EQL_SHARED_DIR " should hold 1024 EQL rules");
  std::size_t parsed = 0;
  std::size_t round_tripped = 0;
  for (const auto& [file, text] : queries) {
    eql::ParseResult first = eql::parse_query(text);
    if (!first.ok()) {
      FAIL_CHECK(file << ": " << first.diagnostics.front().message);
      continue;
    }
    ++parsed;
    std::string canonical = eql::to_eql(*first.query);
    eql::ParseResult second = eql::parse_query(canonical);
    if (!second.ok()) {
      FAIL_CHECK(file << ": the printed form does not parse: " << canonical);
      continue;
    }
    if (eql::dump(*second.query) != eql::dump(*first.query)) {
      FAIL_CHECK(file << ": the tree changed through printing\n  " << eql::dump(*first.query)
                      << "\n  " << eql::dump(*second.query));
      continue;
    }
    ++round_tripped;
  }
  // Printed on every run (ctest keeps it in its log; tools/test.sh shows these lines).
  std::printf("corpus-parse: %zu passed, %zu failed\n", parsed, queries.size() - parsed);
  std::printf("corpus-round-trip: %zu passed, %zu failed\n", round_tripped,
              queries.size() - round_tripped);
  CHECK(parsed == queries.size());
  CHECK(round_tripped == queries.size());
}
