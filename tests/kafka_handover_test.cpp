// Exactly-once across a handover in Kafka mode (src/kafka/handover.h): the commit metadata
// and what a new owner suppresses; the multi-process proof is kafka_cluster_test.py.
#include <doctest/doctest.h>

#if EQL_WITH_KAFKA

#include <string>
#include <vector>

#include "kafka/handover.h"

namespace eql::kafka {
namespace {

TEST_CASE("kafka handover: commit metadata is written and read back, anything else is not ours") {
  CommitMark mark{3, 41};
  CHECK(format_commit_metadata(mark) == R"({"v":1,"alerts_partition":3,"alerts_high":41})");
  auto back = parse_commit_metadata(format_commit_metadata(mark));
  REQUIRE(back);
  CHECK(back->alerts_partition == 3);
  CHECK(back->alerts_high == 41);
  CHECK(parse_commit_metadata(R"({"v":1,"alerts_partition":-1,"alerts_high":-1})")->alerts_high == -1);
  for (const char* other : {"", "x", R"({"v":2,"alerts_partition":3,"alerts_high":41})",
                            R"({"v":1,"alerts_partition":3})", R"({"v":1,"alerts_partition":3,"alerts_high":4x})",
                            R"({"v":1,"alerts_partition":3,"alerts_high":-7})"}) {
    CHECK_MESSAGE(!parse_commit_metadata(other), other);
  }
}

TEST_CASE("kafka handover: alerts written past the commit are suppressed once, earlier ones never") {
  Handover handover;
  // Committed at 100; the old owner had written alerts for events 90 (before the commit,
  // acknowledged late), 100 (two rules) and 120, at alerts offsets 7, 8, 9, 12.
  handover.take(0, 100, 13, {{90, 7, "a"}, {100, 8, "b"}, {100, 9, "c"}, {120, 12, "d"}});
  CHECK(handover.pending() == 3);
  CHECK_FALSE(handover.suppress(0, 90, "a"));   // never made again: not kept
  CHECK_FALSE(handover.suppress(1, 100, "b"));  // another partition
  CHECK_FALSE(handover.suppress(0, 101, "b"));  // same id, another event
  CHECK(handover.suppress(0, 100, "b"));
  CHECK_FALSE(handover.suppress(0, 100, "b"));  // once
  CHECK(handover.suppress(0, 100, "c"));
  CHECK(handover.suppressed() == 2);
  CHECK(handover.pending() == 1);
}

TEST_CASE("kafka handover: the mark committed keeps unsuppressed alerts readable for the next owner") {
  Handover handover;
  handover.take(0, 100, 13, {{100, 8, "b"}, {120, 12, "d"}, {130, 10, "e"}});
  // Committed at 110 while the alerts of 120 and 130 are still to come: the next owner must
  // read from the first of them (offset 10), whatever this worker has written since.
  CHECK(handover.mark(0, 110, 20) == 9);
  CHECK(handover.pending() == 2);
  CHECK(handover.suppress(0, 120, "d"));
  // Past them all: the mark is this worker's own (or the read end, when higher).
  CHECK(handover.mark(0, 131, 20) == 20);
  CHECK(handover.pending() == 0);
  CHECK(handover.mark(0, 140, -1) == 12);
  // A partition never taken over: this worker's own mark.
  CHECK(handover.mark(5, 10, 33) == 33);
  handover.drop(0);
  CHECK(handover.mark(0, 150, -1) == -1);
}

TEST_CASE("kafka handover: a revoked member waits for its acknowledgements only while the group would wait") {
  // The tests' settings: the mock hands partitions over 5 s after a rebalance began without
  // this member; it heard of it within a heartbeat (0.5 s); a fifth of the window is margin.
  RebalanceTiming tests{6'000, 500};
  CHECK(handover_budget_ms(tests, 0, 30'000) == 3'500);
  CHECK(handover_budget_ms(tests, 100, 30'000) == 3'400);
  // Stalled (a flush, a read of the alerts topic, compiling rules) past the window: no
  // time left, what is unacknowledged is withdrawn rather than landing after the next
  // owner read the alerts topic.
  CHECK(handover_budget_ms(tests, 3'500, 30'000) == 0);
  CHECK(handover_budget_ms(tests, 11'000, 30'000) < 0);
  CHECK(handover_budget_ms(tests, -5, 30'000) == 3'500);  // a clock step back is no stall
  // librdkafka's defaults leave more than the cap.
  CHECK(handover_budget_ms(RebalanceTiming{}, 0, 30'000) == 30'000);
  CHECK(handover_budget_ms(RebalanceTiming{}, 10'000, 30'000) == 44'000 - 8'800 - 3'000 - 10'000);
  // A session timeout of a second or less: the whole of it is the window.
  CHECK(handover_budget_ms(RebalanceTiming{1'000, 100}, 0, 30'000) == 1'000 - 200 - 100);
}

TEST_CASE("kafka handover: an interval commit takes what has landed, and its mark the alerts before it") {
  Acknowledgements acks;
  CHECK(acks.acknowledged_until(0, 50) == 50);  // nothing sent: everything read is done
  CHECK(acks.alerts_high(0, 50) == -1);
  // Event 10 made two alerts, 11 a forwarded event, 12 an alert; partition 1 one alert.
  std::uint32_t epoch = acks.sent(0, 10);
  CHECK(acks.sent(0, 10) == epoch);
  acks.sent(0, 11);
  acks.sent(0, 12);
  acks.sent(1, 10);
  CHECK(acks.acknowledged_until(0, 13) == 10);
  acks.settled(0, epoch, 10, 100);
  CHECK(acks.acknowledged_until(0, 13) == 10);  // its second alert is still on its way
  acks.settled(0, epoch, 12, 102);              // acknowledged out of order (another partition of the topics)
  CHECK(acks.acknowledged_until(0, 13) == 10);
  acks.settled(0, epoch, 10, 101);
  CHECK(acks.acknowledged_until(0, 13) == 11);
  // Commit at 11: the mark is the last alert of events before 11, not event 12's.
  CHECK(acks.alerts_high(0, 11) == 101);
  acks.committed(0, 11);
  CHECK(acks.alerts_high(0, 11) == 101);
  acks.settled(0, epoch, 11, -1);
  CHECK(acks.acknowledged_until(0, 13) == 13);
  CHECK(acks.alerts_high(0, 13) == 102);
  acks.committed(0, 13);
  CHECK(acks.alerts_high(0, 20) == 102);
  CHECK(acks.acknowledged_until(1, 11) == 10);  // partitions apart
  // A report of what was never sent, or sent again: not counted twice.
  acks.settled(0, epoch, 40, 7);
  CHECK(acks.acknowledged_until(0, 50) == 50);
  CHECK(acks.alerts_high(0, 50) == 102);
}

TEST_CASE("kafka handover: a partition forgotten ignores the reports of what it sent before") {
  Acknowledgements acks;
  const std::uint32_t before = acks.sent(3, 5);
  acks.forget(3);
  CHECK(acks.acknowledged_until(3, 9) == 9);
  const std::uint32_t now = acks.sent(3, 5);  // taken again, event 5 read again
  CHECK(now != before);
  acks.settled(3, before, 5, 70);  // the old message's late report
  CHECK(acks.acknowledged_until(3, 9) == 5);
  CHECK(acks.alerts_high(3, 9) == -1);
  acks.settled(3, now, 5, 71);
  CHECK(acks.acknowledged_until(3, 9) == 9);
  CHECK(acks.alerts_high(3, 9) == 71);
}

}  // namespace
}  // namespace eql::kafka

#endif
