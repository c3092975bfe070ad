#include <algorithm>

#include "eql/schema.h"
#include "schema/catalog.h"

namespace eql {

using schema_internal::Catalog;
using schema_internal::embedded_catalog;

void Schema::add_table(std::shared_ptr<const SchemaTable> table) {
  if (!table) return;
  for (const auto& existing : tables_) {
    if (existing == table) return;
  }
  tables_.push_back(std::move(table));
}

std::optional<FieldLookup> Schema::find(std::string_view name) const {
  for (const auto& table : tables_) {
    auto found = table->fields.find(name);
    if (found != table->fields.end()) return FieldLookup{found->second, table.get(), false};
  }
  // Any key below a `flattened` field is searchable as a keyword.
  for (std::size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0;
       dot = name.rfind('.', dot - 1)) {
    std::string_view prefix = name.substr(0, dot);
    for (const auto& table : tables_) {
      auto found = table->fields.find(prefix);
      if (found != table->fields.end() && found->second.type == MappingType::Flattened) {
        return FieldLookup{SchemaField{MappingType::Keyword, false}, table.get(), true};
      }
    }
  }
  return std::nullopt;
}

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

/// `aws.cloudtrail` -> `aws`; `aws` -> `aws`.
std::string package_of_dataset(std::string_view dataset) {
  return std::string(dataset.substr(0, dataset.find('.')));
}

/// The beat an index pattern names (`winlogbeat-*` -> `winlogbeat`), or empty.
std::string beat_of_pattern(std::string_view pattern) {
  std::size_t at = pattern.find("beat-*");
  if (at == std::string_view::npos) return {};
  std::string_view head = pattern.substr(0, at);
  while (!head.empty() && head.front() == '*') head.remove_prefix(1);
  return std::string(head) + "beat";
}

void add_package(Schema& schema, const Catalog& catalog, const std::string& package) {
  if (contains(schema.packages_with_schema, package) ||
      contains(schema.packages_without_schema, package)) {
    return;
  }
  Schema::Package info{package, {}, {}};
  auto versions = catalog.packages.find(package);
  if (versions != catalog.packages.end()) {
    info.embedded_version = versions->second.embedded;
    info.latest_version = versions->second.latest;
  }
  auto found = catalog.integrations.find(package);
  if (found != catalog.integrations.end()) {
    for (const auto& table : found->second) schema.add_table(table);
    schema.packages_with_schema.push_back(package);
    schema.packages.push_back(std::move(info));
    return;
  }
  info.embedded_version.clear();
  bool known = versions != catalog.packages.end();
  schema.packages_without_schema.push_back(package);
  schema.packages.push_back(std::move(info));
  Diagnostic note;
  note.severity = Severity::Note;
  note.code = known ? "schema.package-missing" : "schema.package-unknown";
  note.message = known ? "integration package `" + package +
                             "` is not in the embedded schema copy (integration schemas of July 2024); "
                             "unknown fields under `" + package + ".*` are reported as warnings"
                       : "`" + package +
                             "` is not a known integration package, so no schema describes its fields; "
                             "unknown fields under `" + package + ".*` are reported as warnings";
  note.hint = "add the package's fields with --schema FILE (see docs/schemas.md)";
  schema.notes.push_back(std::move(note));
}

}  // namespace

Schema select_schema(const SchemaRequest& request) {
  Schema schema;
  for (const auto& table : request.user_tables) schema.add_table(table);
  if (!request.embedded) return schema;

  const Catalog& catalog = embedded_catalog();
  schema.add_table(catalog.ecs);
  for (const auto& pattern : request.index) {
    auto found = catalog.non_ecs.find(pattern);
    if (found != catalog.non_ecs.end()) schema.add_table(found->second);
  }
  schema.add_table(catalog.endpoint);
  if (request.defend && catalog.defend) schema.add_table(catalog.defend);

  bool any_beat = false;
  for (const auto& pattern : request.index) {
    std::string beat = beat_of_pattern(pattern);
    if (beat.empty()) continue;
    any_beat = true;
    auto found = catalog.beats.find(beat);
    if (found != catalog.beats.end()) {
      schema.add_table(found->second);
    } else {
      // `*beat-*` or a beat we do not know: every beat's fields
      for (const auto& [name, table] : catalog.beats) schema.add_table(table);
    }
  }
  if (any_beat) {
    auto libbeat = catalog.beats.find("libbeat");
    if (libbeat != catalog.beats.end()) schema.add_table(libbeat->second);
  }

  for (const auto& package : request.integrations) add_package(schema, catalog, package);
  for (const auto& dataset : request.datasets) {
    std::string package = package_of_dataset(dataset);
    if (!package.empty()) add_package(schema, catalog, package);
  }

  if (contains(request.index, "endgame-*")) {
    auto endgame = std::make_shared<Schema>();
    for (const auto& table : request.user_tables) endgame->add_table(table);
    endgame->add_table(catalog.endgame);
    auto extra = catalog.non_ecs.find("endgame-*");
    if (extra != catalog.non_ecs.end()) endgame->add_table(extra->second);
    schema.endgame_only = std::move(endgame);
  }
  return schema;
}

Schema embedded_schema_all(const std::vector<std::shared_ptr<const SchemaTable>>& user_tables) {
  const Catalog& catalog = embedded_catalog();
  Schema schema;
  for (const auto& table : user_tables) schema.add_table(table);
  schema.add_table(catalog.ecs);
  schema.add_table(catalog.endpoint);
  if (catalog.defend) schema.add_table(catalog.defend);
  for (const auto& [pattern, table] : catalog.non_ecs) schema.add_table(table);
  for (const auto& [beat, table] : catalog.beats) schema.add_table(table);
  for (const auto& [package, tables] : catalog.integrations) {
    for (const auto& table : tables) schema.add_table(table);
    schema.packages_with_schema.push_back(package);
  }
  schema.add_table(catalog.endgame);
  return schema;
}

std::vector<std::string> embedded_table_names() {
  std::vector<std::string> names;
  Schema all = embedded_schema_all();
  for (const auto& table : all.tables()) names.push_back(table->name);
  return names;
}

const std::vector<std::string>& ecs_allowed_values(std::string_view field) {
  static const std::vector<std::string> kNone;
  const Catalog& catalog = embedded_catalog();
  auto found = catalog.allowed_values.find(field);
  return found == catalog.allowed_values.end() ? kNone : found->second;
}

bool embedded_package_has_schema(std::string_view package) {
  const Catalog& catalog = embedded_catalog();
  return catalog.integrations.find(package) != catalog.integrations.end();
}

}  // namespace eql
