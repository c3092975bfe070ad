// Internal: reading Elasticsearch's EQL spec files (`[[queries]]` with name, query,
// expected_event_ids, join_keys, size), for build/eql-conformance and its tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eql::conformance {

struct Spec {
  std::string name;
  std::string query;
  std::vector<std::vector<std::int64_t>> expected;  ///< alternatives; any one passes
  std::vector<std::string> join_keys;
  std::optional<std::int64_t> size;
  std::optional<std::int64_t> max_samples_per_key;
  std::uint32_t line = 0;
};

/// A `#[[queries]]` block: a spec of the older Python dialect, commented out.
struct CommentedSpec {
  std::uint32_t line = 0;
  std::string name;
  std::string query;  ///< empty when the block has no readable query
};

struct SpecFile {
  std::vector<Spec> specs;
  std::vector<CommentedSpec> commented;
};

/// Parses a spec file; on error returns nothing and sets `error` (`name:line:column: ...`, or
/// `name:line: entry N of [[queries]] ...`). Entries are refused as Elasticsearch's
/// EqlSpecLoader refuses them: without a name, a query or expected_event_ids, with
/// expected_event_ids of another shape, or with a name used before; name and query are
/// trimmed, as it trims them.
std::optional<SpecFile> read_spec_file(const std::string& text, const std::string& name, std::string& error);

/// Elasticsearch's test loader reads data files with a JSON parser that allows comments
/// (`// ...` to the end of the line, `/* ... */`): they become spaces, newlines kept, so that
/// a problem's line and column in the data file stay where they were. An unterminated `/*`
/// blanks the rest of the text.
std::string blank_json_comments(std::string_view text);

/// Elasticsearch's test_extra.toml writes bare `null` inside arrays (join_keys), which
/// strict TOML rejects: outside strings and comments, `null` becomes "null".
std::string quote_bare_nulls(std::string_view text);

}  // namespace eql::conformance
