// The skim that passes over TOML rules in other languages: what it reads, that the loader
// reports a skimmed file exactly as a parsed one, and that it refuses every file it cannot
// vouch for (the corpus and 7,000 mutated corpus files agreed with toml++ when it was
// written: docs/performance.md, "Loading the rules").
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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
  // A float is outside the skim's subset: the second file goes through toml++.
  eql::RuleFile skimmed = eql::load_rule_text("a.toml", kRule, eql::RuleFormat::Toml);
  eql::RuleFile parsed = eql::load_rule_text("a.toml", kRule + "x = 1.5\n", eql::RuleFormat::Toml);
  REQUIRE(!skim_toml_rule(kRule + "x = 1.5\n"));
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
           std::string("x = {a = 1,}\n"),                    // inline tables: a trailing comma
           std::string("x = {a = 1, a = 2}\n"),              // a key twice
           std::string("x = {a.b = 1}\n"),                   // a dotted key
           std::string("x = {a = [\n1]}\n"),                 // a line feed inside
           std::string("x = {a = 1 b = 2}\n"),
           std::string("x = {a = 1}\n[rule.x]\n"),            // a table added to
           std::string("x = {a = 1}}\n"),
           std::string("x = [1}\n"),
       }) {
    CAPTURE(tail);
    CHECK(!skim_toml_rule(head + tail));
  }
  CHECK(skim_toml_rule(head));
  CHECK(skim_toml_rule(head + "x = [{ a = 1, b = \"}\", c = {d = true} }, {}, { e = [1, 2] }]\n"));
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
  eql::RuleFile parsed = eql::load_rule_text("e.toml", text + "x = 1.5\n", eql::RuleFormat::Toml);
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

namespace {

// Every value of a Rule the loader fills, compared field by field.
void check_same_rule(const eql::Rule& a, const eql::Rule& b) {
  CHECK(a.file_offset == b.file_offset);
  CHECK(a.rule_id == b.rule_id);
  CHECK(a.rule_id_span.begin == b.rule_id_span.begin);
  CHECK(a.rule_id_span.end == b.rule_id_span.end);
  CHECK(a.name == b.name);
  CHECK(a.description == b.description);
  CHECK(a.severity == b.severity);
  CHECK(a.risk_score == b.risk_score);
  CHECK(a.index == b.index);
  CHECK(a.language == b.language);
  CHECK(a.type == b.type);
  CHECK(a.timestamp_override == b.timestamp_override);
  CHECK(a.event_category_override == b.event_category_override);
  CHECK(a.tiebreaker_field == b.tiebreaker_field);
  CHECK(a.max_signals == b.max_signals);
  CHECK(a.building_block_type == b.building_block_type);
  CHECK(a.tags == b.tags);
  REQUIRE(a.threat.size() == b.threat.size());
  for (std::size_t i = 0; i < a.threat.size(); ++i) {
    const eql::MitreThreat& x = a.threat[i];
    const eql::MitreThreat& y = b.threat[i];
    CHECK(x.framework == y.framework);
    CHECK(x.tactic_id == y.tactic_id);
    CHECK(x.tactic_name == y.tactic_name);
    CHECK(x.tactic_reference == y.tactic_reference);
    REQUIRE(x.techniques.size() == y.techniques.size());
    for (std::size_t j = 0; j < x.techniques.size(); ++j) {
      CHECK(x.techniques[j].id == y.techniques[j].id);
      CHECK(x.techniques[j].name == y.techniques[j].name);
      CHECK(x.techniques[j].reference == y.techniques[j].reference);
      REQUIRE(x.techniques[j].subtechniques.size() == y.techniques[j].subtechniques.size());
      for (std::size_t k = 0; k < x.techniques[j].subtechniques.size(); ++k) {
        CHECK(x.techniques[j].subtechniques[k].id == y.techniques[j].subtechniques[k].id);
        CHECK(x.techniques[j].subtechniques[k].name == y.techniques[j].subtechniques[k].name);
        CHECK(x.techniques[j].subtechniques[k].reference == y.techniques[j].subtechniques[k].reference);
      }
    }
  }
  REQUIRE(a.exceptions_list.size() == b.exceptions_list.size());
  for (std::size_t i = 0; i < a.exceptions_list.size(); ++i) {
    CHECK(a.exceptions_list[i].id == b.exceptions_list[i].id);
    CHECK(a.exceptions_list[i].list_id == b.exceptions_list[i].list_id);
    CHECK(a.exceptions_list[i].type == b.exceptions_list[i].type);
    CHECK(a.exceptions_list[i].namespace_type == b.exceptions_list[i].namespace_type);
  }
  CHECK(a.integrations == b.integrations);
  CHECK(a.min_stack_version == b.min_stack_version);
  CHECK(a.maturity == b.maturity);
  CHECK(a.query == b.query);
  CHECK(a.has_query == b.has_query);
  for (std::uint32_t at = 0; at <= a.query.size(); ++at) CHECK(a.query_origin.to_file(at) == b.query_origin.to_file(at));
  REQUIRE(a.field_diagnostics.size() == b.field_diagnostics.size());
  for (std::size_t i = 0; i < a.field_diagnostics.size(); ++i) {
    CHECK(a.field_diagnostics[i].code == b.field_diagnostics[i].code);
    CHECK(a.field_diagnostics[i].message == b.field_diagnostics[i].message);
    CHECK(a.field_diagnostics[i].span.begin == b.field_diagnostics[i].span.begin);
    CHECK(a.field_diagnostics[i].span.end == b.field_diagnostics[i].span.end);
  }
}

// The same text with a table the skim refuses (an inline table) after it: toml++ reads it.
eql::RuleFile load_with_toml(const std::string& name, const std::string& text) {
  return eql::load_rule_text(name, text + "\n[zz_not_skimmed]\nx = 1.5\n", eql::RuleFormat::Toml);
}

}  // namespace

TEST_CASE("an EQL rule read from the skim is the rule toml++ reads") {
  const std::string text = R"([metadata]
integration = "endpoint"
maturity = "production"
min_stack_version = "8.3.0"

[rule]
description = """
Line one with \"escapes\" \t and \
a line-ending backslash.
"""
index = ["logs-*", 'winlogbeat-*']
language = "eql"
max_signals = 1000
name = "n"
risk_score = -21
rule_id = "abc"
tags = []
type = "eql"
query = '''
sequence by host.id
  [process where process.name == "x.exe"]
  [network where true]
'''
[[rule.exceptions_list]]
id = "e"
list_id = "l"
type = "detection"
namespace_type = "single"

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1059"
[[rule.threat.technique.subtechnique]]
id = "T1059.001"
name = "PowerShell"
[rule.threat.tactic]
id = "TA0002"
)";
  REQUIRE(skim_toml_rule(text));
  eql::RuleFile skimmed = eql::load_rule_text("e.toml", text, eql::RuleFormat::Toml);
  eql::RuleFile parsed = load_with_toml("e.toml", text);
  REQUIRE(skimmed.rules.size() == 1);
  REQUIRE(parsed.rules.size() == 1);
  REQUIRE(skimmed.rules[0].threat.size() == 1);
  REQUIRE(skimmed.rules[0].threat[0].techniques.size() == 1);
  REQUIRE(skimmed.rules[0].threat[0].techniques[0].subtechniques.size() == 1);
  CHECK(skimmed.rules[0].threat[0].techniques[0].subtechniques[0].name == "PowerShell");
  CHECK(skimmed.rules[0].risk_score == -21);
  check_same_rule(skimmed.rules[0], parsed.rules[0]);
  // No query: the same diagnostic at the [rule] header.
  std::string without_query = text;
  without_query.erase(without_query.find("query = '''"), without_query.find("[[rule.exceptions_list]]") -
                                                            without_query.find("query = '''"));
  eql::RuleFile skimmed_missing = eql::load_rule_text("e.toml", without_query, eql::RuleFormat::Toml);
  eql::RuleFile parsed_missing = load_with_toml("e.toml", without_query);
  REQUIRE(skimmed_missing.rules.size() == 1);
  REQUIRE(parsed_missing.rules.size() == 1);
  REQUIRE(skimmed_missing.rules[0].field_diagnostics.size() == 1);
  check_same_rule(skimmed_missing.rules[0], parsed_missing.rules[0]);
}

TEST_CASE("a value of an unexpected type sends the rule to toml++") {
  const std::string head = "[rule]\nlanguage = \"eql\"\ntype = \"eql\"\nquery = 'any where true'\n";
  for (const std::string tail : {"risk_score = \"high\"\n", "tags = [\"a\", 1]\n", "index = \"logs-*\"\n",
                                 "threat = [1]\n", "threat = 1\n", "[rule.name]\nx = 1\n",
                                 "[[rule.severity]]\n", "[rule.threat]\nx = 1\n", "[rule.threat.tactic]\n",
                                 "[[rule.threat]]\ntactic = 1\n", "max_signals = true\n",
                                 "[[metadata]]\n"}) {
    CAPTURE(tail);
    REQUIRE(skim_toml_rule(head + tail));
    eql::RuleFile skimmed = eql::load_rule_text("e.toml", head + tail, eql::RuleFormat::Toml);
    eql::RuleFile parsed = load_with_toml("e.toml", head + tail);
    REQUIRE(skimmed.rules.size() == 1);
    REQUIRE(parsed.rules.size() == 1);
    CHECK(!parsed.rules[0].field_diagnostics.empty());
    check_same_rule(skimmed.rules[0], parsed.rules[0]);
  }
}

TEST_CASE("every EQL rule of the corpus reads the same from the skim and from toml++") {
  const std::filesystem::path root = std::filesystem::path(EQL_SHARED_DIR) / "corpus" / "detection-rules";
  if (!std::filesystem::exists(root)) return;
  std::size_t compared = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    eql::RuleFile skimmed = eql::load_rule_text(entry.path().string(), text, eql::RuleFormat::Toml);
    if (skimmed.rules.size() != 1) continue;
    CAPTURE(entry.path().string());
    eql::RuleFile parsed = load_with_toml(entry.path().string(), text);
    REQUIRE(parsed.rules.size() == 1);
    check_same_rule(skimmed.rules[0], parsed.rules[0]);
    ++compared;
  }
  CHECK(compared >= 1000);
}

TEST_CASE("a table under an array of tables belongs to its last element") {
  // toml++ refuses the second file: `tactic` is both a value and a table of one element.
  const std::string head = "[rule]\nlanguage = \"kuery\"\n[[rule.threat]]\n";
  CHECK(skim_toml_rule(head + "[rule.threat.tactic]\nid = 'a'\n[[rule.threat]]\n[rule.threat.tactic]\nid = 'b'\n"));
  CHECK(!skim_toml_rule(head + "tactic = 1\n[rule.threat.tactic]\n"));
}

TEST_CASE("an array of inline tables where the loader reads tables goes to toml++") {
  const std::string text = "[rule]\nlanguage = \"eql\"\ntype = \"eql\"\nquery = 'any where true'\n"
                           "threat = [{framework = \"MITRE ATT&CK\", tactic = {id = \"TA0002\"}}]\n";
  REQUIRE(skim_toml_rule(text));
  eql::RuleFile skimmed = eql::load_rule_text("e.toml", text, eql::RuleFormat::Toml);
  eql::RuleFile parsed = load_with_toml("e.toml", text);
  REQUIRE(skimmed.rules.size() == 1);
  REQUIRE(parsed.rules.size() == 1);
  REQUIRE(skimmed.rules[0].threat.size() == 1);
  CHECK(skimmed.rules[0].threat[0].tactic_id == "TA0002");
  check_same_rule(skimmed.rules[0], parsed.rules[0]);
}

TEST_CASE("a query in a basic string reads the same from the skim and from toml++") {
  for (const std::string query : {"query = \"process where process.name == \\\"x.exe\\\"\"\n",
                                  "query = \"\"\"\nprocess where \\\n   process.name : \"a\\\\b\" and\n"
                                  "  process.args == \"\\t\"\n\"\"\"\n",
                                  "query = '''process where true'''\n", "query = 'any where true'\n"}) {
    CAPTURE(query);
    const std::string text = "[rule]\nlanguage = \"eql\"\ntype = \"eql\"\n" + query;
    REQUIRE(skim_toml_rule(text));
    eql::RuleFile skimmed = eql::load_rule_text("e.toml", text, eql::RuleFormat::Toml);
    eql::RuleFile parsed = load_with_toml("e.toml", text);
    REQUIRE(skimmed.rules.size() == 1);
    REQUIRE(parsed.rules.size() == 1);
    CHECK(skimmed.rules[0].has_query);
    check_same_rule(skimmed.rules[0], parsed.rules[0]);
  }
}
