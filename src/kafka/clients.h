// The two ends of `eql run --kafka`, over librdkafka's C API: a source of events with
// their positions (a consumer-group member) and a sink of alerts and bad messages (an
// idempotent producer). No librdkafka type leaves src/kafka/. Internal to src/kafka/.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/handover.h"
#include "kafka/options.h"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_topic_partition_list_s;

namespace eql::kafka {

/// A consumed position: the next offset to read of one partition, and the metadata
/// string committed with it (docs/kafka.md: what it records).
struct Position {
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  std::string metadata;
};

class KafkaSource {
 public:
  struct Callbacks {
    /// Called on a rebalance with the partitions given to this member.
    std::function<void(const std::vector<std::int32_t>&)> assigned;
    /// Called before partitions are taken away, while they are still this member's: the
    /// place to commit what was done with them.
    std::function<void(const std::vector<std::int32_t>&)> revoked;
    /// Called when partitions were taken away without asking (librdkafka's "assignment
    /// lost": the session expired, or the coordinator refused this member's generation):
    /// they may be another member's already, so nothing may be committed for them; what
    /// is kept about them must be dropped. A commit of them later, with this member's
    /// next generation, would be refused again (illegal generation, unknown member), and
    /// librdkafka answers that refusal by declaring the new assignment lost too: the group
    /// would rebalance without end.
    std::function<void(const std::vector<std::int32_t>&)> lost;
    /// Partitions given to this member are read from their start, whatever was committed
    /// (the repartition topic: state is rebuilt by replay, docs/kafka.md).
    bool from_start = false;
  };
  struct Message {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string_view value;
    bool has_value = false;  ///< false for a tombstone (null value)
    /// The eql.source.partition and eql.source.offset headers (a repartitioned event's
    /// place in the input topic); -1 without them.
    std::int32_t source_partition = -1;
    std::int64_t source_offset = -1;
  };
  struct Lag {
    std::int32_t partition = 0;
    std::int64_t lag = -1;  ///< -1: not known yet
  };

  /// Joins the group (subscribes); problems in `error`.
  static std::unique_ptr<KafkaSource> open(const KafkaOptions& options, Callbacks callbacks, std::string& error);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  /// Waits up to `timeout_ms` for the next message (rebalances are served meanwhile).
  /// False when none came; consumer errors are logged. The message's value lives until
  /// the next poll.
  bool poll(int timeout_ms, Message& message);
  /// Commits synchronously; false with `error` when the commit failed.
  bool commit(const std::vector<Position>& positions, std::string& error);
  /// The committed position of a partition and its metadata, as the group coordinator
  /// holds them (nullopt when none).
  std::optional<Position> committed(std::int32_t partition);
  /// The same for several partitions in one request (those without a commit left out).
  /// The answer is kept for lag().
  std::vector<Position> committed(const std::vector<std::int32_t>& partitions);
  /// Each assigned partition's lag. Of a partition nothing was read from since it was
  /// assigned, from the committed offset last asked with committed() (not asked again: a
  /// request to a coordinator that is away blocks the worker), else from its first offset.
  std::vector<Lag> lag();
  /// Whether `partition` is this member's now.
  bool owns(std::int32_t partition) const;
  /// The first offset a partition still holds (older messages were deleted by retention);
  /// -1 when it could not be asked.
  std::int64_t first_offset(std::int32_t partition);
  /// Leaves the group (the revoked callback runs first).
  void close();
  /// In a rebalance callback: how long the application went without polling this consumer
  /// before it (the rebalance may have begun at the coordinator that long ago, plus a
  /// heartbeat interval). 0 outside callbacks.
  std::int64_t stalled_ms() const { return stalled_ms_; }

  /// librdkafka's rebalance callback lands here.
  void rebalance(int error, rd_kafka_topic_partition_list_s* partitions);

 private:
  KafkaSource() = default;
  rd_kafka_s* handle_ = nullptr;
  rd_kafka_message_s* current_ = nullptr;
  std::string topic_;
  Callbacks callbacks_;
  std::vector<std::int32_t> assigned_;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_poll_ = std::chrono::steady_clock::now();
  std::int64_t stalled_ms_ = 0;
  std::map<std::int32_t, std::int64_t> committed_;  // the last committed() answers
};

class KafkaSink {
 public:
  /// A producer for the alerts topic and/or the dead-letter topic.
  static std::unique_ptr<KafkaSink> open(const KafkaOptions& options, std::string& error);
  ~KafkaSink();
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  /// An alert, keyed by its id, to the alerts partition of its source partition, with
  /// headers naming the event that completed it (eql.source.topic: the input topic, or the
  /// repartition topic for sequences and samples, whose alerts are not `counted` in
  /// acknowledged(): that topic is replayed, not committed).
  void send_alert(std::string_view id, std::string_view json, std::string_view source_topic,
                  std::int32_t source_partition, std::int64_t source_offset, bool counted = true);
  /// An event re-keyed for sequence and sample rules, as it came, to a partition of the
  /// repartition topic, with headers naming its place in the input topic.
  void send_repartitioned(std::string_view value, std::int32_t partition, std::int32_t source_partition,
                          std::int64_t source_offset);
  /// The partitions of a topic as the brokers know them (0: unknown).
  std::int32_t partition_count(const std::string& topic);
  /// A message that is no event, as it came, with headers saying where from and why.
  void send_dead_letter(std::string_view value, std::string_view source_topic, std::int32_t source_partition,
                        std::int64_t source_offset, std::string_view why);
  /// Serves delivery reports without waiting.
  void serve();
  /// Waits until every message sent is acknowledged. False (with `error`) when one could
  /// not be delivered since the last call, or the wait timed out.
  bool flush(int timeout_ms, std::string& error);
  enum class Flushed { Done, Pending, Failed };
  /// The same, telling a wait that ran out (Pending: messages still on their way, none
  /// failed) from a message that could not be delivered (Failed, with `error`).
  Flushed flush_within(int timeout_ms, std::string& error);
  /// Withdraws every message not yet acknowledged (a handover that cannot wait for them:
  /// docs/kafka.md#exactly-once): those queued are dropped; those already sent get up to
  /// `in_flight_ms` to be acknowledged, then are dropped too (a request a broker already
  /// took may still be appended). Their delivery reports are not failures. Returns how many
  /// were withdrawn.
  std::uint64_t withdraw(int in_flight_ms);
  /// What is acknowledged of the messages sent for a source partition's events (alerts
  /// counted in alerts_high, forwarded events, dead letters): what a commit may take.
  const Acknowledgements& acknowledged() const { return acknowledged_; }
  /// A commit of `partition` up to `next_offset` went through: what lies before it is
  /// settled for good (Acknowledgements::committed).
  void committed(std::int32_t partition, std::int64_t next_offset) { acknowledged_.committed(partition, next_offset); }
  /// The partition went to another member: what is tracked for it is dropped.
  void forget(std::int32_t partition) { acknowledged_.forget(partition); }
  /// The alerts partition of a source partition (-1: chosen by key).
  std::int32_t alerts_partition(std::int32_t source_partition) const;

  /// librdkafka's delivery report callback lands here.
  void delivered(const rd_kafka_message_s* message);

 private:
  KafkaSink() = default;
  // The event a message was sent for (partition -1: not tracked), given back with its
  // delivery report.
  struct Origin {
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::uint32_t epoch = 0;
    bool alert = false;  // an alert counted in the commit mark
  };
  void produce(const std::string& topic, std::int32_t partition, std::string_view key, std::string_view value,
               void* headers, Origin origin);
  rd_kafka_s* handle_ = nullptr;
  std::string alerts_topic_;
  std::string dead_letter_topic_;
  std::string repartition_topic_;
  std::int32_t alerts_partitions_ = 0;  // 0: unknown, the partitioner chooses by key
  Acknowledgements acknowledged_;
  std::uint64_t failed_ = 0;
  std::uint64_t withdrawn_ = 0;
  std::string last_failure_;
};

/// Reads back what is in a partition of the alerts topic (a consumer outside the group,
/// docs/kafka.md#exactly-once).
class AlertsReader {
 public:
  static std::unique_ptr<AlertsReader> open(const KafkaOptions& options, std::string& error);
  ~AlertsReader();
  AlertsReader(const AlertsReader&) = delete;
  AlertsReader& operator=(const AlertsReader&) = delete;

  /// Reads partition `alerts_partition` from offset `from` (-1, or before the partition's
  /// start: from its start) to its high-water mark as it is now, which goes to `end`; the
  /// alerts whose eql.source.partition header names `source_partition` of `source_topic`
  /// (the eql.source.topic header; alerts without it are of the input topic) go to `out`.
  /// False (with `error`) when the partition could not be read to that mark within
  /// `timeout_ms`.
  bool read(std::int32_t alerts_partition, std::int64_t from, std::string_view source_topic,
            std::int32_t source_partition, int timeout_ms, std::vector<WrittenAlert>& out, std::int64_t& end,
            std::string& error);

 private:
  AlertsReader() = default;
  rd_kafka_s* handle_ = nullptr;
  std::string topic_;
  std::string input_topic_;
};

}  // namespace eql::kafka
