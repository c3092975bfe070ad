#include "eval/regex.h"

#include <charconv>
#include <cstdio>
#include <cstdint>
#include <vector>

#include "eval/text.h"

namespace eql::regex {

namespace {

constexpr std::size_t kMaxDepth = 200;

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

class Translator {
 public:
  explicit Translator(std::string_view pattern) {
    for (std::size_t at = 0; at < pattern.size();) chars_.push_back(text::next_code_point(pattern, at));
  }

  Translation run() {
    Translation result;
    std::string out = union_exp(0);
    if (error_.empty() && at_ < chars_.size()) fail("unexpected '" + describe(chars_[at_]) + "'");
    if (!error_.empty()) {
      result.error = error_;
      return result;
    }
    result.re2 = out;
    return result;
  }

 private:
  bool more() const { return at_ < chars_.size(); }
  bool peek(char32_t c) const { return more() && chars_[at_] == c; }
  bool match(char32_t c) {
    if (peek(c)) {
      ++at_;
      return true;
    }
    return false;
  }
  std::string fail(std::string message) {
    if (error_.empty()) error_ = std::move(message) + " at character " + std::to_string(at_ + 1);
    return {};
  }
  static std::string describe(char32_t c) {
    std::string out;
    text::append_utf8(out, c);
    return out;
  }

  std::string union_exp(std::size_t depth) {
    if (depth > kMaxDepth) return fail("regular expression nested too deeply");
    std::string left = inter_exp(depth);
    if (match('|')) return "(?:" + left + "|" + union_exp(depth + 1) + ")";
    return left;
  }

  std::string inter_exp(std::size_t depth) {
    std::string left = concat_exp(depth);
    if (peek('&')) {
      return fail("the intersection operator '&' has no linear-time form (escape it as '\\&' to match '&')");
    }
    return left;
  }

  std::string concat_exp(std::size_t depth) {
    std::string out;
    while (more() && !peek(')') && !peek('|') && !peek('&') && error_.empty()) {
      out += repeat_exp(depth);
    }
    return out;
  }

  std::string repeat_exp(std::size_t depth) {
    std::string e = compl_exp(depth);
    while (more() && error_.empty()) {
      if (match('?')) e = cat({"(?:", e, ")?"});
      else if (match('*')) e = cat({"(?:", e, ")*"});
      else if (match('+')) e = cat({"(?:", e, ")+"});
      else if (peek('{')) {
        std::size_t start = at_;
        ++at_;
        int n = read_int();
        if (n < 0) {
          at_ = start;
          fail("integer expected after '{'");
          return e;
        }
        int m = n;
        bool open_ended = false;
        if (match(',')) {
          if (peek('}')) open_ended = true;
          else m = read_int();
        }
        if (!match('}')) {
          fail("'}' expected");
          return e;
        }
        if (!open_ended && m < n) {
          fail(cat({"invalid repetition {", std::to_string(n), ",", std::to_string(m), "}"}));
          return e;
        }
        if (n > kMaxRepeat || m > kMaxRepeat) {
          fail(cat({"repetition count above ", std::to_string(kMaxRepeat)}));
          return e;
        }
        std::string bounds = "{";
        bounds += std::to_string(n);
        if (open_ended) {
          bounds += ",";
        } else if (m != n) {
          bounds += ",";
          bounds += std::to_string(m);
        }
        bounds += "}";
        e = cat({"(?:", e, ")", bounds});
      } else {
        break;
      }
    }
    return e;
  }

  int read_int() {
    std::size_t start = at_;
    long value = 0;
    while (more() && chars_[at_] >= '0' && chars_[at_] <= '9') {
      value = value * 10 + static_cast<long>(chars_[at_] - '0');
      if (value > 1000000) value = 1000000;
      ++at_;
    }
    return at_ == start ? -1 : static_cast<int>(value);
  }

  std::string compl_exp(std::size_t depth) {
    if (peek('~')) {
      return fail("the complement operator '~' has no linear-time form (escape it as '\\~' to match '~')");
    }
    return char_class_exp(depth);
  }

  std::string char_class_exp(std::size_t depth) {
    if (match('[')) {
      bool negated = match('^');
      std::string items;
      while (more() && !peek(']') && error_.empty()) items += char_class_item();
      if (!match(']')) return fail("']' expected");
      if (items.empty()) return negated ? "(?s:.)" : "[^\\x{0}-\\x{10ffff}]";
      return std::string("[") + (negated ? "^" : "") + items + "]";
    }
    return simple_exp(depth);
  }

  // Returns the class text for a shorthand like \d, or empty.
  static std::string shorthand(char32_t letter, bool inside_class) {
    std::string body;
    switch (letter) {
      case 'd': return inside_class ? "0-9" : "[0-9]";
      case 'D': return inside_class ? "" : "[^0-9]";
      case 's': return inside_class ? " \\t\\n\\x{b}\\f\\r" : "[ \\t\\n\\x{b}\\f\\r]";
      case 'S': return inside_class ? "" : "[^ \\t\\n\\x{b}\\f\\r]";
      case 'w': return inside_class ? "a-zA-Z_0-9" : "[a-zA-Z_0-9]";
      case 'W': return inside_class ? "" : "[^a-zA-Z_0-9]";
      default: return body;
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
        return fail("negated shorthand '\\" + describe(letter) + "' inside a character class is not supported");
      }
    }
    char32_t from = char_exp();
    if (!error_.empty()) return {};
    if (peek('-') && at_ + 1 < chars_.size() && chars_[at_ + 1] != ']') {
      ++at_;
      char32_t to = char_exp();
      if (to < from) return fail("invalid character range");
      return escape_code_point(from) + "-" + escape_code_point(to);
    }
    return escape_code_point(from);
  }

  char32_t char_exp() {
    if (!more()) {
      fail("unexpected end of pattern");
      return 0;
    }
    if (match('\\')) {
      if (!more()) {
        fail("pattern ends with a lone backslash");
        return 0;
      }
    }
    return chars_[at_++];
  }

  std::string simple_exp(std::size_t depth) {
    if (match('.')) return "(?s:.)";
    if (match('#')) return "[^\\x{0}-\\x{10ffff}]";
    if (match('@')) return "(?s:.*)";
    if (match('"')) {
      std::string out;
      while (more() && !peek('"')) out += escape_code_point(chars_[at_++]);
      if (!match('"')) return fail("unterminated \"literal\"");
      return "(?:" + out + ")";
    }
    if (match('(')) {
      if (match(')')) return "(?:)";
      std::string inner = union_exp(depth + 1);
      if (!match(')')) return fail("')' expected");
      return "(?:" + inner + ")";
    }
    if (match('<')) return interval();
    if (peek('\\') && at_ + 1 < chars_.size()) {
      std::string sh = shorthand(chars_[at_ + 1], false);
      if (!sh.empty()) {
        at_ += 2;
        return sh;
      }
    }
    char32_t c = char_exp();
    if (!error_.empty()) return {};
    return escape_code_point(c);
  }

  // `<n-m>`, after the '<'.
  std::string interval() {
    std::size_t start = at_;
    std::string lo_text, hi_text;
    while (more() && chars_[at_] >= '0' && chars_[at_] <= '9') lo_text += static_cast<char>(chars_[at_++]);
    if (lo_text.empty() || !match('-')) {
      at_ = start;
      return fail("named automata '<name>' are not supported; use '<min-max>' or escape '<'");
    }
    while (more() && chars_[at_] >= '0' && chars_[at_] <= '9') hi_text += static_cast<char>(chars_[at_++]);
    if (hi_text.empty() || !match('>')) return fail("interval '<min-max>' expected");
    if (lo_text.size() > 18 || hi_text.size() > 18) return fail("interval bound too large");
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
  std::size_t at_ = 0;
  std::string error_;
};

}  // namespace

Translation translate_lucene(std::string_view pattern) { return Translator(pattern).run(); }

}  // namespace eql::regex
