// One query run (eql/query.h): the event filter or matcher, the ordering of events for
// sequences (held and sorted, or a reorder window), the pipes and the head/tail/size limits.
#include "eql/query.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "eql/pipes.h"
#include "pipes/limits.h"
#include "run/lineage.h"
#include "run/reorder_window.h"

namespace eql {

namespace {

int compare_values_for_order(const Value& a, const Value& b) {
  if (a.is_null() != b.is_null()) return a.is_null() ? 1 : -1;
  if (a.kind == ValueKind::Int && b.kind == ValueKind::Int) return a.integer < b.integer ? -1 : a.integer > b.integer;
  if (a.is_number() && b.is_number()) return a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double();
  std::string x = to_display_string(a), y = to_display_string(b);
  return x < y ? -1 : x > y;
}

// The order of an event query's results: timestamp (events without one last), tiebreaker,
// input position.
bool result_order_before(const Event& a, const Event& b) {
  if (a.timestamp.has_value() != b.timestamp.has_value()) return a.timestamp.has_value();
  if (a.timestamp && *a.timestamp != *b.timestamp) return *a.timestamp < *b.timestamp;
  int tie = compare_values_for_order(a.tiebreaker, b.tiebreaker);
  if (tie != 0) return tie < 0;
  return a.ordinal < b.ordinal;
}

bool ref_before(const EventRef& a, const EventRef& b) { return result_order_before(*a, *b); }
bool sequence_ref_before(const EventRef& a, const EventRef& b) { return sequence_order_before(*a, *b); }

Diagnostic unsupported_pipe(std::string message) {
  Diagnostic d;
  d.code = "query.unsupported-pipe";
  d.message = std::move(message);
  return d;
}

/// The matches of a sequence or sample cut to head/tail/size: with heads only, each match
/// is handed over at once and the run stops once enough are; a tail needs them all.
class JoinLimiter {
 public:
  JoinLimiter(ResultLimits limits, const QuerySink& sink) : limits_(std::move(limits)), sink_(sink) {
    keep_all_ = limits_.has_tail();
    if (!keep_all_) limit_ = limits_.window(SIZE_MAX).second;
  }
  bool full() const { return !keep_all_ && given_ >= limit_; }
  void add(const JoinResult& match, std::uint64_t& matched) {
    ++matched;
    if (keep_all_) {
      kept_.push_back(match);
      return;
    }
    if (full()) return;
    give(match);
  }
  void finish() {
    auto [first, last] = limits_.window(kept_.size());
    for (std::size_t i = first; i < last; ++i) give(kept_[i]);
    kept_.clear();
  }

 private:
  void give(const JoinResult& match) {
    if (sink_.match) sink_.match(match);
    ++given_;
  }
  ResultLimits limits_;
  const QuerySink& sink_;
  bool keep_all_ = false;
  std::size_t limit_ = SIZE_MAX;
  std::size_t given_ = 0;
  std::vector<JoinResult> kept_;
};

}  // namespace

struct QueryRun::Impl {
  QueryRunOptions options;
  QuerySink sink;
  Kind kind = Kind::Events;
  std::unique_ptr<ProcessTree> lineage;  // fed each event before the filters see it
  EvalContext context;
  mutable QueryRunStats stats;

  // Event queries: the filter, the hunting pipes, the matches kept for ordering. Only those
  // the first limit can keep are held (a bounded heap: tail?, count), so `| head 10` over a
  // large file needs little memory.
  std::optional<FilterProgram> filter;
  std::optional<PipeProgram> pipes;
  ResultLimits limits;
  std::optional<std::pair<bool, std::size_t>> bound;
  bool live = false;
  std::vector<EventRef> kept;

  // Sequences and samples, and the ordering of a sequence's events.
  std::unique_ptr<SequenceMatcher> sequence;
  std::unique_ptr<SampleMatcher> sample;
  std::optional<JoinLimiter> joins;
  std::vector<EventRef> held;  // Exact: every timed event, sorted at the end
  detail::ReorderWindow window;  // Stream
  std::optional<EpochNanos> newest;
  EventRef last_released;

  void observe(const Event& event) {
    if (lineage && lineage->condition_count() != 0) lineage->observe(event);
  }

  Diagnostics compile_events(const ast::Query& query) {
    Diagnostics problems;
    FilterCompileResult compiled = compile_filter(*query.event(), options.filter);
    problems = std::move(compiled.diagnostics);
    if (!compiled.program) return problems;
    filter = std::move(compiled.program);
    std::string unsupported;
    if (has_extension_pipes(query)) {
      // Any hunting pipe: every match is kept and the pipes run over them in order.
      PipeOptions pipe_options;
      pipe_options.field_types = options.filter.field_types;
      pipe_options.category_field = options.filter.category_field;
      PipeCompileResult compiled_pipes = PipeProgram::compile(query.pipes, pipe_options);
      for (Diagnostic& d : compiled_pipes.diagnostics) problems.push_back(std::move(d));
      if (!compiled_pipes.program) {
        filter.reset();
        return problems;
      }
      pipes = std::move(compiled_pipes.program);
      limits = ResultLimits{{}, options.size};
    } else if (std::optional<ResultLimits> cut = ResultLimits::of(query, options.size, unsupported)) {
      limits = std::move(*cut);
    } else {
      filter.reset();
      problems.push_back(unsupported_pipe("the pipe `" + unsupported + "` is not supported here"));
      return problems;
    }
    if (options.order != QueryRunOptions::Order::Given && !pipes) {
      if (!limits.pipes.empty()) bound = std::make_pair(limits.pipes.front().tail, limits.pipes.front().count);
      else if (options.size) bound = std::make_pair(false, *options.size);
    }
    live = options.live && !pipes && !bound && query.pipes.empty();
    return problems;
  }

  Diagnostics compile_joins(const ast::Query& query) {
    std::string unsupported;
    std::optional<ResultLimits> cut = ResultLimits::of(query, options.size, unsupported);
    if (!cut) {
      return {unsupported_pipe("the pipe `" + unsupported +
                               "` applies to event queries only; sequences and samples take head and tail")};
    }
    Diagnostics problems;
    if (const ast::Sequence* sequence_query = query.sequence()) {
      kind = Kind::Sequences;
      SequenceOptions sequence_options;
      sequence_options.filter = options.filter;
      sequence_options.max_pending = options.max_pending;
      auto compiled = SequenceMatcher::compile(*sequence_query, sequence_options);
      sequence = std::move(compiled.matcher);
      problems = std::move(compiled.diagnostics);
    } else if (const ast::Sample* sample_query = query.sample()) {
      kind = Kind::Samples;
      SampleOptions sample_options;
      sample_options.filter = options.filter;
      sample_options.max_samples_per_key = options.max_samples_per_key;
      auto compiled = SampleMatcher::compile(*sample_query, sample_options);
      sample = std::move(compiled.matcher);
      problems = std::move(compiled.diagnostics);
    }
    joins.emplace(std::move(*cut), sink);
    return problems;
  }

  bool ready() const { return filter || sequence || sample; }

  // ---- event queries ----
  bool keep_match(EventRef event) {
    ++stats.matched;
    if (live) {
      if (sink.event) sink.event(event);
      return true;
    }
    if (bound && bound->second == 0) return true;
    auto heap_order = [&](const EventRef& a, const EventRef& b) {
      return bound && bound->first ? ref_before(b, a) : ref_before(a, b);
    };
    kept.push_back(std::move(event));
    if (bound) {
      std::push_heap(kept.begin(), kept.end(), heap_order);
      if (kept.size() > bound->second) {
        std::pop_heap(kept.begin(), kept.end(), heap_order);
        kept.pop_back();
      }
    }
    return true;
  }

  void finish_events() {
    if (options.order != QueryRunOptions::Order::Given) std::stable_sort(kept.begin(), kept.end(), ref_before);
    if (pipes) kept = pipes->apply(std::move(kept), context);
    auto [first, last] = limits.window(kept.size());
    for (std::size_t i = first; i < last; ++i) {
      if (sink.event) sink.event(kept[i]);
    }
    kept.clear();
  }

  // ---- sequences and samples ----
  void drain() {
    for (const JoinResult& match : sequence->take_results()) joins->add(match, stats.matched);
  }

  void release(const EventRef& event) {
    sequence->push(event, context);
    last_released = event;
  }

  bool push_sequence_event(const EventRef& event) {
    using Order = QueryRunOptions::Order;
    if (options.order == Order::Given) {
      sequence->push(event, context);
      drain();
      return !joins->full();
    }
    if (!event->timestamp) {
      ++stats.untimed;  // a sequence orders by time: an event without one cannot take part
      return true;
    }
    if (options.order == Order::Exact) {
      held.push_back(event);
      return true;
    }
    if (last_released && sequence_order_before(*event, *last_released)) {
      ++stats.late;  // older than what the window already let through
      return true;
    }
    const std::int64_t lateness = options.max_lateness_ms * 1'000'000;
    newest = newest ? std::max(*newest, *event->timestamp) : *event->timestamp;
    window.push(event, {});
    while (!window.empty() && window.oldest_time() <= *newest - lateness) release(window.pop_oldest().event);
    drain();
    return !joins->full();
  }

  void finish_sequence() {
    std::stable_sort(held.begin(), held.end(), sequence_ref_before);
    for (const EventRef& event : held) {
      sequence->push(event, context);
      drain();
      if (joins->full()) break;
    }
    held.clear();
    while (!window.empty()) release(window.pop_oldest().event);
    sequence->finish();
    drain();
  }
};

QueryRunCompileResult QueryRun::compile(const ast::Query& query, const QueryRunOptions& options, QuerySink sink) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->sink = std::move(sink);
  if (options.lineage) {
    impl->lineage = std::make_unique<ProcessTree>();
    impl->options.filter.lineage = impl->lineage.get();
  }
  QueryRunCompileResult result;
  result.diagnostics = query.event() ? impl->compile_events(query) : impl->compile_joins(query);
  if (impl->ready()) result.run.reset(new QueryRun(std::move(impl)));
  return result;
}

QueryRun::QueryRun(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueryRun::~QueryRun() = default;

QueryRun::Kind QueryRun::kind() const { return impl_->kind; }
bool QueryRun::live() const { return impl_->live; }

std::vector<std::string> QueryRun::filter_fields() const {
  return impl_->filter ? impl_->filter->fields() : std::vector<std::string>{};
}

std::vector<std::string> QueryRun::lineage_fields() const {
  return impl_->lineage ? impl_->lineage->fields_read() : std::vector<std::string>{};
}

bool QueryRun::has_hunting_pipes() const { return impl_->pipes.has_value(); }

std::vector<std::string> QueryRun::pipe_columns() const {
  return impl_->pipes ? impl_->pipes->columns() : std::vector<std::string>{};
}

bool QueryRun::push(const EventRef& event) {
  Impl& run = *impl_;
  run.observe(*event);
  if (run.filter) {
    if (!run.filter->matches(*event, run.context)) return true;
    return run.keep_match(event);
  }
  if (run.sample) {
    run.sample->push(event, run.context);
    return true;
  }
  return run.push_sequence_event(event);
}

bool QueryRun::push(Event&& event) {
  Impl& run = *impl_;
  if (!run.filter) return push(std::make_shared<const Event>(std::move(event)));
  run.observe(event);
  if (!run.filter->matches(event, run.context)) return true;
  // A copy, not a move: Event's move keeps views into a short (inline) storage string that
  // moves with it; its copy re-points them.
  return run.keep_match(std::make_shared<const Event>(static_cast<const Event&>(event)));
}

void QueryRun::finish() {
  Impl& run = *impl_;
  if (run.filter) {
    run.finish_events();
    return;
  }
  if (run.sample) {
    for (const JoinResult& match : run.sample->finish()) run.joins->add(match, run.stats.matched);
  } else {
    run.finish_sequence();
  }
  run.joins->finish();
}

const QueryRunStats& QueryRun::stats() const {
  if (impl_->lineage) {
    impl_->stats.lineage_evicted = impl_->lineage->stats().evicted;
    impl_->stats.lineage_max_processes = impl_->lineage->options().max_processes;
  }
  return impl_->stats;
}

const SequenceStats* QueryRun::sequence_stats() const {
  return impl_->sequence ? &impl_->sequence->stats() : nullptr;
}

}  // namespace eql
