#!/usr/bin/env python3
"""Kill -9 during a download, then a manifest edit (issue 14, "Result files"): the ledger never
vouches for a spliced file, against a separate `evobatch sim` process over real TLS on loopback.

Usage: kill_during_download.py BIN
1. `evobatch run` on a small batch with large result files is frozen (SIGSTOP) as soon as a
   `.part` holds some but not all of a result's bytes, and killed with SIGKILL while one does.
2. The prompt of every job whose part was left is changed in the manifest.
3. A run without flags: each such job is held (exit 1, `held` in the summary; `status` shows it
   changed, held, with its earlier task), nothing is sent for its new request (the simulator
   made no new task, the ledger has no create of it), and its earlier task's result is
   downloaded: `<id>.mp4` byte for byte that task's file, with the sha256 its `downloaded`
   event records.
4. A run with --rerun-changed: one new task per held job, its result in `<id>@v2.mp4` byte for
   byte the new task's file; `<id>.mp4` unchanged. Exit 0.
5. Every file any `downloaded` event names holds exactly its task's bytes (computed here from the
   task id, as the simulator makes them, never taken from evobatch); no `.part` or `.part.json`
   is left, and the folder holds exactly the expected results.

The original bug (a part named after the job and continued with Range whatever task it came
from; a changed job sent at once as a new request): the run in step 3 made a new task for the
job, continued the killed download's `<id>.mp4.part` with the new task's remaining bytes, exited
0 and recorded the spliced file's sha256 in a `downloaded` event of the new task. The first
check after that run, check_vouched_files(), catches exactly this: the file that event names is
not the new task's result ("differs from the task's result at byte 32, spliced: its first N
bytes are task <old>'s, the rest this task's"; the first 32 bytes, the MP4 box, are the same in
every simulator file). Checked: this test run with the `run` of commit 1a013e2 (before d9048c3
held changed jobs and named their new results <id>@vN) against this tree's simulator fails with
that message, N being the part's length at the kill. At a85e25a (held jobs and @vN names, parts
without a record of their task yet) it passes: in this sequence the hold and the @v2 name are
what keep the part with its own task; the record is download_safety's and the downloader
integration tests' business.

Bounded: every process has a deadline; sends traffic only to 127.0.0.1. Exits non-zero with the
reason on failure.
"""
import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import simproc
from simproc import sim_file

RUN_LIMIT_S = 60  # any one run; the batch takes a few seconds
CATCH_LIMIT_S = 40  # to catch the first run with a download half done
FILE_BYTES = 6 << 20  # large enough that a download is on disk in pieces for a while
JOBS = [f"clip-{i:02}" for i in range(6)]
NEW_PROMPT = "Turn the sky into a sunset"
KEY = "kill-during-download-key-0123456789"

_sim_files = {}


def fail(reason):
    print(f"kill_during_download: {reason}", file=sys.stderr)
    sys.exit(1)


def expected(task):
    """The simulator's result file of `task` (cached: 6 MiB take Python about half a second)."""
    if task not in _sim_files:
        _sim_files[task] = sim_file(task, FILE_BYTES)
    return _sim_files[task]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def partial_parts(out):
    """{job: bytes} of the `.part` files holding some but not all of a result."""
    parts = {}
    try:
        entries = list(os.scandir(out))
    except FileNotFoundError:
        return parts
    for entry in entries:
        if not entry.name.endswith(".mp4.part"):
            continue
        try:
            size = entry.stat(follow_symlinks=False).st_size
        except FileNotFoundError:
            continue  # renamed into place meanwhile
        if 0 < size < FILE_BYTES:
            parts[entry.name.removesuffix(".mp4.part")] = size
    return parts


def wait_stopped(pid, timeout=10):
    """Until every thread of `pid` is stopped (state T): nothing more of it reaches the disk."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for stat in glob.glob(f"/proc/{pid}/task/*/stat"):
            try:
                with open(stat, encoding="utf-8") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except (FileNotFoundError, IndexError):
                continue
        if states and all(s in ("T", "t") for s in states):
            return
        time.sleep(0.001)
    fail(f"the run did not stop within {timeout} s of SIGSTOP")


def kill_mid_download(command, env, out, said):
    """Runs `command` (its output to the file `said`) and SIGKILLs it while a result is half on
    disk; returns {job: part bytes}. The run is frozen first, and killed only if a part is still
    half done while it is frozen: a download that ends between a look and the signal is not
    mistaken for one cut off."""
    with open(said, "wb") as log:
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + CATCH_LIMIT_S
    try:
        while True:
            if child.poll() is not None:
                fail(f"the first run ended ({child.returncode}) before a download was caught half done: "
                     f"{read(said)[-1500:].decode(errors='replace')}")
            if time.monotonic() > deadline:
                fail(f"no download was caught half done within {CATCH_LIMIT_S} s")
            if partial_parts(out):
                child.send_signal(signal.SIGSTOP)
                wait_stopped(child.pid)
                parts = partial_parts(out)
                if parts:
                    child.kill()
                    child.wait(timeout=10)
                    return parts
                child.send_signal(signal.SIGCONT)
            time.sleep(0.0005)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)


def run_batch(command, env):
    """(exit code, the `summary` event of --json, all it printed)."""
    try:
        p = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_S)
    except subprocess.TimeoutExpired:
        fail(f"a run did not end within {RUN_LIMIT_S} s: {command}")
    summary = {}
    for line in p.stdout.splitlines():
        if line.startswith("{") and '"ev":"summary"' in line:
            summary = json.loads(line)
    return p.returncode, summary, (p.stdout + p.stderr)[-2000:]


def tasks_made(sim_log):
    return [e["task"] for e in simproc.read_jsonl(sim_log)]


def submitted(ledger, job):
    """The tasks of `job` in the order the ledger recorded them."""
    return [e["task"] for e in simproc.read_jsonl(ledger) if e["ev"] == "submitted" and e["job"] == job]


def task_of(events, e):
    """The task a `downloaded` event is for: its own `task`, else its request's latest task."""
    if e.get("task"):
        return e["task"]
    tasks = [s["task"] for s in events if s["ev"] == "submitted" and s["job"] == e["job"] and s["req"] == e["req"]]
    return tasks[-1] if tasks else None


def splice(events, data, want):
    """', spliced: ...' when `data` is another of the ledger's tasks' first bytes followed by the
    rest of `want`, else ''."""
    if len(data) != len(want):
        return ""
    for other in {e["task"] for e in events if e["ev"] == "submitted"}:
        theirs = expected(other)
        if theirs == want:
            continue
        cut = len(data)  # where the longest tail of `data` that is `want`'s begins
        while cut > 0 and data[max(0, cut - 65536):cut] == want[max(0, cut - 65536):cut]:
            cut = max(0, cut - 65536)
        while cut > 0 and data[cut - 1] == want[cut - 1]:
            cut -= 1
        if 0 < cut < len(data) and data[:cut] == theirs[:cut]:
            return f", spliced: its first {cut} bytes are task {other}'s, the rest this task's"
    return ""


def check_vouched_files(ledger, when):
    """Every file a `downloaded` event names is exactly its task's result, with the event's hash
    and size. Returns {file: (task, sha256)} of the latest event per file."""
    events = simproc.read_jsonl(ledger)
    vouched = {}
    for e in events:
        if e["ev"] != "downloaded":
            continue
        task = task_of(events, e)
        if task is None:
            fail(f"{when}: a `downloaded` event of {e['job']} names no task: {e}")
        path = e["file"]
        if os.path.islink(path) or not os.path.isfile(path):
            fail(f"{when}: the ledger vouches for {path}, which is not a regular file")
        data, want = read(path), expected(task)
        if data != want:
            at = next((i for i, (a, b) in enumerate(zip(data, want)) if a != b), min(len(data), len(want)))
            fail(f"{when}: the ledger vouches for {path} ({len(data)} bytes) as task {task}'s result, but it "
                 f"differs from the task's result at byte {at}{splice(events, data, want)}")
        if e["sha256"] != sha256(want) or e["bytes"] != len(want):
            fail(f"{when}: the `downloaded` event of {path} records {e['sha256']} ({e['bytes']} bytes), "
                 f"not the file's hash")
        vouched[path] = (task, e["sha256"])
    return vouched


def leftover_parts(out):
    return sorted(name for name in os.listdir(out) if name.endswith((".part", ".part.json")))


def main():
    binary = sys.argv[1]
    env = dict(os.environ, EVOLINK_API_KEY=KEY)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        out, ledger, manifest = f"{work}/out", f"{work}/batch.ledger.jsonl", f"{work}/batch.yaml"
        sim_log = f"{work}/sim.log"
        jobs = [(job, f"https://cdn.example.com/kill/{job}.mp4") for job in JOBS]
        limits = "requests_per_second: 40, burst: 10, max_in_flight: 8, max_credits: 100000"
        output = f"ledger: {ledger}, dir: {out}"
        simproc.write_manifest(manifest, jobs, limits, output=output)
        sim_args = ["--time-scale", "0.01", "--file-bytes", str(FILE_BYTES), "--seed", "14", "--log", sim_log,
                    "--state", f"{work}/sim.jsonl", "--cert-dir", f"{work}/ca"]
        try:
            sim, url, ca = simproc.start_simulator(binary, sim_args, env)
        except RuntimeError as e:
            fail(str(e))
        try:
            command = [binary, "run", manifest, "--base-url", url, "--ca-file", ca, "--json"]

            # 1. Killed with a result half on disk.
            parts = kill_mid_download(command, env, out, f"{work}/first-run.txt")
            victims = sorted(parts)
            v1 = {}
            for job in victims:
                tasks = submitted(ledger, job)
                if len(tasks) != 1:
                    fail(f"{job}: the killed run's ledger has tasks {tasks}, not one")
                v1[job] = tasks[0]
            made = tasks_made(sim_log)
            if sorted(made) != sorted(t for job, _ in jobs for t in submitted(ledger, job)):
                fail(f"the simulator made tasks {made}; the killed run's ledger does not name exactly those")
            print(f"kill_during_download: killed with {parts} bytes of {FILE_BYTES} on disk "
                  f"({time.monotonic() - started:.1f} s)")

            # 2. Their prompts changed.
            simproc.write_manifest(manifest, jobs, limits, output=output, prompts={job: NEW_PROMPT for job in victims})

            # 3. Held: the earlier task's result downloaded, nothing sent for the new request.
            code, summary, said = run_batch(command, env)
            check_vouched_files(ledger, "after the run that holds them")
            if len(tasks_made(sim_log)) != len(made):
                fail(f"the run without --rerun-changed made {len(tasks_made(sim_log)) - len(made)} new tasks: {said}")
            for job in victims:
                if submitted(ledger, job) != [v1[job]]:
                    fail(f"{job}: the ledger has tasks {submitted(ledger, job)} after the run that holds it")
                reqs = {e["req"] for e in simproc.read_jsonl(ledger) if e["ev"] == "submitting" and e["job"] == job}
                if len(reqs) != 1:
                    fail(f"{job}: creates of {len(reqs)} requests in the ledger; the changed one must wait")
            if code != 1 or summary.get("held") != len(victims):
                fail(f"the run with held jobs exited {code} with held={summary.get('held')}, not 1 with "
                     f"held={len(victims)}: {said}")
            try:
                status = subprocess.run([binary, "status", manifest, "--json"], env=env, capture_output=True,
                                        text=True, timeout=RUN_LIMIT_S)
            except subprocess.TimeoutExpired:
                fail(f"status did not end within {RUN_LIMIT_S} s")
            rows = {row["id"]: row for row in json.loads(status.stdout)["jobs"]}
            for job in victims:
                row = rows.get(job, {})
                if (row.get("state"), row.get("next_run"), row.get("task")) != ("changed", "hold", v1[job]):
                    fail(f"{job}: status does not show it held with its earlier task {v1[job]}: {row}")
            events = simproc.read_jsonl(ledger)
            v1_sha = {}
            for job in victims:
                path = f"{out}/{job}.mp4"
                if not os.path.isfile(path) or read(path) != expected(v1[job]):
                    fail(f"{job}: {path} is not its earlier task {v1[job]}'s result")
                got = [e for e in events if e["ev"] == "downloaded" and e["file"] == path]
                if not got or task_of(events, got[-1]) != v1[job] or got[-1]["sha256"] != sha256(expected(v1[job])):
                    fail(f"{job}: no `downloaded` event of {path} with task {v1[job]}'s hash: {got}")
                v1_sha[job] = got[-1]["sha256"]
                if os.path.exists(f"{out}/{job}@v2.mp4"):
                    fail(f"{job}: a new request's result exists before --rerun-changed")

            # 4. The new requests, paid for when asked, beside the earlier results.
            code, summary, said = run_batch(command + ["--rerun-changed"], env)
            check_vouched_files(ledger, "after --rerun-changed")
            if code != 0:
                fail(f"the run with --rerun-changed exited {code}: {said}")
            if len(tasks_made(sim_log)) != len(made) + len(victims):
                fail(f"--rerun-changed made {len(tasks_made(sim_log)) - len(made)} tasks for {len(victims)} "
                     f"changed jobs")
            events = simproc.read_jsonl(ledger)
            for job in victims:
                tasks = submitted(ledger, job)
                if len(tasks) != 2 or tasks[0] != v1[job]:
                    fail(f"{job}: tasks {tasks} after --rerun-changed, not {v1[job]} and one new one")
                path = f"{out}/{job}@v2.mp4"
                if not os.path.isfile(path) or read(path) != expected(tasks[1]):
                    fail(f"{job}: {path} is not the new task {tasks[1]}'s result")
                got = [e for e in events if e["ev"] == "downloaded" and e["file"] == path]
                if not got or task_of(events, got[-1]) != tasks[1]:
                    fail(f"{job}: no `downloaded` event of {path} for task {tasks[1]}")
                if sha256(read(f"{out}/{job}.mp4")) != v1_sha[job]:
                    fail(f"{job}: the earlier result {job}.mp4 changed when the new one was downloaded")

            # 5. Every vouched file its task's own; nothing half done left.
            vouched = check_vouched_files(ledger, "at the end")
            want = {f"{job}.mp4" for job, _ in jobs} | {f"{job}@v2.mp4" for job in victims}
            if sorted(os.path.basename(f) for f in vouched) != sorted(want):
                fail(f"the ledger vouches for {sorted(vouched)}, expected {sorted(want)}")
            if leftover_parts(out):
                fail(f"parts left beside the results: {leftover_parts(out)}")
            if sorted(os.listdir(out)) != sorted(want):
                fail(f"the output folder holds {sorted(os.listdir(out))}, expected {sorted(want)}")
        finally:
            simproc.stop_simulator(sim)
        print(f"kill_during_download: {len(jobs)} jobs, killed with {len(victims)} result(s) half downloaded, "
              f"edited: held, earlier results and @v2 results each their task's own "
              f"({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
