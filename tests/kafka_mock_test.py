#!/usr/bin/env python3
"""eql-mock-kafka: prints its bootstrap address, serves the topics it was given (kcat reads
what kcat wrote), answers its control commands, and exits 0 on SIGTERM.

    kafka_mock_test.py MOCK_KAFKA KCAT
"""
import signal
import subprocess
import sys

failures, passed = [], []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    (passed if condition else failures).append(what)


def main():
    mock, kcat = sys.argv[1:3]
    cluster = subprocess.Popen([mock, "--brokers", "3", "--topic", "t:4"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        address = cluster.stdout.readline().decode().strip()
        check(len(address.split(",")) == 3, "three brokers: %s" % address)
        subprocess.run([kcat, "-P", "-b", address, "-t", "t", "-K", ":"], input=b"a:1\nb:2\nc:3\n",
                       check=True, timeout=60)
        got = subprocess.run([kcat, "-C", "-b", address, "-t", "t", "-e", "-q", "-f", "%k=%s %p\n"],
                             stdout=subprocess.PIPE, check=True, timeout=60).stdout.decode().split("\n")
        values = sorted(line.split()[0] for line in got if line)
        check(values == ["a=1", "b=2", "c=3"], "kcat reads back what it wrote: %s" % values)
        check(all(0 <= int(line.split()[1]) < 4 for line in got if line), "the topic has 4 partitions")
        answers = []
        for command in ["down 2", "up 2", "errors 3 7 2", "leader t 0 3", "nonsense"]:
            cluster.stdin.write((command + "\n").encode())
            cluster.stdin.flush()
            answers.append(cluster.stdout.readline().decode().strip())
        check(answers[:4] == ["ok"] * 4 and answers[4].startswith("error: unknown command"),
              "control commands answered: %s" % answers)
        cluster.send_signal(signal.SIGTERM)
        check(cluster.wait(30) == 0, "exits 0 on SIGTERM")
    finally:
        if cluster.poll() is None:
            cluster.kill()
    print("kafka-mock: %d passed, %d failed" % (len(passed), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
