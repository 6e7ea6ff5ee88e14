"""Small shared pieces of the system-test runner: logging, argv-only process runs, assertions."""

import os
import signal
import subprocess
import sys
import time


class Failure(Exception):
    """A scenario (or a prerequisite of a whole tier) failed; the message says why."""


def log(msg):
    print(f"[systest {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(argv, timeout, logfile=None, check=True, input=None, env=None, capture=False):
    """Runs argv (never a shell) in its own process group; kills the whole group on timeout."""
    out = open(logfile, "ab") if logfile else None
    try:
        proc = subprocess.Popen(
            [str(a) for a in argv], stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else (out or subprocess.DEVNULL),
            stderr=subprocess.STDOUT if (out and not capture) else (out or subprocess.PIPE),
            start_new_session=True, env=env)
        try:
            stdout, stderr = proc.communicate(input=input.encode() if input is not None else None,
                                              timeout=timeout)
        except subprocess.TimeoutExpired:
            stopGroup(proc)
            raise Failure(f"timed out after {timeout} s: {' '.join(map(str, argv))}")
    finally:
        if out:
            out.close()
    if check and proc.returncode != 0:
        detail = f" (see {logfile})" if logfile else (": " + stderr.decode(errors="replace")[-2000:] if stderr else "")
        raise Failure(f"exit {proc.returncode}: {' '.join(map(str, argv))}{detail}")
    return subprocess.CompletedProcess(argv, proc.returncode,
                                       stdout.decode(errors="replace") if stdout is not None else None,
                                       stderr.decode(errors="replace") if stderr is not None else None)


def stopGroup(proc, grace=10):
    """SIGTERM to the process group, then SIGKILL after `grace` seconds; by PID, never by name."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


class Checks:
    """Collects every failed expectation of a scenario instead of stopping at the first."""

    def __init__(self):
        self.failed = []

    def note(self, what):
        """Something worth knowing that is not a failure: printed, never asserted."""
        log(f"NOTE: {what}")

    def that(self, ok, what):
        if not ok:
            self.failed.append(what)
        return ok

    def equal(self, actual, expected, what):
        return self.that(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")

    def contains(self, text, needle, what):
        shown = text if len(text) < 1500 else text[:700] + " ... " + text[-700:]
        return self.that(needle in text, f"{what}: {needle!r} not in {shown!r}")

    def done(self):
        if self.failed:
            raise Failure("\n    - " + "\n    - ".join(self.failed))


class Scenario:
    def __init__(self, name, title, fn):
        self.name, self.title, self.fn = name, title, fn


def registry():
    """A list and a decorator that appends to it: `@scenario("name", "what it proves")`."""
    scenarios = []

    def scenario(name, title):
        def add(fn):
            scenarios.append(Scenario(name, title, fn))
            return fn
        return add
    return scenarios, scenario
