#include "eql/source.h"

#include <algorithm>
#include <cstring>

namespace eql {

SourceText::SourceText(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  // memchr rather than a byte loop: every rule file is indexed as it is read (2,068 files,
  // 16 MB in the corpus).
  const char* begin = text_.data();
  const char* end = begin + text_.size();
  for (const char* at = begin; at < end;) {
    const auto* newline = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)));
    if (newline == nullptr) break;
    line_starts_.push_back(static_cast<std::uint32_t>(newline - begin) + 1);
    at = newline + 1;
  }
}

Position SourceText::position_at(std::uint32_t byte_offset) const {
  byte_offset = std::min<std::uint32_t>(byte_offset, static_cast<std::uint32_t>(text_.size()));
  auto after = std::upper_bound(line_starts_.begin(), line_starts_.end(), byte_offset);
  auto line_index = static_cast<std::uint32_t>(after - line_starts_.begin()) - 1;
  std::uint32_t start = line_starts_[line_index];
  std::string_view before(text_.data() + start, byte_offset - start);
  return Position{line_index + 1, count_characters(before) + 1};
}

std::string_view SourceText::line(std::uint32_t line_number) const {
  if (line_number == 0 || line_number > line_starts_.size()) return {};
  std::uint32_t start = line_starts_[line_number - 1];
  std::uint32_t end = line_number < line_starts_.size()
                          ? line_starts_[line_number] - 1
                          : static_cast<std::uint32_t>(text_.size());
  std::string_view result(text_.data() + start, end - start);
  if (!result.empty() && result.back() == '\r') result.remove_suffix(1);
  return result;
}

QueryOrigin QueryOrigin::shifted(std::uint32_t file_offset) {
  QueryOrigin origin;
  origin.shift_ = file_offset;
  return origin;
}

QueryOrigin QueryOrigin::table(std::vector<std::uint32_t> file_offsets) {
  QueryOrigin origin;
  origin.table_ = std::move(file_offsets);
  return origin;
}

std::uint32_t QueryOrigin::to_file(std::uint32_t query_offset) const {
  if (table_.empty()) return shift_ + query_offset;
  if (query_offset >= table_.size()) return table_.back();
  return table_[query_offset];
}

std::uint32_t count_characters(std::string_view utf8) {
  std::uint32_t count = 0;
  std::size_t i = 0;
  while (i < utf8.size()) {
    auto lead = static_cast<unsigned char>(utf8[i]);
    std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3
                         : (lead >> 3) == 0x1E ? 4 : 1;
    // A sequence counts as one character only when all its continuation bytes are there;
    // any other byte (a stray continuation byte, a truncated sequence) counts on its own.
    std::size_t k = 1;
    while (k < length && i + k < utf8.size() &&
           (static_cast<unsigned char>(utf8[i + k]) & 0xC0) == 0x80) {
      ++k;
    }
    i += k == length ? length : 1;
    ++count;
  }
  return count;
}

}  // namespace eql
