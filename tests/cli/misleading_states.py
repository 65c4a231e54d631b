#!/usr/bin/env python3
"""Black-box: states that used to hide paid work or lose events (issue 14), with `run --simulate`
(the in-process simulator keeps its tasks beside the ledger, so a run can resume).

- The ledger deleted while a run writes it: the run notices, stops submitting, saves the
  events beside the path and says so; the Next: line, pasted as printed, puts them back and
  resumes without paying twice.
- A job removed from the manifest while its paid task runs: `plan`, `status` and `report` list
  it, and the next run polls that task to its end and downloads its result.

Usage: misleading_states.py path/to/evobatch
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

from simproc import Checks, read_jsonl, wait_for_submitted, write_manifest

RUN_TIMEOUT = 120


def run(args, cwd):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def tasks_in_state(ledger):
    """Tasks the in-process simulator made (its state file beside the ledger)."""
    return sum(1 for e in read_jsonl(ledger + ".sim.jsonl") if e.get("ev") == "task")


def start_and_wait(binary, manifest, work, submitted):
    """Starts `run --simulate` and waits for `submitted` tasks; returns the child."""
    child = subprocess.Popen([binary, "run", "--simulate", "--time-scale", "0.05", manifest], cwd=work,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ledger = os.path.join(work, os.path.splitext(os.path.basename(manifest))[0] + ".ledger.jsonl")
    if not wait_for_submitted(child, ledger, submitted, timeout=60):
        child.kill()
        child.communicate()
        raise RuntimeError(f"the run did not submit {submitted} tasks within 60 s")
    return child, ledger


def ledger_deleted_mid_run(check, binary, work):
    jobs = [(f"d-{i:02}", f"https://cdn.example.com/d/d-{i:02}.mp4") for i in range(30)]
    manifest = os.path.join(work, "deleted.yaml")
    write_manifest(manifest, jobs, "requests_per_second: 10, burst: 5, max_in_flight: 10")
    child, ledger = start_and_wait(binary, manifest, work, 5)
    os.remove(ledger)
    _, err = child.communicate(timeout=RUN_TIMEOUT)
    check("deleted: the run stops, resumable (exit 3)", child.returncode == 3, err[-1500:])
    check("deleted: it says the ledger was deleted and where the events are",
          "deleted, renamed or replaced" in err and ".rescued-" in err, err[-1500:])
    steps = [line for line in err.splitlines() if line.startswith("Next: ")]
    commands = re.findall(r"`([^`]+)`", steps[0]) if steps else []
    check("deleted: the only Next line moves the events back, then resumes",
          len(steps) == 1 and len(commands) == 2 and commands[0].startswith("mv "), "\n".join(steps))
    for command in commands:
        code, _, out_err = run(["bash", "-c", command], work)
        check(f"deleted: `{command}` works as printed", code == 0, out_err[-1500:])
    made = tasks_in_state(ledger)
    completed = {e["job"] for e in read_jsonl(ledger) if e.get("ev") == "completed"}
    check("deleted: after the resume every job completed, each paid for once",
          len(completed) == 30 and made == 30, f"{len(completed)} completed, {made} tasks made")


def removed_job_is_still_finished(check, binary, work):
    jobs = [(f"r-{i:02}", f"https://cdn.example.com/r/r-{i:02}.mp4") for i in range(6)]
    manifest = os.path.join(work, "removed.yaml")
    limits = "requests_per_second: 10, burst: 6, max_in_flight: 6"
    write_manifest(manifest, jobs, limits)
    child, ledger = start_and_wait(binary, manifest, work, 6)
    child.send_signal(signal.SIGINT)
    child.communicate(timeout=RUN_TIMEOUT)
    write_manifest(manifest, jobs[:4], limits)  # r-04 and r-05 removed while their tasks run
    code, out, _ = run([binary, "plan", manifest, "--json"], work)
    actions = json.loads(out)["actions"] if code == 0 else {}
    check("removed: plan lists the removed jobs and their running tasks",
          actions.get("removed_from_manifest") == 2 and actions.get("removed_running") == 2, out[:600])
    code, out, err = run([binary, "status", manifest], work)
    check("removed: status lists them after the manifest's jobs",
          code == 0 and len(re.findall(r"^r-0[45] +removed", out, re.M)) == 2, out + err)
    code, out, err = run([binary, "run", "--simulate", "--time-scale", "0.05", manifest], work)
    check("removed: the next run finishes (0) and says what it does for them",
          code == 0 and "2 jobs the manifest no longer has: 2 paid tasks still running" in err, err[-1500:])
    results = os.path.join(work, "out", "removed")
    check("removed: their results are downloaded all the same",
          all(os.path.exists(os.path.join(results, f"r-0{i}.mp4")) for i in range(6)),
          str(sorted(os.listdir(results)) if os.path.isdir(results) else "no folder"))
    check("removed: nothing was sent for them", tasks_in_state(ledger) == 6, str(tasks_in_state(ledger)))
    code, out, _ = run([binary, "report", manifest, "--format", "json"], work)
    rows = json.loads(out)["jobs"] if code == 0 else []
    check("removed: the report lists them as removed",
          sorted(r["id"] for r in rows if r["state"] == "removed") == ["r-04", "r-05"], out[:600])


def main():
    binary = os.path.abspath(sys.argv[1])
    check = Checks()
    with tempfile.TemporaryDirectory() as work:
        for scenario in (ledger_deleted_mid_run, removed_job_is_still_finished):
            try:
                scenario(check, binary, work)
            except (KeyError, TypeError, ValueError, IndexError, RuntimeError, subprocess.TimeoutExpired) as e:
                check(f"{scenario.__name__} ran to its end", False, f"{type(e).__name__}: {e}")
    print(f"{check.passes} passed, {check.failures} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
