#include "syntax/functions.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/ascii.h"
#include "common/edit_distance.h"
#include "eql/functions.h"
#include "eql/parser.h"

namespace eql {

namespace {

// One letter each, so that a signature reads on one line of the table.
constexpr ValueClass S = ValueClass::String, N = ValueClass::Number, B = ValueClass::Boolean,
                     Ip = ValueClass::Ip, Any = ValueClass::Any;

constexpr FunctionSignature kFunctions[] = {
    // name            function                  arity         `~`    result  arguments
    {"add",            Function::Add,            2, 2,         false, N,      {N, N}},
    {"between",        Function::Between,        3, 4,         true,  S,      {S, S, S, B}},
    {"cidrMatch",      Function::CidrMatch,      2, kVariadic, false, B,      {Ip}},  // then constant blocks
    {"concat",         Function::Concat,         1, kVariadic, false, S,      {Any}},
    {"divide",         Function::Divide,         2, 2,         false, N,      {N, N}},
    {"endsWith",       Function::EndsWith,       2, 2,         true,  B,      {S, S}},
    {"indexOf",        Function::IndexOf,        2, 3,         true,  N,      {S, S, N}},
    {"length",         Function::Length,         1, 1,         false, N,      {S}},
    {"modulo",         Function::Modulo,         2, 2,         false, N,      {N, N}},
    {"multiply",       Function::Multiply,       2, 2,         false, N,      {N, N}},
    {"number",         Function::Number,         1, 2,         false, N,      {S, N}},
    {"startsWith",     Function::StartsWith,     2, 2,         true,  B,      {S, S}},
    {"string",         Function::String,         1, 1,         false, S,      {Any}},
    {"stringContains", Function::StringContains, 2, 2,         true,  B,      {S, S}},
    {"substring",      Function::Substring,      2, 3,         false, S,      {S, N, N}},
    {"subtract",       Function::Subtract,       2, 2,         false, N,      {N, N}},
};

static_assert(indexed_by_function(kFunctions), "one signature per Function, in the order of the enumeration");

}  // namespace

std::span<const FunctionSignature> functions() { return kFunctions; }

const FunctionSignature* find_function(std::string_view name) {
  if (name.empty()) return nullptr;
  for (const FunctionSignature& function : kFunctions) {
    if (ascii_equal_ignoring_case(function.name, name)) return &function;
  }
  return nullptr;
}

std::string_view function_name(Function function) {
  auto index = static_cast<std::size_t>(function);
  return index < std::size(kFunctions) ? kFunctions[index].name : "?";
}

std::string arity_text(const FunctionSignature& signature) {
  if (signature.max_args == kVariadic) return "at least " + std::to_string(signature.min_args);
  if (signature.min_args == signature.max_args) return std::to_string(signature.min_args);
  // Every range of the table is two counts wide.
  return std::to_string(signature.min_args) + " or " + std::to_string(signature.max_args);
}

std::string tilde_functions_text() {
  std::vector<std::string_view> names;
  for (const FunctionSignature& f : kFunctions) {
    if (f.accepts_tilde) names.push_back(f.name);
  }
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += names[i];
  }
  return text;
}

std::string_view canonical_function_name(std::string_view name) {
  const FunctionSignature* function = find_function(name);
  return function ? function->name : std::string_view{};
}

std::vector<std::string_view> function_names() {
  std::vector<std::string_view> names;
  for (const FunctionSignature& f : kFunctions) names.push_back(f.name);
  return names;
}

bool function_accepts_tilde(std::string_view canonical_name) {
  const FunctionSignature* function = find_function(canonical_name);
  return function && function->accepts_tilde;
}

namespace syntax {

namespace {

// The edit distance of eql::edit_distance, letters compared without regard to case.
std::size_t folded_distance(std::string_view a, std::string_view b, std::size_t limit) {
  std::string x(a), y(b);
  for (char& c : x) c = ascii_lower(c);
  for (char& c : y) c = ascii_lower(c);
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
  auto is = [&](std::string_view python) { return ascii_equal_ignoring_case(name, python); };
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
