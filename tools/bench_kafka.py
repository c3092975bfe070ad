#!/usr/bin/env python3
"""Benchmark of `eql run --kafka` against `eql run` over a file, on the same events.

    tools/bench_kafka.py --eql build/eql --mock build/eql-mock-kafka --rules RULES [--events N]

Kafka mode runs the event rules only (docs/kafka.md), so file mode is measured on a copy of
the rule set holding its event rules (with --all-rules, also on the whole set); its events/s
leave out the start-up (wall time over an empty input). CPU is the
process's user + system time (getrusage of the child), less the CPU of starting up (loading
and compiling the rules, measured over an empty input), divided by the events. Kafka
workers start on an empty topic of the mock cluster (6 partitions, 3 brokers, the alerts
to a 6-partition topic); once every worker is assigned partitions the events are produced
with kcat, and events/s is the events over the time from the start of production to the
last worker's stats line saying every partition is read to its end. The mock cluster and
kcat run on the same machine: they take CPU from the workers.

Lag and latency: the peak consumer lag is the largest sum of the per-partition lags one
worker's stats line reported (every 200 ms) during the run; an alert's end-to-end latency is
the alerts topic's record timestamp (set when the worker produced it) less the input
record's timestamp (set when kcat produced the event that completed it, found by the
`eql.source.partition`/`eql.source.offset` headers the alert carries); p50 and p99 over all
alerts of the run. The events are produced in one burst, so latency here is mostly the time
the workers take to reach an event in the backlog; `--rate N` produces N events per second
instead, which measures latency at a sustained load below capacity.

The mock cluster keeps a bounded log per partition (about 5 MB: 60,000 of these events
produced to 6 partitions left about 19,000 to read), so keep --events below about 3,000 per
partition (`--partitions`, default 6) unless --rate keeps the workers ahead of it; a run that
never sees every event is reported as not caught up.

Capacity (`--capacity`): what 1 and 2 workers can process, without the producer or a
rebalance in the measured time. Each round starts a mock cluster of its own with a topic of
`--partitions` (default 48) partitions, starts the workers on the empty topic, waits until
each is assigned partitions, stops them (SIGSTOP; the session timeout is 60 s here), produces
every event with kcat, checks that the mock kept them all (its log is bounded at 5 MiB or
100,000 message sets per partition: librdkafka's rdkafka_mock.c, so 48 partitions hold
about 150,000 of these 1.5 KB events), and resumes the workers (SIGCONT). Events/s is the
events over the time from the first event consumed (the last stats line, every 100 ms,
before a worker's first event) to the last worker's stats line reaching its final count; CPU is read from /proc for the workers and the mock over that
time. Rounds alternate 1 and 2 workers (`--rounds`), so that the machine's load is shared
alike. The workers get `-X fetch.wait.max.ms=1`: the mock delays an empty fetch response by
that much, where a real broker answers as soon as data arrives.
"""
import argparse
import datetime
import json
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib


def cpu_of(process):
    """Waits for the process; its user + system CPU seconds."""
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime


def timed_run(args):
    start = time.monotonic()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu = cpu_of(process)
    return cpu, time.monotonic() - start


def event_rules_copy(rules, into):
    """The TOML rules whose query is not a sequence or sample, copied under `into`."""
    count = 0
    for path in pathlib.Path(rules).rglob("*.toml"):
        try:
            query = tomllib.loads(path.read_text()).get("rule", {}).get("query", "")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        if not query or query.lstrip().lower().startswith(("sequence", "sample")):
            continue
        target = into / path.relative_to(rules)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
    return count


def log_messages(path):
    out = []
    for line in pathlib.Path(path).read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record.get("message", ""))
    return out


def caught_up(messages):
    stats = [m for m in messages if m.startswith("stats: ")]
    if not stats or "lag " not in stats[-1]:
        return None
    lags = stats[-1].split("lag ", 1)[1].split()
    if not lags or not all(lag.endswith(":0") for lag in lags):
        return None
    return int(stats[-1].split()[1])


def peak_lag(messages):
    """The largest total lag one stats line reported (None without stats lines)."""
    peak = None
    for message in messages:
        if not message.startswith("stats: ") or "lag " not in message:
            continue
        total = 0
        for lag in message.split("lag ", 1)[1].split():
            behind = lag.partition(":")[2]
            total += int(behind) if behind.isdigit() else 0
        peak = total if peak is None else max(peak, total)
    return peak


def records(kcat, address, topic, fmt):
    """Every record of a topic, as kcat prints it with `fmt` (one line each)."""
    out = subprocess.run([kcat, "-C", "-b", address, "-t", topic, "-e", "-q", "-f", fmt],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True, timeout=120)
    return out.stdout.decode(errors="replace").splitlines()


def alert_latencies(kcat, address):
    """Milliseconds from each input event's record to its alert's record."""
    produced = {}
    for line in records(kcat, address, "ecs-events", "%p %o %T\n"):
        partition, offset, stamp = line.split()
        produced[(int(partition), int(offset))] = int(stamp)
    latencies = []
    for line in records(kcat, address, "eql-alerts", "%T|%h\n"):
        stamp, _, header_text = line.partition("|")
        headers = dict(item.split("=", 1) for item in header_text.split(",") if "=" in item)
        source = (int(headers.get("eql.source.partition", -1)), int(headers.get("eql.source.offset", -1)))
        if source in produced:
            latencies.append(int(stamp) - produced[source])
    return sorted(latencies)


def percentile(values, share):
    return values[min(len(values) - 1, int(share * len(values)))] if values else None


def produce(args, address, lines):
    """The events to the input topic: one burst, or --rate events per second in 0.1 s slices."""
    keyed = [b"%d\t%s" % (i, line) for i, line in enumerate(lines)]
    if not args.rate:
        subprocess.run([args.kcat, "-P", "-b", address, "-t", "ecs-events", "-K", "\t"], input=b"".join(keyed),
                       check=True)
        return
    producer = subprocess.Popen([args.kcat, "-P", "-b", address, "-t", "ecs-events", "-K", "\t", "-X",
                                 "linger.ms=5"], stdin=subprocess.PIPE)
    step = max(1, args.rate // 10)
    start = time.monotonic()
    for n in range(0, len(keyed), step):
        producer.stdin.write(b"".join(keyed[n:n + step]))
        producer.stdin.flush()
        wait = start + (n + step) / args.rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    producer.stdin.close()
    producer.wait(60)


def start_mock(args, niced=()):
    """A 3-broker mock cluster with the input and alerts topics; (process, bootstrap address)."""
    cluster = subprocess.Popen([*niced, args.mock, "--brokers", "3", "--topic", "ecs-events:%d" % args.partitions,
                                "--topic", "eql-alerts:%d" % args.partitions],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return cluster, cluster.stdout.readline().decode().strip()


def start_worker(args, rules, address, group, log, options, niced=()):
    """One `eql run --kafka` worker of `group`, logging JSON lines to `log`."""
    return subprocess.Popen(
        [*niced, args.eql, "run", "--quiet", "--rules", str(rules), "--kafka", address, "--topic", "ecs-events",
         "--group", group, "--alerts-topic", "eql-alerts", "--log-format", "json", *options],
        stdout=subprocess.DEVNULL, stderr=open(log, "wb"))


def wait_assigned(logs, seconds=120):
    """Until every worker has logged an assignment with partitions in it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(
            any(m.startswith("assigned ") and "[]" not in m for m in log_messages(log)) for log in logs):
        time.sleep(0.2)


def kafka_run(args, rules, events_path, total, workers, work):
    cluster, address = start_mock(args)
    procs, logs = [], []
    try:
        for i in range(workers):
            log = work / ("worker%d-%d.log" % (workers, i))
            logs.append(log)
            procs.append(start_worker(args, rules, address, "bench", log, [
                "--stats-interval", "200ms", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]))
        wait_assigned(logs)
        lines = events_path.read_bytes().splitlines(keepends=True)
        start = time.monotonic()
        produce(args, address, lines)
        produced = time.monotonic() - start
        done = None
        while time.monotonic() < start + 120 + produced:
            counts = [caught_up(log_messages(log)) for log in logs]
            if all(c is not None for c in counts) and sum(counts) >= total:
                done = time.monotonic() - start
                break
            time.sleep(0.05)
        cpus = []
        for process in procs:
            process.send_signal(signal.SIGTERM)
            cpus.append(cpu_of(process))
        lags = [peak_lag(log_messages(log)) for log in logs]
        latencies = alert_latencies(args.kcat, address) if done is not None else []
        return done, produced, cpus, max((lag for lag in lags if lag is not None), default=None), latencies
    finally:
        for process in procs:
            if process.returncode is None:
                process.kill()
        cluster.terminate()
        cluster.wait(30)


def proc_cpu(pid):
    """User + system CPU seconds of a live process, from /proc."""
    fields = pathlib.Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_times(path):
    """(seconds since the epoch, events) of each stats line of a worker's JSON log."""
    out = []
    for line in pathlib.Path(path).read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        message = record.get("message", "") if isinstance(record, dict) else ""
        if message.startswith("stats: "):
            stamp = datetime.datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
            out.append((stamp.replace(tzinfo=datetime.timezone.utc).timestamp(), int(message.split()[1])))
    return out


def capacity_round(args, rules, payload, total, workers, work, number):
    """One measurement: `workers` workers on a preloaded topic (see the module's text)."""
    # --nice: the measured processes ahead of the machine's other work (builds at nice 10),
    # so that a worker's events/s is what it can do, not the share the scheduler gave it.
    niced = ["nice", "-n", str(args.nice)] if args.nice is not None else []
    cluster, address = start_mock(args, niced)
    procs, logs = [], []
    try:
        for i in range(workers):
            log = work / ("capacity%s-%d.log" % (number, i))
            logs.append(log)
            procs.append(start_worker(args, rules, address, "capacity", log, [
                "--stats-interval", "100ms", "-X", "session.timeout.ms=60000", "-X", "heartbeat.interval.ms=500",
                # The mock holds back a fetch response that found nothing new for the whole
                # fetch.wait.max.ms (default 500 ms), and the group consumer's fetches often do:
                # the workers then wait on the mock, not on their CPU (docs/performance.md).
                # A broker answers as soon as data comes; 1 ms makes the mock do about that.
                "-X", "fetch.wait.max.ms=1", *args.worker_args], niced))
        wait_assigned(logs)
        time.sleep(1.0)  # the group settled: every worker's last assignment is its own
        for process in procs:
            process.send_signal(signal.SIGSTOP)
        subprocess.run([args.kcat, "-P", "-b", address, "-t", "ecs-events", "-K", "\t"], input=payload, check=True)
        kept = 0
        for line in records(args.kcat, address, "ecs-events", "%o\n"):
            kept += 1
        if kept != total:
            raise SystemExit("the mock kept %d of %d events: more --partitions, fewer --events" % (kept, total))
        cpu_before = [proc_cpu(p.pid) for p in procs] + [proc_cpu(cluster.pid)]
        start = time.time()
        for process in procs:
            process.send_signal(signal.SIGCONT)
        done = None
        while time.time() < start + 300:
            counts = [caught_up(log_messages(log)) for log in logs]
            if all(c is not None for c in counts) and sum(counts) >= total:
                break
            time.sleep(0.1)
        cpu_after = [proc_cpu(p.pid) for p in procs] + [proc_cpu(cluster.pid)]
        # From the first event consumed (the last stats line before it said 0 events: the
        # resumed consumers first reconnect and fetch) to the last processed.
        ends, firsts = [], []
        for log in logs:
            times = [(stamp, events) for stamp, events in log_times(log) if stamp >= start]
            final = times[-1][1] if times else 0
            ends.append(min((stamp for stamp, events in times if events == final), default=None))
            firsts.append(max((stamp for stamp, events in times if events == 0), default=start))
        if all(end is not None for end in ends) and sum(caught_up(log_messages(log)) or 0 for log in logs) >= total:
            done = max(ends) - min(firsts)
        for process in procs:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
        cpus = [after - before for before, after in zip(cpu_before, cpu_after)]
        return done, cpus[:-1], cpus[-1]
    finally:
        for process in procs:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
        cluster.terminate()
        cluster.wait(30)


def capacity(args, events_path, total, rules, work):
    lines = events_path.read_bytes().splitlines(keepends=True)
    payload = b"".join(b"%d\t%s" % (i, line) for i, line in enumerate(lines))
    results = {1: [], 2: []}
    for number in range(args.rounds):
        for workers in (1, 2):
            load = os.getloadavg()[0]
            done, cpus, mock = capacity_round(args, rules, payload, total, workers, work, "%d-%d" % (number, workers))
            if done is None:
                print("round %d, %d workers: did not finish" % (number, workers), flush=True)
                continue
            results[workers].append(total / done)
            print("round %d, %d worker%s: %.2f s, %.0f events/s, worker CPU %s s (%.1f us an event), mock CPU %.2f s, "
                  "load %.1f" % (number, workers, "s" if workers > 1 else "", done, total / done,
                                 ["%.2f" % c for c in cpus], sum(cpus) / total * 1e6, mock, load), flush=True)
            if workers == 2 and len(results[1]) == len(results[2]):
                print("round %d: 2 workers / 1 worker = %.2f" % (number, results[2][-1] / results[1][-1]), flush=True)
    if results[1] and results[2]:
        print("\n%d events, %d partitions: 1 worker %s events/s, 2 workers %s events/s; ratio of the medians %.2f" % (
            total, args.partitions, ["%.0f" % r for r in results[1]], ["%.0f" % r for r in results[2]],
            sorted(results[2])[len(results[2]) // 2] / sorted(results[1])[len(results[1]) // 2]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eql", default="build/eql")
    parser.add_argument("--mock", default="build/eql-mock-kafka")
    parser.add_argument("--kcat", default="kcat")
    parser.add_argument("--rules", required=True)
    parser.add_argument("--events", type=int, default=15_000)
    parser.add_argument("--all-rules", action="store_true", help="also file mode with every rule (sequences too)")
    parser.add_argument("--partitions", type=int, default=6, help="of the input and alerts topics")
    parser.add_argument("--rate", type=int, default=0, help="events per second to produce (default: one burst)")
    parser.add_argument("--capacity", action="store_true",
                        help="1 against 2 workers on a preloaded topic (default 48 partitions, 120,000 events)")
    parser.add_argument("--rounds", type=int, default=2, help="--capacity: rounds of 1 then 2 workers")
    parser.add_argument("--worker-arg", dest="worker_args", action="append", default=[],
                        help="--capacity: an argument for the workers (repeatable: --worker-arg=-X "
                             "--worker-arg=fetch.wait.max.ms=100)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (the workers' logs) and say where")
    parser.add_argument("--nice", type=int, help="--capacity: run the workers and the mock at this niceness "
                        "(-20 as root: ahead of other work on a shared machine)")
    args = parser.parse_args()
    if args.capacity and args.events == 15_000:
        args.events = 120_000
    if args.capacity and args.partitions == 6:
        args.partitions = 48
    work = pathlib.Path(tempfile.mkdtemp(prefix="eql-bench-kafka-"))
    try:
        events = work / "events.ndjson"
        with open(events, "wb") as out:
            subprocess.run([sys.executable, str(pathlib.Path(__file__).parent / "gen_events.py"), "--events",
                            str(args.events), "--hosts", "1000", "--trigger-share", "0.001", "--trigger-rules",
                            args.rules], stdout=out, check=True)
        total = sum(1 for _ in open(events, "rb"))
        empty = work / "empty.ndjson"
        empty.write_bytes(b"")
        event_rules = work / "event-rules"
        count = event_rules_copy(args.rules, event_rules)
        if args.capacity:
            capacity(args, events, total, event_rules, work)
            return 0
        rows = []
        files = [("file, event rules", event_rules)]
        if args.all_rules:
            files.insert(0, ("file, all rules", args.rules))
        for name, rules in files:
            startup, startup_wall = timed_run([args.eql, "run", "--quiet", "--rules", str(rules), str(empty)])
            cpu, wall = timed_run([args.eql, "run", "--quiet", "--rules", str(rules), str(events)])
            rows.append((name, 1, total / (wall - startup_wall), (cpu - startup) / total * 1e6, wall, startup,
                         None, []))
        file_us = rows[-1][3]
        startup = rows[-1][5]
        for workers in (1, 2):
            done, produced, cpus, lag, latencies = kafka_run(args, event_rules, events, total, workers, work)
            if done is None:
                print("kafka, %d workers: did not catch up in time" % workers)
                continue
            net = sum(cpus) - workers * startup
            rows.append(("kafka, %d worker%s" % (workers, "s" if workers > 1 else ""), workers, total / done,
                         net / total * 1e6, done, startup, lag, latencies))
            print("kafka, %d workers: produced in %.1f s, caught up after %.1f s, CPU %s, %d alerts timed" % (
                workers, produced, done, ["%.1f" % c for c in cpus], len(latencies)))
        print("\n%d events; the %d rule files of %s without a sequence or sample (the EQL ones run); "
              "%d partitions; %s\n" % (
            total, count, args.rules, args.partitions, "%d events/s" % args.rate if args.rate else "one burst"))
        print("| run | workers | events/s | CPU us per event | CPU vs file (event rules) | wall s | peak lag "
              "| alert latency p50 ms | p99 ms |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        shown = lambda value: "-" if value is None else "%d" % value
        for name, workers, rate, us, wall, _, lag, latencies in rows:
            print("| %s | %d | %.0f | %.1f | %.2f | %.1f | %s | %s | %s |" % (
                name, workers, rate, us, us / file_us, wall, shown(lag), shown(percentile(latencies, 0.5)),
                shown(percentile(latencies, 0.99))))
    finally:
        if args.keep:
            print("the workers' logs are in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
