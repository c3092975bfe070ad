// Counted nouns for the commands' summaries: "1 event read", "2 events read", "1 match".
// One place, so every command says `1 sequence matched` and never `1 sequences matched`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace eql {

/// The noun for `n` things: `singular` when n is 1, else `plural`; when `plural` is empty,
/// the regular English plural (`rule` -> `rules`, `summary` -> `summaries`).
inline std::string noun(std::uint64_t n, std::string_view singular, std::string_view plural = {}) {
  if (n == 1) return std::string(singular);
  if (!plural.empty()) return std::string(plural);
  if (singular.size() > 1 && singular.back() == 'y' &&
      std::string_view("aeiou").find(singular[singular.size() - 2]) == std::string_view::npos) {
    return std::string(singular.substr(0, singular.size() - 1)) + "ies";
  }
  return std::string(singular) + "s";
}

/// The count and its noun: count_of(1, "event") is "1 event", count_of(3, "match", "matches")
/// is "3 matches".
inline std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural = {}) {
  return std::to_string(n) + " " + noun(n, singular, plural);
}

}  // namespace eql
