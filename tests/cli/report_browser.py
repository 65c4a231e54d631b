#!/usr/bin/env python3
"""Browser test of the HTML report: a real ledger from `evobatch run --simulate`, the report
rendered with `evobatch report --format html -o F`, then loaded in headless Chromium (Debian's
`chromium`), offline.

Usage: report_browser.py BIN

Checks, on the DOM Chromium rendered (--dump-dom): one job row per manifest job, each with the
state `status --json` gives (completed, changed, new and failed all occur), one SVG bar per task,
the result files' sha256 as on disk, and a hostile server error message shown as text, not run
(no script, no img, the title untouched); the JSON and CSV forms agree. Then a screenshot (--screenshot): a PNG of the asked
size in which the completed and failed colours appear, so the page really rendered.
Exits 77 (a ctest skip) only when no chromium is installed; any other problem fails.
"""
import csv
import hashlib
import html.parser
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
BROWSER_TIMEOUT_S = 120
HOSTILE = ("<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> "
           "\"quoted\" & 'single' </td></tr>")
COMPLETED_RGB = (0x2F, 0x85, 0x5A)  # .s-completed in src/report/html.cpp
FAILED_RGB = (0xC5, 0x30, 0x30)  # .s-failed
WINDOW = (1200, 1400)


def fail(reason):
    print(f"report_browser: {reason}", file=sys.stderr)
    sys.exit(1)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, **kw)


def manifest_text(work, jobs):
    lines = ["version: 1", "defaults:", "  prompt: Make the video more cinematic", "output:",
             f"  ledger: {work}/report.ledger.jsonl", f"  dir: {work}/out", "jobs:"]
    for job_id, video, prompt in jobs:
        lines += [f"  - id: {job_id}", f"    video: https://cdn.example.com/{video}.mp4"]
        if prompt:
            lines.append(f"    prompt: {prompt}")
    return "\n".join(lines) + "\n"


def chromium_args(chromium, profile):
    # Offline: nothing but the file:// URL may load. No name resolves, no background services,
    # a throwaway profile; the page's own CSP forbids every fetch and script as well.
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}", "--hide-scrollbars"]


class Dom(html.parser.HTMLParser):
    """What the test needs from the rendered DOM: job rows, bars, tags present, the title."""

    def __init__(self):
        super().__init__()
        self.rows = []  # dicts: id, state, cells (text per td)
        self.bars = []  # (data-job, data-state)
        self.tags = set()
        self.title = ""
        self._in_title = False
        self._in_svg = 0
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        classes = (a.get("class") or "").split()
        if tag == "svg":
            self._in_svg += 1
        if tag == "title" and not self._in_svg:
            self._in_title = True
        if tag == "tr" and "job" in classes:
            self._row = {"id": a.get("data-job"), "state": a.get("data-state"), "cells": {}, "titles": []}
        if tag == "td" and self._row is not None:
            self._cell = classes[0] if classes else ""
            self._row["cells"][self._cell] = ""
        if tag == "code" and self._row is not None and a.get("title"):
            self._row["titles"].append(a["title"])
        if tag == "rect" and "bar" in classes:
            self.bars.append((a.get("data-job"), a.get("data-state")))

    def handle_endtag(self, tag):
        if tag == "svg":
            self._in_svg -= 1
        if tag == "title":
            self._in_title = False
        if tag == "td":
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._row is not None and self._cell is not None:
            self._row["cells"][self._cell] += data


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


def main():
    if len(sys.argv) != 2:
        fail("usage: report_browser.py BIN")
    binary = os.path.abspath(sys.argv[1])
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("report_browser: SKIP: no chromium installed (scripts/deps installs Debian's)", file=sys.stderr)
        sys.exit(SKIP)

    with tempfile.TemporaryDirectory(prefix="evobatch-report-") as work:
        manifest = os.path.join(work, "batch.yaml")
        ledger = os.path.join(work, "report.ledger.jsonl")
        first = [("alpha", "alpha", None), ("bravo", "bravo", None), ("charlie", "charlie", None),
                 ("delta", "delta", None)]
        with open(manifest, "w", encoding="utf-8") as f:
            f.write(manifest_text(work, first))
        r = run([binary, "run", "--simulate", "--time-scale", "0.002", "--quiet", "--ledger", ledger, manifest])
        if r.returncode != 0:
            fail(f"run --simulate exited {r.returncode}: {r.stderr}")

        # The manifest moves on: delta's prompt changes, echo is new, and mallory (the same request
        # as alpha, so its digest matches) gets a failed task whose server message is hostile.
        with open(ledger, encoding="utf-8") as f:
            events = [json.loads(line) for line in f if line.strip()]
        alpha_req = next(e["req"] for e in events if e.get("job") == "alpha")
        t = max(e["t"] for e in events)
        forged = [
            {"v": 1, "t": t + 1, "job": "mallory", "req": alpha_req, "ev": "submitting", "attempt": 1,
             "key": "evb-mallory"},
            {"v": 1, "t": t + 2, "job": "mallory", "req": alpha_req, "ev": "submitted", "task": "task-mallory",
             "attempt": 1, "key": "evb-mallory", "credits": 5, "eta_s": 1},
            {"v": 1, "t": t + 900, "job": "mallory", "req": alpha_req, "ev": "failed", "task": "task-mallory",
             "attempt": 1, "key": "evb-mallory", "error": {"code": "content_policy_violation", "message": HOSTILE}},
        ]
        with open(ledger, "a", encoding="utf-8") as f:
            for e in forged:
                f.write(json.dumps(e) + "\n")
        second = first[:3] + [("delta", "delta", "Turn the sky into a sunset"), ("echo", "echo", None),
                              ("mallory", "alpha", None)]
        with open(manifest, "w", encoding="utf-8") as f:
            f.write(manifest_text(work, second))

        r = run([binary, "status", "--json", manifest])
        if r.returncode != 0:
            fail(f"status exited {r.returncode}: {r.stderr}")
        want = {j["id"]: j["state"] for j in json.loads(r.stdout)["jobs"]}
        expected = {"alpha": "completed", "bravo": "completed", "charlie": "completed", "delta": "changed",
                    "echo": "new", "mallory": "failed"}
        if want != expected:
            fail(f"status disagrees with the test's setup: {want}")

        page = os.path.join(work, "report.html")
        r = run([binary, "report", "--format", "html", "-o", page, manifest])
        if r.returncode != 0 or not os.path.exists(page):
            fail(f"report exited {r.returncode}: {r.stderr}")
        if [n for n in os.listdir(work) if n.startswith(".report.html.tmp")]:
            fail("report left its temporary file behind")
        r = run([binary, "report", "--format", "json", manifest])
        doc = json.loads(r.stdout)
        tasks = doc["totals"]["tasks"]
        if r.returncode != 0 or {j["id"]: j["state"] for j in doc["jobs"]} != expected:
            fail(f"report --format json exited {r.returncode}: {r.stdout[:2000]}")
        r = run([binary, "report", "--format", "csv", manifest])
        records = list(csv.reader(io.StringIO(r.stdout, newline="")))
        if r.returncode != 0 or len(records) != 1 + len(expected) or records[-1][0] != "mallory" or \
                records[-1][-1] != HOSTILE:
            fail(f"report --format csv exited {r.returncode}: {records}")

        profile = os.path.join(work, "profile")
        url = "file://" + page
        r = run(chromium_args(chromium, profile) + ["--dump-dom", url])
        if r.returncode != 0 or "<html" not in r.stdout:
            fail(f"chromium --dump-dom exited {r.returncode}: {r.stderr[-2000:]}")
        dom = Dom()
        dom.feed(r.stdout)

        got = {row["id"]: row["state"] for row in dom.rows}
        if len(dom.rows) != len(expected) or got != expected:
            fail(f"rendered rows {[(row['id'], row['state']) for row in dom.rows]}, want {expected}")
        if tasks != 5 or len(dom.bars) != tasks:
            fail(f"{len(dom.bars)} bars rendered, {tasks} tasks in the report (want 5)")
        if sorted(job for job, _ in dom.bars) != ["alpha", "bravo", "charlie", "delta", "mallory"]:
            fail(f"bars for {dom.bars}")
        if "script" in dom.tags or "img" in dom.tags or "pwned" in dom.title:
            fail(f"the hostile message became markup: tags {sorted(dom.tags)}, title {dom.title!r}")
        mallory = next(row for row in dom.rows if row["id"] == "mallory")
        if mallory["cells"].get("err", "").strip() != "content_policy_violation " + HOSTILE.strip():
            fail(f"the hostile message is not shown as text: {mallory['cells'].get('err')!r}")
        for row in dom.rows:
            if row["state"] != "completed":
                continue
            path = row["cells"]["file"].strip()
            if not path or not os.path.exists(path):
                fail(f"{row['id']}: result file {path!r} missing")
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if row["titles"] != [digest]:
                fail(f"{row['id']}: sha256 {row['titles']} in the page, {digest} on disk")

        png = os.path.join(work, "report.png")
        r = run(chromium_args(chromium, profile) +
                [f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={png}", url])
        if r.returncode != 0 or not os.path.exists(png) or os.path.getsize(png) == 0:
            fail(f"chromium --screenshot exited {r.returncode}: {r.stderr[-2000:]}")
        width, height, pixels = png_pixels(png)
        if (width, height) != WINDOW:
            fail(f"screenshot is {width}x{height}, want {WINDOW[0]}x{WINDOW[1]}")
        green, red = count_colour(pixels, COMPLETED_RGB), count_colour(pixels, FAILED_RGB)
        if green < 500 or red < 50:
            fail(f"the screenshot shows {green} completed-green and {red} failed-red pixels: not rendered?")
        print(f"report_browser: ok: {len(dom.rows)} rows, {len(dom.bars)} bars, screenshot {width}x{height} "
              f"({green} green, {red} red pixels)")


if __name__ == "__main__":
    main()
