// Elasticsearch's EQL functions, with their null handling (eql-function-ref).
// String positions and lengths count Unicode code points.
#include <algorithm>
#include <cmath>

#include "eval/program.h"

namespace eql::detail {

namespace {

// Decodes `s` into code points (folded when asked) with the byte offset of each, plus one
// for the end.
void decode(std::string_view s, bool fold, std::vector<char32_t>& code_points,
            std::vector<std::size_t>* offsets) {
  code_points.clear();
  if (offsets) offsets->clear();
  for (std::size_t at = 0; at < s.size();) {
    if (offsets) offsets->push_back(at);
    char32_t c = text::next_code_point(s, at);
    code_points.push_back(fold ? text::fold_case(c) : c);
  }
  if (offsets) offsets->push_back(s.size());
}

// First position >= from where `needle` occurs in `hay`, or npos.
std::size_t find_sequence(const std::vector<char32_t>& hay, const std::vector<char32_t>& needle, std::size_t from) {
  if (needle.size() > hay.size()) return std::string::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (std::equal(needle.begin(), needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(i))) return i;
  }
  return std::string::npos;
}

std::size_t rfind_sequence(const std::vector<char32_t>& hay, const std::vector<char32_t>& needle) {
  if (needle.size() > hay.size()) return std::string::npos;
  for (std::size_t i = hay.size() - needle.size() + 1; i-- > 0;) {
    if (std::equal(needle.begin(), needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(i))) return i;
  }
  return std::string::npos;
}

std::optional<std::int64_t> integer_of(const Value& value) {
  if (value.kind == ValueKind::Int) return value.integer;
  if (value.kind == ValueKind::Double && std::isfinite(value.number)) return static_cast<std::int64_t>(value.number);
  return std::nullopt;
}

Value number_from_text(std::string_view text, std::optional<std::int64_t> base) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (text.empty()) return Value::null();
  bool negative = false;
  std::string_view digits = text;
  if (digits[0] == '+' || digits[0] == '-') {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  bool hex_prefix = digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
  std::int64_t radix = base.value_or(hex_prefix ? 16 : 10);
  if (hex_prefix && radix == 16) digits.remove_prefix(2);
  if (radix == 10) {
    auto parsed = parse_number(text);
    return parsed ? *parsed : Value::null();
  }
  if (radix < 2 || radix > 36 || digits.empty()) return Value::null();
  std::uint64_t value = 0;
  for (char c : digits) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
    if (d >= radix) return Value::null();
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(radix)) return Value::null();
    value = value * static_cast<std::uint64_t>(radix) + static_cast<std::uint64_t>(d);
  }
  if (value > static_cast<std::uint64_t>(INT64_MAX)) return Value::null();
  auto signed_value = static_cast<std::int64_t>(value);
  return Value::of_int(negative ? -signed_value : signed_value);
}

// ---- the evaluators: one per function, in the order of eql::functions() ----

using Args = std::span<const Value>;
using Scratch = EvalContext::Scratch;

// Whether one of the first `count` arguments (those a function needs) is null.
bool any_null(Args args, std::size_t count) {
  for (std::size_t i = 0; i < count && i < args.size(); ++i) {
    if (args[i].is_null()) return true;
  }
  return false;
}

// add, subtract, multiply, divide, modulo: integers stay integers (null on overflow, as
// Elasticsearch's exact arithmetic), anything else is a double; no division by zero.
template <Op op>
Value arithmetic(const Node&, Args args, Scratch&) {
  if (any_null(args, 2)) return Value::null();
  const Value& a = args[0];
  const Value& b = args[1];
  if (!a.is_number() || !b.is_number()) return Value::null();
  if (a.kind == ValueKind::Int && b.kind == ValueKind::Int) {
    std::int64_t x = a.integer, y = b.integer, r = 0;
    if constexpr (op == Op::Add) return __builtin_add_overflow(x, y, &r) ? Value::null() : Value::of_int(r);
    if constexpr (op == Op::Sub) return __builtin_sub_overflow(x, y, &r) ? Value::null() : Value::of_int(r);
    if constexpr (op == Op::Mul) return __builtin_mul_overflow(x, y, &r) ? Value::null() : Value::of_int(r);
    if constexpr (op == Op::Div) return (y == 0 || (x == INT64_MIN && y == -1)) ? Value::null() : Value::of_int(x / y);
    if constexpr (op == Op::Mod) return y == 0 ? Value::null() : Value::of_int(y == -1 ? 0 : x % y);
  }
  double x = a.as_double(), y = b.as_double();
  if constexpr (op == Op::Add) return Value::of_double(x + y);
  if constexpr (op == Op::Sub) return Value::of_double(x - y);
  if constexpr (op == Op::Mul) return Value::of_double(x * y);
  if constexpr (op == Op::Div) return y == 0 ? Value::null() : Value::of_double(x / y);
  if constexpr (op == Op::Mod) return y == 0 ? Value::null() : Value::of_double(std::fmod(x, y));
}

Value between(const Node& node, Args args, Scratch& scratch) {
  if (any_null(args, 3)) return Value::null();
  bool greedy = false;
  if (args.size() > 3) {
    if (args[3].kind == ValueKind::Bool) greedy = args[3].boolean;
    else if (!args[3].is_null()) return Value::null();
  }
  const bool ci = node.case_insensitive;
  std::string_view source, left, right;
  text_of(args[0], scratch, source);
  text_of(args[1], scratch, left);
  text_of(args[2], scratch, right);
  decode(source, ci, scratch.code_points_a, &scratch.offsets_a);
  decode(left, ci, scratch.code_points_b, nullptr);
  std::size_t start = find_sequence(scratch.code_points_a, scratch.code_points_b, 0);
  if (start == std::string::npos) return Value::of_string(source.substr(0, 0));
  start += scratch.code_points_b.size();
  decode(right, ci, scratch.code_points_b, nullptr);
  std::size_t end;
  if (greedy) {
    end = rfind_sequence(scratch.code_points_a, scratch.code_points_b);
    if (end != std::string::npos && end < start) end = std::string::npos;
  } else {
    end = find_sequence(scratch.code_points_a, scratch.code_points_b, start);
  }
  if (end == std::string::npos) return Value::of_string(source.substr(0, 0));
  std::size_t begin_byte = scratch.offsets_a[start], end_byte = scratch.offsets_a[end];
  return Value::of_string(source.substr(begin_byte, end_byte - begin_byte));
}

Value cidr_match(const Node& node, Args args, Scratch& scratch) {
  if (args[0].is_null()) return Value::null();
  std::string_view text;
  if (!text_of(args[0], scratch, text)) return Value::null();
  auto address = parse_ip(text);
  if (!address) return Value::of_bool(false);
  for (const CidrBlock& block : node.cidrs) {
    if (block.contains(*address)) return Value::of_bool(true);
  }
  // Blocks that were not constants at compile time.
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i].is_null()) return Value::null();
    std::string_view cidr;
    text_of(args[i], scratch, cidr);
    auto block = parse_cidr(cidr);
    if (block && block->contains(*address)) return Value::of_bool(true);
  }
  return Value::of_bool(false);
}

Value concat(const Node&, Args args, Scratch& scratch) {
  std::string& out = scratch.text_buffer;
  out.clear();
  for (const Value& v : args) {
    if (v.is_null()) return Value::null();
    std::string_view text;
    text_of(v, scratch, text);
    out.append(text);
  }
  return Value::of_string(scratch.arena.store(out));
}

// Where startsWith, endsWith and stringContains look for their substring.
enum class Where { Start, End, Anywhere };

template <Where where>
Value has_substring(const Node& node, Args args, Scratch& scratch) {
  if (any_null(args, 2)) return Value::null();
  std::string_view source, sub;
  text_of(args[0], scratch, source);
  text_of(args[1], scratch, sub);
  if (!node.case_insensitive) {
    if constexpr (where == Where::Start) return Value::of_bool(source.substr(0, sub.size()) == sub);
    if constexpr (where == Where::End)
      return Value::of_bool(sub.size() <= source.size() && source.substr(source.size() - sub.size()) == sub);
    if constexpr (where == Where::Anywhere) return Value::of_bool(source.find(sub) != std::string_view::npos);
  }
  decode(source, true, scratch.code_points_a, nullptr);
  decode(sub, true, scratch.code_points_b, nullptr);
  const auto& hay = scratch.code_points_a;
  const auto& needle = scratch.code_points_b;
  if (needle.size() > hay.size()) return Value::of_bool(false);
  if constexpr (where == Where::Start) return Value::of_bool(std::equal(needle.begin(), needle.end(), hay.begin()));
  if constexpr (where == Where::End)
    return Value::of_bool(std::equal(needle.begin(), needle.end(), hay.end() - static_cast<std::ptrdiff_t>(needle.size())));
  if constexpr (where == Where::Anywhere) return Value::of_bool(find_sequence(hay, needle, 0) != std::string::npos);
}

Value index_of(const Node& node, Args args, Scratch& scratch) {
  if (any_null(args, 2)) return Value::null();
  std::int64_t start = 0;
  if (args.size() > 2) {
    if (args[2].is_null()) return Value::null();
    auto given = integer_of(args[2]);
    if (!given) return Value::null();
    start = std::max<std::int64_t>(*given, 0);
  }
  std::string_view source, sub;
  text_of(args[0], scratch, source);
  text_of(args[1], scratch, sub);
  decode(source, node.case_insensitive, scratch.code_points_a, nullptr);
  decode(sub, node.case_insensitive, scratch.code_points_b, nullptr);
  if (static_cast<std::uint64_t>(start) > scratch.code_points_a.size()) return Value::null();
  std::size_t at = find_sequence(scratch.code_points_a, scratch.code_points_b, static_cast<std::size_t>(start));
  if (at == std::string::npos) return Value::null();
  return Value::of_int(static_cast<std::int64_t>(at));
}

Value length(const Node&, Args args, Scratch& scratch) {
  std::string_view text;
  if (!text_of(args[0], scratch, text)) return Value::null();
  return Value::of_int(static_cast<std::int64_t>(text::count_code_points(text)));
}

Value number(const Node&, Args args, Scratch& scratch) {
  if (args[0].is_null()) return Value::null();
  std::optional<std::int64_t> base;
  if (args.size() > 1 && !args[1].is_null()) {
    base = integer_of(args[1]);
    if (!base) return Value::null();
  }
  if (args[0].is_number()) return args[0];
  std::string_view text;
  if (!text_of(args[0], scratch, text)) return Value::null();
  return number_from_text(text, base);
}

Value string(const Node&, Args args, Scratch& scratch) {
  std::string_view text;
  if (!text_of(args[0], scratch, text)) return Value::null();
  return Value::of_string(text);
}

Value substring(const Node&, Args args, Scratch& scratch) {
  if (args[0].is_null()) return Value::null();
  std::string_view source;
  text_of(args[0], scratch, source);
  decode(source, false, scratch.code_points_a, &scratch.offsets_a);
  auto length = static_cast<std::int64_t>(scratch.code_points_a.size());
  auto start_given = args.size() > 1 ? integer_of(args[1]) : std::optional<std::int64_t>(0);
  if (args.size() > 1 && args[1].is_null()) start_given = 0;
  if (!start_given) return Value::null();
  std::int64_t start = *start_given, end = length;
  if (args.size() > 2 && !args[2].is_null()) {
    auto end_given = integer_of(args[2]);
    if (!end_given) return Value::null();
    end = *end_given;
  }
  // Python-style slicing.
  if (start < 0) start = std::max<std::int64_t>(start + length, 0);
  if (end < 0) end = std::max<std::int64_t>(end + length, 0);
  start = std::min(start, length);
  end = std::min(end, length);
  if (start >= end) return Value::of_string(source.substr(0, 0));
  std::size_t begin_byte = scratch.offsets_a[static_cast<std::size_t>(start)];
  std::size_t end_byte = scratch.offsets_a[static_cast<std::size_t>(end)];
  return Value::of_string(source.substr(begin_byte, end_byte - begin_byte));
}

// One function's evaluation over its evaluated arguments; `node` carries `~` and
// cidrMatch's constant blocks.
using Evaluator = Value (*)(const Node& node, Args args, Scratch& scratch);

struct FunctionEvaluator {
  Function function;
  Evaluator evaluate;
};

// Indexed by Function, like the table of signatures (eql/functions.h): a new function is
// an entry there and one here.
constexpr FunctionEvaluator kEvaluators[] = {
    {Function::Add, arithmetic<Op::Add>},
    {Function::Between, between},
    {Function::CidrMatch, cidr_match},
    {Function::Concat, concat},
    {Function::Divide, arithmetic<Op::Div>},
    {Function::EndsWith, has_substring<Where::End>},
    {Function::IndexOf, index_of},
    {Function::Length, length},
    {Function::Modulo, arithmetic<Op::Mod>},
    {Function::Multiply, arithmetic<Op::Mul>},
    {Function::Number, number},
    {Function::StartsWith, has_substring<Where::Start>},
    {Function::String, string},
    {Function::StringContains, has_substring<Where::Anywhere>},
    {Function::Substring, substring},
    {Function::Subtract, arithmetic<Op::Sub>},
};

static_assert(indexed_by_function(kEvaluators),
              "one evaluator per Function, in the order of the enumeration");

}  // namespace

Value call_function(const Node& node, std::span<const Value> args, EvalContext::Scratch& scratch) {
  return kEvaluators[static_cast<std::size_t>(node.function)].evaluate(node, args, scratch);
}

}  // namespace eql::detail
