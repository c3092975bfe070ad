// `| head N`, `| tail N` and --size: which results of a query are shown. One place, so that
// event queries, sequences and samples cut their results the same way Elasticsearch does.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eql/ast.h"

namespace eql {

struct ResultLimits {
  struct Pipe {
    bool tail = false;
    std::size_t count = 0;
  };
  std::vector<Pipe> pipes;         ///< in query order
  std::optional<std::size_t> size; ///< --size: applied after the pipes, from the end after a tail

  /// The head/tail pipes of `query`; nothing (and `unsupported` names the pipe) when the
  /// query has another pipe.
  static std::optional<ResultLimits> of(const ast::Query& query, std::optional<std::size_t> size,
                                        std::string& unsupported);

  bool has_tail() const;
  /// The [first, last) range of `count` ordered results that is shown.
  std::pair<std::size_t, std::size_t> window(std::size_t count) const;
};

}  // namespace eql
