#!/usr/bin/env bash
# Throughput of `eql run` on one generated event file, every run on the same input: the
# parse-only floor (a query that matches nothing), one rule, every EQL rule of the corpus
# (exact order, the default for files; and stream order: the generated events are in time
# order, so both give the same alerts), and every rule with --threads 2 (stream order). Prints a Markdown table (paste it into docs/performance.md):
# wall and CPU seconds, the cores used (CPU / wall), events/s and MB/s by wall clock and by
# CPU time, peak memory, alerts, and the ratios to the floor and to the reference reader
# (build/eql-json-floor, tools/json_floor.cpp: the file read in blocks and every line parsed
# into a RapidJSON in-situ DOM, nothing else; the cost any JSON event engine pays).
#
#   tools/bench_run.sh [EVENTS]              (default 1000000)
#   RULES=path ONE_RULE=file THREADS=N KEEP=events.ndjson tools/bench_run.sh
#
# Single-threaded runs compare by CPU time (one core, whatever else the machine runs);
# --threads runs need the wall clock, and idle cores: "cores" says how many the run got.
# Exact order runs the sequences through the reorder window while the input is in time
# order, as the generated events are (by @timestamp; event.ingested lags 0.4-2.5 s, inside
# the 10 s window), so its memory stays flat like stream order's (about 200 MB). HELD=1 adds
# `--order held`, which holds the events sequence rules can use until the end (what exact
# order does on standard input, and when a file is out of order): on 1,000,000 events of
# 1.5 KB that is about 10 GB. Needs python3 (tools/gen_events.py) and GNU time
# (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
eql=${EQL:-build/eql}
json_floor=${JSON_FLOOR:-$(dirname "$eql")/eql-json-floor}
events=${1:-1000000}
rules=${RULES:-../shared/corpus/detection-rules}
one_rule=${ONE_RULE:-$rules/rules_building_block/execution_wmi_wbemtest.toml}
threads=${THREADS:-2}
share=${TRIGGER_SHARE:-0.001}

input=${KEEP:-$(mktemp --suffix=.ndjson)}
[[ -n ${KEEP:-} ]] || trap 'rm -f "$input"' EXIT
generate="tools/gen_events.py --events $events --hosts 1000 --trigger-share $share --trigger-rules $rules"
if [[ -n ${KEEP:-} && -s $input ]]; then
  echo "input: reusing $input"
else
  python3 $generate > "$input" 2>/dev/null
fi
bytes=$(stat -c %s "$input")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "input: $events events, $mb MB (1 MB = 10^6 bytes), from: $generate"
echo "eql: $eql at $(git rev-parse --short HEAD 2>/dev/null || echo '?');" \
     "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| %-46s | %7s | %7s | %7s | %5s | %12s | %12s | %8s | %8s | %8s | %9s | %9s | %9s |\n' \
  run alerts wall_s cpu_s cores events/s_wall events/s_cpu MB/s_wall MB/s_cpu peak_MB cpu_vs_floor wall_vs_floor cpu_vs_ref
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------------ --------- \
  --------- --------- ------- -------------- -------------- ---------- ---------- ---------- ----------- ----------- -----------
floor_cpu=""
floor_wall=""
ref_cpu=""
measure() {  # label, command... (the first eql run measured is the floor)
  local label=$1
  shift
  local stats alerts
  stats=$(mktemp)
  alerts=$(/usr/bin/time -f '%e %U %S %M' -o "$stats" "$@" 2>/dev/null | wc -l)
  read -r wall user sys rss < "$stats"
  rm -f "$stats"
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  if [[ -z $ref_cpu ]]; then
    ref_cpu=$cpu; alerts=-
  elif [[ -z $floor_cpu ]]; then
    floor_cpu=$cpu; floor_wall=$wall
  fi
  awk -v l="$label" -v a="$alerts" -v w="$wall" -v c="$cpu" -v n="$events" -v mb="$mb" -v r="$rss" \
      -v fc="${floor_cpu:-$cpu}" -v fw="${floor_wall:-$wall}" -v rc="$ref_cpu" 'BEGIN {
    w = (w > 0 ? w : 0.01); c = (c > 0 ? c : 0.01); rc = (rc > 0 ? rc : 0.01)
    printf "| %-46s | %7s | %7.2f | %7.2f | %5.2f | %12.0f | %12.0f | %8.1f | %8.1f | %8.0f | %8.1fx | %8.1fx | %8.1fx |\n",
      l, a, w, c, c / w, n / w, n / c, mb / w, mb / c, r / 1024, c / fc, w / fw, c / rc }'
}
# Read the input once first so that no run pays for the page cache being filled (the first
# run, the floor, would otherwise count the disk reads as its system time).
cat "$input" > /dev/null
measure "reference reader: eql-json-floor" "$json_floor" "$input"
measure "floor: eql query 'any where false'" "$eql" query --quiet 'any where false' "$input"
measure "eql run, one rule" "$eql" run --quiet --rules "$one_rule" "$input"
measure "eql run, all rules (exact order)" "$eql" run --quiet --rules "$rules" "$input"
[[ ${HELD:-0} == 0 ]] || measure "eql run, all rules, --order held" "$eql" run --quiet --order held --rules "$rules" "$input"
measure "eql run, all rules, --order stream" "$eql" run --quiet --order stream --rules "$rules" "$input"
measure "eql run, all rules, --order stream --threads $threads" \
  "$eql" run --quiet --order stream --threads "$threads" --rules "$rules" "$input"
echo
echo "one rule: $one_rule; all rules: every EQL rule under $rules"
