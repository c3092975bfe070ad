// Well-formed UTF-8, checked where an event's text is read (event.cpp, json_scan.cpp).
#pragma once

#include <cstddef>

namespace eql {

/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF) that starts at `at`, a byte of 0x80 or above, and
/// ends by `end`; 0 when there is none.
inline std::size_t utf8_sequence_length(const unsigned char* at, const unsigned char* end) {
  const unsigned char lead = at[0];
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - at) < length) return 0;
  if (at[1] < low || at[1] > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (at[k] < 0x80 || at[k] > 0xBF) return 0;
  }
  return length;
}

}  // namespace eql
