#!/usr/bin/env python3
"""Fault soak: a 1,000-job batch against a separate `evobatch sim` with every fault on at once,
then the ledger reconciled with the simulator's log of the tasks it created.

Usage: fault_soak.py BIN [--jobs N] [--seed N]
Faults: 5% of API requests answered 5xx, 2% of creates cut after the task was made, 5% of
tasks failed, 200 ms before every answer, 10% of downloads cut halfway, 2% of successful
answers malformed (truncated, wrong types, missing fields, 16 MiB, stalled, short body), and 429
bursts from a simulator rate limit (15/s, burst 5) below evobatch's (40/s, burst 20). The
manifest's api.request_timeout is 5 s, so a stalled answer costs that much.
The first run is checked on its own (exit code); then the same command runs again (at most
RESUMES times) while the ledger has uncertain jobs: inside the idempotency window they are sent
again under their key and resolve to the task the simulator made, never a second one.
Checks, on the final ledger:
  - nothing created twice: no idempotency key made two tasks, and every job has at most as
    many tasks as attempts (new keys) in the ledger;
  - the ledger and the simulator know the same tasks (no task paid for and forgotten);
  - every job ended completed (its result on disk with the recorded hash), or failed with a
    reason; none is left uncertain;
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


RUN_LIMIT_S = 300  # the batch takes about two minutes on a 2-core machine
TOTAL_LIMIT_S = 540  # every run together, inside ctest's 600 s for this test
RESUMES = 3  # each resend is lost again with a few % chance only
FILE_BYTES = 4096


def fail(reason):
    print(f"fault_soak: {reason}", file=sys.stderr)
    sys.exit(1)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().split("\n") if line]


def final_events(events):
    """({job: its last event but progress/downloaded}, {job: that event's error})."""
    final, reason = {}, {}
    for e in events:
        job = e.get("job")
        if job and e["ev"] not in ("progress", "downloaded"):
            final[job] = e["ev"]
            reason[job] = e.get("error")
    return final, reason


def count_states(final, jobs):
    """{last event: how many jobs ended with it}."""
    states = {}
    for job, _ in jobs:
        states[final.get(job)] = states.get(final.get(job), 0) + 1
    return states


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
                    "--garbage-ratio", "0.02",
                    "--garbage-kinds", "truncated,wrong-types,missing-fields,huge,stalled,short-body"]
        try:
            sim, url, ca = simproc.start_simulator(o.binary, sim_args, env)
        except RuntimeError as e:
            fail(str(e))
        manifest, ledger = f"{work}/soak.yaml", f"{work}/soak.ledger.jsonl"
        jobs = soak_jobs(o.jobs)
        simproc.write_manifest(manifest, jobs,
                               "requests_per_second: 40, burst: 20, max_in_flight: 300, max_credits: 10000000",
                               api="request_timeout: 5s")
        command = [o.binary, "run", "--quiet", "--base-url", url, "--ca-file", ca, "--ledger", ledger,
                   "--output-dir", f"{work}/results", manifest]

        started = time.monotonic()

        def run_batch():
            limit = min(RUN_LIMIT_S, TOTAL_LIMIT_S - (time.monotonic() - started))
            try:
                return subprocess.run(command, capture_output=True, text=True, env=env, timeout=max(limit, 1))
            except subprocess.TimeoutExpired:
                simproc.stop_simulator(sim)
                fail(f"a run did not finish within {limit:.0f} s (all runs: {TOTAL_LIMIT_S} s at most)")

        run = run_batch()
        wall = time.monotonic() - started
        first_states = count_states(final_events(read_jsonl(ledger))[0], jobs)
        expected_exit = 0 if first_states.get("completed", 0) == o.jobs else 1
        if run.returncode != expected_exit:
            simproc.stop_simulator(sim)
            fail(f"exit {run.returncode} with {first_states}, expected {expected_exit}: {run.stderr[-800:]}")
        resumes = 0
        while resumes < RESUMES and "uncertain" in final_events(read_jsonl(ledger))[0].values():
            resumes += 1
            again = run_batch()
            if again.returncode not in (0, 1):
                simproc.stop_simulator(sim)
                fail(f"the resumed run exited {again.returncode}: {again.stderr[-800:]}")
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

        final, reason = final_events(events)
        keys_of_job = {}
        for e in events:
            if e.get("job") and e.get("key"):
                keys_of_job.setdefault(e["job"], set()).add(e["key"])
        for job, video in jobs:
            if len(tasks_of_video.get(video, [])) > len(keys_of_job.get(job, ())):
                fail(f"{job}: {len(tasks_of_video[video])} tasks for {len(keys_of_job.get(job, ()))} attempts")

        # Every task the simulator made is in the ledger: the resumed runs found the tasks of the
        # creates whose answers were lost by sending their keys again.
        ledger_tasks = {e["task"] for e in events if e["ev"] == "submitted"}
        sim_tasks = {line["task"] for line in created}
        if ledger_tasks - sim_tasks:
            fail(f"tasks in the ledger the simulator never made: {sorted(ledger_tasks - sim_tasks)[:5]}")
        job_of_video = {video: job for job, video in jobs}
        for job in {job_of_video[line["video"]] for line in created if line["task"] not in ledger_tasks}:
            trail = [(e["ev"], e.get("key", "")[-6:], e.get("error")) for e in events if e.get("job") == job]
            fail(f"the simulator made a task for {job} that the ledger does not name; {job} ended "
                 f"{final.get(job)}: {trail}")

        states = count_states(final, jobs)
        for job, _ in jobs:
            state = final.get(job)
            if state == "failed" and not (reason[job] or {}).get("code"):
                fail(f"{job} failed without a reason")
            if state not in ("completed", "failed"):
                trail = [(e["ev"], e.get("key", "")[-6:], e.get("error")) for e in events if e.get("job") == job]
                fail(f"{job} ended {state} after {resumes} resumed runs: {trail}")
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

        print(f"fault_soak: {o.jobs} jobs in {wall:.0f} s: {first_states}; after {resumes} resumed runs: {states}; "
              f"simulator: {created_n} tasks ({replays} replays), {n429} 429s, {n5xx} 5xx, {cut} creates cut, "
              f"{failed_n} tasks failed, {cut_files} downloads cut, {garbage} malformed answers; nothing created "
              f"twice, ledger == simulator")


if __name__ == "__main__":
    main()
