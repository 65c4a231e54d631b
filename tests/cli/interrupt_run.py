#!/usr/bin/env python3
"""Interrupts a real `evobatch run` child process and checks what it left behind.

Usage: interrupt_run.py BIN MANIFEST LEDGER SIGNALS
Starts `BIN run --simulate` on MANIFEST, waits until the ledger shows a few submitted tasks,
sends SIGINT SIGNALS times (1: graceful stop, 2: quit at once), and checks: exit code 3 within
the time limit, and a consistent write-ahead ledger (every line parses; no task without its
`submitting`; after a graceful stop, no `submitting` left without its answer). Exits non-zero
with the reason on failure. Bounded: every wait has a deadline.
"""
import os
import signal
import subprocess
import sys
import time

import simproc

binary, manifest, ledger, signals = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def fail(reason):
    print(f"interrupt_run: {reason}", file=sys.stderr)
    sys.exit(1)


child = subprocess.Popen([binary, "run", "--simulate", "--time-scale", "0.05", "--ledger", ledger, manifest],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if not simproc.wait_for_submitted(child, ledger, 3, timeout=30):
    child.kill()
    fail("the run did not submit 3 tasks within 30 s")

for n in range(signals):
    child.send_signal(signal.SIGINT)
    time.sleep(0.05)
try:
    _, stderr = child.communicate(timeout=20)
except subprocess.TimeoutExpired:
    child.kill()
    fail("the run did not end within 20 s of SIGINT")
if child.returncode != 3:
    fail(f"exit code {child.returncode}, expected 3; stderr: {stderr.decode(errors='replace')[-500:]}")

problem, state = simproc.check_stopped_ledger(ledger, graceful=signals == 1)
if problem:
    fail(problem)
if signals == 1:
    # The Next: line is the same command, as typed, that resumes the batch.
    resume = [line for line in stderr.decode(errors="replace").splitlines()
              if line.startswith("Next: `") and "` resumes" in line]
    if not resume or str(ledger) not in resume[0] or "--simulate" not in resume[0]:
        fail(f"the summary does not say how to resume: {resume}")
if all(s == "completed" for s in state.values()) and len(state) == 60:
    fail("the batch finished before the interrupt: nothing was tested")
