// The shell's input text (shell/shell.h): numbers as people read them, a command line's
// words, and whether a query typed so far goes on on the next line.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eql/parser.h"
#include "shell/shell.h"

namespace eql::shell {

std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false, quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      current += text[++i];
      in_word = true;
    } else if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (in_word) words.push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(current));
  return words;
}

bool input_incomplete(std::string_view text) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] == '.') return false;
  // Brackets and raw strings first: the parser's error for them is not always at the end.
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (text.substr(i, 3) == "\"\"\"") {
      std::size_t close = text.find("\"\"\"", i + 3);
      if (close == std::string_view::npos) return true;
      i = close + 2;
    } else if (c == '"' || c == '`') {
      // A quoted string or field ends on its own line (an unterminated one is an error).
      for (++i; i < text.size() && text[i] != c && text[i] != '\n'; ++i) {
        if (text[i] == '\\' && c == '"') ++i;
      }
    } else if (text.substr(i, 2) == "//") {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (text.substr(i, 2) == "/*") {
      std::size_t close = text.find("*/", i + 2);
      if (close == std::string_view::npos) return true;
      i = close + 1;
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if (c == ')' || c == ']') {
      --depth;
    }
  }
  if (depth > 0) return true;
  if (depth < 0) return false;
  ParseOptions options;
  options.extension_pipes = true;
  ParseResult parsed = parse_query(text, options);
  if (parsed.ok()) return false;
  std::size_t end = text.find_last_not_of(" \t\r\n") + 1;
  for (const Diagnostic& d : parsed.diagnostics) {
    if (d.severity == Severity::Error && d.span.begin >= end && d.code.rfind("syntax.expected", 0) == 0) return true;
  }
  // A sequence with one term so far: the next term is on the next line.
  return std::all_of(parsed.diagnostics.begin(), parsed.diagnostics.end(), [](const Diagnostic& d) {
    return d.severity != Severity::Error || d.code == "syntax.sequence-terms" || d.code == "syntax.sample-terms";
  });
}

}  // namespace eql::shell
