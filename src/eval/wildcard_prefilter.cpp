// The factor prefilter of one field's wildcard patterns (wildcard_prefilter.h). Chosen over
// RE2::Set and an Aho-Corasick automaton; docs/performance.md gives why.
#include "eval/wildcard_prefilter.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

namespace eql::detail {

namespace {

constexpr std::size_t kLongKey = 4;   // bytes read per position
constexpr std::size_t kShortKey = 3;  // a factor of exactly 3 bytes is looked for as such

// The 4 bytes at `at` as a key. Values are ASCII, so the top bit of every byte is clear
// and no such key equals a short key (below) or WildcardPrefilter::kEmptyKey.
std::uint32_t long_key(const char* at) {
  std::uint32_t key;
  std::memcpy(&key, at, sizeof key);
  return key;
}

std::uint32_t short_key(const char* at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(at[0])) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(at[1])) << 8) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(at[2])) << 16) | 0xFF000000u;
}

std::uint32_t bucket_hash(std::uint32_t key) { return key * 0x9E3779B1u; }
std::uint32_t filter_hash(std::uint32_t key) { return key * 0x85EBCA6Bu; }

// The exponent of the smallest power of two at least `n` (and at least 2^minimum).
std::uint32_t log2_at_least(std::size_t n, std::uint32_t minimum) {
  std::uint32_t exponent = minimum;
  while ((std::size_t{1} << exponent) < n) ++exponent;
  return exponent;
}

}  // namespace

void WildcardPrefilter::add(std::uint32_t memo_id, const text::Wildcard& wildcard) {
  Pattern pattern;
  pattern.memo_id = memo_id;
  pattern.factor = std::string(text::fold_ascii_into(wildcard.required_run(), pattern.factor));
  pattern.wildcard = wildcard;
  patterns_.push_back(std::move(pattern));
}

void WildcardPrefilter::build() {
  unfiltered_.clear();
  has_short_keys_ = has_long_keys_ = false;
  // Each pattern's key: of its factor's windows, the one fewest patterns before it took,
  // so that common pieces (`\windows\`, `/bin/`) do not gather every pattern under one key.
  std::unordered_map<std::uint32_t, std::uint32_t> taken;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> keyed;  // key, pattern index
  for (std::uint32_t index = 0; index < patterns_.size(); ++index) {
    Pattern& pattern = patterns_[index];
    const std::string& factor = pattern.factor;
    if (factor.size() < kShortKey) {
      unfiltered_.push_back(index);
      continue;
    }
    std::uint32_t key = 0;
    if (factor.size() == kShortKey) {
      key = short_key(factor.data());
      pattern.window = 0;
      has_short_keys_ = true;
    } else {
      std::uint32_t fewest = UINT32_MAX;
      for (std::size_t at = 0; at + kLongKey <= factor.size(); ++at) {
        const std::uint32_t candidate = long_key(factor.data() + at);
        auto found = taken.find(candidate);
        const std::uint32_t count = found == taken.end() ? 0 : found->second;
        if (count < fewest) {
          fewest = count;
          key = candidate;
          pattern.window = static_cast<std::uint32_t>(at);
        }
      }
      has_long_keys_ = true;
    }
    ++taken[key];
    keyed.emplace_back(key, index);
  }
  std::sort(keyed.begin(), keyed.end());

  const std::size_t keys = taken.size();
  const std::uint32_t bucket_bits = log2_at_least(keys * 4, 4);
  bucket_shift_ = 32 - bucket_bits;
  buckets_.assign(std::size_t{1} << bucket_bits, Bucket{});
  const std::uint32_t filter_bits = log2_at_least(keys * 16, 9);
  filter_shift_ = 32 - filter_bits;
  filter_.assign((std::size_t{1} << filter_bits) / 64, 0);
  postings_.clear();
  postings_.reserve(keyed.size());
  for (std::size_t i = 0; i < keyed.size();) {
    const std::uint32_t key = keyed[i].first;
    Bucket bucket{key, static_cast<std::uint32_t>(postings_.size()), 0};
    for (; i < keyed.size() && keyed[i].first == key; ++i) postings_.push_back(keyed[i].second);
    bucket.end = static_cast<std::uint32_t>(postings_.size());
    std::size_t at = bucket_of(key);
    while (buckets_[at].key != kEmptyKey) at = (at + 1) & (buckets_.size() - 1);
    buckets_[at] = bucket;
    const std::uint32_t bit = filter_hash(key) >> filter_shift_;
    filter_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
  }
}

std::size_t WildcardPrefilter::bucket_of(std::uint32_t key) const { return bucket_hash(key) >> bucket_shift_; }

bool WildcardPrefilter::may_hold(std::uint32_t key) const {
  const std::uint32_t bit = filter_hash(key) >> filter_shift_;
  return (filter_[bit >> 6] >> (bit & 63)) & 1;
}

// The patterns filed under `key`, read at `at` of `folded`, whose whole factor is there;
// for a pattern of one run between stars, only when the run is where it has to be, and
// then known to match.
void WildcardPrefilter::collect(std::uint32_t key, std::string_view value, std::string_view folded, std::size_t at,
                                std::vector<std::uint32_t>& out) const {
  std::size_t slot = bucket_of(key);
  while (buckets_[slot].key != key) {
    if (buckets_[slot].key == kEmptyKey) return;
    slot = (slot + 1) & (buckets_.size() - 1);
  }
  const Bucket& bucket = buckets_[slot];
  for (std::uint32_t i = bucket.begin; i < bucket.end; ++i) {
    const Pattern& pattern = patterns_[postings_[i]];
    if (at < pattern.window) continue;
    const std::size_t start = at - pattern.window;
    if (start + pattern.factor.size() > folded.size()) continue;
    if (std::memcmp(folded.data() + start, pattern.factor.data(), pattern.factor.size()) != 0) continue;
    using Shape = text::Wildcard::Shape;
    const Shape shape = pattern.wildcard.shape();
    if (shape == Shape::Other) {
      out.push_back(postings_[i]);
      continue;
    }
    if (shape == Shape::Prefix && start != 0) continue;
    if (shape == Shape::Suffix && start + pattern.factor.size() != folded.size()) continue;
    // The run compares as the pattern does: lower-cased, or (case matters) as written.
    const std::string& run = pattern.wildcard.required_run();
    if (!pattern.wildcard.case_insensitive() && std::memcmp(value.data() + start, run.data(), run.size()) != 0) {
      continue;
    }
    out.push_back(postings_[i] | kMatched);
  }
}

void WildcardPrefilter::candidates(std::string_view value, std::string_view folded,
                                   std::vector<std::uint32_t>& out) const {
  out.insert(out.end(), unfiltered_.begin(), unfiltered_.end());
  const char* text = folded.data();
  if (has_long_keys_ && folded.size() >= kLongKey) {
    for (std::size_t at = 0; at + kLongKey <= folded.size(); ++at) {
      const std::uint32_t key = long_key(text + at);
      if (may_hold(key)) collect(key, value, folded, at, out);
    }
  }
  if (has_short_keys_ && folded.size() >= kShortKey) {
    for (std::size_t at = 0; at + kShortKey <= folded.size(); ++at) {
      const std::uint32_t key = short_key(text + at);
      if (may_hold(key)) collect(key, value, folded, at, out);
    }
  }
}

}  // namespace eql::detail
