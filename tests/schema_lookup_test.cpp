// The embedded schemas, schema selection per rule, and user schema files.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "eql/schema.h"
#include "eql/schema_types.h"

using namespace eql;

namespace {

MappingType type_of(const Schema& schema, std::string_view name) {
  auto found = schema.find(name);
  REQUIRE_MESSAGE(found.has_value(), "missing field " << name);
  return found->info.type;
}

bool has(const Schema& schema, std::string_view name) { return schema.find(name).has_value(); }

Schema select(std::vector<std::string> index, std::vector<std::string> integrations = {},
              std::vector<std::string> datasets = {}) {
  SchemaRequest request;
  request.index = std::move(index);
  request.integrations = std::move(integrations);
  request.datasets = std::move(datasets);
  return select_schema(request);
}

}  // namespace

TEST_CASE("field type names round-trip and map to families") {
  for (std::string_view name : {"keyword", "constant_keyword", "wildcard", "version", "ip", "date", "date_nanos",
                                "long", "integer", "short", "byte", "unsigned_long", "double", "float",
                                "half_float", "scaled_float", "boolean", "text", "match_only_text", "object",
                                "nested", "flattened", "geo_point"}) {
    auto type = parse_mapping_type(name);
    REQUIRE(type.has_value());
    CHECK(mapping_type_name(*type) == name);
  }
  CHECK_FALSE(parse_mapping_type("keywrod").has_value());
  CHECK(parse_mapping_type("histogram") == MappingType::Other);
  CHECK(type_family(MappingType::Wildcard) == TypeFamily::String);
  CHECK(type_family(MappingType::ScaledFloat) == TypeFamily::Number);
  CHECK(type_family(MappingType::MatchOnlyText) == TypeFamily::Text);
  CHECK(type_family(MappingType::Flattened) == TypeFamily::Container);
  CHECK(type_family(MappingType::DateNanos) == TypeFamily::Date);
  CHECK(type_family(MappingType::Ip) == TypeFamily::Ip);
}

TEST_CASE("ECS 9.5.0 is embedded with types, multi-fields and array-ness") {
  Schema schema = select({});
  CHECK(type_of(schema, "process.name") == MappingType::Keyword);
  CHECK(type_of(schema, "process.pid") == MappingType::Long);
  CHECK(type_of(schema, "process.command_line") == MappingType::Wildcard);
  CHECK(type_of(schema, "process.command_line.text") == MappingType::MatchOnlyText);
  CHECK(type_of(schema, "@timestamp") == MappingType::Date);
  CHECK(type_of(schema, "source.ip") == MappingType::Ip);
  CHECK(type_of(schema, "event.category") == MappingType::Keyword);
  CHECK(type_of(schema, "dll.code_signature.trusted") == MappingType::Boolean);
  CHECK(schema.find("process.args")->info.array);
  CHECK(schema.find("event.category")->info.array);
  CHECK_FALSE(schema.find("process.name")->info.array);
  CHECK(schema.find("process.name")->table->name == "ECS 9.5.0");
  // Elastic Defend fields are always part of a rule's schema
  CHECK(type_of(schema, "process.Ext.ancestry") == MappingType::Keyword);
  CHECK_FALSE(has(schema, "process.parnet.name"));
  CHECK_FALSE(has(schema, "winlog.event_data.AccessList"));
}

TEST_CASE("a key below a flattened field is a keyword") {
  Schema schema = select({});
  REQUIRE(type_of(schema, "dll.pe.imports") == MappingType::Flattened);
  auto below = schema.find("dll.pe.imports.name");
  REQUIRE(below.has_value());
  CHECK(below->under_flattened);
  CHECK(below->info.type == MappingType::Keyword);
  CHECK_FALSE(has(schema, "dll.pe.importz.name"));
}

TEST_CASE("non-ECS fields come from the rule's exact index patterns") {
  CHECK(has(select({"winlogbeat-*"}), "winlog.event_data.AccessList"));
  CHECK(type_of(select({"logs-windows.*"}), "powershell.file.script_block_text") == MappingType::Text);
  // exact key lookup, not glob matching
  CHECK_FALSE(has(select({"winlogbeat-8*"}), "winlog.event_data.AccessList"));
  CHECK(has(select({"endgame-*"}), "endgame.metadata"));
}

TEST_CASE("beats fields only for beat-* index patterns") {
  CHECK(has(select({"winlogbeat-*"}), "winlog.event_id"));
  CHECK_FALSE(has(select({"logs-endpoint.events.*"}), "winlog.event_id"));
  // auditbeat's own fields, and libbeat's fields with every beat
  Schema auditbeat = select({"auditbeat-*"});
  CHECK(has(auditbeat, "auditd.summary.actor.primary"));
  CHECK_FALSE(has(select({"winlogbeat-*"}), "auditd.summary.actor.primary"));
}

TEST_CASE("integration packages from metadata.integration and dataset literals") {
  CHECK_FALSE(has(select({"logs-*"}), "aws.cloudtrail.user_identity.arn"));
  Schema by_integration = select({"logs-*"}, {"aws"});
  CHECK(type_of(by_integration, "aws.cloudtrail.user_identity.arn") == MappingType::Keyword);
  CHECK(by_integration.packages_with_schema == std::vector<std::string>{"aws"});
  Schema by_dataset = select({"logs-*"}, {}, {"aws.cloudtrail"});
  CHECK(has(by_dataset, "aws.cloudtrail.user_identity.arn"));
  Schema by_module = select({"logs-*"}, {}, {"okta"});
  CHECK(has(by_module, "okta.actor.display_name"));
  // ECS types override integration types: integration copies of ECS fields are not used
  CHECK(by_integration.find("source.ip")->table->name == "ECS 9.5.0");
}

TEST_CASE("a package missing from the 2024 copy gives a note and a warning namespace") {
  Schema schema = select({"logs-crowdstrike.fdr*"}, {"endpoint", "crowdstrike"});
  CHECK(schema.packages_with_schema == std::vector<std::string>{"endpoint"});
  CHECK(schema.packages_without_schema == std::vector<std::string>{"crowdstrike"});
  REQUIRE(schema.notes.size() == 1);
  CHECK(schema.notes[0].severity == Severity::Note);
  CHECK(schema.notes[0].code == "schema.package-missing");
  CHECK(schema.notes[0].message.find("`crowdstrike`") != std::string::npos);
  Schema unknown = select({"logs-*"}, {}, {"sysmon.operational"});
  CHECK(unknown.packages_without_schema == std::vector<std::string>{"sysmon"});
  REQUIRE(unknown.notes.size() == 1);
  CHECK(unknown.notes[0].code == "schema.package-unknown");
  CHECK(embedded_package_has_schema("aws"));
  CHECK_FALSE(embedded_package_has_schema("crowdstrike"));
}

TEST_CASE("endgame-* adds the endgame-only schema") {
  CHECK(select({"logs-endpoint.events.*"}).endgame_only == nullptr);
  Schema schema = select({"endgame-*", "logs-endpoint.events.*"});
  REQUIRE(schema.endgame_only != nullptr);
  CHECK(has(*schema.endgame_only, "process.name"));
  CHECK(has(*schema.endgame_only, "endgame.metadata"));
  CHECK_FALSE(has(*schema.endgame_only, "process.Ext.ancestry"));
  CHECK_FALSE(has(*schema.endgame_only, "dll.pe.imports"));
}

TEST_CASE("every embedded table has fields; the union knows every package") {
  Schema all = embedded_schema_all();
  CHECK(all.tables().size() > 200);
  for (const auto& table : all.tables()) CHECK_MESSAGE(!table->fields.empty(), table->name);
  auto names = embedded_table_names();
  CHECK(std::find(names.begin(), names.end(), "integration aws/cloudtrail") != names.end());
  CHECK(std::find(names.begin(), names.end(), "winlogbeat fields") != names.end());
}

TEST_CASE("user schema: simple, nested and ECS flat formats") {
  Diagnostics diagnostics;
  auto simple = load_schema_json(R"({"myapp.user": "keyword", "myapp.bytes": "long",
                                     "myapp": {"ok": "boolean", "nested": {"addr": "ip"}}})",
                                 "test", diagnostics);
  CHECK(diagnostics.empty());
  REQUIRE(simple->fields.size() == 4);
  CHECK(simple->fields.at("myapp.bytes").type == MappingType::Long);
  CHECK(simple->fields.at("myapp.ok").type == MappingType::Boolean);
  CHECK(simple->fields.at("myapp.nested.addr").type == MappingType::Ip);

  auto ecs = load_schema_json(R"({"custom.args": {"type": "keyword", "normalize": ["array"],
      "multi_fields": [{"flat_name": "custom.args.text", "name": "text", "type": "match_only_text"}]},
      "custom.kind": {"type": "keyword"}})",
                              "ecs", diagnostics);
  CHECK(diagnostics.empty());
  CHECK(ecs->fields.at("custom.args").array);
  CHECK(ecs->fields.at("custom.args.text").type == MappingType::MatchOnlyText);
  CHECK(ecs->fields.at("custom.kind").type == MappingType::Keyword);

  // user tables come first and can add fields to a rule's schema
  SchemaRequest request;
  request.user_tables = {simple};
  Schema schema = select_schema(request);
  CHECK(type_of(schema, "myapp.user") == MappingType::Keyword);
  CHECK(type_of(schema, "process.name") == MappingType::Keyword);
  request.embedded = false;
  CHECK_FALSE(has(select_schema(request), "process.name"));
}

TEST_CASE("user schema problems are located diagnostics") {
  Diagnostics diagnostics;
  std::string text = R"({"a.b": "keyword", "a.c": "strnig"})";
  auto table = load_schema_json(text, "bad types", diagnostics);
  CHECK(table->fields.size() == 1);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "schema.unknown-type");
  CHECK(diagnostics[0].message == "unknown Elasticsearch type `strnig` for field `a.c`");
  CHECK(text.substr(diagnostics[0].span.begin, diagnostics[0].span.end - diagnostics[0].span.begin) == "\"a.c\"");

  diagnostics.clear();
  load_schema_json(R"({"a": "keyword",})", "bad json", diagnostics);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "schema.invalid-json");
  CHECK(diagnostics[0].span.begin == 16);

  diagnostics.clear();
  load_schema_json("[1]", "not an object", diagnostics);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "schema.bad-entry");

  diagnostics.clear();
  CHECK(load_schema_file("/nonexistent/schema.json", diagnostics) == nullptr);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "schema.file-unreadable");
}

TEST_CASE("ECS allowed values of categorisation fields are embedded") {
  const auto& categories = ecs_allowed_values("event.category");
  CHECK(std::find(categories.begin(), categories.end(), "process") != categories.end());
  CHECK(std::find(categories.begin(), categories.end(), "network") != categories.end());
  CHECK(categories.size() == 20);
  const auto& types = ecs_allowed_values("event.type");
  CHECK(std::find(types.begin(), types.end(), "start") != types.end());
  CHECK(ecs_allowed_values("process.name").empty());
}

TEST_CASE("one type vocabulary: a mapping's type name reads as the embedded schemas read it") {
  // Every name the schemas know gives the evaluator the type the schemas give it.
  for (std::string_view name : {"keyword", "constant_keyword", "wildcard", "match_only_text", "text", "long",
                                "unsigned_long", "scaled_float", "boolean", "date", "date_nanos", "ip", "version",
                                "object", "nested", "flattened", "geo_point", "histogram"}) {
    auto mapping = eql::parse_mapping_type(name);
    REQUIRE_MESSAGE(mapping.has_value(), name);
    CHECK_MESSAGE(eql::field_type_from_mapping(name) == eql::evaluator_type(*mapping), name);
  }
  CHECK(eql::field_type_from_mapping("match_only_text") == eql::FieldType::Text);  // was String here
  CHECK(eql::field_type_from_mapping("no_such_type") == eql::FieldType::Unknown);
}
