// Which EQL a query is written in: Elasticsearch's, or the endpoint's of Elastic Defend's
// behavior rules (docs/endpoint.md), which adds stage aliases, `_arraysearch`, process
// lineage and comparisons between fields.
#pragma once

#include <optional>
#include <string_view>

namespace eql {

enum class Dialect { Elasticsearch, Endpoint };

/// "elasticsearch", "endpoint".
const char* dialect_name(Dialect dialect);
/// The dialect a user names (`--dialect endpoint`), or none.
std::optional<Dialect> dialect_named(std::string_view name);

}  // namespace eql
