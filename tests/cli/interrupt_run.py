#!/usr/bin/env python3
"""Interrupts a real `evobatch run` child process and checks what it left behind.

Usage: interrupt_run.py BIN MANIFEST LEDGER SIGNALS
Starts `BIN run --simulate` on MANIFEST, waits until the ledger shows a few submitted tasks,
sends SIGINT SIGNALS times (1: graceful stop, 2: quit at once), and checks: exit code 3 within
the time limit, and a consistent write-ahead ledger (every line parses; no task without its
`submitting`; after a graceful stop, no `submitting` left without its answer). Exits non-zero
with the reason on failure. Bounded: every wait has a deadline.
"""
import json
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

with open(ledger, encoding="utf-8") as f:
    text = f.read()
if signals == 1 and text and not text.endswith("\n"):
    fail("a graceful stop left a torn line")
state = {}
whole_lines = text.split("\n")[:-1]  # quitting at once may leave a torn last line: resume repairs it
for number, line in enumerate(whole_lines, 1):
    try:
        e = json.loads(line)
    except ValueError:
        fail(f"ledger line {number} does not parse: {line[:120]}")
    job, ev = e.get("job"), e["ev"]
    if ev == "submitting":
        state[job] = "submitting"
    elif ev in ("submitted", "progress", "completed", "failed", "uncertain"):
        if ev != "failed" and state.get(job) is None:
            fail(f"line {number}: {ev} for {job} without its submitting")
        state[job] = ev
if not state:
    fail("the ledger holds no job")
if signals == 1:
    pending = [job for job, s in state.items() if s == "submitting"]
    if pending:
        fail(f"a graceful stop left creates without their answer: {pending}")
    # The Next: line is the same command, as typed, that resumes the batch.
    resume = [line for line in stderr.decode(errors="replace").splitlines()
              if line.startswith("Next: `") and "` resumes" in line]
    if not resume or str(ledger) not in resume[0] or "--simulate" not in resume[0]:
        fail(f"the summary does not say how to resume: {resume}")
if all(s == "completed" for s in state.values()) and len(state) == 60:
    fail("the batch finished before the interrupt: nothing was tested")
