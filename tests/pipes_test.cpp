// The hunting pipes (eql/pipes.h): count, unique, unique_count, sort and filter, and head/tail
// between them, evaluated over small event lists with known answers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "eql/checker.h"
#include "eql/parser.h"
#include "eql/pipes.h"
#include "eql/schema.h"

namespace {

std::vector<eql::EventRef> events_of(const std::vector<std::string>& lines) {
  std::vector<eql::EventRef> out;
  for (const auto& line : lines) {
    std::string error;
    auto event = eql::parse_event(line, error);
    REQUIRE_MESSAGE(event, error);
    event->ordinal = out.size();
    out.push_back(std::make_shared<const eql::Event>(std::move(*event)));
  }
  return out;
}

const std::vector<std::string> kEvents{
    R"({"id":1,"process":{"name":"cmd.exe"},"host":{"name":"a"},"pid":30})",
    R"({"id":2,"process":{"name":"powershell.exe"},"host":{"name":"a"},"pid":10})",
    R"({"id":3,"process":{"name":"cmd.exe"},"host":{"name":"b"},"pid":20})",
    R"({"id":4,"process":{"name":"cmd.exe"},"host":{"name":"a"}})",
    R"({"id":5,"process":{"name":"whoami.exe"},"host":{"name":["a","b"]},"pid":5})",
};

/// The query's pipes over kEvents; each resulting row as compact JSON.
std::vector<std::string> run(const std::string& pipes) {
  eql::ParseOptions options;
  options.extension_pipes = true;
  eql::ParseResult parsed = eql::parse_query("any where true " + pipes, options);
  REQUIRE_MESSAGE(parsed.ok(), pipes);
  eql::PipeCompileResult compiled = eql::PipeProgram::compile(parsed.query->pipes, {});
  REQUIRE_MESSAGE(compiled.program, pipes);
  eql::EvalContext context;
  std::vector<std::string> rows;
  for (const auto& row : compiled.program->apply(events_of(kEvents), context)) rows.push_back(row->json());
  return rows;
}

std::vector<std::string> ids(const std::vector<std::string>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.substr(0, r.find(',')));
  return out;
}

}  // namespace

TEST_CASE("count without fields counts the rows") {
  CHECK(run("| count") == std::vector<std::string>{R"({"count":5})"});
  CHECK(run("| head 2 | count") == std::vector<std::string>{R"({"count":2})"});
  CHECK(run("| filter pid > 100 | count") == std::vector<std::string>{R"({"count":0})"});
}

TEST_CASE("count by fields: one row per value, rarest first, with the share in percent") {
  CHECK(run("| count process.name") == std::vector<std::string>{
                                            R"({"process.name":"powershell.exe","count":1,"percent":20})",
                                            R"({"process.name":"whoami.exe","count":1,"percent":20})",
                                            R"({"process.name":"cmd.exe","count":3,"percent":60})",
                                        });
  // Several fields group by their combination; a multi-valued field groups by all its values;
  // a missing field is null.
  CHECK(run("| count host.name, pid | filter count > 1") ==
        std::vector<std::string>{});
  CHECK(run("| count host.name") == std::vector<std::string>{
                                         R"({"host.name":"b","count":1,"percent":20})",
                                         R"({"host.name":["a","b"],"count":1,"percent":20})",
                                         R"({"host.name":"a","count":3,"percent":60})",
                                     });
  CHECK(run("| count pid | head 1") == std::vector<std::string>{R"({"pid":30,"count":1,"percent":20})"});
  CHECK(run("| filter id == 4 | count pid") == std::vector<std::string>{R"({"pid":null,"count":1,"percent":100})"});
}

TEST_CASE("a row count makes is an event whose fields read back, however short") {
  eql::ParseOptions options;
  options.extension_pipes = true;
  eql::ParseResult parsed = eql::parse_query("any where true | count", options);
  REQUIRE(parsed.ok());
  eql::PipeCompileResult compiled = eql::PipeProgram::compile(parsed.query->pipes, {});
  REQUIRE(compiled.program);
  eql::EvalContext context;
  std::vector<eql::EventRef> rows = compiled.program->apply(events_of(kEvents), context);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]->paths() == std::vector<std::string_view>{"count"});
  CHECK(rows[0]->first("count").integer == 5);
}

TEST_CASE("later pipes read the rows count made") {
  CHECK(run("| count process.name | sort count desc | head 1") ==
        std::vector<std::string>{R"({"process.name":"cmd.exe","count":3,"percent":60})"});
  CHECK(run("| count process.name | filter count == 1 | count") == std::vector<std::string>{R"({"count":2})"});
}

TEST_CASE("unique keeps the first row of each value, in order") {
  CHECK(ids(run("| unique process.name")) == std::vector<std::string>{R"({"id":1)", R"({"id":2)", R"({"id":5)"});
  CHECK(ids(run("| unique host.name")) == std::vector<std::string>{R"({"id":1)", R"({"id":3)", R"({"id":5)"});
  CHECK(ids(run("| unique process.name, host.name")).size() == 4);
  CHECK(ids(run("| tail 2 | unique process.name")) == std::vector<std::string>{R"({"id":4)", R"({"id":5)"});
}

TEST_CASE("unique_count adds the count and share of each value to its first row") {
  std::vector<std::string> rows = run("| unique_count process.name");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].find(R"("id":1,)") != std::string::npos);
  CHECK(rows[0] == R"({"id":1,"process":{"name":"cmd.exe"},"host":{"name":"a"},"pid":30,"count":3,"percent":60})");
  CHECK(rows[1] == R"({"id":2,"process":{"name":"powershell.exe"},"host":{"name":"a"},"pid":10,"count":1,"percent":20})");
  CHECK(ids(run("| unique_count process.name | filter count > 1")) == std::vector<std::string>{R"({"id":1)"});
}

TEST_CASE("sort orders by each field in turn; rows without the field come last") {
  CHECK(ids(run("| sort pid")) ==
        std::vector<std::string>{R"({"id":5)", R"({"id":2)", R"({"id":3)", R"({"id":1)", R"({"id":4)"});
  CHECK(ids(run("| sort pid desc")) ==
        std::vector<std::string>{R"({"id":1)", R"({"id":3)", R"({"id":2)", R"({"id":5)", R"({"id":4)"});
  // Ties keep their order (stable); a second field breaks them.
  CHECK(ids(run("| sort process.name")) ==
        std::vector<std::string>{R"({"id":1)", R"({"id":3)", R"({"id":4)", R"({"id":2)", R"({"id":5)"});
  CHECK(ids(run("| sort process.name, id desc")) ==
        std::vector<std::string>{R"({"id":4)", R"({"id":3)", R"({"id":1)", R"({"id":2)", R"({"id":5)"});
  // Numbers compare as numbers, not text: 5 < 10 < 20 < 30.
  CHECK(ids(run("| sort pid | head 2")) == std::vector<std::string>{R"({"id":5)", R"({"id":2)"});
}

TEST_CASE("filter keeps the rows its condition holds for, with EQL's semantics") {
  CHECK(ids(run("| filter process.name : \"CMD*\"")) ==
        std::vector<std::string>{R"({"id":1)", R"({"id":3)", R"({"id":4)"});
  CHECK(ids(run("| filter pid >= 20 or host.name == \"b\"")) ==
        std::vector<std::string>{R"({"id":1)", R"({"id":3)", R"({"id":5)"});
  CHECK(ids(run("| filter pid != null | tail 1")) == std::vector<std::string>{R"({"id":5)"});
}

TEST_CASE("pipes that take fields refuse expressions, pointing at the argument") {
  eql::ParseOptions options;
  options.extension_pipes = true;
  eql::ParseResult parsed = eql::parse_query("any where true | sort length(a)", options);
  REQUIRE(parsed.ok());
  eql::PipeCompileResult compiled = eql::PipeProgram::compile(parsed.query->pipes, {});
  CHECK_FALSE(compiled.program);
  REQUIRE(compiled.diagnostics.size() == 1);
  CHECK(compiled.diagnostics[0].code == "pipe.field-expected");
  CHECK(compiled.diagnostics[0].span.begin == 22);
}

TEST_CASE("the checker's unknown-field finding is dropped for fields a pipe creates, only after it") {
  eql::ParseOptions options;
  options.extension_pipes = true;
  const std::string text = "process where count > 1 | count process.name | sort count desc | filter percent > 5";
  eql::ParseResult parsed = eql::parse_query(text, options);
  REQUIRE(parsed.ok());
  eql::CheckOptions check;
  check.query_text = text;
  eql::Diagnostics findings = eql::check_query(*parsed.query, eql::embedded_schema_all(), check);
  auto unknown = [&] {
    std::vector<std::uint32_t> at;
    for (const auto& d : findings) {
      if (d.code == "check.unknown-field") at.push_back(d.span.begin);
    }
    return at;
  };
  CHECK(unknown() == std::vector<std::uint32_t>{14, 52, 72});
  eql::drop_pipe_created_fields(findings, *parsed.query, text);
  CHECK(unknown() == std::vector<std::uint32_t>{14});  // `count` in the condition is a typo
}

TEST_CASE("extension pipes are recognised as such") {
  CHECK_FALSE(eql::is_extension_pipe(eql::ast::PipeKind::Head));
  CHECK_FALSE(eql::is_extension_pipe(eql::ast::PipeKind::Tail));
  CHECK(eql::is_extension_pipe(eql::ast::PipeKind::Count));
  CHECK(eql::is_extension_pipe(eql::ast::PipeKind::Filter));
  // Without the option the parser refuses them (eql validate, Elasticsearch semantics).
  eql::ParseResult refused = eql::parse_query("process where true | count");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.diagnostics[0].code == "syntax.pipe-unsupported");
}
