"""POST /emotion under load, through the real threaded local server: photos that wait for an
analysis never take every server thread, so the garden keeps answering; photos beyond the
queue, and a client's photos beyond its share, are turned away at once (503 / 429 with
Retry-After) instead of hanging. The analyzer is a stand-in the test holds still, put behind
the composition root."""
from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from chalicelib.web import context
from chalicelib.faces import BoundingBox, Face
from chalicelib.faces import service
from chalicelib.rules.emotions import EMOTIONS
from tests.hardening.server import call
from tests.stacks import threaded_server
from tests.timing import scaled, wait_until

SLOTS, WAITERS = service.ANALYSIS_SLOTS, service.ANALYSIS_WAITERS


class HeldAnalyzer:
    """Finds one happy face, but only once the test lets it go; counts analyses started."""

    name = "held"

    def __init__(self) -> None:
        self.started = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def analyze(self, image):
        with self._lock:
            self.started += 1
        assert self.release.wait(scaled(60)), "the test never let the analyzer go"
        scores = {e: (90.0 if e == "HAPPY" else 1.0) for e in EMOTIONS}
        return [Face(box=BoundingBox(0.2, 0.2, 0.5, 0.5), emotions=scores)]


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 80)).save(out, "JPEG")
    return out.getvalue()


PHOTO = _photo()


@pytest.fixture
def held(monkeypatch) -> Iterator[HeldAnalyzer]:
    analyzer = HeldAnalyzer()
    context.override(analyzer=analyzer)
    # a photo that gets in line may wait for longer than this test runs: only the bound on
    # how many wait can keep the server's threads free, not a short timeout
    monkeypatch.setattr(service.ANALYSES, "wait_s", scaled(60))
    try:
        yield analyzer
    finally:
        analyzer.release.set()


@pytest.fixture
def origin(held) -> Iterator[str]:
    with threaded_server() as server:
        yield server.url


class Visitors:
    """Photos posted from threads, each from its own loopback address unless told."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.answers: list[tuple[int, dict[str, str], object]] = []
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def post(self, source: str) -> None:
        def run() -> None:
            answer = call(self.origin, "POST", "/emotion", PHOTO, {"Content-Type": "image/jpeg"},
                          timeout=scaled(90), source=source)
            with self._lock:
                self.answers.append(answer)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def answered(self) -> list[tuple[int, dict[str, str], Any]]:
        with self._lock:
            return list(self.answers)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(scaled(60))
        assert not any(t.is_alive() for t in self.threads), "a photo was never answered"


def test_the_garden_answers_while_photos_queue_and_photos_beyond_the_queue_are_503(origin, held):
    visitors = Visitors(origin)
    extra = 8
    for n in range(SLOTS + WAITERS + extra):
        visitors.post(f"127.0.2.{n + 2}")
    wait_until(lambda: held.started == SLOTS, what="the analysis slots to fill")

    # every slot is taken and photos wait: the garden still gets a thread
    status, _, body = call(origin, "GET", "/garden?emotion=HAPPY", timeout=scaled(10))
    assert status == 200 and body["emotion"] == "HAPPY", body

    # the photos beyond the queue are turned away at once, saying when to try again …
    turned_away: Any = wait_until(lambda: len(visitors.answered()) >= extra and visitors.answered(),
                                  timeout=20, what="the photos beyond the queue to be answered")
    assert len(turned_away) == extra, turned_away
    for status, headers, answer in turned_away:
        assert status == 503 and int(headers["retry-after"]) >= 1, (status, headers, answer)
        assert "try again" in answer["message"]
    assert held.started == SLOTS   # … and the ones in line are still waiting for their turn

    held.release.set()
    visitors.join()
    read = [a for a in visitors.answered() if a[0] != 503]
    assert [a[0] for a in read] == [200] * (SLOTS + WAITERS), read
    assert all(a[2]["emotions"] == "HAPPY" for a in read)


def test_one_client_has_at_most_two_photos_in_flight(origin, held):
    visitors = Visitors(origin)
    for _ in range(service.ANALYSES_PER_CLIENT):
        visitors.post("127.0.3.7")
    wait_until(lambda: held.started == service.ANALYSES_PER_CLIENT,
               what="the client's photos to be read")

    status, headers, answer = call(origin, "POST", "/emotion", PHOTO, {"Content-Type": "image/jpeg"},
                                   timeout=scaled(10), source="127.0.3.7")
    assert status == 429 and int(headers["retry-after"]) >= 1, (status, headers, answer)
    assert "photos being read" in answer["message"]

    # another client still gets in line
    visitors.post("127.0.3.8")
    held.release.set()
    visitors.join()
    assert sorted(a[0] for a in visitors.answered()) == [200] * (service.ANALYSES_PER_CLIENT + 1)
