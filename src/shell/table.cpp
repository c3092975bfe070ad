#include "shell/table.h"

#include <algorithm>

#include "eql/source.h"

namespace eql::shell {

std::string cell_text(const Event& event, const std::string& field) {
  auto values = event.values(field);
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += to_display_string(values[i]);
  }
  if (values.size() > 1) out = "[" + out + "]";
  for (char& c : out) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  return out;
}

std::string full_text(const Event& event, const std::string& column) {
  auto values = event.values(column);
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) text += (i ? "; " : "") + to_display_string(values[i]);
  return text;
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) line += ',';
    const std::string& c = cells[i];
    if (c.find_first_of(",\"\n\r") == std::string::npos) {
      line += c;
      continue;
    }
    line += '"';
    for (char ch : c) {
      if (ch == '"') line += '"';
      line += ch;
    }
    line += '"';
  }
  return line;
}

std::string fit_text(const std::string& text, std::size_t width) {
  if (count_characters(text) <= width) return text;
  if (width == 0) return "";
  std::size_t cut = 0;
  for (std::size_t chars = 0; cut < text.size() && chars < width - 1; ++cut) {
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) ++chars;
  }
  while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
  return text.substr(0, cut) + "…";
}

std::string Table::render(std::size_t width, bool color) const {
  constexpr std::size_t kMaxCell = 60, kMinCell = 4, kGap = 2;
  std::vector<std::size_t> widths;
  for (const auto& h : header_) widths.push_back(count_characters(h));
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max<std::size_t>(widths[c], count_characters(row[c]));
    }
  }
  if (width == 0) {
    for (auto& w : widths) w = std::min(w, kMaxCell);
  } else {
    auto total = [&] {
      std::size_t sum = widths.empty() ? 0 : kGap * (widths.size() - 1);
      for (auto w : widths) sum += w;
      return sum;
    };
    // Narrow the widest column, one character at a time, until the line fits.
    for (std::size_t t = total(); t > width; --t) {
      auto widest = std::max_element(widths.begin(), widths.end());
      if (widest == widths.end() || *widest <= kMinCell) break;
      --*widest;
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string text;
    for (std::size_t c = 0; c < widths.size(); ++c) {
      std::string cell = fit_text(c < cells.size() ? cells[c] : "", widths[c]);
      std::size_t pad = widths[c] - count_characters(cell);
      if (header && color) cell = "\x1b[1m" + cell + "\x1b[0m";
      text += cell;
      if (c + 1 < widths.size()) text += std::string(pad + kGap, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(header_, true);
  std::vector<std::string> rule;
  for (auto w : widths) rule.push_back(std::string(w, '-'));
  line(rule, false);
  for (const auto& row : rows_) line(row, false);
  return out;
}

}  // namespace eql::shell
