"""POST /text2image and GET /jobs/{id} end to end on the local stack: the real state machine
under moto's interpreter, a folder store and SQLite catalog in a temporary directory, and
real fake inference endpoints (HTTP servers on 127.0.0.1) with injected faults."""
from __future__ import annotations

import contextlib
import io
import json
import time

import pytest
from chalice.test import Client
from PIL import Image

from chalicelib.web import context
from chalicelib.generators.endpoint_server import serve_endpoint
from chalicelib.generators.painter import PainterGenerator
from chalicelib.rules import provenance

PROMPT = "A flower, fantasy, happy, young, smile, concept art"


@pytest.fixture
def client():
    from app import app
    with Client(app) as c:
        yield c


@pytest.fixture
def endpoints(monkeypatch):
    """endpoints("ok", ("fail",), ...) → serving EndpointServers, configured as GARDEN_ENDPOINTS."""
    with contextlib.ExitStack() as stack:
        def start(*specs):
            servers = []
            for spec in specs:
                mode, options = (spec, {}) if isinstance(spec, str) else spec
                servers.append(stack.enter_context(
                    serve_endpoint(PainterGenerator(), mode=mode, **options)))
            monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps([s.url for s in servers]))
            context.rebuild()
            return servers
        yield start


def post(client, body, content_type="application/json"):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    response = client.http.post("/text2image", body=raw, headers={"Content-Type": content_type})
    return response.status_code, json.loads(response.body or b"null")


def get_job(client, job_id):
    response = client.http.get(f"/jobs/{job_id}")
    return response.status_code, json.loads(response.body)


def stored(url: str) -> bytes:
    key = url.split("/", 3)[3]
    return context.current().store.get(key)


def test_two_endpoints_give_two_768x512_jpegs_carrying_their_prompt(client, endpoints):
    servers = endpoints("ok", "ok")
    status, body = post(client, {"text": PROMPT})
    assert status == 200, body
    assert body["statusCode"] == 200 and json.loads(body["body"]) == body["urls"]
    assert len(body["urls"]) == 2 and body["errors"] == [] and body["status"] == "SUCCEEDED"
    assert isinstance(body["time"], float)
    for url in body["urls"]:
        data = stored(url)
        assert Image.open(io.BytesIO(data)).size == (768, 512)
        origin = provenance.read(data)
        assert origin["prompt"] == PROMPT and origin["width"] == 768 and origin["jobId"] == body["jobId"]
        # the object event indexed it; the workflow never wrote the image item itself
        assert context.current().image_index.get_image(url.split("/", 3)[3]).area == "text2image"
    status, job = get_job(client, body["jobId"])
    assert status == 200
    assert (job["kind"], job["status"], job["requested"], job["completed"], job["failed"]) == \
        ("text2image", "SUCCEEDED", 2, 2, 0)
    assert [i["url"] for i in job["images"]] == body["urls"]
    assert {i["endpoint"] for i in job["images"]} == {s.url for s in servers}


def test_a_dead_endpoints_image_is_made_by_the_other(client, endpoints):
    _, dead = endpoints("ok", "fail")
    status, body = post(client, {"text": PROMPT})
    assert status == 200 and body["status"] == "SUCCEEDED" and body["errors"] == []
    assert len(body["urls"]) == 2 and all(stored(url) for url in body["urls"])
    _, job = get_job(client, body["jobId"])
    assert (job["status"], job["completed"], job["failed"], job["retried"]) == ("SUCCEEDED", 2, 0, 1)
    (retry,) = job["retries"]
    assert (retry["endpoint"], retry["error"]) == (dead.url, "EndpointFailed")
    assert "500" in retry["message"] and job["deadEndpoints"] == [dead.url]


def test_a_dead_endpoint_is_tried_once_per_job_and_is_one_line_of_its_errors(client, endpoints):
    _, dead = endpoints("ok", "fail")
    status, body = post(client, {"text": PROMPT, "count": 6})
    assert status == 200 and body["status"] == "SUCCEEDED" and len(body["urls"]) == 6
    assert dead.requests == 1
    _, job = get_job(client, body["jobId"])
    assert [(line["endpoint"], line["failed"], line["retried"]) for line in job["errorSummary"]] == [
        (dead.url, 0, 1)]


def test_all_endpoints_dead_is_a_failed_job_with_the_reasons(client, endpoints):
    first, second = endpoints("fail", "fail")
    status, body = post(client, {"text": PROMPT, "count": 3})
    assert status == 200 and body["status"] == "FAILED"
    assert body["urls"] == [] and json.loads(body["body"]) == []
    assert len(body["errors"]) == 3 and (first.requests, second.requests) == (1, 1)
    # each endpoint tried one image and left. Which images they held depends on timing (the
    # second may have taken the image the first gave back): an image an endpoint failed says
    # why, the others had no endpoint left — and the summary names both endpoints once each
    kinds = [e["error"] for e in body["errors"]]
    assert "EndpointFailed" in kinds and set(kinds) <= {"EndpointFailed", "NoEndpointLeft"}
    assert {e["endpoint"] for e in body["errors"] if e["error"] == "EndpointFailed"} <= {first.url, second.url}
    job = client.http.get(f"/jobs/{body['jobId']}").json_body
    summary = {(line["endpoint"], line["error"]) for line in job["errorSummary"]}
    assert {(first.url, "EndpointFailed"), (second.url, "EndpointFailed")} <= summary
    assert list(context.current().store.list("text2image/")) == []


def test_throttling_is_retried_and_the_image_arrives(client, endpoints):
    (busy,) = endpoints(("throttle", {"faults": 1}))
    status, body = post(client, {"text": PROMPT})
    assert status == 200 and body["status"] == "SUCCEEDED" and len(body["urls"]) == 1
    assert (busy.requests, busy.images) == (2, 1)


@pytest.mark.parametrize("mode", ["garbage", "wrong-size"])
def test_garbage_or_the_wrong_size_is_a_bad_image_entry_never_a_stored_file(client, endpoints, mode):
    endpoints("ok", mode)
    status, body = post(client, {"text": PROMPT, "width": 640, "height": 480})
    # the bad answer is stored nowhere; its image is made by the other endpoint
    assert status == 200 and body["status"] == "SUCCEEDED" and body["errors"] == []
    _, job = get_job(client, body["jobId"])
    assert [r["error"] for r in job["retries"]] == ["BadImage"]
    assert len(list(context.current().store.list("text2image/"))) == 2


def test_a_slow_job_answers_202_and_shows_images_as_they_finish(client, endpoints, monkeypatch):
    monkeypatch.setenv("GARDEN_WAIT_SECONDS", "0")
    endpoints(("ok", {"delay": 0.4}))
    status, body = post(client, {"text": PROMPT, "count": 3})
    assert status == 202
    assert body == {"jobId": body["jobId"], "status": "RUNNING", "statusUrl": f"/jobs/{body['jobId']}"}
    seen_partial = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, job = get_job(client, body["jobId"])
        if job["status"] == "RUNNING" and job["completed"] >= 1:
            seen_partial = True
            assert all(stored(url) for url in job["urls"])   # only URLs of images that exist
        if job["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert seen_partial, "no image was visible before the job ended"
    assert (job["status"], job["completed"]) == ("SUCCEEDED", 3)


@pytest.mark.parametrize("raw, content_type, status", [
    (b"{not json", "application/json", 400), (b"", "application/json", 400),
    (b"[1, 2]", "application/json", 400), (b"text=rose", "application/x-www-form-urlencoded", 415),
    (json.dumps({"text": "x", "width": 333}), "application/json", 400),
    (json.dumps({"text": ""}), "application/json", 400),
])
def test_bad_request_bodies_are_refused_with_a_message(client, endpoints, raw, content_type, status):
    endpoints("ok")
    got, body = post(client, raw, content_type)
    assert got == status and body["message"]


def test_a_bad_size_message_names_the_allowed_sizes(client, endpoints):
    endpoints("ok")
    _, body = post(client, {"text": "x", "width": 1000, "height": 700})
    assert "768x512" in body["message"] and "1280x800" in body["message"]


def test_an_unknown_job_is_404(client, endpoints):
    endpoints("ok")
    status, body = get_job(client, "20260101T000000-0000000000")
    assert status == 404 and "no job" in body["message"]


def test_text2image_is_rate_limited_per_client_locally(client):
    from chalicelib.web import admin
    body = json.dumps({"text": ""})  # refused as bad input, but each request still counts
    burst = admin.TEXT2IMAGE_LIMIT.burst
    statuses = [client.http.post("/text2image", body=body, headers={"Content-Type": "application/json"}).status_code
                for _ in range(burst + 1)]
    assert statuses == [400] * burst + [429]


def test_wait_zero_answers_202_at_once_for_pages_that_poll(client):
    response = client.http.post("/text2image", body=json.dumps({"text": "a calm flower", "wait": 0}),
                                headers={"Content-Type": "application/json"})
    body = json.loads(response.body)
    assert response.status_code == 202 and body["statusUrl"] == f"/jobs/{body['jobId']}"


@pytest.mark.parametrize("wait", [-1, 26, "soon", True])
def test_a_bad_wait_is_400(client, wait):
    response = client.http.post("/text2image", body=json.dumps({"text": "a flower", "wait": wait}),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "wait" in json.loads(response.body)["message"]


@pytest.mark.parametrize("body, field", [
    ({"text": "x", "width": "²"}, "width"),          # "²".isdigit() is True; int("²") fails
    ({"text": "x", "height": "٥١٢"}, "height"),
    ({"text": "x", "count": "9" * 5000}, "count"),    # past Python's int-string limit
    ({"text": "x", "count": True}, "count"),
    ({"text": "x", "seed": "1" * 40}, "seed"),
])
def test_hostile_numbers_are_400_not_500(client, body, field):
    status, answer = post(client, body)
    assert status == 400 and field in answer["message"]
