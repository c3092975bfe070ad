// Source text, spans and positions: the vocabulary every stage uses to say "where".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eql {

/// A half-open byte range [begin, end) in some text (a query, a rule file).
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  friend bool operator==(const Span&, const Span&) = default;
};

/// A human position: 1-based line, 1-based column counted in Unicode characters.
struct Position {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  friend bool operator==(const Position&, const Position&) = default;
};

/// A named text with a line index. Offsets are stored everywhere else; lines and
/// character columns are computed here, only when a position is shown.
class SourceText {
 public:
  SourceText(std::string name, std::string text);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

  Position position_at(std::uint32_t byte_offset) const;
  /// The text of a 1-based line, without its line terminator.
  std::string_view line(std::uint32_t line_number) const;
  std::uint32_t line_count() const { return static_cast<std::uint32_t>(line_starts_.size()); }

 private:
  std::string name_;
  std::string text_;
  std::vector<std::uint32_t> line_starts_;
};

/// Where each byte of a query sits in the file it was read from. A query embedded in a
/// TOML literal string maps by a constant shift; one in an escaped (basic) string or a
/// JSON export needs a byte-by-byte table, which this holds.
class QueryOrigin {
 public:
  /// The query is the whole file (plain `.eql` files, command-line queries).
  QueryOrigin() = default;
  /// The query starts at `file_offset` and its bytes are copied verbatim.
  static QueryOrigin shifted(std::uint32_t file_offset);
  /// `file_offsets[i]` is the file offset of query byte i; one extra entry for the end.
  static QueryOrigin table(std::vector<std::uint32_t> file_offsets);

  std::uint32_t to_file(std::uint32_t query_offset) const;

 private:
  std::uint32_t shift_ = 0;
  std::vector<std::uint32_t> table_;
};

/// Number of Unicode characters in a UTF-8 string (invalid bytes count one each).
std::uint32_t count_characters(std::string_view utf8);

}  // namespace eql
