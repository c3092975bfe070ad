// The sequence state machine (docs/sequences.md).
//
// Per composite key there is at most one partial sequence per stage. An event matching
// stage i takes the partial waiting at stage i-1 forward (stages are visited from the last
// to the first, so one event can both complete a sequence and start the next), an event
// matching stage 0 starts a partial (overwriting an older one), `until` clears its key.
// Missing events `![...]` are not stages of the machine: the events matching them are
// remembered per key, and a completed candidate is kept only if none lies in its gaps.
// Partials expire with event time through a heap of deadlines and are capped in number
// through a FIFO of creation order, so no step ever scans all pending state.
#include <algorithm>
#include <deque>
#include <map>
#include <queue>
#include <unordered_map>

#include "eql/sequence.h"
#include "seq/keys.h"

namespace eql {

namespace {

constexpr std::int64_t kNanosPerMilli = 1'000'000;

struct Stage {
  FilterProgram filter;
  std::vector<seq::KeyField> keys;
  bool missing = false;
  /// For a missing stage: how many normal stages come before it (0 = leading,
  /// normal_count = trailing). For a normal stage: its index among the normal stages.
  std::size_t position = 0;
  /// The query term it came from (`with runs=N` repeats one term): its bit in the stage
  /// matches a caller may give push().
  std::size_t term = 0;
};

// An event that waits in a partial sequence is needed again only for its order (time,
// tiebreaker, input position) and, should the sequence complete, for the result, which
// reads its fields back from its JSON text (emit): so a partial holds a copy without the
// parsed fields, a few times smaller. Partials last up to maxspan, or to the end of the
// input without one, and outnumber the events of a reorder window. One event that starts
// partials of several matchers in a row (the rules of a runner) gets one copy.
EventRef waiting_copy(const EventRef& event) {
  thread_local EventRef last_event;  // held, so that its address cannot be reused meanwhile
  thread_local EventRef last_copy;
  if (event != last_event) {
    last_event = event;
    last_copy = std::make_shared<const Event>(event->without_fields());
  }
  return last_copy;
}

EventRef with_fields(const EventRef& event) {
  return event && event->fields_dropped() ? std::make_shared<const Event>(event->restored()) : event;
}

struct Partial {
  std::uint64_t id = 0;
  std::vector<EventRef> events;  ///< one per normal stage reached so far
  EpochNanos first_time = 0;
};

/// An event that matched a missing stage: its time and place in the input order.
struct Mark {
  EpochNanos time = 0;
  std::uint64_t order = 0;
};

struct KeyState {
  std::vector<std::optional<Partial>> pending;  ///< one slot per normal stage
  std::vector<std::deque<Mark>> marks;          ///< per missing stage
  std::size_t live_partials = 0;

  bool empty() const {
    return live_partials == 0 &&
           std::all_of(marks.begin(), marks.end(), [](const auto& m) { return m.empty(); });
  }
};

/// A completed candidate waiting for the end of its trailing missing-event window.
struct Waiting {
  EpochNanos deadline = 0;
  CompositeKey key;
  std::vector<EventRef> events;
  std::optional<EpochNanos> latest_leading;  ///< floating window: latest leading mark
};

struct Deadline {
  EpochNanos time;
  std::uint64_t key_id;
  std::uint64_t partial_id;  ///< 0: a mark's expiry (prune the key's marks)
  bool operator>(const Deadline& other) const { return time > other.time; }
};

struct Created {
  std::uint64_t key_id;
  std::uint64_t partial_id;
};

struct Completed {
  std::uint64_t last_order;
  std::uint64_t first_order;
  JoinResult result;
};

}  // namespace

struct SequenceMatcher::Impl {
  std::vector<Stage> stages;       ///< runs expanded, in query order
  std::vector<std::size_t> normal; ///< indices of the normal stages
  std::vector<std::size_t> missing_stages;
  std::optional<Stage> until;
  std::optional<std::int64_t> maxspan_nanos;
  SequenceOptions options;
  bool has_leading = false;
  bool has_trailing = false;

  std::map<CompositeKey, std::uint64_t, CompositeKeyLess> key_ids;
  struct Slot {
    KeyState state;
    std::map<CompositeKey, std::uint64_t, CompositeKeyLess>::iterator key;
  };
  std::unordered_map<std::uint64_t, Slot> states;
  std::uint64_t next_key_id = 1;
  std::uint64_t next_partial_id = 1;

  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines;
  std::deque<Created> creation_order;
  std::vector<Waiting> waiting;
  std::vector<Completed> completed;
  SequenceStats stats;
  EpochNanos now = INT64_MIN;

  Slot& slot_for(const CompositeKey& key) {
    auto [it, inserted] = key_ids.try_emplace(key, next_key_id);
    if (inserted) {
      ++next_key_id;
      Slot slot;
      slot.state.pending.resize(normal.size());
      slot.state.marks.resize(missing_stages.size());
      slot.key = it;
      states.emplace(it->second, std::move(slot));
    }
    return states.at(it->second);
  }

  Slot* find_slot(std::uint64_t key_id) {
    auto it = states.find(key_id);
    return it == states.end() ? nullptr : &it->second;
  }

  void drop_if_empty(std::uint64_t key_id) {
    auto it = states.find(key_id);
    if (it == states.end() || !it->second.state.empty()) return;
    key_ids.erase(it->second.key);
    states.erase(it);
  }

  /// Removes the partial `partial_id` of a key wherever it waits; false when it is gone.
  bool remove_partial(Slot& slot, std::uint64_t partial_id) {
    for (auto& pending : slot.state.pending) {
      if (pending && pending->id == partial_id) {
        pending.reset();
        --slot.state.live_partials;
        --stats.pending;
        return true;
      }
    }
    return false;
  }

  void store_partial(Slot& slot, std::size_t stage, Partial partial) {
    auto& target = slot.state.pending[stage];
    if (target) {
      // At most one partial per stage and key: the newer one wins.
      --slot.state.live_partials;
      --stats.pending;
    }
    target = std::move(partial);
    ++slot.state.live_partials;
    ++stats.pending;
    stats.peak_pending = std::max(stats.peak_pending, stats.pending);
  }

  void start_partial(Slot& slot, std::uint64_t key_id, const EventRef& event) {
    Partial partial;
    partial.id = next_partial_id++;
    partial.events.push_back(waiting_copy(event));
    partial.first_time = *event->timestamp;
    if (maxspan_nanos) {
      deadlines.push({partial.first_time + *maxspan_nanos, key_id, partial.id});
    }
    creation_order.push_back({key_id, partial.id});
    store_partial(slot, 0, std::move(partial));
    enforce_cap();
  }

  void enforce_cap() {
    while (stats.pending > options.max_pending && !creation_order.empty()) {
      Created oldest = creation_order.front();
      creation_order.pop_front();
      if (Slot* slot = find_slot(oldest.key_id); slot && remove_partial(*slot, oldest.partial_id)) {
        ++stats.evicted;
        drop_if_empty(oldest.key_id);
      }
    }
    // The FIFO also holds entries of partials that completed or expired; trim them when
    // they dominate, so it stays proportional to the live state.
    if (creation_order.size() > 4 * (stats.pending + 1024)) {
      std::deque<Created> live;
      for (const Created& c : creation_order) {
        Slot* slot = find_slot(c.key_id);
        if (!slot) continue;
        for (const auto& pending : slot->state.pending) {
          if (pending && pending->id == c.partial_id) {
            live.push_back(c);
            break;
          }
        }
      }
      creation_order = std::move(live);
    }
  }

  /// Drops what event time has made useless: expired partials, old marks, empty keys.
  void advance_time(EpochNanos time) {
    now = std::max(now, time);
    if (!maxspan_nanos) return;
    while (!deadlines.empty() && deadlines.top().time < now) {
      Deadline d = deadlines.top();
      deadlines.pop();
      Slot* slot = find_slot(d.key_id);
      if (!slot) continue;
      if (d.partial_id != 0) {
        if (remove_partial(*slot, d.partial_id)) ++stats.expired;
      } else {
        prune_marks(slot->state);
      }
      drop_if_empty(d.key_id);
    }
  }

  void prune_marks(KeyState& state) {
    // A mark matters while a window could still reach back to it: leading windows reach
    // back maxspan from the current event, gaps never further.
    EpochNanos horizon = now - *maxspan_nanos;
    for (auto& marks : state.marks) {
      while (!marks.empty() && marks.front().time < horizon) marks.pop_front();
    }
  }

  /// The first mark of missing stage `m` of a key strictly between two input positions.
  static bool any_mark_between(const std::deque<Mark>& marks, std::uint64_t after,
                               std::uint64_t before) {
    return std::any_of(marks.begin(), marks.end(), [&](const Mark& mark) {
      return mark.order > after && mark.order < before;
    });
  }

  void complete(std::uint64_t key_id, const CompositeKey& key, Partial partial) {
    Slot& slot = states.at(key_id);
    const auto& events = partial.events;
    // Middle gaps: no missing event between the two normal events around it.
    std::optional<EpochNanos> latest_leading;
    for (std::size_t m = 0; m < missing_stages.size(); ++m) {
      const Stage& stage = stages[missing_stages[m]];
      const auto& marks = slot.state.marks[m];
      if (stage.position > 0 && stage.position < normal.size()) {
        if (any_mark_between(marks, events[stage.position - 1]->ordinal,
                             events[stage.position]->ordinal)) {
          return;
        }
      } else if (stage.position == 0) {
        // Leading: the window reaches back maxspan from the last event.
        EpochNanos window_start = *events.back()->timestamp - *maxspan_nanos;
        for (const Mark& mark : marks) {
          if (mark.order < events.front()->ordinal && mark.time >= window_start) {
            latest_leading = std::max(latest_leading.value_or(INT64_MIN), mark.time);
          }
        }
      }
    }
    if (latest_leading && !has_trailing) return;
    if (has_trailing) {
      Waiting w;
      w.deadline = partial.first_time + *maxspan_nanos;
      w.key = key;
      w.events = std::move(partial.events);
      w.latest_leading = latest_leading;
      waiting.push_back(std::move(w));
      return;
    }
    emit(key, std::move(partial.events));
  }

  void emit(const CompositeKey& key, std::vector<EventRef> normal_events) {
    Completed done;
    done.first_order = normal_events.front()->ordinal;
    done.last_order = normal_events.back()->ordinal;
    done.result.keys = key;
    // Lay the events out in stage order with a placeholder for each missing stage.
    std::size_t next_normal = 0;
    for (const Stage& stage : stages) {
      done.result.events.push_back(stage.missing ? nullptr : with_fields(normal_events[next_normal++]));
    }
    completed.push_back(std::move(done));
    ++stats.completed;
  }

  /// Decides the candidates whose trailing window ends before `time`.
  void decide_waiting(EpochNanos time, bool everything) {
    auto ready = [&](const Waiting& w) { return everything || w.deadline < time; };
    std::vector<Waiting> still;
    std::vector<Waiting> decided;
    for (auto& w : waiting) (ready(w) ? decided : still).push_back(std::move(w));
    waiting = std::move(still);
    for (Waiting& w : decided) {
      // By key, not id: the key's state may have been dropped and made anew since.
      auto id = key_ids.find(w.key);
      Slot* slot = id == key_ids.end() ? nullptr : find_slot(id->second);
      std::optional<EpochNanos> earliest_trailing;
      if (slot) {
        for (std::size_t m = 0; m < missing_stages.size(); ++m) {
          if (stages[missing_stages[m]].position != normal.size()) continue;
          for (const Mark& mark : slot->state.marks[m]) {
            if (mark.order > w.events.back()->ordinal && mark.time <= w.deadline) {
              earliest_trailing = std::min(earliest_trailing.value_or(INT64_MAX), mark.time);
            }
          }
        }
      }
      bool keep;
      if (!has_leading) {
        keep = !earliest_trailing;
      } else {
        // Leading and trailing: some window of length maxspan covering the sequence must
        // hold neither a leading nor a trailing missing event.
        EpochNanos first = *w.events.front()->timestamp;
        EpochNanos last = *w.events.back()->timestamp;
        EpochNanos lo = last - *maxspan_nanos;
        if (w.latest_leading) lo = std::max(lo, *w.latest_leading + 1);
        EpochNanos hi = first;
        if (earliest_trailing) hi = std::min(hi, *earliest_trailing - *maxspan_nanos - 1);
        keep = lo <= hi;
      }
      if (keep) emit(w.key, std::move(w.events));
    }
  }

  // `term_matches`: the caller's verdicts of the term filters (see SequenceMatcher::push),
  // or nullopt to evaluate them here.
  bool stage_matches(const Stage& stage, const Event& event, EvalContext& context,
                     std::optional<std::uint64_t> term_matches) const {
    if (term_matches) return (*term_matches >> stage.term) & 1;
    return stage.filter.matches(event, context);
  }

  void push(const EventRef& event, EvalContext& context, std::optional<std::uint64_t> term_matches) {
    ++stats.events_seen;
    if (!event->timestamp) {
      ++stats.events_without_timestamp;
      return;
    }
    EpochNanos time = *event->timestamp;
    if (has_trailing) decide_waiting(time, false);
    advance_time(time);

    // Later stages first: one event may complete a sequence and start the next.
    for (std::size_t i = stages.size(); i-- > 0;) {
      const Stage& stage = stages[i];
      if (!stage_matches(stage, *event, context, term_matches)) continue;
      bool overflow = false;
      std::vector<CompositeKey> keys =
          seq::keys_of(*event, stage.keys, options.max_keys_per_event, overflow);
      if (overflow) ++stats.key_overflow;
      for (const CompositeKey& key : keys) {
        if (stage.missing) {
          Slot& slot = slot_for(key);
          std::uint64_t key_id = slot.key->second;
          prune_marks(slot.state);
          auto m = static_cast<std::size_t>(
              std::find(missing_stages.begin(), missing_stages.end(), i) - missing_stages.begin());
          slot.state.marks[m].push_back({time, event->ordinal});
          deadlines.push({time + *maxspan_nanos + 1, key_id, 0});
          continue;
        }
        std::size_t n = stage.position;
        if (n == 0) {
          Slot& slot = slot_for(key);
          std::uint64_t key_id = slot.key->second;
          if (normal.size() == 1) {
            Partial single;
            single.events.push_back(event);
            single.first_time = time;
            complete(key_id, key, std::move(single));
            drop_if_empty(key_id);
          } else {
            start_partial(slot, key_id, event);
          }
          continue;
        }
        auto id = key_ids.find(key);
        if (id == key_ids.end()) continue;
        std::uint64_t key_id = id->second;
        Slot& slot = states.at(key_id);
        auto& previous = slot.state.pending[n - 1];
        if (!previous) continue;
        Partial partial = std::move(*previous);
        previous.reset();
        --slot.state.live_partials;
        --stats.pending;
        if (maxspan_nanos && time - partial.first_time > *maxspan_nanos) {
          ++stats.expired;
          drop_if_empty(key_id);
          continue;
        }
        partial.events.push_back(n + 1 == normal.size() ? event : waiting_copy(event));
        if (n + 1 == normal.size()) {
          complete(key_id, key, std::move(partial));
          drop_if_empty(key_id);
        } else {
          store_partial(slot, n, std::move(partial));
        }
      }
    }
    if (until && stage_matches(*until, *event, context, term_matches)) {
      bool overflow = false;
      for (const CompositeKey& key :
           seq::keys_of(*event, until->keys, options.max_keys_per_event, overflow)) {
        auto id = key_ids.find(key);
        if (id == key_ids.end()) continue;
        Slot& slot = states.at(id->second);
        for (auto& pending : slot.state.pending) {
          if (pending) {
            pending.reset();
            --slot.state.live_partials;
            --stats.pending;
          }
        }
        drop_if_empty(id->second);
      }
    }
    stats.keys = states.size();
  }
};

bool sequence_order_before(const Event& a, const Event& b) {
  if (*a.timestamp != *b.timestamp) return *a.timestamp < *b.timestamp;
  const Value& x = a.tiebreaker;
  const Value& y = b.tiebreaker;
  if (!x.is_null() && !y.is_null()) {
    if (x.is_number() && y.is_number()) {
      if (x.as_double() != y.as_double()) return x.as_double() < y.as_double();
    } else if (x.kind == ValueKind::String && y.kind == ValueKind::String && x.string != y.string) {
      return x.string < y.string;
    }
  }
  return a.ordinal < b.ordinal;
}

SequenceMatcher::SequenceMatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SequenceMatcher::~SequenceMatcher() = default;

SequenceCompileResult SequenceMatcher::compile(const ast::Sequence& sequence,
                                               const SequenceOptions& options) {
  SequenceCompileResult result;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (sequence.maxspan) impl->maxspan_nanos = sequence.maxspan->millis * kNanosPerMilli;
  JsonFieldTypes json_types;
  const FieldTypes& types = options.filter.field_types ? *options.filter.field_types : json_types;

  auto compile_stage = [&](const ast::Term& term, std::size_t term_index) -> std::optional<Stage> {
    FilterCompileResult filter = compile_filter(term.filter, options.filter);
    for (auto& d : filter.diagnostics) result.diagnostics.push_back(std::move(d));
    if (!filter.program) return std::nullopt;
    // The query's keys come first, then the term's own, matched by position.
    std::vector<const ast::Expr*> keys;
    for (const auto& k : sequence.keys) keys.push_back(k.get());
    for (const auto& k : term.keys) keys.push_back(k.get());
    return Stage{std::move(*filter.program), seq::compile_keys(keys, types, result.diagnostics),
                 term.missing, 0, term_index};
  };

  std::size_t normal_count = 0;
  for (std::size_t t = 0; t < sequence.terms.size(); ++t) {
    const ast::Term& term = sequence.terms[t];
    std::optional<Stage> stage = compile_stage(term, t);
    if (!stage) return result;
    for (std::int64_t run = 0; run < term.runs; ++run) {  // `with runs=N`: N equal stages
      Stage copy = *stage;
      if (copy.missing) {
        copy.position = normal_count;
        impl->missing_stages.push_back(impl->stages.size());
      } else {
        copy.position = normal_count++;
        impl->normal.push_back(impl->stages.size());
      }
      impl->stages.push_back(std::move(copy));
    }
  }
  for (std::size_t m : impl->missing_stages) {
    if (impl->stages[m].position == 0) impl->has_leading = true;
    if (impl->stages[m].position == normal_count) impl->has_trailing = true;
  }
  if (sequence.until) {
    impl->until = compile_stage(*sequence.until, sequence.terms.size());
    if (!impl->until) return result;
  }
  if (has_errors(result.diagnostics) || impl->normal.empty()) return result;
  result.matcher.reset(new SequenceMatcher(std::move(impl)));
  return result;
}

void SequenceMatcher::push(const EventRef& event, EvalContext& context) {
  impl_->push(event, context, std::nullopt);
}

void SequenceMatcher::push(const EventRef& event, EvalContext& context, std::uint64_t term_matches) {
  impl_->push(event, context, term_matches);
}

void SequenceMatcher::finish() {
  if (impl_->has_trailing) impl_->decide_waiting(0, true);
}

std::vector<JoinResult> SequenceMatcher::take_results() {
  auto& done = impl_->completed;
  // Candidates decided late (trailing windows) may come after later completions: restore
  // the order by completion, then first event, then key.
  std::stable_sort(done.begin(), done.end(), [](const Completed& a, const Completed& b) {
    if (a.last_order != b.last_order) return a.last_order < b.last_order;
    if (a.first_order != b.first_order) return a.first_order < b.first_order;
    return compare(a.result.keys, b.result.keys) < 0;
  });
  std::vector<JoinResult> results;
  results.reserve(done.size());
  for (auto& c : done) results.push_back(std::move(c.result));
  done.clear();
  return results;
}

const SequenceStats& SequenceMatcher::stats() const { return impl_->stats; }
std::size_t SequenceMatcher::stage_count() const { return impl_->stages.size(); }

}  // namespace eql
