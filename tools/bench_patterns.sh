#!/usr/bin/env bash
# Patterns built to make backtracking matchers explode (`(a*)*b`, `(a|aa)+`, `*a*a*a*a*a*a*b`),
# run by `eql query` over events whose value is a long run of `a`, at several value lengths.
# Time must grow with the length, not with a power of it. The floor is the same file through
# `v == "x"` (reading and parsing only); each row shows the matching time per event (total
# minus floor) and its ratio to the row before: 2.0 when the length doubles and matching is
# linear, 4.0 if it were quadratic (a backtracking matcher would not finish at all).
#
#   tools/bench_patterns.sh [LENGTHS...]     (default: 131072 262144 524288 1048576)
#
# Needs python3 (the generator). Runs niced: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."
eql=${EQL:-build/eql}
events=${EVENTS:-40}
lengths=("$@")
((${#lengths[@]})) || lengths=(131072 262144 524288 1048576)
patterns=(
  'any where v == "x"'
  'any where v regex "(a*)*b"'
  'any where v regex "(a|aa)+"'
  'any where v regex~ "(a+)+b"'
  'any where v : "*a*a*a*a*a*a*b"'
  'any where v like~ "*A*A*A*A*A*A*A*A*A*A*A*A*c"'
  'any where v : "*aaaaaaaaaaaaaaaab"'
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for length in "${lengths[@]}"; do
  python3 - "$length" "$events" > "$work/$length.ndjson" <<'EOF'
import sys
length, events = int(sys.argv[1]), int(sys.argv[2])
for i in range(events):
    print('{"@timestamp":%d,"v":"%s"}' % (i, "a" * length))
EOF
done

# The best of three runs, in seconds per event.
time_per_event() {
  local best=""
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N)
    nice -n 10 "$eql" query --quiet --check off "$1" "$2" > /dev/null
    end=$(date +%s.%N)
    best=$(awk -v s="$start" -v e="$end" -v b="$best" -v n="$events" \
      'BEGIN { t = (e - s) / n; if (b == "" || t < b) b = t; printf "%.6f", b }')
  done
  echo "$best"
}

echo "$events events per length; times are the best of 3 runs, per event; match = total - floor"
printf '%-48s %9s %10s %10s %12s\n' pattern length total_ms match_ms match_ratio
declare -A floor
for length in "${lengths[@]}"; do
  floor[$length]=$(time_per_event 'any where v == "x"' "$work/$length.ndjson")
  printf '%-48s %9d %10.3f %10s %12s\n' 'any where v == "x"   (floor)' "$length" \
    "$(awk -v t="${floor[$length]}" 'BEGIN { print t * 1000 }')" - -
done
for pattern in "${patterns[@]:1}"; do
  previous=""
  for length in "${lengths[@]}"; do
    t=$(time_per_event "$pattern" "$work/$length.ndjson")
    match=$(awk -v t="$t" -v f="${floor[$length]}" 'BEGIN { m = t - f; if (m < 0) m = 0; printf "%.6f", m }')
    ratio=$([[ -n "$previous" ]] && awk -v m="$match" -v p="$previous" 'BEGIN { if (p > 0) printf "%.2f", m / p; else print "-" }' || echo "-")
    printf '%-48s %9d %10.3f %10.3f %12s\n' "$pattern" "$length" "$(awk -v t="$t" 'BEGIN { print t * 1000 }')" \
      "$(awk -v m="$match" 'BEGIN { print m * 1000 }')" "$ratio"
    previous=$match
  done
done
