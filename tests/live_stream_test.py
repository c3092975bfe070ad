#!/usr/bin/env python3
"""Live streams: `eql run --rules R -` and `eql query QUERY -` write an alert as soon as its
event is written to the pipe, not at the end of the input; a sequence's alert comes once
--max-delay of wall-clock time has passed, although the stream stays quiet and the reorder
window (--max-lateness 10s) would otherwise hold it until the end.

Bounds are generous (the machine is shared): an event alert within 1 s of its event being
written, a sequence alert within --max-delay + 1 s.

    live_stream_test.py EQL WORKDIR
"""
import datetime
import json
import os
import pathlib
import select
import subprocess
import sys
import time

EVENT_RULE = 'process where process.name == "cmd.exe"\n'
SEQUENCE_RULE = ('sequence by host.id with maxspan=1m\n'
                 '  [process where process.name == "a.exe"]\n'
                 '  [process where process.name == "b.exe"]\n')


def event(name, host="h1", offset=0.0):
    stamp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return json.dumps({"@timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                       "event": {"category": "process", "type": "start"},
                       "host": {"id": host}, "process": {"name": name}}) + "\n"


class Reader:
    """Lines of a pipe, read without blocking past a deadline."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        os.set_blocking(self.fd, False)
        self.buffer = b""

    def line_within(self, seconds):
        deadline = time.monotonic() + seconds
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    return None
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


failures = []
passed = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    (passed if condition else failures).append(what)


def write(process, text):
    process.stdin.write(text.encode())
    process.stdin.flush()


def test_run(eql, rules):
    process = subprocess.Popen([eql, "run", "--rules", str(rules), "--max-delay", "1s", "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = Reader(process.stdout), Reader(process.stderr)
    loaded = err.line_within(30)
    check(loaded is not None and "2 EQL rules loaded" in loaded, "eql run loads the two rules: %r" % loaded)
    write(process, event("other.exe"))
    written = time.monotonic()
    write(process, event("cmd.exe"))
    line = out.line_within(1.0)
    check(line is not None and json.loads(line)["event"]["process"]["name"] == "cmd.exe",
          "eql run: the event alert within 1 s (%.2f s)" % (time.monotonic() - written))
    # A sequence: its last event waits in the reorder window; the stream then stays quiet.
    write(process, event("a.exe", offset=-1))
    write(process, event("b.exe"))
    written = time.monotonic()
    line = out.line_within(1.0 + 1.0)
    waited = time.monotonic() - written
    check(line is not None and [e["process"]["name"] for e in json.loads(line)["events"]] == ["a.exe", "b.exe"],
          "eql run: the sequence alert within --max-delay 1s + 1 s (%.2f s)" % waited)
    check(waited >= 0.5, "eql run: the sequence waited for the window (%.2f s)" % waited)
    process.stdin.close()
    rest = process.stdout.read().decode() if process.wait(30) == 0 else None
    check(rest == "", "eql run: exits 0 with no alert left at the end: %r" % rest)


def test_query(eql):
    process = subprocess.Popen([eql, "query", "--quiet", 'process where process.name == "cmd.exe"', "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = Reader(process.stdout)
    time.sleep(1.0)  # compiled and waiting
    for round in range(2):
        write(process, event("other.exe"))
        written = time.monotonic()
        write(process, event("cmd.exe", host="h%d" % round))
        line = out.line_within(1.0)
        check(line is not None and json.loads(line)["host"]["id"] == "h%d" % round,
              "eql query: match %d within 1 s (%.2f s)" % (round + 1, time.monotonic() - written))
    process.stdin.close()
    check(process.wait(30) == 0 and process.stdout.read() == b"", "eql query: exits 0, nothing left")


def main():
    eql, work = sys.argv[1], pathlib.Path(sys.argv[2])
    rules = work / "live-rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "cmd.eql").write_text(EVENT_RULE)
    (rules / "a_then_b.eql").write_text(SEQUENCE_RULE)
    test_run(eql, rules)
    test_query(eql)
    print("live-streams: %d passed, %d failed" % (len(passed), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
