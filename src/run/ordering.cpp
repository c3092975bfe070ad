// The runner's orderings (src/run/ordering.h): held replay, reorder windows, and the
// optimistic exact mode's second pass.
#include "run/ordering.h"

#include <algorithm>

namespace eql::detail {

namespace {

// Marks a held event (or a rule of a waiting event) as one of the sequence's first stage.
constexpr std::uint32_t kFirstStage = 1u << 31;

bool earlier(const EventRef& a, const EventRef& b) { return sequence_order_before(*a, *b); }

// The kind of a tiebreaker value, as the comparison of sequence_order_before orders them.
int tiebreaker_class(const Value& value) {
  if (value.is_null()) return 0;
  if (value.is_number()) return 1;
  if (value.kind == ValueKind::String) return 2;
  return 0;  // compared by input order, like a missing one
}

}  // namespace

struct Ordering::Sequence {
  std::unique_ptr<const ast::Query> query;  // to compile the matcher afresh (give_up_sequences)
  SequenceOptions options;
  std::vector<FilterProgram> term_filters;  // compiled once, by the runner
  std::unique_ptr<SequenceMatcher> matcher;
  // Exact mode: the events it can use, as indexes into its timeline's held events, each
  // with kFirstStage when it matched the first stage.
  std::vector<std::uint32_t> held;
  // A sequence whose first stage is a normal one does nothing with events before (in time
  // order) the first event of that stage: no partial sequence exists for an `until` to
  // cancel or a later stage to extend, and a middle or trailing missing-event stage only
  // looks between the events of a sequence. So those events are not pushed to it.
  bool skips_until_first_stage = false;
  bool armed = false;  // it has seen an event of its first stage
  SequenceObserver* observer = nullptr;  // `eql explain`: told what the sequence gives up
};

// One ordering: the reader's (index 0) or a distinct timestamp_override/tiebreaker.
struct Ordering::Timeline {
  std::string key;  // empty for the reader's
  EventReadOptions options;
  EventRef current;  // the current event as this ordering sees it (a cheap copy)
  std::uint64_t current_event = UINT64_MAX;
  // Exact mode: every event some sequence rule of this ordering can use, once, whatever
  // the number of rules (they hold indexes into it).
  std::vector<EventRef> held;
  std::uint64_t last_held_event = UINT64_MAX;
  // Stream mode: one reorder window for all of the ordering's sequence rules; each event
  // in it with the rules that can use it.
  ReorderWindow window;
  std::vector<SequenceUse> current_rules;  // of the current event, while it is evaluated
  std::optional<EpochNanos> newest;
  EventRef last_released;
  // Optimistic exact mode: the kind of tiebreaker values seen (-1 none yet; see
  // tiebreaker_class).
  int tiebreaker_class = -1;
};

Ordering::Ordering(const RunnerOptions& options, RunnerStats& stats, EvalContext& context, Emit emit)
    : options_(options), stats_(stats), context_(context), emit_(std::move(emit)), timelines_(1) {
  if (options.order == RunnerOptions::Order::Exact && options.optimistic) phase_ = Phase::Optimistic;
}

Ordering::~Ordering() = default;

std::size_t Ordering::timeline_of(const Rule& rule) {
  if ((rule.timestamp_override.empty() || rule.timestamp_override == kDefaultTimestampField) &&
      rule.tiebreaker_field.empty()) {
    return 0;
  }
  EventReadOptions read;
  read.timestamp_field = rule.timestamp_override.empty() ? std::string(kDefaultTimestampField) : rule.timestamp_override;
  read.tiebreaker_field = rule.tiebreaker_field;
  std::string key = read.timestamp_field + '\n' + read.tiebreaker_field;
  auto found = std::find_if(timelines_.begin(), timelines_.end(), [&](const Timeline& t) { return t.key == key; });
  if (found == timelines_.end()) {
    timelines_.emplace_back();
    timelines_.back().key = key;
    timelines_.back().options = read;
    found = timelines_.end() - 1;
  }
  return static_cast<std::size_t>(found - timelines_.begin());
}

void Ordering::add_rule(const Rule& rule) {
  timeline_of_rule_.push_back(timeline_of(rule));
  sequences_.emplace_back();
}

void Ordering::add_sequence(const Rule& rule, std::unique_ptr<const ast::Query> query,
                            std::unique_ptr<SequenceMatcher> matcher, const SequenceOptions& sequence_options,
                            std::vector<FilterProgram> term_filters) {
  add_rule(rule);
  auto sequence = std::make_unique<Sequence>();
  const ast::Sequence& terms = *query->sequence();
  sequence->skips_until_first_stage = !terms.terms.empty() && !terms.terms.front().missing;
  sequence->query = std::move(query);
  sequence->options = sequence_options;
  sequence->term_filters = std::move(term_filters);
  sequence->matcher = std::move(matcher);
  sequences_.back() = std::move(sequence);
}

EventRef Ordering::view(std::size_t rule, const EventRef& event) {
  const std::size_t index = timeline_of_rule_[rule];
  Timeline& timeline = timelines_[index];
  if (timeline.current_event == stats_.events) return timeline.current;
  if (index == 0) {
    timeline.current = event;
    timeline.current_event = stats_.events;
    return event;
  }
  // Its own timestamp, falling back to @timestamp as Kibana does when the override field
  // is missing; the copy shares the fields: only the ordering data is its own.
  Event copy = *event;
  extract_ordering(copy, timeline.options);
  if (!copy.timestamp) copy.timestamp = event->timestamp;
  timeline.current = std::make_shared<const Event>(std::move(copy));
  timeline.current_event = stats_.events;
  return timeline.current;
}

// Whether the sequence rule needs this event: false for events before its first stage
// matched (see skips_until_first_stage). `flagged` carries kFirstStage.
bool Ordering::arm(Sequence& sequence, std::uint32_t flagged) {
  if (sequence.armed || !sequence.skips_until_first_stage) return true;
  if (!(flagged & kFirstStage)) return false;
  sequence.armed = true;
  return true;
}

void Ordering::feed(std::size_t rule, const EventRef& event, bool first_stage, std::uint64_t term_matches) {
  const std::uint32_t flag = first_stage ? kFirstStage : 0;
  EventRef ordered = view(rule, event);
  if (!ordered->timestamp) {
    ++stats_.untimed_events;
    return;
  }
  Timeline& timeline = timelines_[timeline_of_rule_[rule]];
  if (holds()) {
    if (timeline.last_held_event != stats_.events) {
      timeline.held.push_back(std::move(ordered));
      timeline.last_held_event = stats_.events;
    }
    sequences_[rule]->held.push_back(static_cast<std::uint32_t>(timeline.held.size() - 1) | flag);
    return;
  }
  timeline.current_rules.push_back({static_cast<std::uint32_t>(rule) | flag, term_matches});
}

// Stream mode, after the current event was evaluated: it enters each ordering's window
// (once, with the rules that can use it), and what is older than the window is released.
void Ordering::advance_windows() {
  const std::int64_t lateness = options_.max_lateness_ms * 1'000'000;
  for (Timeline& timeline : timelines_) {
    if (timeline.current_rules.empty()) continue;
    EventRef event = timeline.current_event == stats_.events ? timeline.current : nullptr;
    std::vector<SequenceUse> users = std::move(timeline.current_rules);
    timeline.current_rules.clear();
    if (!event) continue;  // cannot happen: feed made the view
    if (phase_ == Phase::Optimistic && !timeline.options.tiebreaker_field.empty()) {
      // The comparison orders tiebreakers of one kind among themselves and falls back to
      // input order otherwise: over mixed kinds it is not a consistent order, and the
      // window could release events otherwise than the sort of the held replay.
      int kind = tiebreaker_class(event->tiebreaker);
      if (timeline.tiebreaker_class < 0) timeline.tiebreaker_class = kind;
      if (kind != timeline.tiebreaker_class) {
        give_up_sequences(OutOfOrder{OutOfOrder::Why::MixedTiebreakers, stats_.events, 0});
        return;
      }
    }
    if (timeline.last_released && earlier(event, timeline.last_released)) {
      if (phase_ == Phase::Optimistic) {
        give_up_sequences(OutOfOrder{OutOfOrder::Why::Late, stats_.events, *timeline.newest - *event->timestamp});
        return;
      }
      stats_.late_events += users.size();
      for (const SequenceUse& use : users) {
        if (SequenceObserver* observer = sequences_[use.flagged & ~kFirstStage]->observer) {
          observer->late(*event, *timeline.newest - *event->timestamp);
        }
      }
      continue;
    }
    timeline.newest = timeline.newest ? std::max(*timeline.newest, *event->timestamp) : *event->timestamp;
    if (options_.max_delay_ms > 0) timeline.window.push(std::move(event), std::move(users), ReorderWindow::Clock::now());
    else timeline.window.push(std::move(event), std::move(users));
    while (!timeline.window.empty() && timeline.window.oldest_time() <= *timeline.newest - lateness) {
      release(timeline);
    }
  }
}

// The oldest event of a window goes to its rules. Stream mode emits what completes;
// optimistic exact mode keeps it for finish(), where the held replay would emit it.
void Ordering::release(Timeline& timeline) {
  ReorderWindow::Waiting oldest = timeline.window.pop_oldest();
  timeline.last_released = oldest.event;
  for (const SequenceUse& use : oldest.rules) {
    std::uint32_t rule = use.flagged & ~kFirstStage;
    Sequence& sequence = *sequences_[rule];
    if (!arm(sequence, use.flagged)) continue;
    if (use.term_matches == kTermsUndecided) {
      sequence.matcher->push(oldest.event, context_);
    } else {
      sequence.matcher->push(oldest.event, context_, use.term_matches);
    }
    if (phase_ == Phase::Optimistic) {
      if (deferred_.size() < sequences_.size()) deferred_.resize(sequences_.size());
      for (JoinResult& result : sequence.matcher->take_results()) deferred_[rule].push_back(std::move(result));
    } else {
      drain(rule);
    }
  }
}

void Ordering::drain(std::size_t rule) {
  for (JoinResult& result : sequences_[rule]->matcher->take_results()) emit_(rule, std::move(result));
}

// Optimistic exact mode, the input found out of order: every sequence rule starts afresh
// (for the second pass) and is fed nothing more in this one. The windows and the waiting
// results go, so memory is given back at once.
void Ordering::give_up_sequences(std::optional<OutOfOrder> why) {
  if (why) out_of_order_ = why;
  phase_ = Phase::Abandoned;
  deferred_ = {};
  for (Timeline& timeline : timelines_) {
    timeline.window.clear();
    timeline.current_rules.clear();
    timeline.newest.reset();
    timeline.last_released = nullptr;
    timeline.tiebreaker_class = -1;
  }
  for (auto& sequence : sequences_) {
    if (!sequence) continue;
    // The runner compiled this very query, so this cannot fail.
    SequenceCompileResult fresh =
        SequenceMatcher::compile(*sequence->query->sequence(), sequence->options, sequence->term_filters);
    sequence->matcher = std::move(fresh.matcher);
    sequence->matcher->set_observer(sequence->observer);
    sequence->armed = false;
  }
}

void Ordering::release_overdue() {
  if (options_.order != RunnerOptions::Order::Stream || options_.max_delay_ms <= 0) return;
  const auto deadline = ReorderWindow::Clock::now() - std::chrono::milliseconds(options_.max_delay_ms);
  for (Timeline& timeline : timelines_) {
    std::optional<EpochNanos> until = timeline.window.overdue_until(deadline);
    while (until && !timeline.window.empty() && timeline.window.oldest_time() <= *until) release(timeline);
  }
}

void Ordering::replay() {
  if (phase_ == Phase::SecondPass) stats_.events = std::max(stats_.events, first_pass_events_);
  // Results wait in deferred_ so that alerts still come out rule by rule; the optimistic
  // exact mode has put there what its windows completed, in the same order.
  deferred_.resize(sequences_.size());
  // Stream mode and optimistic exact mode: what is still in the windows, in order.
  for (Timeline& timeline : timelines_) {
    while (!timeline.window.empty()) release(timeline);
  }
  for (std::size_t t = 0; t < timelines_.size(); ++t) replay_held(t);
}

// Exact mode: a timeline's held events are replayed once in its time order, each to the
// sequence rules that can use it. Event by event rather than rule by rule, so that the
// leaves those rules share are evaluated once per event (the evaluator's cache).
void Ordering::replay_held(std::size_t t) {
  const auto& held = timelines_[t].held;
  if (held.empty()) return;
  // The rules of each held event, in rule order (offsets into `rules_of`).
  std::vector<std::uint32_t> first(held.size() + 1, 0);
  for (std::size_t rule = 0; rule < sequences_.size(); ++rule) {
    if (!sequences_[rule] || timeline_of_rule_[rule] != t) continue;
    for (std::uint32_t flagged : sequences_[rule]->held) ++first[(flagged & ~kFirstStage) + 1];
  }
  for (std::size_t i = 0; i < held.size(); ++i) first[i + 1] += first[i];
  std::vector<std::uint32_t> rules_of(first.back());
  std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
  for (std::uint32_t rule = 0; rule < sequences_.size(); ++rule) {
    if (!sequences_[rule] || timeline_of_rule_[rule] != t) continue;
    for (std::uint32_t flagged : sequences_[rule]->held) {
      rules_of[next[flagged & ~kFirstStage]++] = rule | (flagged & kFirstStage);
    }
    sequences_[rule]->held = {};
  }
  next = {};
  std::vector<std::uint32_t> order(held.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return earlier(held[a], held[b]); });
  for (std::uint32_t event : order) {
    for (std::uint32_t k = first[event]; k < first[event + 1]; ++k) {
      std::uint32_t rule = rules_of[k] & ~kFirstStage;
      Sequence& sequence = *sequences_[rule];
      if (!arm(sequence, rules_of[k])) continue;
      sequence.matcher->push(held[event], context_);
      for (JoinResult& result : sequence.matcher->take_results()) deferred_[rule].push_back(std::move(result));
    }
  }
  timelines_[t].held = {};
}

void Ordering::finish_rule(std::size_t rule) {
  for (JoinResult& result : deferred_[rule]) emit_(rule, std::move(result));
  deferred_[rule] = {};
  sequences_[rule]->matcher->finish();
  drain(rule);
}

bool Ordering::begin_second_pass() {
  if (phase_ == Phase::Optimistic) give_up_sequences(std::nullopt);
  if (phase_ != Phase::Abandoned) return false;
  phase_ = Phase::SecondPass;
  for (auto& sequence : sequences_) {
    if (sequence) sequence->held = {};
  }
  // Input positions start again (they order ties and key the per-event caches).
  first_pass_events_ = stats_.events;
  for (Timeline& timeline : timelines_) {
    timeline.current = nullptr;
    timeline.current_event = UINT64_MAX;
    timeline.held = {};
    timeline.last_held_event = UINT64_MAX;
  }
  return true;
}

void Ordering::set_observer(std::size_t rule, SequenceObserver* observer) {
  if (!sequences_[rule]) return;
  sequences_[rule]->observer = observer;
  sequences_[rule]->matcher->set_observer(observer);
}

const SequenceStats* Ordering::sequence_stats(std::size_t rule) const {
  return sequences_[rule] ? &sequences_[rule]->matcher->stats() : nullptr;
}

}  // namespace eql::detail
