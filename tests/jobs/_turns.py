"""Waiting for a job's workers to be done: a count of the worker turns (``steps.work``) in
flight, wherever the workflow runs them (the local engine's threads, Step Functions' under
moto). After a cancel no turn can claim an image, so once none is in flight nothing more
lands: a test waits for that event instead of sleeping."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.jobs import steps


@contextlib.contextmanager
def turns_in_flight(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    """Yields a function answering how many worker turns are running now (the task table
    looks ``steps.work`` up on every call, so every turn goes through the count)."""
    running = [0]
    lock = threading.Lock()
    work = steps.work

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        with lock:
            running[0] += 1
        try:
            return work(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(steps, "work", counted)

    def count() -> int:
        with lock:
            return running[0]
    yield count
