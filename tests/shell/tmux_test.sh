#!/usr/bin/env bash
# Drives `eql shell` in a real terminal (a detached tmux pane) and checks the screen: load,
# completion, a query with an error, a table, a sequence typed over two lines, a count pipe,
# Ctrl-C on an unfinished query, and Ctrl-D. Usage: tmux_test.sh EQL_BINARY SOURCE_DIR
set -uo pipefail
eql=$1
src=$2
if ! command -v tmux >/dev/null; then
  echo "shell-tmux: tmux is not installed (tools/install-deps.sh installs it)"
  exit 77
fi
work=$(mktemp -d)
socket="eql-shell-test-$$"
cleanup() { tmux -L "$socket" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

events1="$src/rules/events/windows_wmi_cmd.jsonl"
events2="$src/tests/data/events/sequence_out_of_order.ndjson"
passed=0
failed=0

screen() { tmux -L "$socket" capture-pane -p -t shell; }
keys() { tmux -L "$socket" send-keys -t shell "$@"; }
# check NAME PATTERN: waits up to 10 s for the screen to match an extended regex.
check() {
  local name=$1 pattern=$2
  for _ in $(seq 100); do
    if screen | grep -Eq -- "$pattern"; then
      passed=$((passed + 1))
      return 0
    fi
    sleep 0.1
  done
  failed=$((failed + 1))
  echo "FAILED: $name: no line matches /$pattern/; the screen:"
  screen | sed '/^$/d; s/^/  | /'
  return 1
}

tmux -L "$socket" new-session -d -s shell -x 110 -y 60 \
  "EQL_HISTORY='$work/history' TERM=xterm '$eql' shell '$events1'; echo \"shell exited with \$?\"; sleep 60"
check "banner" '^eql shell: 5 events loaded'
check "prompt" '^eql>$'

# .load a second file
keys ".load $events2" Enter
check "load" "^loaded 4 events from .*sequence_out_of_order.ndjson"
keys C-l

# Completion: a command, then a field segment by segment.
keys '.ta' Tab
check "complete command" '^eql> \.table$'
keys '@timestamp host.id process.na' Tab
check "complete field in .table" '^eql> \.table @timestamp host.id process\.name$'
keys Enter
check "table columns set" '^table output: @timestamp host.id process.name'
keys 'process where process.pa' Tab
check "complete segment" '^eql> process where process\.parent\.$'
keys 'na' Tab
check "complete last segment" '^eql> process where process\.parent\.name$'
keys ' : "WmiPrvSE.exe" and process.args : "2>&1"' Enter
check "table header" '^@timestamp +host\.id +process\.name$'
check "table row" '^2024-01-31T14:23:00\.443Z +cmd\.exe$'
check "table summary" '^3 events \('
keys C-l

# Categories seen in the data complete at the start of a query; several candidates are listed.
keys 'net' Tab
check "complete category" '^eql> network$'
keys C-u 'process where process.parent.' Tab
check "list candidates" 'process\.parent\.name +process\.parent\.name\.'
keys C-u C-l

# A query with an error: the query line and a caret under the `=`.
keys 'process where process.name = "cmd.exe"' Enter
check "error message" "<query>:1:28: error: use == to compare"
check "error line" '^   process where process\.name = "cmd\.exe"$'
check "error caret" '^                              \^$'
# On a terminal the diagnostic is in colour (red "error:", as eql validate renders it).
if tmux -L "$socket" capture-pane -e -p -t shell | grep -q $'\x1b\[31merror:'; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAILED: colour: no red 'error:' on the screen"
fi
keys C-l

# A sequence typed over two lines: the second prompt says the query goes on.
keys '.table' Enter
keys 'sequence by host.id with maxspan=1m [process where process.name : "cmd.exe"]' Enter
check "continuation prompt" '^\.\.\.>$'
keys '[network where destination.port == 445]' Enter
check "sequence row" '^1 +\[h1\] +1 +2024-01-01T00:00:01Z +process +h1'
check "sequence stage 2" '^ +2 +2024-01-01T00:00:03Z +network +h1'
check "sequence summary" '^1 sequence \('
keys C-l

# A count pipe (an extension) sorted by count.
keys 'process where true | count process.name | sort count desc | head 10' Enter
check "count header" '^process\.name +count +percent$'
check "count row" '^cmd\.exe +6 +85\.71$'
check "count summary" '^2 rows \('
keys C-l

# Ctrl-C drops an unfinished query; Ctrl-D leaves.
keys 'process where' Enter
check "unfinished" '^\.\.\.>$'
keys 'process.name ==' C-c
check "ctrl-c" '\^C$'
check "prompt after ctrl-c" '^eql>$'
keys C-d
check "exit" '^shell exited with 0$'
grep -q 'sequence\\040by\\040host.id' "$work/history" && passed=$((passed + 1)) || {
  failed=$((failed + 1))
  echo "FAILED: history: the sequence is not in $work/history"
}

echo "shell-tmux: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
