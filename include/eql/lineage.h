// Process lineage as the evaluator sees it: `descendant of [...]`, `child of [...]` and
// `event of [...]` (the endpoint dialect) are answered by a source the caller supplies
// through FilterOptions::lineage. The runner's source is a bounded process tree fed with
// every event (src/run/lineage.h, docs/lineage.md).
#pragma once

#include <cstdint>

#include "eql/eval.h"

namespace eql {

class LineageSource {
 public:
  enum class Relation : std::uint8_t {
    Descendant,  ///< some ancestor of the event's process matched the inner query
    Child,       ///< the parent of the event's process matched it
    Event,       ///< the event's process itself matched it when it started
  };
  virtual ~LineageSource() = default;
  /// At compile time: registers the compiled inner query (`[process where ...]`) of one
  /// lineage condition and returns the id the evaluator asks with.
  virtual std::uint32_t add_condition(FilterProgram inner) = 0;
  /// At evaluation: the answer for the event's process (never null: unknown is false).
  virtual bool related(const Event& event, Relation relation, std::uint32_t condition) const = 0;
};

}  // namespace eql
