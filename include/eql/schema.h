// Field schemas: which fields exist and what Elasticsearch type each has. The default
// schemas (ECS, non-ECS fields per index pattern, Elastic Defend, endgame, beats, integration
// packages) are embedded in the binary; user schemas are loaded from JSON files. Which of
// them a rule is checked against follows Elastic's detection-rules (docs/schemas.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eql/diagnostic.h"

namespace eql {

/// Elasticsearch mapping types that matter to EQL.
enum class MappingType : std::uint8_t {
  Keyword,
  ConstantKeyword,
  Wildcard,
  Version,
  Ip,
  Date,
  DateNanos,
  Long,
  Integer,
  Short,
  Byte,
  UnsignedLong,
  Double,
  Float,
  HalfFloat,
  ScaledFloat,
  Boolean,
  Text,
  MatchOnlyText,
  Object,
  Nested,
  Flattened,
  GeoPoint,
  Other,  ///< any other mapping type (histogram, binary, date_range...)
};

/// What a type behaves like in a comparison.
enum class TypeFamily : std::uint8_t {
  String,     ///< keyword, constant_keyword, wildcard, version
  Ip,         ///< compared as addresses; strings are parsed as ips
  Number,     ///< every integer and floating point type
  Boolean,
  Date,       ///< accepts date strings and epoch numbers
  Text,       ///< analysed text: EQL cannot query it
  Container,  ///< object, nested, flattened: not a value
  Other,
};

/// The Elasticsearch name of a type ("keyword", "long", "match_only_text").
std::string_view mapping_type_name(MappingType type);
/// Parses an Elasticsearch type name; empty for names that are not mapping types.
std::optional<MappingType> parse_mapping_type(std::string_view es_type);
TypeFamily type_family(MappingType type);
/// "a string", "a number", "a boolean"... for messages.
std::string_view family_description(TypeFamily family);

struct SchemaField {
  MappingType type = MappingType::Keyword;
  bool array = false;  ///< ECS `normalize: array`: the field usually holds several values
};

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

/// One named set of fields: ECS, the non-ECS fields of one index pattern, one data stream
/// of an integration package, a user's schema file...
struct SchemaTable {
  std::string name;  ///< for messages: "ECS 9.5.0", "integration aws/cloudtrail"
  std::unordered_map<std::string, SchemaField, TransparentStringHash, std::equal_to<>> fields;
};

/// The result of a lookup: the field's type and the table that defined it.
struct FieldLookup {
  SchemaField info;
  const SchemaTable* table = nullptr;
  bool under_flattened = false;  ///< a key inside a `flattened` field (typed as keyword)
};

/// The fields one query is checked against: an ordered stack of tables, the first table
/// that knows a field giving its type.
class Schema {
 public:
  void add_table(std::shared_ptr<const SchemaTable> table);
  const std::vector<std::shared_ptr<const SchemaTable>>& tables() const { return tables_; }

  /// Looks a dotted field name up. A name below a `flattened` field is a keyword.
  std::optional<FieldLookup> find(std::string_view name) const;

  /// An integration package the rule targets (metadata.integration or a dataset literal).
  struct Package {
    std::string name;
    std::string embedded_version;  ///< newest version in the embedded copy; empty: none
    std::string latest_version;    ///< newest published version known; empty: unknown
    bool has_schema() const { return !embedded_version.empty(); }
    /// The embedded copy predates the package's newest version: newer fields may be missing.
    bool stale() const { return has_schema() && !latest_version.empty() && latest_version != embedded_version; }
  };
  std::vector<Package> packages;
  /// Names of the targeted packages without an embedded schema: unknown fields under their
  /// namespace are warnings naming the package, not errors.
  std::vector<std::string> packages_without_schema;
  /// Names of the targeted packages whose schema was added.
  std::vector<std::string> packages_with_schema;
  /// Rule-level notes from the selection (no span): packages without a schema...
  Diagnostics notes;
  /// When the rule searches `endgame-*`: the endgame mapping alone, which the query is also
  /// checked against (CheckOptions::endgame decides how that is reported).
  std::shared_ptr<const Schema> endgame_only;

 private:
  std::vector<std::shared_ptr<const SchemaTable>> tables_;
};

/// What a rule says about where it looks; select_schema turns it into a Schema.
struct SchemaRequest {
  std::vector<std::string> index;         ///< rule.index patterns
  std::vector<std::string> integrations;  ///< metadata.integration package names
  /// Dataset / module literals (`aws.cloudtrail`, `aws`) the query compares event.dataset,
  /// data_stream.dataset or event.module with; see eql::query_datasets in eql/checker.h.
  std::vector<std::string> datasets;
  /// Schemas from `--schema FILE`: searched before every embedded table.
  std::vector<std::shared_ptr<const SchemaTable>> user_tables;
  /// Leave out the embedded schemas (only the user tables count).
  bool embedded = true;
  /// Add Elastic Defend's own fields (the endpoint package's data streams): for queries of
  /// the endpoint dialect, which read them.
  bool defend = false;
};

/// ECS + non-ECS fields for each index pattern + Elastic Defend fields + beats fields
/// (`*beat-*` patterns) + the integration packages named by datasets and integrations,
/// and the endgame-only schema when `endgame-*` is in the index list.
Schema select_schema(const SchemaRequest& request);

/// For ad-hoc queries that belong to no rule (`eql query`, `eql shell`): the user tables,
/// then every embedded table (ECS first, so ECS types win). No endgame-only verdict.
Schema embedded_schema_all(const std::vector<std::shared_ptr<const SchemaTable>>& user_tables = {});

/// Names of every embedded table, e.g. "ECS 9.5.0", "integration aws/cloudtrail".
std::vector<std::string> embedded_table_names();
/// The values ECS allows for a categorisation field (`event.category`, `event.type`,
/// `event.kind`, `event.outcome`...); empty when ECS does not restrict the field.
const std::vector<std::string>& ecs_allowed_values(std::string_view field);

/// Whether the embedded copy has a schema for an integration package.
bool embedded_package_has_schema(std::string_view package);

/// Loads a user schema: `{"field": "es_type", ...}` (nested objects are flattened) or the
/// ECS flat format `{"field": {"type": "keyword", "normalize": ["array"]}, ...}`. Problems
/// (unreadable file, bad JSON, unknown type names) are added to `diagnostics` with the file
/// offset of the offending text; the fields that could be read are returned.
std::shared_ptr<const SchemaTable> load_schema_json(std::string_view json_text,
                                                   std::string table_name,
                                                   Diagnostics& diagnostics);
std::shared_ptr<const SchemaTable> load_schema_file(const std::string& path,
                                                   Diagnostics& diagnostics);

}  // namespace eql
