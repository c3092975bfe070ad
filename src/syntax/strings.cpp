#include "syntax/strings.h"

#include <array>
#include <cctype>

#include "common/utf8.h"

namespace eql::syntax {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::array<std::string_view, 19> kKeywords{
    "and", "any", "by", "false", "in", "join", "like", "maxspan", "not", "null",
    "of", "or", "regex", "sample", "sequence", "true", "until", "where", "with"};

}  // namespace

Unescaped unescape_string(std::string_view body) {
  Unescaped result;
  result.value.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      result.value += c;
      continue;
    }
    char e = body[i + 1];
    switch (e) {
      case 't': result.value += '\t'; ++i; continue;
      case 'b': result.value += '\b'; ++i; continue;
      case 'f': result.value += '\f'; ++i; continue;
      case 'n': result.value += '\n'; ++i; continue;
      case 'r': result.value += '\r'; ++i; continue;
      case '"': result.value += '"'; ++i; continue;
      case '\'': result.value += '\''; ++i; continue;
      case '\\': result.value += '\\'; ++i; continue;
      case 'u': break;
      default:
        // Unknown escapes keep the backslash; the next character is read normally.
        result.value += '\\';
        continue;
    }
    // \u{X..}
    std::size_t start = i;
    std::size_t open = i + 2;
    if (open >= body.size() || body[open] != '{') {
      if (!result.error) {
        result.error = EscapeError{start, 2, "\\u needs its code point in braces, e.g. \\u{1F600}"};
      }
      result.value += "\\u";
      ++i;
      continue;
    }
    std::size_t close = body.find('}', open);
    std::size_t digits = close == std::string_view::npos ? 0 : close - open - 1;
    char32_t cp = 0;
    bool valid = close != std::string_view::npos && digits >= 2 && digits <= 8;
    for (std::size_t k = open + 1; valid && k < close; ++k) {
      int h = hex_value(body[k]);
      if (h < 0) valid = false;
      else cp = cp * 16 + static_cast<char32_t>(h);
    }
    std::size_t end = close == std::string_view::npos ? body.size() : close + 1;
    if (!valid) {
      if (!result.error) {
        result.error = EscapeError{start, end - start,
                                   "\\u{...} takes 2 to 8 hexadecimal digits, e.g. \\u{41}"};
      }
    } else if (cp == 0) {
      if (!result.error) {
        result.error = EscapeError{start, end - start,
                                   "\\u{...} gives the NUL character, which Elasticsearch refuses"};
      }
    } else if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      if (!result.error) {
        result.error = EscapeError{start, end - start,
                                   "\\u{...} is not a valid Unicode code point (surrogates and "
                                   "values above 10FFFF are not characters)"};
      }
    } else {
      append_utf8(result.value, cp);
    }
    i = end - 1;
  }
  return result;
}

std::string unquote_identifier(std::string_view quoted) {
  std::string name;
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  for (std::size_t i = 0; i < body.size(); ++i) {
    name += body[i];
    if (body[i] == '`' && i + 1 < body.size() && body[i + 1] == '`') ++i;
  }
  return name;
}

bool is_keyword(std::string_view word) {
  for (std::string_view k : kKeywords) {
    if (k == word) return true;
  }
  return false;
}

bool is_plain_identifier(std::string_view name) {
  if (name.empty()) return false;
  auto first = static_cast<unsigned char>(name[0]);
  if (!(std::isalpha(first) || name[0] == '_' || name[0] == '@')) return false;
  for (char c : name.substr(1)) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return !is_keyword(name);
}

}  // namespace eql::syntax
