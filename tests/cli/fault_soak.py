#!/usr/bin/env python3
"""Fault soak: a 1,000-job batch against a separate `evobatch sim` with every fault on at once,
then the ledger reconciled with the simulator's log of the tasks it created.

Usage: fault_soak.py BIN [--jobs N] [--seed N]
Faults: 5% of API requests answered 5xx, 2% of creates cut after the task was made, 5% of
tasks failed, 200 ms before every answer, 10% of downloads cut halfway, 2% of successful
answers malformed (truncated, wrong types, missing fields, 16 MiB, short body), and 429 bursts from a
simulator rate limit (15/s, burst 5) below evobatch's (40/s, burst 20).
Checks:
  - nothing created twice: no idempotency key made two tasks, and every job has at most as
    many tasks as attempts (new keys) in the ledger;
  - the ledger and the simulator know the same tasks (no task paid for and forgotten), but for
    jobs the ledger itself calls uncertain (one unnamed task each at most);
  - every job ended completed (its result on disk with the recorded hash), or failed with a
    reason, or uncertain; exit code 0 when all completed, else 1;
  - the faults really happened (the simulator's counts of 429s, 5xx, cut creates and
    downloads, failed tasks) and no download carried the API key.
Bounded: the run has a deadline (RUN_LIMIT_S) and the test stops by itself.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import simproc


RUN_LIMIT_S = 300  # the batch takes about a minute on a 2-core machine
FILE_BYTES = 4096


def fail(reason):
    print(f"fault_soak: {reason}", file=sys.stderr)
    sys.exit(1)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().split("\n") if line]


def soak_jobs(n):
    return [(f"clip-{i:04}", f"https://cdn.example.com/soak/clip-{i:04}.mp4") for i in range(n)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    o = parser.parse_args()
    env = dict(os.environ, SOAK_KEY="soak-test-key-0123456789", EVOLINK_API_KEY="soak-test-key-0123456789")

    with tempfile.TemporaryDirectory() as work:
        sim_args = ["--key-env", "SOAK_KEY", "--time-scale", "0.01", "--log", f"{work}/sim.log",
                    "--seed", str(o.seed), "--error-ratio", "0.05", "--cut-after-create-ratio", "0.02",
                    "--fail-ratio", "0.05", "--latency-ms", "200", "--rps", "15", "--burst", "5",
                    "--cut-file-ratio", "0.1", "--file-bytes", str(FILE_BYTES),
                    # Stalled answers are left to the integration tests: each costs the client's
                    # 60 s request timeout.
                    "--garbage-ratio", "0.02",
                    "--garbage-kinds", "truncated,wrong-types,missing-fields,huge,short-body"]
        try:
            sim, url, ca = simproc.start_simulator(o.binary, sim_args, env)
        except RuntimeError as e:
            fail(str(e))
        manifest, ledger = f"{work}/soak.yaml", f"{work}/soak.ledger.jsonl"
        jobs = soak_jobs(o.jobs)
        simproc.write_manifest(manifest, jobs,
                               "requests_per_second: 40, burst: 20, max_in_flight: 300, max_credits: 10000000")
        started = time.monotonic()
        try:
            run = subprocess.run([o.binary, "run", "--quiet", "--base-url", url, "--ca-file", ca, "--ledger", ledger,
                                  "--output-dir", f"{work}/results", manifest],
                                 capture_output=True, text=True, env=env, timeout=RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            simproc.stop_simulator(sim)
            fail(f"the batch did not finish within {RUN_LIMIT_S} s")
        wall = time.monotonic() - started
        closing = simproc.stop_simulator(sim)

        counts = re.search(r"(\d+) tasks created \((\d+) replays\), (\d+) 429s, (\d+) 5xx, (\d+) connections cut "
                           r"after a create, (\d+) tasks failed, (\d+) downloads cut, (\d+) malformed answers, "
                           r"(\d+) file requests with a key",
                           closing)
        if not counts:
            fail(f"no closing counts from the simulator: {closing[-500:]}")
        created_n, replays, n429, n5xx, cut, failed_n, cut_files, garbage, keyed = map(int, counts.groups())
        for name, n in (("429 answers", n429), ("5xx answers", n5xx), ("creates cut", cut),
                        ("failed tasks", failed_n), ("downloads cut", cut_files), ("malformed answers", garbage)):
            if n == 0:
                fail(f"no {name}: the fault was not exercised; the simulator said: {closing.strip()[-600:]}")
        if keyed:
            fail(f"{keyed} file downloads carried the API key")

        created = read_jsonl(f"{work}/sim.log")
        events = read_jsonl(ledger)
        by_key = {}
        tasks_of_video = {}
        for line in created:
            by_key.setdefault(line["key"], []).append(line["task"])
            tasks_of_video.setdefault(line["video"], []).append(line["task"])
        twice = {k: t for k, t in by_key.items() if len(t) > 1}
        if twice:
            fail(f"idempotency keys that made two tasks: {twice}")

        keys_of_job, final, reason = {}, {}, {}
        for e in events:
            job = e.get("job")
            if not job:
                continue
            if e.get("key"):
                keys_of_job.setdefault(job, set()).add(e["key"])
            if e["ev"] not in ("progress", "downloaded"):
                final[job] = e["ev"]
                reason[job] = e.get("error")
        for job, video in jobs:
            if len(tasks_of_video.get(video, [])) > len(keys_of_job.get(job, ())):
                fail(f"{job}: {len(tasks_of_video[video])} tasks for {len(keys_of_job.get(job, ()))} attempts")

        # Every task the simulator made is in the ledger, but for jobs the ledger calls uncertain:
        # their create's answer was lost and the job was not resent, so the ledger cannot name
        # the task, and says so (at most one such task per uncertain job).
        ledger_tasks = {e["task"] for e in events if e["ev"] == "submitted"}
        sim_tasks = {line["task"] for line in created}
        if ledger_tasks - sim_tasks:
            fail(f"tasks in the ledger the simulator never made: {sorted(ledger_tasks - sim_tasks)[:5]}")
        job_of_video = {video: job for job, video in jobs}
        unnamed = [job_of_video[line["video"]] for line in created if line["task"] not in ledger_tasks]
        for job in unnamed:
            if final.get(job) != "uncertain" or unnamed.count(job) > 1:
                trail = [(e["ev"], e.get("key", "")[-6:], e.get("error")) for e in events if e.get("job") == job]
                fail(f"the simulator made a task for {job} that the ledger does not name, and {job} ended "
                     f"{final.get(job)}: {trail}")

        states = {}
        for job, _ in jobs:
            state = final.get(job)
            states[state] = states.get(state, 0) + 1
            if state == "failed" and not (reason[job] or {}).get("code"):
                fail(f"{job} failed without a reason")
            if state not in ("completed", "failed", "uncertain"):
                fail(f"{job} ended {state}")
        downloaded = {e["job"]: e for e in events if e["ev"] == "downloaded"}
        for job, state in final.items():
            if state != "completed":
                continue
            e = downloaded.get(job)
            if e is None:
                fail(f"{job} completed but its result was never downloaded")
            with open(e["file"], "rb") as f:
                data = f.read()
            if len(data) != FILE_BYTES or hashlib.sha256(data).hexdigest() != e["sha256"]:
                fail(f"{job}: the result on disk is not what the ledger recorded")
        expected_exit = 0 if states.get("completed", 0) == o.jobs else 1
        if run.returncode != expected_exit:
            fail(f"exit {run.returncode} with {states}, expected {expected_exit}: {run.stderr[-800:]}")

        print(f"fault_soak: {o.jobs} jobs in {wall:.0f} s: {states}; simulator: {created_n} tasks "
              f"({replays} replays of cut creates), {n429} 429s, {n5xx} 5xx, {cut} creates cut, "
              f"{failed_n} tasks failed, {cut_files} downloads cut, {garbage} malformed answers; nothing created twice, "
              f"ledger == simulator but for {len(unnamed)} uncertain jobs")


if __name__ == "__main__":
    main()
