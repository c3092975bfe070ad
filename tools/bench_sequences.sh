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
printf '%12s %12s %12s %14s %12s\n' events sequences cpu_s events/cpu_s peak_rss_MB
for n in "${sizes[@]}"; do
  stats=$(mktemp)
  found=$(python3 tools/gen_events.py --events "$n" --hosts "$hosts" --rate "$rate" |
          /usr/bin/time -f '%U %S %M' -o "$stats" "$eql" query --order stream --quiet "$query" - | wc -l)
  read -r user sys rss < "$stats"
  rm -f "$stats"
  awk -v n="$n" -v f="$found" -v u="$user" -v s="$sys" -v r="$rss" \
    'BEGIN { c = u + s; printf "%12d %12d %12.1f %14.0f %12.1f\n", n, f, c, n / c, r / 1024 }'
done
