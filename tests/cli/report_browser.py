#!/usr/bin/env python3
"""Browser test of the HTML report: real ledgers from `evobatch run` (two runs against one
`evobatch sim` process, so that a changed job is paid for twice), the report rendered with
`evobatch report --format html -o F`, then loaded in headless Chromium (Debian's `chromium`),
offline, driven over the DevTools protocol.

Usage: report_browser.py BIN

Checks, on the page as Chromium laid it out at 1280x1400: one job row per manifest job, each with
the state `status --json` gives (completed, changed, new and failed all occur); one SVG bar per
task, two for a job with two attempts and two for a job paid for twice (two requests); the
result links, relative to the report's folder, lead to the real files (sha256 as on disk, the
earlier request's file and the @v2 one); a hostile server error message shown as text, not run
(no script, no img, the title untouched); the failure reasons link the failed job's row.
Nothing overflows horizontally, with every row's details open too: the document is no wider
than the window, no element's box reaches past its right edge, and no table cell's content is
wider than the cell (Chromium's own layout, read through the protocol). A screenshot agrees: the
completed and failed colours appear, and the page's right margin is blank. The JSON and CSV
forms agree. Then a 2,000-job batch (`run --simulate`): its report shows the aggregate charts
instead of bars, keeps a row per job, does not overflow, and loads in bounded time.
Exits 77 (a ctest skip) only when no chromium is installed; any other problem fails.
"""
import base64
import collections
import csv
import fcntl
import hashlib
import io
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

from simproc import start_simulator, stop_simulator

SKIP = 77
STEP_TIMEOUT_S = 120  # any one command or browser step
TOTAL_TIMEOUT_S = 240  # the whole test (about 30 s here); then it fails, cleaning up as it goes
KEY = "report-test-key-0123456789"
HOSTILE = ("<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> "
           "\"quoted\" & 'single' </td></tr>")
COMPLETED_RGB = (0x2F, 0x85, 0x5A)  # .s-completed in src/report/html.cpp
FAILED_RGB = (0xC5, 0x30, 0x30)  # .s-failed
BACKGROUND_RGB = (0xFF, 0xFF, 0xFF)
WINDOW = (1280, 1400)
MARGIN_PX = 16  # of the page's 24 px right margin: nothing may be drawn there
BIG_JOBS = 2000
BIG_LOAD_S = 20  # generous for 2 shared cores; it loads in about 1 s


def fail(reason):
    print(f"report_browser: {reason}", file=sys.stderr)
    sys.exit(1)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, **kw)


def manifest_text(work, jobs, limits=None):
    # preflight.probe: false: the made-up sources (cdn.example.com) would send a probe's DNS
    # lookups off this machine.
    lines = ["version: 1", "preflight: {probe: false}", "defaults:", "  prompt: Make the video more cinematic", "output:",
             f"  ledger: {work}/report.ledger.jsonl", f"  dir: {work}/out", "jobs:"]
    if limits:
        lines.insert(1, f"limits: {{{limits}}}")
    for job_id, video, prompt in jobs:
        lines += [f"  - id: {job_id}", f"    video: https://cdn.example.com/{video}.mp4"]
        if prompt:
            lines.append(f"    prompt: {prompt}")
    return "\n".join(lines) + "\n"


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def chromium_args(chromium, profile):
    # Offline: nothing but the file:// URL may load. No name resolves, no background services,
    # a throwaway profile; the page's own CSP forbids every fetch and script as well.
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}", "--hide-scrollbars"]


class Browser:
    """Headless Chromium over --remote-debugging-pipe: the DevTools protocol (what Puppeteer's
    pipe mode speaks), commands on the child's fd 3 and answers on its fd 4, each a JSON text
    ended by NUL. Page scripts stay forbidden by the page's CSP; Runtime.evaluate is the
    debugger's, which CSP does not govern, so the test can read Chromium's own layout."""

    def __init__(self, chromium, profile):
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        # Above 10, so that placing them at 3 and 4 in the child cannot overwrite one another.
        low = (to_child, from_child)
        to_child, from_child = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in low)
        for fd in low:
            os.close(fd)

        def pipes_at_3_and_4():
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self._proc = subprocess.Popen(chromium_args(chromium, profile) + ["--remote-debugging-pipe", "about:blank"],
                                      pass_fds=(3, 4), preexec_fn=pipes_at_3_and_4, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self._events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._in], [], [], max(0.0, left))
            if not ready:
                fail("chromium did not answer in time")
            data = os.read(self._in, 1 << 20)
            if not data:
                fail("chromium closed its DevTools pipe (crashed?)")
            self._buffer += data
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    fail(f"chromium: {method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self._events.append(answer)

    def wait_event(self, method, session):
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method and event.get("sessionId") == session:
                    return self._events.pop(i)
            answer = self._read_message(deadline)
            if "method" in answer:
                self._events.append(answer)

    def open(self, url, size):
        """A tab of `size` CSS px showing `url`, loaded; returns (session, seconds the load took)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False}, session)
        started = time.monotonic()
        self.call("Page.navigate", {"url": url}, session)
        # about:blank's own load may still be reported first: wait for the page asked for.
        loaded = f"document.readyState === 'complete' && location.href === {json.dumps(url)}"
        while True:
            self.wait_event("Page.loadEventFired", session)
            if self.evaluate(session, loaded):
                return session, time.monotonic() - started

    def evaluate(self, session, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in result:
            fail(f"evaluating in the page failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session, path):
        data = self.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
            self._proc.wait(timeout=20)
        except (SystemExit, subprocess.TimeoutExpired, OSError):
            self._proc.kill()
            self._proc.wait()
        finally:
            os.close(self._in)
            os.close(self._out)


# What overflows horizontally, as Chromium laid the page out: the document's scroll width
# against the window, boxes reaching past the window's right edge, and table cells whose content
# is wider than the cell (it would be drawn over the next cell). What closed <details> hold is
# not shown, so `open_details` opens them all first; otherwise it is skipped, since asking for
# its boxes makes Chromium lay each one out on its own (54 s for a 2,000-job page, not 0.2 s).
LAYOUT_JS = """(() => {
  if (%s) { document.querySelectorAll('details').forEach(d => { d.open = true; }); }
  const root = document.documentElement, width = root.clientWidth, past = [], spilling = [];
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.closest('tr[data-job]') ? ' in ' + el.closest('tr[data-job]').dataset.job : '');
  const hidden = 'details:not([open]) > :not(summary), details:not([open]) > :not(summary) *';
  for (const el of document.body.querySelectorAll(`*:not(${hidden})`)) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5 && past.length < 10) { past.push(name(el) + ' to ' + box.right); }
  }
  for (const cell of document.querySelectorAll(`td:not(${hidden}), th:not(${hidden})`)) {
    if (cell.getBoundingClientRect().width > 0 && cell.scrollWidth > cell.clientWidth + 1 && spilling.length < 10) {
      spilling.push(name(cell) + ' ' + cell.scrollWidth + ' > ' + cell.clientWidth);
    }
  }
  return {width: width, scroll_width: root.scrollWidth, past: past, spilling: spilling};
})()"""


def check_no_overflow(browser, session, what, open_details):
    layout = browser.evaluate(session, LAYOUT_JS % ("true" if open_details else "false"))
    if layout["width"] != WINDOW[0] or layout["scroll_width"] > layout["width"] or layout["past"] or \
            layout["spilling"]:
        fail(f"{what}: overflows a {WINDOW[0]} px window: {layout}")


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        fail(f"unexpected PNG format: depth {depth}, colour type {colour}, interlace {interlace}")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            ul = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else ul)
                line[i] = (line[i] + pred) & 0xFF
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def count_colour(rows, rgb, tolerance=4):
    return sum(1 for row in rows for px in row if all(abs(a - b) <= tolerance for a, b in zip(px, rgb)))


def make_ledger(binary, work, env):
    """Two runs against one simulator: the first pays for alpha..foxtrot, the second (foxtrot's
    prompt changed, --rerun-changed=foxtrot) for foxtrot's new request, saved as foxtrot@v2.
    Both run in `work` with `--output-dir out`, so the ledger holds relative file paths."""
    manifest = os.path.join(work, "batch.yaml")
    first = [(name, name, None) for name in ("alpha", "bravo", "charlie", "delta", "foxtrot")]
    sim, url, ca = start_simulator(binary, ["--key-env", "EVOLINK_API_KEY", "--time-scale", "0.002",
                                            "--file-bytes", "4096"], env)
    try:
        for jobs, extra in ((first, []), (first[:4] + [("foxtrot", "foxtrot", "Add gentle falling snow")],
                                          ["--rerun-changed=foxtrot"])):
            write(manifest, manifest_text(work, jobs))
            r = run([binary, "run", "--quiet", "--base-url", url, "--ca-file", ca, "--output-dir", "out", *extra,
                     manifest], cwd=work, env=env)
            if r.returncode != 0:
                fail(f"run {extra} exited {r.returncode}: {r.stderr}")
    finally:
        stop_simulator(sim)
    return manifest, jobs


def forge_mallory(ledger):
    """mallory (the same request as alpha, so its digest matches) gets two attempts: a task that
    failed for a reason a retry can fix, then one that failed with a hostile server message."""
    with open(ledger, encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    alpha_req = next(e["req"] for e in events if e.get("job") == "alpha")
    t = max(e["t"] for e in events)
    forged = []
    for attempt, error in ((1, {"code": "internal_error", "message": "try again"}),
                           (2, {"code": "content_policy_violation", "message": HOSTILE})):
        base = {"v": 1, "job": "mallory", "req": alpha_req, "attempt": attempt, "key": f"evb-mallory-{attempt}"}
        task = f"task-mallory-{attempt}"
        forged += [dict(base, t=t + attempt * 1000, ev="submitting"),
                   dict(base, t=t + attempt * 1000 + 2, ev="submitted", task=task, credits=5, eta_s=1),
                   dict(base, t=t + attempt * 1000 + 900, ev="failed", task=task, error=error)]
    with open(ledger, "a", encoding="utf-8") as f:
        for e in forged:
            f.write(json.dumps(e) + "\n")


def check_other_forms(binary, manifest, work, expected):
    """JSON and CSV say what the page says."""
    r = run([binary, "report", "--format", "json", manifest], cwd=work)
    doc = json.loads(r.stdout)
    jobs = {j["id"]: j for j in doc["jobs"]}
    if r.returncode != 0 or {i: j["state"] for i, j in jobs.items()} != expected:
        fail(f"report --format json exited {r.returncode}: {r.stdout[:2000]}")
    foxtrot = jobs["foxtrot"]
    if [run_.get("version") for run_ in foxtrot.get("runs", [])] != [1, 2] or \
            sorted((os.path.basename(f["file"]), f.get("version")) for f in foxtrot["files"]) != \
            [("foxtrot.mp4", 1), ("foxtrot@v2.mp4", 2)] or foxtrot.get("prompt") != "Add gentle falling snow":
        fail(f"JSON foxtrot: {foxtrot}")
    reasons = doc["totals"]["failure_reasons"]
    if reasons != {"content_policy_violation": {"count": 1, "jobs": ["mallory"]}}:
        fail(f"JSON failure reasons: {reasons}")
    r = run([binary, "report", "--format", "csv", manifest], cwd=work)
    records = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    by_id = {rec["id"]: rec for rec in records}
    if r.returncode != 0 or list(by_id) != list(expected) or by_id["mallory"]["error_message"] != HOSTILE or \
            by_id["mallory"]["tasks"] != "task-mallory-1;task-mallory-2" or \
            by_id["foxtrot"]["file_versions"] != "1;2" or \
            by_id["echo"]["video"] != "https://cdn.example.com/echo.mp4":
        fail(f"report --format csv exited {r.returncode}: {records}")
    return doc["totals"]["tasks"]


def check_page(browser, session, expected, tasks):
    rows = browser.evaluate(session, "[...document.querySelectorAll('tr.job')].map(tr => [tr.dataset.job, "
                                     "tr.dataset.state])")
    if dict(rows) != expected or len(rows) != len(expected):
        fail(f"rendered rows {rows}, want {expected}")
    bars = collections.Counter(browser.evaluate(
        session, "[...document.querySelectorAll('rect.bar')].map(r => r.dataset.job)"))
    want_bars = {"alpha": 1, "bravo": 1, "charlie": 1, "delta": 1, "foxtrot": 2, "mallory": 2}
    if tasks != 8 or dict(bars) != want_bars:
        fail(f"bars per job {dict(bars)} ({tasks} tasks in the report), want {want_bars}")
    page = browser.evaluate(session, """({
        title: document.title,
        markup: document.querySelectorAll('script, img, iframe, object').length,
        error: document.querySelector('#job-mallory td.err').textContent,
        reason: [...document.querySelectorAll('#failure-reasons a')].map(a => a.getAttribute('href')),
        runs: document.querySelectorAll('tr.more tr.run').length})""")
    if page["markup"] or "pwned" in page["title"]:
        fail(f"the hostile message became markup: {page}")
    if page["error"].strip() != "content_policy_violation " + HOSTILE.strip():
        fail(f"the hostile message is not shown as text: {page['error']!r}")
    if page["reason"] != ["#job-mallory"]:
        fail(f"the failure reason links {page['reason']}, want the row of mallory")
    if page["runs"] != tasks:
        fail(f"{page['runs']} attempts in the rows' details, want {tasks}")


def check_links(browser, session, work):
    """Every result link is relative and leads, from the page's own URL, to the file on disk."""
    links = browser.evaluate(session, """[...document.querySelectorAll('a.file')].map(a => ({
        job: a.closest('tr').dataset.job || a.closest('tr').previousElementSibling.dataset.job,
        raw: a.getAttribute('href'), url: a.href,
        sha: (a.parentElement.querySelector('code.sha') || {}).title ||
             (a.closest('li') ? a.closest('li').querySelector('code').textContent : '')}))""")
    seen = collections.defaultdict(set)
    for link in links:
        path = urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path)
        if link["raw"].startswith(("/", "file:")) or not path.startswith(work + "/out/") or \
                not os.path.isfile(path):
            fail(f"{link['job']}: link {link['raw']!r} resolves to {path!r}, not a result file under out/")
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if link["sha"] != digest:
            fail(f"{link['job']}: {path} has sha256 {digest}, the page says {link['sha']!r}")
        seen[link["job"]].add(os.path.basename(path))
    if seen["foxtrot"] != {"foxtrot.mp4", "foxtrot@v2.mp4"} or \
            any(seen[j] != {f"{j}.mp4"} for j in ("alpha", "bravo", "charlie", "delta")):
        fail(f"result links per job: {dict(seen)}")
    return len(links)


def check_screenshot(browser, session, png):
    browser.screenshot(session, png)
    width, height, pixels = png_pixels(png)
    if (width, height) != WINDOW:
        fail(f"screenshot is {width}x{height}, want {WINDOW[0]}x{WINDOW[1]}")
    green, red = count_colour(pixels, COMPLETED_RGB), count_colour(pixels, FAILED_RGB)
    if green < 500 or red < 50:
        fail(f"the screenshot shows {green} completed-green and {red} failed-red pixels: not rendered?")
    drawn = [(x, y) for y, row in enumerate(pixels) for x in range(width - MARGIN_PX, width)
             if row[x] != BACKGROUND_RGB]
    if drawn:
        fail(f"something is drawn in the page's right margin, at {drawn[:5]} (of {len(drawn)} pixels)")
    return green, red


def big_batch(binary, work, chromium_browser):
    """2,000 jobs: aggregate charts instead of bars, a row per job, no overflow, a bounded load."""
    big = os.path.join(work, "big")
    os.mkdir(big)
    manifest = os.path.join(big, "big.yaml")
    write(manifest, manifest_text(big, [(f"job-{i:04}", f"big/job-{i:04}", None) for i in range(BIG_JOBS)],
                                  "requests_per_second: 200, burst: 200, max_in_flight: 500, max_credits: 100000"))
    r = run([binary, "run", "--simulate", "--time-scale", "0.005", "--no-download", "--quiet", manifest])
    if r.returncode != 0:
        fail(f"the {BIG_JOBS}-job run exited {r.returncode}: {r.stderr[-2000:]}")
    page = os.path.join(big, "report.html")
    started = time.monotonic()
    r = run([binary, "report", "-o", page, manifest])
    took = time.monotonic() - started
    if r.returncode != 0:
        fail(f"the {BIG_JOBS}-job report exited {r.returncode}: {r.stderr}")
    session, load_s = chromium_browser.open("file://" + page, WINDOW)
    if load_s > BIG_LOAD_S:
        fail(f"the {BIG_JOBS}-job page took {load_s:.1f} s to load")
    shown = chromium_browser.evaluate(session, """({
        rows: document.querySelectorAll('tr.job').length, bars: document.querySelectorAll('rect.bar').length,
        charts: ['jobs-chart', 'duration-chart', 'credits-chart'].filter(id => document.getElementById(id)
            && document.getElementById(id).getBoundingClientRect().height > 100)})""")
    if shown != {"rows": BIG_JOBS, "bars": 0, "charts": ["jobs-chart", "duration-chart", "credits-chart"]}:
        fail(f"the {BIG_JOBS}-job page shows {shown}")
    check_no_overflow(chromium_browser, session, f"the {BIG_JOBS}-job page", open_details=False)
    return os.path.getsize(page), took, load_s


def main():
    if len(sys.argv) != 2:
        fail("usage: report_browser.py BIN")
    binary = os.path.abspath(sys.argv[1])
    signal.signal(signal.SIGALRM, lambda *_: fail(f"the test took more than {TOTAL_TIMEOUT_S} s"))
    signal.alarm(TOTAL_TIMEOUT_S)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("report_browser: SKIP: no chromium installed (scripts/deps installs Debian's)", file=sys.stderr)
        sys.exit(SKIP)

    with tempfile.TemporaryDirectory(prefix="evobatch-report-") as work:
        env = dict(os.environ, EVOLINK_API_KEY=KEY)
        manifest, jobs = make_ledger(binary, work, env)
        ledger = os.path.join(work, "report.ledger.jsonl")
        forge_mallory(ledger)
        # The manifest moves on: delta's prompt changes, echo is new, mallory joins.
        write(manifest, manifest_text(work, jobs[:3] + [("delta", "delta", "Turn the sky into a sunset"),
                                                        ("echo", "echo", None), jobs[4], ("mallory", "alpha", None)]))
        r = run([binary, "status", "--json", manifest], cwd=work)
        if r.returncode != 0:
            fail(f"status exited {r.returncode}: {r.stderr}")
        expected = {"alpha": "completed", "bravo": "completed", "charlie": "completed", "delta": "changed",
                    "echo": "new", "foxtrot": "completed", "mallory": "failed"}
        if {j["id"]: j["state"] for j in json.loads(r.stdout)["jobs"]} != expected:
            fail(f"status disagrees with the test's setup: {r.stdout[:2000]}")

        # Written from `work` into a folder beside the results: the links must climb out of it.
        page = os.path.join(work, "pages", "report.html")
        os.mkdir(os.path.dirname(page))
        r = run([binary, "report", "--format", "html", "-o", "pages/report.html", manifest], cwd=work)
        if r.returncode != 0 or not os.path.exists(page):
            fail(f"report exited {r.returncode}: {r.stderr}")
        if [n for n in os.listdir(os.path.dirname(page)) if n.startswith(".report.html.tmp")]:
            fail("report left its temporary file behind")
        tasks = check_other_forms(binary, manifest, work, expected)

        browser = Browser(chromium, os.path.join(work, "profile"))
        try:
            session, _ = browser.open("file://" + page, WINDOW)
            check_page(browser, session, expected, tasks)
            links = check_links(browser, session, work)
            check_no_overflow(browser, session, "the page", open_details=False)
            green, red = check_screenshot(browser, session, os.path.join(work, "report.png"))
            check_no_overflow(browser, session, "the page with every row's details open", open_details=True)
            size, report_s, load_s = big_batch(binary, work, browser)
        finally:
            browser.close()
        print(f"report_browser: ok: {len(expected)} rows, {tasks} bars, {links} result links, no overflow at "
              f"{WINDOW[0]} px, screenshot {green} green and {red} red pixels; {BIG_JOBS} jobs: {size} bytes, "
              f"written in {report_s:.2f} s, loaded in {load_s:.2f} s")


if __name__ == "__main__":
    main()
