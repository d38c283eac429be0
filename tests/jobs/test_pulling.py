"""Jobs on the local stack (the state machine in moto's interpreter, SQLite, the folder store)
with real HTTP endpoints: workers pull, a dead endpoint costs its job nothing, a slow one
makes fewer; operators list, follow and cancel jobs through the API."""
from __future__ import annotations

import contextlib
import json
import time

import pytest
from chalice.test import Client

from chalicelib.web import context
from chalicelib.generators.endpoint_server import serve_endpoint
from chalicelib.jobs import bulk, lifecycle, text2image
from tests.jobs._turns import turns_in_flight
from tests.timing import scaled, wait_until
from tests.workflow.fakes import ScriptedGenerator

ADMIN_KEY = "jobs-admin-key-0123456789"
REFUSED = "http://127.0.0.1:9/invocations"   # nothing listens: connection refused


@contextlib.contextmanager
def garden(monkeypatch, *delays: float, refused: int = 0):
    """A local garden whose endpoints are HTTP servers taking ``delays`` seconds per image,
    plus ``refused`` endpoints that refuse every connection."""
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(serve_endpoint(ScriptedGenerator("http:"), delay=d))
                   for d in delays]
        urls = [s.url for s in servers] + [REFUSED] * refused
        monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps(urls))
        monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
        context.rebuild()
        yield urls


def settled(job_id: str, timeout: float = 60) -> dict:
    jobs, engine = context.current().job_store, context.current().workflow
    deadline = time.monotonic() + scaled(timeout)
    while True:
        view = lifecycle.get_job(job_id, jobs=jobs, engine=engine)
        if view["status"] != "RUNNING" or time.monotonic() > deadline:
            return view
        time.sleep(0.02)


def start_bulk(count: int) -> str:
    answer = bulk.start_bulk({"emotion": "HAPPY", "count": count}, jobs=context.current().job_store,
                             engine=context.current().workflow, endpoints=context.current().settings.workers)
    return str(answer["jobId"])


def call(client, method: str, path: str, key: str | None = ADMIN_KEY):
    headers = {"Content-Type": "application/json", **({"x-api-key": key} if key else {})}
    response = getattr(client.http, method)(path, headers=headers)
    return response.status_code, json.loads(response.body or b"null")


def test_a_dead_endpoints_share_is_made_by_the_others(monkeypatch):
    """The issue's case: 3×2 over two endpoints and one that refuses connections."""
    with garden(monkeypatch, 0.0, 0.0, refused=1) as urls:
        view = settled(start_bulk(3))
    assert view["status"] == "SUCCEEDED", view["errors"]
    assert (view["completed"], view["failed"]) == (6, 0)
    assert sorted(i["n"] for i in view["images"]) == list(range(6))
    assert REFUSED not in {i["endpoint"] for i in view["images"]}
    # the dead endpoint is one line, however many images it was dealt
    assert [(e["endpoint"], e["error"]) for e in view["retries"]] == [(REFUSED, "EndpointFailed")]
    assert [(s["endpoint"], s["failed"], s["retried"]) for s in view["errorSummary"]] == [(REFUSED, 0, 1)]
    assert view["deadEndpoints"] == [REFUSED] and len(urls) == 3


def test_a_slow_endpoint_makes_fewer_images():
    pytest.importorskip("PIL")
    with pytest.MonkeyPatch.context() as monkeypatch, garden(monkeypatch, 0.01, 0.3) as urls:
        outcome = text2image.run({"text": "A flower, happy", "count": 12, "width": 256,
                                  "height": 256}, jobs=context.current().job_store,
                                 engine=context.current().workflow, endpoints=context.current().settings.workers,
                                 wait_seconds=60)
        view = outcome.view  # type: ignore[union-attr]
    assert view["status"] == "SUCCEEDED" and view["completed"] == 12
    made = {url: sum(1 for i in view["images"] if i["endpoint"] == url) for url in urls}
    assert made[urls[0]] > made[urls[1]] >= 1, made


def test_a_running_job_is_cancelled_and_stops_making_images(monkeypatch):
    with garden(monkeypatch, 0.15, 0.15), turns_in_flight(monkeypatch) as turns:
        job_id = start_bulk(20)           # 40 images, about 3 s on two endpoints
        jobs, engine = context.current().job_store, context.current().workflow
        wait_until(lambda: lifecycle.get_job(job_id, jobs=jobs, engine=engine)["completed"] >= 2,
                   30, "two images made")
        view = lifecycle.cancel_job(job_id, jobs=jobs, engine=engine)
        assert view["status"] == "CANCELLED" and view["cancelledAt"] == view["finishedAt"]
        made = view["completed"]
        execution = engine.wait(jobs.job_summary(job_id)["executionId"], scaled(10))
        assert execution.status == "ABORTED"
        # the turns in flight at the cancel end; none after them can claim an image
        wait_until(lambda: turns() == 0, 10, "the worker turns in flight to end")
        later = lifecycle.get_job(job_id, jobs=jobs, engine=engine)
        # an image being made when the cancel came may still land; nothing after it
        assert later["status"] == "CANCELLED" and made <= later["completed"] <= made + 2 < 40
        assert [u["state"] for u in jobs.work(job_id)].count("open") >= 30
        # again: the same answer; the images made stay in the pool
        assert lifecycle.cancel_job(job_id, jobs=jobs, engine=engine)["status"] == "CANCELLED"
        assert all(context.current().store.exists(i["key"]) for i in later["images"])


def test_the_api_lists_cancels_and_refuses_what_it_cannot_do(monkeypatch):
    with garden(monkeypatch, 0.2, 0.5):   # the second job outlives the calls before its cancel
        from app import app
        with Client(app) as client:
            done = start_bulk(1)
            assert settled(done)["status"] == "SUCCEEDED"
            slow = start_bulk(10)
            status, listed = call(client, "get", "/jobs?limit=1")
            assert status == 200 and [j["jobId"] for j in listed["jobs"]] == [slow]
            assert listed["jobs"][0]["status"] == "RUNNING" and listed["jobs"][0]["requested"] == 20
            status, rest = call(client, "get", f"/jobs?limit=1&cursor={listed['cursor']}")
            assert [j["jobId"] for j in rest["jobs"]] == [done] and "cursor" not in rest
            assert rest["jobs"][0]["completed"] == 2
            running = call(client, "get", "/jobs?status=running&kind=bulk")[1]["jobs"]
            assert [j["jobId"] for j in running] == [slow]
            assert call(client, "post", f"/jobs/{slow}/cancel")[1]["status"] == "CANCELLED"
            assert call(client, "post", f"/jobs/{slow}/cancel")[0] == 200     # idempotent
            status, body = call(client, "post", f"/jobs/{done}/cancel")
            assert status == 409 and "SUCCEEDED" in body["message"]
            assert call(client, "post", "/jobs/20260101T000000-0000000000/cancel")[0] == 404
            assert call(client, "get", "/jobs", key=None)[0] == 401
            assert call(client, "post", f"/jobs/{slow}/cancel", key="wrong")[0] == 403
            for bad in ("status=MAYBE", "kind=nightly", "limit=0", "limit=101", "limit=1e3",
                        "cursor=not-ours", "cursor=%00%ff"):
                status, body = call(client, "get", f"/jobs?{bad}")
                assert status == 400 and body["message"], bad
