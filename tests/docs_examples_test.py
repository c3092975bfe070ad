#!/usr/bin/env python3
"""The `eql validate` examples of docs/validate.md and README.md print what the program prints.

Usage: docs_examples_test.py EQL SOURCE_DIR SHARED_DIR

Every `$ build/eql validate ...` (or `$ echo ... | build/eql validate ...`) line of the two
documents runs from SOURCE_DIR with `build/eql` replaced by EQL and `../shared` by
SHARED_DIR; its standard output then its standard error must be the lines shown under it,
and a following `$ echo $?` its exit code. Prints `docs-examples: N passed, M failed`.
"""
import pathlib
import re
import subprocess
import sys


def examples(text):
    """(command, expected lines, expected exit code or None) for each example of a text."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        match = re.match(r"^( *)\$ (.*build/eql validate.*)$", line)
        if not match:
            continue
        indent, command = match.group(1), match.group(2)
        expected, exit_code = [], None
        j = i + 1
        while j < len(lines) and lines[j].startswith(indent) and lines[j].strip() and \
                not lines[j][len(indent):].startswith("$ "):
            expected.append(lines[j][len(indent):])
            j += 1
        if j + 1 < len(lines) and lines[j][len(indent):] == "$ echo $?":
            exit_code = int(lines[j + 1].strip())
        found.append((command, expected, exit_code))
    return found


def main():
    eql, source, shared = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    passed = failed = 0
    for document in ("docs/validate.md", "README.md"):
        for command, expected, exit_code in examples((source / document).read_text()):
            shell = command.replace("build/eql", eql).replace("../shared", shared)
            run = subprocess.run(["bash", "-c", shell], cwd=source, capture_output=True, text=True)
            printed = (run.stdout + run.stderr).splitlines()
            problems = []
            if printed != expected:
                problems.append("printed:\n  " + "\n  ".join(printed) +
                                "\nthe document shows:\n  " + "\n  ".join(expected))
            if exit_code is not None and run.returncode != exit_code:
                problems.append("exit code %d, the document shows %d" % (run.returncode, exit_code))
            if problems:
                failed += 1
                print("FAILED %s: $ %s\n%s" % (document, command, "\n".join(problems)))
            else:
                passed += 1
    print("docs-examples: %d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
