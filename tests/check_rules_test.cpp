// Each check of the type checker, valid and invalid, on hand-built syntax trees (so these
// tests do not depend on the parser). Spans are located by searching the query text.
#include <doctest/doctest.h>

#include <stdexcept>

#include "eql/checker.h"

using namespace eql;
using namespace eql::ast;

namespace {

/// Builds expressions whose spans point at tokens of `text`.
struct Tree {
  std::string text;

  Span span_of(std::string_view token, std::size_t occurrence = 0) const {
    std::size_t at = text.find(token);
    for (std::size_t i = 0; i < occurrence && at != std::string::npos; ++i) at = text.find(token, at + 1);
    if (at == std::string::npos) throw std::logic_error("token not in text: " + std::string(token));
    return Span{static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + token.size())};
  }
  template <typename Node>
  ExprPtr make(Span span, Node node) const {
    auto expr = std::make_unique<Expr>();
    expr->span = span;
    expr->node = std::move(node);
    return expr;
  }
  ExprPtr field(std::string name, std::size_t occurrence = 0) const {
    bool optional = !name.empty() && name.front() == '?';
    std::string plain = optional ? name.substr(1) : name;
    return make(span_of(name, occurrence), Field{plain, optional, {}, {}});
  }
  ExprPtr str(std::string value, std::size_t occurrence = 0) const {
    return make(span_of("\"" + value + "\"", occurrence), StringLiteral{value, false});
  }
  ExprPtr num(std::int64_t value, std::size_t occurrence = 0) const {
    return make(span_of(std::to_string(value), occurrence), IntLiteral{value});
  }
  ExprPtr boolean(bool value) const { return make(span_of(value ? "true" : "false"), BoolLiteral{value}); }
  static Span cover(const ExprPtr& a, const ExprPtr& b) { return Span{a->span.begin, b->span.end}; }
  ExprPtr compare(CompareOp op, ExprPtr left, ExprPtr right) const {
    Span span = cover(left, right);
    return make(span, Compare{op, std::move(left), std::move(right)});
  }
  ExprPtr eq(ExprPtr left, ExprPtr right) const { return compare(CompareOp::Eq, std::move(left), std::move(right)); }
  ExprPtr in(ExprPtr value, std::vector<ExprPtr> candidates) const {
    Span span = cover(value, candidates.back());
    In node;
    node.value = std::move(value);
    node.candidates = std::move(candidates);
    return make(span, std::move(node));
  }
  ExprPtr match(MatchOp op, ExprPtr value, std::vector<std::string> patterns) const {
    Match node;
    node.op = op;
    node.case_insensitive = op == MatchOp::Colon;
    Span span = value->span;
    node.value = std::move(value);
    for (auto& pattern : patterns) {
      Span pattern_span = span_of("\"" + pattern + "\"");
      span.end = pattern_span.end;
      node.pattern_spans.push_back(pattern_span);
      node.patterns.push_back(StringLiteral{pattern, false});
    }
    return make(span, std::move(node));
  }
  ExprPtr call(std::string written, std::vector<ExprPtr> args, bool tilde = false) const {
    Call node;
    node.written_name = written;
    node.name = written;
    node.name_span = span_of(written + (tilde ? "~(" : "("));
    node.name_span.end = node.name_span.begin + static_cast<std::uint32_t>(written.size());
    node.case_insensitive = tilde;
    Span span{node.name_span.begin, args.empty() ? node.name_span.end : args.back()->span.end + 1};
    node.args = std::move(args);
    return make(span, std::move(node));
  }
  ExprPtr both(ExprPtr a, ExprPtr b) const {
    Span span = cover(a, b);
    Logical node;
    node.op = LogicOp::And;
    node.operands.push_back(std::move(a));
    node.operands.push_back(std::move(b));
    return make(span, std::move(node));
  }
  Query event(std::string category, ExprPtr condition) const {
    Query query;
    EventFilter filter;
    filter.category = category == "any" ? "" : category;
    filter.any = category == "any";
    filter.category_span = span_of(category);
    filter.condition = std::move(condition);
    query.body = std::move(filter);
    return query;
  }
  std::string at(const Diagnostic& diagnostic) const {
    return text.substr(diagnostic.span.begin, diagnostic.span.end - diagnostic.span.begin);
  }
};

Schema rule_schema(std::vector<std::string> index = {"logs-endpoint.events.*"},
                   std::vector<std::string> integrations = {}) {
  SchemaRequest request;
  request.index = std::move(index);
  request.integrations = std::move(integrations);
  return select_schema(request);
}

Diagnostics check(const Tree& tree, const Query& query, const Schema& schema = rule_schema()) {
  CheckOptions options;
  options.query_text = tree.text;
  return check_query(query, schema, options);
}

}  // namespace

TEST_CASE("unknown fields: error with did-you-mean, ?field exempt") {
  Tree t{R"(process where process.parnet.name == "cmd.exe")"};
  auto d = check(t, t.event("process", t.eq(t.field("process.parnet.name"), t.str("cmd.exe"))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].severity == Severity::Error);
  CHECK(d[0].code == "check.unknown-field");
  CHECK(d[0].message == "unknown field `process.parnet.name` for process events; did you mean `process.parent.name`?");
  CHECK(t.at(d[0]) == "process.parnet.name");

  Tree optional{R"(process where ?process.parnet.name == "cmd.exe")"};
  CHECK(check(optional, optional.event("process", optional.eq(optional.field("?process.parnet.name"),
                                                               optional.str("cmd.exe"))))
            .empty());

  Tree same_leaf{R"(any where file.pid == 4)"};
  d = check(same_leaf, same_leaf.event("any", same_leaf.eq(same_leaf.field("file.pid"), same_leaf.num(4))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message.find("unknown field `file.pid`; did you mean `") == 0);
  CHECK((d[0].message + d[0].hint).find("`process.pid`") != std::string::npos);
}

TEST_CASE("unknown fields of a package without schema are warnings; ECS field sets stay errors") {
  Schema schema = rule_schema({"logs-crowdstrike.fdr*"}, {"crowdstrike"});
  Tree t{R"(process where crowdstrike.event.Foo == "x" and process.nmae == "y")"};
  auto d = check(t, t.event("process", t.both(t.eq(t.field("crowdstrike.event.Foo"), t.str("x")),
                                              t.eq(t.field("process.nmae"), t.str("y")))),
                 schema);
  REQUIRE(d.size() == 2);
  CHECK(d[0].severity == Severity::Warning);
  CHECK(d[0].code == "check.unchecked-package-field");
  CHECK(d[0].message ==
        "field `crowdstrike.event.Foo` cannot be checked: the integration package `crowdstrike` has no embedded schema");
  CHECK(d[1].severity == Severity::Error);
  CHECK(d[1].code == "check.unknown-field");
  CHECK(t.at(d[1]) == "process.nmae");
}

TEST_CASE("comparisons between incompatible types") {
  Tree t{R"(process where process.pid == "4")"};
  auto d = check(t, t.event("process", t.eq(t.field("process.pid"), t.str("4"))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == "check.type-mismatch");
  CHECK(d[0].message == "`process.pid` is a number (long) and cannot be compared with the string \"4\"");
  CHECK(t.at(d[0]) == "\"4\"");

  Tree s{R"(process where process.name == 4)"};
  d = check(s, s.event("process", s.eq(s.field("process.name"), s.num(4))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "`process.name` is a keyword and cannot be compared with the number 4");

  Tree b{R"(library where dll.code_signature.trusted == "true")"};
  d = check(b, b.event("library", b.eq(b.field("dll.code_signature.trusted"), b.str("true"))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "`dll.code_signature.trusted` is a boolean and cannot be compared with the string \"true\"");

  Tree ok{R"(library where dll.code_signature.trusted == true)"};
  CHECK(check(ok, ok.event("library", ok.eq(ok.field("dll.code_signature.trusted"), ok.boolean(true)))).empty());

  Tree in{R"(process where process.name in ("a", 1))"};
  d = check(in, in.event("process", in.in(in.field("process.name"), [&] {
                                        std::vector<ExprPtr> items;
                                        items.push_back(in.str("a"));
                                        items.push_back(in.num(1));
                                        return items;
                                      }())));
  REQUIRE(d.size() == 1);
  CHECK(in.at(d[0]) == "1");
}

TEST_CASE("dates compare with date strings and epoch numbers") {
  Tree t{R"(any where @timestamp > "2024-01-01" and event.created < 1700000000)"};
  CHECK(check(t, t.event("any", t.both(t.compare(CompareOp::Greater, t.field("@timestamp"), t.str("2024-01-01")),
                                       t.compare(CompareOp::Less, t.field("event.created"), t.num(1700000000)))))
            .empty());
  Tree bad{R"(any where @timestamp == true)"};
  auto d = check(bad, bad.event("any", bad.eq(bad.field("@timestamp"), bad.boolean(true))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "`@timestamp` is a date and cannot be compared with the boolean true");
}

TEST_CASE("ip fields: addresses as strings, not in `in` lists, cidrMatch") {
  Tree ok{R"(network where source.ip == "10.1.2.3")"};
  CHECK(check(ok, ok.event("network", ok.eq(ok.field("source.ip"), ok.str("10.1.2.3")))).empty());

  Tree bad{R"(network where source.ip == "localhost")"};
  auto d = check(bad, bad.event("network", bad.eq(bad.field("source.ip"), bad.str("localhost"))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == "check.invalid-ip");

  Tree in{R"(network where source.ip in ("10.0.0.1", "::1"))"};
  std::vector<ExprPtr> items;
  items.push_back(in.str("10.0.0.1"));
  items.push_back(in.str("::1"));
  d = check(in, in.event("network", in.in(in.field("source.ip"), std::move(items))));
  REQUIRE(d.size() == 2);
  CHECK(d[0].code == "check.ip-in-strings");
  CHECK(d[0].message == "`source.ip` is an ip and cannot be compared with the string \"10.0.0.1\" in an `in` list");

  Tree cidr{R"(network where cidrMatch(host.name, "10.0.0.0/8", "300.1.0.0/16", "fe80::/10", "10.0.0.0/33"))"};
  std::vector<ExprPtr> args;
  args.push_back(cidr.field("host.name"));
  args.push_back(cidr.str("10.0.0.0/8"));
  args.push_back(cidr.str("300.1.0.0/16"));
  args.push_back(cidr.str("fe80::/10"));
  args.push_back(cidr.str("10.0.0.0/33"));
  d = check(cidr, cidr.event("network", cidr.call("cidrMatch", std::move(args))));
  REQUIRE(d.size() == 3);
  CHECK(d[0].message == "cidrMatch needs an ip field; `host.name` is a keyword");
  CHECK(cidr.at(d[1]) == "\"300.1.0.0/16\"");
  CHECK(d[1].code == "check.invalid-cidr");
  CHECK(cidr.at(d[2]) == "\"10.0.0.0/33\"");
}

TEST_CASE("patterns on non-string fields and invalid regexes") {
  Tree t{R"(process where process.pid : "4*")"};
  auto d = check(t, t.event("process", t.match(MatchOp::Colon, t.field("process.pid"), {"4*"})));
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == "check.pattern-type");
  CHECK(d[0].message == "`:` matches strings only, but `process.pid` is a number (long)");
  CHECK(t.at(d[0]) == "process.pid");

  Tree r{R"(process where process.name regex "[a-z]+(" and process.name regex "a{2,1}")"};
  d = check(r, r.event("process", r.both(r.match(MatchOp::Regex, r.field("process.name"), {"[a-z]+("}),
                                         r.match(MatchOp::Regex, r.field("process.name", 1), {"a{2,1}"}))));
  REQUIRE(d.size() == 2);
  CHECK(d[0].code == "check.invalid-regex");
  CHECK(r.at(d[0]) == "\"[a-z]+(\"");
  CHECK(d[1].message.find("the maximum is below the minimum") != std::string::npos);
}

TEST_CASE("text fields are refused, with the keyword form suggested") {
  Tree t{R"(process where process.command_line.text : "*whoami*")"};
  auto d = check(t, t.event("process", t.match(MatchOp::Colon, t.field("process.command_line.text"), {"*whoami*"})));
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == "check.text-field");
  CHECK(d[0].message == "`process.command_line.text` is a match_only_text field: Elasticsearch analyses text into "
                        "words, so EQL cannot compare or match it");
  CHECK(d[0].hint == "use `process.command_line`, the keyword form of the same value");
}

TEST_CASE("functions: names case-insensitive, arity, argument types, tilde") {
  Tree t{R"(process where endswith(process.name, "x") and startsWith~(process.pid, "1"))"};
  std::vector<ExprPtr> a1, a2;
  a1.push_back(t.field("process.name"));
  a1.push_back(t.str("x"));
  a2.push_back(t.field("process.pid"));
  a2.push_back(t.str("1"));
  auto d = check(t, t.event("process", t.both(t.call("endswith", std::move(a1)), t.call("startsWith", std::move(a2), true))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == "check.function-argument");
  CHECK(d[0].message == "the first argument of `startsWith` must be a string, but `process.pid` is a number (long)");

  Tree u{R"(process where lenght(process.name) > 3)"};
  std::vector<ExprPtr> a3;
  a3.push_back(u.field("process.name"));
  d = check(u, u.event("process", u.compare(CompareOp::Greater, u.call("lenght", std::move(a3)), u.num(3))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == "check.unknown-function");
  CHECK(d[0].message == "unknown function `lenght`; did you mean `length`?");
  CHECK(u.at(d[0]) == "lenght");

  Tree ar{R"(process where length~(process.name, "x"))"};
  std::vector<ExprPtr> a4;
  a4.push_back(ar.field("process.name"));
  a4.push_back(ar.str("x"));
  d = check(ar, ar.event("process", ar.call("length", std::move(a4), true)));
  REQUIRE(d.size() == 3);  // tilde, arity, and a number used as a condition
  CHECK(d[0].code == "check.function-tilde");
  CHECK(d[1].code == "check.function-arity");
  CHECK(d[1].message == "`length` takes 1 argument, not 2");
  CHECK(d[2].code == "check.not-boolean");
}

TEST_CASE("field-vs-field comparisons are refused") {
  Tree t{R"(process where process.name == process.parent.name)"};
  auto d = check(t, t.event("process", t.eq(t.field("process.name"), t.field("process.parent.name"))));
  REQUIRE(d.size() == 1);
  CHECK(d[0].code == "check.field-comparison");
  CHECK(t.at(d[0]) == "process.parent.name");
}

TEST_CASE("join keys: same count and types across terms") {
  Tree t{R"(sequence [process where true] by process.pid [network where true] by process.name [file where true])"};
  Query query;
  Sequence sequence;
  auto term = [&](const char* category, ExprPtr key) {
    Term item;
    item.span = t.span_of(std::string("[") + category);
    item.filter.category = category;
    item.filter.category_span = t.span_of(category);
    item.filter.condition = t.make(t.span_of("true"), BoolLiteral{true});
    if (key) item.keys.push_back(std::move(key));
    return item;
  };
  sequence.terms.push_back(term("process", t.field("process.pid")));
  sequence.terms.push_back(term("network", t.field("process.name")));
  sequence.terms.push_back(term("file", nullptr));
  query.body = std::move(sequence);
  auto d = check(t, query);
  REQUIRE(d.size() == 2);
  CHECK(d[0].code == "check.join-key-type");
  CHECK(d[0].message == "join key 1: `process.name` is a keyword, but the first term joins on `process.pid`, a "
                        "number (long)");
  CHECK(t.at(d[0]) == "process.name");
  CHECK(d[1].code == "check.join-key-count");
}

TEST_CASE("endgame-only verdict: fields the endgame mapping lacks") {
  Schema schema = rule_schema({"endgame-*", "logs-endpoint.events.*"});
  Tree t{R"(process where process.Ext.ancestry == "x")"};
  Query query = t.event("process", t.eq(t.field("process.Ext.ancestry"), t.str("x")));
  auto d = check(t, query, schema);  // detection-rules' verdict by default: an error
  REQUIRE(d.size() == 1);
  CHECK(d[0].severity == Severity::Error);
  CHECK(d[0].code == "check.endgame-unknown-field");
  CHECK(d[0].message == "`process.Ext.ancestry` is not in the endgame mapping, and this rule also searches `endgame-*`");
  CHECK(t.at(d[0]) == "process.Ext.ancestry");
  CheckOptions lenient;
  lenient.endgame = EndgameCheck::Note;
  d = check_query(query, schema, lenient);
  REQUIRE(d.size() == 1);
  CHECK(d[0].severity == Severity::Note);
  lenient.endgame = EndgameCheck::Off;
  CHECK(check_query(query, schema, lenient).empty());
  // without endgame-* in the index the field is fine
  CHECK(check(t, query, rule_schema({"logs-endpoint.events.*"})).empty());
}

TEST_CASE("dataset literals name the targeted packages") {
  Tree t{R"(any where event.dataset == "aws.cloudtrail" and event.module in ("okta", "x"))"};
  std::vector<ExprPtr> items;
  items.push_back(t.str("okta"));
  items.push_back(t.str("x"));
  Query query = t.event("any", t.both(t.eq(t.field("event.dataset"), t.str("aws.cloudtrail")),
                                      t.in(t.field("event.module"), std::move(items))));
  CHECK(query_datasets(query) == std::vector<std::string>{"aws.cloudtrail", "okta", "x"});
}

TEST_CASE("Lucene regex syntax and CIDR validation") {
  std::size_t offset = 0;
  for (const char* valid : {"abc", "a.*b", "[a-z0-9_]+", "(foo|bar){2,3}", "a{2,}", "@", "<1-100>",
                            "\"literal*\"", "#", "\\d+\\.exe", "[^\\]]", "()", "*leading", "ж[а-я]+", ")x",
                            ""}) {
    CHECK_MESSAGE(lucene_regex_error(valid, offset).empty(), valid);
  }
  for (const char* invalid : {"(abc", "abc)", "[abc", "a{x}", "a{3,2}", "[z-a]", "trailing\\", "\"open", "<1-x>",
                              "a|", "[a-]", "|{", "@&~(abc)"}) {
    CHECK_MESSAGE(!lucene_regex_error(invalid, offset).empty(), invalid);
  }
  CHECK(lucene_regex_error("ab(c", offset) == "`)` expected to close the group");
  CHECK(offset == 4);
  CHECK(cidr_error("10.0.0.0/8").empty());
  CHECK(cidr_error("127.0.0.1").empty());
  CHECK(cidr_error("::1/128").empty());
  CHECK_FALSE(cidr_error("10.0.0.0/").empty());
  CHECK_FALSE(cidr_error("::1/129").empty());
  CHECK_FALSE(cidr_error("10.0.0/8").empty());
}
