// The stream reorder window of the rule runner (src/run/runner.cpp) and of a query run's
// stream mode (src/query/query_run.cpp): events wait in it until they are older than the
// window, then go to the sequences in time order. Internal to the library.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "eql/event.h"
#include "eql/sequence.h"

namespace eql::detail {

inline constexpr std::uint64_t kTermsUndecided = ~std::uint64_t{0};
struct SequenceUse {
  std::uint32_t flagged = 0;
  std::uint64_t term_matches = kTermsUndecided;
};

// A stream reorder window: the events waiting for release, each with the sequence rules
// that can use it, given back oldest first (sequence_order_before). Events that come in
// order (the usual case) wait in a queue, in order already; only those older than the
// queue's newest go to a heap, and the oldest of the two fronts leaves first. The event's
// timestamp is kept beside it, so most comparisons read no Event.
//
// On a live stream the window also bounds how long an event waits in wall-clock time
// (RunnerOptions::max_delay_ms): the arrival of each event is noted, and overdue_until()
// tells up to which event time the window must release so that no event waits longer.
class ReorderWindow {
 public:
  using Clock = std::chrono::steady_clock;
  struct Waiting {
    EventRef event;
    std::vector<SequenceUse> rules;
    EpochNanos time = 0;  // *event->timestamp
  };

  bool empty() const { return in_order_.empty() && late_.empty(); }
  void push(EventRef event, std::vector<SequenceUse> rules) {
    Waiting waiting{std::move(event), std::move(rules), 0};
    waiting.time = *waiting.event->timestamp;
    if (in_order_.empty() || !before(waiting, in_order_.back())) {
      in_order_.push_back(std::move(waiting));
      return;
    }
    late_.push_back(std::move(waiting));
    std::push_heap(late_.begin(), late_.end(), Later{});
  }
  // The same, noting when the event came (a live stream bounded by wall-clock time).
  void push(EventRef event, std::vector<SequenceUse> rules, Clock::time_point arrived) {
    arrivals_.emplace_back(arrived, *event->timestamp);
    push(std::move(event), std::move(rules));
  }
  // The newest event time among the events that came at or before `deadline`: releasing
  // every event up to it (in time order) releases every one of them. Forgets those arrivals.
  std::optional<EpochNanos> overdue_until(Clock::time_point deadline) {
    std::optional<EpochNanos> until;
    while (!arrivals_.empty() && arrivals_.front().first <= deadline) {
      until = until ? std::max(*until, arrivals_.front().second) : arrivals_.front().second;
      arrivals_.pop_front();
    }
    return until;
  }
  EpochNanos oldest_time() const { return oldest_in_order() ? in_order_.front().time : late_.front().time; }
  Waiting pop_oldest() {
    Waiting oldest;
    if (oldest_in_order()) {
      oldest = std::move(in_order_.front());
      in_order_.pop_front();
    } else {
      // A heap (std::pop_heap) rather than a priority_queue, whose top() can only be copied
      // out: the oldest event leaves with its rules moved, not copied.
      std::pop_heap(late_.begin(), late_.end(), Later{});
      oldest = std::move(late_.back());
      late_.pop_back();
    }
    return oldest;
  }
  void clear() {
    in_order_ = {};  // the memory too
    late_ = {};
    arrivals_ = {};
  }

 private:
  static bool before(const Waiting& a, const Waiting& b) {
    if (a.time != b.time) return a.time < b.time;
    return sequence_order_before(*a.event, *b.event);
  }
  struct Later {
    bool operator()(const Waiting& a, const Waiting& b) const { return before(b, a); }
  };
  // Needs a non-empty window.
  bool oldest_in_order() const {
    if (late_.empty()) return true;
    if (in_order_.empty()) return false;
    return before(in_order_.front(), late_.front());
  }
  std::deque<Waiting> in_order_;
  std::vector<Waiting> late_;  // a min-heap under Later
  std::deque<std::pair<Clock::time_point, EpochNanos>> arrivals_;  // in arrival order
};

}  // namespace eql::detail
