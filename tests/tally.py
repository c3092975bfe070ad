"""The counted verdicts of the Python tests: each check passes or fails with a message, and
the test prints `NAME: N passed, M failed` (ctest matches that line)."""


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        """Counts one verdict; prints `FAILED: what` when it fails. Returns `ok`."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAILED: " + what)
        return ok

    def line(self, name):
        return "%s: %d passed, %d failed" % (name, self.passed, self.failed)
