#!/usr/bin/env bash
# Builds eql (Release) and runs the whole test suite: unit suites, the detection-rules corpus
# and the Elasticsearch conformance specs (these read ../shared). This is the README's test
# command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EQL_BUILD_DIR:-build}
jobs=${EQL_JOBS:-$(nproc)}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$jobs"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --test-dir "$build" --output-on-failure -j"$jobs" | tee "$log" || status=$?

# The corpus and conformance suites print "<suite>: N passed, M failed"; show them together,
# then repeat ctest's own closing line so it stays the last line.
echo
echo "Counted suites:"
grep -hE '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$build/Testing/Temporary/LastTest.log" |
  sort -u | sed 's/^/  /' || true
grep -E 'tests passed, [0-9]+ tests failed' "$log" | tail -1 || true
exit "$status"
