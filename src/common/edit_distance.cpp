#include "common/edit_distance.h"

#include <algorithm>
#include <vector>

namespace eql {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  std::size_t length_gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (length_gap > limit) return limit + 1;
  // Only the cells within `limit` of the diagonal are computed: a cell farther off holds
  // at least its distance from the diagonal, more than `limit`, so it is written as
  // limit + 1, the value every answer above the limit is given. Checking a name against
  // every field of the schemas (35,000) used to fill whole rows.
  const std::size_t above = limit + 1;
  const std::size_t width = b.size() + 1;
  std::vector<std::size_t> cells(3 * width, above);
  std::size_t* before = cells.data();
  std::size_t* previous = before + width;
  std::size_t* row = previous + width;
  for (std::size_t j = 0; j <= std::min(b.size(), limit); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t low = i > limit ? i - limit : 1;
    const std::size_t high = std::min(b.size(), i + limit);
    // The next rows read one cell either side of this row's band: it must not hold a
    // value left from a row three above.
    row[low - 1] = std::min(i, above);
    if (high + 1 <= b.size()) row[high + 1] = above;
    std::size_t best = row[low - 1];
    for (std::size_t j = low; j <= high; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t cell = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cell = std::min(cell, before[j - 2] + 1);
      row[j] = std::min(cell, above);
      best = std::min(best, row[j]);
    }
    if (best > limit) return above;
    std::swap(before, previous);
    std::swap(previous, row);
  }
  return std::min(previous[b.size()], above);
}

}  // namespace eql
