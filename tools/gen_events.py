#!/usr/bin/env python3
"""Deterministic generator of ECS-shaped event streams (NDJSON on standard output).

Used by the benchmarks (tools/bench_sequences.sh). The same arguments always give the same
bytes. Events are in timestamp order, spread over --hosts hosts; categories rotate through
process, network, file, registry, dns and authentication, with Windows, Linux and macOS
hosts and array fields (process.args, event.type) as real data has them.

    tools/gen_events.py --events 1000000 --hosts 100000 --rate 2000 > events.ndjson
"""
import argparse
import random
import sys

CATEGORIES = ["process", "network", "file", "registry", "dns", "authentication"]
PROCESS_NAMES = ["cmd.exe", "powershell.exe", "svchost.exe", "bash", "python3", "sshd", "launchd"]
OS = [("windows", "Windows"), ("linux", "Linux"), ("macos", "macOS")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100000, help="number of events")
    parser.add_argument("--hosts", type=int, default=1000, help="distinct host.id values")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second of event time")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--start", type=int, default=1_700_000_000_000, help="first timestamp, epoch ms")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    out = sys.stdout
    step = 1000.0 / args.rate
    buffer = []
    for i in range(args.events):
        millis = args.start + int(i * step)
        host = rng.randrange(args.hosts)
        os_type, os_name = OS[host % 3]
        category = CATEGORIES[rng.randrange(len(CATEGORIES))]
        stamp = "%d" % millis
        common = ('"@timestamp":%s,"host":{"id":"host-%06d","name":"h%06d","os":{"type":"%s","name":"%s"}}'
                  % (stamp, host, host, os_type, os_name))
        if category == "process":
            name = PROCESS_NAMES[rng.randrange(len(PROCESS_NAMES))]
            line = ('{%s,"event":{"category":["process"],"type":["start"]},"process":{"pid":%d,"name":"%s",'
                    '"entity_id":"p-%d","args":["%s","/c","echo %d"],"parent":{"name":"explorer.exe"}}}'
                    % (common, 1000 + i % 60000, name, i, name, i))
        elif category == "network":
            port = (445, 443, 80, 53, 3389)[rng.randrange(5)]
            line = ('{%s,"event":{"category":["network"],"type":["connection"]},"destination":{"ip":"10.%d.%d.%d",'
                    '"port":%d},"source":{"ip":"192.168.%d.%d","port":%d}}'
                    % (common, i % 256, (i >> 8) % 256, (i >> 16) % 256, port, i % 256, (i >> 8) % 256, 49152 + i % 16000))
        elif category == "file":
            line = ('{%s,"event":{"category":["file"],"type":["creation"]},"file":{"path":"/tmp/f%d.txt",'
                    '"name":"f%d.txt","extension":"txt"}}' % (common, i, i))
        elif category == "registry":
            line = ('{%s,"event":{"category":["registry"],"type":["change"]},"registry":{"path":'
                    '"HKLM\\\\Software\\\\k%d","value":"v"}}' % (common, i % 1000))
        elif category == "dns":
            line = ('{%s,"event":{"category":["network"],"type":["protocol"]},"dns":{"question":'
                    '{"name":"d%d.example.com"}}}' % (common, i % 5000))
        else:
            outcome = "success" if rng.random() < 0.9 else "failure"
            line = ('{%s,"event":{"category":["authentication"],"type":["start"],"outcome":"%s"},'
                    '"user":{"name":"u%d"}}' % (common, outcome, i % 2000))
        buffer.append(line)
        if len(buffer) >= 10000:
            out.write("\n".join(buffer))
            out.write("\n")
            buffer.clear()
    if buffer:
        out.write("\n".join(buffer))
        out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
