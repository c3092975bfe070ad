// Internal: the embedded schema tables, decoded once from the compressed copy the build
// embeds (schemas/eql-schemas.txt.gz, written by tools/gen_schemas.py).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eql/schema.h"

namespace eql::schema_internal {

struct Catalog {
  std::shared_ptr<const SchemaTable> ecs;
  std::shared_ptr<const SchemaTable> endpoint;
  /// Elastic Defend's own fields (endpoint package data streams), for the endpoint dialect.
  std::shared_ptr<const SchemaTable> defend;
  std::shared_ptr<const SchemaTable> endgame;
  std::map<std::string, std::shared_ptr<const SchemaTable>, std::less<>> non_ecs;  ///< by index pattern
  std::map<std::string, std::shared_ptr<const SchemaTable>, std::less<>> beats;    ///< by beat name
  /// package -> one table per data stream
  std::map<std::string, std::vector<std::shared_ptr<const SchemaTable>>, std::less<>> integrations;
  /// Every package of the manifests and the schema copy: name -> versions.
  struct PackageVersions {
    std::string embedded;  ///< newest version in the schema copy; empty when absent
    std::string latest;    ///< newest version the manifests know
  };
  std::map<std::string, PackageVersions, std::less<>> packages;
  /// ECS fields with a closed list of values (event.category, event.type...).
  std::map<std::string, std::vector<std::string>, std::less<>> allowed_values;
};

/// Decodes the embedded copy on first use (thread-safe); never fails at run time because
/// the data is checked by the tests.
const Catalog& embedded_catalog();

/// Parses the generator's text format (exposed for tests).
Catalog parse_catalog_text(std::string_view text);

}  // namespace eql::schema_internal
