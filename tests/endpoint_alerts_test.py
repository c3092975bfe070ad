#!/usr/bin/env python3
"""End-to-end test of the endpoint dialect in `eql run`: the shared Windows behavior rules over
Defend-shaped events from tools/gen_events.py --defend. Checks:
  - no rule is refused for _arraysearch (each compiles and runs);
  - some rule that searches an array (_arraysearch) alerts, so the comparison below covers it;
  - reading only the fields the rules look at (the default) writes the same alerts, byte for
    byte, as --read-all-fields (an _arraysearch re-reads its array from the event's text);
  - 2 threads give the alerts of 1;
  - no rule is refused for a reference to an aliased stage, and a rule whose later stage reads
    an aliased stage's fields (some of them read through the alias only) alerts, with the same
    alerts with and without --read-all-fields.

    endpoint_alerts_test.py EQL GEN_EVENTS BEHAVIOR_RULES WORKDIR
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tally.py beside this file
from tally import Tally  # noqa: E402


ALIAS_RULE = '''[rule]
description = "A later stage reads the fields of an aliased stage's event."
id = "00000000-0000-4000-8000-000000000021"
license = "Elastic License v2"
name = "Aliased stage (test)"
os_list = ["windows"]
version = "1.0.0"
min_endpoint_version = "8.0.0"
query = """
sequence by process.entity_id with maxspan=5m
 [file where true] as event0
 [network where process.executable == event0.process.executable and
  startswith~(event0.file.path, "C:") and not event0.file.name : "zzz*"]
"""
'''


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode not in (0, 1):  # 1: some rule had errors (the refused ones)
        sys.stderr.write(result.stderr.decode(errors="replace"))
        raise SystemExit("failed (%d): %s" % (result.returncode, " ".join(command)))
    return result.stdout.decode(), result.stderr.decode(errors="replace")


def main():
    eql, generator, rules, workdir = sys.argv[1:5]
    work = pathlib.Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    events = work / "defend_events.ndjson"
    with open(events, "wb") as out:
        subprocess.run([sys.executable, generator, "--events", "50000", "--defend", "--seed", "3"],
                       stdout=out, check=True)
    searching = set()
    rule_files = {}
    for path in pathlib.Path(rules).rglob("*.toml"):
        text = path.read_text()
        found = re.search(r'^id = "([^"]+)"', text, re.M)
        if found:
            rule_files[found.group(1)] = path
        if found and "_arraysearch" in text.lower():
            searching.add(found.group(1))
    base = [eql, "run", "--check", "off", "--rules", rules]
    selected, report = run(base + [str(events)])
    all_fields, _ = run(base + ["--read-all-fields", str(events)])
    threaded, _ = run(base + ["--threads", "2", str(events)])
    tally = Tally()
    check = tally.check

    refused = [line for line in report.splitlines() if "_arraysearch" in line and "not evaluated" in line]
    check(not refused, "no _arraysearch refused (%d: %s)" % (len(refused), refused[:1]))
    alerting = {json.loads(line)["rule_id"] for line in selected.splitlines()}
    check(alerting & searching, "some _arraysearch rule alerts (%d rules alert)" % len(alerting))
    check(selected == all_fields and selected != "",
          "the alerts of the rules' fields only are those of --read-all-fields (%d and %d lines)"
          % (len(selected.splitlines()), len(all_fields.splitlines())))
    check(sorted(selected.splitlines()) == sorted(threaded.splitlines()),
          "2 threads give the alerts of 1 (%d and %d)" % (len(threaded.splitlines()), len(selected.splitlines())))
    # Each alert carries its behavior rule's own metadata, as the rule file states it.
    mismatched = []
    for line in selected.splitlines():
        alert = json.loads(line)
        document = tomllib.loads(rule_files[alert["rule_id"]].read_text())
        stated = document["rule"]
        # [[actions]] and [[optional_actions]] are top-level tables; some files also say
        # `optional_actions = []` inside [rule].
        actions = (document.get("actions", []) + stated.get("actions", []) + document.get("optional_actions", [])
                   + stated.get("optional_actions", []))
        endpoint = alert.get("endpoint", {})
        if (endpoint.get("os_list") != stated.get("os_list") or endpoint.get("version") != stated.get("version")
                or endpoint.get("min_endpoint_version") != stated.get("min_endpoint_version")
                or [(a["action"], a["field"]) for a in endpoint.get("actions", [])]
                != [(a.get("action"), a.get("field")) for a in actions]):
            mismatched.append(alert["rule_id"])
    check(not mismatched, "alerts carry their rule's os_list, version, min_endpoint_version and actions "
          "(%d of %d alerts do not: %s)" % (len(mismatched), len(selected.splitlines()), sorted(set(mismatched))[:3]))
    aliased = [line for line in report.splitlines() if "aliased stage" in line and "not evaluated" in line]
    check(not aliased, "no reference to an aliased stage refused (%d: %s)" % (len(aliased), aliased[:1]))
    # The corpus's alias rules do not alert on generated events: this one does. file.path and
    # file.name are read through `event0` only, so a selection without them would differ.
    alias_rules = work / "alias_rules"
    alias_rules.mkdir(exist_ok=True)
    (alias_rules / "alias.toml").write_text(ALIAS_RULE)
    alias_base = [eql, "run", "--check", "off", "--rules", str(alias_rules)]
    alias_selected, _ = run(alias_base + [str(events)])
    alias_all, _ = run(alias_base + ["--read-all-fields", str(events)])
    check(alias_selected != "" and alias_selected == alias_all,
          "a rule with an aliased stage alerts, the same with --read-all-fields (%d and %d lines)"
          % (len(alias_selected.splitlines()), len(alias_all.splitlines())))
    loaded = re.search(r"(\d+) EQL rules loaded from (\d+) files(?:, (\d+) with errors)?", report)
    print(tally.line("endpoint-alerts"))
    if loaded:
        print("  %s of %s rules run, %s refused; %d alerts from %d rules (%d searching arrays)"
              % (loaded.group(1), loaded.group(2), loaded.group(3) or "0", len(selected.splitlines()),
                 len(alerting), len(alerting & searching)))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
