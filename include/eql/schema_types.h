// The embedded schemas as field types for the evaluator: where a schema knows a field, its
// mapping type drives comparisons (dates as instants, ips as addresses, versions by version
// order); fields no schema knows still work, typed by their JSON values.
#pragma once

#include <memory>

#include "eql/eval.h"
#include "eql/schema.h"

namespace eql {

/// The evaluator's reading of a mapping type (keyword -> String, long -> Integer, ...).
FieldType evaluator_type(MappingType type);

class SchemaFieldTypes final : public FieldTypes {
 public:
  explicit SchemaFieldTypes(Schema schema) : schema_(std::move(schema)) {}
  std::optional<FieldInfo> lookup(std::string_view name) const override;
  /// Open: a field the schema does not know may still be in the events.
  bool closed() const override { return false; }

 private:
  Schema schema_;
};

}  // namespace eql
