"""Time in tests: wait for the event a test needs, never for a fixed time.

- ``scaled(seconds)``: a deadline, stretched by ``GARDEN_TEST_TIME_SCALE`` (default 1; set it
  to 3 or more on a slow or loaded machine). A deadline only bounds how long a test waits for
  something that should happen; it never decides the outcome of a test that passes.
- ``wait_until(predicate, timeout, what)``: polls ``predicate`` until it is true (returns its
  value) or the scaled deadline passes (fails the test, naming ``what``).
- ``FakeClock``: a clock the test moves by hand, for leases and other deadlines in the product.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def time_scale() -> float:
    try:
        scale = float(os.environ.get("GARDEN_TEST_TIME_SCALE", "1"))
    except ValueError:
        return 1.0
    return scale if scale >= 1 else 1.0


def scaled(seconds: float) -> float:
    """A deadline in seconds, stretched for slow machines."""
    return seconds * time_scale()


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, what: str = "the event",
               interval: float = 0.01) -> T:
    """Poll ``predicate`` until it returns something true; fail after the scaled ``timeout``."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {scaled(timeout):.1f} s waiting for {what}")
        time.sleep(interval)


class FakeClock:
    """A monotonic-style clock that only moves when the test says so (thread-safe)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
