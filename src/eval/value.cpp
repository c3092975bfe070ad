// Typed readings of values: numbers as Elasticsearch prints them, dates, IP addresses,
// versions.
#include "eql/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace eql {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Java's Double.toString shape: "42.0", "42.5", "1.0E21", "1.0E-5".
std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buffer[64];
  double magnitude = std::fabs(d);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    auto result = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::fixed);
    std::string text(buffer, result.ptr);
    if (text.find('.') == std::string::npos) text += ".0";
    return text;
  }
  auto result = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific);
  std::string text(buffer, result.ptr);
  // to_chars gives "1e+21" / "1.5e-05"; Java writes "1.0E21" / "1.5E-5".
  auto e = text.find('e');
  std::string mantissa = text.substr(0, e);
  std::string exponent = text.substr(e + 1);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  bool negative = !exponent.empty() && exponent[0] == '-';
  std::size_t start = (exponent[0] == '+' || exponent[0] == '-') ? 1 : 0;
  while (start + 1 < exponent.size() && exponent[start] == '0') ++start;
  return mantissa + "E" + (negative ? "-" : "") + exponent.substr(start);
}

}  // namespace

std::string to_display_string(const Value& value) {
  switch (value.kind) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return value.boolean ? "true" : "false";
    case ValueKind::Int: return std::to_string(value.integer);
    case ValueKind::Double: return format_double(value.number);
    case ValueKind::String: return std::string(value.string);
  }
  return {};
}

void append_json(std::string& out, const Value& value) {
  if (value.kind == ValueKind::Double && !std::isfinite(value.number)) {
    out += "null";
    return;
  }
  if (value.kind != ValueKind::String) {
    out += to_display_string(value);
    return;
  }
  out += '"';
  for (char ch : value.string) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", c);
          out += escape;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// ---- dates -------------------------------------------------------------------------------

namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilTime {
  std::int64_t year;
  unsigned month, day, hour, minute, second;
  std::int64_t nanos;
};

CivilTime civil_from_nanos(EpochNanos instant) {
  std::int64_t seconds = instant / 1000000000;
  std::int64_t nanos = instant % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  return {y, m, d, static_cast<unsigned>(rest / 3600), static_cast<unsigned>(rest % 3600 / 60),
          static_cast<unsigned>(rest % 60), nanos};
}

bool read_fixed_digits(std::string_view text, std::size_t& at, std::size_t count, unsigned& out) {
  if (at + count > text.size()) return false;
  unsigned value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[at + i];
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  at += count;
  out = value;
  return true;
}

std::optional<EpochNanos> assemble(std::int64_t year, unsigned month, unsigned day, unsigned hour,
                                   unsigned minute, unsigned second, std::int64_t nanos,
                                   std::int64_t offset_seconds) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] || (month == 2 && day == 29 && !leap)) return std::nullopt;
  if (year < 1677 || year > 2261) return std::nullopt;
  std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                         second - offset_seconds;
  return seconds * 1000000000 + nanos;
}

std::optional<EpochNanos> parse_epoch_millis(std::string_view text) {
  auto number = parse_number(text);
  if (!number) return std::nullopt;
  if (number->kind == ValueKind::Int) {
    std::int64_t millis = number->integer;
    if (millis > INT64_MAX / 1000000 || millis < INT64_MIN / 1000000) return std::nullopt;
    return millis * 1000000;
  }
  double nanos = number->number * 1e6;
  if (!std::isfinite(nanos) || std::fabs(nanos) > 9.2e18) return std::nullopt;
  return static_cast<EpochNanos>(std::llround(nanos));
}

}  // namespace

std::optional<EpochNanos> parse_iso_date(std::string_view text);

// strict_date_optional_time first (so "2017" is a year), then epoch_millis.
std::optional<EpochNanos> parse_date(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (auto iso = parse_iso_date(text)) return iso;
  return parse_epoch_millis(text);
}

std::optional<EpochNanos> parse_iso_date(std::string_view text) {
  std::size_t at = 0;
  unsigned year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  if (!read_fixed_digits(text, at, 4, year)) return std::nullopt;
  if (at < text.size() && text[at] == '-') {
    ++at;
    if (!read_fixed_digits(text, at, 2, month)) return std::nullopt;
    if (at < text.size() && text[at] == '-') {
      ++at;
      if (!read_fixed_digits(text, at, 2, day)) return std::nullopt;
    }
  }
  std::int64_t nanos = 0;
  std::int64_t offset = 0;
  if (at < text.size() && (text[at] == 'T' || text[at] == 't' || text[at] == ' ')) {
    ++at;
    if (!read_fixed_digits(text, at, 2, hour)) return std::nullopt;
    if (at < text.size() && text[at] == ':') {
      ++at;
      if (!read_fixed_digits(text, at, 2, minute)) return std::nullopt;
      if (at < text.size() && text[at] == ':') {
        ++at;
        if (!read_fixed_digits(text, at, 2, second)) return std::nullopt;
        if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
          ++at;
          std::size_t digits = 0;
          while (at < text.size() && is_digit(text[at])) {
            if (digits < 9) nanos = nanos * 10 + (text[at] - '0');
            ++digits;
            ++at;
          }
          if (digits == 0) return std::nullopt;
          for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
        }
      }
    }
    if (at < text.size()) {
      char zone = text[at];
      if (zone == 'Z' || zone == 'z') {
        ++at;
      } else if (zone == '+' || zone == '-') {
        ++at;
        unsigned zh = 0, zm = 0;
        if (!read_fixed_digits(text, at, 2, zh)) return std::nullopt;
        if (at < text.size() && text[at] == ':') ++at;
        if (at < text.size() && !read_fixed_digits(text, at, 2, zm)) return std::nullopt;
        offset = (zone == '-' ? -1 : 1) * static_cast<std::int64_t>(zh * 3600 + zm * 60);
      }
    }
  }
  if (at != text.size()) return std::nullopt;
  return assemble(year, month, day, hour, minute, second, nanos, offset);
}

std::optional<EpochNanos> parse_date_with_format(std::string_view text, std::string_view format) {
  unsigned year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::int64_t nanos = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < format.size();) {
    char letter = format[i];
    std::size_t run = 1;
    while (i + run < format.size() && format[i + run] == letter) ++run;
    unsigned value = 0;
    switch (letter) {
      case 'y': case 'u':
        if (!read_fixed_digits(text, at, run == 2 ? 2 : 4, value)) return std::nullopt;
        year = run == 2 ? 2000 + value : value;
        break;
      case 'M': if (!read_fixed_digits(text, at, run, value)) return std::nullopt; month = value; break;
      case 'd': if (!read_fixed_digits(text, at, run, value)) return std::nullopt; day = value; break;
      case 'H': if (!read_fixed_digits(text, at, run, value)) return std::nullopt; hour = value; break;
      case 'm': if (!read_fixed_digits(text, at, run, value)) return std::nullopt; minute = value; break;
      case 's': if (!read_fixed_digits(text, at, run, value)) return std::nullopt; second = value; break;
      case 'S': {
        if (!read_fixed_digits(text, at, run, value)) return std::nullopt;
        nanos = value;
        for (std::size_t k = run; k < 9; ++k) nanos *= 10;
        break;
      }
      case '\'':
        run = 1;  // quoting is not supported beyond single literal characters
        break;
      default:
        for (std::size_t k = 0; k < run; ++k) {
          if (at >= text.size() || text[at] != letter) return std::nullopt;
          ++at;
        }
    }
    i += run;
  }
  if (at != text.size()) return std::nullopt;
  return assemble(year, month, day, hour, minute, second, nanos, 0);
}

std::optional<EpochNanos> date_of(const Value& value, std::string_view format) {
  switch (value.kind) {
    case ValueKind::String:
      if (!format.empty()) {
        // Elasticsearch tries the mapping's format; fall back to the defaults for literals.
        if (auto parsed = parse_date_with_format(value.string, format)) return parsed;
      }
      return parse_date(value.string);
    case ValueKind::Int:
      if (value.integer > INT64_MAX / 1000000 || value.integer < INT64_MIN / 1000000)
        return std::nullopt;
      return value.integer * 1000000;
    case ValueKind::Double: {
      double nanos = value.number * 1e6;
      if (!std::isfinite(nanos) || std::fabs(nanos) > 9.2e18) return std::nullopt;
      return static_cast<EpochNanos>(std::llround(nanos));
    }
    default: return std::nullopt;
  }
}

std::string format_date(EpochNanos instant, bool nanos) {
  CivilTime t = civil_from_nanos(instant);
  char buffer[64];
  if (nanos) {
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02u:%02u:%02u.%09lldZ",
                  static_cast<long long>(t.year), t.month, t.day, t.hour, t.minute, t.second,
                  static_cast<long long>(t.nanos));
  } else {
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02u:%02u:%02u.%03lldZ",
                  static_cast<long long>(t.year), t.month, t.day, t.hour, t.minute, t.second,
                  static_cast<long long>(t.nanos / 1000000));
  }
  return buffer;
}

// ---- IP addresses ----------------------------------------------------------------------

namespace {

std::optional<std::array<std::uint8_t, 4>> parse_ipv4(std::string_view text) {
  std::array<std::uint8_t, 4> out{};
  std::size_t at = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (at >= text.size() || text[at] != '.') return std::nullopt;
      ++at;
    }
    std::size_t start = at;
    unsigned value = 0;
    while (at < text.size() && is_digit(text[at]) && at - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[at] - '0');
      ++at;
    }
    if (at == start || value > 255) return std::nullopt;
    out[static_cast<std::size_t>(part)] = static_cast<std::uint8_t>(value);
  }
  if (at != text.size()) return std::nullopt;
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  IpAddress address;
  if (text.find(':') == std::string_view::npos) {
    auto v4 = parse_ipv4(text);
    if (!v4) return std::nullopt;
    address.bytes[10] = 0xff;
    address.bytes[11] = 0xff;
    std::copy(v4->begin(), v4->end(), address.bytes.begin() + 12);
    return address;
  }
  // Drop a zone index (fe80::1%eth0).
  if (auto percent = text.find('%'); percent != std::string_view::npos) text = text.substr(0, percent);
  std::array<std::uint16_t, 8> groups{};
  int count = 0;
  int gap = -1;  // index where "::" was seen
  std::size_t at = 0;
  if (text.substr(0, 2) == "::") {
    gap = 0;
    at = 2;
  }
  while (at < text.size()) {
    if (count >= 8) return std::nullopt;
    std::size_t start = at;
    unsigned value = 0;
    while (at < text.size() && hex_value(text[at]) >= 0 && at - start < 4) {
      value = value * 16 + static_cast<unsigned>(hex_value(text[at]));
      ++at;
    }
    if (at < text.size() && text[at] == '.') {
      // Embedded IPv4 in the last 32 bits.
      auto v4 = parse_ipv4(text.substr(start));
      if (!v4 || count > 6) return std::nullopt;
      groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]);
      groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]);
      at = text.size();
      break;
    }
    if (at == start) return std::nullopt;
    groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(value);
    if (at == text.size()) break;
    if (text[at] != ':') return std::nullopt;
    ++at;
    if (at < text.size() && text[at] == ':') {
      if (gap >= 0) return std::nullopt;
      gap = count;
      ++at;
    } else if (at == text.size()) {
      return std::nullopt;
    }
  }
  std::array<std::uint16_t, 8> full{};
  if (gap >= 0) {
    if (count > 7) return std::nullopt;
    int tail = count - gap;
    for (int i = 0; i < gap; ++i) full[static_cast<std::size_t>(i)] = groups[static_cast<std::size_t>(i)];
    for (int i = 0; i < tail; ++i)
      full[static_cast<std::size_t>(8 - tail + i)] = groups[static_cast<std::size_t>(gap + i)];
  } else {
    if (count != 8) return std::nullopt;
    full = groups;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    address.bytes[2 * i] = static_cast<std::uint8_t>(full[i] >> 8);
    address.bytes[2 * i + 1] = static_cast<std::uint8_t>(full[i] & 0xff);
  }
  return address;
}

bool CidrBlock::contains(const IpAddress& address) const {
  int bits = prefix_bits;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
    if ((address.bytes[i] & mask) != network.bytes[i]) return false;
  }
  return true;
}

std::optional<CidrBlock> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  int prefix = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    int value = 0;
    auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || result.ec != std::errc() || result.ptr != digits.data() + digits.size() ||
        value < 0 || value > prefix)
      return std::nullopt;
    prefix = value;
  }
  CidrBlock block;
  block.prefix_bits = v4 ? prefix + 96 : prefix;
  int bits = block.prefix_bits;
  for (std::size_t i = 0; i < 16; ++i, bits -= 8) {
    int mask_bits = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    auto mask = static_cast<std::uint8_t>(mask_bits);
    block.network.bytes[i] = address->bytes[i] & mask;
  }
  return block;
}

// ---- versions ----------------------------------------------------------------------------

namespace {

struct SemVer {
  std::vector<std::string_view> release;  // numeric parts
  std::vector<std::string_view> pre;      // pre-release identifiers
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

std::optional<SemVer> parse_semver(std::string_view text) {
  if (auto plus = text.find('+'); plus != std::string_view::npos) text = text.substr(0, plus);
  std::string_view release = text, pre;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    release = text.substr(0, dash);
    pre = text.substr(dash + 1);
    if (pre.empty()) return std::nullopt;
  }
  SemVer version;
  std::size_t start = 0;
  while (true) {
    auto dot = release.find('.', start);
    std::string_view part = release.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!all_digits(part)) return std::nullopt;
    version.release.push_back(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!pre.empty()) {
    start = 0;
    while (true) {
      auto dot = pre.find('.', start);
      std::string_view part = pre.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (part.empty()) return std::nullopt;
      version.pre.push_back(part);
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  return version;
}

int compare_numeric_text(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a[0] == '0') a.remove_prefix(1);
  while (b.size() > 1 && b[0] == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

int compare_versions(std::string_view left, std::string_view right) {
  auto a = parse_semver(left);
  auto b = parse_semver(right);
  if (!a || !b) {
    if (a) return -1;  // valid versions sort before invalid ones
    if (b) return 1;
    int c = left.compare(right);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  std::size_t n = std::max(a->release.size(), b->release.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view x = i < a->release.size() ? a->release[i] : "0";
    std::string_view y = i < b->release.size() ? b->release[i] : "0";
    if (int c = compare_numeric_text(x, y)) return c;
  }
  if (a->pre.empty() != b->pre.empty()) return a->pre.empty() ? 1 : -1;
  for (std::size_t i = 0; i < std::min(a->pre.size(), b->pre.size()); ++i) {
    bool xn = all_digits(a->pre[i]), yn = all_digits(b->pre[i]);
    int c;
    if (xn && yn) c = compare_numeric_text(a->pre[i], b->pre[i]);
    else if (xn != yn) c = xn ? -1 : 1;
    else c = a->pre[i].compare(b->pre[i]) < 0 ? -1 : a->pre[i] == b->pre[i] ? 0 : 1;
    if (c) return c;
  }
  if (a->pre.size() != b->pre.size()) return a->pre.size() < b->pre.size() ? -1 : 1;
  return 0;
}

// ---- numbers -----------------------------------------------------------------------------

std::optional<Value> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string_view digits = text;
  if (digits[0] == '+') digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  bool integral = std::all_of(digits.begin() + (digits[0] == '-' ? 1 : 0), digits.end(), is_digit) &&
                  digits.size() > (digits[0] == '-' ? 1u : 0u);
  if (integral) {
    std::int64_t value = 0;
    auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (result.ec == std::errc() && result.ptr == digits.data() + digits.size()) return Value::of_int(value);
  }
  // Only the characters of a decimal number; from_chars rejects "inf"/"nan" words anyway.
  for (char c : digits) {
    if (!is_digit(c) && c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') return std::nullopt;
  }
  double value = 0;
  auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (result.ec != std::errc() || result.ptr != digits.data() + digits.size()) return std::nullopt;
  return Value::of_double(value);
}

}  // namespace eql
