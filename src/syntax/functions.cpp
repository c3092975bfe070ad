#include "syntax/functions.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "common/edit_distance.h"
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

namespace {

// The edit distance of eql::edit_distance, letters compared without regard to case.
std::size_t folded_distance(std::string_view a, std::string_view b, std::size_t limit) {
  std::string x(a), y(b);
  for (char& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : y) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return edit_distance(x, y, limit);
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
    std::size_t d = folded_distance(word, keyword, 2);
    if (d == 0) return keyword;  // keywords are lower case: `AND` is `and`
    if (keyword.size() < 3) continue;  // too many short words are near `by`, `in`, `or`
    // A swap of two letters is one edit (`adn`); a short word two edits away is no typo.
    bool likely = d == 1 || (d == 2 && keyword.size() > 4);
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
    std::size_t d = folded_distance(name, f.name, best_distance);
    if (d < best_distance) {
      best_distance = d;
      best = f.name;
    }
  }
  return best;
}

}  // namespace syntax
}  // namespace eql
