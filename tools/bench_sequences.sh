#!/usr/bin/env bash
# Memory and speed of a sequence query over a generated stream, at several stream lengths.
# Memory must stay flat once the pending state has reached what the keys and maxspan allow.
#
#   tools/bench_sequences.sh [EVENTS...]        (default: 1000000 3000000 10000000)
#
# Needs python3 (the generator) and GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
eql=${EQL:-build/eql}
hosts=${HOSTS:-100000}
rate=${RATE:-500}   # events per second of event time: 10M events span 5.6 hours
query='sequence by host.id with maxspan=1h [process where process.name == "cmd.exe"] [network where destination.port == 445]'
sizes=("$@")
((${#sizes[@]})) || sizes=(1000000 3000000 10000000)

echo "query:  $query"
echo "stream: tools/gen_events.py --hosts $hosts --rate $rate (stream mode, standard input)"
# The floor: the same stream through a query that matches nothing (reading and parsing only).
floor='any where false'
printf '%10s %-9s %10s %9s %13s %12s %14s\n' events query matches cpu_s events/cpu_s peak_rss_MB cpu_vs_floor
for n in "${sizes[@]}"; do
  floor_cpu=""
  for q in "$floor" "$query"; do
    stats=$(mktemp)
    found=$(python3 tools/gen_events.py --events "$n" --hosts "$hosts" --rate "$rate" |
            /usr/bin/time -f '%U %S %M' -o "$stats" "$eql" query --order stream --quiet "$q" - | wc -l)
    read -r user sys rss < "$stats"
    rm -f "$stats"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    [[ -n "$floor_cpu" ]] || floor_cpu=$cpu
    label=$([[ "$q" == "$floor" ]] && echo floor || echo sequence)
    awk -v n="$n" -v l="$label" -v f="$found" -v c="$cpu" -v r="$rss" -v fl="$floor_cpu" \
      'BEGIN { printf "%10d %-9s %10d %9.1f %13.0f %12.1f %14.2f\n", n, l, f, c, n / c, r / 1024, c / fl }'
  done
done
