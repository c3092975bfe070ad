// `eql run --threads N` (run/parallel_run.h). The reading thread parses each event once and
// hands it to the worker that owns its partition value; workers run their own RuleRunner
// over batches of events. Alerts come back tagged with the input position of the event
// being pushed when they were decided, so the reading thread can write them in input order
// whatever the threads' timing: the output does not depend on scheduling.
#include "run/parallel_run.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>


namespace eql {

namespace {

// Rule-kind bits of a push: which of a worker's rules an event is for.
constexpr std::uint8_t kOwnerRules = 1;
constexpr std::uint8_t kPartitionedRules = 2;
constexpr std::uint8_t kDesignatedRules = 4;
constexpr std::uint8_t kScopes = 8;

// A round of input: its events are handed out together, and the alerts they lead to are
// written once every worker is past the round.
constexpr std::size_t kRoundEvents = 1024;
constexpr auto kRoundTime = std::chrono::milliseconds(100);  // a slow stream still moves on
constexpr std::size_t kQueuedRounds = 4;                      // per worker: memory stays flat
constexpr std::uint64_t kAtFinish = UINT64_MAX;

std::uint8_t bit_of(RuleSpread spread) {
  switch (spread) {
    case RuleSpread::Owner: return kOwnerRules;
    case RuleSpread::Partitioned: return kPartitionedRules;
    case RuleSpread::Designated: return kDesignatedRules;
  }
  return kOwnerRules;
}

std::string integral_text(double number) {
  if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 9.2e18) {
    return std::to_string(static_cast<std::int64_t>(number));
  }
  return to_display_string(Value::of_double(number));
}

// The text a partition value is routed by. Equal join keys must give equal text: a keyword
// field joins on the value's text; other fields on the JSON value, where 1 equals 1.0.
std::string route_text(const Value& value, bool keyword) {
  if (keyword) return to_display_string(value);
  switch (value.kind) {
    case ValueKind::String: return std::string(value.string);
    case ValueKind::Bool: return value.boolean ? "true" : "false";
    case ValueKind::Int: return std::to_string(value.integer);
    case ValueKind::Double: return integral_text(value.number);
    case ValueKind::Null: break;
  }
  return {};
}

std::string route_text(const JoinValue& key) {
  switch (key.kind) {
    case JoinValue::Kind::Bool: return key.boolean ? "true" : "false";
    case JoinValue::Kind::Number: return key.is_integer ? std::to_string(key.integer) : integral_text(key.number);
    default: return key.text;
  }
}

std::size_t owner_of_text(std::string_view text, std::size_t workers) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a: the same partition on every run
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return static_cast<std::size_t>(hash % workers);
}

}  // namespace

RuleSpreadPlan plan_rule_spread(const RuleRunner& runner, const std::string& field, const FieldTypes& types) {
  auto resolved = [&](const std::string& name) {
    std::optional<FieldInfo> info = types.lookup(name);
    return info && !info->path.empty() ? info->path : name;
  };
  const std::string path = resolved(field);
  std::optional<FieldInfo> info = types.lookup(field);
  const bool joinable = !info || (info->type != FieldType::Date && info->type != FieldType::DateNanos &&
                                  info->type != FieldType::Ip && info->type != FieldType::Version);
  auto is_partition_field = [&](const std::string& key) {
    return !key.empty() && (key == field || resolved(key) == path);
  };

  RuleSpreadPlan plan;
  for (std::size_t i = 0; i < runner.rule_count(); ++i) {
    // Each stage's whole join key, as the runner parsed it: an event rule has no stages.
    const std::vector<std::vector<std::string>>& stages = runner.join_key_fields(i);
    RuleSpread spread = stages.empty() ? RuleSpread::Owner : RuleSpread::Designated;
    std::size_t position = 0;
    if (joinable && !stages.empty()) {
      std::size_t width = stages.front().size();
      for (const auto& keys : stages) width = std::min(width, keys.size());
      for (std::size_t p = 0; p < width && spread == RuleSpread::Designated; ++p) {
        bool every_stage = std::all_of(stages.begin(), stages.end(),
                                       [&](const auto& keys) { return is_partition_field(keys[p]); });
        if (every_stage) {
          spread = RuleSpread::Partitioned;
          position = p;
        }
      }
    }
    plan.spread.push_back(spread);
    plan.key_position.push_back(position);
  }
  return plan;
}

PartitionRouter::PartitionRouter(const std::string& field, const FieldTypes& types) {
  std::optional<FieldInfo> info = types.lookup(field);
  path_ = info && !info->path.empty() ? info->path : field;
  keyword_ = info && (info->type == FieldType::String || info->type == FieldType::Text);
  if (info) null_value_ = info->null_value;
}

void PartitionRouter::owners(const Event& event, std::size_t count, std::vector<std::size_t>& out) const {
  out.clear();
  for (const Value& value : event.values(path_)) {
    if (value.is_null() && !null_value_) continue;
    out.push_back(owner_of_text(value.is_null() ? *null_value_ : route_text(value, keyword_), count));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) out.push_back(0);
}

std::size_t PartitionRouter::owner(const JoinValue& key, std::size_t count) const {
  if (key.kind == JoinValue::Kind::Null) return 0;
  return owner_of_text(route_text(key), count);
}

struct ParallelRun::Impl {
  struct Item {
    Event event;
    std::string_view index;
    std::uint8_t scope = 0;
    std::uint64_t position = 0;  // in the input
  };
  struct Round {
    std::vector<Item> items;
    std::uint64_t through = 0;  // every event before this input position has been handed out
    bool last = false;
    bool pass_end = false;  // the end of the first of two passes (end_first_pass)
  };
  // An alert written as text, with what orders it in the output.
  struct Record {
    std::uint64_t position = 0;  // the input position being pushed when it was decided
    std::size_t rule = 0;
    std::optional<EpochNanos> time;
    std::string id;
    std::string text;
  };
  struct Worker {
    std::size_t index = 0;
    std::unique_ptr<RuleRunner> runner;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Round> inbox;           // guarded by mutex
    std::vector<Record> outbox;        // guarded by mutex
    std::uint64_t done_through = 0;    // guarded by mutex: alerts before it are all in outbox
    bool pass_ended = false;           // guarded by mutex: through a Round::pass_end
    // Worker thread only (read by others after pass_ended): the input position of the first
    // event after which its runner found the input out of order.
    std::optional<std::uint64_t> out_of_order_at;
    // Worker thread only (read by others after join):
    std::vector<Record> decided;
    std::uint64_t position = 0;
    std::vector<std::uint64_t> alerts_per_rule;
  };

  RuleSpreadPlan plan;
  std::optional<PartitionRouter> router;
  Format format;
  Write write;
  std::vector<std::unique_ptr<Worker>> workers;
  // Per worker, by scope: the rules a push evaluates. Designated rules are shared out over
  // the workers in turn, so that each worker has some and sees every event for them.
  std::vector<std::vector<std::vector<bool>>> masks;
  std::vector<std::size_t> designated_to;  // per rule: its worker, when Designated
  std::vector<bool> has_designated;        // per worker

  // Reading thread only:
  std::vector<Round> forming;
  std::size_t forming_events = 0;
  std::chrono::steady_clock::time_point round_started = std::chrono::steady_clock::now();
  std::uint64_t position = 0;
  std::vector<std::vector<Record>> staged;  // per worker: taken from its outbox, not yet written
  std::uint64_t written = 0;
  bool finished = false;
  std::optional<std::uint64_t> first_pass_events;  // set by begin_second_pass
  std::vector<std::size_t> owners;     // scratch: the event's owners
  std::vector<std::uint8_t> scopes;    // scratch: per worker, what it evaluates of the event

  std::size_t owner_of(const JoinValue& key) const { return router->owner(key, workers.size()); }

  void work(Worker& worker) {
    for (;;) {
      Round round;
      {
        std::unique_lock lock(worker.mutex);
        worker.changed.wait(lock, [&] { return !worker.inbox.empty(); });
        round = std::move(worker.inbox.front());
        worker.inbox.pop_front();
      }
      worker.changed.notify_all();  // room in the inbox
      for (Item& item : round.items) {
        worker.position = item.position;
        worker.runner->push(std::move(item.event), item.index, masks[worker.index][item.scope]);
        if (!worker.out_of_order_at && worker.runner->out_of_order()) worker.out_of_order_at = item.position;
      }
      if (round.last) {
        worker.position = kAtFinish;
        worker.runner->finish();
      }
      {
        std::lock_guard lock(worker.mutex);
        for (Record& record : worker.decided) worker.outbox.push_back(std::move(record));
        worker.done_through = round.last ? kAtFinish : round.through;
        if (round.pass_end) worker.pass_ended = true;
      }
      if (round.pass_end) worker.changed.notify_all();
      worker.decided.clear();
      if (round.last) return;
    }
  }

  void on_alert(Worker& worker, Alert&& alert) {
    if (plan.spread[alert.rule] == RuleSpread::Partitioned) {
      // The worker of each of an event's partition values saw it; the key's owner reports.
      if (owner_of(alert.join_keys[plan.key_position[alert.rule]]) != worker.index) return;
    }
    ++worker.alerts_per_rule[alert.rule];
    Record record;
    record.position = worker.position;
    record.rule = alert.rule;
    for (const EventRef& event : alert.events) {
      if (event) record.time = event->timestamp;
    }
    record.text = format(alert, worker.runner->rule(alert.rule));
    record.id = std::move(alert.id);
    worker.decided.push_back(std::move(record));
  }

  void send(Worker& worker, Round&& round) {
    {
      std::unique_lock lock(worker.mutex);
      worker.changed.wait(lock, [&] { return worker.inbox.size() < kQueuedRounds; });
      worker.inbox.push_back(std::move(round));
    }
    worker.changed.notify_all();
  }

  void close_round(bool last, bool pass_end = false) {
    for (std::size_t w = 0; w < workers.size(); ++w) {
      Round round = std::move(forming[w]);
      forming[w] = Round{};
      round.through = position;
      round.last = last;
      round.pass_end = pass_end;
      send(*workers[w], std::move(round));
    }
    forming_events = 0;
    round_started = std::chrono::steady_clock::now();
    write_ready();
  }

  // Writes the alerts every worker is past, in input order: by the position they were
  // decided at, then by rule (as one runner gives them), then by worker.
  void write_ready() {
    std::uint64_t ready = kAtFinish;
    for (std::size_t w = 0; w < workers.size(); ++w) {
      Worker& worker = *workers[w];
      std::lock_guard lock(worker.mutex);
      ready = std::min(ready, worker.done_through);
      for (Record& record : worker.outbox) staged[w].push_back(std::move(record));
      worker.outbox.clear();
    }
    std::vector<Record> out;
    for (auto& records : staged) {
      auto end = std::find_if(records.begin(), records.end(), [&](const Record& r) {
        return r.position >= ready || r.position == kAtFinish;
      });
      std::move(records.begin(), end, std::back_inserter(out));
      records.erase(records.begin(), end);
    }
    std::stable_sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
      return a.position != b.position ? a.position < b.position : a.rule < b.rule;
    });
    emit(out);
  }

  void emit(std::vector<Record>& records) {
    for (Record& record : records) {
      write(record.text);
      ++written;
    }
  }
};

ParallelRun::ParallelRun(std::vector<std::unique_ptr<RuleRunner>> runners, RuleSpreadPlan plan, std::string field,
                         const FieldTypes& types, Format format, Write write)
    : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.plan = std::move(plan);
  impl.router.emplace(field, types);
  impl.format = std::move(format);
  impl.write = std::move(write);
  const std::size_t rules = impl.plan.spread.size();
  const std::size_t count = runners.size();
  impl.designated_to.assign(rules, 0);
  impl.has_designated.assign(count, false);
  std::size_t turn = 0;
  for (std::size_t r = 0; r < rules; ++r) {
    if (impl.plan.spread[r] != RuleSpread::Designated) continue;
    impl.designated_to[r] = turn++ % count;
    impl.has_designated[impl.designated_to[r]] = true;
  }
  impl.masks.assign(count, std::vector<std::vector<bool>>(kScopes, std::vector<bool>(rules, false)));
  for (std::size_t w = 0; w < count; ++w) {
    for (std::uint8_t scope = 0; scope < kScopes; ++scope) {
      for (std::size_t r = 0; r < rules; ++r) {
        bool mine = impl.plan.spread[r] != RuleSpread::Designated || impl.designated_to[r] == w;
        impl.masks[w][scope][r] = mine && (scope & bit_of(impl.plan.spread[r])) != 0;
      }
    }
  }
  impl.forming.resize(runners.size());
  impl.staged.resize(runners.size());
  for (std::size_t w = 0; w < runners.size(); ++w) {
    auto worker = std::make_unique<Impl::Worker>();
    worker->index = w;
    worker->runner = std::move(runners[w]);
    worker->alerts_per_rule.assign(rules, 0);
    Impl::Worker* self = worker.get();
    worker->runner->set_alert_sink([&impl, self](Alert&& alert) { impl.on_alert(*self, std::move(alert)); });
    impl.workers.push_back(std::move(worker));
  }
  for (auto& worker : impl.workers) {
    Impl::Worker* self = worker.get();
    worker->thread = std::thread([&impl, self] { impl.work(*self); });
  }
}

ParallelRun::~ParallelRun() {
  if (!impl_->finished) finish();
}

void ParallelRun::push(Event&& event, std::string_view index) {
  Impl& impl = *impl_;
  const std::size_t count = impl.workers.size();
  // The workers owning the event's partition values; an event without one goes to worker 0.
  impl.router->owners(event, count, impl.owners);
  // The first owner evaluates the event rules; every owner the partitioned sequences and
  // samples (it keeps only the alerts of the keys it owns); every worker its designated ones.
  std::vector<std::uint8_t>& scopes = impl.scopes;
  scopes.assign(count, 0);
  std::size_t deliveries = 0;
  for (std::size_t w = 0; w < count; ++w) {
    std::uint8_t scope = impl.has_designated[w] ? kDesignatedRules : 0;
    if (std::binary_search(impl.owners.begin(), impl.owners.end(), w)) scope |= kPartitionedRules;
    if (w == impl.owners.front()) scope |= kOwnerRules;
    scopes[w] = scope;
    if (scope) ++deliveries;
  }
  std::size_t delivered = 0;
  for (std::size_t w = 0; w < count; ++w) {
    if (!scopes[w]) continue;
    Impl::Item item;
    item.event = ++delivered == deliveries ? std::move(event) : Event(event);
    item.index = index;
    item.scope = scopes[w];
    item.position = impl.position;
    impl.forming[w].items.push_back(std::move(item));
  }
  ++impl.position;
  ++impl.forming_events;
  if (impl.forming_events >= kRoundEvents ||
      ((impl.forming_events & 15) == 0 && std::chrono::steady_clock::now() - impl.round_started >= kRoundTime)) {
    impl.close_round(false);
  }
}

void ParallelRun::finish() {
  Impl& impl = *impl_;
  if (impl.finished) return;
  impl.finished = true;
  impl.close_round(true);
  for (auto& worker : impl.workers) worker->thread.join();
  impl.write_ready();
  // What was decided at the end (sorted sequences of exact mode, samples, the reorder
  // windows' remainder): by rule, then time, then alert id, whatever the worker.
  std::vector<Impl::Record> last;
  for (auto& records : impl.staged) {
    std::move(records.begin(), records.end(), std::back_inserter(last));
    records.clear();
  }
  std::sort(last.begin(), last.end(), [](const Impl::Record& a, const Impl::Record& b) {
    if (a.rule != b.rule) return a.rule < b.rule;
    if (a.time != b.time) return a.time < b.time;
    return a.id < b.id;
  });
  impl.emit(last);
}

std::optional<OutOfOrder> ParallelRun::end_first_pass() {
  Impl& impl = *impl_;
  impl.close_round(false, true);
  std::optional<OutOfOrder> first;
  for (auto& worker : impl.workers) {
    std::unique_lock lock(worker->mutex);
    worker->changed.wait(lock, [&] { return worker->pass_ended; });
    worker->pass_ended = false;
    // The worker waits for its next round: its runner may be read (the mutex orders it).
    const std::optional<OutOfOrder>& why = worker->runner->out_of_order();
    if (why && worker->out_of_order_at && (!first || *worker->out_of_order_at < first->event)) {
      first = *why;
      first->event = *worker->out_of_order_at;
    }
  }
  impl.write_ready();
  return first;
}

void ParallelRun::begin_second_pass() {
  Impl& impl = *impl_;
  // Called after end_first_pass: every worker waits for a round, so its runner is ours.
  for (auto& worker : impl.workers) {
    std::lock_guard lock(worker->mutex);
    worker->runner->begin_second_pass();
  }
  impl.first_pass_events = impl.position;
}

std::uint64_t ParallelRun::alerts_written() const { return impl_->written; }

void ParallelTotals::add(const RuleRunner& runner) {
  const RunnerStats& stats = runner.stats();
  evaluations += stats.evaluations;
  late_events += stats.late_events;
  untimed_events += stats.untimed_events;
  processes_evicted += stats.processes_evicted;
  lineage_walks_cut += stats.lineage_walks_cut;
  for (std::size_t i = 0; i < runner.rule_count(); ++i) {
    if (const SequenceStats* sequence = runner.sequence_stats(i)) {
      evicted += sequence->evicted;
      key_overflow += sequence->key_overflow;
    }
  }
}

ParallelTotals ParallelRun::totals() const {
  ParallelTotals totals;
  totals.events = impl_->first_pass_events ? *impl_->first_pass_events : impl_->position;
  totals.alerts_per_rule.assign(impl_->plan.spread.size(), 0);
  for (const auto& worker : impl_->workers) {
    totals.add(*worker->runner);
    for (std::size_t r = 0; r < totals.alerts_per_rule.size(); ++r) {
      totals.alerts_per_rule[r] += worker->alerts_per_rule[r];
    }
  }
  return totals;
}

const Rule& ParallelRun::rule(std::size_t index) const { return impl_->workers.front()->runner->rule(index); }
std::size_t ParallelRun::rule_count() const { return impl_->plan.spread.size(); }

}  // namespace eql
