#!/usr/bin/env python3
"""`run --simulate` stopped and run again: its in-process simulator keeps its tasks in
`<ledger>.sim.jsonl`, so the second run resumes the first one's tasks instead of refusing.

Usage: simulate_resume.py BIN sigint|sigkill
Runs `BIN run --simulate --time-scale 0.02` on 30 jobs (manifest, ledger and results in a temp
folder), stops it once the ledger shows a few submitted tasks (SIGINT: a graceful stop, exit 3;
SIGKILL: the process and its simulator die at once), runs the exact same command again and
expects exit 0, every job completed and downloaded, and the state file holding exactly one task
per job, the ones the ledger names: nothing paid twice. Bounded: every wait has a deadline.
Exits non-zero with the reason on failure.
"""
import os
import signal
import subprocess
import sys
import tempfile

import simproc

JOBS = 30
STOP_LIMIT_S = 30  # a graceful stop ends within the run's grace period
RUN_LIMIT_S = 120  # the whole batch takes about 20 s at this time scale


def fail(reason):
    print(f"simulate_resume: {reason}", file=sys.stderr)
    sys.exit(1)


def main():
    binary, mode = sys.argv[1], sys.argv[2]
    if mode not in ("sigint", "sigkill"):
        fail(f"unknown mode {mode}")
    with tempfile.TemporaryDirectory() as work:
        manifest, ledger = f"{work}/batch.yaml", f"{work}/batch.ledger.jsonl"
        state = f"{ledger}.sim.jsonl"
        jobs = [(f"clip-{i:02}", f"https://cdn.example.com/resume/clip-{i:02}.mp4") for i in range(JOBS)]
        simproc.write_manifest(manifest, jobs, "requests_per_second: 10, burst: 5, max_in_flight: 15",
                               output=f"ledger: {ledger}, dir: {work}/results")
        run = [binary, "run", "--simulate", "--time-scale", "0.02", "--quiet", manifest]

        first = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not simproc.wait_for_submitted(first, ledger, 3, timeout=STOP_LIMIT_S):
            first.kill()
            fail(f"the first run did not submit 3 tasks within {STOP_LIMIT_S} s")
        first.send_signal(signal.SIGINT if mode == "sigint" else signal.SIGKILL)
        try:
            _, stderr = first.communicate(timeout=STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            first.kill()
            fail(f"the first run did not end within {STOP_LIMIT_S} s of the signal")
        expected = 3 if mode == "sigint" else -signal.SIGKILL
        if first.returncode != expected:
            fail(f"the first run exited {first.returncode}, expected {expected}: "
                 f"{stderr.decode(errors='replace')[-400:]}")
        completed_first = sum(e["ev"] == "completed" for e in simproc.read_jsonl(ledger))
        if completed_first == JOBS:
            fail("the batch finished before the signal: nothing was resumed")
        tasks_first = sum(line["ev"] == "task" for line in simproc.read_jsonl(state))
        if tasks_first < 3:
            fail(f"the simulator state holds {tasks_first} tasks after the first run, the ledger at least 3")

        try:
            second = subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            fail(f"the second run did not end within {RUN_LIMIT_S} s")
        stderr = second.stderr.decode(errors="replace")
        if second.returncode != 0:
            fail(f"the second run exited {second.returncode}, expected 0: {stderr[-600:]}")
        if "resuming from" not in stderr:
            fail(f"the second run did not resume: {stderr[-400:]}")
        check(jobs, ledger, state)
        print(f"simulate_resume {mode}: {tasks_first} tasks made and {completed_first} jobs completed before "
              f"the signal; all {JOBS} jobs completed after the second run, one task each")


def check(jobs, ledger, state):
    events = simproc.read_jsonl(ledger)
    last = {}
    for e in events:
        if e.get("job") and e["ev"] not in ("progress", "downloaded"):
            last[e["job"]] = e["ev"]
    not_done = sorted(job for job, _ in jobs if last.get(job) != "completed")
    if not_done:
        fail(f"jobs not completed: {not_done}")
    downloaded = {e["job"]: e["file"] for e in events if e["ev"] == "downloaded"}
    missing = sorted(job for job, _ in jobs if not os.path.isfile(downloaded.get(job, "")))
    if missing:
        fail(f"results not on disk: {missing}")

    tasks = [line for line in simproc.read_jsonl(state) if line["ev"] == "task"]
    by_video = {}
    for t in tasks:
        by_video.setdefault(t["video"], []).append(t["id"])
    twice = {video: ids for video, ids in by_video.items() if len(ids) > 1}
    if twice:
        fail(f"jobs with more than one task (paid twice): {twice}")
    if len(tasks) != len(jobs) or set(by_video) != {video for _, video in jobs}:
        fail(f"{len(tasks)} tasks in the simulator state for {len(jobs)} jobs")
    named = {e["task"] for e in events if e["ev"] == "submitted"}
    if named != {t["id"] for t in tasks}:
        fail("the ledger and the simulator state name different tasks")


if __name__ == "__main__":
    main()
