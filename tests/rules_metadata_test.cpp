// The rules stage's metadata and rule_id checks as a library (check_rule_metadata,
// find_duplicate_rule_ids, detect_rule_format): positions survive hostile input (files cut
// at every byte, CRLF line endings), and the functions `eql run` can call give their facts.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "eql/rules.h"

using namespace eql;

namespace {

const std::string kData = EQL_SOURCE_DIR "/tests/data/rules";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string with_crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// Every metadata diagnostic of every rule of a file: inside the file, on a line of it, at a
// column at most one past the line's end, and renderable. Returns "code line:column" each.
std::vector<std::string> checked_metadata(const RuleFile& file) {
  std::vector<std::string> found;
  const QueryOrigin whole_file;
  const auto size = static_cast<std::uint32_t>(file.source.text().size());
  for (const Rule& rule : file.rules) {
    for (const Diagnostic& d : check_rule_metadata(file, rule)) {
      REQUIRE(d.span.begin <= d.span.end);
      REQUIRE(d.span.end <= size);
      LocatedDiagnostic at = locate(d, file.source, whole_file);
      REQUIRE(at.begin.line <= file.source.line_count());
      CHECK(at.begin.column <= count_characters(file.source.line(at.begin.line)) + 1);
      CHECK_FALSE(render(d, file.source, whole_file).empty());
      found.push_back(d.code + " " + std::to_string(at.begin.line) + ":" +
                      std::to_string(at.begin.column));
    }
  }
  return found;
}

}  // namespace

TEST_CASE("metadata diagnostics of a file cut at every byte stay inside the file") {
  for (bool crlf : {false, true}) {
    std::string text = read(kData + "/metadata/bad_metadata.toml");
    if (crlf) text = with_crlf(text);
    std::size_t checked = 0;
    for (std::size_t length = 0; length <= text.size(); ++length) {
      INFO((crlf ? "CRLF" : "LF") << ", cut after " << length << " bytes");
      RuleFile file = load_rule_text("cut.toml", text.substr(0, length), RuleFormat::Toml);
      checked += checked_metadata(file).size();
    }
    CHECK(checked > 0);
  }
}

TEST_CASE("CRLF line endings give the same lines and columns as LF") {
  const std::string text = read(kData + "/metadata/bad_metadata.toml");
  RuleFile lf = load_rule_text("lf.toml", text, RuleFormat::Toml);
  RuleFile crlf = load_rule_text("crlf.toml", with_crlf(text), RuleFormat::Toml);
  std::vector<std::string> expected = checked_metadata(lf);
  CHECK(expected.size() == 15);
  CHECK(checked_metadata(crlf) == expected);
}

TEST_CASE("a Kibana export line cut at every byte: metadata diagnostics stay on the line") {
  const std::string line = read(kData + "/metadata/export.ndjson");
  for (std::size_t length = 0; length <= line.size(); ++length) {
    INFO("cut after " << length << " bytes");
    RuleFile file = load_rule_text("cut.ndjson", line.substr(0, length), RuleFormat::Kibana);
    for (const std::string& found : checked_metadata(file)) CHECK(found.find(" 1:") != std::string::npos);
  }
}

TEST_CASE("the detection-rules corpus has no metadata finding, and no duplicate rule_id") {
  LoadedRules loaded = load_rule_paths({EQL_SHARED_DIR "/corpus/detection-rules"});
  REQUIRE(loaded.io_errors.empty());
  std::size_t rules = 0;
  for (const RuleFile& file : loaded.files) {
    rules += file.rules.size();
    INFO(file.source.name());
    CHECK(checked_metadata(file).empty());
  }
  CHECK(rules == 1024);
  CHECK(find_duplicate_rule_ids(loaded.files).empty());
}

TEST_CASE("find_duplicate_rule_ids: every holder of an id, in load order, any language") {
  std::vector<RuleFile> files;
  const std::string eql_rule = read(kData + "/duplicates/first.toml");
  files.push_back(load_rule_text("one.toml", eql_rule, RuleFormat::Toml));
  files.push_back(load_rule_text("two.toml", eql_rule, RuleFormat::Toml));
  files.push_back(load_rule_text(
      "three.ndjson",
      "{\"rule_id\":\"00000000-0000-4000-8000-0000000000d1\",\"name\":\"kql\",\"type\":\"query\","
      "\"language\":\"kuery\",\"query\":\"a:b\"}\n",
      RuleFormat::Kibana));
  files.push_back(load_rule_text("four.eql", "any where true", RuleFormat::Eql));  // no rule_id
  std::vector<DuplicateRuleId> duplicates = find_duplicate_rule_ids(files);
  REQUIRE(duplicates.size() == 1);
  CHECK(duplicates[0].rule_id == "00000000-0000-4000-8000-0000000000d1");
  REQUIRE(duplicates[0].places.size() == 3);
  CHECK(duplicates[0].places[0].file->source.name() == "one.toml");
  CHECK(duplicates[0].places[0].rule == &files[0].rules[0]);
  CHECK(duplicates[0].places[0].name == "First of two");
  // The TOML places are the rule_id's value; the Kibana rule's is its line.
  CHECK(files[0].source.position_at(duplicates[0].places[0].file_offset) == Position{12, 11});
  CHECK(duplicates[0].places[1].file->source.name() == "two.toml");
  CHECK(duplicates[0].places[2].rule == nullptr);
  CHECK(duplicates[0].places[2].name == "kql");
}

TEST_CASE("detect_rule_format: a Kibana line, TOML tables, else a query") {
  CHECK(detect_rule_format("  {\"rule_id\": \"x\"}\n") == RuleFormat::Kibana);
  CHECK(detect_rule_format("# a rule\n[metadata]\nmaturity = \"production\"\n") == RuleFormat::Toml);
  CHECK(detect_rule_format("  [rule]\r\nname = \"x\"\r\n") == RuleFormat::Toml);
  CHECK(detect_rule_format("process where process.name == \"[rule]\"") == RuleFormat::Eql);
  CHECK(detect_rule_format("sequence\n  [process where true]\n  [network where true]") == RuleFormat::Eql);
  CHECK(detect_rule_format("") == RuleFormat::Eql);
}
