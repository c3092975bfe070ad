// The skipping JSON scanner of parse_event (see json_scan.h).
//
// RapidJSON's SAX reader decodes every string and converts every number of an event, and
// a selection files a few of them: most of the work went to values nobody reads. This
// scanner walks the same grammar once, iteratively (no recursion on the text's nesting),
// and hands the Flattener only what it files; the rest is checked, not decoded.
//
// It must never accept a text RapidJSON refuses, and must file exactly what RapidJSON's
// reader would: same values, same kinds, same order. Where matching RapidJSON would take
// more than a few lines it declines instead, and RapidJSON reads the text (a second pass,
// for forms real events do not have):
// - any NUL byte (RapidJSON takes it for the end of the text; parse_event then reports it);
// - a \u escape of a lone UTF-16 surrogate (RapidJSON 1.1 keeps a lone low one as bytes
//   that are not UTF-8, later versions refuse it);
// - a number with more than 300 integer digits or an exponent above 300 (RapidJSON refuses
//   some of those as too big for a double);
// - a filed number whose value is not exact by one IEEE operation: an integer beyond 64 bits,
//   a fraction or exponent whose digits make an integer of 2^53 or more, or a power of ten
//   beyond 10^22 (RapidJSON rounds those with its own big-number code; they are still accepted
//   when skipped).
// Paths too long or nesting too deep are refused by the Flattener or here, and declined.
// The text is not checked for UTF-8 beforehand: a byte above 0x7F may only stand in a
// string, where each sequence is checked as it comes; anywhere else it is declined.
#include "events/json_scan.h"

#include <emmintrin.h>

#include <cstdint>
#include <string>
#include <vector>

#include "events/flattener.h"
#include "events/utf8.h"

namespace eql {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t'); }

// Bytes that end a run of plain ASCII string bytes: the closing quote, an escape, the
// control characters JSON forbids unescaped (NUL among them), and the bytes of multi-byte
// UTF-8 sequences, which are checked one sequence at a time.
bool ends_plain_run(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80;
}

// The first byte in [at, end) that ends a plain run, or end. Sixteen bytes at a time while
// sixteen remain (unaligned loads, never past the end).
[[gnu::always_inline]] inline const char* find_plain_run_end(const char* at, const char* end) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i highest_control = _mm_set1_epi8(0x1F);
  while (end - at >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    // A byte is a control character when the unsigned minimum with 0x1F leaves it unchanged.
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, highest_control), bytes);
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), control);
    const int mask = _mm_movemask_epi8(special) | _mm_movemask_epi8(bytes);  // | bytes >= 0x80
    if (mask != 0) return at + __builtin_ctz(static_cast<unsigned>(mask));
    at += 16;
  }
  while (at < end && !ends_plain_run(*at)) ++at;
  return at;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  auto byte = [&](std::uint32_t b) { out.push_back(static_cast<char>(b)); };
  if (code_point < 0x80) {
    byte(code_point);
  } else if (code_point < 0x800) {
    byte(0xC0 | (code_point >> 6));
    byte(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    byte(0xE0 | (code_point >> 12));
    byte(0x80 | ((code_point >> 6) & 0x3F));
    byte(0x80 | (code_point & 0x3F));
  } else {
    byte(0xF0 | (code_point >> 18));
    byte(0x80 | ((code_point >> 12) & 0x3F));
    byte(0x80 | ((code_point >> 6) & 0x3F));
    byte(0x80 | (code_point & 0x3F));
  }
}

// The powers of ten a double holds exactly.
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr int kMaxExactPower = 22;
// Every integer up to this one, 2^53 - 1, is exact in a double.
constexpr std::uint64_t kMaxExactSignificand = (std::uint64_t{1} << 53) - 1;
// Beyond these RapidJSON may refuse a number as too big (see the top of the file).
constexpr std::size_t kMaxIntegerDigits = 300;
constexpr int kMaxExponent = 300;

class Scanner {
 public:
  struct Level {
    bool object;  // else an array
    bool filed;   // opened in the Flattener: some value below it may be filed
  };

  // `levels` and `decoded` are working space, kept from one event to the next.
  Scanner(std::string_view text, std::size_t max_nesting, Flattener& flattener, std::vector<Level>& levels,
          std::string& decoded)
      : at_(text.data()), end_(text.data() + text.size()), max_nesting_(max_nesting), flattener_(flattener),
        levels_(levels), decoded_(decoded) {}

  bool scan() {
    skip_space();
    if (!at('{')) return false;  // "an event must be a JSON object", or no JSON at all
    ++at_;
    if (!flattener_.StartObject()) return false;
    levels_.clear();
    levels_.push_back({true, true});
    bool first_member = true;
    while (!levels_.empty()) {
      const Level level = levels_.back();
      skip_space();
      if (first_member || !at(',')) {
        if (at(level.object ? '}' : ']')) {
          close(level);
          first_member = false;
          continue;
        }
        if (!first_member) return false;
      } else {
        ++at_;
        skip_space();
      }
      first_member = false;
      if (level.object) {
        if (!read_key(level.filed)) return false;
        skip_space();
        if (!at(':')) return false;
        ++at_;
        skip_space();
      }
      if (at('{') || at('[')) {
        if (levels_.size() >= max_nesting_) return false;
        const bool object = *at_ == '{';
        const bool filed = level.filed && !flattener_.skips_next_container();
        if (filed && !flattener_.open_container(!object)) return false;
        ++at_;
        levels_.push_back({object, filed});
        first_member = true;
      } else if (!read_scalar(level.filed && flattener_.files_next_value())) {
        return false;
      }
    }
    skip_space();
    return at_ == end_;
  }

 private:
  // The byte at end_ is a NUL, which no test below takes for JSON.
  bool at(char c) const { return *at_ == c; }
  void skip_space() {
    while (is_space(*at_)) ++at_;
  }

  void close(const Level& level) {
    ++at_;
    if (level.filed) {
      if (level.object) {
        flattener_.EndObject(0);
      } else {
        flattener_.EndArray(0);
      }
    }
    levels_.pop_back();
  }

  bool read_key(bool filed) {
    if (!at('"')) return false;
    if (!filed) return skip_string();
    std::string_view key;
    if (!read_string(key)) return false;
    return flattener_.Key(key.data(), static_cast<simd_json::SizeType>(key.size()), false);
  }

  bool read_scalar(bool filed) {
    if (at_ == end_) return false;
    switch (*at_) {
      case '"': {
        if (!filed) return skip_string();
        std::string_view text;
        return read_string(text) && flattener_.file_string(text);
      }
      case 't':
        return read_literal("true") && (!filed || flattener_.file(Value::of_bool(true)));
      case 'f':
        return read_literal("false") && (!filed || flattener_.file(Value::of_bool(false)));
      case 'n':
        return read_literal("null") && (!filed || flattener_.file(Value::null()));
      default:
        return read_number(filed);
    }
  }

  bool read_literal(std::string_view literal) {
    if (static_cast<std::size_t>(end_ - at_) < literal.size() ||
        std::string_view(at_, literal.size()) != literal) {
      return false;
    }
    at_ += literal.size();
    return true;
  }

  // Checks the string that opens at at_ (a quote) and steps past it: most of an event's
  // strings, so kept lean.
  [[gnu::always_inline]] bool skip_string() {
    ++at_;
    for (;;) {
      at_ = find_plain_run_end(at_, end_);
      if (*at_ == '"') break;
      if (!skip_sequence(false)) return false;
    }
    ++at_;
    return true;
  }

  // Reads the string that opens at at_ (a quote) into `text`: a view into the text when it
  // has no escape, else the decoded copy in decoded_.
  bool read_string(std::string_view& text) {
    const char* begin = ++at_;
    bool escaped = false;  // whether decoded_ holds the content so far
    for (;;) {
      const char* run_end = find_plain_run_end(at_, end_);
      if (escaped) decoded_.append(at_, run_end);
      at_ = run_end;
      if (*at_ == '"') break;
      if (*at_ == '\\' && !escaped) {
        decoded_.assign(begin, at_);
        escaped = true;
      }
      if (!skip_sequence(escaped)) return false;
    }
    text = escaped ? std::string_view(decoded_) : std::string_view(begin, static_cast<std::size_t>(at_ - begin));
    ++at_;
    return true;
  }

  // Steps past what ended a plain run in a string, other than its closing quote: a UTF-8
  // sequence or an escape, appended (decoded) to decoded_ when `decode`. False for a
  // control character, the end of the text, or what is not UTF-8 or not an escape.
  bool skip_sequence(bool decode) {
    const auto byte = static_cast<unsigned char>(*at_);
    if (byte >= 0x80) {
      const std::size_t length = utf8_sequence_length(reinterpret_cast<const unsigned char*>(at_),
                                                      reinterpret_cast<const unsigned char*>(end_));
      if (length == 0) return false;
      if (decode) decoded_.append(at_, length);
      at_ += length;
      return true;
    }
    return byte == '\\' && read_escape(decode);
  }

  // Reads the escape at at_ (a backslash), appending what it stands for when `decode`.
  bool read_escape(bool decode) {
    if (end_ - at_ < 2) return false;
    char decoded_byte = 0;
    switch (at_[1]) {
      case '"': decoded_byte = '"'; break;
      case '\\': decoded_byte = '\\'; break;
      case '/': decoded_byte = '/'; break;
      case 'b': decoded_byte = '\b'; break;
      case 'f': decoded_byte = '\f'; break;
      case 'n': decoded_byte = '\n'; break;
      case 'r': decoded_byte = '\r'; break;
      case 't': decoded_byte = '\t'; break;
      case 'u': return read_unicode_escape(decode);
      default: return false;
    }
    at_ += 2;
    if (decode) decoded_.push_back(decoded_byte);
    return true;
  }

  // \uXXXX, or a surrogate pair \uD8XX\uDCXX; a lone surrogate is declined.
  bool read_unicode_escape(bool decode) {
    std::uint32_t code_point = 0;
    if (!read_hex4(code_point)) return false;
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      std::uint32_t low = 0;
      if (!read_hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    }
    if (decode) append_utf8(decoded_, code_point);
    return true;
  }

  // Reads `\uXXXX` at at_.
  bool read_hex4(std::uint32_t& value) {
    if (end_ - at_ < 6 || at_[0] != '\\' || at_[1] != 'u') return false;
    value = 0;
    for (int i = 2; i < 6; ++i) {
      const int digit = hex_value(at_[i]);
      if (digit < 0) return false;
      value = value * 16 + static_cast<std::uint32_t>(digit);
    }
    at_ += 6;
    return true;
  }

  // A number by JSON's grammar (RapidJSON's: no leading zeros, no '+', no bare '.', no
  // NaN or Infinity); filed as RapidJSON's reader would, or declined.
  bool read_number(bool filed) {
    const bool negative = at('-');
    if (negative) ++at_;
    const char* integer = at_;
    if (at('0')) {
      ++at_;
    } else {
      if (at_ == end_ || *at_ < '1' || *at_ > '9') return false;
      while (at_ < end_ && is_digit(*at_)) ++at_;
    }
    const auto integer_digits = static_cast<std::size_t>(at_ - integer);
    const char* fraction = at_;
    std::size_t fraction_digits = 0;
    if (at('.')) {
      fraction = ++at_;
      while (at_ < end_ && is_digit(*at_)) ++at_;
      fraction_digits = static_cast<std::size_t>(at_ - fraction);
      if (fraction_digits == 0) return false;
    }
    bool has_exponent = false;
    int exponent = 0;
    if (at('e') || at('E')) {
      has_exponent = true;
      ++at_;
      bool exponent_negative = false;
      if (at('+') || at('-')) exponent_negative = *at_++ == '-';
      if (at_ == end_ || !is_digit(*at_)) return false;
      for (; at_ < end_ && is_digit(*at_); ++at_) {
        if (exponent <= kMaxExponent) exponent = exponent * 10 + (*at_ - '0');
      }
      if (exponent > kMaxExponent) {
        if (!exponent_negative) return false;  // maybe too big for RapidJSON
        exponent = kMaxExponent + 1;           // far below what a filed number may have
      }
      if (exponent_negative) exponent = -exponent;
    }
    if (integer_digits > kMaxIntegerDigits) return false;
    if (!filed) return true;
    if (fraction_digits == 0 && !has_exponent) return file_integer(negative, integer, integer_digits);
    return file_decimal(negative, integer, integer_digits, fraction, fraction_digits, exponent);
  }

  // An integer: Int64 down to -2^63, Uint64 up to 2^64 - 1 (a double beyond int64, as the
  // Flattener says); RapidJSON's own rounding beyond 64 bits is declined.
  bool file_integer(bool negative, const char* digits, std::size_t count) {
    if (count > 20) return false;
    std::uint64_t magnitude = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const auto digit = static_cast<std::uint64_t>(digits[i] - '0');
      if (magnitude > (UINT64_MAX - digit) / 10) return false;
      magnitude = magnitude * 10 + digit;
    }
    if (!negative) return flattener_.file(Flattener::of_uint64(magnitude));
    if (magnitude > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
    // -0 is the integer 0, as RapidJSON reads it.
    return flattener_.file(Value::of_int(static_cast<std::int64_t>(~magnitude + 1)));
  }

  // A number with a fraction or an exponent: a double. Taken when all its digits make an
  // integer below 2^53 (exact in a double) and one multiplication or division by an exact
  // power of ten finishes it: that one correctly rounded operation is what RapidJSON's fast
  // path computes too (it also reads every digit into its significand while that stays
  // below 2^53).
  bool file_decimal(bool negative, const char* integer, std::size_t integer_digits, const char* fraction,
                    std::size_t fraction_digits, int exponent) {
    std::uint64_t significand = 0;
    auto take_digits = [&](const char* digits, std::size_t count) {
      for (std::size_t i = 0; i < count; ++i) {
        significand = significand * 10 + static_cast<std::uint64_t>(digits[i] - '0');
        if (significand > kMaxExactSignificand) return false;
      }
      return true;
    };
    if (!take_digits(integer, integer_digits) || !take_digits(fraction, fraction_digits)) return false;
    const int power = exponent - static_cast<int>(fraction_digits);
    if (power < -kMaxExactPower || power > kMaxExactPower) return false;
    double value = static_cast<double>(significand);
    value = power < 0 ? value / kExactPowersOfTen[-power] : value * kExactPowersOfTen[power];
    return flattener_.file(Value::of_double(negative ? -value : value));
  }

  const char* at_;
  const char* end_;
  std::size_t max_nesting_;
  Flattener& flattener_;
  std::vector<Level>& levels_;  // the containers open at at_, the root first
  std::string& decoded_;
};

}  // namespace

bool scan_event(std::string_view text, std::size_t max_nesting, Flattener& flattener) {
  thread_local std::vector<Scanner::Level> levels;
  thread_local std::string decoded;
  return Scanner(text, max_nesting, flattener, levels, decoded).scan();
}

}  // namespace eql
