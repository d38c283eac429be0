"""The wall screen (/display/?zone=N) in a real browser, against a local server in a process of
its own that the tests stop and start again (same port, same data directory), as a room's
server is restarted or its network drops while the screens keep running: the zone's images
cross-fade with never a broken one, a screen keeps showing its images while the server is
away (even across a reload, from its service worker) and picks up a new zone afterwards, and
a zone that follows the kiosk changes within seconds of a reading — at once, not at the end of
the image on screen."""
from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.hardening.server import ServerProcess
from tests.timing import scaled

from .conftest import ARTIFACTS, desktop

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "e2e-display-admin-key"
FAST = "interval=0.3&poll=0.5&retry=1"   # a transition every 0.3 s; retries at most 1 s apart
VISIBLE = ("const layer = document.querySelector('.display-layer.shown');"
           "return layer ? [layer.dataset.key || '', layer.naturalWidth, layer.complete,"
           " getComputedStyle(layer).opacity] : null")
ON_SCREEN = "return document.documentElement.dataset.version || null"   # the answer on screen


class WallServer(ServerProcess):
    """The room's server, on one port and data directory for the whole module: stop() and
    start() again are a restart."""

    def __init__(self, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GARDEN_", "AWS_"))}
        env.update({"PYTHONPATH": str(ROOT), "GARDEN_DEMO": "1", "GARDEN_ADMIN_KEY": ADMIN_KEY,
                    "AWS_DEFAULT_REGION": "us-east-1", "LANG": "C.UTF-8"})
        super().__init__(data_dir, env)

    def start(self, timeout: float = 90) -> None:   # the first start plants the demo garden
        super().start(timeout)

    def call(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> tuple[int, object]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            sent = {**(headers or {})}
            data = raw
            if body is not None:
                data = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            text = response.read()
        finally:
            conn.close()
        return response.status, (json.loads(text) if text else None)

    def zone(self, zone: int, config: dict) -> dict:
        status, body = self.call("PUT", f"/zones/{zone}", config, {"x-api-key": ADMIN_KEY})
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    def answer(self, zone: int) -> dict:
        status, body = self.call("GET", f"/zones/{zone}")
        assert status == 200 and isinstance(body, dict), body
        return body


@pytest.fixture(scope="module")
def wall(tmp_path_factory) -> Iterator[WallServer]:
    server = WallServer(tmp_path_factory.mktemp("wall-garden"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Screen:
    def __init__(self, driver, origin: str) -> None:
        self.driver = driver
        self.origin = origin

    def open(self, query: str) -> None:
        self.driver.get(f"{self.origin}/display/?{query}")

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def visible(self):
        return self.js(VISIBLE)

    def wait(self, seconds: float = 20) -> WebDriverWait:
        return WebDriverWait(self.driver, scaled(seconds), poll_frequency=0.05)

    def watch(self, transitions: int, seconds: float = 30) -> list[list]:
        """What the screen shows, sampled every 20 ms until the image changed `transitions`
        times: every sample whose layer is fully shown."""
        samples: list[list] = []
        changes = 0
        last = None
        deadline = time.monotonic() + scaled(seconds)
        while changes < transitions:
            assert time.monotonic() < deadline, f"only {changes} transitions: {samples[-5:]}"
            shown = self.visible()
            if shown is not None:
                samples.append(shown)
                if shown[0] != last:
                    changes += last is not None
                    last = shown[0]
            time.sleep(0.02)
        return samples

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def cached_images(self) -> list[str]:
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "caches.open('display-images').then(c => c.keys()).then(k => done(k.map(r => r.url)), e => done(String(e)));")


@pytest.fixture
def screen(browser, wall) -> Iterator[Screen]:
    browser.get_log("browser")
    desktop(browser)
    current = Screen(browser, wall.origin)
    allowed: list[str] = []
    current.allowed = allowed   # type: ignore[attr-defined]
    yield current
    console = browser.get_log("browser")
    browser.get("about:blank")
    # the next test (or test module) starts without this one's worker, caches or storage
    browser.execute_cdp_cmd("Storage.clearDataForOrigin", {
        "origin": wall.origin, "storageTypes": "service_workers,cache_storage,local_storage"})
    errors = [e["message"] for e in console if e["level"] == "SEVERE"
              and not any(fragment in e["message"] for fragment in allowed)]
    assert errors == [], f"console errors: {errors}"


def _landscape_keys(answer: dict) -> list[str]:
    return [item["key"] for item in answer["landscape"]]


def _all_shown(samples: list[list]) -> None:
    broken = [s for s in samples if not (s[1] > 0 and s[2])]
    assert broken == [], f"a broken or unloaded image on screen: {broken[:5]}"


def test_the_screen_cross_fades_through_its_zone_and_never_shows_a_broken_image(screen, wall):
    keys = _landscape_keys(wall.answer(1))[:6]
    assert len(keys) == 6, keys
    caption = "The east wall <b>— 동쪽 벽</b>"   # text, never markup
    wall.zone(1, {"mode": "chosen", "images": keys, "caption": caption})
    # one image of the zone is gone from the disk: the screen skips it, never shows it broken
    missing = keys[2]
    file = wall.data_dir / "objects" / missing
    kept = file.read_bytes()
    file.unlink()
    screen.allowed.append(missing.rsplit("/", 1)[-1])   # its 404 in the console
    try:
        screen.open(f"zone=1&{FAST}")
        screen.wait().until(lambda d: screen.visible() is not None)
        samples = screen.watch(transitions=10)
    finally:
        file.write_bytes(kept)
    _all_shown(samples)
    seen = {s[0] for s in samples}
    assert seen <= set(keys) - {missing} and len(seen) == 5, seen
    # the whole page: two image layers and the caption, whatever ran; no scrollbar, no cursor
    assert screen.js("return [...document.body.querySelectorAll('*')].map(e => e.tagName)") == ["IMG", "IMG", "P"]
    assert screen.js("return document.getElementById('caption').textContent") == caption
    assert screen.js("return [document.documentElement.scrollWidth <= innerWidth,"
                     " document.documentElement.scrollHeight <= innerHeight,"
                     " getComputedStyle(document.body).cursor, getComputedStyle(document.body).overflow]") == [
        True, True, "none", "hidden"]
    assert screen.js("return getComputedStyle(document.querySelector('.display-layer')).objectFit") == "cover"
    screen.shot("display-1-zone")
    # a portrait screen shows the zone's portrait images (none chosen here: the landscape ones)
    screen.open(f"zone=1&orientation=portrait&{FAST}&lang=ko")
    screen.wait().until(lambda d: screen.visible() is not None)
    assert screen.visible()[0] in keys
    assert screen.js("return document.documentElement.lang") == "ko"


def test_a_zone_with_nothing_to_show_is_a_calm_dark_screen(screen, wall):
    screen.open(f"zone=abc&{FAST}")   # an unreadable zone: nothing asked, nothing shown
    # the page has started (it says how many times it asked for its zone: never, here)
    screen.wait().until(lambda d: screen.js("return document.documentElement.dataset.asked") is not None)
    assert screen.js("return document.documentElement.dataset.asked") == "0"
    assert screen.visible() is None
    assert screen.js("return [getComputedStyle(document.body).backgroundColor,"
                     " document.body.innerText.trim()]") == ["rgb(0, 0, 0)", ""]
    screen.shot("display-2-dark")


def test_the_screen_keeps_showing_while_the_server_is_away_and_picks_up_a_new_zone_after(screen, wall):
    garden = _landscape_keys(wall.answer(99))
    first, then = garden[:3], garden[3:5]
    assert len(then) == 2, garden
    wall.zone(1, {"mode": "chosen", "images": first})
    screen.open(f"zone=1&{FAST}")
    # the service worker takes the page over, keeps the zone's answer and fetches its images
    screen.wait(30).until(lambda d: screen.js("return navigator.serviceWorker.controller !== null"))
    urls = {item["url"] for item in wall.answer(1)["landscape"]}
    screen.wait(30).until(lambda d: urls <= set(screen.cached_images()))

    wall.stop()
    screen.allowed += ["ERR_CONNECTION_REFUSED", "FetchEvent", "net::ERR_FAILED"]
    samples = screen.watch(transitions=6)
    _all_shown(samples)
    assert {s[0] for s in samples} == set(first)
    # a reload with the server down: the worker gives the page, the answer and the images
    screen.driver.refresh()
    screen.wait(20).until(lambda d: screen.visible() is not None)
    samples = screen.watch(transitions=4)
    _all_shown(samples)
    assert {s[0] for s in samples} == set(first)
    screen.shot("display-3-offline")

    wall.start()
    wall.zone(1, {"mode": "chosen", "images": then})
    screen.wait(30).until(lambda d: (screen.visible() or [""])[0] in then)
    samples = screen.watch(transitions=3)
    _all_shown(samples)
    assert {s[0] for s in samples} == set(then)
    # the images no kept answer names are gone from the worker's cache
    answer = wall.answer(1)
    wanted = {item["url"] for item in answer["landscape"] + answer["portrait"]}
    screen.wait(10).until(lambda d: set(screen.cached_images()) <= wanted)
    screen.shot("display-4-back")


def test_a_zone_that_follows_the_kiosk_switches_at_once_not_when_the_image_on_screen_ends(screen, wall, photos):
    """Each image stays 30 s here and the screen asks every 3 s (the follow mode's own poll): a
    reading made just after the first image came is on screen within a few seconds. A page that
    kept a new answer for its next transition would show it only when the 30 s were over."""
    wall.zone(1, {"mode": "follow"})
    before = wall.answer(1)
    assert before["mode"] == "follow" and before["poll"] == 3
    screen.open("zone=1&interval=30&retry=1")
    screen.wait().until(lambda d: screen.visible() is not None and screen.js(ON_SCREEN) == before["version"])
    status, reading = wall.call("POST", "/emotion", raw=photos["face"].read_bytes(),
                                headers={"Content-Type": "image/jpeg"})
    assert status == 200, reading
    assert isinstance(reading, dict)
    emotion = reading["emotions"]
    after = wall.answer(1)
    assert after["emotion"] == emotion and after["version"] != before["version"]
    expected = set(_landscape_keys(after))
    assert expected and all(k.startswith(f"emotions/{emotion}/") for k in expected)
    # the deadline only bounds the wait (the next question, then one image to decode and the
    # cross-fade under way to end): the old page needed the rest of the 30 s
    screen.wait(10).until(lambda d: (screen.visible() or [""])[0] in expected)
    # the rotation on screen is the new answer's: only that emotion's images from now on
    assert screen.js(ON_SCREEN) == after["version"]
    _all_shown([screen.visible()])
    screen.shot("display-5-follow")
