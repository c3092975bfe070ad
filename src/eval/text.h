// Internal to the evaluator: UTF-8 decoding, case folding and `*`/`?` wildcard patterns,
// all over Unicode code points.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ascii.h"

namespace eql::text {

/// Decodes one code point at `at` and advances it. An invalid byte decodes as itself
/// mapped into U+DC80..U+DCFF (so it matches only itself) and advances by one.
char32_t next_code_point(std::string_view s, std::size_t& at);
/// Encodes a code point, restoring an undecodable byte that next_code_point mapped into
/// U+DC80..U+DCFF as that byte.
void append_utf8(std::string& out, char32_t code_point);
std::size_t count_code_points(std::string_view s);

/// The simple lower-case mapping of one code point, as Java's Character.toLowerCase(int)
/// (Unicode's single-code-point lower cases; table in case_folding.inc).
char32_t fold_case(char32_t c);
std::string fold_case(std::string_view s);

bool equals(std::string_view a, std::string_view b, bool case_insensitive);

/// Whether every byte is below 0x80 (read a word at a time).
bool is_ascii(std::string_view s);

/// `c` lower-cased when it is A-Z.
inline char fold_ascii(char c) { return ascii_lower(c); }

/// `s` with A-Z lower-cased (for ASCII text this is fold_case), into `out`.
std::string_view fold_ascii_into(std::string_view s, std::string& out);

/// A compiled wildcard pattern: `*` any run of code points (also empty), `?` exactly one;
/// every other character, backslash included, is literal.
class Wildcard {
 public:
  Wildcard() = default;
  Wildcard(std::string_view pattern, bool case_insensitive);
  bool matches(std::string_view value) const;
  /// matches(), for a caller that already knows whether `value` is_ascii (a value tried
  /// against many patterns is scanned once).
  bool matches(std::string_view value, bool value_is_ascii) const {
    return value_is_ascii ? matches_ascii(value) : matches_by_code_point(value);
  }
  /// matches() for an ASCII `value`, given also `folded`, the same value with A-Z
  /// lower-cased (fold_ascii_into): a case-insensitive pattern then reads `folded` and
  /// compares bytes as they are, so that a value tried against many such patterns is
  /// folded once rather than byte by byte in each of them.
  bool matches_ascii(std::string_view value, std::string_view folded) const;
  /// The same decision over decoded, case-folded code points, without the ASCII fast path
  /// of matches(): the reference the fast path is tested against.
  bool matches_by_code_point(std::string_view value) const;
  /// `*` alone (or only stars): matches every string.
  bool matches_everything() const { return matches_everything_; }
  /// No `*` or `?`: the pattern is a plain string.
  bool is_literal() const { return literal_; }

 private:
  enum : char32_t { kStar = 0xFFFFFFFF, kAnyOne = 0xFFFFFFFE };
  bool matches_ascii(std::string_view value) const;

  std::vector<char32_t> tokens_;
  // A necessary condition on an ASCII value: the longest run of ASCII literal tokens
  // (folded when case-insensitive) must occur in it. Computed at construction.
  std::string required_run_;
  // Some literal token is not ASCII: no ASCII value can match (an ASCII code point folds
  // to an ASCII one, and never equals a non-ASCII token).
  bool needs_non_ascii_ = false;
  bool case_insensitive_ = false;
  bool matches_everything_ = false;
  bool literal_ = true;
};

}  // namespace eql::text
