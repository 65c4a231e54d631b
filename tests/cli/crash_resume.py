#!/usr/bin/env python3
"""Crash test: `evobatch run` is killed with SIGKILL at seeded random moments and resumed until
the batch is done, against a separate `evobatch sim` process over real TLS on loopback.

Usage: crash_resume.py BIN SCENARIO [--seed N] [--kills N] [--jobs N]
  SCENARIO keys:      the simulator honours idempotency keys (optionally cutting connections
                      after creates): no job is created twice, every job completes, and the
                      ledger's task ids equal the simulator's.
  SCENARIO cut:       the same with --cut-after-create-ratio 0.15, and downloads cut halfway.
  SCENARIO files:     a finished batch whose result files were tampered with and deleted: a
                      second run creates no task and downloads exactly those files again.
  In all three, every result file is on disk with the size served and the hash the ledger recorded.
  SCENARIO forgetful: the simulator ignores keys (--no-idempotency), connections are cut after
                      creates, and the manifest's idempotency window is 0 (no key is trusted,
                      so nothing is re-POSTed): jobs cut off end uncertain, and their count
                      equals the tasks the ledger cannot account for. A second run looks them
                      up in the account's task list: it adopts only a job's own task, leaves the
                      rest uncertain with their candidates, and POSTs nothing again
                      (settle_uncertain.py tests settling with probed clip lengths).
                      No kills here: a kill between `submitting` and the POST leaves an
                      uncertain job without a task, which breaks the equality.
Bounded: at most --kills kills, every run capped in time, the whole test well under a minute.
Exits non-zero with the reason on failure.
"""
import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import simproc

RUN_LIMIT_S = 60  # one uninterrupted run of the batch takes a few seconds
SIM_FILE_BYTES = 1 << 20  # `evobatch sim --file-bytes` default


def fail(reason):
    print(f"crash_resume: {reason}", file=sys.stderr)
    sys.exit(1)


def start_simulator(binary, work, scenario, env):
    args = ["--key-env", "CRASH_SIM_KEY", "--time-scale", "0.01", "--log", f"{work}/sim.log", "--seed", "7"]
    if scenario in ("cut", "forgetful"):
        args += ["--cut-after-create-ratio", "0.15"]
    if scenario == "cut":
        args += ["--cut-file-ratio", "0.3"]  # downloads cut halfway continue with Range
    if scenario == "forgetful":
        args += ["--no-idempotency"]
    try:
        return simproc.start_simulator(binary, args, env)
    except RuntimeError as e:
        fail(str(e))


def crash_jobs(n):
    return [(f"clip-{i:03}", f"https://cdn.example.com/crash/clip-{i:03}.mp4") for i in range(n)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("scenario", choices=["keys", "cut", "forgetful", "files"])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=40)
    o = parser.parse_args()
    if o.scenario in ("forgetful", "files"):
        o.kills = 0  # forgetful: a kill between `submitting` and the POST would leave an uncertain job with no task
    rng = random.Random(o.seed)
    env = dict(os.environ, CRASH_SIM_KEY="crash-test-key-0123456789", EVOLINK_API_KEY="crash-test-key-0123456789")

    with tempfile.TemporaryDirectory() as work:
        sim, url, ca = start_simulator(o.binary, work, o.scenario, env)
        try:
            manifest, ledger = f"{work}/batch.yaml", f"{work}/batch.ledger.jsonl"
            simproc.write_manifest(manifest, crash_jobs(o.jobs),
                                   "requests_per_second: 40, burst: 10, max_in_flight: 8, max_credits: 100000",
                                   api=f"idempotency_window: {'0s' if o.scenario == 'forgetful' else '15m'}")
            run = [o.binary, "run", "--quiet", "--base-url", url, "--ca-file", ca, "--ledger", ledger, manifest]
            kills = 0
            final = None
            deadline = time.monotonic() + 5 * RUN_LIMIT_S
            while final is None:
                if time.monotonic() > deadline:
                    fail("the batch did not finish within the test's time limit")
                child = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
                if kills < o.kills:
                    try:
                        child.wait(timeout=rng.uniform(0.05, 1.5))
                    except subprocess.TimeoutExpired:
                        child.send_signal(signal.SIGKILL)
                        child.wait()
                        kills += 1
                        continue
                else:
                    try:
                        child.wait(timeout=RUN_LIMIT_S)
                    except subprocess.TimeoutExpired:
                        child.kill()
                        fail(f"a run did not end within {RUN_LIMIT_S} s")
                stderr = child.stderr.read().decode(errors="replace")
                if child.returncode == 3:
                    continue  # unfinished (e.g. tasks still running when a limit stopped it): run again
                final = (child.returncode, stderr)
            if o.scenario == "files":
                final = damage_files_and_resume(run, env, ledger, work)
            check(o, work, ledger, final, kills)
            if o.scenario == "forgetful":
                settle_by_resuming(run, env, ledger, work, o.jobs)
        finally:
            simproc.stop_simulator(sim, timeout=10)


def settle_by_resuming(run, env, ledger, work, count):
    """After the forgetful run: the next run looks each uncertain job's task up in the account's
    task list (issue 18). Without probed clip lengths, 40 creates in the same seconds cannot be
    told apart by time alone, so most stay uncertain with their candidates; whatever it adopts
    is the job's own task, and nothing is POSTed again (every cut create made a task)."""
    before = simproc.read_jsonl(f"{work}/sim.log")
    again = subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=RUN_LIMIT_S)
    if len(simproc.read_jsonl(f"{work}/sim.log")) != len(before):
        fail("settling the uncertain jobs POSTed a create again")
    video_of_task = {line["task"]: line["video"] for line in before}
    jobs = dict(crash_jobs(count))
    events = simproc.read_jsonl(ledger)
    for e in events:
        if e["ev"] == "adopted" and jobs.get(e["job"]) != video_of_task.get(e["task"]):
            fail(f"{e['job']} adopted {e['task']}, a task another job's create made")
    last = {}
    for e in events:
        if e.get("job") and e["ev"] not in ("progress", "downloaded"):
            last[e["job"]] = e
    for job, e in last.items():
        if e["ev"] == "uncertain" and not e.get("candidates"):
            fail(f"{job} stays uncertain without the candidates the task list showed")
        if e["ev"] not in ("uncertain", "completed"):
            fail(f"{job} ended {e['ev']} after settling")
    if again.returncode not in (0, 1):
        fail(f"the settling run exited {again.returncode}: {again.stderr.decode(errors='replace')[-400:]}")


def damage_files_and_resume(run, env, ledger, work):
    """After a finished batch: one result file loses a byte's worth of meaning (same size), one
    is deleted. Running again must create no task and download exactly those two again."""
    files = sorted(e["file"] for e in simproc.read_jsonl(ledger) if e["ev"] == "downloaded")
    tampered, deleted = files[0], files[1]
    with open(tampered, "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0xFF]))
    os.remove(deleted)
    tasks_before = len(simproc.read_jsonl(f"{work}/sim.log"))
    downloads_before = len([e for e in simproc.read_jsonl(ledger) if e["ev"] == "downloaded"])
    again = subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=RUN_LIMIT_S)
    if len(simproc.read_jsonl(f"{work}/sim.log")) != tasks_before:
        fail("resuming a finished batch created tasks")
    new = [e["file"] for e in simproc.read_jsonl(ledger) if e["ev"] == "downloaded"][downloads_before:]
    if sorted(new) != sorted([tampered, deleted]):
        fail(f"expected the changed and the deleted file to be downloaded again, got {new}")
    return again.returncode, again.stderr.decode(errors="replace")


def check(o, work, ledger, final, kills):
    code, stderr = final
    created = simproc.read_jsonl(f"{work}/sim.log")
    events = simproc.read_jsonl(ledger)
    by_video = {}
    for line in created:
        by_video.setdefault(line["video"], []).append(line["task"])
    job_of_video = {video: job for job, video in crash_jobs(o.jobs)}
    ledger_tasks = {e["task"] for e in events if e["ev"] == "submitted"}
    sim_tasks = {line["task"] for line in created}
    last = {}
    for e in events:
        if e.get("job") and e["ev"] not in ("progress", "downloaded"):
            last[e["job"]] = e["ev"]
    states = {job: last.get(job) for job in job_of_video.values()}

    if o.scenario in ("keys", "cut", "files"):
        if code != 0:
            fail(f"the last run exited {code}, expected 0; stderr: {stderr[-400:]}")
        twice = {v: t for v, t in by_video.items() if len(t) > 1}
        if twice:
            fail(f"jobs created twice: {twice}")
        if len(by_video) != o.jobs:
            fail(f"{len(by_video)} jobs created, expected {o.jobs}")
        not_done = [job for job, s in states.items() if s != "completed"]
        if not_done:
            fail(f"jobs not completed: {not_done}")
        if ledger_tasks != sim_tasks:
            fail(f"ledger and simulator disagree: only in ledger {ledger_tasks - sim_tasks}, "
                 f"only in simulator {sim_tasks - ledger_tasks}")
        # Every result is on disk, whole, with the hash its `downloaded` event recorded.
        downloaded = {e["job"]: e for e in events if e["ev"] == "downloaded"}  # the last one per job
        missing = sorted(set(job_of_video.values()) - set(downloaded))
        if missing:
            fail(f"results never downloaded: {missing}")
        for job, e in downloaded.items():
            try:
                with open(e["file"], "rb") as f:
                    data = f.read()
            except OSError as error:
                fail(f"{job}: {error}")
            if len(data) != SIM_FILE_BYTES or len(data) != e["bytes"]:
                fail(f"{job}: {len(data)} bytes on disk, {e['bytes']} recorded, {SIM_FILE_BYTES} served")
            if hashlib.sha256(data).hexdigest() != e["sha256"]:
                fail(f"{job}: the file's hash differs from the ledger's")
            for leftover in (".part", ".part.json"):
                if os.path.lexists(e["file"] + leftover):
                    fail(f"{job}: a {leftover} file was left beside the result")
            if os.path.islink(e["file"]):
                fail(f"{job}: the ledger vouches for a symbolic link")
    else:
        uncertain = sorted(job for job, s in states.items() if s == "uncertain")
        if code != 1 or not uncertain:
            fail(f"expected exit 1 with uncertain jobs, got {code} with {len(uncertain)}; stderr: {stderr[-400:]}")
        if "uncertain" not in stderr:
            fail("the run does not report its uncertain jobs")
        # Tasks the ledger cannot account for: made by the simulator, never recorded as submitted.
        unaccounted = sim_tasks - ledger_tasks
        unaccounted_jobs = {job_of_video[line["video"]] for line in created if line["task"] in unaccounted}
        if unaccounted_jobs != set(uncertain) or len(unaccounted) != len(uncertain):
            fail(f"{len(uncertain)} uncertain jobs but {len(unaccounted)} tasks the ledger cannot name "
                 f"(for jobs {sorted(unaccounted_jobs)}; uncertain: {uncertain})")
    print(f"crash_resume {o.scenario}: {kills} kills, {len(created)} tasks created for {o.jobs} jobs, "
          f"final exit {code}")


if __name__ == "__main__":
    main()
