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

Keep --events at 15,000 or so: the mock cluster keeps a bounded log per partition (60,000
of these events produced to 6 partitions, about 19,000 were left to read), and a run that
never sees every event is reported as not caught up.
"""
import argparse
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


def kafka_run(args, rules, events_path, total, workers, work):
    cluster = subprocess.Popen([args.mock, "--brokers", "3", "--topic", "ecs-events:6", "--topic", "eql-alerts:6"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    address = cluster.stdout.readline().decode().strip()
    procs, logs = [], []
    try:
        for i in range(workers):
            log = work / ("worker%d-%d.log" % (workers, i))
            logs.append(log)
            procs.append(subprocess.Popen(
                [args.eql, "run", "--quiet", "--rules", str(rules), "--kafka", address, "--topic", "ecs-events",
                 "--group", "bench", "--alerts-topic", "eql-alerts", "--log-format", "json", "--stats-interval", "200ms",
                 "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"],
                stdout=subprocess.DEVNULL, stderr=open(log, "wb")))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
                any(m.startswith("assigned ") and "[]" not in m for m in log_messages(log)) for log in logs):
            time.sleep(0.2)
        lines = events_path.read_bytes().splitlines(keepends=True)
        payload = b"".join(b"%d\t%s" % (i, line) for i, line in enumerate(lines))
        start = time.monotonic()
        subprocess.run([args.kcat, "-P", "-b", address, "-t", "ecs-events", "-K", "\t"], input=payload, check=True)
        produced = time.monotonic() - start
        done = None
        while time.monotonic() < start + 120:
            counts = [caught_up(log_messages(log)) for log in logs]
            if all(c is not None for c in counts) and sum(counts) >= total:
                done = time.monotonic() - start
                break
            time.sleep(0.05)
        cpus = []
        for process in procs:
            process.send_signal(signal.SIGTERM)
            cpus.append(cpu_of(process))
        return done, produced, cpus
    finally:
        for process in procs:
            if process.returncode is None:
                process.kill()
        cluster.terminate()
        cluster.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eql", default="build/eql")
    parser.add_argument("--mock", default="build/eql-mock-kafka")
    parser.add_argument("--kcat", default="kcat")
    parser.add_argument("--rules", required=True)
    parser.add_argument("--events", type=int, default=15_000)
    parser.add_argument("--all-rules", action="store_true", help="also file mode with every rule (sequences too)")
    args = parser.parse_args()
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
        rows = []
        files = [("file, event rules", event_rules)]
        if args.all_rules:
            files.insert(0, ("file, all rules", args.rules))
        for name, rules in files:
            startup, startup_wall = timed_run([args.eql, "run", "--quiet", "--rules", str(rules), str(empty)])
            cpu, wall = timed_run([args.eql, "run", "--quiet", "--rules", str(rules), str(events)])
            rows.append((name, 1, total / (wall - startup_wall), (cpu - startup) / total * 1e6, wall, startup))
        file_us = rows[-1][3]
        startup = rows[-1][5]
        for workers in (1, 2):
            done, produced, cpus = kafka_run(args, event_rules, events, total, workers, work)
            if done is None:
                print("kafka, %d workers: did not catch up in time" % workers)
                continue
            net = sum(cpus) - workers * startup
            rows.append(("kafka, %d worker%s" % (workers, "s" if workers > 1 else ""), workers, total / done,
                         net / total * 1e6, done, startup))
            print("kafka, %d workers: produced in %.1f s, caught up after %.1f s, CPU %s" % (
                workers, produced, done, ["%.1f" % c for c in cpus]))
        print("\n%d events, %d event rules of %s\n" % (total, count, args.rules))
        print("| run | workers | events/s | CPU us per event | CPU vs file (event rules) | wall s |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, workers, rate, us, wall, _ in rows:
            print("| %s | %d | %.0f | %.1f | %.2f | %.1f |" % (name, workers, rate, us, us / file_us, wall))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
