// The checker behind the parser: tables of queries that must check clean (no false
// positives) and of queries with the exact diagnostics expected, each at its token.
#include <doctest/doctest.h>

#include <sstream>

#include "eql/checker.h"
#include "eql/parser.h"

using namespace eql;

namespace {

struct Outcome {
  std::string text;
  Diagnostics diagnostics;
  std::string summary() const {
    std::ostringstream out;
    for (const auto& d : diagnostics) {
      out << severity_name(d.severity) << " " << d.code << " at `"
          << text.substr(d.span.begin, d.span.end - d.span.begin) << "`: " << d.message << "\n";
    }
    return out.str();
  }
};

Outcome check_text(const std::string& text, std::vector<std::string> index = {"logs-endpoint.events.*"},
                   std::vector<std::shared_ptr<const SchemaTable>> user_tables = {},
                   std::string category_field = "event.category") {
  ParseResult parsed = parse_query(text);
  REQUIRE_MESSAGE(parsed.query.has_value(), "does not parse: " << text);
  SchemaRequest request;
  request.index = std::move(index);
  request.datasets = query_datasets(*parsed.query);
  request.user_tables = std::move(user_tables);
  Schema schema = select_schema(request);
  CheckOptions options;
  options.query_text = text;
  options.category_field = std::move(category_field);
  return {text, check_query(*parsed.query, schema, options)};
}

}  // namespace

TEST_CASE("queries the checker must accept") {
  const char* valid[] = {
      R"(process where process.args : "x" and process.args_count >= 2)",
      R"(network where destination.port in (80, 443) and network.transport == "tcp")",
      R"(any where ?unknown.field == 1 and ?other.unknown : "x*")",
      R"(process where length(process.name) > 3 and indexOf~(process.name, "A") == 0)",
      R"(process where process.pid > 4 and process.pid < 10.5 and process.pid != null)",
      R"(file where file.size >= 1000 and file.path like~ "C:\\Windows\\*")",
      R"(process where string(process.pid) == "4" and concat(process.name, process.pid) : "a*")",
      R"(process where between(process.command_line, "a", "b") == "x" and between~(process.name, "a", "b", true) != "")",
      R"(process where add(process.pid, 1) == 5 and modulo(process.pid, 2) == 0 and process.pid + 1 > -3)",
      R"(process where substring(process.name, 0, -4) == "cmd" and number(process.name, 16) > 1)",
      R"(network where cidrMatch(destination.ip, "10.0.0.0/8", "192.168.0.0/16", "::1", "fe80::/10"))",
      R"(network where source.ip == "10.1.2.3" and destination.ip != "::1" and source.ip != null)",
      R"(any where @timestamp >= "2024-01-01T00:00:00Z" and event.ingested < 1700000000000)",
      R"(process where process.name regex~ """[a-z0-9]{2,8}\.exe""" and process.executable regex ".*\\[^\\]+")",
      R"(library where dll.code_signature.trusted == false and not dll.code_signature.exists)",
      R"(process where process.Ext.ancestry : "x" and process.parent.Ext.real.pid > 0)",
      R"(registry where registry.data.strings : "*.dll" and registry.path : "HKLM\\*")",
      R"(sequence by host.id with maxspan=1m [process where true] by process.entity_id [network where true] by process.entity_id)",
      R"(sample by host.id [process where process.name == "a"] [process where process.name == "b"])",
      R"(sequence [process where true] by process.pid [process where true] by process.parent.pid until [process where true] by process.pid)",
      R"(process where true | head 5)",
      // an optional field the schema does not know is null: no field-vs-field comparison
      R"(process where ?no.such.field == process.name and process.name != ?no.such.other)",
  };
  for (const char* text : valid) {
    Outcome outcome = check_text(text);
    CHECK_MESSAGE(outcome.diagnostics.empty(), text << "\n" << outcome.summary());
  }
}

TEST_CASE("queries the checker must refuse, each problem at its token") {
  struct Case {
    const char* text;
    std::vector<std::pair<std::string, std::string>> expected;  // code, token
  };
  const Case cases[] = {
      {R"(process where process.name)", {{"check.not-boolean", "process.name"}}},
      {R"(process where "yes")", {{"check.not-boolean", "\"yes\""}}},
      {R"(process where process.name + 1 == 2)", {{"check.arithmetic-type", "process.name"}}},
      {R"(process where -process.name == 2)", {{"check.arithmetic-type", "process.name"}}},
      // `?a == b`: the parser leaves it to the schema; a known optional field is a field
      {R"(process where ?process.name == process.parent.name)",
       {{"check.field-comparison", "process.parent.name"}}},
      {R"(process where process.name != ?process.parent.name)",
       {{"check.field-comparison", "?process.parent.name"}}},
      {R"(library where dll.pe.imports == "x")", {{"check.unsupported-field", "dll.pe.imports"}}},
      {R"(process where process.pid == "4" and process.pid == "5")",
       {{"check.type-mismatch", "\"4\""}, {"check.type-mismatch", "\"5\""}}},
      {R"(process where process.name in ("a", 1, true))",
       {{"check.type-mismatch", "1"}, {"check.type-mismatch", "true"}}},
      {R"(process where length(process.pid) > 1)", {{"check.function-argument", "process.pid"}}},
      {R"(process where length(process.name) == "3")", {{"check.type-mismatch", "\"3\""}}},
      {R"(process where startsWith(process.name, 1))", {{"check.function-argument", "1"}}},
      {R"(network where cidrMatch(source.ip, source.address))", {{"check.function-argument", "source.address"}}},
      {R"(network where cidrMatch(source.ip, "10.0.0.0/8x"))", {{"check.invalid-cidr", "\"10.0.0.0/8x\""}}},
      {R"(network where source.port : "80*")", {{"check.pattern-type", "source.port"}}},
      {R"(process where process.name regex "[z-a]")", {{"check.invalid-regex", "\"[z-a]\""}}},
      {R"(process where process.nmae == "x" and process.nmae == "y")",
       {{"check.unknown-field", "process.nmae"}, {"check.unknown-field", "process.nmae"}}},
      {R"(process where process.command_line.text == "x")", {{"check.text-field", "process.command_line.text"}}},
      {R"(sequence [process where true] by process.pid [network where true] by source.ip)",
       {{"check.join-key-type", "source.ip"}}},
  };
  for (const auto& c : cases) {
    Outcome outcome = check_text(c.text);
    std::vector<std::pair<std::string, std::string>> actual;
    for (const auto& d : outcome.diagnostics) {
      actual.emplace_back(d.code, outcome.text.substr(d.span.begin, d.span.end - d.span.begin));
    }
    CHECK_MESSAGE(actual == c.expected, c.text << "\n" << outcome.summary());
  }
}

TEST_CASE("event_category_override must name a known field") {
  CHECK(check_text(R"(process where true)", {"logs-endpoint.events.*"}, {}, "event.type").diagnostics.empty());
  Outcome outcome = check_text(R"(process where true)", {"logs-endpoint.events.*"}, {}, "event.kindd");
  REQUIRE(outcome.diagnostics.size() == 1);
  CHECK(outcome.diagnostics[0].code == "check.unknown-category-field");
  CHECK(outcome.text.substr(outcome.diagnostics[0].span.begin,
                            outcome.diagnostics[0].span.end - outcome.diagnostics[0].span.begin) == "process");
}

TEST_CASE("a user schema adds typed fields to a rule's schema") {
  Diagnostics problems;
  auto mine = load_schema_json(R"({"myapp": {"bytes": "long", "user": "keyword", "peer": "ip"}})", "myapp", problems);
  REQUIRE(problems.empty());
  CHECK(check_text(R"(any where myapp.bytes > 5 and myapp.user : "adm*" and cidrMatch(myapp.peer, "10.0.0.0/8"))",
                   {"logs-myapp-*"}, {mine})
            .diagnostics.empty());
  Outcome wrong = check_text(R"(any where myapp.bytes == "5")", {"logs-myapp-*"}, {mine});
  REQUIRE(wrong.diagnostics.size() == 1);
  CHECK(wrong.diagnostics[0].message == "`myapp.bytes` is a number (long) and cannot be compared with the string \"5\"");
  Outcome unknown = check_text(R"(any where myapp.bytes > 5)", {"logs-myapp-*"});
  REQUIRE(unknown.diagnostics.size() == 1);
  CHECK(unknown.diagnostics[0].code == "check.unknown-field");
}

TEST_CASE("dataset literals in the query select integration packages") {
  // okta fields are known once the query names the dataset, unknown otherwise
  CHECK(check_text(R"(any where event.dataset == "okta.system" and okta.actor.display_name : "x")", {"logs-*"})
            .diagnostics.empty());
  CHECK(check_text(R"(any where event.module : "okta" and okta.actor.display_name : "x")", {"logs-*"})
            .diagnostics.empty());
  Outcome excluded = check_text(R"(any where not event.dataset == "okta.system" and okta.actor.display_name : "x")",
                                {"logs-*"});
  REQUIRE(excluded.diagnostics.size() == 1);
  CHECK(excluded.diagnostics[0].code == "check.unknown-field");
}

TEST_CASE("long literals are shortened in messages on a character boundary") {
  std::string cyrillic;
  for (int i = 0; i < 40; ++i) cyrillic += "\xD0\xB4";  // д, two bytes each
  Outcome outcome = check_text("process where process.pid == \"" + cyrillic + "\"");
  REQUIRE(outcome.diagnostics.size() == 1);
  const std::string& message = outcome.diagnostics[0].message;
  std::size_t quote = message.find('"');
  std::size_t dots = message.find("...\"");
  REQUIRE(quote != std::string::npos);
  REQUIRE(dots != std::string::npos);
  std::string shown = message.substr(quote + 1, dots - quote - 1);
  CHECK(shown.size() % 2 == 0);  // whole two-byte characters only
  CHECK(shown.size() <= 57);
  CHECK(shown.substr(0, 2) == "\xD0\xB4");
}

TEST_CASE("suggestions: the same leaf deeper in the same field set") {
  Outcome outcome = check_text(R"(process where process.sha256 == "x")");
  REQUIRE(outcome.diagnostics.size() == 1);
  CHECK(outcome.diagnostics[0].message ==
        "unknown field `process.sha256` for process events; did you mean `process.hash.sha256`?");
}
