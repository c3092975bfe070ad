// The hunting pipes of `eql query` and `eql shell`: `count`, `unique`, `unique_count`,
// `sort` and `filter`, plus `head`/`tail` between them. Elasticsearch refuses these (the
// parser accepts them only with ParseOptions::extension_pipes); they run here over the
// ordered results of an event query. A pipe sees rows: the matched events, or the rows an
// aggregating pipe (`count`) made, which are events too (JSON objects), so every later pipe
// reads their fields the same way: `count process.name | sort count desc | filter count > 5`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "eql/ast.h"
#include "eql/diagnostic.h"
#include "eql/eval.h"
#include "eql/sequence.h"

namespace eql {

/// Whether a pipe is one of the extensions (anything but head and tail).
bool is_extension_pipe(ast::PipeKind kind);
/// Whether any pipe of the query is an extension.
bool has_extension_pipes(const ast::Query& query);

struct PipeOptions {
  /// Types for `filter` conditions (nullptr: the JSON types of the values).
  const FieldTypes* field_types = nullptr;
  std::string category_field{kDefaultCategoryField};
};

struct PipeCompileResult;

/// The pipes of one query, compiled once (filter conditions included).
class PipeProgram {
 public:
  static PipeCompileResult compile(const std::vector<ast::Pipe>& pipes, const PipeOptions& options);

  /// Runs every pipe in query order over `rows` (in result order).
  std::vector<EventRef> apply(std::vector<EventRef> rows, EvalContext& context) const;

  /// The columns of the rows after the last aggregating pipe (`count a b` -> a, b, count,
  /// percent), or empty when the rows are still the matched events.
  const std::vector<std::string>& columns() const { return columns_; }
  /// Field names the pipes create (count, percent): a checker's "unknown field" for them in a
  /// later pipe is no mistake.
  const std::vector<std::string>& created_fields() const { return created_; }

  struct Stage;
  PipeProgram(const PipeProgram&);
  PipeProgram& operator=(const PipeProgram&);
  PipeProgram(PipeProgram&&) noexcept;
  PipeProgram& operator=(PipeProgram&&) noexcept;
  ~PipeProgram();

 private:
  PipeProgram();
  std::vector<Stage> stages_;
  std::vector<std::string> columns_;
  std::vector<std::string> created_;
};

struct PipeCompileResult {
  std::optional<PipeProgram> program;
  Diagnostics diagnostics;  ///< spans into the query text
};

/// Drops the checker's `check.unknown-field` findings that name a field an earlier pipe of
/// the query creates (`| count a | sort count desc`); `query_text` is what spans point into.
void drop_pipe_created_fields(Diagnostics& findings, const ast::Query& query,
                              std::string_view query_text);

/// The hunting pipes of a sequence or sample query, each an error (`pipes.pipe-on-join`)
/// spanning the pipe: they work on the rows of an event query; sequences and samples take
/// head and tail only. Empty for an event query.
Diagnostics pipes_on_joins(const ast::Query& query);

}  // namespace eql
