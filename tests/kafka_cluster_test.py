#!/usr/bin/env python3
"""`eql run --kafka` against librdkafka's mock cluster (eql-mock-kafka), in separate
processes as on separate machines.

1. Two workers in one consumer group share a 6-partition topic of generated events (with
   incidents that make rules alert, and one message that is no JSON): the alert ids in the
   alerts topic must be exactly the event-rule alert ids of `eql run` over the same events in
   a file; each worker must have been assigned partitions; the bad message must be logged with
   topic/partition/offset and copied to the dead-letter topic; SIGTERM: both exit 0.
2. A worker killed with SIGKILL mid-stream, a new one started in its place: no alert is
   lost (at-least-once: duplicates are allowed at this step, counted and reported).
3. A broker taken down mid-stream for 3 s and brought back (the mock's control commands):
   the worker recovers and no alert is lost.

    kafka_cluster_test.py EQL MOCK_KAFKA GEN_EVENTS RULES WORKDIR
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

failures, passed = [], []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    (passed if condition else failures).append(what)


def read_topic(kcat, address, topic):
    """Every message of a topic, as (key, value) pairs."""
    result = subprocess.run([kcat, "-C", "-b", address, "-t", topic, "-e", "-q", "-f", "%k\t%s\n"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60, check=False)
    return [tuple(line.split("\t", 1)) for line in result.stdout.decode().splitlines() if "\t" in line]


def wait_for(predicate, seconds, step=0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Worker:
    def __init__(self, eql, rules, address, group, alerts_topic, log_path, extra=()):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [eql, "run", "--quiet", "--rules", str(rules), "--kafka", address, "--topic", "ecs-events",
             "--group", group, "--alerts-topic", alerts_topic, "--dead-letter-topic", "eql-dead",
             "--log-format", "json", "--stats-interval", "1s", "--commit-interval", "200ms",
             # A member that went away (killed, or replaced by its own rejoin) is dropped
             # from the group after the session timeout: short here, so tests settle fast.
             "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500", *extra, *os.environ.get("EQL_KAFKA_TEST_ARGS", "").split()],
            stdout=subprocess.DEVNULL, stderr=self.log)

    def records(self):
        out = []
        for line in pathlib.Path(self.log_path).read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # not a log record (e.g. a rule diagnostic)
            if isinstance(record, dict):  # a diagnostic's line can be JSON too (a quoted string)
                out.append(record)
        return out

    def messages(self):
        return [record.get("message", "") for record in self.records()]

    def assigned(self):
        return [m for m in self.messages() if m.startswith("assigned ecs-events[") and "[]" not in m]

    def stats(self):
        return [m for m in self.messages() if m.startswith("stats: ")]

    def events_done(self):
        stats = self.stats()
        return int(stats[-1].split()[1]) if stats else 0

    def commits(self):
        stats = self.stats()
        return int(stats[-1].split(" commits")[0].rsplit(" ", 1)[1]) if stats else 0

    def caught_up(self):
        """Assigned, and the last stats line says every assigned partition is read to its end."""
        stats = self.stats()
        if not self.assigned() or not stats or "lag " not in stats[-1]:
            return False
        lags = stats[-1].split("lag ", 1)[1].split()
        return bool(lags) and all(lag.endswith(":0") for lag in lags)

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        try:
            code = self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = None
        self.log.close()
        return code


def expected_ids(eql, rules, events):
    result = subprocess.run([eql, "run", "--quiet", "--rules", str(rules), str(events)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    ids = set()
    for line in result.stdout.decode().splitlines():
        alert = json.loads(line)
        if "event" in alert:  # event rules: what Kafka mode runs at this step
            ids.add(alert["alert_id"])
    return ids


def main():
    eql, mock, gen_events, rules, work = sys.argv[1:6]
    kcat = os.environ.get("KCAT", "kcat")
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    events = work / "events.ndjson"
    with open(events, "wb") as out:
        subprocess.run([sys.executable, gen_events, "--events", "20000", "--hosts", "50", "--trigger-share", "0.01",
                        "--trigger-rules", rules], stdout=out, check=True)
    expected = expected_ids(eql, rules, events)
    check(len(expected) >= 10, "the file run gives event-rule alerts to compare with: %d" % len(expected))

    cluster = subprocess.Popen([mock, "--brokers", "3", "--topic", "ecs-events:6", "--topic", "eql-alerts:6",
                                "--topic", "eql-alerts-2:6", "--topic", "eql-alerts-3:6", "--topic", "eql-dead:1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    workers = []
    try:
        address = cluster.stdout.readline().decode().strip()
        check(":" in address, "the mock cluster's bootstrap address: %s" % address)

        # 1. Two workers, one group.
        workers = [Worker(eql, rules, address, "eql-detect", "eql-alerts", work / ("worker%d.log" % i))
                   for i in range(2)]
        check(wait_for(lambda: all(w.assigned() for w in workers), 60),
              "both workers were assigned partitions: %s" % [w.assigned()[-1:] for w in workers])
        lines = events.read_bytes().splitlines(keepends=True)
        half = len(lines) // 2
        payload = work / "payload.ndjson"
        # Keyed by line number, so that the partitioner spreads them over the 6 partitions.
        lines = lines[:half] + [b"this is not json\n"] + lines[half:]
        payload.write_bytes(b"".join(b"%d\t%s" % (i, line) for i, line in enumerate(lines)))
        with open(payload, "rb") as source:  # from standard input: one message a line
            subprocess.run([kcat, "-P", "-b", address, "-t", "ecs-events", "-K", "\t"], stdin=source,
                           check=True, timeout=120)

        def alert_ids():
            return [key for key, _ in read_topic(kcat, address, "eql-alerts")]
        wait_for(lambda: set(alert_ids()) >= expected, 120)
        time.sleep(1.0)  # anything beyond the expected would be there by now
        ids = alert_ids()
        check(set(ids) == expected, "alerts topic: %d distinct ids, the file run %d; missing %d, extra %d" % (
            len(set(ids)), len(expected), len(expected - set(ids)), len(set(ids) - expected)))
        print("duplicates in the alerts topic (two workers, no failure): %d" % (len(ids) - len(set(ids))))
        codes = [w.stop() for w in workers]
        check(codes == [0, 0], "SIGTERM: both workers exit 0: %s" % codes)
        messages = [m for w in workers for m in w.messages()]
        check(any(m.startswith("bad message ecs-events/") and "@" in m and "invalid JSON" in m for m in messages),
              "the bad message is logged with topic/partition@offset")
        dead = read_topic(kcat, address, "eql-dead")
        check([value for _, value in dead] == ["this is not json"], "the dead-letter topic holds it: %s" % dead)
        check(any(m.startswith("left the group") for m in messages) and any(m.startswith("stats:") for m in messages),
              "the log has stats lines and the leaving")

        # 2. SIGKILL mid-stream, a new worker in its place: nothing lost.
        first = Worker(eql, rules, address, "eql-kill", "eql-alerts-2", work / "killed.log",
                       extra=("--stats-interval", "200ms"))
        workers = [first]
        # Killed as soon as a stats line shows it at work with a commit done (the stream
        # takes it a few seconds).
        wait_for(lambda: first.events_done() > 0 and first.commits() > 0, 60, step=0.05)
        first.stop(signal.SIGKILL)
        done_before = first.events_done()
        before = len(read_topic(kcat, address, "eql-alerts-2"))
        second = Worker(eql, rules, address, "eql-kill", "eql-alerts-2", work / "replacement.log")
        workers = [second]

        def alert_ids_2():
            return [key for key, _ in read_topic(kcat, address, "eql-alerts-2")]
        wait_for(lambda: second.caught_up() and set(alert_ids_2()) >= expected, 120)
        ids = alert_ids_2()
        check(set(ids) == expected, "after kill -9 and a replacement: %d distinct ids of %d" % (
            len(set(ids) & expected), len(expected)))
        print("killed after %d of %d events, %d alerts written by then; duplicates after the kill "
              "(at-least-once): %d" % (done_before, len(lines), before, len(ids) - len(set(ids))))
        # The replacement starts where the killed worker committed, and reads back the
        # metadata committed with the offsets (how far the alerts partition was written).
        resumed = [m for m in second.assigned() if "committed:" in m]
        check(bool(resumed) and '"alerts_high":' in resumed[0],
              "the replacement reads the committed offsets and their metadata: %s" % resumed[:1])
        check(second.stop() == 0, "the replacement exits 0 on SIGTERM")

        # 3. A broker taken down mid-stream and brought back: the worker recovers, nothing lost.
        third = Worker(eql, rules, address, "eql-down", "eql-alerts-3", work / "broker-down.log",
                       extra=("--stats-interval", "200ms"))
        workers = [third]
        wait_for(lambda: third.events_done() > 0, 60, step=0.05)
        down_at = third.events_done()
        answers = []
        for command in ["down 2", None, "up 2"]:
            if command is None:
                time.sleep(3)
                continue
            cluster.stdin.write((command + "\n").encode())
            cluster.stdin.flush()
            answers.append(cluster.stdout.readline().decode().strip())
        check(answers == ["ok", "ok"], "broker 2 down for 3 s, then up: %s" % answers)

        def alert_ids_3():
            return [key for key, _ in read_topic(kcat, address, "eql-alerts-3")]
        wait_for(lambda: third.caught_up() and set(alert_ids_3()) >= expected, 120)
        ids = alert_ids_3()
        check(set(ids) == expected, "with a broker down and back: %d distinct ids of %d, %d extra" % (
            len(set(ids) & expected), len(expected), len(set(ids) - expected)))
        print("broker down after %d of %d events; duplicates: %d" % (down_at, len(lines), len(ids) - len(set(ids))))
        check(third.stop() == 0, "the worker exits 0 on SIGTERM after the broker came back")
        workers = []
    finally:
        for w in workers:
            if w.process.poll() is None:
                w.process.kill()
        cluster.terminate()
        cluster.wait(30)
    print("kafka-cluster: %d passed, %d failed" % (len(passed), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
