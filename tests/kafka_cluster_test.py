#!/usr/bin/env python3
"""`eql run --kafka` against librdkafka's mock cluster (eql-mock-kafka), in separate
processes as on separate machines. Every alerts topic must end holding exactly the
event-rule alert ids of `eql run` over the same events in a file, each once
(exactly-once, docs/kafka.md). One part per ctest test (the first argument):

workers:

1. Two workers in one consumer group share a 6-partition topic of generated events (with
   incidents that make rules alert, and one message that is no JSON): the alert ids in the
   alerts topic must be exactly the event-rule alert ids of `eql run` over the same events in
   a file; each worker must have been assigned partitions; the bad message must be logged with
   topic/partition/offset and copied to the dead-letter topic; SIGTERM: both exit 0.
2. A broker taken down mid-stream for 3 s and brought back (the mock's control commands):
   the worker recovers and no alert is lost.
kills: workers killed with SIGKILL at different points (before their first commit, after
   it, one replacement killed in turn, one of two workers killed and the other taking its
   partitions over): nothing lost, nothing twice; the alerts written past the commit by
   the killed worker are found and not written again.
rebalance: two workers on a live stream, a third joins mid-stream, then one leaves
   (SIGTERM): nothing lost, nothing twice.
stall: a worker revoked while the leader of its alerts partitions is away (its commits
   cannot flush; the group hands its partitions over 5 s into the rebalance whether it
   rejoined or not; broker 2 comes back once the revocation is served): it withdraws what
   is not acknowledged, nothing lost, nothing twice.
errors: request errors injected with the mock's `errors` command (Produce, Fetch,
   ListOffsets, OffsetCommit) before and during the run, then a SIGKILL and a replacement
   (with errors injected again): nothing lost, nothing twice (one Produce request in flight:
   see part_errors).
sequences: sequence and sample rules too, through a repartition topic: three workers, broker
   2 down for 3 s and back mid-stream, then one worker killed with SIGKILL and a new one
   started; once all is read, the workers leave one by one (each handing its repartition
   partitions over to be replayed). The alerts topic must hold exactly every alert id of the
   file run (event, sequence and sample rules), each once.

    kafka_cluster_test.py PART EQL MOCK_KAFKA GEN_EVENTS RULES WORKDIR
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
    def __init__(self, eql, rules, address, group, alerts_topic, log_path, extra=(), topic="ecs-events"):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [eql, "run", "--quiet", "--rules", str(rules), "--kafka", address, "--topic", topic,
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
                continue  # not a log record (e.g. a rule diagnostic), or one half written
            if isinstance(record, dict):
                out.append(record)
        return out

    def messages(self):
        return [record.get("message", "") for record in self.records()]

    def assigned(self):
        return [m for m in self.messages() if m.startswith("assigned ") and "[]" not in m]

    def stats(self):
        return [m for m in self.messages() if m.startswith("stats: ")]

    def events_done(self):
        stats = self.stats()
        return int(stats[-1].split()[1]) if stats else 0

    def commits(self):
        stats = self.stats()
        return int(stats[-1].split(" commits")[0].rsplit(" ", 1)[1]) if stats else 0

    def suppressed(self):
        """Alerts made again after a handover and not written, as the last stats line says."""
        stats = self.stats()
        return int(stats[-1].split(" already written")[0].rsplit(" ", 1)[1]) if stats else 0

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


def expected_ids(eql, rules, events, joins):
    """The alert ids of the file run: of event rules only, or of every rule (`joins`)."""
    result = subprocess.run([eql, "run", "--quiet", "--rules", str(rules), str(events)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    ids, join_ids = set(), set()
    for line in result.stdout.decode().splitlines():
        alert = json.loads(line)
        ids.add(alert["alert_id"])
        if "event" not in alert:
            join_ids.add(alert["alert_id"])
    return (ids, join_ids) if joins else (ids - join_ids, set())


class Cluster:
    """eql-mock-kafka with the topics of every part, its control commands, and kcat."""

    def __init__(self, mock, kcat):
        self.kcat = kcat
        topics = ["ecs-events:6", "ecs-events-live:6", "ecs-events-seq:6", "eql-repartition-seq:6",
                  "eql-alerts-seq:6", "eql-dead:1", "eql-alerts:6", "eql-alerts-down:6",
                  "eql-alerts-rebalance:6", "eql-alerts-errors:6", "ecs-events-stall:2", "eql-alerts-stall:2"] + ["eql-alerts-kill%d:6" % i for i in range(4)]
        self.process = subprocess.Popen([mock, "--brokers", "3"] + [a for t in topics for a in ("--topic", t)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.address = self.process.stdout.readline().decode().strip()

    def command(self, line):
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()
        return self.process.stdout.readline().decode().strip()

    def produce(self, topic, lines, first_key=0):
        """One message a line, keyed by line number so that the partitioner spreads them."""
        payload = b"".join(b"%d\t%s" % (first_key + i, line) for i, line in enumerate(lines))
        subprocess.run([self.kcat, "-P", "-b", self.address, "-t", topic, "-K", "\t"], input=payload,
                       check=True, timeout=120)

    def alert_ids(self, topic):
        return [key for key, _ in read_topic(self.kcat, self.address, topic)]

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def check_exactly_once(cluster, topic, expected, what):
    ids = cluster.alert_ids(topic)
    duplicates = len(ids) - len(set(ids))
    twice = sorted(i for i in set(ids) if ids.count(i) > 1)
    check(set(ids) == expected and duplicates == 0,
          "%s: %d distinct ids of the file run's %d, missing %d %s, extra %d %s, duplicates %d %s" % (
              what, len(set(ids) & expected), len(expected), len(expected - set(ids)), sorted(expected - set(ids))[:5],
              len(set(ids) - expected), sorted(set(ids) - expected)[:5], duplicates, twice[:5]))
    return duplicates


def settle(cluster, topic, expected, workers, seconds=120):
    """Until every worker alive has read its partitions to the end and the alerts are in."""
    wait_for(lambda: all(w.caught_up() for w in workers if w.process.poll() is None)
             and set(cluster.alert_ids(topic)) >= expected, seconds)
    time.sleep(1.0)  # anything beyond the expected (a duplicate) would be there by now


def part_workers(env, cluster, expected, lines):
    eql, rules, work = env[:3]
    workers = [Worker(eql, rules, cluster.address, "eql-detect", "eql-alerts", work / ("worker%d.log" % i))
               for i in range(2)]
    started = list(workers)
    try:
        check(wait_for(lambda: all(w.assigned() for w in workers), 60),
              "both workers were assigned partitions: %s" % [w.assigned()[-1:] for w in workers])
        cluster.produce("ecs-events", lines)
        settle(cluster, "eql-alerts", expected, workers)
        check_exactly_once(cluster, "eql-alerts", expected, "two workers, no failure")
        codes = [w.stop() for w in workers]
        check(codes == [0, 0], "SIGTERM: both workers exit 0: %s" % codes)
        messages = [m for w in workers for m in w.messages()]
        check(any(m.startswith("bad message ecs-events/") and "@" in m and "invalid JSON" in m for m in messages),
              "the bad message is logged with topic/partition@offset")
        dead = read_topic(cluster.kcat, cluster.address, "eql-dead")
        check([value for _, value in dead] == ["this is not json"], "the dead-letter topic holds it: %s" % dead)
        check(any(m.startswith("left the group") for m in messages) and any(m.startswith("stats:") for m in messages),
              "the log has stats lines and the leaving")

        # A broker taken down mid-stream and brought back: the worker recovers, nothing lost.
        third = Worker(eql, rules, cluster.address, "eql-down", "eql-alerts-down", work / "broker-down.log",
                       extra=("--stats-interval", "200ms"))
        started.append(third)
        wait_for(lambda: third.events_done() > 0, 60, step=0.05)
        down_at = third.events_done()
        answers = [cluster.command("down 2")]
        time.sleep(3)
        answers.append(cluster.command("up 2"))
        check(answers == ["ok", "ok"], "broker 2 down for 3 s, then up: %s" % answers)
        settle(cluster, "eql-alerts-down", expected, [third])
        print("broker down after %d of %d events" % (down_at, len(lines)))
        check_exactly_once(cluster, "eql-alerts-down", expected, "with a broker down and back")
        check(third.stop() == 0, "the worker exits 0 on SIGTERM after the broker came back")
    finally:
        for w in started:
            if w.process.poll() is None:
                w.process.kill()


def kill_when(worker, events, commits_at_least=0, commits_at_most=None):
    """SIGKILL once the worker's stats show `events` done (and its commits in range)."""
    def ready():
        commits = worker.commits()
        return worker.events_done() >= events and commits >= commits_at_least and (
            commits_at_most is None or commits <= commits_at_most)
    reached = wait_for(ready, 60, step=0.05)
    worker.stop(signal.SIGKILL)
    return reached, worker.events_done(), worker.commits()


def part_kills(env, cluster, expected, lines):
    eql, rules, work = env[:3]
    cluster.produce("ecs-events", lines)
    total = len(lines)
    fast = ("--stats-interval", "100ms")
    runs = [
        # (name, [(events before the kill, commits at least, commits at most, extra options)], survivor)
        ("killed before its first commit", [(total // 4, 0, 0, ("--commit-interval", "60s"))]),
        ("killed after a commit", [(1, 1, None, ())]),
        ("killed, and its replacement killed in turn", [(total // 3, 1, None, ()), (total // 6, 0, None, ())]),
    ]
    suppressed = 0
    for number, (name, kills) in enumerate(runs):
        group, topic = "eql-kill%d" % number, "eql-alerts-kill%d" % number
        notes = []
        for step, (events, low, high, extra) in enumerate(kills):
            worker = Worker(eql, rules, cluster.address, group, topic, work / ("kill%d-%d.log" % (number, step)),
                            extra=fast + extra)
            try:
                reached, done, commits = kill_when(worker, events, low, high)
            finally:
                if worker.process.poll() is None:
                    worker.process.kill()
            check(reached, "%s: worker %d killed after %d events, %d commits" % (name, step, done, commits))
            suppressed += worker.suppressed()
            notes.append("%d events, %d commits" % (done, commits))
        last = Worker(eql, rules, cluster.address, group, topic, work / ("kill%d-last.log" % number), extra=fast)
        try:
            settle(cluster, topic, expected, [last])
            suppressed += last.suppressed()
            print("%s (%s): the last worker did not write %d alerts again" % (name, "; ".join(notes), last.suppressed()))
            check_exactly_once(cluster, topic, expected, name)
            resumed = [m for m in last.assigned() if "committed:" in m]
            if number > 0:
                check(bool(resumed) and '"alerts_high":' in resumed[0],
                      "%s: the last worker reads the committed offsets and their metadata: %s" % (name, resumed[:1]))
            check(last.stop() == 0, "%s: the last worker exits 0 on SIGTERM" % name)
        finally:
            if last.process.poll() is None:
                last.process.kill()

    # Two workers, one killed mid-stream: the other takes its partitions over.
    group, topic = "eql-kill3", "eql-alerts-kill3"
    pair = [Worker(eql, rules, cluster.address, group, topic, work / ("kill3-%d.log" % i), extra=fast)
            for i in range(2)]
    try:
        check(wait_for(lambda: all(w.assigned() for w in pair), 60), "two workers, each assigned partitions")
        reached, done, commits = kill_when(pair[0], 1, 1)
        check(reached, "one of two killed after %d events, %d commits" % (done, commits))
        settle(cluster, topic, expected, [pair[1]])
        wait_for(lambda: len(pair[1].assigned()) >= 2, 30)
        check(len(pair[1].assigned()) >= 2, "the survivor was given the killed worker's partitions: %s" %
              pair[1].assigned()[-1:])
        settle(cluster, topic, expected, [pair[1]])
        suppressed += pair[1].suppressed()
        print("one of two killed: the survivor did not write %d alerts again" % pair[1].suppressed())
        check_exactly_once(cluster, topic, expected, "one of two workers killed, the other takes over")
        check(pair[1].stop() == 0, "the survivor exits 0 on SIGTERM")
    finally:
        for w in pair:
            if w.process.poll() is None:
                w.process.kill()
    # The worker killed before its first commit had written alerts: the handover found them.
    check(suppressed > 0, "alerts written before a kill were found and not written again: %d" % suppressed)


def part_rebalance(env, cluster, expected, lines):
    eql, rules, work = env[:3]
    group, topic = "eql-rebalance", "eql-alerts-rebalance"
    extra = ("--stats-interval", "200ms")
    workers = [Worker(eql, rules, cluster.address, group, topic, work / ("rebalance%d.log" % i), extra=extra,
                      topic="ecs-events-live") for i in range(2)]
    try:
        check(wait_for(lambda: all(w.assigned() for w in workers), 60), "two workers, each assigned partitions")
        chunks = 10
        size = (len(lines) + chunks - 1) // chunks
        for chunk in range(chunks):
            cluster.produce("ecs-events-live", lines[chunk * size:(chunk + 1) * size], chunk * size)
            if chunk == 2:  # a third worker joins mid-stream
                workers.append(Worker(eql, rules, cluster.address, group, topic, work / "rebalance2.log",
                                      extra=extra, topic="ecs-events-live"))
                check(wait_for(lambda: workers[2].assigned(), 60), "the third worker is given partitions: %s" %
                      workers[2].assigned()[-1:])
            if chunk == 6:  # one leaves
                check(workers[0].stop() == 0, "the first worker leaves on SIGTERM, exit 0")
                check(any(m.startswith("revoked ") for m in workers[0].messages()),
                      "its partitions were revoked (alerts flushed, offsets committed) before it left")
            time.sleep(0.5)
        settle(cluster, topic, expected, workers[1:])
        check(all(any(m.startswith("revoked ") for m in w.messages()) for w in workers[1:2]),
              "the rebalances revoked partitions of the workers that stayed")
        check_exactly_once(cluster, topic, expected, "a third worker joins, one leaves")
        codes = [w.stop() for w in workers[1:]]
        check(codes == [0, 0], "the two remaining workers exit 0: %s" % codes)
    finally:
        for w in workers:
            if w.process.poll() is None:
                w.process.kill()


def part_errors(env, cluster, expected, lines):
    eql, rules, work = env[:3]
    cluster.produce("ecs-events", lines)
    group, topic = "eql-errors", "eql-alerts-errors"
    # API keys: Produce 0, Fetch 1, ListOffsets 2, OffsetCommit 8; error codes:
    # NOT_LEADER_OR_FOLLOWER 6, REQUEST_TIMED_OUT 7, OFFSET_METADATA_TOO_LARGE 12 (not retried:
    # the commit fails and the mark falls behind), NOT_COORDINATOR 16. The mock fails the
    # next requests of that key from any client: these are the workers' (the events are in).
    first = ["errors 0 6 3", "errors 0 7 2", "errors 1 6 3", "errors 2 6 2", "errors 8 12 2"]
    then = ["errors 0 6 2", "errors 8 16 4"]
    answers = [cluster.command(c) for c in first]
    # One Produce request in flight per connection. librdkafka takes the success of a later
    # request as proof that an earlier one which failed with an uncertain outcome (REQUEST_
    # TIMED_OUT) was written after all: a broker refuses a batch out of sequence. The mock
    # checks sequences only for transactional producers, and its injected error writes
    # nothing, so two requests in flight lost the earlier batch's alerts there (docs/kafka.md:
    # a mock artifact, not a real cluster's behaviour).
    extra = ("--stats-interval", "100ms", "-X", "max.in.flight.requests.per.connection=1")
    worker = Worker(eql, rules, cluster.address, group, topic, work / "errors0.log", extra=extra)
    try:
        wait_for(lambda: worker.events_done() >= len(lines) // 3, 60, step=0.05)
        answers += [cluster.command(c) for c in then]
        reached, done, commits = kill_when(worker, len(lines) // 2)
    finally:
        if worker.process.poll() is None:
            worker.process.kill()
    check(answers == ["ok"] * len(answers), "request errors injected: %s" % answers)
    check(reached, "the first worker killed after %d events, %d commits" % (done, commits))
    messages = worker.messages()
    check(any(m.startswith("commit (") and " failed: " in m for m in messages),
          "the failed commits are logged, and the worker went on")
    check(any(m.startswith("reading the offsets of eql-alerts-errors[") and "trying again" in m for m in messages),
          "a failed request reading back the alerts partition is tried again")
    answers = [cluster.command(c) for c in first]
    last = Worker(eql, rules, cluster.address, group, topic, work / "errors1.log", extra=extra)
    try:
        settle(cluster, topic, expected, [last])
        # What the alerts topic holds, with the events that made the alerts, to read when it fails.
        held = subprocess.run([cluster.kcat, "-C", "-b", cluster.address, "-t", topic, "-e", "-q", "-f",
                               "%p@%o %k %h\n"], stdout=subprocess.PIPE, timeout=60, check=False).stdout
        (work / "alerts-topic.txt").write_bytes(held)
        check_exactly_once(cluster, topic, expected, "request errors and a kill")
        print("errors: the replacement did not write %d alerts again" % last.suppressed())
        check(last.stop() == 0, "the replacement exits 0 on SIGTERM")
    finally:
        if last.process.poll() is None:
            last.process.kill()


def part_stall(env, cluster, expected, lines):
    """A worker revoked while the leader of its alerts partitions is away (docs/kafka.md: a
    revocation served late). Its commits cannot flush, a second worker joins, and the group
    hands the first one's partitions over after session.timeout.ms - 1 s whether it rejoined
    or not: what it could not get acknowledged must be withdrawn, not land after the
    newcomer read the alerts partitions (a duplicate), and the newcomer makes it again."""
    eql, rules, work = env[:3]
    group, topic, alerts = "eql-stall", "ecs-events-stall", "eql-alerts-stall"
    answers = [cluster.command(c) for c in ("coordinator group %s 1" % group, "leader %s 0 1" % topic,
                                            "leader %s 1 1" % topic, "leader %s 0 2" % alerts,
                                            "leader %s 1 2" % alerts, "leader eql-dead 0 1")]
    check(answers == ["ok"] * 6, "the group's coordinator and the events on broker 1, the alerts on broker 2: %s"
          % answers)
    first = Worker(eql, rules, cluster.address, group, alerts, work / "stall-first.log", topic=topic)
    started = [first]
    try:
        check(wait_for(lambda: first.assigned(), 60), "the first worker is assigned both partitions")
        half = len(lines) // 2
        cluster.produce(topic, lines[:half])
        wait_for(lambda: first.events_done() >= half - 1, 120, step=0.1)
        time.sleep(1.0)  # its alerts so far acknowledged and committed
        down = cluster.command("down 2")
        cluster.produce(topic, lines[half:], first_key=half)
        time.sleep(2.0)  # alerts of the second half queue for broker 2
        second = Worker(eql, rules, cluster.address, group, alerts, work / "stall-second.log", topic=topic)
        started.append(second)
        # Broker 2 stays away until the first worker has served its revocation, however long
        # the newcomer takes to load its rules (seconds under the sanitizers: a fixed sleep
        # let broker 2 come back before the rebalance began, and nothing was left to withdraw).
        joined = wait_for(lambda: any(m.startswith("member of group") for m in second.messages()), 180)
        revoked = wait_for(lambda: any(m.startswith("revoked ") for m in first.messages()), 60, step=0.1)
        up = cluster.command("up 2")
        check(joined and revoked, "the newcomer joined and the first worker served its revocation while broker 2 "
              "was away: %s" % [joined, revoked])
        check([down, up] == ["ok", "ok"], "broker 2 down and back: %s" % [down, up])
        settle(cluster, alerts, expected, started, 180)
        check_exactly_once(cluster, alerts, expected, "a revocation while the alerts' leader is away")
        withdrawn = [m for w in started for m in w.messages() if " withdrawn (" in m]
        check(withdrawn, "the revoked worker withdrew what was not acknowledged: %s" % withdrawn[:2])
        codes = [w.stop() for w in started]
        check(codes == [0, 0], "SIGTERM: both exit 0: %s" % codes)
    finally:
        for w in started:
            if w.process.poll() is None:
                w.process.kill()


def all_read(workers, partitions, since):
    """Between them, the workers hold every partition of the input and repartition topics,
    each read to its end, by stats lines newer than `since` (stats lines counted per worker)."""
    held = set()
    for worker, seen in zip(workers, since):
        stats = worker.stats()
        if len(stats) < seen + 3 or "lag " not in stats[-1]:
            return False
        for lag in stats[-1].split("lag ", 1)[1].split():
            name, _, behind = lag.partition(":")
            if behind != "0":
                return False
            held.add(name)
    return held >= {"%s%d" % (kind, p) for kind in ("", "r") for p in range(partitions)}


def part_sequences(env, cluster, expected, lines):
    eql, rules, work = env[:3]
    group, topic, joins = "eql-seq", "eql-alerts-seq", env[3]
    # The repartition topic interleaves the input partitions as the workers reach them (and
    # a killed worker's partitions lag by the session timeout): the reorder window covers
    # the whole input, and windows are released by event time only (no --max-delay), so the
    # result is the file run's whatever the timing; what they hold is decided at the end.
    extra = ("--repartition-topic", "eql-repartition-seq", "--max-lateness", "2h", "--max-delay", "0s",
             "--stats-interval", "200ms")
    started = []

    def start(name):
        worker = Worker(eql, rules, cluster.address, group, topic, work / name, extra=extra, topic="ecs-events-seq")
        started.append(worker)
        return worker

    try:
        workers = [start("seq%d.log" % i) for i in range(3)]
        check(wait_for(lambda: all(w.assigned() for w in workers), 60), "three workers, each assigned partitions")
        cluster.produce("ecs-events-seq", lines)
        wait_for(lambda: sum(w.events_done() for w in workers) > len(lines) // 6, 60, step=0.05)
        answers = [cluster.command("down 2")]
        time.sleep(3)
        answers.append(cluster.command("up 2"))
        check(answers == ["ok", "ok"], "broker 2 down for 3 s mid-stream, then up: %s" % answers)
        victim = workers[0]
        reached = wait_for(lambda: victim.events_done() > len(lines) // 6 and victim.commits() > 0, 60, step=0.05)
        victim.stop(signal.SIGKILL)
        check(reached, "a worker killed mid-stream after %d events, %d commits" % (victim.events_done(),
                                                                                 victim.commits()))
        workers = workers[1:] + [start("seq-new.log")]
        # Every input and repartition partition read to its end by the workers alive.
        since = [len(w.stats()) for w in workers]
        settled = wait_for(lambda: all_read(workers, 6, since), 180)
        check(settled, "the workers read everything, lags 0: %s" % [w.stats()[-1:] for w in workers])
        # They leave one by one: each decides what its windows hold and hands its partitions
        # over; the next owners replay them and do not write those alerts again.
        codes = []
        while workers:
            codes.append(workers.pop(0).stop())
            since = [len(w.stats()) for w in workers]
            if workers:
                check(wait_for(lambda: all_read(workers, 6, since), 120),
                      "%d workers left: they took every partition over and read it: %s" % (
                          len(workers), [w.stats()[-1:] for w in workers]))
        check(codes == [0, 0, 0], "SIGTERM: the workers exit 0 one by one: %s" % codes)
        # --log-format json: every line on stderr is a record, the rules' load warnings too.
        lines_of = [line for w in started for line in pathlib.Path(w.log_path).read_text(errors="replace").splitlines()]
        not_json = [line for line in lines_of if not line.startswith("{") or not line.endswith("}")]
        warnings = [r for w in started[:1] for r in w.records() if r.get("level") == "warning"
                    and ": warning: " in r.get("message", "")]
        check(not not_json and warnings, "--log-format json: %d lines, %d not a JSON record %s; %d load warnings as "
              "records" % (len(lines_of), len(not_json), not_json[:2], len(warnings)))
        duplicates = check_exactly_once(cluster, topic, expected, "sequences and samples, with a kill and a broker down")
        written = read_topic(cluster.kcat, cluster.address, topic)
        ids = set(key for key, _ in written)
        # What differs, by rule, to read when it fails.
        (work / "alerts-topic.ndjson").write_text("".join(value + "\n" for _, value in written))
        check(len(joins) >= 5 and joins <= ids, "the file run's %d sequence and sample alerts are there: %d missing" % (
            len(joins), len(joins - ids)))
        suppressed = sum(w.suppressed() for w in started)
        repeated = sum(int(w.stats()[-1].split(" repeated")[0].rsplit(" ", 1)[1]) for w in started if w.stats())
        print("sequences: %d alerts made again after a handover and not written, %d input events forwarded twice "
              "and skipped, %d duplicates" % (suppressed, repeated, duplicates))
        check(suppressed > 0, "alerts of replayed repartition partitions were found and not written again: %d" %
              suppressed)
        # Replay needs a repartition partition whole: the mock keeps about 5 MB a partition
        # and deletes the oldest messages past it (docs/kafka.md#tests: what a failure showed).
        truncated = [m for w in started for m in w.messages() if "older events were deleted (retention)" in m]
        check(not truncated, "no repartition partition lost its start to the mock's retention: %s" % truncated[:2])
        withdrawn = [m for w in started for m in w.messages() if " withdrawn (" in m]
        print("sequences: %d handovers withdrew messages not acknowledged in time %s" % (len(withdrawn), withdrawn[:3]))
    finally:
        for w in started:
            if w.process.poll() is None:
                w.process.kill()


def main():
    part, eql, mock, gen_events, rules, work = sys.argv[1:7]
    kcat = os.environ.get("KCAT", "kcat")
    work = pathlib.Path(work) / part
    work.mkdir(parents=True, exist_ok=True)
    events = work / "events.ndjson"
    # The mock keeps about 5 MB a partition and drops older messages: the repartition topic
    # (events forwarded to one partition or more, and again after a kill) must stay below.
    # So must the stall part's 2-partition topics (4,000 events of about 1.5 KB: 3 MB each).
    count, share = {"sequences": ("5000", "0.04"), "stall": ("4000", "0.03")}.get(part, ("20000", "0.01"))
    with open(events, "wb") as out:
        subprocess.run([sys.executable, gen_events, "--events", count, "--hosts", "50", "--trigger-share", share,
                        "--trigger-rules", rules], stdout=out, check=True)
    expected, joins = expected_ids(eql, rules, events, part == "sequences")
    check(len(expected) >= 10, "the file run gives alerts to compare with: %d (%d of sequences and samples)" % (
        len(expected), len(joins)))
    lines = events.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    lines = lines[:half] + [b"this is not json\n"] + lines[half:]
    parts = {"workers": part_workers, "kills": part_kills, "rebalance": part_rebalance, "sequences": part_sequences,
             "errors": part_errors, "stall": part_stall}
    cluster = Cluster(mock, kcat)
    try:
        check(":" in cluster.address, "the mock cluster's bootstrap address: %s" % cluster.address)
        parts[part]((eql, rules, work, joins), cluster, expected, lines)
    finally:
        cluster.stop()
    print("kafka-cluster: %d passed, %d failed" % (len(passed), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
