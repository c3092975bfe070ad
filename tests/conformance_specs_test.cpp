// Reading Elasticsearch's spec files, and the commented-out specs: queries of the older
// Python dialect that Elasticsearch rejects must be rejected by our parser too.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "eql/parser.h"
#include "conformance/spec_file.h"

using namespace eql;

namespace {

std::string shared_file(const std::string& relative) {
  std::ifstream in(std::string(EQL_SHARED_DIR) + "/conformance/es-eql/" + relative, std::ios::binary);
  REQUIRE_MESSAGE(in, "missing " << relative << " under " << EQL_SHARED_DIR);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Syntax of the Python dialect that Elasticsearch EQL does not have.
bool uses_unsupported_syntax(const std::string& query) {
  static const char* const kMarkers[] = {
      "join",   "child of", "descendant of", "event of", "| count", "| unique", "| filter", "| sort",
      "safe(",  "wildcard(", "arrayContains", "arrayCount", "arraySearch", "match(", "matchLite(", "'",
      " = ",    "fork",
  };
  for (const char* marker : kMarkers) {
    if (query.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("bare null inside arrays becomes \"null\"; strings and comments are left alone") {
  CHECK(conformance::quote_bare_nulls(R"(join_keys = ["a", null, 'null', "x null"] # null)") ==
        R"(join_keys = ["a", "null", 'null', "x null"] # null)");
  CHECK(conformance::quote_bare_nulls("query = '''\n  x == null\n'''\nk = [null]") ==
        "query = '''\n  x == null\n'''\nk = [\"null\"]");
  CHECK(conformance::quote_bare_nulls("nullable = [nulls]") == "nullable = [nulls]");
}

TEST_CASE("spec files read, including test_extra's bare nulls and list-of-lists expectations") {
  std::string error;
  auto extra = conformance::read_spec_file(shared_file("test_extra.toml"), "test_extra.toml", error);
  REQUIRE_MESSAGE(extra, error);
  CHECK(extra->specs.size() == 40);
  bool saw_null_key = false;
  for (const auto& spec : extra->specs) {
    for (const auto& key : spec.join_keys) saw_null_key = saw_null_key || key == "null";
  }
  CHECK(saw_null_key);

  auto queries = conformance::read_spec_file(shared_file("test_queries.toml"), "test_queries.toml", error);
  REQUIRE_MESSAGE(queries, error);
  CHECK(queries->specs.size() == 133);
  CHECK(queries->specs[0].line > 0);
}

TEST_CASE("every commented-out spec that uses Python-only syntax is rejected by the parser") {
  std::string error;
  auto file = conformance::read_spec_file(shared_file("test_queries.toml"), "test_queries.toml", error);
  REQUIRE(file);
  std::size_t unsupported = 0, rejected = 0, unreadable = 0;
  for (const auto& spec : file->commented) {
    if (spec.query.empty()) {
      ++unreadable;
      continue;
    }
    if (!uses_unsupported_syntax(spec.query)) continue;
    ++unsupported;
    if (!parse_query(spec.query).ok()) {
      ++rejected;
    } else {
      FAIL_CHECK("accepted: " << spec.name << " (line " << spec.line << "): " << spec.query);
    }
  }
  std::printf("commented-out-specs: %zu passed, %zu failed (%zu commented-out specs, %zu with Python-only syntax)\n",
              rejected, unsupported - rejected, file->commented.size(), unsupported);
  CHECK(file->commented.size() == 112);
  CHECK(unreadable == 0);
  CHECK(unsupported >= 60);
  CHECK(rejected == unsupported);
}

TEST_CASE("spec entries are refused as Elasticsearch's loader refuses them, with the entry's line") {
  auto refusal = [](const std::string& text) {
    std::string error;
    auto file = conformance::read_spec_file(text, "specs.toml", error);
    CHECK_MESSAGE(!file, text);
    return error;
  };
  const std::string ok = "[[queries]]\nname = 'a'\nquery = 'any where true'\nexpected_event_ids = [1]\n";
  CHECK(refusal("[[queries]]\nquery = 'any where true'\nexpected_event_ids = [1]\n") ==
        "specs.toml:1: entry 1 of [[queries]] has no name");
  CHECK(refusal(ok + "[[queries]]\nname = 'b'\nquery = '  '\nexpected_event_ids = []\n") ==
        "specs.toml:5: entry 2 of [[queries]] has no query");
  CHECK(refusal("[[queries]]\nname = 'a'\nquery = 'any where true'\n") ==
        "specs.toml:1: entry 1 of [[queries]] has no expected_event_ids");
  CHECK(refusal("[[queries]]\nname = 'a'\nquery = 'x'\nexpected_event_ids = [1, [2]]\n") ==
        "specs.toml:1: entry 1 of [[queries]] has expected_event_ids that are neither ids nor lists of ids");
  CHECK(refusal(ok + ok) == "specs.toml:5: entry 2 of [[queries]] repeats the name \"a\"");

  std::string error;
  auto file = conformance::read_spec_file(
      "[[queries]]\nname = ' padded '\nquery = '''\n  any where true\n'''\nexpected_event_ids = []\n"
      "[[queries]]\nname = 'alternatives'\nquery = 'x'\nexpected_event_ids = [[1, 2], [3]]\n",
      "specs.toml", error);
  REQUIRE_MESSAGE(file, error);
  REQUIRE(file->specs.size() == 2);
  CHECK(file->specs[0].name == "padded");
  CHECK(file->specs[0].query == "any where true");
  REQUIRE(file->specs[0].expected.size() == 1);  // `[]`: one alternative, nothing returned
  CHECK(file->specs[0].expected[0].empty());
  CHECK(file->specs[1].expected == std::vector<std::vector<std::int64_t>>{{1, 2}, {3}});
}

TEST_CASE("data file comments become spaces, keeping strings, lines and columns") {
  CHECK(conformance::blank_json_comments("{\"a\": 1} // note\n{\"b\": \"// not a comment\"}") ==
        "{\"a\": 1}        \n{\"b\": \"// not a comment\"}");
  CHECK(conformance::blank_json_comments("[/* one\ntwo */ 1, \"\\\"/*\"]") == "[      \n       1, \"\\\"/*\"]");
  CHECK(conformance::blank_json_comments("{} /* never closed") == "{}" + std::string(16, ' '));
}
