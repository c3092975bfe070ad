#!/usr/bin/env bash
# The README's first command: install the dependencies, build, and run eql on the bundled
# example rules and events.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

echo
echo "== build/eql validate rules/"
build/eql validate rules/
