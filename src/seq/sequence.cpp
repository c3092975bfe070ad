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
//
// The per-event path is kept free of allocation once warm: an event's keys are read into
// reused buffers (seq::EventKeys) and looked up by hash in an index over the key slots
// (seq::HandleIndex), so a lookup builds no key; slots, partial places and their event
// buffers are reused as keys and partials come and go.
#include <algorithm>
#include <deque>
#include <queue>

#include "eql/sequence.h"
#include "seq/key_index.h"
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
  /// The first stage whose keys read the same fields the same way: stages that share it
  /// share one reading of an event's keys (a sequence's stages mostly join on its `by`
  /// fields alone, and `with runs=N` stages always match together).
  std::size_t key_reading = 0;
  /// Endpoint dialect: for each alias the stage's condition reads (FilterProgram::aliases),
  /// the normal stage it names; empty when the condition reads the event alone.
  std::vector<std::size_t> alias_positions;
  /// Later stages read this stage's event through its alias: partials keep it whole.
  bool aliased = false;
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

/// A partial sequence, or (id 0) an empty place for one. Places keep their event buffer
/// when a partial moves on, completes or is dropped, so partials reuse buffers instead of
/// allocating one per start.
struct Partial {
  std::uint64_t id = 0;
  std::vector<EventRef> events;  ///< one per normal stage reached so far
  std::vector<std::uint64_t> orders;  ///< of each event: its place in the matcher's order (Mark::order)
  EpochNanos first_time = 0;

  bool live() const { return id != 0; }
  void clear() {
    id = 0;
    events.clear();
    orders.clear();
  }
};

/// An event that matched a missing stage: its time, and its place in the order the
/// matcher was given events in (time, tiebreaker, input position: its push count), which
/// tells whether it lies between, before or after a sequence's events. (Not the input
/// position: out-of-order input is pushed sorted, and an event read later may come first.)
struct Mark {
  EpochNanos time = 0;
  std::uint64_t order = 0;
  std::uint64_t ordinal = 0;  ///< Event::ordinal of the event (what an observer is told)
};

struct KeyState {
  std::vector<Partial> pending;        ///< one place per normal stage
  /// A sequence with cross-stage conditions keeps every partial instead (any stage, in
  /// creation order of their first events); `pending` stays empty.
  std::vector<Partial> crossing;
  std::vector<std::deque<Mark>> marks; ///< per missing stage
  std::size_t live_partials = 0;

  bool empty() const {
    return live_partials == 0 &&
           std::all_of(marks.begin(), marks.end(), [](const auto& m) { return m.empty(); });
  }
};

/// A mark that decided a candidate's fate, with the missing stage it belongs to.
struct FoundMark {
  Mark mark;
  std::size_t missing = 0;  ///< index into missing_stages
};

/// A completed candidate waiting for the end of its trailing missing-event window.
struct Waiting {
  EpochNanos deadline = 0;
  CompositeKey key;
  std::vector<EventRef> events;
  std::vector<std::uint64_t> orders;  ///< as Partial::orders
  std::optional<EpochNanos> latest_leading;  ///< floating window: latest leading mark
  std::optional<FoundMark> leading_found;    ///< that mark, for an observer
};

/// Where a key's state is: its slot, and the key id that slot must still hold (ids are
/// never reused, so a reference outliving its key finds a different id or a free slot).
struct KeyRef {
  std::uint32_t slot = 0;
  std::uint64_t key_id = 0;
};

struct Deadline {
  EpochNanos time;
  KeyRef key;
  std::uint64_t partial_id;  ///< 0: a mark's expiry (prune the key's marks)
  bool operator>(const Deadline& other) const { return time > other.time; }
};

struct Created {
  KeyRef key;
  std::uint64_t partial_id;
};

/// A FIFO over one vector that keeps its storage: popped entries are compacted away in
/// place once they make up half of it, so steady use allocates nothing (a std::deque
/// allocates a block every few dozen pushes).
template <class T>
class Fifo {
 public:
  void push_back(const T& item) { items_.push_back(item); }
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  const T& front() const { return items_[head_]; }
  void pop_front() {
    ++head_;
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 1024 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  /// Keeps the entries `keep` accepts, in order.
  template <class Keep>
  void retain(Keep&& keep) {
    std::size_t kept = 0;
    for (std::size_t i = head_; i < items_.size(); ++i) {
      if (keep(items_[i])) items_[kept++] = items_[i];
    }
    items_.resize(kept);
    head_ = 0;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

struct Completed {
  std::uint64_t last_order;   // Partial::orders of its last and first events
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
  /// Some stage's condition reads an aliased stage's event: every partial is kept and
  /// judged on its own (KeyState::crossing; docs/endpoint.md).
  bool cross = false;
  std::vector<const Event*> aliased_scratch;

  /// The state of one composite key. Slots of dropped keys are reused (key_id 0 while
  /// free), with their buffers.
  struct Slot {
    std::uint64_t key_id = 0;
    std::uint64_t hash = 0;
    CompositeKey key;
    KeyState state;
  };
  std::vector<Slot> slots;
  std::vector<std::uint32_t> free_slots;
  seq::HandleIndex key_index;  ///< hash of a key -> its slot
  std::uint64_t next_key_id = 1;
  std::uint64_t next_partial_id = 1;

  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines;
  Fifo<Created> creation_order;
  std::vector<Waiting> waiting;
  std::vector<Completed> completed;
  SequenceStats stats;
  EpochNanos now = INT64_MIN;

  // Scratch reused from event to event: the current event's keys for the stages and for
  // `until`, and the partial being completed.
  seq::EventKeys event_keys;
  seq::EventKeys until_keys;
  std::uint64_t push_order = 0;  // events pushed with a timestamp, the current one included
  Partial completing;
  SequenceObserver* observer = nullptr;
  const Event* pushing = nullptr;  // the event push() is deciding (for the observer)

  /// The query term of the normal stage a partial with `held` events waits for.
  std::size_t waited_term(std::size_t held) const { return stages[normal[held]].term; }

  KeyRef ref_of(std::uint32_t slot) const { return {slot, slots[slot].key_id}; }

  std::optional<std::uint32_t> find_key(const seq::EventKeys& keys, std::size_t k) const {
    return key_index.find(keys.hash(k), [&](std::uint32_t slot) { return keys.equals(k, slots[slot].key); });
  }

  std::optional<std::uint32_t> find_key(const CompositeKey& key) const {
    return key_index.find(seq::hash_key(key),
                          [&](std::uint32_t slot) { return compare(key, slots[slot].key) == 0; });
  }

  /// The slot of key `k` of `keys`, made when the key has no state.
  std::uint32_t slot_for(const seq::EventKeys& keys, std::size_t k) {
    std::uint64_t hash = keys.hash(k);
    if (auto found = key_index.find(hash, [&](std::uint32_t slot) { return keys.equals(k, slots[slot].key); })) {
      return *found;
    }
    std::uint32_t index;
    if (!free_slots.empty()) {
      index = free_slots.back();
      free_slots.pop_back();  // a free slot's state is empty, its places sized
    } else {
      index = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
      slots.back().state.pending.resize(normal.size());
      slots.back().state.marks.resize(missing_stages.size());
    }
    Slot& slot = slots[index];
    slot.key_id = next_key_id++;
    slot.hash = hash;
    keys.copy_to(k, slot.key);
    key_index.insert(hash, index);
    return index;
  }

  Slot* find_slot(KeyRef ref) {
    Slot& slot = slots[ref.slot];
    return slot.key_id == ref.key_id ? &slot : nullptr;
  }

  void drop_if_empty(KeyRef ref) {
    Slot* slot = find_slot(ref);
    if (!slot || !slot->state.empty()) return;
    key_index.erase(slot->hash, ref.slot);
    slot->key_id = 0;
    free_slots.push_back(ref.slot);
  }

  /// Empties a place that holds a live partial.
  void discard(KeyState& state, Partial& place) {
    place.clear();
    --state.live_partials;
    --stats.pending;
  }

  /// Removes the partial `partial_id` of a key wherever it waits; false when it is gone.
  bool remove_partial(Slot& slot, std::uint64_t partial_id) {
    for (auto& place : slot.state.pending) {
      if (place.id == partial_id) {
        discard(slot.state, place);
        return true;
      }
    }
    auto& crossing = slot.state.crossing;
    for (auto it = crossing.begin(); it != crossing.end(); ++it) {
      if (it->id == partial_id) {
        crossing.erase(it);  // in place: the order of the others decides nothing but stays
        --slot.state.live_partials;
        --stats.pending;
        return true;
      }
    }
    return false;
  }

  /// An aliased stage's event is kept whole (its fields are read again by later stages'
  /// conditions); any other waits as a copy without parsed fields.
  EventRef kept_event(std::size_t normal_position, const EventRef& event) const {
    return stages[normal[normal_position]].aliased ? event : waiting_copy(event);
  }

  void start_partial(std::uint32_t index, const EventRef& event) {
    Slot& slot = slots[index];
    if (cross) slot.state.crossing.emplace_back();  // no partial overwrites another
    Partial& place = cross ? slot.state.crossing.back() : slot.state.pending[0];
    if (place.live()) {
      --slot.state.live_partials;
      --stats.pending;
    }
    place.events.clear();
    place.events.reserve(normal.size());
    place.id = next_partial_id++;
    place.events.push_back(kept_event(0, event));
    place.orders.clear();
    place.orders.push_back(push_order);
    place.first_time = *event->timestamp;
    ++slot.state.live_partials;
    ++stats.pending;
    stats.peak_pending = std::max(stats.peak_pending, stats.pending);
    if (maxspan_nanos) deadlines.push({place.first_time + *maxspan_nanos, ref_of(index), place.id});
    creation_order.push_back({ref_of(index), place.id});
    enforce_cap();
  }

  void enforce_cap() {
    while (stats.pending > options.max_pending && !creation_order.empty()) {
      Created oldest = creation_order.front();
      creation_order.pop_front();
      if (Slot* slot = find_slot(oldest.key); slot && remove_partial(*slot, oldest.partial_id)) {
        ++stats.evicted;
        drop_if_empty(oldest.key);
      }
    }
    // The FIFO also holds entries of partials that completed or expired; trim them when
    // they dominate, so it stays proportional to the live state.
    if (creation_order.size() > 4 * (stats.pending + 1024)) {
      creation_order.retain([&](const Created& c) {
        const Slot* slot = find_slot(c.key);
        auto holds = [&](const Partial& place) { return place.id == c.partial_id; };
        return slot && (std::any_of(slot->state.pending.begin(), slot->state.pending.end(), holds) ||
                        std::any_of(slot->state.crossing.begin(), slot->state.crossing.end(), holds));
      });
    }
  }

  /// Drops what event time has made useless: expired partials, old marks, empty keys.
  void advance_time(EpochNanos time) {
    now = std::max(now, time);
    if (!maxspan_nanos) return;
    while (!deadlines.empty() && deadlines.top().time < now) {
      Deadline d = deadlines.top();
      deadlines.pop();
      Slot* slot = find_slot(d.key);
      if (!slot) continue;
      if (d.partial_id != 0) {
        if (observer) note_expired(*slot, d);
        if (remove_partial(*slot, d.partial_id)) ++stats.expired;
      } else {
        prune_marks(slot->state);
      }
      drop_if_empty(d.key);
    }
  }

  void note_expired(const Slot& slot, const Deadline& d) {
    auto note = [&](const Partial& place) {
      if (place.id != d.partial_id || pushing == nullptr) return;
      observer->expired(place.events, waited_term(place.events.size()), slot.key, *pushing, now - d.time);
    };
    for (const Partial& place : slot.state.pending) note(place);
    for (const Partial& place : slot.state.crossing) note(place);
  }

  void prune_marks(KeyState& state) {
    // A mark matters while a window could still reach back to it: leading windows reach
    // back maxspan from the current event, gaps never further.
    EpochNanos horizon = now - *maxspan_nanos;
    for (auto& marks : state.marks) {
      while (!marks.empty() && marks.front().time < horizon) marks.pop_front();
    }
  }

  /// The first mark of a missing stage strictly between two input positions, or nullptr.
  static const Mark* mark_between(const std::deque<Mark>& marks, std::uint64_t after, std::uint64_t before) {
    auto found = std::find_if(marks.begin(), marks.end(), [&](const Mark& mark) {
      return mark.order > after && mark.order < before;
    });
    return found == marks.end() ? nullptr : &*found;
  }

  /// Tells the observer that a missing-event stage's mark dropped a candidate.
  void note_missing_found(const std::vector<EventRef>& candidate, const CompositeKey& key, const FoundMark& found) {
    if (observer) observer->missing_found(candidate, stages[missing_stages[found.missing]].term, key, found.mark.ordinal);
  }

  /// A candidate of key `k` of the current event: kept, waiting or emitted.
  void complete(const Slot& slot, std::size_t k, const Partial& partial) {
    const auto& events = partial.events;
    // Middle gaps: no missing event between the two normal events around it.
    std::optional<EpochNanos> latest_leading;
    std::optional<FoundMark> leading_found;
    for (std::size_t m = 0; m < missing_stages.size(); ++m) {
      const Stage& stage = stages[missing_stages[m]];
      const auto& marks = slot.state.marks[m];
      if (stage.position > 0 && stage.position < normal.size()) {
        if (const Mark* found =
                mark_between(marks, partial.orders[stage.position - 1], partial.orders[stage.position])) {
          note_missing_found(events, slot.key, FoundMark{*found, m});
          return;
        }
      } else if (stage.position == 0) {
        // Leading: the window reaches back maxspan from the last event.
        EpochNanos window_start = *events.back()->timestamp - *maxspan_nanos;
        for (const Mark& mark : marks) {
          if (mark.order < partial.orders.front() && mark.time >= window_start &&
              mark.time >= latest_leading.value_or(INT64_MIN)) {
            latest_leading = mark.time;
            leading_found = FoundMark{mark, m};
          }
        }
      }
    }
    if (latest_leading && !has_trailing) {
      note_missing_found(events, slot.key, *leading_found);
      return;
    }
    // The result carries the current event's spelling of the key (it may compare equal to
    // the stored one and still print otherwise: `1` and `1.0`, an IPv4 and its IPv6 form).
    if (has_trailing) {
      Waiting w;
      w.deadline = partial.first_time + *maxspan_nanos;
      w.key = event_keys.materialize(k);
      w.events = events;
      w.orders = partial.orders;
      w.latest_leading = latest_leading;
      w.leading_found = leading_found;
      waiting.push_back(std::move(w));
      return;
    }
    emit(event_keys.materialize(k), events, partial.orders);
  }

  void emit(CompositeKey key, const std::vector<EventRef>& normal_events, const std::vector<std::uint64_t>& orders) {
    Completed done;
    done.first_order = orders.front();
    done.last_order = orders.back();
    done.result.keys = std::move(key);
    // Lay the events out in stage order with a placeholder for each missing stage.
    done.result.events.reserve(stages.size());
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
    if (std::none_of(waiting.begin(), waiting.end(), ready)) return;
    std::vector<Waiting> still;
    std::vector<Waiting> decided;
    for (auto& w : waiting) (ready(w) ? decided : still).push_back(std::move(w));
    waiting = std::move(still);
    for (Waiting& w : decided) {
      // By key, not id: the key's state may have been dropped and made anew since.
      auto found = find_key(w.key);
      const Slot* slot = found ? &slots[*found] : nullptr;
      std::optional<EpochNanos> earliest_trailing;
      std::optional<FoundMark> trailing_found;
      if (slot) {
        for (std::size_t m = 0; m < missing_stages.size(); ++m) {
          if (stages[missing_stages[m]].position != normal.size()) continue;
          for (const Mark& mark : slot->state.marks[m]) {
            if (mark.order > w.orders.back() && mark.time <= w.deadline &&
                mark.time < earliest_trailing.value_or(INT64_MAX)) {
              earliest_trailing = mark.time;
              trailing_found = FoundMark{mark, m};
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
      if (keep) {
        emit(std::move(w.key), w.events, w.orders);
      } else if (trailing_found || w.leading_found) {
        note_missing_found(w.events, w.key, trailing_found ? *trailing_found : *w.leading_found);
      }
    }
  }

  // `term_matches`: the caller's verdicts of the term filters (see SequenceMatcher::push),
  // or nullopt to evaluate them here.
  bool stage_matches(const Stage& stage, const Event& event, EvalContext& context,
                     std::optional<std::uint64_t> term_matches) const {
    if (term_matches) return (*term_matches >> stage.term) & 1;
    return stage.filter.matches(event, context);
  }

  /// Stage `i` (a missing one) matched: the event is remembered under key `k`.
  void mark_missing(std::size_t i, std::size_t k, const Event& event) {
    std::uint32_t index = slot_for(event_keys, k);
    KeyState& state = slots[index].state;
    prune_marks(state);
    auto m = static_cast<std::size_t>(
        std::find(missing_stages.begin(), missing_stages.end(), i) - missing_stages.begin());
    state.marks[m].push_back({*event.timestamp, push_order, event.ordinal});
    deadlines.push({*event.timestamp + *maxspan_nanos + 1, ref_of(index), 0});
  }

  /// Whether the condition of normal stage `n` holds of `event` within `partial`: its
  /// cross-stage comparisons read the partial's aliased events.
  bool holds_within(std::size_t n, const Event& event, const Partial& partial, EvalContext& context) {
    const Stage& stage = stages[normal[n]];
    if (stage.alias_positions.empty()) return true;  // decided by the stage's verdict already
    aliased_scratch.clear();
    for (std::size_t position : stage.alias_positions) aliased_scratch.push_back(partial.events[position].get());
    return stage.filter.matches_in_sequence(event, aliased_scratch, context);
  }

  /// Normal stage `n` > 0 matched (its necessary condition) in a sequence with cross-stage
  /// conditions: every partial of key `k` waiting at stage n-1 whose condition holds
  /// within it moves on (or completes); the others keep waiting.
  void advance_crossing(std::size_t n, std::size_t k, const EventRef& event, EvalContext& context) {
    auto found = find_key(event_keys, k);
    KeyState* state = found ? &slots[*found].state : nullptr;
    auto waits = [&](const Partial& p) { return p.events.size() == n; };
    if (!state || std::none_of(state->crossing.begin(), state->crossing.end(), waits)) {
      if (observer) observer->unmatched(waited_term(n), event_keys.materialize(k), *event);
      return;
    }
    KeyRef ref = ref_of(*found);
    Slot& slot = slots[*found];
    auto& crossing = slot.state.crossing;
    // Indexes, not iterators: completing erases, and an advanced partial no longer waits
    // at n-1, so no partial moves twice on one event.
    for (std::size_t i = 0; i < crossing.size();) {
      Partial& partial = crossing[i];
      if (partial.events.size() != n) {
        ++i;
        continue;
      }
      if (maxspan_nanos && *event->timestamp - partial.first_time > *maxspan_nanos) {
        if (observer) {
          observer->expired(partial.events, waited_term(n), slot.key, *event,
                            *event->timestamp - partial.first_time - *maxspan_nanos);
        }
        crossing.erase(crossing.begin() + static_cast<std::ptrdiff_t>(i));
        --slot.state.live_partials;
        --stats.pending;
        ++stats.expired;
        continue;
      }
      if (!holds_within(n, *event, partial, context)) {
        ++i;
        continue;
      }
      if (n + 1 == normal.size()) {
        std::swap(completing, partial);
        crossing.erase(crossing.begin() + static_cast<std::ptrdiff_t>(i));
        --slot.state.live_partials;
        --stats.pending;
        completing.events.push_back(event);
        completing.orders.push_back(push_order);
        complete(slot, k, completing);
        completing.clear();
        continue;
      }
      partial.events.push_back(kept_event(n, event));
      partial.orders.push_back(push_order);
      ++i;
    }
    drop_if_empty(ref);
  }

  /// Normal stage `n` > 0 matched: the partial of key `k` waiting at stage n-1 moves on.
  void advance_partial(std::size_t n, std::size_t k, const EventRef& event) {
    auto found = find_key(event_keys, k);
    if (!found || !slots[*found].state.pending[n - 1].live()) {
      if (observer) observer->unmatched(waited_term(n), event_keys.materialize(k), *event);
      return;
    }
    KeyRef ref = ref_of(*found);
    Slot& slot = slots[*found];
    Partial& previous = slot.state.pending[n - 1];
    if (maxspan_nanos && *event->timestamp - previous.first_time > *maxspan_nanos) {
      if (observer) {
        observer->expired(previous.events, waited_term(n), slot.key, *event,
                          *event->timestamp - previous.first_time - *maxspan_nanos);
      }
      discard(slot.state, previous);
      ++stats.expired;
      drop_if_empty(ref);
      return;
    }
    if (n + 1 == normal.size()) {
      std::swap(completing, previous);  // the partial leaves its place for the scratch
      discard(slot.state, previous);
      completing.events.push_back(event);
      completing.orders.push_back(push_order);
      complete(slot, k, completing);
      completing.clear();
      drop_if_empty(ref);
      return;
    }
    // At most one partial per stage and key: the newer one wins.
    Partial& next = slot.state.pending[n];
    if (next.live()) discard(slot.state, next);
    std::swap(previous, next);  // `previous` becomes the empty place, with next's buffer
    next.events.push_back(kept_event(n, event));
    next.orders.push_back(push_order);
  }

  void push(const EventRef& event, EvalContext& context, std::optional<std::uint64_t> term_matches) {
    ++stats.events_seen;
    if (!event->timestamp) {
      ++stats.events_without_timestamp;
      return;
    }
    EpochNanos time = *event->timestamp;
    ++push_order;
    pushing = event.get();
    if (has_trailing) decide_waiting(time, false);
    advance_time(time);

    // Later stages first: one event may complete a sequence and start the next.
    std::optional<std::size_t> keys_read_as;  // the key_reading event_keys holds now
    bool overflow = false;
    for (std::size_t i = stages.size(); i-- > 0;) {
      const Stage& stage = stages[i];
      if (!stage_matches(stage, *event, context, term_matches)) continue;
      if (keys_read_as != stage.key_reading) {
        event_keys.read(*event, stage.keys, options.max_keys_per_event, overflow);
        keys_read_as = stage.key_reading;
      }
      if (overflow) ++stats.key_overflow;  // once per stage, as each stage drops the event
      for (std::size_t k = 0; k < event_keys.size(); ++k) {
        if (stage.missing) {
          mark_missing(i, k, *event);
        } else if (stage.position > 0 && cross) {
          advance_crossing(stage.position, k, event, context);
        } else if (stage.position > 0) {
          advance_partial(stage.position, k, event);
        } else if (normal.size() > 1) {
          start_partial(slot_for(event_keys, k), event);
        } else {
          std::uint32_t index = slot_for(event_keys, k);
          completing.clear();
          completing.events.push_back(event);
          completing.orders.push_back(push_order);
          completing.first_time = time;
          complete(slots[index], k, completing);
          completing.clear();
          drop_if_empty(ref_of(index));
        }
      }
    }
    if (until && stage_matches(*until, *event, context, term_matches)) {
      bool until_overflow = false;  // not counted: the key overflow counts stage matches
      until_keys.read(*event, until->keys, options.max_keys_per_event, until_overflow);
      for (std::size_t k = 0; k < until_keys.size(); ++k) {
        auto found = find_key(until_keys, k);
        if (!found) continue;
        KeyState& state = slots[*found].state;
        for (auto& place : state.pending) {
          if (!place.live()) continue;
          if (observer) observer->ended(place.events, waited_term(place.events.size()), slots[*found].key, *event);
          discard(state, place);
        }
        for (const Partial& place : state.crossing) {
          if (observer) observer->ended(place.events, waited_term(place.events.size()), slots[*found].key, *event);
          --state.live_partials;
          --stats.pending;
        }
        state.crossing.clear();
        drop_if_empty(ref_of(*found));
      }
    }
    stats.keys = key_index.size();
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
  return compile(sequence, options, {});
}

SequenceCompileResult SequenceMatcher::compile(const ast::Sequence& sequence, const SequenceOptions& options,
                                               const std::vector<FilterProgram>& term_filters) {
  SequenceCompileResult result;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (sequence.maxspan) impl->maxspan_nanos = sequence.maxspan->millis * kNanosPerMilli;
  JsonFieldTypes json_types;
  const FieldTypes& types = options.filter.field_types ? *options.filter.field_types : json_types;

  auto compile_stage = [&](const ast::Term& term, std::size_t term_index) -> std::optional<Stage> {
    FilterCompileResult filter;
    if (term_index < term_filters.size()) {
      filter.program = term_filters[term_index];
    } else {
      filter = compile_filter(term.filter, options.filter);
    }
    for (auto& d : filter.diagnostics) result.diagnostics.push_back(std::move(d));
    if (!filter.program) return std::nullopt;
    // The query's keys come first, then the term's own, matched by position.
    std::vector<const ast::Expr*> keys;
    for (const auto& k : sequence.keys) keys.push_back(k.get());
    for (const auto& k : term.keys) keys.push_back(k.get());
    return Stage{std::move(*filter.program), seq::compile_keys(keys, types, result.diagnostics),
                 term.missing, 0, term_index, 0, {}, false};
  };

  // Endpoint dialect: where each alias names a stage. A missing stage's events and a
  // repeated stage's (`with runs=N`) are not one event a later condition could read.
  struct Named {
    std::string alias;
    std::optional<std::size_t> position;
  };
  std::vector<Named> named;
  auto refuse = [&](const std::string& what, Span span) {
    result.diagnostics.push_back({Severity::Error, "eval.endpoint-unsupported",
                                  what + " (endpoint dialect) is not evaluated", span, {}});
  };
  std::size_t normal_count = 0;
  for (std::size_t t = 0; t < sequence.terms.size(); ++t) {
    const ast::Term& term = sequence.terms[t];
    std::optional<Stage> stage = compile_stage(term, t);
    if (!stage) return result;
    if (!term.alias.empty()) {
      named.push_back({term.alias, term.missing || term.runs != 1 ? std::nullopt
                                                                  : std::optional<std::size_t>(normal_count)});
    }
    for (const std::string& alias : stage->filter.aliases()) {
      auto target = std::find_if(named.begin(), named.end(), [&](const Named& n) { return n.alias == alias; });
      if (term.missing) {
        refuse("a reference to an aliased stage in a missing-event stage", term.span);
      } else if (target == named.end() || !target->position) {
        refuse("a reference to `" + alias + "`, the alias of a missing-event or repeated stage", term.span);
      } else {
        stage->alias_positions.push_back(*target->position);
      }
    }
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
  for (Stage& stage : impl->stages) {
    auto same = std::find_if(impl->stages.begin(), impl->stages.end(),
                             [&](const Stage& other) { return other.keys == stage.keys; });
    stage.key_reading = static_cast<std::size_t>(same - impl->stages.begin());
  }
  for (Stage& stage : impl->stages) {
    if (stage.alias_positions.empty()) continue;
    impl->cross = true;
    for (std::size_t position : stage.alias_positions) impl->stages[impl->normal[position]].aliased = true;
  }
  for (std::size_t m : impl->missing_stages) {
    if (impl->stages[m].position == 0) impl->has_leading = true;
    if (impl->stages[m].position == normal_count) impl->has_trailing = true;
  }
  if (sequence.until) {
    impl->until = compile_stage(*sequence.until, sequence.terms.size());
    if (!impl->until) return result;
    if (!impl->until->filter.aliases().empty()) {
      refuse("a reference to an aliased stage in `until`", sequence.until->span);
    }
  }
  if (has_errors(result.diagnostics) || impl->normal.empty()) return result;
  impl->completing.events.reserve(impl->normal.size());
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

std::vector<std::string> SequenceMatcher::fields() const {
  std::vector<std::string> paths;
  auto add = [&](const Stage& stage) {
    for (std::string& path : stage.filter.fields()) paths.push_back(std::move(path));
    seq::add_key_paths(stage.keys, paths);
  };
  for (const Stage& stage : impl_->stages) add(stage);
  if (impl_->until) add(*impl_->until);
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}
void SequenceMatcher::set_observer(SequenceObserver* observer) { impl_->observer = observer; }

}  // namespace eql
