#!/usr/bin/env python3
"""docs/test.md and docs/explain.md say what the programs do.

Usage: docs_commands_test.py EQL SOURCE_DIR

For each of `eql test` and `eql explain` (run from SOURCE_DIR, `build/eql` replaced by EQL):
- every command of the page's opening block of examples runs: exit code 0 or 1, never 2 (a
  usage error, a path that does not exist); a `> FILE` redirection goes to a scratch folder;
- `eql help COMMAND` prints what `eql COMMAND --help` prints, and the options it lists are
  those of the page's `## Options` table;
- a ```toml block that a paragraph introduces with a file's path (`rules/...test.toml`) is
  that file's text.
(The `$ build/eql ...` transcripts of the pages are checked by test_command_test.sh and
explain_command_test.sh.) Prints `docs-commands: N passed, M failed`.
"""
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tally.py beside this file
from tally import Tally  # noqa: E402

PAGES = {"test": "docs/test.md", "explain": "docs/explain.md"}


def opening_examples(page):
    block = re.search(r"```\n(build/eql .*?)```", page, re.S)
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.startswith("build/eql")]


def options_of_help(text):
    return set(re.findall(r"^  (-[-a-z]+)", text, re.M)) | set(re.findall(r"^  -q, (--[a-z]+)", text, re.M)) - {"-q,"}


def options_of_table(page):
    section = page.split("## Options", 1)[1].split("\n## ", 1)[0]
    found = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            found |= set(re.findall(r"`(-[-a-z]+)", row.split("|")[1]))
    return found


def main():
    eql, source = sys.argv[1], pathlib.Path(sys.argv[2])
    tally = Tally()
    verdict = tally.check

    scratch = pathlib.Path(tempfile.mkdtemp())
    for command, path in PAGES.items():
        page = (source / path).read_text()
        examples = opening_examples(page)
        verdict(len(examples) >= 3, "%s: the opening block has %d examples" % (path, len(examples)))
        for example in examples:
            args = shlex.split(example)
            out = subprocess.DEVNULL
            if ">" in args:
                at = args.index(">")
                out = open(scratch / pathlib.Path(args[at + 1]).name, "w")
                args = args[:at]
            args[0] = eql
            code = subprocess.run(args, cwd=source, stdout=out, stderr=subprocess.PIPE, text=True).returncode
            verdict(code in (0, 1), "%s: `%s` exits %d" % (path, example, code))
        help_text = subprocess.run([eql, "help", command], capture_output=True, text=True).stdout
        own_help = subprocess.run([eql, command, "--help"], capture_output=True, text=True).stdout
        verdict(help_text == own_help and help_text, "eql help %s differs from eql %s --help" % (command, command))
        in_help, in_page = options_of_help(help_text), options_of_table(page)
        verdict(in_help == in_page, "%s: options of `eql help %s` %s, of the page's table %s" %
                (path, command, sorted(in_help), sorted(in_page)))
        for match in re.finditer(r"`([\w./-]+\.toml)`[^`]*?:\n\n```toml\n(.*?)```", page, re.S):
            shown, file = match.group(2), source / match.group(1)
            verdict(file.exists() and file.read_text() == shown,
                    "%s: the toml block differs from %s" % (path, match.group(1)))
    print(tally.line("docs-commands"))
    return 1 if tally.failed or tally.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
