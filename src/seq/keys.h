// Join key extraction shared by sequences and samples (internal to src/seq/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eql/sequence.h"

namespace eql::seq {

/// How one key position reads an event: a field (resolved through aliases) of a known type.
struct KeyField {
  std::string name;     ///< as written
  std::string path;     ///< where the values are read
  FieldType type = FieldType::Unknown;
  std::string date_format;
  std::optional<std::string> null_value;  ///< mapping null_value: what a JSON null counts as
  bool optional = false;  ///< `?field`: no value is the value null
  bool always_null = false;  ///< `?field` unknown to a closed schema: folded to null
};

/// Builds the readers for `keys`; reports keys that are not fields.
std::vector<KeyField> compile_keys(const std::vector<const ast::Expr*>& keys,
                                   const FieldTypes& types, Diagnostics& diagnostics);

/// The composite keys an event takes: per position the sorted distinct non-null values
/// (an optional key without any takes null); the cartesian product of the positions.
/// Empty when a non-optional key has no value (the event takes no part), or when the
/// product would exceed `limit` (`overflow` is then set).
std::vector<CompositeKey> keys_of(const Event& event, const std::vector<KeyField>& fields,
                                  std::size_t limit, bool& overflow);

}  // namespace eql::seq
