// One query run: an event query, a sequence or a sample, with its pipes and limits, fed
// events and handing its results (events or matches) to a sink. `eql query`, `eql shell`
// and eql-conformance all run their queries through it; showing the results (NDJSON, JSON,
// tables, CSV, ids) stays with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eql/ast.h"
#include "eql/diagnostic.h"
#include "eql/eval.h"
#include "eql/event.h"
#include "eql/sequence.h"

namespace eql {

struct QueryRunOptions {
  /// How events come and how results are ordered.
  enum class Order {
    /// The caller pushes events in result order already (loaded and sorted before): nothing
    /// is held for ordering, and every event goes to the matchers as it comes.
    Given,
    /// Results in (timestamp, tiebreaker, input) order whatever the input order: a sequence
    /// holds its timed events and sorts them at the end; an event query sorts its matches.
    Exact,
    /// A sequence matches as events come, reordered within max_lateness_ms (later ones are
    /// dropped and counted); an event query sorts its matches as in Exact.
    Stream,
  };

  /// The category field and field types of every filter. Its `lineage` is the run's own
  /// process tree when `lineage` is set below.
  FilterOptions filter;
  /// Answer `descendant of`/`child of` from a process tree fed every pushed event first
  /// (docs/lineage.md). Off: such a condition does not compile.
  bool lineage = false;
  Order order = Order::Given;
  std::int64_t max_lateness_ms = 10'000;
  std::size_t max_pending = 1'000'000;
  std::size_t max_samples_per_key = 1;
  /// Results given at most (after the query's head and tail pipes; from the end after a tail).
  std::optional<std::size_t> size;
  /// An event query with no pipe and no size hands each match over as its event comes
  /// (a live stream), not ordered at the end.
  bool live = false;
};

/// Where results go: the events of an event query (rows a pipe made are events too), or
/// the matched sequences and samples. Only the results that are shown arrive here.
struct QuerySink {
  std::function<void(const EventRef&)> event;
  std::function<void(const JoinResult&)> match;
};

struct QueryRunStats {
  std::uint64_t matched = 0;   ///< every match (events, sequences or samples), shown or not
  std::uint64_t untimed = 0;   ///< sequences (Exact, Stream): events without a timestamp ignored
  std::uint64_t late = 0;      ///< sequences (Stream): events older than the window let through
  std::uint64_t lineage_evicted = 0;   ///< processes the lineage tree evicted
  std::size_t lineage_max_processes = 0;
};

class QueryRun;

struct QueryRunCompileResult {
  std::unique_ptr<QueryRun> run;  ///< nullptr when the query cannot run
  Diagnostics diagnostics;
};

class QueryRun {
 public:
  enum class Kind { Events, Sequences, Samples };

  /// Compiles the query's filters, matcher and pipes. Hunting pipes (eql/pipes.h) work on
  /// event queries only; sequences and samples take head and tail.
  static QueryRunCompileResult compile(const ast::Query& query, const QueryRunOptions& options, QuerySink sink);
  ~QueryRun();
  QueryRun(const QueryRun&) = delete;
  QueryRun& operator=(const QueryRun&) = delete;

  Kind kind() const;
  /// Whether each match is handed over as its event comes (QueryRunOptions::live took effect).
  bool live() const;
  /// The fields the event filter reads (an event query's; empty otherwise).
  std::vector<std::string> filter_fields() const;
  /// The fields the process tree reads (empty without lineage conditions).
  std::vector<std::string> lineage_fields() const;
  /// Whether the query has hunting pipes, and the columns of the rows after the last
  /// aggregating one (empty: the rows are events).
  bool has_hunting_pipes() const;
  std::vector<std::string> pipe_columns() const;

  /// The next event; its `ordinal` set by the caller. False once the limits are reached:
  /// no later event can change the results shown.
  bool push(const EventRef& event);
  bool push(Event&& event);
  /// End of input: the remaining results go to the sink.
  void finish();

  const QueryRunStats& stats() const;
  /// A sequence's matcher counters (nullptr for other queries).
  const SequenceStats* sequence_stats() const;

  struct Impl;

 private:
  explicit QueryRun(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eql
