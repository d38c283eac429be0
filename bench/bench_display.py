"""The wall screen's soak: a headless Chromium shows /display/?zone=1 over a zone of 200 garden
images at a fast interval (a transition every 0.25 s: 2,400 in 10 minutes, what 5 hours of the
default 8 s interval would show), and its memory is measured through the Chrome DevTools
Protocol after a forced garbage collection: once the first full cycle of 200 images has been
shown, and at the end. Goal: the JS heap and the DOM node count within 10 % of the first figure
(a page that leaks grows with every transition).

The server runs in a process of its own with 25 painted flowers per orientation and emotion
(200 landscape, 200 portrait); the browser is Debian's chromium and chromedriver, as in the
e2e tests. Settings (environment): BENCH_DISPLAY_SECONDS (600) of display after the first
cycle, BENCH_DISPLAY_INTERVAL (0.25) seconds per image."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench_load import _free_port, stop
from .stats import table

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
ADMIN_KEY = "bench-display-admin-key"
PER_ORIENTATION = 25          # × 8 emotions = 200 images per orientation
IMAGES = 200
GOAL = 0.10                   # the end within 10 % of the figure after the first cycle
SAMPLE_SECONDS = 0.05
# read through the DevTools Protocol, not WebDriver's execute_script: chromedriver keeps a little
# page memory for every script it runs (~85 bytes a call measured), which a soak would count
VISIBLE = ("(() => { const layer = document.querySelector('.display-layer.shown');"
           " return layer ? [layer.dataset.key || '', layer.naturalWidth] : null; })()")

LAUNCH = """
import sys
from chalicelib import demo
from chalicelib.web import context
port, data, key, per = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
context.reconfigure(data_dir=data, admin_key=key)
from app import app
from chalicelib.web.local_server import make_server
server = make_server(app, "127.0.0.1", port)
if demo.is_empty(context.current().store):
    demo.plant(context.current().store, per_orientation=per)
print("ready", flush=True)
server.serve_forever()
"""


class _Server:
    def __init__(self, data_dir: str) -> None:
        self.port = _free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(self.port), data_dir, ADMIN_KEY, str(PER_ORIENTATION)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "GARDEN_DEMO": "0", "GARDEN_PUBLIC_URL": ""})
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the server did not start")

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"x-api-key": ADMIN_KEY, "Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                         headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def stop(self) -> None:
        stop(self.proc)


def _browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage",
                 "--hide-scrollbars", "--mute-audio", "--force-device-scale-factor=1",
                 "--window-size=1920,1080", f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    return driver


def _metrics(driver) -> dict[str, float]:
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    found = driver.execute_cdp_cmd("Performance.getMetrics", {})
    return {m["name"]: float(m["value"]) for m in found["metrics"]}


def _cached_images(driver) -> int:
    found = driver.execute_cdp_cmd("Runtime.evaluate", {
        "expression": "caches.open('display-images').then(c => c.keys()).then(k => k.length, () => -1)",
        "awaitPromise": True, "returnByValue": True})
    return int(found.get("result", {}).get("value", -1))


class _Watch:
    """What the screen shows, sampled every SAMPLE_SECONDS: transitions, the distinct images
    seen, and any sample whose visible layer has no picture (a broken image)."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.last: str | None = None
        self.transitions = 0
        self.seen: set[str] = set()
        self.broken = 0
        self.samples = 0

    def until(self, done) -> None:
        while not done():
            found = self.driver.execute_cdp_cmd("Runtime.evaluate", {"expression": VISIBLE, "returnByValue": True})
            shown = found.get("result", {}).get("value")
            self.samples += 1
            if shown is not None:
                key, width = shown
                if width <= 0:
                    self.broken += 1
                if key != self.last:
                    self.transitions += self.last is not None
                    self.last = key
                    self.seen.add(key)
            time.sleep(SAMPLE_SECONDS)


def _verdict(first: float, end: float) -> str:
    ratio = end / first if first else float("nan")
    return f"{ratio:.3f} ({'✓' if abs(ratio - 1) <= GOAL else '✗'} within {GOAL:.0%})"


def run() -> str:
    seconds = float(os.environ.get("BENCH_DISPLAY_SECONDS", "600"))
    interval = float(os.environ.get("BENCH_DISPLAY_INTERVAL", "0.25"))
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return (f"## Wall screen soak\n\nNot measured: headless Chromium is not installed ({CHROMIUM}, "
                f"{CHROMEDRIVER}); run tools/install-browser.sh (as root) first.\n")
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile:
        planted = time.perf_counter()
        server = _Server(data)
        planted = time.perf_counter() - planted
        driver = None
        try:
            status, answer = server.call("GET", "/zones/1")
            keys = [item["key"] for item in answer.get("landscape", [])]
            if status != 200 or len(keys) != IMAGES:
                raise RuntimeError(f"zone 1 answered {status} with {len(keys)} landscape images, not {IMAGES}")
            status, _ = server.call("PUT", "/zones/1", {"mode": "chosen", "images": keys})
            if status != 200:
                raise RuntimeError(f"PUT /zones/1 answered {status}")
            driver = _browser(profile)
            driver.execute_cdp_cmd("Performance.enable", {})
            started = time.perf_counter()
            driver.get(f"{server.origin}/display/?zone=1&interval={interval}")
            watch = _Watch(driver)
            # the first full cycle: every one of the 200 images shown once
            watch.until(lambda: len(watch.seen) >= IMAGES and watch.last is not None
                        or time.perf_counter() - started > 30 * IMAGES * interval + 120)
            cycle = time.perf_counter() - started
            first_transitions, first_seen = watch.transitions, len(watch.seen)
            first = _metrics(driver)
            first_cache = _cached_images(driver)
            soak_started = time.perf_counter()
            watch.until(lambda: time.perf_counter() - soak_started >= seconds)
            soaked = time.perf_counter() - soak_started
            end = _metrics(driver)
            end_cache = _cached_images(driver)
            soak_transitions = watch.transitions - first_transitions
        finally:
            if driver is not None:
                driver.quit()
            server.stop()
            shutil.rmtree(profile, ignore_errors=True)
    rows: list[list[object]] = [
        ["JS heap used (MB)", f"{first['JSHeapUsedSize'] / 2**20:.2f}", f"{end['JSHeapUsedSize'] / 2**20:.2f}",
         _verdict(first["JSHeapUsedSize"], end["JSHeapUsedSize"])],
        ["DOM nodes", f"{first['Nodes']:.0f}", f"{end['Nodes']:.0f}", _verdict(first["Nodes"], end["Nodes"])],
        ["event listeners", f"{first.get('JSEventListeners', 0):.0f}", f"{end.get('JSEventListeners', 0):.0f}", "—"],
        ["cached images (service worker)", first_cache, end_cache, "—"],
    ]
    expected = soaked / interval
    return (
        "## Wall screen soak\n\n"
        f"`/display/?zone=1&interval={interval}` in headless Chromium (1920×1080) over a zone of {IMAGES} "
        f"painted landscape images (the server in its own process; planting {2 * IMAGES} images and "
        f"starting took {planted:.0f} s). The first full cycle ({first_seen} of the {IMAGES} images "
        f"shown) took {cycle:.0f} s and {first_transitions} transitions; then {soaked / 60:.1f} min of display: "
        f"{soak_transitions} transitions ({soak_transitions / expected:.0%} of one per interval). "
        f"Broken images seen on screen: {watch.broken} in {watch.samples} samples (every "
        f"{SAMPLE_SECONDS * 1000:.0f} ms). Memory from the DevTools Protocol (`Performance.getMetrics`) "
        "after `HeapProfiler.collectGarbage`, after the first cycle and at the end; goal: the end within "
        f"{GOAL:.0%} of the first.\n\n"
        + table(["measure", "after the first cycle", "at the end", "end ÷ first"], rows) + "\n"
    )
