#!/usr/bin/env bash
# Throughput of `eql run` on one generated event file: the parse-only floor (a query that
# matches nothing), one rule, and a whole rule set, in CPU seconds (one core), with
# events/s, MB/s, peak memory and the ratio to the floor.
#
#   tools/bench_run.sh [EVENTS]        (default 200000)
#   RULES=path/to/rules tools/bench_run.sh   (default ../shared/corpus/detection-rules)
#
# Needs python3 (tools/gen_events.py, the deterministic generator) and GNU time
# (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
eql=${EQL:-build/eql}
events=${1:-200000}
rules=${RULES:-../shared/corpus/detection-rules}
one_rule=${ONE_RULE:-rules/windows/execution_suspicious_cmd_wmi.toml}

input=$(mktemp --suffix=.ndjson)
trap 'rm -f "$input"' EXIT
python3 tools/gen_events.py --events "$events" --hosts 1000 > "$input"
mb=$(awk -v b="$(stat -c %s "$input")" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "input: $events events, $mb MB (tools/gen_events.py --events $events --hosts 1000)"

printf '%-34s %8s %8s %12s %8s %12s %9s\n' run alerts cpu_s events/cpu_s MB/s peak_rss_MB vs_floor
floor_cpu=""
measure() {  # label, command...
  local label=$1
  shift
  local stats
  stats=$(mktemp)
  local alerts
  alerts=$(/usr/bin/time -f '%U %S %M' -o "$stats" "$@" 2>/dev/null | wc -l)
  read -r user sys rss < "$stats"
  rm -f "$stats"
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  [[ -n $floor_cpu ]] || floor_cpu=$cpu
  awk -v l="$label" -v a="$alerts" -v c="$cpu" -v n="$events" -v mb="$mb" -v r="$rss" -v f="$floor_cpu" \
    'BEGIN { c = (c > 0 ? c : 0.01); printf "%-34s %8d %8.2f %12.0f %8.1f %12.1f %8.1fx\n", l, a, c, n / c, mb / c, r / 1024, c / f }'
}
measure "floor: query 'any where false'" "$eql" query --quiet 'any where false' "$input"
measure "run: one rule" "$eql" run --quiet --rules "$one_rule" "$input"
measure "run: every EQL rule of \$RULES" "$eql" run --quiet --rules "$rules" "$input"
