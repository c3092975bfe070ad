// --schema FILE of the commands that type-check (`eql query`, `eql shell`, `eql run`) and
// --check MODE of those that type-check ad-hoc queries (`eql query`, `eql shell`).
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eql/schema.h"

namespace eql::cli {

/// Loads each --schema FILE (docs/schemas.md); a problem is printed on `err` as `eql COMMAND:
/// schema FILE: message`. False when one could not be used.
bool load_user_schemas(std::string_view command, const std::vector<std::string>& paths,
                       std::vector<std::shared_ptr<const SchemaTable>>& tables, std::FILE* err = stderr);

/// Whether `mode` is a --check mode: warn, error or off.
inline bool check_mode(std::string_view mode) { return mode == "warn" || mode == "error" || mode == "off"; }

}  // namespace eql::cli
