// Field types: the no-schema provider, tables, and Elasticsearch mappings.
#include <functional>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "eql/eval.h"
#include "eql/schema.h"
#include "eql/schema_types.h"

namespace eql {

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::Unknown: return "unknown";
    case FieldType::String: return "keyword";
    case FieldType::Text: return "text";
    case FieldType::Integer: return "long";
    case FieldType::Float: return "double";
    case FieldType::Boolean: return "boolean";
    case FieldType::Date: return "date";
    case FieldType::DateNanos: return "date_nanos";
    case FieldType::Ip: return "ip";
    case FieldType::Version: return "version";
    case FieldType::Object: return "object";
  }
  return "unknown";
}

// One vocabulary: a mapping's type name is read as the schemas read it (MappingType), and
// the evaluator's reading of it is the schemas' too (evaluator_type).
FieldType field_type_from_mapping(std::string_view t) {
  std::optional<MappingType> type = parse_mapping_type(t);
  return type ? evaluator_type(*type) : FieldType::Unknown;
}

std::optional<FieldInfo> JsonFieldTypes::lookup(std::string_view name) const {
  return FieldInfo{FieldType::Unknown, std::string(name), std::nullopt, {}};
}

void FieldTable::add(std::string name, FieldInfo info) { fields_[std::move(name)] = std::move(info); }

void FieldTable::add_if_absent(std::string name, FieldInfo info) { fields_.emplace(std::move(name), std::move(info)); }

std::optional<FieldInfo> FieldTable::lookup(std::string_view name) const {
  auto it = fields_.find(name);
  if (it == fields_.end()) return std::nullopt;
  FieldInfo info = it->second;
  if (info.path.empty()) info.path = it->first;
  return info;
}

std::optional<FieldTable> parse_es_mapping(std::string_view text, std::string& error) {
  // Drop `#` comment lines and the test placeholder for a random string type.
  std::string cleaned;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] == '#') continue;
    cleaned += line;
    cleaned += '\n';
  }
  const std::string placeholder = "[runtime_random_keyword_type]";
  for (std::size_t at; (at = cleaned.find(placeholder)) != std::string::npos;) cleaned.replace(at, placeholder.size(), "keyword");

  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag>(cleaned.c_str(), cleaned.size());
  if (document.HasParseError()) {
    error = std::string("invalid JSON at byte ") + std::to_string(document.GetErrorOffset()) + ": " +
            rapidjson::GetParseError_En(document.GetParseError());
    return std::nullopt;
  }
  const rapidjson::Value* root = &document;
  if (root->IsObject() && root->HasMember("mappings")) root = &(*root)["mappings"];
  if (!root->IsObject() || !root->HasMember("properties") || !(*root)["properties"].IsObject()) {
    error = "a mapping needs a \"properties\" object";
    return std::nullopt;
  }
  FieldTable table(true);
  std::vector<std::pair<std::string, std::string>> aliases;  // name -> target
  std::function<void(const rapidjson::Value&, const std::string&, int)> walk =
      [&](const rapidjson::Value& properties, const std::string& prefix, int depth) {
        if (depth > 64) return;
        for (auto it = properties.MemberBegin(); it != properties.MemberEnd(); ++it) {
          if (!it->value.IsObject()) continue;
          std::string name = prefix + std::string(it->name.GetString(), it->name.GetStringLength());
          const rapidjson::Value& field = it->value;
          if (field.HasMember("properties") && field["properties"].IsObject()) {
            walk(field["properties"], name + ".", depth + 1);
            continue;
          }
          std::string type = field.HasMember("type") && field["type"].IsString() ? field["type"].GetString() : "object";
          if (type == "alias") {
            if (field.HasMember("path") && field["path"].IsString()) aliases.emplace_back(name, field["path"].GetString());
            continue;
          }
          FieldInfo info;
          info.type = field_type_from_mapping(type);
          info.path = name;
          if (field.HasMember("null_value")) {
            const auto& null_value = field["null_value"];
            if (null_value.IsString()) info.null_value = null_value.GetString();
            else if (null_value.IsInt64()) info.null_value = std::to_string(null_value.GetInt64());
            else if (null_value.IsDouble()) info.null_value = std::to_string(null_value.GetDouble());
            else if (null_value.IsBool()) info.null_value = null_value.GetBool() ? "true" : "false";
          }
          if (field.HasMember("format") && field["format"].IsString()) {
            std::string format = field["format"].GetString();
            // The default formats need no pattern; anything else is a Java pattern.
            if (format.find("strict_date_optional_time") == std::string::npos && format != "epoch_millis")
              info.date_format = format;
          }
          table.add(name, info);
          // Multi-fields (`hostname.keyword`) read the same values.
          if (field.HasMember("fields") && field["fields"].IsObject()) {
            for (auto sub = field["fields"].MemberBegin(); sub != field["fields"].MemberEnd(); ++sub) {
              if (!sub->value.IsObject()) continue;
              FieldInfo sub_info;
              std::string sub_type = sub->value.HasMember("type") && sub->value["type"].IsString()
                                         ? sub->value["type"].GetString() : "keyword";
              sub_info.type = field_type_from_mapping(sub_type);
              sub_info.path = name;
              table.add(name + "." + sub->name.GetString(), sub_info);
            }
          }
        }
      };
  walk((*root)["properties"], "", 0);
  for (const auto& [name, target] : aliases) {
    auto info = table.lookup(target);
    FieldInfo resolved = info ? *info : FieldInfo{FieldType::Unknown, target, std::nullopt, {}};
    resolved.path = target;
    table.add(name, resolved);
  }
  return table;
}

}  // namespace eql
