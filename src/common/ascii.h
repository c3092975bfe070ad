// ASCII case, for names that are ASCII by definition (function names, rule tags, options).
// Values of events fold Unicode case instead: src/eval/text.h.
#pragma once

#include <algorithm>
#include <string_view>

namespace eql {

/// `c` lower-cased when it is A-Z; every other byte as it is.
inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

/// Whether `a` and `b` are equal once A-Z are lower-cased.
inline bool ascii_equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace eql
