// The one reader of Lucene's RegExp syntax: a table of patterns with Lucene's verdict (and,
// when accepted, what the RE2 translation matches; when refused, where), then a property
// over random patterns that `eql validate` and the evaluator agree.
#include <doctest/doctest.h>

#include <re2/re2.h>

#include <optional>
#include <string>
#include <vector>

#include "eql/checker.h"
#include "eval/regex.h"

using namespace eql;

namespace {

std::string repeated(const std::string& piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

struct Case {
  std::string pattern;
  std::optional<std::size_t> refused_at;  ///< byte offset of the refusal; none when accepted
  std::vector<std::string> matches = {};
  std::vector<std::string> rejects = {};
};

// Lucene's verdict on each pattern, except where RE2 cannot run what Lucene accepts (`&`,
// `~`, counts above RE2's limits: checked against RE2 in the last test case below).
// The cases where the validator and the translator used to disagree come first: Lucene
// reads the first operand of a concatenation whatever it is, so a leading `)`, `|` or `&`
// is a literal, while an alternative may not be empty.
const std::vector<Case> kCases = {
    {")x", std::nullopt, {")x"}, {"x"}},
    {"a|)", std::nullopt, {"a", ")"}, {""}},
    {"a||b", std::nullopt, {"a", "|b"}, {"b"}},
    {"(|a)", std::nullopt, {"|a"}, {"a"}},
    {"&a", std::nullopt, {"&a"}, {"a"}},
    {"a|", 2},
    {"|{", 2},
    {"(a|)", 4},  // the `)` is the alternative's first operand, a literal
    // `&` and `~` are on in Elasticsearch but have no RE2 form: refused at the operator.
    {"a&b", 1},
    {"~a", 0},
    {"a~", 1},
    {"@&~(abc)", 1},
    {"a\\&b\\~c", std::nullopt, {"a&b~c"}, {"ab"}},
    // The empty pattern is the empty string.
    {"", std::nullopt, {""}, {"a"}},
    // A class's first member is read whatever it is, `]` included.
    {"[]a]", std::nullopt, {"]", "a"}, {"b"}},
    {"[^]a]", std::nullopt, {"b"}, {"]", "a"}},
    {"[]", 2},
    {"[a-]", 3},  // `]` ends the range, and is below `a`
    {"[z-a]", 3},
    {"[\\D]", 1},
    {"\\D\\w", std::nullopt, {"x_"}, {"1x"}},
    // Groups, repetitions, intervals, operators.
    {"()", std::nullopt, {""}, {"a"}},
    {"(", 0},
    {"ab(c", 4},
    {"abc)", 3},
    {"[a-z]+(", 6},
    {"a{3,2}", 6},
    {"a{x}", 2},
    {"a{2", 3},
    {"a{2,}", std::nullopt, {"aa", "aaaa"}, {"a"}},
    {"a{1000}", std::nullopt, {std::string(1000, 'a')}, {"a"}},
    {"a{1001}", 7},
    {"(a{10}){100}", std::nullopt, {std::string(1000, 'a')}, {}},
    {"(a{1}b{100}){10}", std::nullopt, {repeated("a" + std::string(100, 'b'), 10)}, {}},
    {"(a{10}){101}", 12},
    {"a{10}{100}", std::nullopt, {std::string(1000, 'a')}, {}},
    {"a{10}{101}", 10},
    {"(a{2,}){501}", 12},
    {"(a{0}){1000}(b{7}){3}", std::nullopt, {std::string(21, 'b')}, {}},
    {"a??", std::nullopt, {"", "a"}, {"aa"}},
    {"user@host<", 10},
    {"<name>", 1},
    {"<1-100>", std::nullopt, {"1", "050", "100"}, {"101", "x"}},
    {"<05-10>", std::nullopt, {"07", "10"}, {"7", "11"}},
    {"\"a.b\"", std::nullopt, {"a.b"}, {"axb"}},
    {"\"open", 5},
    {"trailing\\", 9},
    {"#", std::nullopt, {}, {"", "#"}},
    {"@", std::nullopt, {"", "any\nthing"}, {}},
    {"ж[а-я]+", std::nullopt, {"жизнь"}, {"ж"}},
    {"é(", 2},  // offsets count bytes
};

bool full_match(const std::string& re2, const std::string& value) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  RE2 re(re2, options);
  REQUIRE_MESSAGE(re.ok(), re2 << ": " << re.error());
  return RE2::FullMatch(value, re);
}

}  // namespace

TEST_CASE("Lucene regex: one verdict for validation and translation, as Lucene reads it") {
  for (const Case& c : kCases) {
    CAPTURE(c.pattern);
    std::size_t offset = 0;
    std::string problem = lucene_regex_error(c.pattern, offset);
    regex::Translation translation = regex::translate_lucene(c.pattern);
    CHECK(problem == translation.reason);
    if (c.refused_at) {
      CHECK_FALSE(problem.empty());
      CHECK(offset == *c.refused_at);
      CHECK(translation.offset == *c.refused_at);
      continue;
    }
    REQUIRE_MESSAGE(problem.empty(), problem);
    for (const std::string& value : c.matches) CHECK_MESSAGE(full_match(translation.re2, value), value);
    for (const std::string& value : c.rejects) CHECK_FALSE_MESSAGE(full_match(translation.re2, value), value);
  }
}

TEST_CASE("Lucene regex: validation and translation agree on random patterns") {
  // A fixed-seed generator: the same inputs on every run. The alphabet is the syntax's
  // operators plus a few literals, a multi-byte letter and an undecodable byte.
  std::uint64_t state = 0x2545F4914F6CDD1DULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char alphabet[] = "ab.*+?|&~()[]^-{},0129<>#@\"\\dDsw\xC3\xA9\xFF";
  std::size_t accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string pattern;
    for (std::uint64_t n = next() % 10; n > 0; --n) pattern += alphabet[next() % (sizeof alphabet - 1)];
    std::size_t offset = 0;
    bool valid = lucene_regex_error(pattern, offset).empty();
    regex::Translation translation = regex::translate_lucene(pattern);
    CHECK_MESSAGE(valid == translation.error.empty(), pattern);
    if (!valid) {
      ++refused;
      CHECK_MESSAGE(offset == translation.offset, pattern);
      CHECK_MESSAGE(offset <= pattern.size(), pattern);
      continue;
    }
    ++accepted;
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(translation.re2, options);
    CHECK_MESSAGE(re.ok(), pattern << " -> " << translation.re2 << ": " << re.error());
  }
  CHECK(accepted > 1000);
  CHECK(refused > 1000);
}

TEST_CASE("Lucene regex: the refusals for RE2's limits are RE2's own") {
  // What the reader refuses as above RE2's limits, RE2 refuses itself when written directly,
  // and one step below, RE2 accepts.
  auto compiles = [](const std::string& re2) {
    RE2::Options options;
    options.set_log_errors(false);
    return RE2(re2, options).ok();
  };
  CHECK_FALSE(compiles("a{1001}"));
  CHECK(compiles("a{1000}"));
  CHECK_FALSE(compiles("(?:(?:a){10}){101}"));
  CHECK(compiles("(?:(?:a){10}){100}"));
  CHECK_FALSE(compiles("(?:(?:a){2,}){501}"));
  CHECK(compiles("(?:(?:a){2,}){500}"));
}
