"""Shared by the black-box tests: a separate `evobatch sim` process (it prints
`listening URL ca=FILE` on its first line), the result files it serves, the manifests they run
against it, and reading the JSON Lines files (ledger, simulator log and state) a run leaves behind."""
import json
import os
import signal
import subprocess
import sys
import time

MASK = (1 << 64) - 1
# The 32-byte MP4 `ftyp` box every simulator file starts with (src/sim/file_content.cpp).
VIDEO_BOX = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41"


class Checks:
    """Named checks that count passes and print each failure; a test exits 1 when any failed."""

    def __init__(self):
        self.failures = 0
        self.passes = 0

    def __call__(self, name, condition, detail=""):
        if condition:
            self.passes += 1
        else:
            self.failures += 1
            print(f"FAIL: {name}" + (f"\n  {detail}" if detail else ""), file=sys.stderr)


def start_simulator(binary, args, env):
    """Starts `binary sim ARGS`; returns (process, base URL, CA file). Its stderr is kept for
    stop_simulator(), which returns the simulator's closing counts. Raises RuntimeError when
    it does not say it is listening."""
    sim = subprocess.Popen([binary, "sim", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                           text=True)
    line = sim.stdout.readline().split()
    if len(line) != 3 or line[0] != "listening":
        stop_simulator(sim)
        raise RuntimeError(f"the simulator did not start: {line}")
    return sim, line[1], line[2].removeprefix("ca=")


def stop_simulator(sim, timeout=20):
    """SIGINT, then its stderr (the closing counts); killed when it does not stop in time."""
    sim.send_signal(signal.SIGINT)
    try:
        _, err = sim.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        sim.kill()
        _, err = sim.communicate()
    return err


def sim_file(task_id, size):
    """The simulator's result file of `task_id` (src/sim/file_content.cpp, written out again)."""
    seed = 0xCBF29CE484222325
    for c in task_id.encode():
        seed = ((seed ^ c) * 0x100000001B3) & MASK
    out = bytearray()
    for k in range((size + 7) // 8):
        z = ((seed ^ ((k * 0x9E3779B97F4A7C15) & MASK)) * 0xBF58476D1CE4E5B9) & MASK
        out += (z ^ (z >> 29)).to_bytes(8, "little")
    del out[size:]
    out[:len(VIDEO_BOX)] = VIDEO_BOX[:size]
    return bytes(out)


def write_manifest(path, jobs, limits, api=None, prompt="Make it cinematic", output=None, prompts=None, probe=False):
    """A manifest of `jobs` [(id, video URL)] with the `limits` (and `api`, `output`) mappings, in
    flow style; `prompts` {id: prompt} gives some jobs a prompt of their own. Unless `probe`, the
    run does not probe the sources (preflight.probe: false): the tests' made-up URLs
    (cdn.example.com) would send a probe's DNS lookups off this machine."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("version: 1\n")
        if not probe:
            f.write("preflight: {probe: false}\n")
        if api:
            f.write(f"api: {{{api}}}\n")
        if output:
            f.write(f"output: {{{output}}}\n")
        f.write(f"limits: {{{limits}}}\n")
        f.write(f"defaults: {{prompt: {prompt}}}\n")
        f.write("jobs:\n")
        for job, video in jobs:
            f.write(f"  - id: {job}\n    video: {video}\n")
            if prompts and job in prompts:
                f.write(f"    prompt: {prompts[job]}\n")


def read_jsonl(path):
    """The whole lines of a JSON Lines file ([] when it does not exist): a line still being
    written has no '\n' yet and is left out."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


def wait_for_submitted(child, ledger, count, timeout):
    """Waits until `ledger` shows `count` submitted tasks; False when `child` ends first or
    `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while sum(e["ev"] == "submitted" for e in read_jsonl(ledger)) < count:
        if time.monotonic() > deadline or child.poll() is not None:
            return False
        time.sleep(0.05)
    return True



def check_stopped_ledger(ledger, graceful):
    """Checks the ledger a stopped run left: every whole line parses, no task event comes without
    its job's `submitting`, and after a graceful stop (`graceful`) the last line is whole and no
    `submitting` is left without its answer (a run quit at once may leave a torn last line, which
    resume repairs). Returns (why it is not consistent or None, each job's last task event)."""
    with open(ledger, encoding="utf-8") as f:
        text = f.read()
    if graceful and text and not text.endswith("\n"):
        return "a graceful stop left a torn line", {}
    state = {}
    for number, line in enumerate(text.split("\n")[:-1], 1):
        try:
            e = json.loads(line)
        except ValueError:
            return f"ledger line {number} does not parse: {line[:120]}", state
        job, ev = e.get("job"), e["ev"]
        if ev == "submitting":
            state[job] = "submitting"
        elif ev in ("submitted", "progress", "completed", "failed", "uncertain"):
            if ev != "failed" and state.get(job) is None:
                return f"line {number}: {ev} for {job} without its submitting", state
            state[job] = ev
    if not state:
        return "the ledger holds no job", state
    pending = [job for job, s in state.items() if s == "submitting"]
    if graceful and pending:
        return f"a graceful stop left creates without their answer: {pending}", state
    return None, state
