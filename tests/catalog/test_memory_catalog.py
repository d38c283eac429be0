"""Memory-only behaviour: the in-memory adapters are safe to share between threads, as the
workflow's parallel branches and the local server's request threads share them."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.catalog import Outcome
from chalicelib.catalog.memory import MemoryImageIndex, MemoryJobStore
from chalicelib.errors import InvalidRequest

KEY = "emotions/HAPPY/rose/bloom 1h.jpeg"


def test_eight_threads_liking_at_once_count_every_visitor_exactly_once(make_record):
    index = MemoryImageIndex()
    index.apply_created(make_record(KEY), "01")
    start = threading.Barrier(8)

    def worker(t: int) -> list[tuple[int, bool]]:
        start.wait()
        return [index.like(KEY, f"v{t}-{i}") for i in range(50)] + \
               [index.like(KEY, f"v{t}-{i}") for i in range(0, 50, 10)]

    with ThreadPoolExecutor(8) as pool:
        results = [r for rs in pool.map(worker, range(8)) for r in rs]
    assert sorted(n for n, counted in results if counted) == list(range(1, 401))
    assert sum(not counted for _, counted in results) == 40
    assert index.get_image(KEY).likes == 400


def test_concurrent_created_events_leave_the_newest_one(make_record):
    index = MemoryImageIndex()
    start = threading.Barrier(8)
    sequencers = [f"{n:04X}" for n in range(1, 161)]

    def deliver(chunk: int) -> list[Outcome]:
        start.wait()
        return [index.apply_created(make_record(KEY, size=int(s, 16)), s)
                for s in sequencers[chunk::8]]

    with ThreadPoolExecutor(8) as pool:
        outcomes = [o for os in pool.map(deliver, range(8)) for o in os]
    assert outcomes.count(Outcome.ADDED) == 1
    assert index.get_image(KEY).size == 160


def test_parallel_branches_recording_entries_lose_nothing():
    jobs = MemoryJobStore()
    jobs.create_job({"jobId": "j", "status": "RUNNING"})
    start = threading.Barrier(8)

    def branch(b: int) -> None:
        start.wait()
        for n in range(b, 400, 8):
            jobs.append_job_entry("j", "errors", {"n": n, "endpoint": f"http://e{b}",
                                                  "error": "EndpointFailed"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(branch, range(8)))
    job = jobs.get_job("j")
    assert [e["n"] for e in job["errors"]] == list(range(400))
    assert job["deadEndpoints"] == sorted(f"http://e{b}" for b in range(8))


def test_what_json_cannot_hold_is_refused_as_the_file_would():
    jobs = MemoryJobStore()
    with pytest.raises(InvalidRequest):
        jobs.create_job({"jobId": "j", "request": {"when": object()}})
    jobs.create_job({"jobId": "j"})
    with pytest.raises(InvalidRequest):
        jobs.append_job_entry("j", "images", {"n": 0, "data": b"bytes"})  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        jobs.update_job("j", {"status": {1, 2}})  # type: ignore[typeddict-item]
    assert jobs.get_job("j") == {"jobId": "j", "images": [], "errors": []}
