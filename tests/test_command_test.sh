#!/usr/bin/env bash
# `eql test` through the command line (docs/test.md): each check runs the program from the
# source folder (so paths print as tests/data/test/...), and compares its standard output,
# standard error and exit code with a golden file, tests/data/test/golden/NAME.txt.
# EQL_UPDATE_GOLDEN=1 rewrites the golden files and the transcripts of docs/test.md instead
# (then read the diff before committing).
# Usage: test_command_test.sh EQL SOURCE_DIR
set -u
eql=$1
cd "$2" || exit 2
data=tests/data/test
golden=$data/golden
passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# check NAME ARGS...: `eql test ARGS` against golden/NAME.txt.
check() {
  local name=$1
  shift
  "$eql" test "$@" >"$scratch/out" 2>"$scratch/err"
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
    echo "FAILED: $name (eql test $*)"
    cat "$scratch/diff"
  fi
}

# expect NAME CONDITION-DESCRIPTION COMMAND...: a check that is not a golden comparison.
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

check pass --rules $data/rules $data/pass
check fail $data/fail
check fail-why $data/fail-why
check fail-why-json --format json $data/fail-why/maxspan.test.toml
check fail-color --color=always $data/fail $data/broken/bad_rule.test.toml
check color-junit --color=always --format junit $data/fail
check bundled rules
check toml-syntax $data/broken/toml_syntax.test.toml
check unknown-key $data/broken/unknown_key.test.toml
check missing-rule-file $data/broken/missing_rule_file.test.toml
check missing-rule-id --rules $data/rules $data/broken/missing_rule_id.test.toml
check missing-rule-id-no-rules $data/broken/missing_rule_id.test.toml
check bad-events $data/broken/bad_events.test.toml
check wrong-types $data/broken/wrong_types.test.toml
check misplaced-keys $data/broken/misplaced_keys.test.toml
check no-rule-no-case $data/broken/no_rule_no_case.test.toml
check bad-rule $data/broken/bad_rule.test.toml
check ambiguous-rule $data/broken/ambiguous_rule.test.toml
check not-an-eql-rule $data/broken/not_an_eql_rule.test.toml
check kql-rule-id --rules rules/kibana $data/broken/kql_rule_id.test.toml
check count-mismatch $data/broken/count_mismatch.test.toml
check broken-rule-set --rules $data/rules --rules $data/broken/bad_rule.eql $data/pass
check broken-and-passing --rules $data/rules $data/pass $data/broken/unknown_key.test.toml
check quiet -q --rules $data/rules $data/pass $data/fail
check junit --format junit --rules $data/rules $data/pass $data/fail $data/broken/missing_rule_file.test.toml $data/broken/bad_events.test.toml
check json --format json --coverage --rules $data/rules $data/pass $data/fail
check coverage --coverage --rules $data/rules $data/pass
check coverage-bundled --coverage --rules rules rules
check help --help
check usage-no-path --rules $data/rules
check usage-coverage-without-rules --coverage $data/pass
check usage-format --format xml $data/pass
check no-such-path $data/no_such_folder
check no-test-files $data/rules
check overlapping-paths rules rules/windows rules/windows/execution_suspicious_cmd_wmi.test.toml

# The JUnit report is well-formed XML with the elements CI dashboards require.
junit_shape() {
  command -v python3 >/dev/null || return 0
  "$eql" test --format junit --rules $data/rules $data/pass $data/fail $data/broken/bad_events.test.toml >"$scratch/junit.xml"
  python3 - "$scratch/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
for key in ("tests", "failures", "errors"):
    assert key in root.attrib, key
cases = failures = errors = 0
for suite in root:
    assert suite.tag == "testsuite"
    for key in ("name", "tests", "failures", "errors"):
        assert key in suite.attrib, key
    assert int(suite.get("tests")) == len(suite.findall("testcase"))
    for case in suite.findall("testcase"):
        assert case.get("name") and case.get("classname")
        cases += 1
        for failure in case.findall("failure"):
            assert failure.get("message")
            failures += 1
        errors += len(case.findall("error"))
assert (cases, failures, errors) == (int(root.get("tests")), int(root.get("failures")), int(root.get("errors"))), (cases, failures, errors)
assert failures == 2 and errors == 3, (failures, errors)
EOF
}
expect junit-shape junit_shape

# The JSON report is one JSON document with the counts of the text report.
json_shape() {
  command -v python3 >/dev/null || return 0
  "$eql" test --format json --rules $data/rules $data/pass $data/fail >"$scratch/report.json"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert (r["passed"], r["failed"]) == (10, 2), r' "$scratch/report.json"
}
expect json-shape json_shape

# Test files beside rules are not rules: validate and run skip them.
validate_skips_tests() {
  "$eql" validate rules | grep -q "non-rule" && return 1
  return 0
}
expect validate-skips-tests validate_skips_tests

# The transcripts of docs/test.md are the program's output: every `$ build/eql test ...`
# block there, run again, prints what the page shows.
doc_transcripts() {
  command -v python3 >/dev/null || return 0
  python3 - "$eql" docs/test.md "${EQL_UPDATE_GOLDEN:-}" <<'EOF'
import re, shlex, subprocess, sys
eql, path, update = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
page = open(path).read()
pattern = re.compile(r"```\n\$ (build/eql test[^\n]*)\n(.*?)```", re.S)
bad = 0
def check(match):
    global bad
    command, shown = match.group(1), match.group(2)
    args = shlex.split(command)
    args[0] = eql
    run = subprocess.run(args, capture_output=True, text=True)
    if run.stdout + run.stderr != shown:
        bad += 1
        print("docs/test.md: the output of `%s` differs from the page" % command)
    return "```\n$ " + command + "\n" + run.stdout + run.stderr + "```"
rewritten, count = pattern.subn(check, page)
assert count >= 6, count
if update:
    open(path, "w").write(rewritten)
sys.exit(1 if bad and not update else 0)
EOF
}
expect doc-transcripts doc_transcripts

echo "eql-test-command: $passed passed, $failed failed"
[ "$failed" = 0 ]
