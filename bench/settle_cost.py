#!/usr/bin/env python3
"""Issue 18: the API requests a run spends settling uncertain jobs from the account's task list.

A batch of JOBS jobs runs against a separate `evobatch sim` that forgets idempotency keys and cuts
CUT of the answers after the create (the task is made, the answer lost); the manifest's window is
0, so each cut job ends uncertain. The next run reads the task list back to the earliest of them
and decides each; its `settled ... with N task list requests` line gives the cost. Run with and
without another client making a task beside each of ours (twice the tasks to page through), and
with sources of unknown length (made-up URLs, not probed) or probed (the simulator's clips of
6-20 s in turn: the list's `duration` then tells same-second tasks apart).
Prints one line per case and the requests per job settled (target: at most 1, a page of 100 tasks
covering many jobs; the cap, --max-list-pages, bounds the worst case).

Usage: bench/settle_cost.py BIN [--jobs N] [--cut R]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "cli"))
import simproc  # noqa: E402


LENGTHS = [6, 8, 10, 12, 14, 16, 18, 20]  # tests/media/catalog.txt's plain_Ns.mp4


def one_case(binary, jobs, cut, foreign, probed):
    env = dict(os.environ, BENCH_SIM_KEY="bench-settle-key-0123456789", EVOLINK_API_KEY="bench-settle-key-0123456789")
    args = ["--key-env", "BENCH_SIM_KEY", "--time-scale", "0.01", "--seed", "5", "--no-idempotency",
            "--cut-after-create-ratio", str(cut), "--rps", "1000", "--burst", "1000"]
    if foreign:
        args += ["--foreign-task-ratio", "1"]
    with tempfile.TemporaryDirectory() as work:
        sim, url, ca = simproc.start_simulator(binary, args, env)
        try:
            manifest, ledger = f"{work}/batch.yaml", f"{work}/batch.ledger.jsonl"
            # Probed: each job's source is one of the simulator's clips, lengths in turn, so the
            # list's `duration` tells same-second tasks of different lengths apart.
            sources = [f"{url}/media/plain_{LENGTHS[i % len(LENGTHS)]}s.mp4" if probed
                       else f"https://cdn.example.com/bench/{i}.mp4" for i in range(jobs)]
            simproc.write_manifest(manifest, [(f"j{i:05}", sources[i]) for i in range(jobs)],
                                   "requests_per_second: 200, burst: 50, max_in_flight: 64, max_credits: 10000000",
                                   api="idempotency_window: 0s", output="download: false", probe=probed)
            run = [binary, "run", "--quiet", "--base-url", url, "--ca-file", ca, "--ledger", ledger, manifest]
            subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=600)
            started = time.monotonic()
            second = subprocess.run(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=600)
            wall = time.monotonic() - started
        finally:
            simproc.stop_simulator(sim, timeout=10)
    text = second.stderr.decode(errors="replace")
    m = re.search(r"settled (\d+) of (\d+) uncertain jobs? \((\d+) adopted, (\d+) made no task, (\d+) still uncertain\) "
                  r"with (\d+) task list requests?", text)
    if not m:
        print(f"no settle line in the second run's output: {text[-400:]}", file=sys.stderr)
        return None
    settled, to_settle, adopted, unsent, left, requests = map(int, m.groups())
    per_job = requests / to_settle if to_settle else 0.0
    print(f"{jobs} jobs, cut {cut}, lengths {'probed' if probed else 'unknown'}, another client "
          f"{'on' if foreign else 'off'}: {to_settle} uncertain, "
          f"{settled} settled ({adopted} adopted, {unsent} unsent), {left} left with candidates; "
          f"{requests} list requests, {per_job:.3f} per uncertain job; second run {wall:.1f} s")
    return per_job


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--cut", type=float, default=0.02)
    o = parser.parse_args()
    worst = 0.0
    for probed, foreign in ((False, False), (False, True), (True, False), (True, True)):
        per_job = one_case(o.binary, o.jobs, o.cut, foreign, probed)
        if per_job is None:
            print("FAIL")
            return 1
        worst = max(worst, per_job)
    verdict = "PASS" if worst <= 1.0 else "FAIL"
    print(f"most list requests per uncertain job: {worst:.3f} (target <= 1)\n{verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
