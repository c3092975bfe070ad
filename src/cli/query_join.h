// `eql query` for sequences and samples: events streamed through a SequenceMatcher (in
// time order, exactly sorted or through a bounded reorder window) or a SampleMatcher.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eql/ast.h"
#include "eql/diagnostic.h"
#include "eql/source.h"
#include "eql/eval.h"
#include "eql/event.h"

namespace eql::cli {

struct JoinQueryOptions {
  enum class Format { Ndjson, Json, Table, Csv };
  /// exact: read everything, sort, then match (results as Elasticsearch gives them, any input
  /// order). stream: match as events arrive, reordering within max_lateness. auto: exact for
  /// files, stream for standard input.
  enum class Order { Auto, Exact, Stream };

  std::vector<std::string> files;
  EventReadOptions read;
  std::string category_field{kDefaultCategoryField};
  Format format = Format::Ndjson;
  Order order = Order::Auto;
  std::int64_t max_lateness_ms = 10'000;
  std::size_t max_pending = 1'000'000;
  std::size_t max_samples_per_key = 1;
  std::optional<std::size_t> size;
  bool strict = false;
  bool quiet = false;
  const FieldTypes* field_types = nullptr;  ///< nullptr: types from the JSON values
  const SourceText* source = nullptr;       ///< the query text, for diagnostics with a caret
  RenderOptions render;
};

/// Prints a problem of the input on stderr: `file:line:column: message` for a place in a file,
/// else (a file that cannot be read) `eql query: file: message`.
void report_input_problem(const InputProblem& problem);

/// Runs a sequence or sample query and prints each match; returns the exit code.
int run_join_query(const ast::Query& query, const JoinQueryOptions& options);

}  // namespace eql::cli
