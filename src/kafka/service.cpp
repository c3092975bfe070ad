#include "kafka/service.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/args.h"
#include "eql/event.h"
#include "eql/parser.h"
#include "kafka/clients.h"
#include "kafka/handover.h"
#include "kafka/log.h"
#include "kafka/sequences.h"

namespace eql::kafka {

namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) { stop_requested = 1; }

std::string partition_list(const std::string& topic, const std::vector<std::int32_t>& partitions) {
  std::string out = topic + "[";
  for (std::size_t i = 0; i < partitions.size(); ++i) out += (i ? "," : "") + std::to_string(partitions[i]);
  return out + "]";
}

double rss_megabytes() {
  long pages = 0, resident = 0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(statm);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

// The session timeout and heartbeat interval the consumers are given (librdkafka's defaults
// unless set): how long a revocation may wait (handover_budget_ms).
RebalanceTiming rebalance_timing(const KafkaOptions& options) {
  RebalanceTiming timing;
  for (const auto& [key, value] : options.properties) {
    char* end = nullptr;
    const long long number = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || number <= 0) continue;  // librdkafka says what is wrong
    if (key == "session.timeout.ms") timing.session_timeout_ms = number;
    if (key == "heartbeat.interval.ms") timing.heartbeat_interval_ms = number;
  }
  return timing;
}

// What one worker does with its messages: events into the runner, alerts to the sink,
// offsets committed once the alerts are acknowledged.
class Worker {
 public:
  Worker(const KafkaOptions& options, RuleRunner& runner, const cli::RunService::AlertFormat& format,
         const EventReadOptions& read, std::FILE* out)
      : options_(options), runner_(runner), format_(format), read_(read), out_(out) {}

  int run();

 private:
  void choose_rules();
  void take_over(const std::vector<std::int32_t>& partitions);
  bool open_sequences(std::string& error);
  void take_over_sequences(const std::vector<std::int32_t>& partitions);
  void handle(const KafkaSource::Message& message);
  void handle_repartitioned(const KafkaSource::Message& message);
  bool flush_sequences(const char* why);
  void hand_over_sequences(const std::vector<std::int32_t>& partitions, bool lost);
  void withdraw(KafkaSink& sink, const std::string& why, const std::vector<std::int32_t>& leaving);
  void bad_message(const KafkaSource::Message& message, const std::string& why);
  void forget(const std::vector<std::int32_t>& partitions);
  enum class Wait { Interval, Handover, Shutdown };
  bool commit(const std::vector<std::int32_t>* only, const char* why, Wait wait);
  void stats(double seconds);

  const KafkaOptions& options_;
  RuleRunner& runner_;
  const cli::RunService::AlertFormat& format_;
  const EventReadOptions& read_;
  std::FILE* out_;
  std::unique_ptr<KafkaSource> source_;
  std::unique_ptr<KafkaSink> sink_;  // what the input group's partitions make: event alerts, forwarded events, dead letters
  // Sequence and sample alerts (the repartition group's partitions) have a producer of
  // their own: what one group withdraws on a handover is never the other group's.
  std::unique_ptr<KafkaSink> sequence_sink_;
  RebalanceTiming timing_;
  std::unique_ptr<AlertsReader> reader_;  // with an alerts topic: alerts written past the commit
  std::unique_ptr<SequenceStage> sequences_;   // with a repartition topic
  std::unique_ptr<KafkaSource> repartitioned_;  // its partitions of the repartition topic
  KafkaSource::Message repartitioned_current_;
  std::vector<std::int32_t> routes_;  // scratch
  Handover handover_;
  std::vector<bool> event_rules_;
  std::map<std::int32_t, std::int64_t> next_offset_;  // of the partitions with uncommitted work
  std::map<std::int32_t, std::int64_t> committed_next_;  // of the partitions held: the group's offset
  KafkaSource::Message current_;
  bool failed_ = false;  // alerts could not be delivered: nothing more is committed
  std::uint64_t events_ = 0, alerts_ = 0, bad_ = 0, commits_ = 0, events_at_stats_ = 0, forwarded_ = 0;
};

// Event rules run wherever their event lands. Sequence and sample rules need every event of
// a join key in one place: the repartition topic gives it (SequenceStage); without one they
// are not run.
void Worker::choose_rules() {
  event_rules_.assign(runner_.rule_count(), false);
  std::size_t others = 0;
  for (std::size_t i = 0; i < runner_.rule_count(); ++i) {
    ParseResult parsed = parse_query(runner_.rule(i).query);
    event_rules_[i] = parsed.ok() && parsed.query->event() != nullptr;
    if (!event_rules_[i]) ++others;
  }
  log_info(std::to_string(runner_.rule_count() - others) + " event rules run; " + std::to_string(others) +
           (options_.repartition_topic.empty()
                ? " sequence and sample rules are not run without --repartition-topic (docs/kafka.md)"
                : " sequence and sample rules run on " + options_.repartition_topic));
}

// The repartition topic: its partition count decides where events go, the same on every
// worker; its partitions are shared by the group GROUP.sequences, each read from its start
// when given to a worker (docs/kafka.md#sequences-and-samples).
bool Worker::open_sequences(std::string& error) {
  const std::int32_t partition_count = sink_->partition_count(options_.repartition_topic);
  if (!(sequence_sink_ = KafkaSink::open(options_, error))) return false;
  if (partition_count <= 0) {
    error = "repartition topic " + options_.repartition_topic + ": partitions unknown (does the topic exist?)";
    return false;
  }
  RunnerOptions stream = runner_.options();
  stream.order = RunnerOptions::Order::Stream;
  stream.optimistic = false;
  sequences_ = std::make_unique<SequenceStage>(
      runner_, options_.partition_by, partition_count, stream,
      [this](Alert&& alert, std::int32_t partition, std::int64_t offset) {
        ++alerts_;
        std::string text = format_(alert, runner_.rule(alert.rule));
        if (!text.empty() && text.back() == '\n') text.pop_back();
        if (!text.empty()) {
          sequence_sink_->send_alert(alert.id, text, options_.repartition_topic, partition, offset, false);
        }
      });
  log_info(std::to_string(sequences_->partitioned_count()) + " sequence and sample rules join on " +
           options_.partition_by + " and spread over " + std::to_string(partition_count) + " partitions of " +
           options_.repartition_topic + "; " +
           std::to_string(sequences_->rule_count() - sequences_->partitioned_count()) +
           " others run each in one partition");
  KafkaOptions repartition = options_;
  repartition.topic = options_.repartition_topic;
  repartition.group = options_.group + ".sequences";
  KafkaSource::Callbacks callbacks;
  callbacks.from_start = true;
  callbacks.assigned = [this](const std::vector<std::int32_t>& partitions) { take_over_sequences(partitions); };
  callbacks.revoked = [this](const std::vector<std::int32_t>& partitions) { hand_over_sequences(partitions, false); };
  callbacks.lost = [this](const std::vector<std::int32_t>& partitions) { hand_over_sequences(partitions, true); };
  repartitioned_ = KafkaSource::open(repartition, callbacks, error);
  return repartitioned_ != nullptr;
}

// A repartition partition given to this worker: the alerts of its events already in the
// alerts topic (by earlier owners) are read, then it is replayed from its start, which
// rebuilds the partial sequences (also those whose events straddle the handover) and
// makes those alerts again, not written twice.
void Worker::take_over_sequences(const std::vector<std::int32_t>& partitions) {
  log_info("assigned " + partition_list(options_.repartition_topic, partitions) + "; replayed from the start");
  for (std::int32_t partition : partitions) {
    std::vector<WrittenAlert> written;
    std::int64_t end = 0;
    std::string error;
    const std::int32_t alerts_partition = sink_->alerts_partition(partition);
    if (!reader_->read(alerts_partition, -1, options_.repartition_topic, partition, 30'000, written, end, error)) {
      log_error(error + ": partition " + std::to_string(partition) + " of " + options_.repartition_topic +
                " is not processed, the worker stops");
      failed_ = true;
      return;
    }
    // Replay needs the partition whole: what retention deleted cannot be rebuilt.
    if (std::int64_t first = repartitioned_->first_offset(partition); first > 0) {
      log_warn(options_.repartition_topic + " partition " + std::to_string(partition) + " starts at offset " +
               std::to_string(first) + ": older events were deleted (retention), partial sequences that needed "
               "them are lost");
    }
    std::set<std::string> ids;
    for (WrittenAlert& alert : written) ids.insert(std::move(alert.id));
    log(ids.empty() ? LogLevel::Debug : LogLevel::Info,
        options_.repartition_topic + " partition " + std::to_string(partition) + ": " +
            std::to_string(ids.size()) + " sequence and sample alerts already in " + options_.alerts_topic + "[" +
            std::to_string(alerts_partition) + "]: not written again");
    sequences_->assign(partition, std::move(ids));
  }
}

// Repartition partitions taken away. Their next owner reads the alerts topic, then replays
// them: this worker's alerts of them must be in the alerts topic by then, or never land.
// Revoked in time: acknowledged first, within what the rebalance leaves
// (handover_budget_ms). Revoked late (this worker did not poll for long), or lost (the group
// moved on): the next owner may be reading already, so what is not acknowledged is
// withdrawn, and the replay makes it again.
void Worker::hand_over_sequences(const std::vector<std::int32_t>& partitions, bool lost) {
  const std::string what = (lost ? "lost " : "revoked ") + partition_list(options_.repartition_topic, partitions);
  const std::int64_t budget = lost ? 0 : handover_budget_ms(timing_, repartitioned_->stalled_ms(), 30'000);
  std::string error;
  switch (sequence_sink_->flush_within(static_cast<int>(std::max<std::int64_t>(budget, 0)), error)) {
    case KafkaSink::Flushed::Done:
      break;
    case KafkaSink::Flushed::Failed:
      log_error("alerts not acknowledged (" + what + ": " + error + "): the worker stops");
      failed_ = true;
      break;
    case KafkaSink::Flushed::Pending:
      withdraw(*sequence_sink_, what, partitions);
      break;
  }
  for (std::int32_t partition : partitions) sequences_->revoke(partition);
  if (lost) {
    log_warn(what + " (assignment lost: the session expired or the group moved on without this worker)");
  } else {
    log_info(what);
  }
}

// What `sink` holds unacknowledged is withdrawn (a handover cannot wait for it). Partitions
// this worker keeps (the cooperative protocol revokes some only) may have lost alerts with
// it: the worker stops without committing, their next owner makes them again.
void Worker::withdraw(KafkaSink& sink, const std::string& why, const std::vector<std::int32_t>& leaving) {
  const std::uint64_t count = sink.withdraw(1'000);
  log(count ? LogLevel::Warn : LogLevel::Debug,
      why + ": " + std::to_string(count) + " messages not acknowledged in time withdrawn (the group may have handed "
      "the partitions over already); the next owner makes them again");
  auto kept = [&](std::int32_t partition) {
    return std::find(leaving.begin(), leaving.end(), partition) == leaving.end();
  };
  const bool kept_input = &sink == sink_.get() && std::any_of(next_offset_.begin(), next_offset_.end(), [&](const auto& entry) {
    return source_ && source_->owns(entry.first) && kept(entry.first);
  });
  bool kept_sequences = false;
  if (&sink == sequence_sink_.get() && sequences_) {
    for (std::int32_t partition : sequences_->owned()) kept_sequences = kept_sequences || kept(partition);
  }
  if (count > 0 && (kept_input || kept_sequences)) {
    log_error("messages of partitions this worker keeps were withdrawn too: the worker stops without committing");
    failed_ = true;
  }
}

// Input partitions gone (revoked or lost): nothing about them is kept, and no later commit
// names them.
void Worker::forget(const std::vector<std::int32_t>& partitions) {
  for (std::int32_t partition : partitions) {
    next_offset_.erase(partition);
    committed_next_.erase(partition);
    handover_.drop(partition);
    if (sink_) sink_->forget(partition);
  }
}

void Worker::bad_message(const KafkaSource::Message& message, const std::string& why) {
  ++bad_;
  log_warn("bad message " + options_.topic + "/" + std::to_string(message.partition) + "@" +
           std::to_string(message.offset) + ": " + why + (sink_ && !options_.dead_letter_topic.empty()
                                                              ? "; copied to " + options_.dead_letter_topic
                                                              : ""));
  if (sink_) sink_->send_dead_letter(message.value, options_.topic, message.partition, message.offset, why);
}

// A partition given to this worker: the alerts of its events already in the alerts topic
// past the committed offset (written by an owner killed, or whose last commit failed, after
// it) are read back, to be suppressed when re-processing makes them again. The previous
// owner is gone or has flushed its alerts before giving the partition up (docs/kafka.md).
void Worker::take_over(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, Position> committed;
  std::string from;
  for (const Position& position : source_->committed(partitions)) {
    committed[position.partition] = position;
    committed_next_[position.partition] = position.next_offset;
    from += " " + std::to_string(position.partition) + "@" + std::to_string(position.next_offset) +
            (position.metadata.empty() ? "" : " " + position.metadata);
  }
  log_info("assigned " + partition_list(options_.topic, partitions) +
           (from.empty() ? "; no committed offsets" : "; committed:" + from));
  if (!reader_) return;
  for (std::int32_t partition : partitions) {
    // Without a commit (or with metadata not ours) the partition is read again from its
    // start, and so is its alerts partition.
    CommitMark mark{sink_->alerts_partition(partition), -1};
    std::int64_t restart = 0;
    if (auto found = committed.find(partition); found != committed.end()) {
      restart = found->second.next_offset;
      if (std::optional<CommitMark> recorded = parse_commit_metadata(found->second.metadata)) mark = *recorded;
    }
    std::vector<WrittenAlert> written;
    std::int64_t end = 0;
    std::string error;
    if (!reader_->read(mark.alerts_partition, mark.alerts_high + 1, options_.topic, partition, 30'000, written, end,
                       error)) {
      log_error(error + ": partition " + std::to_string(partition) + " is not processed, the worker stops");
      failed_ = true;
      return;
    }
    handover_.take(partition, restart, end, written);
    std::size_t kept = 0;
    for (const WrittenAlert& alert : written) kept += alert.source_offset >= restart ? 1 : 0;
    log(kept ? LogLevel::Info : LogLevel::Debug,
        "partition " + std::to_string(partition) + ": " + std::to_string(kept) + " alerts already in " +
            options_.alerts_topic + "[" + std::to_string(mark.alerts_partition) + "] (offsets " +
            std::to_string(mark.alerts_high + 1) + " to " + std::to_string(end) + ") for events from offset " +
            std::to_string(restart) + ": not written again");
  }
}

void Worker::handle(const KafkaSource::Message& message) {
  if (failed_) return;  // nothing more is done (nor committed)
  next_offset_[message.partition] = message.offset + 1;
  if (!message.has_value) return bad_message(message, "no value (a tombstone)");
  std::string error;
  std::optional<Event> event = parse_event(message.value, error, nullptr, read_.max_nesting, read_.fields);
  if (!event) return bad_message(message, "invalid JSON: " + error);
  extract_ordering(*event, read_);
  ++events_;
  if (sequences_) {
    // Before the event rules: push takes the event.
    sequences_->route(runner_, *event, routes_);
    for (std::int32_t partition : routes_) {
      sink_->send_repartitioned(message.value, partition, message.partition, message.offset);
      ++forwarded_;
    }
  }
  runner_.push(std::move(*event), "", event_rules_);
}

void Worker::handle_repartitioned(const KafkaSource::Message& message) {
  if (failed_ || !sequences_->owns(message.partition)) return;
  std::string error;
  std::optional<Event> event =
      message.has_value ? parse_event(message.value, error, nullptr, read_.max_nesting, read_.fields) : std::nullopt;
  if (!event) {
    log_warn("bad message " + options_.repartition_topic + "/" + std::to_string(message.partition) + "@" +
             std::to_string(message.offset) + " (not written by eql?): skipped");
    return;
  }
  extract_ordering(*event, read_);
  sequences_->push(message.partition, message.offset, message.source_partition, message.source_offset,
                   std::move(*event));
}

// Every sequence and sample alert made so far acknowledged; false (and the worker stops)
// when one was not.
bool Worker::flush_sequences(const char* why) {
  if (!sequence_sink_ || failed_) return !failed_;
  std::string error;
  if (sequence_sink_->flush(30'000, error)) return true;
  log_error(std::string("alerts not acknowledged (") + why + ": " + error + "): the worker stops");
  failed_ = true;
  return false;
}

// Alerts first (acknowledged by the alerts topic, or written out), then the offsets, with
// metadata saying how far this partition's alerts partition had been written.
//
// At an interval nothing is waited for: each partition is committed up to its first event
// with an alert, forwarded event or dead letter still on its way (KafkaSink::acknowledged),
// so that a slow broker delays commits without stopping them, and the loop goes on polling
// (a rebalance is served at once). On a revocation everything is waited for, within what
// the rebalance leaves (handover_budget_ms); what is not acknowledged by then is withdrawn
// and nothing is committed (the next owner reads those events again and makes their
// alerts, which must not land after it read the alerts topic). At shutdown, up to 30 s (the
// worker then stops on failure).
bool Worker::commit(const std::vector<std::int32_t>* only, const char* why, Wait wait) {
  if (failed_) return false;
  std::vector<std::int32_t> partitions;
  for (auto it = next_offset_.begin(); it != next_offset_.end();) {
    const std::int32_t partition = it->first;
    // Only partitions this member holds now: a commit naming another's partition would
    // move its offset under the new owner, and the coordinator refuses commits of an
    // ended generation (librdkafka then drops the whole current assignment).
    if (!source_->owns(partition)) {
      it = next_offset_.erase(it);
      continue;
    }
    if (!only || std::find(only->begin(), only->end(), partition) != only->end()) partitions.push_back(partition);
    ++it;
  }
  if (partitions.empty()) return true;
  std::string error;
  const std::int64_t wait_ms = wait == Wait::Interval ? 0
                               : wait == Wait::Shutdown ? 30'000
                                                        : handover_budget_ms(timing_, source_->stalled_ms(), 30'000);
  switch (sink_ ? sink_->flush_within(static_cast<int>(std::max<std::int64_t>(wait_ms, 0)), error)
                : KafkaSink::Flushed::Done) {
    case KafkaSink::Flushed::Done:
      break;
    case KafkaSink::Flushed::Failed:
      log_error("alerts not acknowledged (" + error + "): offsets are not committed, the events will be read again");
      failed_ = true;
      return false;
    case KafkaSink::Flushed::Pending:
      if (wait == Wait::Interval) break;  // what has landed is committed below
      if (wait == Wait::Handover) {
        withdraw(*sink_, std::string("commit (") + why + ")", only ? *only : std::vector<std::int32_t>{});
        return false;
      }
      log_error("alerts not acknowledged in time (" + std::string(why) + "): offsets are not committed, the events "
                "will be read again");
      failed_ = true;
      return false;
  }
  std::fflush(out_);
  std::vector<Position> positions;
  for (std::int32_t partition : partitions) {
    const std::int64_t next = next_offset_[partition];
    const std::int64_t until = sink_ ? sink_->acknowledged().acknowledged_until(partition, next) : next;
    auto done = committed_next_.find(partition);
    if (done != committed_next_.end() && until <= done->second) continue;  // nothing new has landed
    Position position{partition, until, ""};
    if (sink_ && !options_.alerts_topic.empty()) {
      CommitMark mark{sink_->alerts_partition(partition),
                      handover_.mark(partition, until, sink_->acknowledged().alerts_high(partition, until))};
      position.metadata = format_commit_metadata(mark);
    }
    positions.push_back(std::move(position));
  }
  if (positions.empty()) return true;
  if (!source_->commit(positions, error)) {
    log_warn(std::string("commit (") + why + ") failed: " + error + "; the events since the last commit will be read again");
    return false;
  }
  ++commits_;
  std::string what;
  for (const Position& position : positions) {
    what += (what.empty() ? "" : ",") + std::to_string(position.partition) + "@" + std::to_string(position.next_offset);
    committed_next_[position.partition] = position.next_offset;
    if (sink_) sink_->committed(position.partition, position.next_offset);
    if (next_offset_[position.partition] == position.next_offset) next_offset_.erase(position.partition);
  }
  log(std::string(why) == "interval" ? LogLevel::Debug : LogLevel::Info,
      std::string("committed (") + why + ") " + options_.topic + "[" + what + "]");
  return true;
}

void Worker::stats(double seconds) {
  std::string lag;
  for (const KafkaSource::Lag& partition : source_->lag()) {
    lag += " " + std::to_string(partition.partition) + ":" + (partition.lag < 0 ? "?" : std::to_string(partition.lag));
  }
  if (repartitioned_) {
    for (const KafkaSource::Lag& partition : repartitioned_->lag()) {
      lag += " r" + std::to_string(partition.partition) + ":" + (partition.lag < 0 ? "?" : std::to_string(partition.lag));
    }
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "stats: %llu events (%.0f/s), %llu alerts, %llu already written, %llu bad messages, %llu commits, "
                "%llu repartitioned, %llu repeated, %.0f MB; lag",
                static_cast<unsigned long long>(events_), static_cast<double>(events_ - events_at_stats_) / seconds,
                static_cast<unsigned long long>(alerts_),
                static_cast<unsigned long long>(handover_.suppressed() + (sequences_ ? sequences_->suppressed() : 0)),
                static_cast<unsigned long long>(bad_),
                static_cast<unsigned long long>(commits_), static_cast<unsigned long long>(forwarded_),
                static_cast<unsigned long long>(sequences_ ? sequences_->duplicates() : 0), rss_megabytes());
  events_at_stats_ = events_;
  log_info(line + (lag.empty() ? std::string(" (no partitions)") : lag));
}

int Worker::run() {
  if (stop_requested) return cli::kExitOk;  // stopped while the rules were loading
  choose_rules();
  timing_ = rebalance_timing(options_);
  std::string error;
  if (!options_.alerts_topic.empty() || !options_.dead_letter_topic.empty()) {
    sink_ = KafkaSink::open(options_, error);
    if (!sink_) {
      log_error(error);
      return cli::kExitUsage;
    }
  }
  if (sink_ && !options_.alerts_topic.empty()) {
    if (sink_->alerts_partition(0) < 0) {
      log_warn("alerts partitioned by key: alerts written again after a handover are not suppressed (at-least-once)");
    } else if (!(reader_ = AlertsReader::open(options_, error))) {
      log_error(error);
      return cli::kExitUsage;
    }
  }
  runner_.set_alert_sink([this](Alert&& alert) {
    // Already in the alerts topic, written before a handover: not twice.
    if (handover_.suppress(current_.partition, current_.offset, alert.id)) return;
    ++alerts_;
    std::string text = format_(alert, runner_.rule(alert.rule));
    if (sink_ && !options_.alerts_topic.empty()) {
      if (!text.empty() && text.back() == '\n') text.pop_back();
      sink_->send_alert(alert.id, text, options_.topic, current_.partition, current_.offset);
    } else {
      std::fwrite(text.data(), 1, text.size(), out_);
    }
  });
  KafkaSource::Callbacks callbacks;
  callbacks.assigned = [this](const std::vector<std::int32_t>& partitions) { take_over(partitions); };
  callbacks.revoked = [this](const std::vector<std::int32_t>& partitions) {
    commit(&partitions, "revoked", Wait::Handover);
    forget(partitions);
    log_info("revoked " + partition_list(options_.topic, partitions));
  };
  callbacks.lost = [this](const std::vector<std::int32_t>& partitions) {
    // Not committed: their next owner reads them again from the last commit and finds the
    // alerts written since. Forgotten, so that no later commit names them. What this worker
    // sent and is not acknowledged is withdrawn: the group may have moved the partitions
    // already, and the next owner, which makes those alerts again, may have read the alerts
    // topic (a late landing would be a duplicate; a forwarded event withdrawn is forwarded
    // again by the next owner).
    forget(partitions);
    if (sink_) withdraw(*sink_, "lost " + partition_list(options_.topic, partitions), partitions);
    log_warn("lost " + partition_list(options_.topic, partitions) +
             " (assignment lost: the session expired or the group moved on without this worker); not committed");
  };
  if (!options_.repartition_topic.empty() && (!reader_ || !open_sequences(error))) {
    log_error(reader_ ? error : "--repartition-topic needs an alerts topic of known partitions");
    return cli::kExitUsage;
  }
  source_ = KafkaSource::open(options_, callbacks, error);
  if (!source_) {
    log_error(error);
    return cli::kExitUsage;
  }
  log_info("member of group " + options_.group + " on " + options_.brokers + ", topic " + options_.topic + ", alerts to " +
           (options_.alerts_topic.empty() ? std::string("standard output") : options_.alerts_topic));
  using Clock = std::chrono::steady_clock;
  auto last_commit = Clock::now(), last_stats = Clock::now();
  while (!stop_requested && !failed_) {
    // Both consumers are served in turn; one waits only when neither had a message.
    bool idle = true;
    if (source_->poll(repartitioned_ ? 0 : 100, current_)) {
      handle(current_);
      idle = false;
    }
    if (repartitioned_ && repartitioned_->poll(0, repartitioned_current_)) {
      handle_repartitioned(repartitioned_current_);
      idle = false;
    }
    if (idle && repartitioned_ && source_->poll(50, current_)) {
      handle(current_);
      idle = false;
    }
    // Input waits: the reorder windows let go of what waited --max-delay.
    if (idle && sequences_) sequences_->release_overdue();
    if (sink_) sink_->serve();
    if (sequence_sink_) sequence_sink_->serve();
    auto now = Clock::now();
    if (now - last_commit >= std::chrono::milliseconds(options_.commit_interval_ms)) {
      commit(nullptr, "interval", Wait::Interval);
      last_commit = now;
    }
    if (now - last_stats >= std::chrono::milliseconds(options_.stats_interval_ms)) {
      stats(std::chrono::duration<double>(now - last_stats).count());
      last_stats = now;
    }
  }
  // SIGTERM/SIGINT: the events in hand are done; what the reorder windows hold is decided
  // (as at the end of a file); commit, leave the groups.
  if (!failed_ && sequences_) {
    sequences_->finish();
    flush_sequences("shutdown");
  }
  if (!failed_) commit(nullptr, "shutdown", Wait::Shutdown);
  source_->close();
  if (repartitioned_) repartitioned_->close();
  stats(std::chrono::duration<double>(Clock::now() - last_stats).count());
  log_info(failed_ ? "stopped: alerts could not be delivered" : "left the group");
  return failed_ ? cli::kExitUsage : cli::kExitOk;
}

}  // namespace

int KafkaService::serve(RuleRunner& runner, const AlertFormat& format, const EventReadOptions& read, std::FILE* out,
                        std::FILE*) {
  if (errors_) errors_->drain();  // the load's warnings, as log records
  // Events are read as a file's are, for the fields the rules and the alert writer read,
  // and the one that routes them to the repartition topic.
  EventReadOptions kafka_read = read;
  if (read.fields && !options_.repartition_topic.empty()) {
    std::vector<std::string> fields = read.fields->paths();
    fields.push_back(options_.partition_by);
    kafka_read.fields = std::make_shared<const FieldSelection>(fields);
  }
  Worker worker(options_, runner, format, kafka_read, out);
  return worker.run();
}

int run_kafka(cli::Args args) {
  KafkaOptions options;
  std::vector<std::string_view> rest;
  auto problem = take_kafka_options(args, options, rest);
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
    std::fputs(kKafkaUsage, stdout);
    return cli::kExitOk;
  }
  if (problem) {
    std::fprintf(stderr, "eql run: %s\n\n%s", problem->c_str(), kKafkaUsage);
    return cli::kExitUsage;
  }
  bool debug = std::any_of(options.properties.begin(), options.properties.end(),
                           [](const auto& property) { return property.first == "debug"; });
  init_log(options.json_log, debug);
  // SIGTERM/SIGINT from now on: finish the events in hand, commit, leave, exit 0.
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);
  // JSON lines on stderr means every line: eql run's own messages become records too.
  std::unique_ptr<ErrorStreamLog> errors;
  if (options.json_log) errors = std::make_unique<ErrorStreamLog>();
  std::FILE* err = errors && errors->file() ? errors->file() : stderr;
  KafkaService service(std::move(options), errors.get());
  return cli::run_rules_command(cli::Args(rest.data(), rest.size()), stdout, err, cli::stdout_is_terminal(),
                                &service);
}

}  // namespace eql::kafka
