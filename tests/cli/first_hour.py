#!/usr/bin/env python3
"""Black-box: what a paying user meets in a first hour (issue 13), against a separate
`evobatch sim` process on loopback.

- A manifest edit never bypasses the credit ceiling nor overwrites a paid result: changed jobs
  whose earlier request was paid for are held until --rerun-changed, which keeps both files.
- `run`, `plan`, `status` and `report` show the same credits (charged, reserved now, refunded).
- Stopped at the ceiling, the `Next:` line names the --max-credits that covers the rest, and
  pasted as printed it finishes the batch; every `Next:` line is a command that works.
- The balance read spends a rate-limit token: a server with the client's limits sends no 429.
- `status`/`report` refuse a --ledger that does not exist, and unknown --state names.
- After `run --output-dir D`, `plan` and `status` see the files there.

Usage: first_hour.py path/to/evobatch
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

from simproc import Checks, read_jsonl, start_simulator, stop_simulator, wait_for_submitted, write_manifest

KEY = "k-first-hour-test-0001"
RUN_TIMEOUT = 120  # seconds for any one command; the batches here take a few seconds


def run(args, env, cwd):
    p = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def summary_of(stdout):
    """The `summary` event of `run --json`."""
    for line in stdout.splitlines():
        if line.startswith("{") and '"ev":"summary"' in line:
            return json.loads(line)
    return {}


def next_lines(text):
    """The commands in backquotes of every `Next:` line."""
    return [cmd for line in text.splitlines() if line.startswith("Next: ") for cmd in re.findall(r"`([^`]+)`", line)]


def digests(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def tasks_made(log):
    with open(log, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def credits_everywhere(binary, manifest, env, cwd):
    """(charged, reserved now, refunded) as plan, status and report show them."""
    _, plan, _ = run([binary, "plan", manifest, "--json"], env, cwd)
    _, status, _ = run([binary, "status", manifest, "--json"], env, cwd)
    _, report, _ = run([binary, "report", manifest, "--format", "json"], env, cwd)
    p = json.loads(plan)["credits"]["ledger"]
    s = json.loads(status)["credits"]
    r = json.loads(report)["totals"]["credits"]
    return {
        "plan": (p["charged"], p["reserved_now"], p["refunded"]),
        "status": (s["charged"], s["reserved_now"], s["refunded"]),
        "report": (r["charged"], r["reserved_now"], r["refunded"]),
    }


def manifest_edit_is_held_and_keeps_results(check, binary, url, ca, log, work, env):
    jobs = [(f"clip-{i:02}", f"https://cdn.example.com/e/clip-{i:02}.mp4") for i in range(12)]
    manifest = os.path.join(work, "edit.yaml")
    output = f"ledger: {work}/edit.jsonl, dir: {work}/edit-out"
    limits = "requests_per_second: 20, burst: 20, max_in_flight: 12, max_credits: 1000"
    write_manifest(manifest, jobs, limits, output=output)
    base = [binary, "run", manifest, "--base-url", url, "--ca-file", ca, "--json"]
    code, out, err = run(base + ["--no-download"], env, work)
    first = summary_of(out)
    check("edit: the first run completes (its results not downloaded)", code == 0 and first.get("completed") == 12,
          err[-2000:])
    made = tasks_made(log)

    write_manifest(manifest, jobs, limits, prompt="Make it look like a dream", output=output)
    code, plan, _ = run([binary, "plan", manifest, "--json"], env, work)
    p = json.loads(plan)
    check("edit: plan holds every changed job that was paid for", p["actions"]["held_changed"] == 12, plan)
    check("edit: plan counts every credit the ledger holds",
          p["credits"]["carried"] == first["credits"] and p["credits"]["ledger"]["charged"] == first["credits"], plan)
    check("edit: plan says what --rerun-changed would cost", p["credits"]["rerun_changed_at_most"] == 12 * 15, plan)

    ceiling = first["credits"] + 20
    code, out, err = run(base + ["--max-credits", str(ceiling)], env, work)
    s = summary_of(out)
    check("edit: a changed job is not paid for again without asking", tasks_made(log) == made,
          f"{tasks_made(log) - made} new tasks")
    check("edit: held jobs end the run with exit 1", code == 1 and s.get("held") == 12, f"{code} {s}")
    before = digests(f"{work}/edit-out") if os.path.isdir(f"{work}/edit-out") else {}
    check("edit: a held job's earlier results are downloaded all the same",
          sorted(before) == sorted(f"{job}.mp4" for job, _ in jobs), str(sorted(before)))
    steps = s.get("next", [])
    rerun = [c for c in next_lines("\n".join("Next: " + n for n in steps)) if "--rerun-changed" in c]
    check("edit: the Next line offers --rerun-changed with a ceiling that fits it",
          len(rerun) == 1 and f"--max-credits {first['credits'] + 12 * 15}" in rerun[0], str(steps))

    if rerun:
        code, out, err = run(["bash", "-c", rerun[0]], env, work)
        after = digests(f"{work}/edit-out")
        check("edit: the Next line, pasted as printed, pays for the changed jobs", code == 0, err[-2000:])
        check("edit: both results are kept, the new one named @v2",
              all(after.get(name) == digest for name, digest in before.items())
              and sum(1 for name in after if "@v2." in name) == 12, str(sorted(after)))
        summary = summary_of(out)
        everywhere = credits_everywhere(binary, manifest, env, work)
        charged = {name: c[0] for name, c in everywhere.items()}
        check("edit: the ledger's charge covers both requests",
              summary.get("credits", 0) > first["credits"] and set(charged.values()) == {summary.get("credits")},
              f"{summary.get('credits')} {everywhere}")


def changed_task_that_fails_is_not_retried_as_the_new_request(check, binary, work, env):
    # Every task fails, half of them with codes worth a new attempt. A job changed while its
    # earlier request's task runs: that task is polled to its end, and its failure must not send
    # the new request as the old one's next attempt (under the old request's name and key).
    log = os.path.join(work, "fails.tasks.jsonl")
    sim, url, ca = start_simulator(binary, ["--key-env", "EVOLINK_API_KEY", "--time-scale", "0.05", "--fail-ratio",
                                            "1", "--seed", "5", "--log", log], env)
    try:
        jobs = [(f"x-{i:02}", f"https://cdn.example.com/x/x-{i:02}.mp4") for i in range(8)]
        manifest = os.path.join(work, "fails.yaml")
        ledger = os.path.join(work, "fails.jsonl")
        limits = "requests_per_second: 20, burst: 20, max_in_flight: 8, max_attempts: 3"
        output = f"ledger: {ledger}, dir: {work}/fails-out"
        write_manifest(manifest, jobs, limits, output=output)
        child = subprocess.Popen([binary, "run", manifest, "--base-url", url, "--ca-file", ca], env=env, cwd=work,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        submitted = wait_for_submitted(child, ledger, 8, timeout=30)
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=30)
        check("changed-running: the first run left 8 tasks running", submitted)
        old_req = {e["job"]: e["req"] for e in read_jsonl(ledger) if e.get("ev") == "submitting"}
        lines_before = len(read_jsonl(ledger))
        made = tasks_made(log)
        write_manifest(manifest, jobs, limits, prompt="Make it a dream", output=output)
        code, out, err = run([binary, "run", manifest, "--base-url", url, "--ca-file", ca], env, work)
        events = read_jsonl(ledger)
        resent = [e for e in events[lines_before:] if e.get("ev") == "submitting" and e["req"] == old_req.get(e["job"])]
        check("changed-running: no earlier request is sent again in its name", not resent and tasks_made(log) == made,
              f"{len(resent)} submitting events under the old request, {tasks_made(log) - made} new tasks")
        code, out, err = run([binary, "run", manifest, "--base-url", url, "--ca-file", ca], env, work)
        new = [e for e in read_jsonl(ledger) if e.get("ev") == "submitting" and e["req"] != old_req.get(e["job"])]
        check("changed-running: the next run sends the new request (nothing was paid for the old one)",
              len({e["job"] for e in new}) == 8, f"{len(new)} submitting events of the new request")
    finally:
        stop_simulator(sim)


def credits_agree_with_refunds(check, binary, work, env):
    sim, url, ca = start_simulator(binary, ["--key-env", "EVOLINK_API_KEY", "--time-scale", "0.01", "--fail-ratio",
                                            "0.4", "--seed", "11"], env)
    try:
        jobs = [(f"f-{i:02}", f"https://cdn.example.com/f/f-{i:02}.mp4") for i in range(20)]
        manifest = os.path.join(work, "fail.yaml")
        write_manifest(manifest, jobs, "requests_per_second: 20, burst: 20, max_in_flight: 20, max_attempts: 1",
                       output=f"ledger: {work}/fail.jsonl, dir: {work}/fail-out")
        code, out, err = run([binary, "run", manifest, "--base-url", url, "--ca-file", ca, "--json"], env, work)
        s = summary_of(out)
        check("credits: some tasks failed (refunded)", code == 1 and s.get("failed", 0) > 0, err[-2000:])
        everywhere = credits_everywhere(binary, manifest, env, work)
        ran = (s.get("credits"), s.get("credits_reserved"), s.get("credits_refunded"))
        check("credits: run, plan, status and report agree", set(everywhere.values()) == {ran},
              f"run {ran}, {everywhere}")
        check("credits: refunds are counted apart", ran[2] is not None and ran[2] > 0, str(ran))
        code, text, _ = run([binary, "status", manifest], env, work)
        check("credits: status words them as run does",
              f"{ran[0]} charged, {ran[1]} reserved now, {ran[2]} refunded" in text, text[:400])
    finally:
        stop_simulator(sim)


def ceiling_next_line_finishes_the_batch(check, binary, url, ca, work, env):
    jobs = [(f"c-{i:02}", f"https://cdn.example.com/c/c-{i:02}.mp4") for i in range(20)]
    manifest = os.path.join(work, "ceiling.yaml")
    write_manifest(manifest, jobs, "requests_per_second: 20, burst: 20, max_in_flight: 20, max_credits: 100")
    ledger = os.path.join(work, "ceiling.jsonl")
    results = os.path.join(work, "elsewhere")
    code, out, err = run([binary, "run", manifest, "--base-url", url, "--ca-file", ca, "--ledger", ledger,
                          "--output-dir", results, "--json"], env, work)
    summary = summary_of(out)
    steps = next_lines("\n".join("Next: " + n for n in summary.get("next", [])))
    check("ceiling: stopped at the ceiling, exit 3", code == 3, err[-2000:])
    check("ceiling: not told to run the same command again",
          not any("run the same command again" in n for n in summary.get("next", [])), str(summary))
    paused = [json.loads(line) for line in out.splitlines() if '"ev":"progress"' in line and "credit ceiling" in line]
    check("ceiling: the progress shows submission paused at the ceiling", len(paused) > 0, out[-1500:])
    fix = [c for c in steps if "--max-credits" in c and " run " in c and "--json" in c]
    check("ceiling: the Next line names --max-credits N", len(fix) == 1, "\n".join(steps))
    if fix:
        code, out, err = run(["bash", "-c", fix[0]], env, work)
        summary = summary_of(out)
        check("ceiling: pasted as printed, it finishes the batch", code == 0 and summary.get("completed") == 20,
              err[-2000:])
        on_disk = sum(os.path.getsize(os.path.join(results, f)) for f in os.listdir(results))
        check("ceiling: the resumed run's summary counts every file's real bytes",
              summary.get("downloaded") == 20 and summary.get("download_bytes") == on_disk, f"{summary} {on_disk}")
        for cmd in next_lines("\n".join("Next: " + n for n in summary.get("next", []))):
            c, o, e = run(["bash", "-c", cmd], env, work)
            check(f"ceiling: the finished run's Next line works: {cmd}", c == 0, e[-1000:])
    # The files went to --output-dir: plan and status read them from the ledger's records.
    code, out, _ = run([binary, "status", manifest, "--ledger", ledger, "--json"], env, work)
    counts = json.loads(out)["counts"] if code == 0 else {}
    check("output-dir: status sees the files there", counts.get("completed") == 20 and counts.get("to_download") == 0,
          out[:500])
    code, out, _ = run([binary, "plan", manifest, "--ledger", ledger, "--json"], env, work)
    check("output-dir: plan has nothing to download", code == 0 and json.loads(out)["actions"]["download"] == 0,
          out[:500])
    code, out, err = run([binary, "plan", manifest, "--ledger", ledger, "--max-credits", "5000", "--rps", "2",
                          "--retry-failed", "--output-dir", results], env, work)
    check("plan takes run's limit flags", code == 0 and "limits.max_credits = 5000" in out and "at 2 requests/s" in out,
          out + err)


def balance_read_spends_a_token(check, binary, work, env):
    # The server keeps the client's burst at a slightly higher rate: only a request outside the
    # client's own bucket (the balance read, before) can draw a 429 from it.
    sim, url, ca = start_simulator(binary, ["--key-env", "EVOLINK_API_KEY", "--time-scale", "0.01", "--rps", "12",
                                            "--burst", "10"], env)
    err = ""
    try:
        jobs = [(f"r-{i:02}", f"https://cdn.example.com/r/r-{i:02}.mp4") for i in range(30)]
        manifest = os.path.join(work, "rate.yaml")
        write_manifest(manifest, jobs, "requests_per_second: 10, burst: 10, max_in_flight: 30",
                       output=f"ledger: {work}/rate.jsonl, dir: {work}/rate-out")
        code, _, run_err = run([binary, "run", manifest, "--base-url", url, "--ca-file", ca, "--no-download"], env,
                               work)
        check("rate: the batch completes", code == 0, run_err[-2000:])
    finally:
        err = stop_simulator(sim)
    m = re.search(r"(\d+) 429s", err)
    check("rate: no 429 when the limits agree, the balance read included", m is not None and m.group(1) == "0", err)


def refusals(check, binary, work, env):
    manifest = os.path.join(work, "ceiling.yaml")
    for command in (["status"], ["report", "--format", "csv"]):
        code, out, err = run([binary, *command, manifest, "--ledger", os.path.join(work, "no-such.jsonl")], env, work)
        check(f"{command[0]}: a --ledger that does not exist is refused (exit 2)",
              code == 2 and "does not exist" in err, f"{code} {err}")
    code, out, err = run([binary, "status", manifest, "--state", "faild"], env, work)
    check("status: an unknown --state is refused with a did-you-mean",
          code == 2 and "did you mean 'failed'" in err, f"{code} {err}")
    code, out, err = run([binary, "run", manifest, "--simulate", "--retry-failed=nobody"], env, work)
    check("run: --retry-failed names only jobs of the manifest", code == 2 and "'nobody'" in err, f"{code} {err}")


def scenario(check, function, *args):
    """Runs one scenario; an answer of the wrong shape (a missing JSON field) fails it, not the rest."""
    try:
        function(check, *args)
    except (KeyError, TypeError, ValueError, IndexError, subprocess.TimeoutExpired) as e:
        check(f"{function.__name__} ran to its end", False, f"{type(e).__name__}: {e}")


def main():
    binary = os.path.abspath(sys.argv[1])
    check = Checks()
    env = dict(os.environ, EVOLINK_API_KEY=KEY, NO_COLOR="1")
    with tempfile.TemporaryDirectory() as work:
        log = os.path.join(work, "tasks.jsonl")
        sim, url, ca = start_simulator(binary, ["--key-env", "EVOLINK_API_KEY", "--time-scale", "0.01", "--log", log],
                                       env)
        try:
            scenario(check, manifest_edit_is_held_and_keeps_results, binary, url, ca, log, work, env)
            scenario(check, ceiling_next_line_finishes_the_batch, binary, url, ca, work, env)
        finally:
            stop_simulator(sim)
        scenario(check, changed_task_that_fails_is_not_retried_as_the_new_request, binary, work, env)
        scenario(check, credits_agree_with_refunds, binary, work, env)
        scenario(check, balance_read_spends_a_token, binary, work, env)
        scenario(check, refusals, binary, work, env)
    print(f"{check.passes} passed, {check.failures} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
