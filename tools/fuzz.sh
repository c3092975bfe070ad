#!/usr/bin/env bash
# Runs one libFuzzer target for a while: tools/fuzz.sh TARGET SECONDS [extra libFuzzer flags]
#   TARGET: parse_fuzz | rules_fuzz | event_fuzz   (docs/fuzzing.md)
# Builds build-fuzz with clang (-DEQL_FUZZ=ON) when needed, writes the seed corpora from
# ../shared on first use, and keeps the grown corpus in build-fuzz/corpus/TARGET so
# successive runs continue where the last one stopped. Crashes land in build-fuzz/findings/.
# Runs niced on one job: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: tools/fuzz.sh TARGET SECONDS [libFuzzer flags...]}
seconds=${2:?usage: tools/fuzz.sh TARGET SECONDS [libFuzzer flags...]}
shift 2
build=${EQL_FUZZ_BUILD_DIR:-build-fuzz}
shared=${EQL_SHARED_DIR:-$(cd .. && pwd)/shared}

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEQL_FUZZ=ON -DEQL_BUILD_TESTS=OFF >/dev/null
fi
nice -n 10 cmake --build "$build" -j"${EQL_JOBS:-2}" --target "$target" >/dev/null

corpus=$build/corpus/$target
seeds=$build/seeds/$target
if [[ ! -d "$seeds" ]]; then
  python3 tools/fuzz-seeds.py "$build/seeds" "$shared"
fi
mkdir -p "$corpus" "$build/findings"

# Rule files and event files are a few kB; queries are short. Longer inputs are tried by
# the hostile tests. Each target has its own dictionary.
case "$target" in
  parse_fuzz) max_len=4096 ;;
  *)          max_len=16384 ;;
esac
case "$target" in
  event_fuzz) dict=tests/fuzz/events.dict ;;
  *)          dict=tests/fuzz/eql.dict ;;
esac
# UBSan findings must stop the run like ASan's; RapidJSON's own null-pointer arithmetic is
# suppressed (tests/fuzz/ubsan.supp).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
exec nice -n 10 "$build/$target" "$corpus" "$seeds" \
  -dict="$dict" -max_total_time="$seconds" -max_len="$max_len" \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$build/findings/$target-" "$@"
