#include "eql/schema_types.h"

namespace eql {

FieldType evaluator_type(MappingType type) {
  switch (type) {
    case MappingType::Keyword:
    case MappingType::ConstantKeyword:
    case MappingType::Wildcard: return FieldType::String;
    case MappingType::Version: return FieldType::Version;
    case MappingType::Ip: return FieldType::Ip;
    case MappingType::Date: return FieldType::Date;
    case MappingType::DateNanos: return FieldType::DateNanos;
    case MappingType::Long:
    case MappingType::Integer:
    case MappingType::Short:
    case MappingType::Byte:
    case MappingType::UnsignedLong: return FieldType::Integer;
    case MappingType::Double:
    case MappingType::Float:
    case MappingType::HalfFloat:
    case MappingType::ScaledFloat: return FieldType::Float;
    case MappingType::Boolean: return FieldType::Boolean;
    case MappingType::Text:
    case MappingType::MatchOnlyText: return FieldType::Text;
    case MappingType::Object:
    case MappingType::Nested:
    case MappingType::Flattened: return FieldType::Object;
    case MappingType::GeoPoint:
    case MappingType::Other: return FieldType::Unknown;
  }
  return FieldType::Unknown;
}

std::optional<FieldInfo> SchemaFieldTypes::lookup(std::string_view name) const {
  FieldInfo info;
  info.path = std::string(name);
  if (auto found = schema_.find(name)) info.type = evaluator_type(found->info.type);
  return info;  // unknown fields: FieldType::Unknown, compared by their JSON values
}

}  // namespace eql
