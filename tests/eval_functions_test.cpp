// Every function's documented examples (Elasticsearch eql-function-ref), arithmetic, and
// typed comparisons, written as EQL text and evaluated as constants or over one event.
#include <doctest/doctest.h>

#include "eql/functions.h"
#include "eql/parser.h"
#include "eval_builder.h"

using namespace eql;

namespace {

// The value of a constant expression, printed as EQL would show it (strings quoted).
std::string constant(std::string_view text) {
  auto parsed = parse_expression(text);
  if (!parsed.expr) return "<parse error: " + (parsed.diagnostics.empty() ? std::string() : parsed.diagnostics[0].message) + ">";
  std::string storage;
  auto value = evaluate_constant(*parsed.expr, storage);
  if (!value) return "<not constant>";
  std::string out;
  append_json(out, *value);
  return out;
}

// Whether `condition` holds for the event (no category test).
bool holds(std::string_view condition, std::string_view json) {
  auto parsed = parse_expression(condition);
  REQUIRE_MESSAGE(parsed.expr, std::string(condition));
  auto compiled = compile_condition(*parsed.expr, {});
  REQUIRE(compiled.program);
  EvalContext context;
  return compiled.program->matches(testing::event(json), context);
}

struct Example {
  const char* expression;
  const char* expected;
};

void check_examples(std::initializer_list<Example> examples) {
  for (const auto& example : examples) {
    std::string expression = example.expression;
    CAPTURE(expression);
    CHECK(constant(example.expression) == example.expected);
  }
}

}  // namespace

TEST_CASE("add, subtract, multiply, divide, modulo: documented examples") {
  check_examples({
      {"add(4, 5)", "9"}, {"add(4, 0.5)", "4.5"}, {"add(0.5, 0.25)", "0.75"}, {"add(4, -2)", "2"},
      {"add(-2, -2)", "-4"}, {"add(null, 4)", "null"}, {"add(4, null)", "null"},
      {"subtract(10, 2)", "8"}, {"subtract(10.5, 0.5)", "10.0"}, {"subtract(-2, 4)", "-6"},
      {"subtract(-2, -4)", "2"}, {"subtract(null, 2)", "null"}, {"subtract(2, null)", "null"},
      {"multiply(2, 2)", "4"}, {"multiply(0.5, 2)", "1.0"}, {"multiply(0.25, 2)", "0.5"},
      {"multiply(-2, 2)", "-4"}, {"multiply(-2, -2)", "4"}, {"multiply(null, 2)", "null"},
      {"divide(4, 2)", "2"}, {"divide(4, 3)", "1"}, {"divide(4, 0.5)", "8.0"}, {"divide(0.5, 4)", "0.125"},
      {"divide(0.5, 0.25)", "2.0"}, {"divide(4, -2)", "-2"}, {"divide(-4, -2)", "2"},
      {"divide(null, 4)", "null"}, {"divide(4, null)", "null"},
      {"modulo(10, 6)", "4"}, {"modulo(10, 5)", "0"}, {"modulo(10, 0.5)", "0.0"}, {"modulo(10, -6)", "4"},
      {"modulo(-10, -6)", "-4"}, {"modulo(null, 5)", "null"}, {"modulo(7, null)", "null"},
  });
  // divide(4, 3.0) is 1.333...; integer division truncates toward zero, % takes the sign
  // of the dividend.
  CHECK(constant("divide(4, 3.0) > 1.33 and divide(4, 3.0) < 1.34") == "true");
  check_examples({{"-7 / 2", "-3"}, {"7 / -2", "-3"}, {"-7 % 3", "-1"}, {"7 % -3", "1"}, {"7 / 2.0", "3.5"},
                  {"1 / 0", "null"}, {"9223372036854775807 + 1", "null"}});
}

TEST_CASE("between: documented examples") {
  // file.path = "C:\\Windows\\System32\\cmd.exe"
  const char* event = R"({"file":{"path":"C:\\Windows\\System32\\cmd.exe"}})";
  CHECK(holds(R"(between(file.path, "System32\\", ".exe") == "cmd")", event));
  CHECK(holds(R"(between(file.path, "system32\\", ".exe") == "")", event));
  CHECK(holds(R"(between(file.path, "workspace\\", ".exe") == "")", event));
  CHECK(holds(R"(between~(file.path, "system32\\", ".exe") == "cmd")", event));
  CHECK(holds(R"(between(file.path, "\\", "\\", false) == "Windows")", event));
  CHECK(holds(R"(between(file.path, "\\", "\\", true) == "Windows\\System32")", event));
  check_examples({{R"(between("", "System32\\", ".exe"))", R"("")"}, {R"(between("", "", ""))", R"("")"},
                  {R"(between(null, "System32\\", ".exe"))", "null"}});
}

TEST_CASE("cidrMatch: documented examples, IPv4 and IPv6") {
  const char* event = R"({"source":{"address":"192.168.152.12"}})";
  CHECK(holds(R"(cidrMatch(source.address, "192.168.0.0/16"))", event));
  CHECK(holds(R"(cidrMatch(source.address, "192.168.0.0/16", "10.0.0.0/8"))", event));
  CHECK_FALSE(holds(R"(cidrMatch(source.address, "10.0.0.0/8"))", event));
  CHECK_FALSE(holds(R"(cidrMatch(source.address, "10.0.0.0/8", "10.128.0.0/9"))", event));
  check_examples({{R"(cidrMatch(null, "10.0.0.0/8"))", "null"}});
  CHECK(holds(R"(cidrMatch(source.address, null) == null)", event));
  CHECK(holds(R"(cidrMatch(destination.ip, "2001:db8::/32"))", R"({"destination":{"ip":"2001:db8:0:1::7"}})"));
  CHECK_FALSE(holds(R"(cidrMatch(destination.ip, "2001:db8::/32"))", R"({"destination":{"ip":"2001:db9::7"}})"));
  // A CIDR with host bits set (Elasticsearch's own spec uses 10.6.48.157/8).
  CHECK(holds(R"(cidrMatch(ip, "10.6.48.157/8"))", R"({"ip":"10.1.2.3"})"));
}

TEST_CASE("concat, string, length: documented examples") {
  check_examples({
      {R"(concat("process is ", "regsvr32.exe"))", R"("process is regsvr32.exe")"},
      {R"(concat("regsvr32.exe", " ", 42))", R"("regsvr32.exe 42")"},
      {R"(concat("regsvr32.exe", " ", 42.5))", R"("regsvr32.exe 42.5")"},
      {R"(concat("regsvr32.exe", " ", true))", R"("regsvr32.exe true")"},
      {R"(concat("regsvr32.exe"))", R"("regsvr32.exe")"},
      {R"(concat(null, "regsvr32.exe"))", "null"}, {R"(concat(null))", "null"},
      {"string(42)", R"("42")"}, {"string(42.5)", R"("42.5")"}, {R"(string("regsvr32.exe"))", R"("regsvr32.exe")"},
      {"string(true)", R"("true")"}, {"string(null)", "null"},
      {R"(length("explorer.exe"))", "12"}, {R"(length("start explorer.exe"))", "18"}, {R"(length(""))", "0"},
      {"length(null)", "null"}, {R"(length("Ωμέγα"))", "5"},
  });
  CHECK(holds(R"(concat(process.name, " ", process.arg_count) == "regsvr32.exe 4")",
              R"({"process":{"name":"regsvr32.exe","arg_count":4}})"));
}

TEST_CASE("endsWith, startsWith, stringContains: documented examples") {
  check_examples({
      {R"(endsWith("regsvr32.exe", ".exe"))", "true"}, {R"(endsWith("regsvr32.exe", ".EXE"))", "false"},
      {R"(endsWith("regsvr32.exe", ".dll"))", "false"}, {R"(endsWith("", ""))", "true"},
      {R"(endsWith~("regsvr32.exe", ".EXE"))", "true"}, {R"(endsWith("regsvr32.exe", null))", "null"},
      {R"(endsWith("", null))", "null"}, {R"(endsWith(null, ".exe"))", "null"}, {"endsWith(null, null)", "null"},
      {R"(startsWith("regsvr32.exe", "regsvr32"))", "true"}, {R"(startsWith("regsvr32.exe", "Regsvr32"))", "false"},
      {R"(startsWith("regsvr32.exe", "explorer"))", "false"}, {R"(startsWith("", ""))", "true"},
      {R"(startsWith~("regsvr32.exe", "Regsvr32"))", "true"}, {R"(startsWith("regsvr32.exe", null))", "null"},
      {R"(startsWith(null, "regsvr32"))", "null"},
      {R"(stringContains("start regsvr32.exe", "regsvr32"))", "true"},
      {R"(stringContains("start regsvr32.exe", "Regsvr32"))", "false"},
      {R"(stringContains~("start regsvr32.exe", "Regsvr32"))", "true"},
      {R"(stringContains(null, "regsvr32"))", "null"}, {R"(stringContains("a", null))", "null"},
  });
  const char* event = R"({"file":{"name":"regsvr32.exe","extension":".exe"}})";
  CHECK(holds(R"(endsWith(file.name, ".exe"))", event));
  CHECK_FALSE(holds(R"(endsWith(file.name, ".dll"))", event));
  CHECK(holds(R"(endsWith("regsvr32.exe", file.extension))", event));
  // On a plain field Elasticsearch runs these as wildcard queries: `*` and `?` match there,
  // and are literal on any other expression.
  CHECK(holds(R"(endsWith(file.name, "32.e?e"))", event));
  CHECK(holds(R"(stringContains(file.name, "svr*.exe"))", event));
  CHECK_FALSE(holds(R"(endsWith(concat(file.name, ""), "32.e?e"))", event));
}

TEST_CASE("indexOf: documented examples") {
  const char* event = R"({"url":{"domain":"subdomain.example.com"}})";
  struct Case {
    const char* call;
    const char* expected;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"(indexOf(url.domain, "d"))", "3"}, {R"(indexOf(url.domain, "D"))", "null"},
           {R"(indexOf(url.domain, "."))", "9"}, {R"(indexOf(url.domain, ".", 9))", "9"},
           {R"(indexOf(url.domain, ".", 10))", "17"}, {R"(indexOf(url.domain, ".", -6))", "9"},
           {R"(indexOf~(url.domain, "D"))", "3"}, {R"(indexOf(url.domain, ""))", "0"},
           {R"(indexOf(url.domain, "", 9))", "9"}, {R"(indexOf(url.domain, "", 10))", "10"},
           {R"(indexOf(url.domain, "", -6))", "0"}, {R"(indexOf(url.domain, "z"))", "null"},
           {R"(indexOf(url.domain, "z", 9))", "null"}, {R"(indexOf(url.domain, ".", 30))", "null"},
           {R"(indexOf(url.domain, null, 9))", "null"}, {R"(indexOf(url.domain, ".", null))", "null"}}) {
    std::string text = std::string(c.call) + (std::string(c.expected) == "null" ? " == null" : std::string(" == ") + c.expected);
    CAPTURE(text);
    CHECK(holds(text, event));
  }
  check_examples({{R"(indexOf("", ""))", "0"}, {R"(indexOf(null, ".", 9))", "null"}});
}

TEST_CASE("number and substring: documented examples") {
  check_examples({
      {R"(number("1337"))", "1337"}, {R"(number("42.5"))", "42.5"}, {R"(number("deadbeef", 16))", "3735928559"},
      {R"(number("0xdeadbeef"))", "3735928559"}, {R"(number("0xdeadbeef", 16))", "3735928559"},
      {R"(number("+1337"))", "1337"}, {R"(number("-1337"))", "-1337"}, {R"(number("  1337  "))", "1337"},
      {"number(null)", "null"}, {"number(null, 16)", "null"}, {R"(number("0xdeadbeef", null))", "3735928559"},
      {R"(number("1337", null))", "1337"}, {R"(number("32", 16))", "50"}, {R"(number(""))", "null"},
      {R"(substring("start regsvr32.exe", 6))", R"("regsvr32.exe")"},
      {R"(substring("start regsvr32.exe", 0, 5))", R"("start")"},
      {R"(substring("start regsvr32.exe", 6, 14))", R"("regsvr32")"},
      {R"(substring("start regsvr32.exe", -4))", R"(".exe")"},
      {R"(substring("start regsvr32.exe", -4, -1))", R"(".ex")"},
      {R"(substring("abc", 5))", R"("")"}, {R"(substring("abc", 2, 1))", R"("")"},
      {R"(substring("Ωμέγα", 1, 3))", R"("μέ")"},
  });
  CHECK(holds(R"(number(process.pid) == 1337)", R"({"process":{"pid":"1337"}})"));
}

TEST_CASE("comparisons follow the field types: dates, ips, versions, numbers beyond 2^53") {
  FieldTable table(true);
  table.add("@timestamp", FieldInfo{FieldType::Date, "@timestamp", std::nullopt, {}});
  table.add("ip", FieldInfo{FieldType::Ip, "ip", std::nullopt, {}});
  table.add("version", FieldInfo{FieldType::Version, "version", std::nullopt, {}});
  table.add("big", FieldInfo{FieldType::Integer, "big", std::nullopt, {}});
  auto typed = [&](std::string_view condition, std::string_view json) {
    auto parsed = parse_expression(condition);
    REQUIRE(parsed.expr);
    FilterOptions options;
    options.field_types = &table;
    auto compiled = compile_condition(*parsed.expr, options);
    REQUIRE(compiled.program);
    EvalContext context;
    return compiled.program->matches(testing::event(json), context);
  };
  CHECK(typed(R"(@timestamp == "2017-08-30T20:47:33Z")", R"({"@timestamp":"2017-08-30T22:47:33.000+02:00"})"));
  CHECK(typed(R"(@timestamp == 1504126053000)", R"({"@timestamp":"2017-08-30T20:47:33Z"})"));
  CHECK(typed(R"(@timestamp < "2017-08-30T20:47:33.000000001Z")", R"({"@timestamp":"2017-08-30T20:47:33Z"})"));
  CHECK(typed(R"(@timestamp > "2017")", R"({"@timestamp":1504126053000})"));
  CHECK(typed(R"(ip == "10.0.0.1")", R"({"ip":"10.0.0.1"})"));
  CHECK(typed(R"(ip < "10.0.0.10")", R"({"ip":"10.0.0.9"})"));  // not string order
  CHECK(typed(R"(ip == "::ffff:10.0.0.1")", R"({"ip":"10.0.0.1"})"));
  CHECK(typed(R"(ip == "2001:db8::1")", R"({"ip":"2001:0db8:0:0:0:0:0:1"})"));
  CHECK(typed(R"(version > "1.5.0")", R"({"version":"1.11.3"})"));
  CHECK(typed(R"(version < "1.0.0")", R"({"version":"1.0.0-alpha"})"));
  CHECK(typed(R"(version == "bad")", R"({"version":"bad"})"));
  CHECK(typed(R"(big == 9007199254740993)", R"({"big":9007199254740993})"));
  CHECK_FALSE(typed(R"(big == 9007199254740992)", R"({"big":9007199254740993})"));
  // Without types: strings compare as strings, numbers as numbers.
  CHECK(holds(R"(n > 9)", R"({"n":10})"));
  CHECK(holds(R"(s > "9")", R"({"s":"a"})"));
  CHECK(holds(R"(pid == 1337)", R"({"pid":"1337"})"));  // numeric text on a number comparison
}

TEST_CASE("literals that cannot be read in the field's type are compile errors") {
  FieldTable table(true);
  table.add("@timestamp", FieldInfo{FieldType::Date, "@timestamp", std::nullopt, {}});
  table.add("source.ip", FieldInfo{FieldType::Ip, "source.ip", std::nullopt, {}});
  auto first_error = [&](std::string_view text) {
    auto parsed = parse_expression(text);
    REQUIRE(parsed.expr);
    FilterOptions options;
    options.field_types = &table;
    auto compiled = compile_condition(*parsed.expr, options);
    return compiled.diagnostics.empty() ? std::string() : compiled.diagnostics.front().code;
  };
  CHECK(first_error(R"(@timestamp > "yesterday")") == "eval.bad-date");
  CHECK(first_error(R"(@timestamp in ("2024-01-01", "31/01/2024"))") == "eval.bad-date");
  CHECK(first_error(R"(source.ip == "10.0.0.300")") == "eval.bad-ip");
  CHECK(first_error(R"(@timestamp > "2024-01-01" and source.ip != "::1")").empty());
}

TEST_CASE("unknown functions, arity and bad CIDRs are compile errors") {
  auto errors = [](std::string_view text) {
    auto parsed = parse_expression(text);
    if (!parsed.expr) return std::string("parse");
    auto compiled = compile_condition(*parsed.expr, {});
    return compiled.diagnostics.empty() ? std::string() : compiled.diagnostics.front().code;
  };
  CHECK(errors(R"(cidrMatch(ip, "10.0.0.0/33"))") == "eval.bad-cidr");
  CHECK(errors(R"(cidrMatch(ip, "10.0.0.0/8"))").empty());
}

TEST_CASE("one function table: any case finds the canonical name, arity as messages say it") {
  const eql::FunctionSignature* ends = eql::find_function("ENDSWITH");
  REQUIRE(ends != nullptr);
  CHECK(ends->name == "endsWith");
  CHECK(ends->function == eql::Function::EndsWith);
  CHECK(ends->accepts_tilde);
  CHECK(eql::find_function("arrayContains") == nullptr);
  CHECK(eql::find_function("") == nullptr);
  CHECK(eql::arity_text(*eql::find_function("length")) == "1");
  CHECK(eql::arity_text(*eql::find_function("between")) == "3 or 4");
  CHECK(eql::arity_text(*eql::find_function("cidrmatch")) == "at least 2");
  // Sorted by name, each name once: the parser's did-you-mean and the shell's completion
  // list them in this order.
  auto all = eql::functions();
  CHECK(all.size() == 16);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].name < all[i].name);
}
