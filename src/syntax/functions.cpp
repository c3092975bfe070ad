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

namespace {

bool same_letters(std::string_view a, std::string_view b) {
  std::string x(a), y(b);
  for (char& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : y) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  return x == y;
}

// `a, b, c` of argument texts from `first` on; several in parentheses when `parenthesised`.
std::string list_of(const std::vector<std::string_view>& args, std::size_t first, bool parenthesised) {
  std::string out;
  for (std::size_t i = first; i < args.size(); ++i) {
    if (i > first) out += ", ";
    out += args[i];
  }
  return parenthesised && args.size() > first + 1 ? "(" + out + ")" : out;
}

}  // namespace

std::string python_function_hint(std::string_view name, const std::vector<std::string_view>& args) {
  auto is = [&](std::string_view python) { return equals_ignoring_case(name, python); };
  std::string field = args.empty() ? "field" : std::string(args[0]);
  std::string values = args.size() < 2 ? "\"...\"" : list_of(args, 1, true);
  if (is("wildcard")) {
    return "Python eql's wildcard() is the `:` operator here: write " + field + " : " + values;
  }
  if (is("arrayContains")) {
    // A field with several values matches when one of them does: no array function needed.
    return "Python eql's arrayContains() is `:` (case-insensitive) or `in` here: write " + field + " : " +
           values + " or " + field + " in (" + (args.size() < 2 ? "\"...\"" : list_of(args, 1, false)) + ")";
  }
  if (is("match") || is("matchLite")) {
    return "Python eql's " + std::string(name) + "() is the `regex` operator here: write " + field +
           " regex " + values;
  }
  if (is("arrayCount") || is("arraySearch")) {
    return "Elasticsearch EQL has no array functions: a condition on a field with several values "
           "holds when it holds for one of them";
  }
  return {};
}

std::string_view closest_keyword(std::string_view word) {
  static constexpr std::string_view kKeywords[] = {"sequence", "sample", "where", "and", "not", "with",
                                                   "maxspan", "until", "runs", "like", "regex", "any",
                                                   "true", "false", "null", "by", "in", "or"};
  std::string_view best;
  std::size_t best_distance = 3;
  for (std::string_view keyword : kKeywords) {
    if (word == keyword) return {};
    std::size_t d = edit_distance(word, keyword);
    if (d == 0) return keyword;  // keywords are lower case: `AND` is `and`
    if (keyword.size() < 3) continue;  // too many short words are near `by`, `in`, `or`
    // A short word two edits away is a typo only when it has the keyword's letters (adn).
    bool likely = d == 1 || (d == 2 && (keyword.size() > 4 || same_letters(word, keyword)));
    if (likely && d < best_distance) {
      best_distance = d;
      best = keyword;
    }
  }
  return best;
}

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
