#!/bin/sh
# One golden test of the command line: golden.sh EQL SOURCE_DIR CASE.cmd
#
# CASE.cmd is a sh script run from SOURCE_DIR with $EQL set to the program; its standard
# output and error together, then a line `exit N` with its exit code, must equal CASE.expected
# once timings (`0.001 s`) are written `T s`. EQL_UPDATE_GOLDEN=1 rewrites CASE.expected.
eql=$1
cd "$2" || exit 2
case=$3
expected="${case%.cmd}.expected"
actual=$(EQL="$eql" sh "$case" 2>&1; echo "exit $?")
actual=$(printf '%s\n' "$actual" | sed -E 's/[0-9]+\.[0-9]{3} s/T s/g')
if [ -n "$EQL_UPDATE_GOLDEN" ]; then
  printf '%s\n' "$actual" > "$expected"
fi
if [ "$actual" = "$(cat "$expected" 2>/dev/null)" ]; then
  echo "golden: 1 passed, 0 failed"
  exit 0
fi
printf '%s\n' "$actual" | diff -u "$expected" -
echo "golden: 0 passed, 1 failed"
exit 1
