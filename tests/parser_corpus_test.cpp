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

}  // namespace

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
