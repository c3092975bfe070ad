// Result tables of the shell: columns fitted to the terminal, long values cut with an ellipsis.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "eql/event.h"

namespace eql::shell {

/// A field of an event as one line of text: `a`, `[a, b]` for several values, empty when
/// absent; line breaks and tabs become spaces.
std::string cell_text(const Event& event, const std::string& field);

/// A field of an event in full, for files: every value, `; ` between them; empty when absent.
std::string full_text(const Event& event, const std::string& column);

/// One CSV line (RFC 4180): a cell with a comma, quote or line break is quoted, its quotes
/// doubled.
std::string csv_line(const std::vector<std::string>& cells);

/// `text` cut to at most `width` characters, the last one an ellipsis when cut.
std::string fit_text(const std::string& text, std::size_t width);

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  /// The table as text. With `width` > 0 the widest columns are narrowed until a line fits
  /// (no column below 4 characters); with 0 no cell is wider than 60 characters.
  std::string render(std::size_t width, bool color) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace eql::shell
