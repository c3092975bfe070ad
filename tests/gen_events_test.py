#!/usr/bin/env python3
"""tools/gen_events.py: the default stream is pinned byte for byte (benchmarks and the
generated-alerts tests depend on it), and --defend adds Elastic Defend-shaped events whose
process trees hold together.

    gen_events_test.py TOOLS_DIR
"""
import collections
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tally.py beside this file
from tally import Tally  # noqa: E402

# sha256 of `gen_events.py --events 3000 --hosts 30 --seed 7`: the output of the generator
# as it was before --defend existed. A deliberate change of the default stream changes it.
DEFAULT_DIGEST = "7edba41e7900be9fe25a837311806e403f3c9761a28693b9d37567bf44099296"


def generate(tools, *extra):
    return subprocess.run([sys.executable, tools + "/gen_events.py", "--events", "3000", "--hosts", "30", "--seed", "7",
                           *extra], check=True, capture_output=True).stdout


def main():
    tools = sys.argv[1]
    tally = Tally()
    check = tally.check

    default = generate(tools)
    digest = hashlib.sha256(default).hexdigest()
    check(digest == DEFAULT_DIGEST, "default stream digest %s, pinned %s" % (digest, DEFAULT_DIGEST))
    check(generate(tools) == default, "the default stream is deterministic")

    defend = generate(tools, "--defend")
    check(generate(tools, "--defend") == defend, "the --defend stream is deterministic")
    events = [json.loads(line) for line in defend.splitlines()]
    kinds = collections.Counter(tuple(e["event"]["category"]) for e in events if e["host"]["os"]["type"] == "windows")
    check(kinds[("api",)] > 0 and kinds[("library",)] > 0, "api and library events on Windows hosts: %s" % dict(kinds))
    check(all(e["host"]["os"]["type"] == "windows" for e in events if e["event"]["category"] in (["api"], ["library"])),
          "api and library events only on Windows hosts")

    started = {}  # (host, entity id) -> process, in stream order
    acting = set()  # (host, entity id) of every process an event named so far
    linked = depth_max = 0
    broken = []
    for e in events:
        if e["host"]["os"]["type"] != "windows":
            continue
        host, category = e["host"]["id"], e["event"]["category"]
        p = e["process"]
        if category == ["process"] and e["event"]["action"] == "start":
            parent = started.get((host, p["parent"]["entity_id"]))
            if parent is not None:
                linked += 1
                # the parent fields name the process that started earlier, and the ancestry
                # is the parent's, one longer
                if (p["parent"]["pid"] != parent["pid"] or p["parent"]["name"] != parent["name"] or
                        p["Ext"]["ancestry"][1:] != parent["Ext"]["ancestry"][:19]):
                    broken.append(p["entity_id"])
            depth_max = max(depth_max, len(p["Ext"]["ancestry"]))
            started[(host, p["entity_id"])] = p
        elif category == ["process"] and e["event"]["action"] == "end":
            # a process already running when the stream began (an acting process of an
            # earlier event) may end too, as with Defend
            check((host, p["entity_id"]) in started or (host, p["entity_id"]) in acting,
                  "an end event ends a process seen before")
        elif category == ["api"]:
            api = p["Ext"]["api"]
            check(bool(api["name"]) and "size" in api["parameters"] and e["Target"]["process"]["entity_id"],
                  "api event fields")
        elif category == ["library"]:
            check(bool(e["dll"]["name"]) and "relative_file_creation_time" in e["dll"]["Ext"], "library event fields")
        elif category == ["file"]:
            check("header_bytes" in e["file"]["Ext"] and "entropy" in e["file"]["Ext"], "file.Ext fields")
        acting.add((host, p.get("entity_id")))
    check(not broken, "parent fields and ancestry agree with the started parent: %s" % broken[:3])
    check(linked > len(started) // 2, "most started processes have a parent started earlier (%d of %d)" %
          (linked, len(started)))
    check(depth_max >= 5, "process chains at least 5 deep (deepest %d)" % depth_max)
    print(tally.line("gen-events"))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
