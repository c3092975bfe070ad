// EQL string and name escaping (internal to src/syntax/, shared by parser and printer).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace eql::syntax {

struct EscapeError {
  std::size_t offset = 0;  ///< in the string body (between the quotes)
  std::size_t length = 0;
  std::string message;
};

struct Unescaped {
  std::string value;
  std::optional<EscapeError> error;  ///< the first invalid escape, if any
};

/// Decodes the body of a "..." literal: \t \b \f \n \r \" \' \\ and \u{X..} (2 to 8 hex
/// digits, a Unicode scalar value). Any other escape keeps its backslash, as in
/// Elasticsearch: "\w" is the two characters \w.
Unescaped unescape_string(std::string_view body);

/// The name inside `backquotes`, with each doubled `` undoubled.
std::string unquote_identifier(std::string_view quoted);

/// Whether `name` can be written without backquotes (a plain identifier, not a keyword).
bool is_plain_identifier(std::string_view name);
bool is_keyword(std::string_view word);

}  // namespace eql::syntax
