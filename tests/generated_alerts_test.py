#!/usr/bin/env python3
"""End-to-end test of tools/gen_events.py and `eql run --threads` over the corpus rules.

Generates a stream with trigger incidents for every rule that has a recipe, runs all the
corpus rules over it with 1, 2 and 4 threads (files: exact order) and with 1 and 2 threads
from standard input (stream order), and checks:
  - every rule with a recipe alerts at least once per incident (the triggers really alert);
  - the alert ids (with their rules) are the same for every number of threads;
  - reading only the fields the rules look at (the default) writes the same alerts, byte for
    byte, as --read-all-fields.

    generated_alerts_test.py EQL GEN_EVENTS RULES WORKDIR
"""
import collections
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tally.py beside this file
from tally import Tally  # noqa: E402


def run(command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, **kwargs)
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode(errors="replace"))
        raise SystemExit("failed (%d): %s" % (result.returncode, " ".join(command)))
    return result.stdout.decode()


def alerts_of(text):
    alerts = collections.Counter()
    for line in text.splitlines():
        alert = json.loads(line)
        alerts[(alert["rule_id"], alert["alert_id"])] += 1
    return alerts


def main():
    eql, generator, rules, workdir = sys.argv[1:5]
    work = pathlib.Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    events = work / "generated_events.ndjson"
    manifest = work / "generated_manifest.json"
    with open(events, "wb") as out:
        subprocess.run([sys.executable, generator, "--events", "20000", "--hosts", "60", "--seed", "7",
                        "--trigger-share", "0.02", "--trigger-rules", rules, "--trigger-manifest", str(manifest)],
                       stdout=out, check=True)
    incidents = json.loads(manifest.read_text())
    tally = Tally()
    check = tally.check

    runs = {}
    for threads in ("1", "2", "4"):
        runs["exact, %s threads" % threads] = alerts_of(
            run([eql, "run", "--quiet", "--check", "off", "--rules", rules, "--threads", threads, str(events)]))
    selected_text = run([eql, "run", "--quiet", "--check", "off", "--rules", rules, str(events)])
    all_fields_text = run([eql, "run", "--quiet", "--check", "off", "--rules", rules, "--read-all-fields",
                           str(events)])
    for threads in ("1", "2"):
        with open(events, "rb") as stdin:
            runs["stream, %s threads" % threads] = alerts_of(
                run([eql, "run", "--quiet", "--check", "off", "--rules", rules, "--threads", threads, "-"], stdin=stdin))

    check(len(incidents) >= 12, "recipes for at least 12 rules (got %d)" % len(incidents))
    baseline = runs["exact, 1 threads"]
    per_rule = collections.Counter(rule for rule, _ in baseline.elements())
    for rule_id, count in sorted(incidents.items()):
        check(count >= 1, "%s: at least one incident" % rule_id)
        check(per_rule[rule_id] >= count, "%s: %d incidents, %d alerts" % (rule_id, count, per_rule[rule_id]))
    check(selected_text == all_fields_text and selected_text != "",
          "the alerts written when reading the rules' fields only are those of --read-all-fields "
          "(%d and %d lines)" % (len(selected_text.splitlines()), len(all_fields_text.splitlines())))
    for name, alerts in runs.items():
        same_order = runs[name.split(",")[0] + ", 1 threads"]
        check(alerts == same_order, "%s: the alerts of 1 thread (%d alerts, %d there)"
              % (name, sum(same_order.values()), sum(alerts.values())))
    print(tally.line("generated-alerts"))
    print("  %d alerts from %d rules over %s; %d trigger incidents"
          % (sum(baseline.values()), len(per_rule), events.name, sum(incidents.values())))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
