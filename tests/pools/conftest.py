"""Fixtures for the pool routes: the app's test client, with an admin key configured."""
from __future__ import annotations

import json

import pytest
from chalice.test import Client

from chalicelib.web import context
from tests.images import jpeg

ADMIN_KEY = "test-admin-key-0123456789"


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
    context.rebuild()
    from app import app
    with Client(app) as c:
        yield c


def respond(client, method: str, path: str, body=None, key: str | None = ADMIN_KEY, headers=None):
    """(status, JSON body or None, headers in lower case) of one request; ``key=None`` sends
    no admin key."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        sent["x-api-key"] = key
    raw = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
    response = getattr(client.http, method.lower())(path, headers=sent, **({"body": raw} if raw is not None else {}))
    payload = json.loads(response.body) if response.body else None
    return response.status_code, payload, {k.lower(): v for k, v in response.headers.items()}


def call(client, method: str, path: str, body=None, key: str | None = ADMIN_KEY, headers=None):
    """(status, JSON body) of one request; ``key=None`` sends no admin key."""
    status, payload, _ = respond(client, method, path, body, key, headers)
    return status, payload


def plant(key: str, created: str = "2026-01-01T00:00:00Z", **prov) -> bytes:
    data = jpeg(prov={"prompt": "A flower, test", "createdAt": created, "seed": 7, **prov})
    context.current().store.put(key, data)
    return data


def wait_for_job(client, job_id: str, timeout: float = 60.0) -> dict:
    """Poll GET /jobs/{id} until the job has settled (no timing is asserted)."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        status, job = call(client, "GET", f"/jobs/{job_id}", key=None)
        assert status == 200, job
        if job["status"] != "RUNNING" or time.monotonic() > deadline:
            return job
        time.sleep(0.02)
