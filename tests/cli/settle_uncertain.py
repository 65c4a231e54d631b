#!/usr/bin/env python3
"""Black-box test of settling uncertain jobs from the account's task list (issue 18), against a
separate `evobatch sim` process over real TLS on loopback. The simulator forgets idempotency
keys (--no-idempotency), cuts connections after creates (the task is made, the answer lost) and
answers some creates 503 (no task made); the manifest's idempotency window is 0, so no key is
trusted and every lost answer ends a job uncertain. Each later run settles them before it sends
anything: it adopts the task a cut create made and sends a new attempt for a create that made
none.

Usage: settle_uncertain.py BIN SCENARIO [--seed N]
  SCENARIO forgetful: `status --reconcile` settles what the first run left uncertain; then runs
                      until the batch is done: every job completes, the simulator never
                      holds two tasks for one job, and the ledger names every task it made. The
                      simulator's clock is 2 minutes behind ours (--clock-skew -120), so the
                      spans only cover the right seconds when the Date header's skew is applied.
  SCENARIO foreign:   another client of the account makes tasks in the same seconds
                      (--foreign-task-ratio 0.5): each job ends completed, or uncertain with its
                      candidate tasks listed by `status`; never two tasks for one job; a person's
                      `run --adopt JOB=TASK` with the right task then finishes that job.
  SCENARIO no-list:   the task list answers 404: uncertain jobs stay uncertain, nothing is sent
                      again for them, and the run says why.
Bounded: at most MAX_RUNS runs, each capped in time. Exits non-zero with the reason on failure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import simproc

RUN_LIMIT_S = 60
MAX_RUNS = 8


def fail(reason):
    print(f"settle_uncertain: {reason}", file=sys.stderr)
    sys.exit(1)


LENGTHS = [6, 8, 10, 12, 14, 16, 18, 20]  # tests/media/catalog.txt's plain_Ns.mp4


def jobs_of(url):
    """One job per clip length: the run probes each source (the simulator's own media host), and
    the task list shows each task's clip length, which tells the tasks of one second apart."""
    return [(f"clip-{n:02}s", f"{url}/media/plain_{n}s.mp4") for n in LENGTHS]


def last_events(ledger):
    """Each job's last lifecycle event (not progress or downloaded)."""
    last = {}
    for e in simproc.read_jsonl(ledger):
        if e.get("job") and e["ev"] not in ("progress", "downloaded", "probed"):
            last[e["job"]] = e
    return last


def run_once(command, env):
    child = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=RUN_LIMIT_S)
    return child.returncode, child.stdout.decode(errors="replace"), child.stderr.decode(errors="replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("scenario", choices=["forgetful", "foreign", "no-list"])
    parser.add_argument("--seed", type=int, default=11)
    o = parser.parse_args()
    env = dict(os.environ, SETTLE_SIM_KEY="settle-test-key-0123456789", EVOLINK_API_KEY="settle-test-key-0123456789")
    args = ["--key-env", "SETTLE_SIM_KEY", "--time-scale", "0.01", "--seed", str(o.seed), "--no-idempotency",
            "--cut-after-create-ratio", "0.3", "--error-ratio", "0.2"]
    with tempfile.TemporaryDirectory() as work:
        args += ["--log", f"{work}/sim.log"]
        if o.scenario == "forgetful":
            args += ["--clock-skew", "-120"]
        if o.scenario == "foreign":
            args += ["--foreign-task-ratio", "0.5"]
        if o.scenario == "no-list":
            args += ["--no-task-list"]
        try:
            sim, url, ca = simproc.start_simulator(o.binary, args, env)
        except RuntimeError as e:
            fail(str(e))
        try:
            check(o, work, url, ca, env)
        finally:
            simproc.stop_simulator(sim, timeout=10)


def check(o, work, url, ca, env):
    manifest, ledger = f"{work}/batch.yaml", f"{work}/batch.ledger.jsonl"
    jobs = jobs_of(url)
    job_of_video = {video: job for job, video in jobs}
    simproc.write_manifest(manifest, jobs, "requests_per_second: 40, burst: 10, max_in_flight: 8, max_credits: 100000",
                           api=f"idempotency_window: 0s, base_url: '{url}', ca_file: '{ca}'", output="download: false",
                           probe=True)
    run = [o.binary, "run", "--quiet", "--base-url", url, "--ca-file", ca, "--ledger", ledger, manifest]
    status = [o.binary, "status", "--ledger", ledger, manifest]

    code, _, stderr = run_once(run, env)
    first = last_events(ledger)
    uncertain_first = sorted(j for j, e in first.items() if e["ev"] == "uncertain")
    if code != 1 or not uncertain_first:
        fail(f"the first run should end with uncertain jobs (exit 1), got exit {code} with "
             f"{len(uncertain_first)}: {stderr[-400:]}")

    if o.scenario == "forgetful":
        # `status --reconcile` settles them without a run (the manifest names the simulator).
        status_code, out, err = run_once(status + ["--reconcile"], env)
        settled_now = {e["job"] for e in simproc.read_jsonl(ledger) if e["ev"] in ("adopted", "unsent")}
        if status_code != 0 or not set(uncertain_first) <= settled_now:
            fail(f"status --reconcile did not settle {uncertain_first} (exit {status_code}): {err[-600:]}")
        if "uncertain" in out.split("\n")[0]:
            fail(f"status still counts uncertain jobs after settling them: {out[:300]}")
    runs, outputs = 1, [stderr]
    while code != 0 and runs < MAX_RUNS:
        before = last_events(ledger)
        code, _, stderr = run_once(run, env)
        runs += 1
        outputs.append(stderr)
        if o.scenario != "forgetful" and code == 1 and last_events(ledger).keys() == before.keys() and \
                all(last_events(ledger)[j]["ev"] == before[j]["ev"] for j in before):
            break  # nothing moved: what is left stays for a person

    created = simproc.read_jsonl(f"{work}/sim.log")
    by_video = {}
    for line in created:
        by_video.setdefault(line["video"], []).append(line["task"])
    twice = {v: t for v, t in by_video.items() if len(t) > 1}
    if twice:
        fail(f"the simulator holds two tasks for one job: {twice}")
    events = simproc.read_jsonl(ledger)
    adopted = [e for e in events if e["ev"] == "adopted"]
    settled_unsent = [e for e in events if e["ev"] == "unsent" and e.get("verdict") == "listed"]
    last = last_events(ledger)
    for e in adopted + settled_unsent:
        for field in ("pages", "span_from", "span_to"):
            if field not in e:
                fail(f"{e['job']}: its {e['ev']} event carries no {field}: {json.dumps(e)}")

    # Whatever was adopted, in any scenario, is the job's own task (another client's never).
    video_of_task = {line["task"]: line["video"] for line in created}
    for e in adopted:
        if job_of_video.get(video_of_task.get(e["task"])) != e["job"]:
            fail(f"{e['job']} adopted {e['task']}, not a task its own create made")

    if o.scenario == "forgetful":
        if code != 0:
            fail(f"the batch did not finish in {runs} runs (exit {code}): {outputs[1][:3000]}")
        not_done = sorted(j for j, e in last.items() if e["ev"] != "completed")
        if not_done:
            fail(f"jobs not completed: {not_done}")
        ledger_tasks = {e["task"] for e in events if e["ev"] in ("submitted", "adopted")}
        sim_tasks = {line["task"] for line in created}
        if ledger_tasks != sim_tasks:
            fail(f"ledger and simulator disagree: only in ledger {ledger_tasks - sim_tasks}, "
                 f"only in simulator {sim_tasks - ledger_tasks}")
        # Each job the first run left uncertain was settled from the list, one way or the other
        # (which way depends on the draws: a cut create made its task, a 503 made none).
        settled = {e["job"] for e in adopted + settled_unsent}
        if not set(uncertain_first) <= settled:
            fail(f"uncertain jobs never settled from the list: {sorted(set(uncertain_first) - settled)}")
        for e in settled_unsent:
            if any(job_of_video[l["video"]] == e["job"] and l["task"] not in
                   {x["task"] for x in events if x["ev"] in ("submitted", "adopted") and x["job"] == e["job"]}
                   for l in created):
                fail(f"{e['job']} was called unsent, but the simulator holds a task of its that it never adopted")
        print(f"settle_uncertain forgetful: {runs} runs, {len(created)} tasks for {len(LENGTHS)} jobs, "
              f"{len(adopted)} adopted, {len(settled_unsent)} found unsent; first run left {len(uncertain_first)} "
              f"uncertain")
        return

    if o.scenario == "no-list":
        if code != 1:
            fail(f"expected exit 1 with uncertain jobs left, got {code}")
        if adopted or settled_unsent:
            fail("jobs were settled without a task list")
        if "offers no task list" not in outputs[1]:
            fail(f"the second run does not say the task list is missing: {outputs[1][-400:]}")
        made = {job_of_video[l["video"]] for l in created}
        still = sorted(j for j, e in last.items() if e["ev"] == "uncertain")
        if sorted(set(still)) != uncertain_first:
            fail(f"uncertain jobs changed without a list: {uncertain_first} -> {still}")
        print(f"settle_uncertain no-list: {len(still)} uncertain jobs left as they were")
        return

    # foreign: what is left uncertain has candidates, listed by status; --adopt settles one.
    still = sorted(j for j, e in last.items() if e["ev"] == "uncertain")
    others = sorted(j for j, e in last.items() if e["ev"] not in ("completed", "uncertain"))
    if others:
        fail(f"jobs neither completed nor uncertain: {others}")
    for job in still:
        if not last[job].get("candidates"):
            fail(f"{job} stays uncertain without candidates: {json.dumps(last[job])}")
    misfit = []
    if still:
        _, out, _ = run_once(status, env)
        if "candidates:" not in out or "--adopt" not in out:
            fail(f"status does not list the candidates of {still}: {out[-800:]}")
        # A job whose create made a task (a 503 makes none, and may stay uncertain all the same
        # when another client's task shares its seconds): a person adopts that task.
        own = {job_of_video[l["video"]]: l["task"] for l in created}
        with_task = [j for j in still if j in own]
        for job in with_task:
            if own[job] not in last[job]["candidates"]:
                fail(f"{job}'s own task {own[job]} is not among its candidates {last[job]['candidates']}")
        # A candidate the list shows is not of the job's clip length ('!' in the ledger, "not its
        # clip's length" in status) is refused by --adopt, and nothing is recorded.
        misfit = [(j, token.rsplit("@", 1)[0]) for j in still for token in last[j]["candidates"].split()
                  if token.endswith("!")]
        if misfit:
            job, task = misfit[0]
            if "not its clip's length" not in out:
                fail(f"status does not say which candidates are not of the job's clip length: {out[-800:]}")
            before = len(simproc.read_jsonl(ledger))
            code, _, stderr = run_once(run + ["--adopt", f"{job}={task}"], env)
            if code != 2 or "it is not this job's task" not in stderr or len(simproc.read_jsonl(ledger)) != before:
                fail(f"--adopt {job}={task} (not of its length) was not refused cleanly (exit {code}): {stderr[-400:]}")
        if with_task:
            job = with_task[0]
            code, _, stderr = run_once(run + ["--adopt", f"{job}={own[job]}"], env)
            if last_events(ledger)[job]["ev"] != "completed":
                fail(f"--adopt {job}={own[job]} did not finish it (exit {code}): {stderr[-400:]}")
    if os.environ.get("SETTLE_VERBOSE"):
        print(outputs[1], file=sys.stderr)
    print(f"settle_uncertain foreign: {runs} runs, {len(created)} tasks for {len(LENGTHS)} jobs, {len(adopted)} adopted, "
          f"{len(settled_unsent)} found unsent, {len(still)} left with candidates, "
          f"{'a misfit --adopt refused' if still and misfit else 'no misfit candidate to refuse'}")


if __name__ == "__main__":
    main()
