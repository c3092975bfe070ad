// Process lineage for `descendant of [process where ...]` and `child of [...]` (the
// endpoint dialect, issue 21): a bounded tree of the processes seen on each host, built
// from Elastic Defend's process events, that answers whether an ancestor (or the parent) of
// a process matched an inner query when it started. The model and its limits:
// docs/lineage.md.
//
// Narrow on purpose: conditions are predicates over events (the runner wraps a compiled
// FilterProgram), so the tree knows nothing of the AST and can be tested on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/lineage.h"

namespace eql {

struct LineageOptions {
  /// Processes held over all hosts; past it the tree evicts (ended processes first, the
  /// oldest first) and counts each eviction (`--max-processes`).
  std::size_t max_processes = 250'000;
  /// How long an ended process stays after its end event, in event time (a child's start
  /// event may arrive after its parent's end event).
  std::int64_t ended_grace_ns = 600'000'000'000;  // 10 minutes
  /// Ancestors visited at most by one question. Ancestry known when a process started is
  /// kept with it and needs no walk; the walk only finds ancestors linked later (a parent
  /// whose start event came after its child's).
  std::size_t max_walk = 64;
  /// The field whose values say a process event (`process`); other events are not fed.
  std::string category_field{kDefaultCategoryField};
};

struct LineageStats {
  std::uint64_t starts = 0;        ///< process start events taken in (new processes)
  std::uint64_t ends = 0;          ///< process end events of processes held
  std::uint64_t repeated_starts = 0;  ///< a start event of a process already held
  std::uint64_t expired = 0;       ///< ended processes removed after the grace period
  std::uint64_t evicted = 0;       ///< processes removed by the max_processes bound
  std::uint64_t walks_cut = 0;     ///< questions that stopped at max_walk ancestors
  std::size_t processes = 0;       ///< held now
  std::size_t peak = 0;            ///< most held at once
};

class ProcessTree final : public LineageSource {
 public:
  using ConditionId = std::uint32_t;
  using Condition = std::function<bool(const Event&)>;

  explicit ProcessTree(LineageOptions options = {});
  ~ProcessTree() override;
  ProcessTree(const ProcessTree&) = delete;
  ProcessTree& operator=(const ProcessTree&) = delete;

  /// Registers the inner query of a `descendant of`/`child of`. Add every condition before
  /// the first event: a process records the conditions its start event matched.
  ConditionId add_condition(Condition matches);
  /// The same with a compiled inner query (evaluated with the tree's own EvalContext).
  ConditionId add_condition(FilterProgram inner) override;
  std::size_t condition_count() const { return conditions_.size(); }
  /// The event fields the tree reads (its own, and its compiled inner queries'), for the
  /// reader's field selection: none while no condition is registered (no event is fed).
  std::vector<std::string> fields_read() const;

  /// Feeds one event, in time order, before any rule sees it. Process start events
  /// (event.type `start` or event.action `start`, `fork`, `exec`, `already_running`) add the
  /// process keyed by host.id + process.entity_id, with its parent process.parent.entity_id;
  /// end events (event.type or event.action `end`) start its grace period. Other events
  /// only advance the clock (Event::timestamp).
  void observe(const Event& event);

  /// Whether some ancestor of the process matched `condition` when it started.
  bool is_descendant_of(std::string_view host, std::string_view entity_id, ConditionId condition) const;
  /// Whether the parent of the process matched `condition` when it started.
  bool is_child_of(std::string_view host, std::string_view entity_id, ConditionId condition) const;
  /// Whether the process itself matched `condition` when it started (`event of`).
  bool is_event_of(std::string_view host, std::string_view entity_id, ConditionId condition) const;

  /// The same questions about the process an event is about (host.id, process.entity_id).
  /// When the process itself is not held, its ancestry is read from the event's
  /// process.parent.entity_id: the parent and the parent's ancestors.
  bool event_is_descendant_of(const Event& event, ConditionId condition) const;
  bool event_is_child_of(const Event& event, ConditionId condition) const;
  /// LineageSource: the question of `relation` about the event's process.
  bool related(const Event& event, Relation relation, std::uint32_t condition) const override;

  const LineageStats& stats() const { return stats_; }
  const LineageOptions& options() const { return options_; }

 private:
  /// Conditions matched, one bit each; empty when none (most processes match none).
  using Bits = std::vector<std::uint64_t>;
  struct Node;
  struct Host;
  struct Order {  // an entry of an eviction order: the host and the process's key
    Host* host = nullptr;
    std::string_view entity_id;  // the key held by Host::processes (stable)
  };
  struct Node {
    std::string parent;  // process.parent.entity_id; empty: none known
    Bits own;            // conditions this process matched when it started
    Bits parent_own;     // its parent's `own` when this process started (if held then)
    Bits above;          // its ancestors' `own` when this process started (held then)
    std::optional<std::int64_t> ended_at;
    std::list<Order>::iterator started_entry;
    std::list<Order>::iterator ended_entry;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  struct Host {
    std::string id;  // its key in hosts_
    std::unordered_map<std::string, Node, StringHash, std::equal_to<>> processes;
  };

  static bool has(const Bits& bits, ConditionId condition);
  static void merge(Bits& into, const Bits& from);
  const Node* find(std::string_view host, std::string_view entity_id) const;
  /// Whether an ancestor of `start` (itself excluded) matched, walking up at most max_walk.
  bool ancestor_matched(const Host& host, const Node& start, ConditionId condition) const;
  bool parent_or_above_matched(std::string_view host, std::string_view parent, ConditionId condition) const;
  void start(std::string_view host, std::string_view entity_id, std::string_view parent, const Event& event);
  void end(std::string_view host, std::string_view entity_id);
  void remove(Host& host, std::string_view entity_id);
  void expire();
  void make_room();

  LineageOptions options_;
  std::vector<Condition> conditions_;
  std::vector<std::string> inner_fields_;  // read by the compiled inner queries
  EvalContext context_;  // evaluates the conditions given as FilterPrograms
  std::unordered_map<std::string, std::unique_ptr<Host>, StringHash, std::equal_to<>> hosts_;
  std::list<Order> started_;  // every process held, oldest start first
  std::list<Order> ended_;    // ended processes held, oldest end first
  std::int64_t now_ = INT64_MIN;  // the newest event time seen
  mutable LineageStats stats_;
};

}  // namespace eql
