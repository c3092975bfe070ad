// The Elasticsearch EQL function set (EqlFunctionRegistry): names, arity and `~` support.
#include <array>
#include <cstdint>

#include "eql/checker.h"

namespace eql {

namespace {

constexpr std::size_t kVariadic = SIZE_MAX;

constexpr std::array<FunctionSignature, 16> kFunctions = {{
    {"add", 2, 2, false},
    {"between", 3, 4, true},
    {"cidrMatch", 2, kVariadic, false},
    {"concat", 1, kVariadic, false},
    {"divide", 2, 2, false},
    {"endsWith", 2, 2, true},
    {"indexOf", 2, 3, true},
    {"length", 1, 1, false},
    {"modulo", 2, 2, false},
    {"multiply", 2, 2, false},
    {"number", 1, 2, false},
    {"startsWith", 2, 2, true},
    {"string", 1, 1, false},
    {"stringContains", 2, 2, true},
    {"substring", 2, 3, false},
    {"subtract", 2, 2, false},
}};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

const FunctionSignature* find_function(std::string_view name) {
  if (name.empty()) return nullptr;
  for (const auto& function : kFunctions) {
    if (equals_ignoring_case(function.name, name)) return &function;
  }
  return nullptr;
}

}  // namespace eql
