// Helpers of the commands' argument handling and reports (see args.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli/args.h"

namespace eql::cli {

bool dialect_option(ArgReader& reader, Dialect& dialect, std::string& error) {
  auto value = reader.option_value("--dialect", error);
  if (!value) return !error.empty();
  if (auto named = dialect_named(*value)) {
    dialect = *named;
  } else {
    error = "--dialect takes endpoint or elasticsearch, not '" + *value + "'";
  }
  return true;
}

std::optional<std::int64_t> duration_millis(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  std::int64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) value = value * 10 + (text[i] - '0');
  const std::string_view unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else return std::nullopt;
  return value * scale;  // at most 10^12 days in ms: below 2^63
}

}  // namespace eql::cli
