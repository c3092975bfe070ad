#!/usr/bin/env bash
# Builds eql (Release) and runs the whole test suite: unit suites, the corpus and the
# Elasticsearch conformance specs (these need ../shared). This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EQL_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
