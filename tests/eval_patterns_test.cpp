// Wildcards (`:`, like) and Lucene regular expressions (regex): whole-value matching over
// code points, backslashes, Unicode, `?`, case folding, and the translation to RE2.
#include <doctest/doctest.h>

#include <re2/re2.h>

#include "eql/parser.h"
#include "eval/regex.h"
#include "eval/text.h"
#include "eval_builder.h"

using namespace eql;
using eql::text::Wildcard;

namespace {

bool wildcard(std::string_view pattern, std::string_view value, bool insensitive = false) {
  return Wildcard(pattern, insensitive).matches(value);
}

// Matches `value` against a Lucene regexp through the translation, the way the evaluator does.
bool lucene(std::string_view pattern, std::string_view value, bool insensitive = false) {
  auto translation = regex::translate_lucene(pattern);
  REQUIRE_MESSAGE(translation.error.empty(), translation.error);
  RE2::Options options;
  options.set_case_sensitive(!insensitive);
  options.set_log_errors(false);
  options.set_dot_nl(true);
  RE2 re(translation.re2, options);
  std::string problem = translation.re2 + ": " + re.error();
  REQUIRE_MESSAGE(re.ok(), problem);
  return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), re);
}

std::string rejection(std::string_view pattern) { return regex::translate_lucene(pattern).error; }

}  // namespace

TEST_CASE("wildcards: * and ? over the whole value") {
  CHECK(wildcard("*", ""));
  CHECK(wildcard("*", "anything"));
  CHECK(wildcard("a*", "a"));
  CHECK_FALSE(wildcard("a*", "ba"));
  CHECK(wildcard("*a", "ba"));
  CHECK_FALSE(wildcard("abc", "abcd"));
  CHECK(wildcard("a?c", "abc"));
  CHECK_FALSE(wildcard("a?c", "ac"));
  CHECK_FALSE(wildcard("a?c", "abbc"));
  CHECK(wildcard("*%*%*", "%SystemRoot%\\x"));
  CHECK(wildcard("a*b*c", "axxbyybzzc"));
  CHECK_FALSE(wildcard("a*b*c", "axxbyyc_"));
  CHECK(wildcard("**a**", "xa"));
  CHECK(wildcard("", ""));
  CHECK_FALSE(wildcard("", "x"));
  // Backtracking to the last star, not just the first candidate.
  CHECK(wildcard("*aab", "aaaab"));
  CHECK(wildcard("*ab*ab", "xabyabab"));
}

TEST_CASE("wildcards: backslash is an ordinary character") {
  // EQL "C:\\Windows\\*" is the pattern C:\Windows\* : its * is a wildcard.
  CHECK(wildcard("C:\\Windows\\*", "C:\\Windows\\System32\\cmd.exe"));
  CHECK_FALSE(wildcard("C:\\Windows\\*", "C:/Windows/cmd.exe"));
  CHECK(wildcard("\\\\127.0.0.1\\*", "\\\\127.0.0.1\\ADMIN$\\__1"));
  CHECK_FALSE(wildcard("\\\\127.0.0.1\\*", "cmd.exe /c \\\\127.0.0.1\\ADMIN$"));
  // `\*` does not escape the star.
  CHECK(wildcard("a\\*", "a\\bcd"));
  CHECK_FALSE(wildcard("a\\*", "a*"));
}

TEST_CASE("wildcards: ? is one code point, not one byte; case folding covers non-ASCII") {
  CHECK(wildcard("?", "é"));            // two bytes, one character
  CHECK(wildcard("?", "😀"));           // four bytes
  CHECK_FALSE(wildcard("??", "é"));
  CHECK(wildcard("п?ивет", "привет"));
  CHECK(wildcard("ПРИВЕТ*", "привет мир", true));
  CHECK(wildcard("ΣΟΦΙΑ", "σοφια", true));
  CHECK(wildcard("ÉCOLE", "école", true));
  CHECK_FALSE(wildcard("ÉCOLE", "école", false));
  CHECK(wildcard("CMD.EXE", "cmd.exe", true));
}

TEST_CASE("case folding is Java's single-code-point lower case, across scripts") {
  CHECK(text::fold_case(U'A') == U'a');
  CHECK(text::fold_case(U'\u0531') == U'\u0561');      // Armenian
  CHECK(text::fold_case(U'\u01C4') == U'\u01C6');      // Latin Extended-B DŽ
  CHECK(text::fold_case(U'\u212A') == U'k');           // Kelvin sign
  CHECK(text::fold_case(U'\u0130') == U'i');           // dotted capital I, as Java maps it
  CHECK(text::fold_case(U'\uFF21') == U'\uFF41');      // full-width A
  CHECK(text::fold_case(U'\U00010400') == U'\U00010428');  // Deseret
  CHECK(text::fold_case(U'\u00DF') == U'\u00DF');      // ß has no single-code-point lower case change
  CHECK(text::fold_case(U'a') == U'a');
  CHECK(text::fold_case(U'1') == U'1');
  CHECK(wildcard("ԱՐԱՄ*", "արամ.exe", true));
}

TEST_CASE("the : operator ignores case, like does not, like~ does; lists are ORs") {
  using namespace eql::testing;
  CHECK(matches(colon(field("p"), {"CMD.exe"}), R"({"p":"cmd.EXE"})"));
  CHECK_FALSE(matches(like(field("p"), {"CMD.exe"}), R"({"p":"cmd.EXE"})"));
  CHECK(matches(like(field("p"), {"CMD.exe"}, true), R"({"p":"cmd.EXE"})"));
  CHECK(matches(colon(field("p"), {"x", "*.exe"}), R"({"p":"a.EXE"})"));
  // == has no wildcards: * is literal.
  CHECK_FALSE(matches(eq(field("p"), str("*.exe")), R"({"p":"a.exe"})"));
  CHECK(matches(eq(field("p"), str("*.exe")), R"({"p":"*.exe"})"));
  // in~ has no wildcards either.
  CHECK_FALSE(matches(in(field("p"), list(str("A*")), false, true), R"({"p":"abc"})"));
  CHECK(matches(in(field("p"), list(str("A*")), false, true), R"({"p":"a*"})"));
  // "*" alone is an existence test.
  CHECK(matches(colon(field("p"), {"*"}), R"({"p":""})"));
  CHECK_FALSE(matches(colon(field("p"), {"*"}), R"({"q":""})"));
  CHECK(matches(not_(colon(field("p"), {"*"})), R"({"p":null})"));
  // Numbers match as their text.
  CHECK(matches(colon(field("n"), {"4*"}), R"({"n":42})"));
}

TEST_CASE("Lucene regexp: anchored, operators, classes, escapes") {
  CHECK(lucene("abc", "abc"));
  CHECK_FALSE(lucene("abc", "xabcx"));  // anchored to the whole value
  CHECK(lucene("a.c", "a\nc"));         // . is any character, newline included
  CHECK(lucene("ab?c", "ac"));
  CHECK(lucene("ab+c", "abbbc"));
  CHECK(lucene("ab*c", "ac"));
  CHECK(lucene("a{2}", "aa"));
  CHECK_FALSE(lucene("a{2}", "aaa"));
  CHECK(lucene("a{2,}", "aaaa"));
  CHECK(lucene("a{1,3}", "aaa"));
  CHECK_FALSE(lucene("a{1,3}", "aaaa"));
  CHECK(lucene("(ab|cd)+", "abcdab"));
  CHECK(lucene("[a-c]x", "bx"));
  CHECK(lucene("[^a-c]x", "dx"));
  CHECK_FALSE(lucene("[^a-c]x", "ax"));
  CHECK(lucene("\\.exe", ".exe"));
  CHECK_FALSE(lucene("\\.exe", "xexe"));
  CHECK(lucene("C:\\\\Windows\\\\.*", "C:\\Windows\\System32"));  // \\ is one backslash
  CHECK(lucene("\\d+", "2024"));
  CHECK(lucene("\\w+\\s\\w+", "hello world"));
  CHECK(lucene("[\\d\\s]+", "1 2"));
  CHECK_FALSE(lucene("\\D", "5"));
  // ^ and $ are ordinary characters in Lucene syntax.
  CHECK(lucene("^a$", "^a$"));
  CHECK_FALSE(lucene("^a$", "a"));
  // The optional operators: @ any string, "..." a literal, # the empty language, <n-m>.
  CHECK(lucene("a@", "abc"));
  CHECK(lucene("\"a.b\"c", "a.bc"));
  CHECK_FALSE(lucene("\"a.b\"c", "axbc"));
  CHECK_FALSE(lucene("#", ""));
  CHECK(lucene("a|#", "a"));
  CHECK(lucene("port<1-1024>", "port80"));
  CHECK(lucene("port<1-1024>", "port0080"));  // bounds of different widths allow leading zeros
  CHECK_FALSE(lucene("port<1-1024>", "port1025"));
  CHECK(lucene("<01-12>", "07"));            // same width: exactly that many digits
  CHECK_FALSE(lucene("<01-12>", "7"));
  CHECK_FALSE(lucene("<01-12>", "13"));
  CHECK(lucene("<100-250>", "199"));
  CHECK_FALSE(lucene("<100-250>", "251"));
  CHECK_FALSE(lucene("<100-250>", "99"));
  // Escaped special characters are literal.
  CHECK(lucene("a\\@b\\&c\\~d\\#e\\<f\\>g\\\"h", "a@b&c~d#e<f>g\"h"));
}

TEST_CASE("Lucene regexp: Unicode code points and case-insensitive regex~") {
  CHECK(lucene(".", "é"));
  CHECK(lucene("[а-я]+", "привет"));
  CHECK_FALSE(lucene("[а-я]+", "hello"));
  CHECK(lucene("Ω.", "Ωμ"));
  CHECK(lucene("cmd\\.exe", "CMD.EXE", true));
  CHECK_FALSE(lucene("cmd\\.exe", "CMD.EXE", false));
}

TEST_CASE("Lucene regexp: what has no linear-time form is refused with a reason") {
  CHECK(rejection("a&b").find("intersection") != std::string::npos);
  CHECK(rejection("~(a)").find("complement") != std::string::npos);
  CHECK(rejection("<name>").find("numeric interval") != std::string::npos);
  CHECK(rejection("(ab").find("`)` expected") != std::string::npos);
  CHECK(rejection("[ab").find("`]` expected") != std::string::npos);
  CHECK(rejection("a{3,2}").find("invalid repetition") != std::string::npos);
  CHECK(rejection("a{5000}").find("above") != std::string::npos);
  CHECK(rejection("abc\\").find("the pattern ends") != std::string::npos);
  CHECK(rejection(std::string(300, '(') + "a" + std::string(300, ')')).find("deeper than 200") != std::string::npos);
}

TEST_CASE("a refused regex is a compile error at the pattern") {
  auto parsed = parse_query(R"(process where process.name regex "a&b")");
  REQUIRE(parsed.ok());
  auto compiled = compile_filter(*parsed.query->event(), {});
  REQUIRE_FALSE(compiled.program);
  REQUIRE(compiled.diagnostics.size() == 1);
  CHECK(compiled.diagnostics[0].code == "eval.regex");
  CHECK(compiled.diagnostics[0].span.begin == 33);
}

TEST_CASE("regex matching stays linear on inputs that make backtracking engines explode") {
  using namespace eql::testing;
  std::string json = R"({"s":")" + std::string(20000, 'a') + R"(!"})";
  CHECK_FALSE(matches(eql::testing::regex(field("s"), {"(a+)+b"}), json));
  CHECK_FALSE(matches(like(field("s"), {"*a*a*a*a*a*b"}), json));
}

TEST_CASE("random patterns and values never crash the wildcard matcher or the regex translator") {
  // A fixed-seed generator: the same inputs on every run.
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char alphabet[] = "ab*?\\.[]^-(){},|&~<>#@\"0123456789\xC3\xA9\xFF";
  std::size_t translated = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string pattern, value;
    for (std::uint64_t n = next() % 12; n > 0; --n) pattern += alphabet[next() % (sizeof alphabet - 1)];
    for (std::uint64_t n = next() % 12; n > 0; --n) value += alphabet[next() % (sizeof alphabet - 1)];
    (void)wildcard(pattern, value, (i & 1) != 0);
    auto translation = regex::translate_lucene(pattern);
    if (translation.error.empty()) {
      RE2::Options options;
      options.set_log_errors(false);
      RE2 re(translation.re2, options);
      CHECK_MESSAGE(re.ok(), pattern << " -> " << translation.re2 << ": " << re.error());
      ++translated;
    }
  }
  CHECK(translated > 100);
}

// Wildcard::matches decides ASCII values byte by byte after a rejection by the pattern's
// longest literal run; it must agree with the code-point matcher on every pattern, above
// all never reject a match. Patterns mix stars, `?`, backslashes, letters of both cases,
// characters that fold across scripts (the Kelvin sign folds to `k`, `İ` to `i`) and an
// undecodable byte; values are mostly ASCII (the fast path) with some that are not.
TEST_CASE("wildcards: the ASCII fast path agrees with the code-point matcher") {
  const std::vector<std::string> pattern_pieces = {"*", "?", "\\", "a", "A", "b", "k", "K", "i",
                                                   "ab", "\xE2\x84\xAA" /* Kelvin sign */,
                                                   "\xC4\xB0" /* İ */, "\xC3\xA9" /* é */, "\xFF", ".exe"};
  const std::vector<std::string> value_pieces = {"a", "A", "b", "B", "k", "K", "i", "\\", "*", "?",
                                                 ".", "exe", "EXE", "ab"};
  const std::vector<std::string> non_ascii_pieces = {"\xE2\x84\xAA", "\xC4\xB0", "\xC3\xA9", "\xFF"};
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&](std::size_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::size_t>(state % bound);
  };
  std::size_t compared = 0, compared_folded = 0, matched = 0, disagreements = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string pattern;
    for (std::size_t n = next(6); n > 0; --n) pattern += pattern_pieces[next(pattern_pieces.size())];
    const bool insensitive = next(2) == 1;
    Wildcard compiled(pattern, insensitive);
    for (int v = 0; v < 25; ++v) {
      std::string value;
      for (std::size_t n = next(7); n > 0; --n) value += value_pieces[next(value_pieces.size())];
      if (next(8) == 0) value.insert(next(value.size() + 1), non_ascii_pieces[next(non_ascii_pieces.size())]);
      bool fast = compiled.matches(value);
      bool reference = compiled.matches_by_code_point(value);
      ++compared;
      if (reference) ++matched;
      if (fast != reference) {
        ++disagreements;
        CHECK_MESSAGE(fast == reference, "pattern `" << pattern << "` (insensitive " << insensitive
                                                     << ") on `" << value << "`");
      }
      // The variant for a value lower-cased once for several patterns (match nodes).
      if (eql::text::is_ascii(value)) {
        std::string folded_storage;
        const std::string_view folded = eql::text::fold_ascii_into(value, folded_storage);
        ++compared_folded;
        if (compiled.matches_ascii(value, folded) != reference) {
          ++disagreements;
          CHECK_MESSAGE(false, "folded: pattern `" << pattern << "` (insensitive " << insensitive
                                                   << ") on `" << value << "`");
        }
      }
    }
  }
  CHECK(disagreements == 0);
  CHECK(matched > 1000);  // the cases exercise matches, not only rejections
  CHECK(compared == 100000);
  CHECK(compared_folded > 50000);  // most values are ASCII
  // The cases that motivate the code-point path: an ASCII pattern matching non-ASCII text.
  CHECK(Wildcard("*k*", true).matches("\xE2\x84\xAA"));
  CHECK(Wildcard("i?", true).matches("\xC4\xB0x"));
  CHECK(Wildcard("*\xE2\x84\xAA*", true).matches("K"));  // the pattern folds too
  CHECK_FALSE(Wildcard("*\xC3\xA9*", true).matches("e"));
  CHECK(Wildcard("*\\\\x*", false).matches("a\\\\xb"));
  CHECK(Wildcard("", false).matches(""));
  CHECK_FALSE(Wildcard("", false).matches("a"));
  CHECK(Wildcard("*EXE", true).matches("c:\\a.exe"));
  CHECK_FALSE(Wildcard("*EXE", false).matches("c:\\a.exe"));
}
