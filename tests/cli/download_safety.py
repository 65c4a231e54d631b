#!/usr/bin/env python3
"""Download safety test (issue 14, "Result files"): the ledger never vouches for a result file
that is not exactly the task's result, against a separate `evobatch sim` over real TLS.

Usage: download_safety.py BIN
1. The media host lies (`sim --file-lies flipped-bit`: one bit flipped, a digest header of the
   true bytes): the tasks complete, no result is kept, no `downloaded` event is written, and
   the run says why. A symbolic link planted where one result goes and another where a part
   goes are refused by name, and the files they point at stay as they were.
2. The same simulator restarted honest (its state file, its port, its CA): the next run
   downloads the other results, each byte for byte the simulator's (computed here from the task
   id, not taken from evobatch), with the hash its `downloaded` event records; the planted
   links are still refused.
3. The links removed: the last run downloads those two results as well, and exits 0.
Bounded: every process has a deadline. Exits non-zero with the reason on failure.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import simproc
from simproc import sim_file

RUN_LIMIT_S = 60
FILE_BYTES = 64 * 1024


def fail(reason):
    print(f"download_safety: {reason}", file=sys.stderr)
    sys.exit(1)


def run_batch(command, env):
    try:
        p = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_S)
    except subprocess.TimeoutExpired:
        fail(f"a run did not end within {RUN_LIMIT_S} s")
    return p.returncode, p.stdout + p.stderr


def downloaded(ledger):
    """job -> its last `downloaded` event."""
    return {e["job"]: e for e in simproc.read_jsonl(ledger) if e["ev"] == "downloaded"}


def tasks(ledger):
    return {e["job"]: e["task"] for e in simproc.read_jsonl(ledger) if e["ev"] == "submitted"}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def check_files(ledger, jobs):
    """Every `downloaded` event of `jobs` names a regular file holding exactly the task's bytes."""
    events, task_of = downloaded(ledger), tasks(ledger)
    for job in jobs:
        e = events.get(job)
        if e is None:
            fail(f"{job}: never downloaded")
        if os.path.islink(e["file"]) or not os.path.isfile(e["file"]):
            fail(f"{job}: the ledger vouches for {e['file']}, which is not a regular file")
        data = read(e["file"])
        if data != sim_file(task_of[job], FILE_BYTES):
            fail(f"{job}: {e['file']} is not the task's result")
        if hashlib.sha256(data).hexdigest() != e["sha256"] or len(data) != e["bytes"]:
            fail(f"{job}: the file differs from its `downloaded` event")


def main():
    binary = sys.argv[1]
    env = dict(os.environ, EVOLINK_API_KEY="download-safety-key-0123456789")
    with tempfile.TemporaryDirectory() as work:
        out, ledger, manifest = f"{work}/out", f"{work}/batch.ledger.jsonl", f"{work}/batch.yaml"
        jobs = [f"clip-{i:02}" for i in range(5)]
        simproc.write_manifest(manifest, [(job, f"https://cdn.example.com/safe/{job}.mp4") for job in jobs],
                               "requests_per_second: 40, burst: 10, max_in_flight: 8, max_credits: 100000",
                               output=f"ledger: {ledger}, dir: {out}")
        sim_args = ["--time-scale", "0.01", "--file-bytes", str(FILE_BYTES), "--state", f"{work}/sim.jsonl",
                    "--cert-dir", f"{work}/ca"]
        os.makedirs(out)
        victims = {}
        for name in ("clip-00.mp4", "clip-01.mp4.part"):
            victim = f"{work}/elsewhere-{name}.txt"
            with open(victim, "w", encoding="utf-8") as f:
                f.write("precious")
            os.symlink(victim, f"{out}/{name}")
            victims[victim] = f"{out}/{name}"

        def victims_untouched(when):
            for victim in victims:
                if read(victim) != b"precious":
                    fail(f"{when}: {victim} was written through a planted link")

        sim, url, ca = simproc.start_simulator(binary, sim_args + ["--file-lies", "flipped-bit"], env)
        try:
            command = [binary, "run", manifest, "--base-url", url, "--ca-file", ca]
            _, said = run_batch(command, env)
        finally:
            simproc.stop_simulator(sim)
        if len(tasks(ledger)) != len(jobs):
            fail(f"the lying host's run submitted {len(tasks(ledger))} of {len(jobs)} jobs: {said[-1500:]}")
        if downloaded(ledger):
            fail(f"results of a lying host were recorded: {sorted(downloaded(ledger))}")
        if "SHA-256" not in said:
            fail(f"the run does not say why the results were refused: {said[-1500:]}")
        for link in victims.values():
            if link not in said:
                fail(f"the run does not name the planted link {link}: {said[-1500:]}")
        if any(name.endswith(".mp4") and not os.path.islink(f"{out}/{name}") for name in os.listdir(out)):
            fail(f"a result of the lying host was kept: {sorted(os.listdir(out))}")
        victims_untouched("the lying host's run")

        sim, url2, ca = simproc.start_simulator(binary, sim_args, env)
        try:
            if url2 != url:
                fail(f"the restarted simulator listens on {url2}, not {url}: its result links would be stale")
            run_batch(command, env)
            check_files(ledger, jobs[2:])
            if "clip-00" in downloaded(ledger) or "clip-01" in downloaded(ledger):
                fail("a result behind a planted link was recorded")
            victims_untouched("the honest host's run")
            for link in victims.values():
                os.remove(link)
            code, said = run_batch(command, env)
            if code != 0:
                fail(f"the last run exited {code}: {said[-1500:]}")
            check_files(ledger, jobs)
            leftovers = [name for name in os.listdir(out) if name.endswith((".part", ".part.json"))]
            if leftovers:
                fail(f"parts left beside the results: {leftovers}")
        finally:
            simproc.stop_simulator(sim)
        print(f"download_safety: {len(jobs)} jobs, a lying host refused, planted links refused, "
              f"every result the task's own")


if __name__ == "__main__":
    main()
