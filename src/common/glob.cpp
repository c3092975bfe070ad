// glob_matches (common/glob.h).
#include "common/glob.h"

namespace eql {

bool glob_matches(std::string_view pattern, std::string_view text, GlobQuestionMark question_mark) {
  const bool any_byte = question_mark == GlobQuestionMark::AnyByte;
  // The classic backtracking to the last star: linear enough for names and field values.
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && ((any_byte && pattern[p] == '?') || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace eql
