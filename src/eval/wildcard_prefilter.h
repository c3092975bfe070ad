// Internal to the evaluator: the wildcard patterns of every rule's leaves over one field,
// found in a value by their literal factors in one pass (issue 19; equality_scan.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eval/text.h"

namespace eql::detail {

/// The prefilter of one field's wildcard patterns. Every pattern has a factor: the longest
/// run of ASCII literal characters it holds, lower-cased. A pattern can match an ASCII
/// value only if the lower-cased value contains its factor, so one pass over the
/// lower-cased value lists the few patterns worth running: those whose factor occurs there,
/// and those whose factor is too short to be looked for (always listed).
///
/// The factors are found through one 4-byte window of each (3 bytes for a factor of 3):
/// each position of the value is read as a 4-byte key, a bit set rejects almost every key
/// with one load, and the keys it lets through are looked up in an open-addressing table
/// of the windows chosen, whose patterns are then compared with the value in full.
class WildcardPrefilter {
 public:
  struct Pattern {
    std::uint32_t memo_id = 0;  // of the leaf the pattern belongs to
    std::string factor;         // lower-cased
    text::Wildcard wildcard;    // the exact test, as the leaf's own evaluation runs it
    std::uint32_t window = 0;   // where in `factor` its key starts (factors of 3+ bytes)
  };
  /// Set on an index candidates() gives when the pattern is known to match (its shape is
  /// one run with stars around it, and the run is where the shape needs it).
  static constexpr std::uint32_t kMatched = 0x80000000u;

  void add(std::uint32_t memo_id, const text::Wildcard& wildcard);
  /// Lays out the key table from the patterns added; before candidates() is used.
  void build();
  bool empty() const { return patterns_.empty(); }
  std::size_t size() const { return patterns_.size(); }
  const Pattern& pattern(std::uint32_t index) const { return patterns_[index]; }

  /// Appends to `out` the index of every pattern whose factor occurs in `folded` (the
  /// ASCII `value` lower-cased) or is too short to be looked for, with kMatched set when
  /// that decides the match; an index may be appended more than once.
  void candidates(std::string_view value, std::string_view folded, std::vector<std::uint32_t>& out) const;

 private:
  static constexpr std::uint32_t kEmptyKey = 0xFFFFFFFFu;
  struct Bucket {
    std::uint32_t key = kEmptyKey;
    std::uint32_t begin = 0, end = 0;  // range of `postings_`
  };
  std::size_t bucket_of(std::uint32_t key) const;
  bool may_hold(std::uint32_t key) const;
  void collect(std::uint32_t key, std::string_view value, std::string_view folded, std::size_t at,
               std::vector<std::uint32_t>& out) const;

  std::vector<Pattern> patterns_;
  std::vector<std::uint32_t> unfiltered_;  // factor under 3 bytes: always a candidate
  std::vector<Bucket> buckets_;            // power of two
  std::vector<std::uint32_t> postings_;    // pattern indexes, grouped by key
  std::vector<std::uint64_t> filter_;      // one bit per hashed key; power of two bits
  std::uint32_t filter_shift_ = 64;
  std::uint32_t bucket_shift_ = 64;
  bool has_short_keys_ = false;  // some factor is of 3 bytes
  bool has_long_keys_ = false;   // some factor is of 4 bytes or more
};

}  // namespace eql::detail
