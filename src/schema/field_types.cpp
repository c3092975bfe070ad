#include <array>
#include <utility>

#include "eql/schema.h"

namespace eql {

namespace {

constexpr std::array<std::pair<std::string_view, MappingType>, 24> kTypeNames = {{
    {"keyword", MappingType::Keyword},
    {"constant_keyword", MappingType::ConstantKeyword},
    {"wildcard", MappingType::Wildcard},
    {"version", MappingType::Version},
    {"ip", MappingType::Ip},
    {"date", MappingType::Date},
    {"date_nanos", MappingType::DateNanos},
    {"long", MappingType::Long},
    {"integer", MappingType::Integer},
    {"short", MappingType::Short},
    {"byte", MappingType::Byte},
    {"unsigned_long", MappingType::UnsignedLong},
    {"double", MappingType::Double},
    {"float", MappingType::Float},
    {"half_float", MappingType::HalfFloat},
    {"scaled_float", MappingType::ScaledFloat},
    {"boolean", MappingType::Boolean},
    {"text", MappingType::Text},
    {"match_only_text", MappingType::MatchOnlyText},
    {"object", MappingType::Object},
    {"nested", MappingType::Nested},
    {"flattened", MappingType::Flattened},
    {"geo_point", MappingType::GeoPoint},
    {"other", MappingType::Other},
}};

}  // namespace

std::string_view mapping_type_name(MappingType type) {
  for (const auto& [name, value] : kTypeNames) {
    if (value == type) return name;
  }
  return "other";
}

std::optional<MappingType> parse_mapping_type(std::string_view es_type) {
  for (const auto& [name, value] : kTypeNames) {
    if (name == es_type) return value;
  }
  // Mapping types EQL cannot do anything useful with still name real fields.
  static constexpr std::array<std::string_view, 12> kOtherTypes = {
      "histogram", "binary",      "date_range", "integer_range", "long_range", "ip_range",
      "geo_shape", "dense_vector", "alias",     "number",        "array",      "search_as_you_type"};
  for (std::string_view other : kOtherTypes) {
    if (other == es_type) return MappingType::Other;
  }
  return std::nullopt;
}

TypeFamily type_family(MappingType type) {
  switch (type) {
    case MappingType::Keyword:
    case MappingType::ConstantKeyword:
    case MappingType::Wildcard:
    case MappingType::Version:
      return TypeFamily::String;
    case MappingType::Ip:
      return TypeFamily::Ip;
    case MappingType::Date:
    case MappingType::DateNanos:
      return TypeFamily::Date;
    case MappingType::Long:
    case MappingType::Integer:
    case MappingType::Short:
    case MappingType::Byte:
    case MappingType::UnsignedLong:
    case MappingType::Double:
    case MappingType::Float:
    case MappingType::HalfFloat:
    case MappingType::ScaledFloat:
      return TypeFamily::Number;
    case MappingType::Boolean:
      return TypeFamily::Boolean;
    case MappingType::Text:
    case MappingType::MatchOnlyText:
      return TypeFamily::Text;
    case MappingType::Object:
    case MappingType::Nested:
    case MappingType::Flattened:
      return TypeFamily::Container;
    case MappingType::GeoPoint:
    case MappingType::Other:
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
