// Elasticsearch EQL's functions (its EqlFunctionRegistry): the one table the parser, the
// checker, the evaluator and the shell's completion read. Names match without regard to
// case, which is how rules spelled `endswith` or `cidrmatch` run in Elasticsearch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace eql {

enum class Function : std::uint8_t {
  Add, Between, CidrMatch, Concat, Divide, EndsWith, IndexOf, Length, Modulo, Multiply, Number,
  StartsWith, String, StringContains, Substring, Subtract,
};
/// How many functions there are: the tables indexed by Function (the signatures, the
/// evaluator's) check that they have one entry for each.
inline constexpr std::size_t kFunctionCount = static_cast<std::size_t>(Function::Subtract) + 1;

/// True when `table` (entries with a `function` member) has one entry per Function, in the
/// order of the enumeration, so that `table[static_cast<size_t>(f)]` is f's entry. The
/// tables indexed by Function check themselves with it in a static_assert.
template <typename Entry, std::size_t N>
constexpr bool indexed_by_function(const Entry (&table)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(table[i].function) != i) return false;
  }
  return N == kFunctionCount;
}

inline constexpr std::size_t kVariadic = SIZE_MAX;

/// What the checker requires of an argument, or knows of a result, before any event.
enum class ValueClass : std::uint8_t { Any, String, Number, Boolean, Ip };

struct FunctionSignature {
  std::string_view name;  ///< canonical spelling, e.g. "startsWith"
  Function function = Function::Add;
  std::size_t min_args = 0;
  std::size_t max_args = 0;  ///< kVariadic: any number from min_args on
  bool accepts_tilde = false;  ///< has the case-insensitive form `name~`
  ValueClass result = ValueClass::Any;
  /// What each argument must be, from the first; Any (and every argument past the four)
  /// is not checked.
  ValueClass arguments[4] = {};
};

/// Every function, in the order of their names, which is the order of Function.
std::span<const FunctionSignature> functions();
/// Looks a function up case-insensitively; nullptr when Elasticsearch has no such function.
const FunctionSignature* find_function(std::string_view name);
/// The canonical spelling of a function.
std::string_view function_name(Function function);
/// What a call must pass, for messages: "1", "2 or 3", "at least 2".
std::string arity_text(const FunctionSignature& signature);
/// The functions that take `~`, for messages: "between, endsWith, ... and stringContains".
std::string tilde_functions_text();

}  // namespace eql
