#!/usr/bin/env python3
"""Secrets test: the API key never leaves evobatch in anything it writes.

Usage: secret_marker.py BIN
Uses a unique marker as the API key against a separate `evobatch sim` with its faults on
(5xx answers, failed tasks, connections cut after creates, downloads cut halfway, 429s from a
rate limit below evobatch's), then runs a batch (`run --json`), `plan`, `status` (text and
JSON) and `report` (CSV, JSON, HTML), and a second batch with a wrong key (a second marker,
which the simulator echoes back in its 401 message, as careless servers do). Then it searches
everything evobatch wrote (stdout, stderr, the ledgers, the reports, the result files, every
file in the work folder but the simulator's own) for either marker: never found. While the run
holds the key, its core file size limit must be 0. Bounded: every process has a deadline.
Exits non-zero with the reason on failure.
"""
import os
import secrets
import subprocess
import sys
import tempfile
import time

import simproc

RUN_LIMIT_S = 120


def fail(reason):
    print(f"secret_marker: {reason}", file=sys.stderr)
    sys.exit(1)


def core_limit(pid):
    """The `Max core file size` soft and hard limits of a running process, as text."""
    with open(f"/proc/{pid}/limits", encoding="utf-8") as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4:6]
    return None


def main():
    binary = sys.argv[1]
    key = "sk-evobatch-marker-" + secrets.token_hex(16)
    wrong_key = "sk-evobatch-wrong-" + secrets.token_hex(16)
    outputs = []  # (what, text) of every stdout and stderr

    with tempfile.TemporaryDirectory() as work:
        sim_dir = os.path.join(work, "sim")
        os.mkdir(sim_dir)
        env = dict(os.environ, SECRET_SIM_KEY=key, EVOLINK_API_KEY=key)
        sim, url, ca = simproc.start_simulator(binary, [
            "--key-env", "SECRET_SIM_KEY", "--time-scale", "0.01", "--log", f"{sim_dir}/sim.log", "--seed", "11",
            "--error-ratio", "0.05", "--fail-ratio", "0.2", "--cut-after-create-ratio", "0.05",
            "--cut-file-ratio", "0.2", "--rps", "40", "--burst", "10"], env)
        try:
            manifest = os.path.join(work, "batch.yaml")
            simproc.write_manifest(
                manifest, [(f"clip-{i:03}", f"https://cdn.example.com/secret/clip-{i:03}.mp4") for i in range(30)],
                "requests_per_second: 60, burst: 20, max_in_flight: 10, max_credits: 100000")
            common = ["--base-url", url, "--ca-file", ca]

            run = subprocess.Popen([binary, "run", "--json", *common, "--ledger", f"{work}/batch.ledger.jsonl",
                                    "--output-dir", f"{work}/results", manifest],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
            # Once the ledger exists the key has been read: the limit must be 0 from then on.
            limit = None
            deadline = time.monotonic() + 10
            while limit is None and run.poll() is None and time.monotonic() < deadline:
                if os.path.exists(f"{work}/batch.ledger.jsonl"):
                    try:
                        limit = core_limit(run.pid)
                    except OSError:
                        pass
                time.sleep(0.01)
            try:
                stdout, stderr = run.communicate(timeout=RUN_LIMIT_S)
            except subprocess.TimeoutExpired:
                run.kill()
                fail(f"the run did not end within {RUN_LIMIT_S} s")
            if limit != ["0", "0"]:
                fail(f"while holding the key, the run's core file size limit was {limit}, not 0")
            if run.returncode not in (0, 1):  # 1: some jobs failed, as the simulator made them
                fail(f"the run exited {run.returncode}: {stderr[-2000:]}")
            if '"ev":"failed"' not in open(f"{work}/batch.ledger.jsonl", encoding="utf-8").read():
                fail("no task failed: the failure paths (error messages) were not exercised")
            outputs += [("run stdout", stdout), ("run stderr", stderr)]

            for args in (["plan", "--balance", *common], ["plan", "--balance", "--json", *common], ["status"],
                         ["status", "--json"],
                         ["report", "--format", "csv", "-o", f"{work}/report.csv"],
                         ["report", "--format", "json", "-o", f"{work}/report.json"],
                         ["report", "--format", "html", "-o", f"{work}/report.html"]):
                done = subprocess.run([binary, *args, "--ledger", f"{work}/batch.ledger.jsonl", manifest],
                                      capture_output=True, text=True, env=env, timeout=RUN_LIMIT_S)
                outputs += [(f"{args[0]} stdout", done.stdout), (f"{args[0]} stderr", done.stderr)]
                if args[0] in ("plan", "report") and done.returncode != 0:
                    fail(f"`{' '.join(args)}` exited {done.returncode}: {done.stderr}")

            # A refused key: the simulator's 401 message carries it.
            wrong_env = dict(env, EVOLINK_API_KEY=wrong_key)
            refused = subprocess.run([binary, "run", "--json", *common, "--ledger", f"{work}/refused.ledger.jsonl",
                                      "--output-dir", f"{work}/refused", manifest],
                                     capture_output=True, text=True, env=wrong_env, timeout=RUN_LIMIT_S)
            if refused.returncode != 4:
                fail(f"a refused key should stop the run with exit 4, got {refused.returncode}: {refused.stderr}")
            outputs += [("refused run stdout", refused.stdout), ("refused run stderr", refused.stderr)]
            refused = subprocess.run([binary, "plan", "--balance", "--json", *common, "--ledger",
                                      f"{work}/refused.ledger.jsonl", manifest],
                                     capture_output=True, text=True, env=wrong_env, timeout=RUN_LIMIT_S)
            if refused.returncode != 4 or "refused the key" not in refused.stdout:
                fail(f"plan --balance with a refused key should say so and exit 4, got {refused.returncode}: "
                     f"{refused.stdout} {refused.stderr}")
            outputs += [("refused plan stdout", refused.stdout), ("refused plan stderr", refused.stderr)]
        finally:
            simproc.stop_simulator(sim)

        markers = [key.encode(), wrong_key.encode(), key.split("-")[-1].encode(), wrong_key.split("-")[-1].encode()]
        searched = 0
        for what, text in outputs:
            searched += 1
            for m in markers:
                if m in text.encode():
                    fail(f"the key appears in the {what}")
        for folder, _, files in os.walk(work):
            if folder.startswith(sim_dir):
                continue  # the simulator's own log is not evobatch's output
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    data = f.read()
                searched += 1
                for m in markers:
                    if m in data:
                        fail(f"the key appears in {os.path.relpath(path, work)}")
        if searched < 15:
            fail(f"only {searched} outputs and files were searched")
        print(f"secret_marker: the key is in none of {searched} outputs and files")


if __name__ == "__main__":
    main()
