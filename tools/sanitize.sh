#!/usr/bin/env bash
# Builds eql and its tests with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DEQL_SANITIZE=ON, RelWithDebInfo, in build-asan) and runs the whole ctest suite under
# them. Any sanitizer report stops the process that made it, so the test fails. CI runs this
# after the Release test run (.ci/run); docs/fuzzing.md explains the options.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EQL_ASAN_BUILD_DIR:-build-asan}
jobs=${EQL_JOBS:-$(nproc)}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEQL_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$jobs"

# detect_leaks: a leak is a finding too. The UBSan suppressions only name third-party
# headers (tests/fuzz/ubsan.supp); with -fno-sanitize-recover they apply to checks that GCC
# compiles as recoverable, and they document what clang's fuzz build reports.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --test-dir "$build" --output-on-failure -j"$jobs" | tee "$log" || status=$?
echo
echo "Sanitizers (ASan+UBSan): $(grep -E 'tests passed, [0-9]+ tests failed' "$log" | tail -1)"
exit "$status"
