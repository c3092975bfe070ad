// Kibana rule exports (.ndjson): one JSON object per line. Rules of every type, exception
// lists and their items, action connectors, and a last line with export counts.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cctype>
#include <string_view>

#include "rules/loaders.h"
#include "rules/string_scan.h"

namespace eql::rules_internal {

namespace {

using JsonValue = rapidjson::Value;

std::uint32_t to_u32(std::size_t value) { return static_cast<std::uint32_t>(value); }

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::size_t skip_space(std::string_view text, std::size_t at) {
  while (at < text.size() && is_json_space(text[at])) ++at;
  return at;
}

// The offset after the JSON string starting at `at` (its opening quote).
std::size_t skip_string(std::string_view text, std::size_t at) {
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return text.size();
}

// The offset after the JSON value starting at `at`.
std::size_t skip_value(std::string_view text, std::size_t at) {
  int depth = 0;
  std::size_t i = at;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      i = skip_string(text, i);
      if (depth == 0) return i;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || is_json_space(c))) {
      return i;
    }
    ++i;
  }
  return i;
}

}  // namespace

// RapidJSON keeps no positions, so the raw line is walked once more to find where a
// top-level member's value starts. The line is known to be a valid JSON object.
std::optional<std::size_t> member_value_offset(std::string_view line, std::string_view key) {
  std::size_t i = skip_space(line, 0);
  if (i >= line.size() || line[i] != '{') return std::nullopt;
  ++i;
  while (true) {
    i = skip_space(line, i);
    if (i >= line.size() || line[i] != '"') return std::nullopt;
    std::size_t key_end = skip_string(line, i);
    std::string_view raw_key = line.substr(i + 1, key_end - i - 2);
    i = skip_space(line, key_end);
    if (i >= line.size() || line[i] != ':') return std::nullopt;
    i = skip_space(line, i + 1);
    if (raw_key == key) return i;
    i = skip_space(line, skip_value(line, i));
    if (i >= line.size() || line[i] != ',') return std::nullopt;
    ++i;
  }
}

namespace {

const char* described_type(const JsonValue& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
  }
  return "a value";
}

std::string string_of(const JsonValue& object, const char* key) {
  if (!object.IsObject()) return {};
  auto member = object.FindMember(key);
  if (member == object.MemberEnd() || !member->value.IsString()) return {};
  return std::string(member->value.GetString(), member->value.GetStringLength());
}

std::vector<std::string> strings_of(const JsonValue& object, const char* key) {
  std::vector<std::string> result;
  if (!object.IsObject()) return result;
  auto member = object.FindMember(key);
  if (member == object.MemberEnd() || !member->value.IsArray()) return result;
  for (const JsonValue& element : member->value.GetArray()) {
    if (element.IsString()) result.emplace_back(element.GetString(), element.GetStringLength());
  }
  return result;
}

const JsonValue* array_of(const JsonValue& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto member = object.FindMember(key);
  if (member == object.MemberEnd() || !member->value.IsArray()) return nullptr;
  return &member->value;
}

// Typed top-level fields of one rule object; wrong types become diagnostics at the value.
class JsonFields {
 public:
  JsonFields(const JsonValue& object, std::string_view line, std::uint32_t line_offset,
             Diagnostics& out)
      : object_(object), line_(line), line_offset_(line_offset), out_(out) {}

  std::uint32_t value_offset(std::string_view key) const {
    auto at = member_value_offset(line_, key);
    return line_offset_ + to_u32(at.value_or(0));
  }

  void wrong_type(const char* key, const JsonValue& value, std::string_view expected) {
    Diagnostic diagnostic;
    diagnostic.code = "rule.wrong-type";
    // Built by appending: GCC 12 misreports `"x" + std::string` chains (-Wrestrict).
    diagnostic.message.append("`").append(key).append("` must be ").append(expected);
    diagnostic.message.append(", not ").append(described_type(value));
    std::uint32_t begin = value_offset(key);
    std::size_t length = skip_value(line_, begin - line_offset_) - (begin - line_offset_);
    diagnostic.span = Span{begin, begin + to_u32(length)};
    out_.push_back(std::move(diagnostic));
  }

  const JsonValue* find(const char* key) const {
    auto member = object_.FindMember(key);
    if (member == object_.MemberEnd() || member->value.IsNull()) return nullptr;
    return &member->value;
  }

  std::string string(const char* key) {
    const JsonValue* value = find(key);
    if (value == nullptr) return {};
    if (value->IsString()) return std::string(value->GetString(), value->GetStringLength());
    wrong_type(key, *value, "a string");
    return {};
  }

  std::optional<std::int64_t> integer(const char* key) {
    const JsonValue* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (value->IsInt64()) return value->GetInt64();
    wrong_type(key, *value, "an integer");
    return std::nullopt;
  }

  std::vector<std::string> strings(const char* key) {
    const JsonValue* value = find(key);
    if (value == nullptr) return {};
    bool all_strings = value->IsArray();
    if (all_strings) {
      for (const JsonValue& element : value->GetArray()) all_strings = all_strings && element.IsString();
    }
    if (!all_strings) {
      wrong_type(key, *value, "an array of strings");
      return {};
    }
    return strings_of(object_, key);
  }

 private:
  const JsonValue& object_;
  std::string_view line_;
  std::uint32_t line_offset_;
  Diagnostics& out_;
};

std::vector<MitreThreat> read_threat(const JsonValue& rule) {
  std::vector<MitreThreat> threats;
  const JsonValue* entries = array_of(rule, "threat");
  if (entries == nullptr) return threats;
  for (const JsonValue& entry : entries->GetArray()) {
    MitreThreat threat;
    threat.framework = string_of(entry, "framework");
    if (entry.IsObject() && entry.HasMember("tactic")) {
      const JsonValue& tactic = entry["tactic"];
      threat.tactic_id = string_of(tactic, "id");
      threat.tactic_name = string_of(tactic, "name");
      threat.tactic_reference = string_of(tactic, "reference");
    }
    if (const JsonValue* techniques = array_of(entry, "technique")) {
      for (const JsonValue& item : techniques->GetArray()) {
        MitreTechnique technique;
        technique.id = string_of(item, "id");
        technique.name = string_of(item, "name");
        technique.reference = string_of(item, "reference");
        if (const JsonValue* subs = array_of(item, "subtechnique")) {
          for (const JsonValue& sub : subs->GetArray()) {
            technique.subtechniques.push_back(
                {string_of(sub, "id"), string_of(sub, "name"), string_of(sub, "reference")});
          }
        }
        threat.techniques.push_back(std::move(technique));
      }
    }
    threats.push_back(std::move(threat));
  }
  return threats;
}

std::vector<ExceptionListReference> read_exception_references(const JsonValue& rule) {
  std::vector<ExceptionListReference> references;
  const JsonValue* entries = array_of(rule, "exceptions_list");
  if (entries == nullptr) return references;
  for (const JsonValue& entry : entries->GetArray()) {
    references.push_back({string_of(entry, "id"), string_of(entry, "list_id"),
                          string_of(entry, "type"), string_of(entry, "namespace_type")});
  }
  return references;
}

std::vector<ExceptionEntry> read_exception_entries(const JsonValue& holder) {
  std::vector<ExceptionEntry> entries;
  const JsonValue* items = array_of(holder, "entries");
  if (items == nullptr) return entries;
  for (const JsonValue& item : items->GetArray()) {
    ExceptionEntry entry;
    entry.field = string_of(item, "field");
    entry.type = string_of(item, "type");
    entry.operator_name = string_of(item, "operator");
    if (item.IsObject() && item.HasMember("value")) {
      const JsonValue& value = item["value"];
      if (value.IsString()) {
        entry.values.emplace_back(value.GetString(), value.GetStringLength());
      } else {
        entry.values = strings_of(item, "value");
      }
    }
    if (item.IsObject() && item.HasMember("list")) entry.value_list_id = string_of(item["list"], "id");
    entry.entries = read_exception_entries(item);
    entries.push_back(std::move(entry));
  }
  return entries;
}

bool has_member(const JsonValue& object, const char* key) {
  return object.IsObject() && object.HasMember(key);
}

// What a non-rule object in an export is, from the members each kind always has.
std::string object_kind(const JsonValue& object) {
  if (has_member(object, "exported_count")) return "export summary";
  if (string_of(object, "type") == "action" || has_member(object, "attributes")) {
    return "action connector";
  }
  if (has_member(object, "list_id") && (has_member(object, "item_id") || has_member(object, "entries"))) {
    return "exception list item";
  }
  if (has_member(object, "list_id")) return "exception list";
  return "unknown object";
}

void load_rule_object(RuleFile& file, const JsonValue& object, std::string_view line,
                      std::uint32_t line_offset) {
  std::string language = string_of(object, "language");
  std::string type = string_of(object, "type");
  if (!is_eql_rule(language, type)) {
    SkippedEntry entry;
    entry.kind = SkippedEntry::Kind::RuleInOtherLanguage;
    entry.what = skipped_language_label(language, type);
    entry.type = type;
    entry.rule_id = string_of(object, "rule_id");
    entry.name = string_of(object, "name");
    entry.file_offset = line_offset;
    file.skipped.push_back(std::move(entry));
    return;
  }

  Rule rule;
  rule.file = file.source.name();
  rule.format = RuleFormat::Kibana;
  rule.file_offset = line_offset;
  rule.language = language.empty() ? "eql" : language;
  rule.type = type;
  JsonFields fields(object, line, line_offset, rule.field_diagnostics);
  rule.rule_id = fields.string("rule_id");
  if (!rule.rule_id.empty()) {
    std::uint32_t at = fields.value_offset("rule_id");
    rule.rule_id_span = Span{at, at + to_u32(skip_string(line, at - line_offset) - (at - line_offset))};
  }
  rule.name = fields.string("name");
  rule.description = fields.string("description");
  rule.severity = fields.string("severity");
  rule.risk_score = fields.integer("risk_score");
  rule.index = fields.strings("index");
  rule.timestamp_override = fields.string("timestamp_override");
  rule.event_category_override = fields.string("event_category_override");
  rule.tiebreaker_field = fields.string("tiebreaker_field");
  rule.max_signals = fields.integer("max_signals");
  rule.building_block_type = fields.string("building_block_type");
  rule.tags = fields.strings("tags");
  rule.threat = read_threat(object);
  rule.exceptions_list = read_exception_references(object);
  if (const JsonValue* integrations = array_of(object, "related_integrations")) {
    for (const JsonValue& integration : integrations->GetArray()) {
      std::string package = string_of(integration, "package");
      if (!package.empty()) rule.integrations.push_back(std::move(package));
    }
  }

  const JsonValue* query = fields.find("query");
  if (query == nullptr) {
    Diagnostic diagnostic;
    diagnostic.code = "rule.missing-query";
    diagnostic.message = "this EQL rule has no `query`";
    diagnostic.span = Span{line_offset, line_offset};
    rule.field_diagnostics.push_back(std::move(diagnostic));
  } else if (!query->IsString()) {
    fields.wrong_type("query", *query, "a string");
  } else {
    rule.query.assign(query->GetString(), query->GetStringLength());
    rule.has_query = true;
    std::uint32_t start = fields.value_offset("query");
    ScannedString scanned = scan_json_string(file.source.text(), start);
    if (scanned.ok && scanned.value == rule.query) {
      rule.query_origin = origin_of(scanned);
    } else {
      rule.query_origin =
          QueryOrigin::table(std::vector<std::uint32_t>(rule.query.size() + 1, start));
    }
  }
  sort_by_position(rule.field_diagnostics);
  file.rules.push_back(std::move(rule));
}

void load_other_object(RuleFile& file, const JsonValue& object, std::uint32_t line_offset) {
  SkippedEntry entry;
  entry.kind = SkippedEntry::Kind::OtherObject;
  entry.what = object_kind(object);
  entry.name = string_of(object, "name");
  entry.file_offset = line_offset;
  if (entry.what == "exception list") {
    file.exception_lists.push_back({string_of(object, "id"), string_of(object, "list_id"),
                                    string_of(object, "name"), string_of(object, "type"),
                                    string_of(object, "namespace_type")});
  } else if (entry.what == "exception list item") {
    ExceptionListItem item;
    item.list_id = string_of(object, "list_id");
    item.item_id = string_of(object, "item_id");
    item.name = string_of(object, "name");
    item.type = string_of(object, "type");
    item.os_types = strings_of(object, "os_types");
    item.entries = read_exception_entries(object);
    file.exception_items.push_back(std::move(item));
  }
  file.skipped.push_back(std::move(entry));
}

}  // namespace

void load_kibana_export(RuleFile& file) {
  std::string_view text = file.source.text();
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t newline = text.find('\n', line_start);
    std::size_t line_end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(line_start, line_end - line_start);
    auto line_offset = to_u32(line_start);
    line_start = line_end + 1;
    if (skip_space(line, 0) == line.size()) continue;

    rapidjson::Document document;
    document.Parse(line.data(), line.size());
    if (document.HasParseError()) {
      Diagnostic diagnostic;
      diagnostic.code = "rule.json-syntax";
      diagnostic.message =
          std::string("invalid JSON: ") + rapidjson::GetParseError_En(document.GetParseError());
      std::size_t error_offset = document.GetErrorOffset();
      // RapidJSON stops inside a misspelt literal (`tru}`); show where the word starts.
      if (document.GetParseError() == rapidjson::kParseErrorValueInvalid) {
        while (error_offset > 0 && std::isalnum(static_cast<unsigned char>(line[error_offset - 1]))) {
          --error_offset;
        }
      }
      // A CRLF line cut short fails after its CR, one column past the line as shown (the CR
      // is not shown): point at the CR instead.
      if (error_offset > 0 && error_offset == line.size() && line[error_offset - 1] == '\r') {
        --error_offset;
      }
      std::uint32_t at = line_offset + to_u32(error_offset);
      diagnostic.span = Span{at, at};
      file.diagnostics.push_back(std::move(diagnostic));
      continue;
    }
    if (!document.IsObject()) {
      Diagnostic diagnostic;
      diagnostic.code = "rule.json-not-object";
      diagnostic.message = "each line of a Kibana export must be a JSON object, not " +
                           std::string(described_type(document));
      std::uint32_t at = line_offset + to_u32(skip_space(line, 0));
      diagnostic.span = Span{at, at};
      file.diagnostics.push_back(std::move(diagnostic));
      continue;
    }
    if (has_member(document, "rule_id")) {
      load_rule_object(file, document, line, line_offset);
    } else {
      load_other_object(file, document, line_offset);
    }
  }
}

}  // namespace eql::rules_internal
