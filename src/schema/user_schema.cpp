// User schemas (`--schema FILE`): `{"field": "es_type"}`, nested objects of those, or the
// ECS flat format `{"field": {"type": "...", "normalize": ["array"], ...}}`.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <fstream>
#include <sstream>

#include "eql/schema.h"

namespace eql {

namespace {

using JsonValue = rapidjson::Value;

class SchemaReader {
 public:
  SchemaReader(std::string_view text, SchemaTable& table, Diagnostics& diagnostics)
      : text_(text), table_(table), diagnostics_(diagnostics) {}

  void read_object(const JsonValue& object, const std::string& prefix) {
    for (auto member = object.MemberBegin(); member != object.MemberEnd(); ++member) {
      std::string key(member->name.GetString(), member->name.GetStringLength());
      std::string name = prefix.empty() ? key : prefix + "." + key;
      const JsonValue& value = member->value;
      if (value.IsString()) {
        add(name, key, std::string_view(value.GetString(), value.GetStringLength()), false);
      } else if (value.IsObject()) {
        if (is_field_spec(value)) {
          read_spec(name, key, value);
        } else {
          read_object(value, name);
        }
      } else {
        problem("schema.bad-entry", key,
                "schema entry `" + name + "` must be a type name or an object");
      }
    }
  }

 private:
  /// An ECS flat entry: {"type": "keyword", ...} with ECS attributes, or {"type": "x"} alone.
  static bool is_field_spec(const JsonValue& value) {
    auto type = value.FindMember("type");
    if (type == value.MemberEnd() || !type->value.IsString()) return false;
    if (value.MemberCount() == 1) return true;
    for (const char* ecs_key : {"flat_name", "normalize", "multi_fields", "description", "level",
                                "dashed_name", "short", "example"}) {
      if (value.HasMember(ecs_key)) return true;
    }
    return false;
  }

  void read_spec(const std::string& name, const std::string& key, const JsonValue& spec) {
    bool array = false;
    auto normalize = spec.FindMember("normalize");
    if (normalize != spec.MemberEnd() && normalize->value.IsArray()) {
      for (const auto& item : normalize->value.GetArray()) {
        if (item.IsString() && std::string_view(item.GetString()) == "array") array = true;
      }
    }
    const JsonValue& type = spec["type"];
    add(name, key, std::string_view(type.GetString(), type.GetStringLength()), array);
    auto multi = spec.FindMember("multi_fields");
    if (multi != spec.MemberEnd() && multi->value.IsArray()) {
      for (const auto& item : multi->value.GetArray()) {
        if (!item.IsObject() || !item.HasMember("type") || !item["type"].IsString()) continue;
        std::string multi_name;
        if (item.HasMember("flat_name") && item["flat_name"].IsString()) {
          multi_name = item["flat_name"].GetString();
        } else if (item.HasMember("name") && item["name"].IsString()) {
          multi_name = name + "." + item["name"].GetString();
        } else {
          continue;
        }
        add(multi_name, key, item["type"].GetString(), false);
      }
    }
  }

  void add(const std::string& name, const std::string& key, std::string_view type_name, bool array) {
    auto type = parse_mapping_type(type_name);
    if (!type) {
      problem("schema.unknown-type", key,
              "unknown Elasticsearch type `" + std::string(type_name) + "` for field `" + name + "`",
              "use a mapping type such as keyword, long, ip, date, boolean, text");
      return;
    }
    table_.fields[name] = SchemaField{*type, array};
  }

  void problem(std::string code, const std::string& key, std::string message, std::string hint = {}) {
    // The DOM keeps no offsets: point at the first unused occurrence of the quoted key.
    std::string quoted = "\"" + key + "\"";
    std::size_t at = text_.find(quoted, search_from_);
    if (at == std::string_view::npos) at = text_.find(quoted);
    Span span{};
    if (at != std::string_view::npos) {
      span = Span{static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + quoted.size())};
      search_from_ = at + quoted.size();
    }
    diagnostics_.push_back({Severity::Error, std::move(code), std::move(message), span, std::move(hint)});
  }

  std::string_view text_;
  SchemaTable& table_;
  Diagnostics& diagnostics_;
  std::size_t search_from_ = 0;
};

}  // namespace

std::shared_ptr<const SchemaTable> load_schema_json(std::string_view json_text, std::string table_name,
                                                   Diagnostics& diagnostics) {
  auto table = std::make_shared<SchemaTable>();
  table->name = std::move(table_name);
  rapidjson::Document document;
  document.Parse(json_text.data(), json_text.size());
  if (document.HasParseError()) {
    auto offset = static_cast<std::uint32_t>(document.GetErrorOffset());
    diagnostics.push_back({Severity::Error, "schema.invalid-json",
                           std::string("invalid JSON in schema: ") +
                               rapidjson::GetParseError_En(document.GetParseError()),
                           Span{offset, offset + (offset < json_text.size() ? 1u : 0u)},
                           {}});
    return table;
  }
  if (!document.IsObject()) {
    diagnostics.push_back({Severity::Error, "schema.bad-entry",
                           "a schema file must hold one JSON object mapping field names to types",
                           Span{0, static_cast<std::uint32_t>(json_text.empty() ? 0 : 1)},
                           "e.g. {\"myapp.user\": \"keyword\", \"myapp.bytes\": \"long\"}"});
    return table;
  }
  SchemaReader(json_text, *table, diagnostics).read_object(document, "");
  return table;
}

std::shared_ptr<const SchemaTable> load_schema_file(const std::string& path, Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.push_back({Severity::Error, "schema.file-unreadable",
                           "cannot read schema file `" + path + "`", {}, {}});
    return nullptr;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return load_schema_json(content.str(), "schema file " + path, diagnostics);
}

}  // namespace eql
