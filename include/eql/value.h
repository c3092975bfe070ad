// Scalar values as the evaluator sees them, and the typed readings of strings that
// Elasticsearch field types imply (dates, IP addresses, versions). Shared by the event
// reader (include/eql/event.h) and the evaluator (include/eql/eval.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eql {

enum class ValueKind : std::uint8_t { Null, Bool, Int, Double, String };

/// One scalar. Strings are views: into an Event, a compiled program, or evaluation
/// scratch space, whichever produced the value.
struct Value {
  ValueKind kind = ValueKind::Null;
  bool boolean = false;
  std::int64_t integer = 0;
  double number = 0;
  std::string_view string;

  static Value null() { return {}; }
  static Value of_bool(bool b) {
    Value v;
    v.kind = ValueKind::Bool;
    v.boolean = b;
    return v;
  }
  static Value of_int(std::int64_t i) {
    Value v;
    v.kind = ValueKind::Int;
    v.integer = i;
    return v;
  }
  static Value of_double(double d) {
    Value v;
    v.kind = ValueKind::Double;
    v.number = d;
    return v;
  }
  static Value of_string(std::string_view s) {
    Value v;
    v.kind = ValueKind::String;
    v.string = s;
    return v;
  }

  bool is_null() const { return kind == ValueKind::Null; }
  bool is_number() const { return kind == ValueKind::Int || kind == ValueKind::Double; }
  bool is_true() const { return kind == ValueKind::Bool && boolean; }
  double as_double() const { return kind == ValueKind::Int ? static_cast<double>(integer) : number; }
};

/// A value as text: strings unchanged, numbers the way Elasticsearch prints them
/// (`42`, `42.5`), booleans `true`/`false`, null `null`.
std::string to_display_string(const Value& value);

/// Appends the JSON form of `value` (strings quoted and escaped).
void append_json(std::string& out, const Value& value);

// ---- dates ---------------------------------------------------------------------------

/// Nanoseconds since 1970-01-01T00:00:00Z (covers the years 1678 to 2261).
using EpochNanos = std::int64_t;

/// Elasticsearch's default date format `strict_date_optional_time||epoch_millis`:
/// `2017-08-30`, `2017-08-30T20:47:33Z`, `...T20:47:33.123456789+02:00`, or a string of
/// digits (with optional sign and fraction) read as epoch milliseconds.
std::optional<EpochNanos> parse_date(std::string_view text);
/// A date written with a Java-style pattern of the mapping (`dd-MM-yyyy`, `yyyy-MM-dd
/// HH:mm:ss.SSS`): the letters y M d H m s S and literal separators are understood.
std::optional<EpochNanos> parse_date_with_format(std::string_view text, std::string_view format);
/// The reading of a date-typed value: strings as above, numbers as epoch milliseconds.
std::optional<EpochNanos> date_of(const Value& value, std::string_view format = {});
/// `2017-08-30T20:47:33.000Z` (milliseconds) or with nine fraction digits when `nanos`.
std::string format_date(EpochNanos instant, bool nanos);

// ---- IP addresses ----------------------------------------------------------------------

/// An IPv4 or IPv6 address as 16 bytes (IPv4 as `::ffff:a.b.c.d`, as Elasticsearch stores it).
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};
std::optional<IpAddress> parse_ip(std::string_view text);

/// A CIDR block `10.0.0.0/8` or `2001:db8::/32`; a bare address is a /32 or /128.
struct CidrBlock {
  IpAddress network;  ///< host bits cleared
  int prefix_bits = 128;  ///< counted over the 16-byte form
  bool contains(const IpAddress& address) const;
};
std::optional<CidrBlock> parse_cidr(std::string_view text);

// ---- versions ----------------------------------------------------------------------------

/// Order of Elasticsearch's `version` field type: valid semantic versions first, by
/// precedence (`1.11.3` > `1.5.0`, `1.0.0-alpha` < `1.0.0`), then anything else by bytes.
int compare_versions(std::string_view left, std::string_view right);

// ---- numbers -----------------------------------------------------------------------------

/// A whole string read as a JSON-style number (`42`, `-3`, `4.5`, `1e3`), or nothing.
std::optional<Value> parse_number(std::string_view text);

}  // namespace eql
