// Internal to src/rules/: reading a string token straight from a file's raw text, so every
// byte of the decoded value is tied to the file offset it came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eql/source.h"

namespace eql::rules_internal {

/// A decoded string and, for each of its bytes, the file offset it came from (an escape
/// sequence's bytes all map to its backslash). One extra entry: the closing delimiter.
struct ScannedString {
  std::string value;
  std::vector<std::uint32_t> offsets;
  bool ok = false;  ///< false when the text at `start` is not a complete string token
};

/// Scans a TOML string of any of the four kinds (`'`, `'''`, `"`, `"""`) whose opening
/// delimiter is at `start`. Line endings inside multi-line strings read as "\n", as toml++
/// returns them.
ScannedString scan_toml_string(std::string_view text, std::uint32_t start);

/// Scans a JSON string whose opening quote is at `start`.
ScannedString scan_json_string(std::string_view text, std::uint32_t start);

/// The cheapest origin that describes the scan: a shift when the bytes are contiguous.
QueryOrigin origin_of(const ScannedString& scanned);

/// The byte offset of a 1-based line and a 1-based column counted in code points.
std::uint32_t offset_of_line_column(std::string_view text, std::uint32_t line,
                                    std::uint32_t column);

}  // namespace eql::rules_internal
