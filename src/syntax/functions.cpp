#include "syntax/functions.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "eql/parser.h"

namespace eql {

namespace {

struct FunctionName {
  std::string_view name;
  bool tilde;  ///< has a case-insensitive `name~` form
};

// Elasticsearch's EQL function registry (EqlFunctionRegistry): names are matched without
// regard to case, which is how rules spelled `endswith` or `cidrmatch` run there.
constexpr std::array<FunctionName, 16> kFunctions{{
    {"add", false},
    {"between", true},
    {"cidrMatch", false},
    {"concat", false},
    {"divide", false},
    {"endsWith", true},
    {"indexOf", true},
    {"length", false},
    {"modulo", false},
    {"multiply", false},
    {"number", false},
    {"startsWith", true},
    {"string", false},
    {"stringContains", true},
    {"substring", false},
    {"subtract", false},
}};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (same ? 0 : 1)});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::string_view canonical_function_name(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (equals_ignoring_case(f.name, name)) return f.name;
  }
  return {};
}

std::vector<std::string_view> function_names() {
  std::vector<std::string_view> names;
  for (const auto& f : kFunctions) names.push_back(f.name);
  return names;
}

bool function_accepts_tilde(std::string_view canonical_name) {
  for (const auto& f : kFunctions) {
    if (f.name == canonical_name) return f.tilde;
  }
  return false;
}

namespace syntax {

std::string_view closest_function_name(std::string_view name) {
  std::string_view best;
  std::size_t best_distance = 3;  // farther than two edits is not a typo
  for (const auto& f : kFunctions) {
    std::size_t d = edit_distance(name, f.name);
    if (d < best_distance) {
      best_distance = d;
      best = f.name;
    }
  }
  return best;
}

}  // namespace syntax
}  // namespace eql
