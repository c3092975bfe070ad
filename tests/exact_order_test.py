#!/usr/bin/env python3
"""Differential test of `eql run --order exact` (optimistic: through the reorder windows,
re-reading the input when it is out of order) against `--order held` (every event the
sequence rules can use held to the end and replayed sorted: the exact mode before the
optimistic one), over the corpus rules and events from tools/gen_events.py that trigger
corpus sequence rules.

For each variant of the input (in time order; disordered within the window; with many equal
timestamps; shuffled; several files; gzipped; with --threads) the alert bytes must be identical, the
summary's counters too, and the summary must say that the input was re-read exactly when
it was out of order beyond the window.

    exact_order_test.py EQL GEN_EVENTS RULES WORKDIR
"""
import gzip
import json
import os
import pathlib
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tally.py beside this file
from tally import Tally  # noqa: E402


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode(errors="replace"))
        raise SystemExit("failed (%d): %s" % (result.returncode, " ".join(command)))
    return result.stdout, result.stderr.decode(errors="replace")


def counters(summary):
    # The summary without its timing: events, alerts, rule evaluations, sequence counters.
    lines = []
    for line in summary.splitlines():
        if "re-read the input" in line:
            continue
        lines.append(re.sub(r"; [0-9.]+ s, [0-9]+ events/s", "", line))
    return lines


def write_lines(path, lines):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as out:
        out.writelines(lines)


def main():
    eql, generator, rules, workdir = sys.argv[1:5]
    work = pathlib.Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    generated = work / "exact_order_events.ndjson"
    with open(generated, "wb") as out:
        subprocess.run([sys.executable, generator, "--events", "12000", "--hosts", "40", "--seed", "11",
                        "--trigger-share", "0.03", "--trigger-rules", rules], stdout=out, check=True)
    events = generated.read_text().splitlines(keepends=True)
    rng = random.Random(5)

    def block_shuffled(lines, block):
        out = []
        for start in range(0, len(lines), block):
            part = lines[start:start + block]
            rng.shuffle(part)
            out.extend(part)
        return out

    # Whole seconds: many events share a timestamp, and their input order decides.
    seconds = [re.sub(r'("(?:@timestamp|ingested)":"[^"]*T[0-9:]+)\.[0-9]+Z"', r'\1.000Z"', line) for line in events]
    shuffled = list(events)
    rng.shuffle(shuffled)
    third = len(events) // 3

    # name -> (files as (suffix, lines), extra arguments, re-read expected)
    variants = {
        "in time order": ([(".ndjson", events)], [], False),
        "disordered within the window": ([(".ndjson", block_shuffled(events, 300))], [], False),
        "equal timestamps": ([(".ndjson", seconds)], [], False),
        "equal timestamps, disordered within the window": ([(".ndjson", block_shuffled(seconds, 500))], [], False),
        "shuffled": ([(".ndjson", shuffled)], [], True),
        "shuffled, window wider than the input": ([(".ndjson", shuffled)], ["--max-lateness", "1h"], False),
        "shuffled, small window, small --max-pending":
            ([(".ndjson", shuffled)], ["--max-lateness", "1s", "--max-pending", "3"], True),
        "in order, --max-pending 2": ([(".ndjson", events)], ["--max-pending", "2"], False),
        "three files in order": ([(".ndjson", events[:third]), (".ndjson", events[third:2 * third]),
                                  (".ndjson", events[2 * third:])], [], False),
        "three files, the last one earlier": ([(".ndjson", events[third:2 * third]), (".ndjson", events[2 * third:]),
                                               (".ndjson", events[:third])], [], True),
        "gzip, in order": ([(".ndjson.gz", events)], [], False),
        "gzip and plain, disordered and shuffled": ([(".ndjson.gz", block_shuffled(events[:third], 200)),
                                                     (".ndjson", shuffled[third:])], [], True),
        "--threads 2, in order": ([(".ndjson", events)], ["--threads", "2"], False),
        "--threads 2, disordered within the window": ([(".ndjson", block_shuffled(events, 300))],
                                                      ["--threads", "2"], False),
        "--threads 3, shuffled, two files": ([(".ndjson", shuffled[:third]), (".ndjson.gz", shuffled[third:])],
                                             ["--threads", "3"], True),
    }
    tally = Tally()
    check = tally.check

    sequence_alerts_in_order = 0
    for number, (name, (files, extra, reread)) in enumerate(variants.items()):
        paths = []
        for k, (suffix, lines) in enumerate(files):
            path = work / ("exact_order_%d_%d%s" % (number, k, suffix))
            write_lines(path, lines)
            paths.append(str(path))
        held_out, held_err = run([eql, "run", "--check", "off", "--rules", rules, "--order", "held"] + extra + paths)
        exact_out, exact_err = run([eql, "run", "--check", "off", "--rules", rules, "--order", "exact"] + extra + paths)
        alerts = [json.loads(line) for line in held_out.splitlines()]
        joins = sum(1 for alert in alerts if "events" in alert)
        if name == "in time order":
            sequence_alerts_in_order = joins
        check(exact_out == held_out, "%s: the alert bytes of --order held (%d alerts, %d of sequences/samples)"
              % (name, len(alerts), joins))
        check(counters(exact_err) == counters(held_err), "%s: the summary's counters of --order held:\n%s\n%s"
              % (name, "\n".join(counters(held_err)), "\n".join(counters(exact_err))))
        said = "sequence rules re-read the input" in exact_err
        check(said == reread, "%s: the summary %s a re-read" % (name, "says" if said else "does not say"))
        if reread:
            named = re.search(r"eql run: input out of time order at (.+), event ([0-9]+) of the file: "
                              r"([0-9.]+)s before the newest event, [0-9.]+s beyond the ([0-9.]+)s window: "
                              r"sequence rules re-read the input", exact_err)
            check(named is not None and named.group(1) in paths and int(named.group(2)) >= 1
                  and float(named.group(3)) > float(named.group(4)),
                  "%s: the summary names the file, the event and how late it came:\n%s" % (name, exact_err))
        check("re-read" not in held_err, "%s: --order held reads once" % name)
        print("  %-50s %4d alerts, %3d of sequences/samples%s" % (name, len(alerts), joins, ", re-read" if said else ""))
    check(sequence_alerts_in_order >= 20, "at least 20 sequence/sample alerts in order (got %d)"
          % sequence_alerts_in_order)
    print(tally.line("exact-order"))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
