// The edit distance behind "did you mean" (common/edit_distance.h) computes only the band
// of cells within the limit of the diagonal; here it is held to the whole table, filled
// cell by cell, on small and random words.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/edit_distance.h"

namespace {

// Optimal string alignment over the whole table, no limit.
std::size_t whole_table_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

TEST_CASE("edit_distance: a few words") {
  CHECK(eql::edit_distance("process.name", "process.name", 3) == 0);
  CHECK(eql::edit_distance("process.nmae", "process.name", 3) == 1);  // a swap is one edit
  CHECK(eql::edit_distance("proces.name", "process.name", 3) == 1);
  CHECK(eql::edit_distance("", "abc", 3) == 3);
  CHECK(eql::edit_distance("", "abcd", 3) == 4);  // above the limit: limit + 1
  CHECK(eql::edit_distance("abcdef", "ghijkl", 2) == 3);
  CHECK(eql::edit_distance("kitten", "sitting", 3) == 3);
  CHECK(eql::edit_distance("kitten", "sitting", 2) == 3);
}

TEST_CASE("edit_distance: the band gives the whole table's answer, limit + 1 above the limit") {
  std::mt19937 random(19);
  for (int round = 0; round < 20000; ++round) {
    const char alphabet = static_cast<char>('a' + 1 + static_cast<int>(random() % 4));
    auto word = [&] {
      std::string text(random() % 11, 'a');
      for (char& c : text) c = static_cast<char>('a' + static_cast<int>(random() % static_cast<unsigned>(alphabet - 'a')));
      return text;
    };
    const std::string a = word(), b = word();
    const std::size_t exact = whole_table_distance(a, b);
    for (std::size_t limit = 0; limit <= 5; ++limit) {
      CAPTURE(a);
      CAPTURE(b);
      CAPTURE(limit);
      CHECK(eql::edit_distance(a, b, limit) == std::min(exact, limit + 1));
    }
  }
}
