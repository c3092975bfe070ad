// Scalar evaluation of compiled nodes (three-valued inside a leaf) and typed comparison.
#include <charconv>
#include <cmath>
#include <algorithm>
#include <cctype>
#include <cstring>

#include "eval/program.h"

namespace eql::detail {

// ---- arena ---------------------------------------------------------------------------------

std::string_view Arena::store(std::string_view text) {
  constexpr std::size_t kBlock = 4096;
  while (block_ < blocks_.size() && used_ + text.size() > sizes_[block_]) {
    ++block_;
    used_ = 0;
  }
  if (block_ == blocks_.size()) {
    std::size_t size = std::max(kBlock, text.size());
    blocks_.push_back(std::make_unique<char[]>(size));
    sizes_.push_back(size);
    used_ = 0;
  }
  char* at = blocks_[block_].get() + used_;
  if (!text.empty()) std::memcpy(at, text.data(), text.size());
  used_ += text.size();
  return {at, text.size()};
}

// ---- text of values ------------------------------------------------------------------------

bool text_of(const Value& value, EvalContext::Scratch& scratch, std::string_view& out) {
  switch (value.kind) {
    case ValueKind::Null: return false;
    case ValueKind::String: out = value.string; return true;
    case ValueKind::Bool: out = value.boolean ? "true" : "false"; return true;
    case ValueKind::Int: {
      char digits[24];  // integers are common (pids, ports): no heap string for them
      auto end = std::to_chars(digits, digits + sizeof digits, value.integer).ptr;
      out = scratch.arena.store(std::string_view(digits, static_cast<std::size_t>(end - digits)));
      return true;
    }
    case ValueKind::Double:
      out = scratch.arena.store(to_display_string(value));
      return true;
  }
  return false;
}

// ---- comparison --------------------------------------------------------------------------

namespace {

// The indexes first..last-1 for a range-for. (std::views::iota does not compile with clang
// over libstdc++ 12, which the fuzz build uses.)
struct IndexRange {
  struct Iterator {
    std::uint32_t at;
    std::uint32_t operator*() const { return at; }
    Iterator& operator++() {
      ++at;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return at != other.at; }
  };
  std::uint32_t first;
  std::uint32_t last;
  Iterator begin() const { return {first}; }
  Iterator end() const { return {last}; }
};

int sign(int c) { return c < 0 ? -1 : c > 0 ? 1 : 0; }

std::optional<int> compare_numbers(const Value& a, const Value& b) {
  if (a.kind == ValueKind::Int && b.kind == ValueKind::Int) {
    return a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
  }
  // Mixed: long double holds every int64 exactly on x86-64; elsewhere this is as exact as
  // Elasticsearch's own double comparison.
  long double x = a.kind == ValueKind::Int ? static_cast<long double>(a.integer) : a.number;
  long double y = b.kind == ValueKind::Int ? static_cast<long double>(b.integer) : b.number;
  if (std::isnan(x) || std::isnan(y)) return std::nullopt;
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace

std::optional<int> compare_values(const Value& a, const Value& b, Domain domain,
                                  std::string_view date_format, bool case_insensitive) {
  switch (domain) {
    case Domain::Date: {
      auto x = date_of(a, date_format), y = date_of(b, date_format);
      if (!x || !y) return std::nullopt;
      return *x < *y ? -1 : *x > *y ? 1 : 0;
    }
    case Domain::Ip: {
      if (a.kind != ValueKind::String || b.kind != ValueKind::String) return std::nullopt;
      auto x = parse_ip(a.string), y = parse_ip(b.string);
      if (!x || !y) return std::nullopt;
      return *x < *y ? -1 : *x > *y ? 1 : 0;
    }
    case Domain::Version:
      if (a.kind == ValueKind::String && b.kind == ValueKind::String)
        return compare_versions(a.string, b.string);
      break;
    case Domain::Generic: break;
  }
  if (a.is_number() && b.is_number()) return compare_numbers(a, b);
  if (a.kind == ValueKind::String && b.kind == ValueKind::String) {
    if (case_insensitive) {
      if (text::equals(a.string, b.string, true)) return 0;
      return sign(text::fold_case(a.string).compare(text::fold_case(b.string)));
    }
    return sign(a.string.compare(b.string));
  }
  if (a.kind == ValueKind::Bool && b.kind == ValueKind::Bool) {
    return static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
  }
  // A number against a string: Elasticsearch coerces numeric text on numeric fields.
  if (a.is_number() && b.kind == ValueKind::String) {
    auto parsed = parse_number(b.string);
    if (!parsed) return std::nullopt;
    return compare_numbers(a, *parsed);
  }
  if (a.kind == ValueKind::String && b.is_number()) {
    auto parsed = parse_number(a.string);
    if (!parsed) return std::nullopt;
    return compare_numbers(*parsed, b);
  }
  return std::nullopt;
}

// ---- arithmetic ----------------------------------------------------------------------------

namespace {

Value arithmetic(Op op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return Value::null();
  if (a.kind == ValueKind::Int && b.kind == ValueKind::Int) {
    std::int64_t x = a.integer, y = b.integer, r = 0;
    switch (op) {
      case Op::Add: if (__builtin_add_overflow(x, y, &r)) return Value::null(); return Value::of_int(r);
      case Op::Sub: if (__builtin_sub_overflow(x, y, &r)) return Value::null(); return Value::of_int(r);
      case Op::Mul: if (__builtin_mul_overflow(x, y, &r)) return Value::null(); return Value::of_int(r);
      case Op::Div:  // truncates toward zero, like Java
        if (y == 0 || (x == INT64_MIN && y == -1)) return Value::null();
        return Value::of_int(x / y);
      case Op::Mod:  // takes the sign of the dividend, like Java
        if (y == 0) return Value::null();
        if (y == -1) return Value::of_int(0);
        return Value::of_int(x % y);
      default: return Value::null();
    }
  }
  double x = a.as_double(), y = b.as_double();
  switch (op) {
    case Op::Add: return Value::of_double(x + y);
    case Op::Sub: return Value::of_double(x - y);
    case Op::Mul: return Value::of_double(x * y);
    case Op::Div: if (y == 0) return Value::null(); return Value::of_double(x / y);
    case Op::Mod: if (y == 0) return Value::null(); return Value::of_double(std::fmod(x, y));
    default: return Value::null();
  }
}

// `folded`: `value` lower-cased, when the node folds_ascii_value and `value` is ASCII.
bool matcher_matches(const Matcher& matcher, std::string_view value, bool value_is_ascii,
                     std::optional<std::string_view> folded) {
  switch (matcher.kind) {
    case Matcher::Kind::Equal: return text::equals(value, matcher.literal, matcher.case_insensitive);
    case Matcher::Kind::Wildcard:
      if (folded) return matcher.wildcard.matches_ascii(value, *folded);
      return matcher.wildcard.matches(value, value_is_ascii);
    case Matcher::Kind::Regex:
      return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *matcher.regex);
  }
  return false;
}

// Equality of two non-null values in a domain, as compare_values(...) == 0 decides it, or
// nothing when they do not compare. Strings in the generic domain are compared without
// working out an order (which case-insensitively would fold both into new strings).
std::optional<bool> equal_values(const Value& a, const Value& b, const Node& node) {
  if (node.domain == Domain::Generic && a.kind == ValueKind::String && b.kind == ValueKind::String) {
    return text::equals(a.string, b.string, node.case_insensitive);
  }
  auto order = compare_values(a, b, node.domain, node.date_format, node.case_insensitive);
  if (!order) return std::nullopt;
  return *order == 0;
}

using text::is_ascii;

// Whether a string value is in the node's ascii_set (index_long_lists); `ascii` tells
// whether the value is_ascii, when the caller knows it already.
bool listed(const Node& node, const Value& value, EvalContext::Scratch& scratch, std::optional<bool> ascii = {}) {
  if (node.ascii_set.empty() || value.kind != ValueKind::String) return false;
  if (!(ascii ? *ascii : is_ascii(value.string))) return false;
  std::string_view key = value.string;
  if (node.ascii_set_case_insensitive) {
    key = text::fold_ascii_into(value.string, scratch.list_key);
  }
  return std::binary_search(node.ascii_set.begin(), node.ascii_set.end(), key,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

// Whether, the value not being listed, no listed entry can equal it: true for an ASCII
// string; for other text only when case matters (then an ASCII entry equals ASCII text
// only). Ignoring case, non-ASCII text may fold to ASCII (the Kelvin sign to `k`), and a
// number may equal numeric text: those take the full scan.
bool can_skip_listed(const Node& node, const Value& value, std::optional<bool> ascii = {}) {
  if (node.ascii_set.empty() || value.kind != ValueKind::String) return false;
  return !node.ascii_set_case_insensitive || (ascii ? *ascii : is_ascii(value.string));
}

Value comparison(const Node& node, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Value::null();
  if (node.op == Op::Eq || node.op == Op::NotEq) {
    auto equal = equal_values(a, b, node);
    if (!equal) return Value::null();
    return Value::of_bool(node.op == Op::Eq ? *equal : !*equal);
  }
  auto order = compare_values(a, b, node.domain, node.date_format, node.case_insensitive);
  if (!order) return Value::null();
  switch (node.op) {
    case Op::Eq: return Value::of_bool(*order == 0);
    case Op::NotEq: return Value::of_bool(*order != 0);
    case Op::Less: return Value::of_bool(*order < 0);
    case Op::LessEq: return Value::of_bool(*order <= 0);
    case Op::Greater: return Value::of_bool(*order > 0);
    case Op::GreaterEq: return Value::of_bool(*order >= 0);
    default: return Value::null();
  }
}

}  // namespace

Value evaluate_node(const Program& program, std::uint32_t index, EvalContext::Scratch& scratch) {
  const Node& node = program.nodes[index];
  auto arg = [&](std::size_t i) { return evaluate_node(program, node.args[i], scratch); };
  switch (node.op) {
    case Op::Constant: return node.constant;
    case Op::Slot: return scratch.slot_values[node.slot];
    case Op::Eq: case Op::NotEq: case Op::Less: case Op::LessEq: case Op::Greater: case Op::GreaterEq:
      return comparison(node, arg(0), arg(1));
    case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Mod:
      return arithmetic(node.op, arg(0), arg(1));
    case Op::Negate: {
      Value v = arg(0);
      if (v.kind == ValueKind::Int) return v.integer == INT64_MIN ? Value::null() : Value::of_int(-v.integer);
      if (v.kind == ValueKind::Double) return Value::of_double(-v.number);
      return Value::null();
    }
    case Op::In: {
      Value value = arg(0);
      if (value.is_null()) return Value::null();
      if (listed(node, value, scratch)) return Value::of_bool(true);
      // True when a candidate equals the value; else null when one is null or does not
      // compare, else false.
      auto any_equal = [&](const auto& candidates) {
        bool saw_null = false;
        for (std::uint32_t i : candidates) {
          Value candidate = arg(i);
          auto equal = candidate.is_null() ? std::nullopt : equal_values(value, candidate, node);
          if (!equal) saw_null = true;
          else if (*equal) return Value::of_bool(true);
        }
        return saw_null ? Value::null() : Value::of_bool(false);
      };
      // When no listed candidate can equal the value, only the others are tried.
      if (can_skip_listed(node, value)) return any_equal(node.unlisted);
      return any_equal(IndexRange{1, static_cast<std::uint32_t>(node.args.size())});
    }
    case Op::Match: {
      Value value = arg(0);
      std::string_view text;
      if (!text_of(value, scratch, text)) return Value::null();
      // One scan for ASCII-ness serves the list lookup and every pattern of the node.
      const bool ascii = is_ascii(text);
      if (listed(node, Value::of_string(text), scratch, ascii)) return Value::of_bool(true);
      // Lower-cased once here rather than byte by byte in each case-insensitive pattern.
      std::optional<std::string_view> folded;
      if (ascii && node.folds_ascii_value) folded = scratch.folded_ascii(text);
      auto any_match = [&](const auto& matchers) {
        for (std::uint32_t i : matchers) {
          if (matcher_matches(node.matchers[i], text, ascii, folded)) return Value::of_bool(true);
        }
        return Value::of_bool(false);
      };
      if (can_skip_listed(node, Value::of_string(text), ascii)) return any_match(node.unlisted);
      return any_match(IndexRange{0, static_cast<std::uint32_t>(node.matchers.size())});
    }
    case Op::IsNull: return Value::of_bool(arg(0).is_null());
    case Op::And: {
      Value result = Value::of_bool(true);
      for (std::size_t i = 0; i < node.args.size(); ++i) {
        result = kleene_and(result, arg(i));
        if (result.kind == ValueKind::Bool && !result.boolean) break;
      }
      return result;
    }
    case Op::Or: {
      Value result = Value::of_bool(false);
      for (std::size_t i = 0; i < node.args.size(); ++i) {
        result = kleene_or(result, arg(i));
        if (result.is_true()) break;
      }
      return result;
    }
    case Op::Not: return kleene_not(arg(0));
    case Op::Lineage:
      // Not while folding constants (no event): unknown, which is false.
      return Value::of_bool(scratch.current_event != nullptr &&
                            node.lineage->related(*scratch.current_event, node.relation, node.lineage_condition));
    case Op::ArraySearch:
      return Value::of_bool(scratch.current_event != nullptr &&
                            array_search_matches(*node.array_search, *scratch.current_event, scratch));
    case Op::Call: {
      constexpr std::size_t kInline = 8;
      if (node.args.size() <= kInline) {
        Value values[kInline];
        for (std::size_t i = 0; i < node.args.size(); ++i) values[i] = arg(i);
        return call_function(node, std::span<const Value>(values, node.args.size()), scratch);
      }
      std::vector<Value> values;
      values.reserve(node.args.size());
      for (std::size_t i = 0; i < node.args.size(); ++i) values.push_back(arg(i));
      return call_function(node, values, scratch);
    }
  }
  return Value::null();
}

}  // namespace eql::detail
