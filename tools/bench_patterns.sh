#!/usr/bin/env bash
# Patterns built to make backtracking matchers explode (`(a*)*b`, `(a|aa)+`, `*a*a*a*a*a*a*b`),
# run by `eql query` over events whose value is a long run of `a`, at several value lengths.
# Time must grow with the length, not with a power of it: each row shows the time per event
# and its ratio to the row before (2.0 when the length doubles and time is linear, 4.0 if it
# were quadratic). The floor is the same file through `v == "x"` (reading and parsing only).
#
#   tools/bench_patterns.sh [LENGTHS...]     (default: 131072 262144 524288 1048576)
#
# Needs python3 (the generator). Runs niced: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."
eql=${EQL:-build/eql}
events=${EVENTS:-20}
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

echo "$events events per length; time is the best of 3 runs, per event"
printf '%-48s %9s %12s %10s\n' pattern length ms/event ratio
for pattern in "${patterns[@]}"; do
  previous=""
  for length in "${lengths[@]}"; do
    t=$(time_per_event "$pattern" "$work/$length.ndjson")
    ratio=$([[ -n "$previous" ]] && awk -v t="$t" -v p="$previous" 'BEGIN { printf "%.2f", t / p }' || echo "-")
    printf '%-48s %9d %12.3f %10s\n' "$pattern" "$length" "$(awk -v t="$t" 'BEGIN { print t * 1000 }')" "$ratio"
    previous=$t
  done
done
