#!/usr/bin/env bash
# `eql explain` through the command line (docs/explain.md): each check runs the program from
# the source folder (so paths print as tests/data/...), and compares its standard output,
# standard error and exit code with a golden file, tests/data/explain/golden/NAME.txt.
# EQL_UPDATE_GOLDEN=1 rewrites the golden files and the transcripts of docs/explain.md
# instead (then read the diff before committing).
# Usage: explain_command_test.sh EQL SOURCE_DIR
set -u
eql=$1
cd "$2" || exit 2
data=tests/data/explain
golden=$data/golden
wmi=rules/windows/execution_suspicious_cmd_wmi.toml
wmi_events=rules/events/windows_wmi_cmd.jsonl
rundll=rules/windows/command_and_control_rundll32_first_connection.toml
passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# check NAME ARGS...: `eql explain ARGS` against golden/NAME.txt.
check() {
  local name=$1
  shift
  "$eql" explain "$@" >"$scratch/out" 2>"$scratch/err"
  local code=$?
  {
    cat "$scratch/out"
    if [ -s "$scratch/err" ]; then
      echo "--- stderr"
      cat "$scratch/err"
    fi
    echo "--- exit $code"
  } >"$scratch/got"
  if [ "${EQL_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$scratch/got" "$golden/$name.txt"
  fi
  if diff -u "$golden/$name.txt" "$scratch/got" >"$scratch/diff"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $name (eql explain $*)"
    cat "$scratch/diff"
  fi
}

# expect NAME COMMAND...: a check that is not a golden comparison.
expect() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $name"
  fi
}

check event-match-and-miss --rule $wmi $wmi_events
check by-rule-id --rules rules --rule 0e170e43-3d5f-43b7-8428-0b5f4c7b1f44 --limit 1 $wmi_events
check index-miss --rule $wmi --index logs-other-default --limit 1 $wmi_events
check exception --rule tests/data/run/kibana/export.ndjson $data/exception_events.jsonl
check sequence-maxspan-and-key --rule $rundll $data/sequence_events.jsonl
check sequence-until --rule $data/until.eql $data/until_events.jsonl
check sample-keys --rule $data/sample.eql $data/sample_events.jsonl
check sequence-missing-found --rule $data/missing.eql $data/missing_events.jsonl
check sequence-late-stream --order stream --max-lateness 5s --rule $data/missing.eql $data/late_events.jsonl
check sequence-late-exact --rule $data/missing.eql $data/late_events.jsonl
check usage-order --order sorted --rule $data/missing.eql $data/late_events.jsonl
check json --format json --rule $wmi --limit 2 $wmi_events
check help --help
check usage-no-rule $wmi_events
check usage-no-events --rule $wmi
check no-such-rule-id --rules rules --rule no-such-id $wmi_events
check no-such-events-file --rule $wmi $data/no_such_file.jsonl
check rule-does-not-compile --rule $data/bad_rule.eql $wmi_events

# The JSON report is one JSON document, a tree per filter of every event.
json_shape() {
  command -v python3 >/dev/null || return 0
  "$eql" explain --format json --rule $rundll $data/sequence_events.jsonl >"$scratch/report.json"
  python3 - "$scratch/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["events"]) == 3, r
assert [len(e["filters"]) for e in r["events"]] == [2, 2, 2]
assert {c["kind"] for c in r["chains"]} == {"maxspan", "no_earlier_stage"}, r["chains"]
assert r["alerts"] == []
EOF
  "$eql" explain --format json --order stream --max-lateness 5s --rule $data/missing.eql $data/late_events.jsonl >"$scratch/late.json"
  "$eql" explain --format json --rule $data/missing.eql $data/missing_events.jsonl >"$scratch/missing.json"
  python3 - "$scratch/late.json" "$scratch/missing.json" <<'EOF'
import json, sys
late, missing = (json.load(open(path)) for path in sys.argv[1:3])
assert [(c["kind"], c["at"], c["behind_ms"], c["over_ms"]) for c in late["chains"]] == [("late", 4, 25000, 20000)], late["chains"]
assert [(c["kind"], c["events"], c["stage"], c["at"]) for c in missing["chains"]] == [("missing_found", [1, 3], 2, 2)], missing["chains"]
EOF
}
expect json-shape json_shape

# The transcripts of docs/explain.md are the program's output.
doc_transcripts() {
  command -v python3 >/dev/null || return 0
  python3 - "$eql" docs/explain.md "${EQL_UPDATE_GOLDEN:-}" <<'EOF'
import re, shlex, subprocess, sys
eql, path, update = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
page = open(path).read()
pattern = re.compile(r"```\n\$ (build/eql explain[^\n]*)\n(.*?)```", re.S)
bad = 0
def check(match):
    global bad
    command, shown = match.group(1), match.group(2)
    args = shlex.split(command)
    args[0] = eql
    run = subprocess.run(args, capture_output=True, text=True)
    if run.stdout + run.stderr != shown:
        bad += 1
        print("docs/explain.md: the output of `%s` differs from the page" % command)
    return "```\n$ " + command + "\n" + run.stdout + run.stderr + "```"
rewritten, count = pattern.subn(check, page)
assert count >= 3, count
if update:
    open(path, "w").write(rewritten)
sys.exit(1 if bad and not update else 0)
EOF
}
expect doc-transcripts doc_transcripts

echo "eql-explain-command: $passed passed, $failed failed"
[ "$failed" = 0 ]
