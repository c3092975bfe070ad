#include "eval/text.h"

#include <cstring>

#include "common/utf8.h"

namespace eql::text {

char32_t next_code_point(std::string_view s, std::size_t& at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(at);
  auto invalid = [&] {
    ++at;
    return static_cast<char32_t>(0xDC00 + lead);
  };
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  std::size_t length = lead >= 0xF0 && lead < 0xF5 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (length == 0 || lead >= 0xF5 || at + length > s.size()) return invalid();
  char32_t code = lead & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) {
    unsigned char c = byte(at + k);
    if ((c & 0xC0) != 0x80) return invalid();
    code = (code << 6) | (c & 0x3F);
  }
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF))
    return invalid();
  at += length;
  return code;
}

void append_utf8(std::string& out, char32_t c) {
  if (c >= 0xDC80 && c <= 0xDCFF) {  // an undecodable byte, restored
    out += static_cast<char>(c - 0xDC00);
  } else {
    eql::append_utf8(out, c);
  }
}

std::size_t count_code_points(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t at = 0; at < s.size(); ++count) next_code_point(s, at);
  return count;
}

namespace {

struct CaseRun {
  char32_t first;
  char32_t last;
  std::uint32_t stride;
  std::int32_t delta;
};

constexpr CaseRun kLowerCase[] = {
#include "common/utf8.h"
#include "eval/case_folding.inc"
};

}  // namespace

char32_t fold_case(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  // The last run starting at or before c.
  std::size_t lo = 0, hi = sizeof kLowerCase / sizeof kLowerCase[0];
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (kLowerCase[mid].first <= c) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return c;
  const CaseRun& run = kLowerCase[lo - 1];
  if (c > run.last || (c - run.first) % run.stride != 0) return c;
  return static_cast<char32_t>(static_cast<std::int32_t>(c) + run.delta);
}

std::string fold_case(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t at = 0; at < s.size();) append_utf8(out, fold_case(next_code_point(s, at)));
  return out;
}

bool equals(std::string_view a, std::string_view b, bool case_insensitive) {
  if (!case_insensitive) return a == b;
  std::size_t i = 0, j = 0;
  // ASCII on both sides folds byte by byte; the first other byte goes the long way.
  while (i < a.size() && j < b.size()) {
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[j]);
    if ((x | y) >= 0x80) break;
    if (fold_case(x) != fold_case(y)) return false;
    ++i;
    ++j;
  }
  while (i < a.size() && j < b.size()) {
    if (fold_case(next_code_point(a, i)) != fold_case(next_code_point(b, j))) return false;
  }
  return i == a.size() && j == b.size();
}

Wildcard::Wildcard(std::string_view pattern, bool case_insensitive)
    : case_insensitive_(case_insensitive) {
  // At most one token per byte: one allocation rather than the doublings of push_back
  // (loading the corpus builds some 60,000 patterns).
  tokens_.reserve(pattern.size());
  bool only_stars = true;
  for (std::size_t at = 0; at < pattern.size();) {
    char32_t c = next_code_point(pattern, at);
    if (c == '*') {
      literal_ = false;
      if (!tokens_.empty() && tokens_.back() == kStar) continue;  // `**` is `*`
      tokens_.push_back(kStar);
      continue;
    }
    only_stars = false;
    if (c == '?') {
      literal_ = false;
      tokens_.push_back(kAnyOne);
    } else {
      tokens_.push_back(case_insensitive ? fold_case(c) : c);
    }
  }
  matches_everything_ = only_stars && !tokens_.empty();
  // The longest run found as token positions, spelled out once at the end rather than
  // appended a byte at a time.
  std::size_t run_start = 0, best_start = 0, best_size = 0;
  for (std::size_t i = 0; i <= tokens_.size(); ++i) {
    // A run of ASCII literals ends at a wildcard or at a non-ASCII code point (kStar and
    // kAnyOne lie above every code point, so one comparison finds both).
    const bool at_end = i == tokens_.size();
    if (!at_end && tokens_[i] < 0x80) continue;
    const bool wildcard = !at_end && (tokens_[i] == kStar || tokens_[i] == kAnyOne);
    if (!at_end && !wildcard) needs_non_ascii_ = true;
    if (i - run_start > best_size) {
      best_start = run_start;
      best_size = i - run_start;
    }
    run_start = i + 1;
  }
  required_run_.resize(best_size);
  for (std::size_t k = 0; k < best_size; ++k) required_run_[k] = static_cast<char>(tokens_[best_start + k]);
}

bool is_ascii(std::string_view value) {
  std::size_t i = 0;
  for (; i + 8 <= value.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, value.data() + i, 8);
    if (word & 0x8080808080808080ULL) return false;
  }
  for (; i < value.size(); ++i) {
    if (static_cast<unsigned char>(value[i]) >= 0x80) return false;
  }
  return true;
}

namespace {

// Whether `needle` (already folded when ignoring case) occurs in the ASCII `haystack`.
bool contains_ascii(std::string_view haystack, std::string_view needle, bool case_insensitive) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  if (!case_insensitive) return haystack.find(needle) != std::string_view::npos;
  const char first = needle[0];
  const std::size_t last_start = haystack.size() - needle.size();
  for (std::size_t i = 0; i <= last_start; ++i) {
    if (fold_ascii(haystack[i]) != first) continue;
    std::size_t k = 1;
    while (k < needle.size() && fold_ascii(haystack[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

}  // namespace

bool Wildcard::matches(std::string_view value) const {
  // Most values (paths, command lines) are ASCII: there a code point is a byte and folding
  // is a byte operation, so the pattern is matched byte by byte after a cheap rejection.
  if (is_ascii(value)) return matches_ascii(value);
  return matches_by_code_point(value);
}

namespace {

// The backtracking of Wildcard::matches_by_code_point over ASCII text, one byte per code
// point; kFold folds each byte of `value` first.
template <bool kFold>
bool match_ascii_bytes(const std::vector<char32_t>& tokens, char32_t star, char32_t any_one,
                       std::string_view value) {
  std::size_t p = 0;
  std::size_t v = 0;
  std::size_t star_p = std::string::npos;
  std::size_t star_v = 0;
  while (v < value.size()) {
    char32_t c = static_cast<unsigned char>(kFold ? fold_ascii(value[v]) : value[v]);
    if (p < tokens.size() && tokens[p] == star) {
      star_p = p++;
      star_v = v;
      continue;
    }
    if (p < tokens.size() && (tokens[p] == any_one || tokens[p] == c)) {
      ++p;
      ++v;
      continue;
    }
    if (star_p == std::string::npos) return false;
    p = star_p + 1;
    v = ++star_v;
  }
  while (p < tokens.size() && tokens[p] == star) ++p;
  return p == tokens.size();
}

}  // namespace

bool Wildcard::matches_ascii(std::string_view value) const {
  if (needs_non_ascii_) return false;
  if (!contains_ascii(value, required_run_, case_insensitive_)) return false;
  return case_insensitive_ ? match_ascii_bytes<true>(tokens_, kStar, kAnyOne, value)
                           : match_ascii_bytes<false>(tokens_, kStar, kAnyOne, value);
}

bool Wildcard::matches_ascii(std::string_view value, std::string_view folded) const {
  if (needs_non_ascii_) return false;
  const std::string_view text = case_insensitive_ ? folded : value;
  if (!contains_ascii(text, required_run_, false)) return false;
  return match_ascii_bytes<false>(tokens_, kStar, kAnyOne, text);
}

std::string_view fold_ascii_into(std::string_view s, std::string& out) {
  out.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = fold_ascii(s[i]);
  return out;
}

bool Wildcard::matches_by_code_point(std::string_view value) const {
  // Greedy match with backtracking to the last star: O(n*m) at worst, no recursion.
  std::size_t p = 0;
  std::size_t v = 0;
  std::size_t star_p = std::string::npos;
  std::size_t star_v = 0;
  while (v < value.size()) {
    std::size_t next_v = v;
    char32_t c = next_code_point(value, next_v);
    if (case_insensitive_) c = fold_case(c);
    if (p < tokens_.size() && tokens_[p] == kStar) {
      star_p = p++;
      star_v = v;
      continue;
    }
    if (p < tokens_.size() && (tokens_[p] == kAnyOne || tokens_[p] == c)) {
      ++p;
      v = next_v;
      continue;
    }
    if (star_p == std::string::npos) return false;
    // Let the last star swallow one more code point and retry.
    p = star_p + 1;
    next_code_point(value, star_v);
    v = star_v;
  }
  while (p < tokens_.size() && tokens_[p] == kStar) ++p;
  return p == tokens_.size();
}

}  // namespace eql::text
