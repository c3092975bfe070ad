// Exactly-once alerts across a handover (docs/kafka.md#exactly-once): what the commit
// metadata records, and the alerts a new owner of a source partition finds already written
// past the commit, suppressed when its re-processing makes them again. Plain data and
// logic, no librdkafka: the reading of the alerts partition is AlertsReader's (clients.h).
// Internal to src/kafka/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eql::kafka {

/// What a commit of a source partition records with its offset: the alerts partition its
/// alerts go to, and the alerts offset after which every alert of that source partition is
/// of an event at or after the committed offset (-1: from the partition's start).
struct CommitMark {
  std::int32_t alerts_partition = -1;
  std::int64_t alerts_high = -1;
};

/// `{"v":1,"alerts_partition":P,"alerts_high":O}`
std::string format_commit_metadata(const CommitMark& mark);
/// The mark of a metadata string written by format_commit_metadata; nullopt for anything
/// else (no metadata, another writer's, another version).
std::optional<CommitMark> parse_commit_metadata(std::string_view text);

/// How long a member whose partitions are being revoked may still wait for its alerts (and
/// forwarded events) to be acknowledged, so that they land before the partitions' next
/// owner reads the alerts topic (docs/kafka.md#exactly-once). A coordinator hands a
/// member's partitions to others once the member has not rejoined within its rebalance
/// window: librdkafka's mock cluster waits `session.timeout.ms` minus one second, a real
/// broker `max.poll.interval.ms`; the shorter is assumed. The member heard of the rebalance
/// at most a heartbeat interval after it began, and its application saw it `stalled_ms`
/// later (the time since it last polled); a margin stays for the commit and the rejoin.
/// At most `cap_ms`; 0 or less: no time left, what is not acknowledged must be withdrawn.
struct RebalanceTiming {
  std::int64_t session_timeout_ms = 45'000;    // librdkafka's default
  std::int64_t heartbeat_interval_ms = 3'000;  // librdkafka's default
};
std::int64_t handover_budget_ms(const RebalanceTiming& timing, std::int64_t stalled_ms, std::int64_t cap_ms);

/// An alert found in the alerts topic: the event that made it (by the headers) and where
/// it is in the alerts partition.
struct WrittenAlert {
  std::int64_t source_offset = 0;
  std::int64_t alerts_offset = 0;
  std::string id;
};

/// Per source partition of this worker: the alerts already written for events at or after
/// the committed offset (by a killed owner, or one whose last commit failed), and how far
/// the alerts partition was read.
class Handover {
 public:
  /// A partition given to this worker: `written` are the alerts of that source partition
  /// read from its alerts partition up to `read_end` (the high-water mark read to);
  /// re-processing starts at `committed_next`, so earlier ones are not kept.
  void take(std::int32_t partition, std::int64_t committed_next, std::int64_t read_end,
            const std::vector<WrittenAlert>& written);
  /// A partition taken away: forgotten.
  void drop(std::int32_t partition);
  /// Whether this alert of the event at `offset` is already in the alerts topic (then it
  /// must not be written again); each written alert suppresses once.
  bool suppress(std::int32_t partition, std::int64_t offset, const std::string& id);
  /// The alerts_high to commit with `next_offset` for this partition, given the highest
  /// offset this worker's own alerts of it were acknowledged at (-1: none). Forgets the
  /// written alerts of events before `next_offset` (this worker is past them).
  std::int64_t mark(std::int32_t partition, std::int64_t next_offset, std::int64_t own_high);
  /// Alerts suppressed so far, and those still expected (written, not yet made again).
  std::uint64_t suppressed() const { return suppressed_; }
  std::size_t pending() const;

 private:
  struct State {
    std::int64_t read_end = 0;
    /// (source offset, alert id) -> its offset in the alerts partition
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> written;
  };
  std::map<std::int32_t, State> partitions_;
  std::uint64_t suppressed_ = 0;
};

/// Per source partition: the messages sent on behalf of its events (alerts, forwarded
/// events, dead letters) and not yet acknowledged, and the alerts acknowledged, so that an
/// interval commit takes what has landed without waiting for what has not
/// (docs/kafka.md#exactly-once): the offset committed is the first event with a message
/// still on its way, and its mark the last alert acknowledged of the events before it.
/// Plain data, fed by the sink's delivery reports.
class Acknowledgements {
 public:
  /// A message sent for the event at `offset`; the epoch returned comes back with its report
  /// (a partition forgotten and taken again does not count reports of what was sent before).
  std::uint32_t sent(std::int32_t partition, std::int64_t offset);
  /// It landed: `alerts_offset` is where, for an alert counted in the mark (-1 for other
  /// messages). A message that did not land (failed, withdrawn) is never settled: its
  /// event's offset is not committed (a failure stops the worker, a withdrawal is a
  /// handover, which forgets the partition).
  void settled(std::int32_t partition, std::uint32_t epoch, std::int64_t offset, std::int64_t alerts_offset);
  /// `next_offset` when every message of the events before it is acknowledged, else the
  /// first event with a message still on its way.
  std::int64_t acknowledged_until(std::int32_t partition, std::int64_t next_offset) const;
  /// The highest alerts offset of the acknowledged alerts of events before `offset` (-1:
  /// none).
  std::int64_t alerts_high(std::int32_t partition, std::int64_t before) const;
  /// `next_offset` was committed: what is kept about the events before it is folded.
  void committed(std::int32_t partition, std::int64_t next_offset);
  /// The partition went away: forgotten, with the reports still to come of what was sent.
  void forget(std::int32_t partition);

 private:
  struct Progress {
    std::uint32_t epoch = 0;
    std::map<std::int64_t, std::uint32_t> on_their_way;  // event offset -> messages not acknowledged
    std::map<std::int64_t, std::int64_t> alerts_landed;  // event offset -> highest alerts offset
    std::int64_t alerts_high_committed = -1;             // of the events before the last commit
  };
  std::map<std::int32_t, Progress> partitions_;
};

}  // namespace eql::kafka
