#include "syntax/errors.h"

#include <cctype>
#include <string>

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

std::size_t find_opening(std::string_view text, std::size_t offset, Anchor anchor) {
  std::string_view before = text.substr(0, std::min(offset, text.size()));
  std::size_t found = std::string_view::npos;
  switch (anchor) {
    case Anchor::OpeningRaw: found = before.rfind("\"\"\""); break;
    case Anchor::OpeningComment: found = before.rfind("/*"); break;
    case Anchor::OpeningBackquote: found = before.rfind('`'); break;
    case Anchor::OpeningQuote: {
      // The body of an unterminated string holds no unescaped quote, so the opening quote
      // is the last quote not preceded by an odd run of backslashes.
      for (std::size_t i = before.size(); i-- > 0;) {
        if (before[i] != '"') continue;
        std::size_t slashes = 0;
        while (slashes < i && before[i - 1 - slashes] == '\\') ++slashes;
        if (slashes % 2 == 0) {
          found = i;
          break;
        }
      }
      break;
    }
    case Anchor::Here: break;
  }
  return found == std::string_view::npos ? offset : found;
}

std::string fill(const char* pattern, std::string_view token, bool quote_token) {
  std::string replacement;
  if (token.empty()) {
    replacement = "end of query";
  } else if (quote_token) {
    // (built piecewise: GCC 12 warns falsely about `"`" + std::string(...)`)
    replacement.push_back('`');
    replacement.append(token);
    replacement.push_back('`');
  } else {
    replacement = std::string(token);
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
  auto begin = static_cast<std::uint32_t>(offset);
  // Errors that say "expected X" point at one position; the others underline the token.
  bool expected_here = diagnostic.message.rfind("expected", 0) == 0;
  diagnostic.span = Span{begin, begin + static_cast<std::uint32_t>(expected_here ? 0 : length)};
  return diagnostic;
}

}  // namespace eql::syntax
