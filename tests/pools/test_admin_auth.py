"""Every admin route refuses a missing key (401) and a wrong one (403); public routes stay
public; the rate limiter's token bucket."""
from __future__ import annotations

import pytest

from chalicelib import config
from chalicelib.errors import Forbidden, TooManyRequests, Unauthorized
from chalicelib.web import admin
from tests.pools.conftest import ADMIN_KEY, call, plant, wait_for_job

ADMIN_ROUTES = [
    ("POST", "/bulk", {"emotion": "HAPPY", "count": 1}),
    ("GET", "/pool?emotion=HAPPY", None),
    ("GET", "/admin/whole-pool?emotion=HAPPY", None),
    ("POST", "/pool/publish", {"keys": ["pool/HAPPY/ah.jpeg"]}),
    ("POST", "/remove", {"keys": ["emotions/HAPPY/ah.jpeg"]}),
    ("GET", "/admin/overview", None),
    ("GET", "/held?job=j-1", None),
    ("GET", "/jobs", None),
    ("POST", "/jobs/{job_id}/cancel", None),   # the key is checked before the id
    ("POST", "/jobs/{job_id}/pause", None),
    ("POST", "/jobs/{job_id}/resume", None),
    ("POST", "/jobs/{job_id}/priority", {"priority": 3}),
    ("GET", "/zones", None),
    ("PUT", "/zones/{zone}", {"mode": "rotate"}),
    ("DELETE", "/zones/{zone}", None),
    ("POST", "/updateDisplay", {"zone": 1, "landscape": ["emotions/HAPPY/ah.jpeg"]}),
    ("POST", "/retrieve", {"emotion": "happy"}),
    ("POST", "/removePool", {"objName": ["imgPool/happy/ah.jpeg"]}),
    ("POST", "/clearIndex", {"objName": "imgPool/happy/ah.jpeg"}),
]


def test_the_table_covers_every_admin_route():
    from app import app
    guarded = {(method, path) for path, entries in app.routes.items()   # HEAD mirrors its GET
               for method, entry in entries.items() if entry.api_key_required and method != "HEAD"}
    assert guarded == {(m, p.split("?")[0]) for m, p, _ in ADMIN_ROUTES}


def _concrete(path: str) -> str:
    return path.replace("{zone}", "1")


@pytest.mark.parametrize("method, path, body", ADMIN_ROUTES)
def test_a_missing_key_is_401(client, method, path, body):
    status, answer = call(client, method, _concrete(path), body, key=None)
    assert status == 401 and "x-api-key" in answer["message"]


@pytest.mark.parametrize("method, path, body", ADMIN_ROUTES)
@pytest.mark.parametrize("wrong", ["nope", ADMIN_KEY[:-1], ADMIN_KEY + "x", ADMIN_KEY.upper()])
def test_a_wrong_key_is_403(client, method, path, body, wrong):
    status, answer = call(client, method, _concrete(path), body, key=wrong)
    assert status == 403 and "wrong" in answer["message"]


@pytest.mark.parametrize("method, path, body", ADMIN_ROUTES)
def test_the_right_key_gets_past_the_check(client, method, path, body):
    plant("pool/HAPPY/ah.jpeg")
    if path == "/updateDisplay":
        plant("emotions/HAPPY/ah.jpeg")   # a zone shows published images only
    status, answer = call(client, method, _concrete(path), body)
    # past the check, a cancel (pause, resume, priority) or the held images of no job is
    # that job's 404
    assert status in (200, 202) or (path.startswith(("/jobs/{job_id}/", "/held?")) and status == 404), answer
    if status == 202:
        wait_for_job(client, answer["jobId"])   # leave no workflow running past the test


def test_without_a_configured_key_every_admin_request_is_refused(client, monkeypatch):
    monkeypatch.delenv("GARDEN_ADMIN_KEY")
    status, answer = call(client, "GET", "/admin/overview", key="anything")
    assert status == 403 and "GARDEN_ADMIN_KEY" in answer["message"]


def test_public_routes_need_no_key(client):
    plant("emotions/HAPPY/ah.jpeg")
    assert call(client, "GET", "/garden?emotion=HAPPY", key=None)[0] == 200
    assert call(client, "POST", "/like", {"id": "v", "itemId": "emotions/HAPPY/ah.jpeg"}, key=None)[0] == 200


def _settings(**env):
    return config.load({"GARDEN_DATA_DIR": "/tmp/x", **env})


def test_require_admin_compares_the_header_case_insensitively():
    settings = _settings(GARDEN_ADMIN_KEY="k1")
    admin.require_admin({"X-Api-Key": "k1"}, settings)
    with pytest.raises(Unauthorized):
        admin.require_admin({"x-api-key": ""}, settings)
    with pytest.raises(Unauthorized):
        admin.require_admin(None, settings)
    with pytest.raises(Forbidden):
        admin.require_admin({"x-api-key": "k2"}, settings)


AWS_SETTINGS = {"GARDEN_BACKEND": "aws", "GARDEN_BUCKET": "b", "GARDEN_TABLE": "t",
                "GARDEN_CDN_DOMAIN": "d.example", "GARDEN_ENDPOINTS": '["sagemaker:x"]',
                "GARDEN_TEXT2IMAGE_MACHINE": "arn:t", "GARDEN_BULK_MACHINE": "arn:b",
                "GARDEN_ADMIN_KEY": "k1"}


def test_inside_lambda_the_gateway_checks_the_key_not_the_app(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "emotion-garden-dev")
    admin.require_admin({}, _settings(**AWS_SETTINGS))  # API Gateway refused keyless requests first


def test_a_local_server_on_the_aws_backend_still_checks_the_key(monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    with pytest.raises(Unauthorized):
        admin.require_admin({}, _settings(**AWS_SETTINGS))
    with pytest.raises(Forbidden):
        admin.require_admin({"x-api-key": "nope"}, _settings(**AWS_SETTINGS))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_token_bucket_allows_a_burst_then_refills_at_its_rate():
    clock = Clock()
    limiter = admin.RateLimiter(rate=0.5, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("a")
    with pytest.raises(TooManyRequests, match="try again in 2 s"):
        limiter.take("a")
    limiter.take("b")                     # another client has its own bucket
    clock.now = 1.9
    with pytest.raises(TooManyRequests):
        limiter.take("a")
    clock.now = 2.0 + 1.9                 # one token back by t=2 (the refused tries spent none)
    limiter.take("a")
    clock.now = 1000
    for _ in range(3):                    # never more than the burst, however long the wait
        limiter.take("a")
    with pytest.raises(TooManyRequests):
        limiter.take("a")


def test_the_limiter_forgets_the_least_recent_clients_beyond_its_bound():
    clock = Clock()
    limiter = admin.RateLimiter(rate=0.001, burst=1, max_clients=2, clock=clock)
    limiter.take("a")
    limiter.take("b")
    limiter.take("c")                     # "a" is forgotten: it starts with a full bucket again
    limiter.take("a")
    with pytest.raises(TooManyRequests):
        limiter.take("c")


def test_rate_limit_is_left_to_api_gateway_inside_lambda(monkeypatch):
    limiter = admin.RateLimiter(rate=0.001, burst=1, clock=Clock())
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "emotion-garden-dev")
    for _ in range(5):
        admin.rate_limit("a", _settings(**AWS_SETTINGS), limiter)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    admin.rate_limit("a", _settings(**AWS_SETTINGS), limiter)  # a local server on AWS resources
    with pytest.raises(TooManyRequests):
        admin.rate_limit("a", _settings(), limiter)


def test_client_id_prefers_the_local_servers_peer_address():
    class Request:
        def __init__(self, headers: dict) -> None:
            self.headers, self.context = headers, {"identity": {"sourceIp": "127.0.0.1"}}
    assert admin.client_id(Request({"X-Garden-Client-IP": "10.0.0.7"})) == "10.0.0.7"
    assert admin.client_id(Request({})) == "127.0.0.1"


def test_inside_a_lambda_the_client_is_api_gateways_source_ip_whatever_the_headers(monkeypatch):
    # nothing in front of a Lambda replaces the local server's header: a client could name
    # itself anyone, and so spread its photos over made-up addresses
    class Request:
        headers = {"X-Garden-Client-IP": "10.9.9.9"}
        context = {"identity": {"sourceIp": "203.0.113.5"}}
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "emotion-garden-dev")
    assert admin.client_id(Request()) == "203.0.113.5"
