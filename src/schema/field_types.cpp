#include <array>
#include <utility>

#include "eql/schema.h"

namespace eql {

namespace {

constexpr std::array<std::pair<std::string_view, FieldType>, 24> kTypeNames = {{
    {"keyword", FieldType::Keyword},
    {"constant_keyword", FieldType::ConstantKeyword},
    {"wildcard", FieldType::Wildcard},
    {"version", FieldType::Version},
    {"ip", FieldType::Ip},
    {"date", FieldType::Date},
    {"date_nanos", FieldType::DateNanos},
    {"long", FieldType::Long},
    {"integer", FieldType::Integer},
    {"short", FieldType::Short},
    {"byte", FieldType::Byte},
    {"unsigned_long", FieldType::UnsignedLong},
    {"double", FieldType::Double},
    {"float", FieldType::Float},
    {"half_float", FieldType::HalfFloat},
    {"scaled_float", FieldType::ScaledFloat},
    {"boolean", FieldType::Boolean},
    {"text", FieldType::Text},
    {"match_only_text", FieldType::MatchOnlyText},
    {"object", FieldType::Object},
    {"nested", FieldType::Nested},
    {"flattened", FieldType::Flattened},
    {"geo_point", FieldType::GeoPoint},
    {"other", FieldType::Other},
}};

}  // namespace

std::string_view field_type_name(FieldType type) {
  for (const auto& [name, value] : kTypeNames) {
    if (value == type) return name;
  }
  return "other";
}

std::optional<FieldType> parse_field_type(std::string_view es_type) {
  for (const auto& [name, value] : kTypeNames) {
    if (name == es_type) return value;
  }
  // Mapping types EQL cannot do anything useful with still name real fields.
  static constexpr std::array<std::string_view, 12> kOtherTypes = {
      "histogram", "binary",      "date_range", "integer_range", "long_range", "ip_range",
      "geo_shape", "dense_vector", "alias",     "number",        "array",      "search_as_you_type"};
  for (std::string_view other : kOtherTypes) {
    if (other == es_type) return FieldType::Other;
  }
  return std::nullopt;
}

TypeFamily type_family(FieldType type) {
  switch (type) {
    case FieldType::Keyword:
    case FieldType::ConstantKeyword:
    case FieldType::Wildcard:
    case FieldType::Version:
      return TypeFamily::String;
    case FieldType::Ip:
      return TypeFamily::Ip;
    case FieldType::Date:
    case FieldType::DateNanos:
      return TypeFamily::Date;
    case FieldType::Long:
    case FieldType::Integer:
    case FieldType::Short:
    case FieldType::Byte:
    case FieldType::UnsignedLong:
    case FieldType::Double:
    case FieldType::Float:
    case FieldType::HalfFloat:
    case FieldType::ScaledFloat:
      return TypeFamily::Number;
    case FieldType::Boolean:
      return TypeFamily::Boolean;
    case FieldType::Text:
    case FieldType::MatchOnlyText:
      return TypeFamily::Text;
    case FieldType::Object:
    case FieldType::Nested:
    case FieldType::Flattened:
      return TypeFamily::Container;
    case FieldType::GeoPoint:
    case FieldType::Other:
      return TypeFamily::Other;
  }
  return TypeFamily::Other;
}

std::string_view family_description(TypeFamily family) {
  switch (family) {
    case TypeFamily::String: return "a string";
    case TypeFamily::Ip: return "an ip";
    case TypeFamily::Number: return "a number";
    case TypeFamily::Boolean: return "a boolean";
    case TypeFamily::Date: return "a date";
    case TypeFamily::Text: return "an analysed text field";
    case TypeFamily::Container: return "an object";
    case TypeFamily::Other: return "a value of another type";
  }
  return "a value";
}

}  // namespace eql
