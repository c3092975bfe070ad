// Golden tests of the checker's messages: each tests/data/check/<case>.eql is parsed,
// checked against the schema its header comments select, and every diagnostic is rendered
// as text (<case>.expected) and as JSON lines (<case>.expected.json) that pin severity,
// code, position, message and hint. EQL_UPDATE_GOLDEN=1 rewrites the expectations (review
// the diff before committing).
#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eql/checker.h"
#include "eql/value.h"
#include "eql/parser.h"

using namespace eql;

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> list_after(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  std::size_t at = text.find("// " + key + ":");
  if (at == std::string::npos) return out;
  std::size_t end = text.find('\n', at);
  std::string list = text.substr(at + key.size() + 4, end - at - key.size() - 4);
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string as_json_line(const Diagnostic& diagnostic, const SourceText& file) {
  LocatedDiagnostic at = locate(diagnostic, file, QueryOrigin());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("severity");
  writer.String(severity_name(diagnostic.severity));
  writer.Key("code");
  writer.String(diagnostic.code.c_str());
  writer.Key("line");
  writer.Uint(at.begin.line);
  writer.Key("column");
  writer.Uint(at.begin.column);
  writer.Key("end_column");
  writer.Uint(at.end.column);
  writer.Key("message");
  writer.String(diagnostic.message.c_str());
  writer.Key("hint");
  writer.String(diagnostic.hint.c_str());
  writer.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

void compare_or_update(const std::filesystem::path& path, const std::string& actual) {
  if (std::getenv("EQL_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(path), "missing " << path.string());
  CHECK_MESSAGE(read_text(path) == actual, path.filename().string() << " differs; actual:\n" << actual);
}

}  // namespace

TEST_CASE("golden messages of the checker (text and JSON)") {
  std::filesystem::path folder = std::filesystem::path(EQL_SOURCE_DIR) / "tests" / "data" / "check";
  std::vector<std::filesystem::path> cases;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".eql") cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 9);
  for (const auto& path : cases) {
    SUBCASE(path.filename().string().c_str()) {
      std::string text = read_text(path);
      ParseResult parsed = parse_query(text);
      REQUIRE_MESSAGE(parsed.query.has_value(), path.filename().string() << " does not parse");
      SchemaRequest request;
      request.index = list_after(text, "index");
      request.integrations = list_after(text, "integration");
      request.datasets = query_datasets(*parsed.query);
      Schema schema = select_schema(request);
      CheckOptions options;
      options.query_text = text;
      Diagnostics diagnostics = check_query(*parsed.query, schema, options);
      SourceText file("tests/data/check/" + path.filename().string(), text);
      std::string rendered, json;
      for (const auto& note : schema.notes) rendered += "note (schema selection): " + note.message + "\n";
      for (const auto& diagnostic : diagnostics) {
        rendered += render(diagnostic, file, QueryOrigin());
        json += as_json_line(diagnostic, file);
      }
      std::filesystem::path expected = path;
      compare_or_update(expected.replace_extension(".expected"), rendered);
      compare_or_update(expected.replace_extension(".expected.json"), json);
      if (path.filename() == "valid.eql") CHECK(diagnostics.empty());
    }
  }
}

TEST_CASE("the checker's cidrMatch verdict is the evaluator's: one reading of addresses") {
  for (std::string_view block : {"10.0.0.0/8", "10.0.0.0", "192.168.1.1/32", "192.168.1.1/33", "::1/128", "::1/129",
                                 "fe80::/10", "::ffff:10.0.0.1/120", "10.0.0/8", "10.0.0.0/", "10.0.0.0/x",
                                 "010.0.0.1/8", "1.2.3.4/08", "", "/8", "256.0.0.0/8", "10.0.0.0/8/8", "fe80::1%eth0"}) {
    const bool evaluator_takes = eql::parse_cidr(block).has_value();
    CHECK_MESSAGE(eql::cidr_error(block).empty() == evaluator_takes, block);
  }
  CHECK(eql::cidr_error("10.0.0.0/33") == "an IPv4 prefix length is at most 32");
  CHECK(eql::cidr_error("::/200") == "an IPv6 prefix length is at most 128");
  CHECK(eql::cidr_error("10.0.0.0/x") == "the prefix length after `/` must be a number");
  CHECK(eql::cidr_error("10.0.0/8") == "`10.0.0` is not an IPv4 or IPv6 address");
}
