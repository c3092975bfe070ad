#include "eval/regex.h"

#include <charconv>
#include <cstdio>
#include <cstdint>
#include <utility>
#include <vector>

#include "eval/text.h"

namespace eql::regex {

namespace {

constexpr std::size_t kMaxDepth = 200;  // nested groups

// Joins pieces by appending (GCC 12 warns falsely on chains of `"literal" + std::string`).
std::string cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view piece : pieces) out.append(piece);
  return out;
}
constexpr int kMaxRepeat = 1000;  // RE2's own limit on {n,m}

std::string escape_code_point(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return std::string(1, static_cast<char>(c));
  }
  if (c >= 0x80 && !(c >= 0xDC80 && c <= 0xDCFF)) {
    std::string out;
    text::append_utf8(out, c);
    return out;
  }
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\x{%x}", static_cast<unsigned>(c >= 0xDC80 && c <= 0xDCFF ? c - 0xDC00 : c));
  return buffer;
}

// The regex of the decimal strings of exactly `lo.size()` digits between lo and hi.
std::string fixed_width_range(const std::string& lo, const std::string& hi) {
  if (lo.empty()) return "";
  if (lo == hi) return lo;
  char a = lo[0], b = hi[0];
  std::string lo_rest = lo.substr(1), hi_rest = hi.substr(1);
  if (a == b) return std::string(1, a) + fixed_width_range(lo_rest, hi_rest);
  std::size_t rest = lo_rest.size();
  std::string any_rest = rest ? "[0-9]{" + std::to_string(rest) + "}" : "";
  bool lo_rest_min = lo_rest.find_first_not_of('0') == std::string::npos;
  bool hi_rest_max = hi_rest.find_first_not_of('9') == std::string::npos;
  std::vector<std::string> parts;
  char first_full = lo_rest_min ? a : static_cast<char>(a + 1);
  char last_full = hi_rest_max ? b : static_cast<char>(b - 1);
  if (!lo_rest_min) parts.push_back(std::string(1, a) + "(?:" + fixed_width_range(lo_rest, std::string(rest, '9')) + ")");
  if (first_full <= last_full) {
    parts.push_back(std::string("[") + first_full + "-" + last_full + "]" + any_rest);
  }
  if (!hi_rest_max) parts.push_back(std::string(1, b) + "(?:" + fixed_width_range(std::string(rest, '0'), hi_rest) + ")");
  std::string out = "(?:";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "|" : "") + parts[i];
  return out + ")";
}

std::string pad(std::uint64_t value, std::size_t width) {
  std::string digits = std::to_string(value);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// The one reader of Lucene's RegExp syntax: a recursive descent with the shape of Lucene's
// grammar (union > intersection > concatenation > repeat > complement > class > simple >
// character) that writes the RE2 form of what it reads, or stops at the first error with
// its byte offset. The validator (`eql validate`) and the evaluator both call it, so a
// pattern one accepts the other cannot refuse. Facts of Lucene's reading it follows: the
// first operand of a concatenation and the first member of a class are read whatever they
// are (a leading `)`, `|`, `&` or `]` is a literal); every alternative must hold at least
// one operand (`a|` is an error); the empty pattern is the empty string.
class Reader {
 public:
  explicit Reader(std::string_view pattern) {
    for (std::size_t at = 0; at < pattern.size();) {
      offsets_.push_back(at);
      chars_.push_back(text::next_code_point(pattern, at));
    }
    offsets_.push_back(pattern.size());
  }

  Translation run() {
    Translation result;
    std::string out = chars_.empty() ? std::string() : union_exp();
    if (error_.empty() && more()) {
      fail("unexpected `" + describe(chars_[at_]) +
           "`: unbalanced parenthesis (escape it as `\\)` to match it literally)");
    }
    if (!error_.empty()) {
      result.reason = error_;
      result.offset = offsets_[std::min(error_at_, offsets_.size() - 1)];
      result.error = cat({error_, " at character ", std::to_string(result.offset + 1)});
      return result;
    }
    result.re2 = std::move(out);
    return result;
  }

 private:
  bool more() const { return error_.empty() && at_ < chars_.size(); }
  bool peek(char32_t c) const { return more() && chars_[at_] == c; }
  bool match(char32_t c) {
    if (peek(c)) {
      ++at_;
      return true;
    }
    return false;
  }
  std::string fail(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
      error_at_ = at_;
    }
    return {};
  }
  static std::string describe(char32_t c) {
    std::string out;
    text::append_utf8(out, c);
    return out;
  }

  std::string union_exp() {
    // Nesting is counted, so a hostile pattern cannot exhaust the stack.
    if (++depth_ > kMaxDepth) {
      return fail("the regular expression nests deeper than " + std::to_string(kMaxDepth) + " groups");
    }
    std::string out = inter_exp();
    bool alternatives = false;
    while (match('|')) {
      out += "|" + inter_exp();
      alternatives = true;
    }
    --depth_;
    return alternatives ? "(?:" + out + ")" : out;
  }

  std::string inter_exp() {
    std::string out = concat_exp();
    if (peek('&')) {
      // Elasticsearch enables `&` (RegExp.ALL), but an intersection has no RE2 form.
      return fail("the intersection operator `&` has no linear-time form (write `\\&` to match `&`)");
    }
    return out;
  }

  std::string concat_exp() {
    std::string out = repeat_exp();
    while (more() && !peek(')') && !peek('|') && !peek('&')) out += repeat_exp();
    return out;
  }

  std::string repeat_exp() {
    // repeat_weight_ is the largest product of counts nested in what was read last; the
    // operand starts afresh and its siblings' largest is restored after it.
    long siblings = std::exchange(repeat_weight_, 1);
    std::string e = compl_exp();
    while (more()) {
      if (match('?')) e = cat({"(?:", e, ")?"});
      else if (match('*')) e = cat({"(?:", e, ")*"});
      else if (match('+')) e = cat({"(?:", e, ")+"});
      else if (match('{')) e = bounded_repeat(e);
      else break;
    }
    repeat_weight_ = std::max(siblings, repeat_weight_);
    return e;
  }

  // `{n}`, `{n,}` or `{n,m}` applied to `e`, after the `{`.
  std::string bounded_repeat(const std::string& e) {
    std::size_t start = at_;
    long low = read_number();
    if (at_ == start) return fail("a number must follow `{` (write `\\{` for a literal brace)");
    long high = low;
    bool open_ended = false;
    if (match(',')) {
      std::size_t high_start = at_;
      high = read_number();
      open_ended = at_ == high_start;
    }
    if (!match('}')) return fail("`}` expected to close the repetition");
    if (!open_ended && high < low) {
      return fail(cat({"invalid repetition {", std::to_string(low), ",", std::to_string(high),
                       "}: the maximum is below the minimum"}));
    }
    if (low > kMaxRepeat || high > kMaxRepeat) {
      return fail(cat({"repetition count above ", std::to_string(kMaxRepeat), " (RE2's limit)"}));
    }
    // RE2 also refuses counted repetitions nested so that their counts multiply above its
    // limit (`(a{100}){20}`); an open end counts by its minimum, a zero count not at all.
    long count = open_ended ? low : high;
    if (count > 0) repeat_weight_ *= count;
    if (repeat_weight_ > kMaxRepeat) {
      return fail(cat({"nested repetition counts multiply above ", std::to_string(kMaxRepeat), " (RE2's limit)"}));
    }
    std::string bounds = "{" + std::to_string(low);
    if (open_ended) bounds += ",";
    else if (high != low) bounds += "," + std::to_string(high);
    return cat({"(?:", e, ")", bounds, "}"});
  }

  long read_number() {
    long value = 0;
    while (more() && chars_[at_] >= '0' && chars_[at_] <= '9') {
      if (value < 100000000) value = value * 10 + static_cast<long>(chars_[at_] - '0');
      ++at_;
    }
    return value;
  }

  std::string compl_exp() {
    if (peek('~')) {
      // Elasticsearch enables `~` (RegExp.ALL), but a complement has no RE2 form.
      return fail("the complement operator `~` has no linear-time form (write `\\~` to match `~`)");
    }
    return char_class_exp();
  }

  std::string char_class_exp() {
    if (!match('[')) return simple_exp();
    bool negated = match('^');
    std::string items;
    do {
      items += char_class_item();
    } while (more() && !peek(']'));
    if (!match(']')) return fail("`]` expected to close the character class");
    return cat({"[", negated ? "^" : "", items, "]"});
  }

  // Returns the class text for a shorthand like \d, or empty.
  static std::string shorthand(char32_t letter, bool inside_class) {
    switch (letter) {
      case 'd': return inside_class ? "0-9" : "[0-9]";
      case 'D': return inside_class ? "" : "[^0-9]";
      case 's': return inside_class ? " \\t\\n\\x{b}\\f\\r" : "[ \\t\\n\\x{b}\\f\\r]";
      case 'S': return inside_class ? "" : "[^ \\t\\n\\x{b}\\f\\r]";
      case 'w': return inside_class ? "a-zA-Z_0-9" : "[a-zA-Z_0-9]";
      case 'W': return inside_class ? "" : "[^a-zA-Z_0-9]";
      default: return {};
    }
  }

  std::string char_class_item() {
    if (peek('\\') && at_ + 1 < chars_.size()) {
      char32_t letter = chars_[at_ + 1];
      if (letter == 'd' || letter == 's' || letter == 'w') {
        at_ += 2;
        return shorthand(letter, true);
      }
      if (letter == 'D' || letter == 'S' || letter == 'W') {
        // An RE2 class cannot hold our \S (it differs from RE2's by \v), nor a class
        // negated inside another: refused rather than matched differently.
        return fail("negated shorthand `\\" + describe(letter) + "` inside a character class is not supported");
      }
    }
    char32_t from = char_exp("a character class member");
    if (!error_.empty()) return {};
    if (!match('-')) return escape_code_point(from);
    std::size_t range_at = at_;
    char32_t to = char_exp("the end of a character range");
    if (!error_.empty()) return {};
    if (to < from) {
      at_ = range_at;
      return fail("invalid character range: its start is after its end");
    }
    return escape_code_point(from) + "-" + escape_code_point(to);
  }

  char32_t char_exp(const char* what) {
    match('\\');
    if (!more()) {
      fail(std::string("the pattern ends where ") + what + " was expected");
      return 0;
    }
    return chars_[at_++];
  }

  std::string simple_exp() {
    if (match('.')) return "(?s:.)";
    if (match('#')) return "[^\\x{0}-\\x{10ffff}]";
    if (match('@')) return "(?s:.*)";
    if (match('"')) {
      std::string out;
      while (more() && !peek('"')) out += escape_code_point(chars_[at_++]);
      if (!match('"')) return fail("`\"` expected to close the quoted string (write `\\\"` for a literal quote)");
      return "(?:" + out + ")";
    }
    if (match('(')) return group();
    if (match('<')) return interval();
    if (peek('\\') && at_ + 1 < chars_.size()) {
      std::string sh = shorthand(chars_[at_ + 1], false);
      if (!sh.empty()) {
        at_ += 2;
        return sh;
      }
    }
    char32_t c = char_exp("a character");
    if (!error_.empty()) return {};
    return escape_code_point(c);
  }

  // `(...)`, after the `(`; `()` is the empty string.
  std::string group() {
    if (!more()) {
      --at_;
      return fail("`(` opens a group that is never closed (write `\\(` to match a parenthesis)");
    }
    if (match(')')) return "(?:)";
    std::string inner = union_exp();
    if (!match(')')) return fail("`)` expected to close the group");
    return "(?:" + inner + ")";
  }

  // `<n-m>`, after the `<`. Named automata `<name>` have no definitions in Elasticsearch.
  std::string interval() {
    std::string lo_text, hi_text;
    while (more() && chars_[at_] >= '0' && chars_[at_] <= '9') lo_text += static_cast<char>(chars_[at_++]);
    bool ok = !lo_text.empty() && match('-');
    while (ok && more() && chars_[at_] >= '0' && chars_[at_] <= '9') hi_text += static_cast<char>(chars_[at_++]);
    if (!ok || hi_text.empty() || !match('>')) {
      return fail("numeric interval `<n-m>` expected after `<` (write `\\<` for a literal `<`)");
    }
    if (lo_text.size() > 18 || hi_text.size() > 18) return fail("interval bound above 18 digits");
    return interval_re2(lo_text, hi_text);
  }

  static std::string interval_re2(const std::string& lo_text, const std::string& hi_text) {
    std::uint64_t lo = std::stoull(lo_text), hi = std::stoull(hi_text);
    std::size_t fixed_digits = lo_text.size() == hi_text.size() ? lo_text.size() : 0;
    if (lo > hi) std::swap(lo, hi);
    if (fixed_digits > 0) return cat({"(?:", fixed_width_range(pad(lo, fixed_digits), pad(hi, fixed_digits)), ")"});
    // Any number of leading zeros, then the value without them.
    std::string out = "0*(?:";
    std::size_t lo_width = std::to_string(lo).size(), hi_width = std::to_string(hi).size();
    bool first = true;
    for (std::size_t width = lo_width; width <= hi_width; ++width) {
      std::uint64_t smallest = width == 1 ? 0 : 1;
      for (std::size_t k = 1; k < width; ++k) smallest *= 10;
      std::uint64_t largest = smallest == 0 ? 9 : smallest * 10 - 1;
      std::uint64_t from = std::max(lo, smallest), to = std::min(hi, largest);
      if (from > to) continue;
      if (!first) out += "|";
      out += fixed_width_range(pad(from, width), pad(to, width));
      first = false;
    }
    out += ")";
    return out;
  }

  std::vector<char32_t> chars_;
  std::vector<std::size_t> offsets_;  ///< byte offset of each code point, then the length
  std::size_t at_ = 0;
  std::size_t depth_ = 0;
  long repeat_weight_ = 1;
  std::string error_;
  std::size_t error_at_ = 0;
};

}  // namespace

Translation translate_lucene(std::string_view pattern) { return Reader(pattern).run(); }

}  // namespace eql::regex
