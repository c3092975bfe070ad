// Validation of the constant arguments the checker can judge without events: Lucene regular
// expressions (EQL `regex`) and cidrMatch's address blocks.

#include <cstdint>
#include <string>
#include <vector>

#include "eql/checker.h"
#include "eql/value.h"

namespace eql {

namespace {

/// A Lucene RegExp syntax check with every optional operator on (Elasticsearch builds EQL
/// regexes with RegExp.ALL). Mirrors the grammar's shape: union > intersection > concat >
/// repeat > complement > class > simple. Nesting is bounded by a counter, never the stack
/// of a hostile pattern.
class LuceneRegexValidator {
 public:
  explicit LuceneRegexValidator(std::string_view pattern) : text_(pattern) { decode(); }

  std::string validate(std::size_t& error_offset) {
    parse_union();
    if (error_.empty() && more()) {
      fail("unexpected `" + std::string(1, static_cast<char>(current())) +
           "`: unbalanced parenthesis (escape it as `\\)` to match it literally)");
    }
    error_offset = error_.empty() ? 0 : offsets_[std::min(error_at_, offsets_.size() - 1)];
    return error_;
  }

 private:
  static constexpr std::size_t kMaxDepth = 200;

  void decode() {
    // UTF-8 to code points, remembering each one's byte offset (invalid bytes count alone)
    std::size_t i = 0;
    while (i < text_.size()) {
      auto byte = static_cast<unsigned char>(text_[i]);
      std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 6 ? 2 : (byte >> 4) == 14 ? 3 : (byte >> 3) == 30 ? 4 : 1;
      if (i + length > text_.size()) length = 1;
      char32_t code = length == 1 ? byte : byte & (0x7F >> length);
      for (std::size_t k = 1; k < length; ++k) {
        code = (code << 6) | (static_cast<unsigned char>(text_[i + k]) & 0x3F);
      }
      offsets_.push_back(i);
      codes_.push_back(code);
      i += length;
    }
    offsets_.push_back(text_.size());
  }

  bool more() const { return error_.empty() && pos_ < codes_.size(); }
  char32_t current() const { return codes_[pos_]; }
  bool peek(std::u32string_view any_of) const { return more() && any_of.find(current()) != std::u32string_view::npos; }
  bool match(char32_t c) {
    if (more() && current() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void fail(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
      error_at_ = pos_;
    }
  }
  char32_t next_char(const char* what) {
    if (!more()) {
      fail(std::string("the pattern ends where ") + what + " was expected");
      return 0;
    }
    return codes_[pos_++];
  }

  void parse_union() {
    if (++depth_ > kMaxDepth) {
      fail("the regular expression nests deeper than " + std::to_string(kMaxDepth) + " groups");
      return;
    }
    parse_intersection();
    while (error_.empty() && match(U'|')) parse_intersection();
    --depth_;
  }
  void parse_intersection() {
    parse_concatenation();
    while (error_.empty() && match(U'&')) parse_concatenation();
  }
  void parse_concatenation() {
    parse_repeat();
    while (more() && !peek(U")|&")) parse_repeat();
  }
  void parse_repeat() {
    parse_complement();
    while (more() && peek(U"?*+{")) {
      if (match(U'{')) {
        std::size_t start = pos_;
        long low = read_number();
        if (pos_ == start) {
          fail("a number must follow `{` (write `\\{` for a literal brace)");
          return;
        }
        long high = low;
        if (match(U',')) {
          std::size_t high_start = pos_;
          high = read_number();
          if (pos_ == high_start) high = -1;
        }
        if (!match(U'}')) {
          fail("`}` expected to close the repetition");
          return;
        }
        if (high >= 0 && high < low) {
          fail("invalid repetition {" + std::to_string(low) + "," + std::to_string(high) +
               "}: the maximum is below the minimum");
          return;
        }
      } else {
        ++pos_;
      }
    }
  }
  long read_number() {
    long value = 0;
    while (more() && current() >= U'0' && current() <= U'9') {
      if (value < 100000000) value = value * 10 + static_cast<long>(current() - U'0');
      ++pos_;
    }
    return value;
  }
  void parse_complement() {
    std::size_t tildes = 0;
    while (match(U'~')) ++tildes;
    parse_class();
  }
  void parse_class() {
    if (!match(U'[')) {
      parse_simple();
      return;
    }
    match(U'^');
    do {
      char32_t from = parse_char("a character class member");
      if (!error_.empty()) return;
      if (match(U'-')) {
        std::size_t range_at = pos_;
        char32_t to = parse_char("the end of a character range");
        if (!error_.empty()) return;
        if (to < from) {
          pos_ = range_at;
          fail("invalid character range: its start is after its end");
          return;
        }
      }
    } while (more() && !peek(U"]"));
    if (!match(U']')) fail("`]` expected to close the character class");
  }
  void parse_simple() {
    if (match(U'.') || match(U'#') || match(U'@')) return;
    if (match(U'"')) {
      while (more() && current() != U'"') ++pos_;
      if (!match(U'"')) fail("`\"` expected to close the quoted string (write `\\\"` for a literal quote)");
      return;
    }
    if (match(U'(')) {
      if (!more()) {
        --pos_;
        fail("`(` opens a group that is never closed (write `\\(` to match a parenthesis)");
        return;
      }
      if (match(U')')) return;
      parse_union();
      if (error_.empty() && !match(U')')) fail("`)` expected to close the group");
      return;
    }
    if (match(U'<')) {
      std::size_t start = pos_;
      read_number();
      bool ok = pos_ > start && match(U'-');
      std::size_t high_start = pos_;
      read_number();
      ok = ok && pos_ > high_start && match(U'>');
      if (!ok) fail("numeric interval `<n-m>` expected after `<` (write `\\<` for a literal `<`)");
      return;
    }
    parse_char("a character");
  }
  char32_t parse_char(const char* what) {
    match(U'\\');
    return next_char(what);
  }

  std::string_view text_;
  std::vector<char32_t> codes_;
  std::vector<std::size_t> offsets_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::string error_;
  std::size_t error_at_ = 0;
};

}  // namespace

std::string lucene_regex_error(std::string_view pattern, std::size_t& error_offset) {
  return LuceneRegexValidator(pattern).validate(error_offset);
}

std::string cidr_error(std::string_view cidr) {
  // The evaluator's parser decides (one reading of addresses); this only says why not.
  if (parse_cidr(cidr)) return {};
  std::size_t slash = cidr.find('/');
  std::string_view address = cidr.substr(0, slash);
  if (!parse_ip(address)) return "`" + std::string(address) + "` is not an IPv4 or IPv6 address";
  std::string_view digits = slash == std::string_view::npos ? std::string_view{} : cidr.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return "the prefix length after `/` must be a number";
  }
  return address.find(':') == std::string_view::npos ? "an IPv4 prefix length is at most 32"
                                                      : "an IPv6 prefix length is at most 128";
}

}  // namespace eql
