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

echo
echo "== the bundled WMI rule's query over the bundled events (rules/events/)"
query=$(python3 - <<'PY' 2>/dev/null || sed -n "/^query = '''/,/^'''/p" rules/windows/execution_suspicious_cmd_wmi.toml | sed '1d;$d'
import tomllib
print(tomllib.load(open("rules/windows/execution_suspicious_cmd_wmi.toml", "rb"))["rule"]["query"])
PY
)
build/eql query --format table "$query" rules/events/windows_wmi_cmd.jsonl

echo
echo "== the main job: every bundled rule over the bundled events, one alert per line"
build/eql run --rules rules/ rules/events/*.jsonl

echo
echo "== the bundled rules' own tests (rules/**/*.test.toml: events each rule must and must not alert on)"
build/eql test rules/
