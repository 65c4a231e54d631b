#!/usr/bin/env python3
"""A run whose reader goes away, or whose terminal closes, stops as Ctrl-C stops it.

Usage: stop_run.py BIN MANIFEST LEDGER MODE
Runs `BIN run --simulate` on MANIFEST and, by MODE:
  head       `run --json | head -1`: head takes the first event and exits;
  reader     `run --json` read until the ledger shows 3 submitted tasks, then the pipe closed;
  sighup     `run` sent SIGHUP once the ledger shows 3 submitted tasks.
Checks: exit code 3 (not 141 or 129) within the time limit, a message saying why it stopped,
and a consistent ledger after a graceful stop (simproc.check_stopped_ledger). Exits non-zero
with the reason on failure. Bounded: every wait has a deadline.
"""
import json
import signal
import subprocess
import sys

import simproc

binary, manifest, ledger, mode = sys.argv[1:5]
command = [binary, "run", "--simulate", "--time-scale", "0.05", "--ledger", ledger, manifest]


def fail(reason):
    print(f"stop_run {mode}: {reason}", file=sys.stderr)
    sys.exit(1)


def finish(child, timeout, what):
    """The child's exit code and stderr, once it ends within `timeout` seconds of `what`."""
    try:
        _, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        fail(f"the run did not end within {timeout} s of {what}")
    return child.returncode, err.decode(errors="replace")


if mode == "head":
    # As a shell runs the pipeline: head holds the only read end.
    child = subprocess.Popen(command + ["--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=child.stdout, stdout=subprocess.PIPE)
    child.stdout.close()
    first, _ = head.communicate(timeout=30)
    try:
        json.loads(first)
    except ValueError:
        fail(f"head got no JSON event: {first[:200]!r}")
    rc, err = finish(child, 30, "head exiting")
    expected = "its output cannot be written: Broken pipe"
elif mode == "reader":
    child = subprocess.Popen(command + ["--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while sum(e["ev"] == "submitted" for e in simproc.read_jsonl(ledger)) < 3:
        if not child.stdout.readline():  # the run ended (or closed stdout) first
            break
    child.stdout.close()
    rc, err = finish(child, 30, "its reader going away")
    expected = "its output cannot be written: Broken pipe"
elif mode == "sighup":
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if not simproc.wait_for_submitted(child, ledger, 3, timeout=30):
        child.kill()
        fail("the run did not submit 3 tasks within 30 s")
    child.send_signal(signal.SIGHUP)
    rc, err = finish(child, 20, "SIGHUP")
    expected = "SIGHUP: the terminal was closed"
    # The summary (on stderr here) says how to resume.
    if not any(line.startswith("Next: `") and "` resumes" in line for line in err.splitlines()):
        fail(f"the summary does not say how to resume: {err[-500:]}")
else:
    fail("MODE is head, reader or sighup")

if rc != 3:
    fail(f"exit code {rc}, expected 3; stderr: {err[-500:]}")
if f"stopping ({expected})" not in err:
    fail(f"stderr does not say why the run stopped ({expected}): {err[-500:]}")
problem, state = simproc.check_stopped_ledger(ledger, graceful=True)
if problem:
    fail(problem)
if all(s == "completed" for s in state.values()) and len(state) == 60:
    fail("the batch finished before it was stopped: nothing was tested")
