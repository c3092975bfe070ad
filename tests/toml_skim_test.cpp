// The skim that passes over TOML rules in other languages: what it reads, that the loader
// reports a skimmed file exactly as a parsed one, and that it refuses every file it cannot
// vouch for (the corpus and 7,000 mutated corpus files agreed with toml++ when it was
// written: docs/performance.md, "Loading the rules").
#include <doctest/doctest.h>

#include <string>

#include "eql/rules.h"
#include "rules/toml_skim.h"

using eql::rules_internal::skim_toml_rule;

namespace {

const std::string kRule = R"(# a comment
[metadata]
creation_date = "2020/11/09"
maturity = "production"

[rule]
author = ["Elastic"]
description = """
Two lines, with "quotes" and \t an escape, \
and a line-ending backslash.
"""
language = "kuery"
name = 'Ünicode name'
risk_score = 47
rule_id = "0123-abcd"
tags = [
    "Domain: Endpoint", # a comment in an array
    "OS: Windows",
]
type = "query"
enabled = true

query = '''
process.name : "x.exe"
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1059"

[rule.threat.tactic]
id = "TA0002"

[[rule.threat]]
framework = "MITRE ATT&CK"

[rule.threat.tactic]
id = "TA0003"
)";

}  // namespace

TEST_CASE("the skim reads the [rule] keys the loader needs") {
  auto skimmed = skim_toml_rule(kRule);
  REQUIRE(skimmed);
  CHECK(skimmed->language == "kuery");
  CHECK(skimmed->type == "query");
  CHECK(skimmed->rule_id == "0123-abcd");
  CHECK(skimmed->name == "Ünicode name");
  CHECK(skimmed->rule_line == 6);
  CHECK(skimmed->rule_column == 1);
}

TEST_CASE("a skimmed rule in another language is reported as a parsed one") {
  // An inline table is outside the skim's subset: the second file goes through toml++.
  eql::RuleFile skimmed = eql::load_rule_text("a.toml", kRule, eql::RuleFormat::Toml);
  eql::RuleFile parsed = eql::load_rule_text("a.toml", kRule + "x = {a = 1}\n", eql::RuleFormat::Toml);
  REQUIRE(!skim_toml_rule(kRule + "x = {a = 1}\n"));
  REQUIRE(skimmed.skipped.size() == 1);
  REQUIRE(parsed.skipped.size() == 1);
  CHECK(skimmed.diagnostics.empty());
  CHECK(parsed.diagnostics.empty());
  CHECK(skimmed.skipped[0].what == parsed.skipped[0].what);
  CHECK(skimmed.skipped[0].type == parsed.skipped[0].type);
  CHECK(skimmed.skipped[0].rule_id == parsed.skipped[0].rule_id);
  CHECK(skimmed.skipped[0].name == parsed.skipped[0].name);
  CHECK(skimmed.skipped[0].file_offset == parsed.skipped[0].file_offset);
}

TEST_CASE("the skim refuses what it cannot vouch for") {
  const std::string head = "[rule]\nlanguage = \"kuery\"\n";
  for (const std::string& tail : {
           std::string("language = \"lucene\"\n"),         // a key twice
           std::string("[rule]\n"),                        // a table twice
           std::string("[[rule.threat]]\n[rule.threat]\n"),  // a table that is an array
           std::string("[rule.threat]\n[[rule.threat]]\n"),  // an array that is a table
           std::string("tags = 1\n[rule.tags]\n"),         // a table that is a value
           std::string("[rule.x.y]\n[rule]\nx = 1\n"),      // a value that is a table
           std::string("x = \"a\\u00e9\"\n"),                // an escape it does not decode
           std::string("x = \"a\\q\"\n"),                    // an invalid escape
           std::string("x = \"open\n"),                      // an unclosed string
           std::string("x = 'open\n"),
           std::string("x = '''a''''\n"),                   // quotes at the end of a literal
           std::string("x = \"\"\"a\"\"\"\"\n"),
           std::string("x = \"\"\"a\\ b\"\"\"\n"),           // a backslash not ending the line
           std::string("x = 1.5\n"),                         // a float
           std::string("x = 012\n"),                         // a leading zero
           std::string("x = 2020-01-01\n"),                  // a date
           std::string("x = truex\n"),
           std::string("x = [1 2]\n"),
           std::string("x = [,]\n"),
           std::string("a.b = 1\n"),                         // a dotted key
           std::string("\"a\" = 1\n"),                       // a quoted key
           std::string("x = 1 y = 2\n"),
           std::string("name = \"a\"'b'\n"),
           std::string("x = 1\r\n"),                         // CR
           std::string("x = \"\x01\"\n"),                    // a control character
           std::string("x = \"\xC3\"\n"),                    // invalid UTF-8
           std::string("x = \"\xED\xA0\x80\"\n"),            // a surrogate
           std::string("# \x7F\n"),
       }) {
    CAPTURE(tail);
    CHECK(!skim_toml_rule(head + tail));
  }
  CHECK(skim_toml_rule(head));
  CHECK(!skim_toml_rule("[metadata]\nx = 1\n"));  // no [rule]: the loader says what it is
  CHECK(!skim_toml_rule("[rule]\nlanguage = [\"kuery\"]\n"));  // not a string: a diagnostic
}

TEST_CASE("an EQL rule is read the same without its note") {
  const std::string text = R"([metadata]
maturity = "production"

[rule]
description = "d"
language = "eql"
name = "n"
note = """## Triage

Several lines of "guide", with \"escapes\".
"""
rule_id = "abc"
setup = '''
set it up
'''
tags = ["a", "b"]
type = "eql"

query = '''
process where process.name == "x.exe" and
  process.args : "y"
'''
risk_score = "high"
)";
  auto skimmed_rule = skim_toml_rule(text);
  REQUIRE(skimmed_rule);
  CHECK(skimmed_rule->unread_strings.size() == 2);
  CHECK(eql::rules_internal::without_unread_strings(text, *skimmed_rule).find("Triage") == std::string::npos);
  eql::RuleFile skimmed = eql::load_rule_text("e.toml", text, eql::RuleFormat::Toml);
  eql::RuleFile parsed = eql::load_rule_text("e.toml", text + "x = {a = 1}\n", eql::RuleFormat::Toml);
  REQUIRE(skimmed.rules.size() == 1);
  REQUIRE(parsed.rules.size() == 1);
  const eql::Rule& a = skimmed.rules[0];
  const eql::Rule& b = parsed.rules[0];
  CHECK(a.query == b.query);
  CHECK(a.rule_id == b.rule_id);
  CHECK(a.rule_id_span.begin == b.rule_id_span.begin);
  CHECK(a.file_offset == b.file_offset);
  CHECK(a.tags == b.tags);
  for (std::uint32_t at = 0; at <= a.query.size(); ++at) CHECK(a.query_origin.to_file(at) == b.query_origin.to_file(at));
  // risk_score of the wrong type: the diagnostic points at the same place either way.
  REQUIRE(a.field_diagnostics.size() == 1);
  REQUIRE(b.field_diagnostics.size() == 1);
  CHECK(a.field_diagnostics[0].message == b.field_diagnostics[0].message);
  CHECK(a.field_diagnostics[0].span.begin == b.field_diagnostics[0].span.begin);
  CHECK(a.field_diagnostics[0].span.end == b.field_diagnostics[0].span.end);
}

TEST_CASE("the skim refuses a control character wherever it falls in a word") {
  // plain_text checks 8 bytes at a time: try every byte it must refuse at every alignment.
  const std::string head = "[rule]\nlanguage = \"kuery\"\n";
  for (std::size_t pad = 0; pad < 16; ++pad) {
    for (int byte = 0; byte < 0x20; ++byte) {
      if (byte == '\t' || byte == '\n') continue;
      CHECK(!skim_toml_rule(head + "x = \"" + std::string(pad, 'a') + static_cast<char>(byte) + "bcdefghij\"\n"));
    }
    CHECK(!skim_toml_rule(head + "x = \"" + std::string(pad, 'a') + "\x7F" + "bcdefghij\"\n"));
    CHECK(skim_toml_rule(head + "x = \"" + std::string(pad, 'a') + "\t~ bcdefghij\"\n"));
  }
}
