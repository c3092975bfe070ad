#include "syntax/errors.h"

#include <cctype>
#include <string>

#include "syntax/functions.h"

namespace eql::syntax {

namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '@';
}

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

/// The extent of the token starting at `offset`, for carets and messages.
std::size_t token_length(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return 0;
  char c = text[offset];
  std::size_t end = offset;
  if (is_word_char(c)) {
    while (end < text.size() && is_word_char(text[end])) ++end;
    return end - offset;
  }
  if (c == '"') {
    end = offset + 1;
    while (end < text.size() && text[end] != '"' && text[end] != '\n') {
      end += text[end] == '\\' ? 2 : 1;
    }
    return std::min(end + 1, text.size()) - offset;
  }
  static constexpr std::string_view two_char[] = {"==", "!=", "<=", ">=", "![", "in~"};
  for (std::string_view op : two_char) {
    if (text.substr(offset, op.size()) == op) return op.size();
  }
  return std::min(utf8_length(static_cast<unsigned char>(c)), text.size() - offset);
}

/// Moves an error found at the very end of the text back to the end of the last token, so
/// that "expected ')'" points where the ')' belongs.
std::size_t back_over_trailing_space(std::string_view text, std::size_t offset) {
  std::size_t at = std::min(offset, text.size());
  std::size_t rest = at;
  while (rest < text.size() && std::isspace(static_cast<unsigned char>(text[rest]))) ++rest;
  if (rest == text.size()) {
    while (at > 0 && std::isspace(static_cast<unsigned char>(text[at - 1]))) --at;
  }
  return at;
}

/// Where the unterminated token that reaches `offset` began: the text is scanned from the
/// start with just enough lexing (strings, raw strings, nested comments, backquoted names)
/// to know which opening delimiter is still open.
std::size_t find_opening(std::string_view text, std::size_t offset, Anchor anchor) {
  std::size_t end = std::min(offset, text.size());
  std::size_t open = offset;
  std::size_t i = 0;
  auto starts = [&](std::string_view s) { return text.substr(i, s.size()) == s; };
  while (i < end) {
    std::size_t begin = i;
    if (starts("\"\"\"")) {
      std::size_t close = text.find("\"\"\"", i + 3);
      if (close == std::string_view::npos || close >= end) {
        if (anchor == Anchor::OpeningRaw) open = begin;
        break;
      }
      i = close + 3;
    } else if (text[i] == '"') {
      ++i;
      while (i < end && text[i] != '"' && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
      if (i >= end || text[i] == '\n') {
        if (anchor == Anchor::OpeningQuote) open = begin;
        if (i >= end) break;
      } else {
        ++i;
      }
    } else if (text[i] == '`') {
      ++i;
      while (i < end && !(text[i] == '`' && (i + 1 >= text.size() || text[i + 1] != '`'))) {
        i += text[i] == '`' ? 2 : 1;
      }
      if (i >= end) {
        if (anchor == Anchor::OpeningBackquote) open = begin;
        break;
      }
      ++i;
    } else if (starts("/*")) {
      int depth = 0;
      while (i < end) {
        if (starts("/*")) {
          ++depth;
          i += 2;
        } else if (starts("*/")) {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
      if (depth > 0) {
        if (anchor == Anchor::OpeningComment) open = begin;
        break;
      }
    } else if (starts("//")) {
      while (i < end && text[i] != '\n') ++i;
    } else {
      ++i;
    }
  }
  return open;
}

/// A token as it can be shown in a message: control characters and bytes that are not
/// UTF-8 are written as \xNN so that a terminal or a JSON report shows them faithfully.
std::string printable(std::string_view token) {
  std::string out;
  std::size_t i = 0;
  while (i < token.size()) {
    auto c = static_cast<unsigned char>(token[i]);
    std::size_t length = utf8_length(c);
    bool valid = c >= 0x20 && c != 0x7F && (length == 1 ? c < 0x80 : i + length <= token.size());
    for (std::size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(token[i + k]) & 0xC0) == 0x80;
    }
    if (valid) {
      out.append(token.substr(i, length));
      i += length;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
    }
  }
  return out;
}

std::string fill(const char* pattern, std::string_view token, bool quote_token) {
  std::string replacement;
  std::string shown = printable(token);
  if (token.empty()) {
    replacement = "end of query";
  } else if (quote_token) {
    // (built piecewise: GCC 12 warns falsely about `"`" + std::string(...)`)
    replacement.push_back('`');
    replacement.append(shown);
    replacement.push_back('`');
  } else {
    replacement = shown;
  }
  std::string out;
  for (const char* p = pattern; *p != '\0'; ++p) {
    if (p[0] == '{' && p[1] == '}') {
      out += replacement;
      ++p;
    } else {
      out += *p;
    }
  }
  return out;
}

/// The word that ends just before `offset` (spaces between), or empty.
std::string_view word_before(std::string_view text, std::size_t offset) {
  std::size_t end = std::min(offset, text.size());
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  std::size_t begin = end;
  while (begin > 0 && is_word_char(text[begin - 1])) --begin;
  return text.substr(begin, end - begin);
}

/// "did you mean `sequence`?" when the token at the error, or for a missing `where` the
/// category before it (`sequnce by ...`), is a misspelled keyword.
std::string keyword_hint(std::string_view text, std::size_t offset, std::string_view token,
                         const char* code) {
  std::string_view suggestion;
  if (!token.empty() && is_word_char(token.front())) suggestion = closest_keyword(token);
  if (suggestion.empty() && std::string_view(code) == "syntax.expected-where") {
    suggestion = closest_keyword(word_before(text, offset));
  }
  if (suggestion.empty()) return {};
  return "did you mean `" + std::string(suggestion) + "`?";
}

}  // namespace

Diagnostic describe_failure(std::string_view text, const SyntaxFailure& failure) {
  const ErrorInfo& info = failure.info;
  std::size_t offset = info.anchor == Anchor::Here
                           ? back_over_trailing_space(text, failure.offset)
                           : find_opening(text, failure.offset, info.anchor);
  std::size_t length = token_length(text, offset);
  std::string_view token = text.substr(std::min(offset, text.size()), length);

  Diagnostic diagnostic;
  diagnostic.severity = Severity::Error;
  bool generic = info.message == nullptr;
  diagnostic.code = generic ? "syntax.unexpected" : info.code;
  bool quote_token = generic || diagnostic.code == "syntax.unexpected";
  diagnostic.message = fill(generic ? "unexpected {}" : info.message, token, quote_token);
  if (info.hint) diagnostic.hint = fill(info.hint, token, false);
  if (std::string typo = keyword_hint(text, offset, token, diagnostic.code.c_str()); !typo.empty()) {
    diagnostic.hint = typo;
  }
  auto begin = static_cast<std::uint32_t>(offset);
  // Errors that say "expected X" point at one position; the others underline the token.
  bool expected_here = diagnostic.message.rfind("expected", 0) == 0;
  diagnostic.span = Span{begin, begin + static_cast<std::uint32_t>(expected_here ? 0 : length)};
  return diagnostic;
}

}  // namespace eql::syntax
