#include "rules/string_scan.h"

#include <optional>

#include "common/utf8.h"

namespace eql::rules_internal {

namespace {

std::uint32_t to_u32(std::size_t value) { return static_cast<std::uint32_t>(value); }

std::optional<char32_t> hex_value(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  char32_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = text[at + i];
    char32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<char32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<char32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<char32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = value * 16 + digit;
  }
  return value;
}

// Records `bytes` as coming from file offset `from`.
void emit(ScannedString& out, std::string_view bytes, std::size_t from) {
  out.value.append(bytes);
  out.offsets.insert(out.offsets.end(), bytes.size(), to_u32(from));
}

void emit_code_point(ScannedString& out, char32_t code_point, std::size_t from) {
  std::string encoded;
  append_utf8(encoded, code_point);
  emit(out, encoded, from);
}

bool starts_with(std::string_view text, std::size_t at, std::string_view prefix) {
  return text.substr(std::min(at, text.size()), prefix.size()) == prefix;
}

// TOML trims a line ending right after the opening delimiter of a multi-line string.
std::size_t skip_first_newline(std::string_view text, std::size_t at) {
  if (starts_with(text, at, "\n")) return at + 1;
  if (starts_with(text, at, "\r\n")) return at + 2;
  return at;
}

// In a multi-line string a run of 3 to 5 quotes closes it; the quotes beyond three belong
// to the content. Returns how many content quotes precede the delimiter, or none when the
// run at `at` does not close the string.
std::optional<std::size_t> closing_run(std::string_view text, std::size_t at, char quote) {
  std::size_t run = 0;
  while (at + run < text.size() && text[at + run] == quote) ++run;
  if (run < 3) return std::nullopt;
  return std::min<std::size_t>(run - 3, 2);
}

// One TOML basic-string escape at `at` (the backslash). Returns the offset after it, or none.
std::optional<std::size_t> toml_escape(std::string_view text, std::size_t at, ScannedString& out) {
  if (at + 1 >= text.size()) return std::nullopt;
  char kind = text[at + 1];
  switch (kind) {
    case 'b': emit(out, "\b", at); return at + 2;
    case 't': emit(out, "\t", at); return at + 2;
    case 'n': emit(out, "\n", at); return at + 2;
    case 'f': emit(out, "\f", at); return at + 2;
    case 'r': emit(out, "\r", at); return at + 2;
    case 'e': emit(out, "\x1B", at); return at + 2;
    case '"': emit(out, "\"", at); return at + 2;
    case '\\': emit(out, "\\", at); return at + 2;
    case 'x':
    case 'u':
    case 'U': {
      std::size_t digits = kind == 'x' ? 2 : kind == 'u' ? 4 : 8;
      auto code_point = hex_value(text, at + 2, digits);
      if (!code_point) return std::nullopt;
      emit_code_point(out, *code_point, at);
      return at + 2 + digits;
    }
    default: return std::nullopt;
  }
}

bool is_toml_whitespace(char c) { return c == ' ' || c == '\t'; }

// A backslash that ends a line in a multi-line basic string removes the line ending and all
// whitespace up to the next visible character. Returns the offset after that, or none when
// the backslash is not followed by (whitespace and) a line ending.
std::optional<std::size_t> line_ending_backslash(std::string_view text, std::size_t at) {
  std::size_t i = at + 1;
  while (i < text.size() && is_toml_whitespace(text[i])) ++i;
  if (!(starts_with(text, i, "\n") || starts_with(text, i, "\r\n"))) return std::nullopt;
  while (i < text.size() && (is_toml_whitespace(text[i]) || text[i] == '\n' || text[i] == '\r')) {
    ++i;
  }
  return i;
}

ScannedString scan_toml_multiline(std::string_view text, std::size_t start, bool literal) {
  ScannedString out;
  char quote = literal ? '\'' : '"';
  std::size_t i = skip_first_newline(text, start + 3);
  while (i < text.size()) {
    char c = text[i];
    if (c == quote) {
      if (auto extra = closing_run(text, i, quote)) {
        for (std::size_t k = 0; k < *extra; ++k) emit(out, std::string_view(&text[i + k], 1), i + k);
        out.offsets.push_back(to_u32(i + *extra));
        out.ok = true;
        return out;
      }
      emit(out, std::string_view(&text[i], 1), i);
      ++i;
    } else if (c == '\r' && starts_with(text, i, "\r\n")) {
      emit(out, "\n", i);
      i += 2;
    } else if (c == '\\' && !literal) {
      if (auto after = line_ending_backslash(text, i)) {
        i = *after;
        continue;
      }
      auto after = toml_escape(text, i, out);
      if (!after) return out;
      i = *after;
    } else {
      emit(out, std::string_view(&text[i], 1), i);
      ++i;
    }
  }
  return out;
}

ScannedString scan_toml_single_line(std::string_view text, std::size_t start, bool literal) {
  ScannedString out;
  char quote = literal ? '\'' : '"';
  std::size_t i = start + 1;
  while (i < text.size() && text[i] != '\n') {
    char c = text[i];
    if (c == quote) {
      out.offsets.push_back(to_u32(i));
      out.ok = true;
      return out;
    }
    if (c == '\\' && !literal) {
      auto after = toml_escape(text, i, out);
      if (!after) return out;
      i = *after;
      continue;
    }
    emit(out, std::string_view(&text[i], 1), i);
    ++i;
  }
  return out;
}

}  // namespace

ScannedString scan_toml_string(std::string_view text, std::uint32_t start) {
  if (starts_with(text, start, "'''")) return scan_toml_multiline(text, start, true);
  if (starts_with(text, start, "\"\"\"")) return scan_toml_multiline(text, start, false);
  if (starts_with(text, start, "'")) return scan_toml_single_line(text, start, true);
  if (starts_with(text, start, "\"")) return scan_toml_single_line(text, start, false);
  return {};
}

ScannedString scan_json_string(std::string_view text, std::uint32_t start) {
  ScannedString out;
  if (!starts_with(text, start, "\"")) return out;
  std::size_t i = start + 1;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      out.offsets.push_back(to_u32(i));
      out.ok = true;
      return out;
    }
    if (c != '\\') {
      emit(out, std::string_view(&text[i], 1), i);
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) return out;
    switch (text[i + 1]) {
      case '"': emit(out, "\"", i); break;
      case '\\': emit(out, "\\", i); break;
      case '/': emit(out, "/", i); break;
      case 'b': emit(out, "\b", i); break;
      case 'f': emit(out, "\f", i); break;
      case 'n': emit(out, "\n", i); break;
      case 'r': emit(out, "\r", i); break;
      case 't': emit(out, "\t", i); break;
      case 'u': {
        auto unit = hex_value(text, i + 2, 4);
        if (!unit) return out;
        char32_t code_point = *unit;
        std::size_t length = 6;
        // A high surrogate followed by an escaped low surrogate is one code point.
        if (code_point >= 0xD800 && code_point <= 0xDBFF && starts_with(text, i + 6, "\\u")) {
          auto low = hex_value(text, i + 8, 4);
          if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (*low - 0xDC00);
            length = 12;
          }
        }
        emit_code_point(out, code_point, i);
        i += length;
        continue;
      }
      default: return out;
    }
    i += 2;
  }
  return out;
}

QueryOrigin origin_of(const ScannedString& scanned) {
  if (scanned.offsets.empty()) return QueryOrigin::shifted(0);
  std::uint32_t first = scanned.offsets.front();
  for (std::size_t i = 0; i < scanned.offsets.size(); ++i) {
    if (scanned.offsets[i] != first + i) return QueryOrigin::table(scanned.offsets);
  }
  return QueryOrigin::shifted(first);
}

std::uint32_t offset_of_line_column(std::string_view text, std::uint32_t line,
                                    std::uint32_t column) {
  std::size_t at = 0;
  for (std::uint32_t current = 1; current < line; ++current) {
    std::size_t newline = text.find('\n', at);
    if (newline == std::string_view::npos) return to_u32(text.size());
    at = newline + 1;
  }
  // A byte-order mark is not a column for toml++.
  if (line == 1 && starts_with(text, 0, "\xEF\xBB\xBF")) at = 3;
  for (std::uint32_t current = 1; current < column && at < text.size() && text[at] != '\n';
       ++current) {
    ++at;
    while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
  }
  return to_u32(at);
}

}  // namespace eql::rules_internal
