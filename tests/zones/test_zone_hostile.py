"""Hostile input to the zone routes never gets a 5xx — through the Chalice test client (as in
AWS) and over HTTP against the local server (``emotion-garden serve``): deep JSON, huge
numbers, lone surrogates, NULs in keys, 10,000 keys, zone numbers no zone can have. And
what only a real server shows: a 304 and a HEAD carry no body."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.web import context
from tests.hardening.server import ADMIN_KEY, call, environment, serving
from tests.hostile import Chalice, Http, refused

ADMIN = {"x-api-key": ADMIN_KEY, "Content-Type": "application/json"}


def _fields(value: str, names=("mode", "emotion", "images", "caption", "interval")) -> bytes:
    return ("{" + ", ".join(f'"{n}": {value}' for n in names) + "}").encode()


BODIES = {
    "arrays nested 3,000 deep": b"[" * 3000 + b"]" * 3000,
    "objects nested 3,000 deep": b'{"a":' * 3000 + b"1" + b"}" * 3000,
    "images nested 40 deep": b'{"mode": "chosen", "images": ' + b"[" * 40 + b"]" * 40 + b"}",
    "an interval of 5,000 digits": b'{"mode": "rotate", "interval": ' + b"9" * 5000 + b"}",
    "an interval of 39 digits": b'{"mode": "rotate", "interval": ' + b"9" * 39 + b"}",
    "a float interval of 400 digits": b'{"mode": "rotate", "interval": ' + b"1" * 400 + b".5}",
    "NaN everywhere": _fields("NaN"),
    "a lone surrogate caption": b'{"mode": "rotate", "caption": "\\ud800"}',
    "a lone surrogate key": b'{"mode": "chosen", "images": ["emotions/HAPPY/\\udfffh.jpeg"]}',
    "a NUL in a key": b'{"mode": "chosen", "images": ["emotions/HAPPY/a\\u0000h.jpeg"]}',
    "a NUL in the caption": b'{"mode": "rotate", "caption": "a\\u0000b"}',
    "a NUL mode": b'{"mode": "rotate\\u0000"}',
    "a lone surrogate field name": b'{"\\ud800": 1, "mode": "rotate"}',
    "10,000 short keys": json.dumps({"mode": "chosen", "images": ["k"] * 10_000}).encode(),
    "10,000 garden keys": json.dumps(
        {"mode": "chosen", "images": [f"emotions/HAPPY/{n}h.jpeg" for n in range(10_000)]}).encode(),
    "invalid UTF-8": b'{"mode": "\xff\xfe", "caption": "\xed\xa0\x80"}',
    "a key of 5,000 characters": json.dumps({"mode": "chosen",
                                             "images": ["emotions/HAPPY/" + "a" * 5000 + "h.jpeg"]}).encode(),
}
ORIGINAL_BODIES = {
    "arrays nested 3,000 deep": b"[" * 3000 + b"]" * 3000,
    "a zone of 5,000 digits": b'{"zone": ' + b"9" * 5000 + b', "landscape": ["emotions/HAPPY/ah.jpeg"]}',
    "a zone of 39 digits": b'{"zone": ' + b"9" * 39 + b', "landscape": ["emotions/HAPPY/ah.jpeg"]}',
    "a zone of 30 digit characters": b'{"zone": "' + b"9" * 30 + b'", "landscape": ["emotions/HAPPY/ah.jpeg"]}',
    "a NUL in a key": b'{"zone": 1, "landscape": ["emotions/HAPPY/a\\u0000h.jpeg"]}',
    "a NUL in a URL": b'{"zone": 1, "landscape": ["http://127.0.0.1/emotions/HAPPY/a%00h.jpeg"]}',
    "a surrogate escaped in a URL": b'{"zone": 1, "landscape": ["/emotions/HAPPY/%ED%A0%80h.jpeg"]}',
    "a lone surrogate": b'{"zone": 1, "portrait": ["\\udfff"]}',
    "10,000 keys": json.dumps({"zone": 1, "landscape": ["k"] * 10_000}).encode(),
    "10,000 garden keys": json.dumps(
        {"zone": 1, "landscape": [f"emotions/HAPPY/{n}h.jpeg" for n in range(10_000)]}).encode(),
    "landscape nested 40 deep": b'{"zone": 1, "landscape": ' + b"[" * 40 + b"]" * 40 + b"}",
}
# Paths no zone can have. Each zone has one spelling: /zones/01, /zones/%31 or /zones/7%20 is
# no zone (404). A path that is no path at all — a control character, bytes that are not
# UTF-8 — is refused by the local server before any route is looked at (400); API Gateway
# hands it to the route, which finds no zone (404).
PATHS = ["/zones/" + "9" * 5000, "/zones/-0", "/zones/%20", "/zones/0x1", "/zones/%EF%BC%91",
         "/zones/01", "/zones/007", "/zones/%31", "/zones/%207", "/zones/7%20", "/zones/+7"]
MALFORMED_PATHS = ["/zones/%00", "/zones/1%00", "/zones/%ED%A0%80", "/zones/1%0A", "/zones/7%7F"]


@pytest.fixture(scope="module")
def http_origin(tmp_path_factory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("zones") / "data", environment()) as origin:
        yield origin


@pytest.fixture(params=["chalice", "http"])
def api(request, monkeypatch):
    if request.param == "http":
        yield Http(request.getfixturevalue("http_origin"), ADMIN)
        return
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
    context.rebuild()
    from chalice.test import Client

    from app import app
    with Client(app, stage_name="local") as client:
        yield Chalice(client, ADMIN)


def _body_status(body: bytes) -> int:
    """A JSON body over the API's 64 KB is 413 before it is read; any other hostile one 400."""
    from chalicelib.web.edge import MAX_JSON_BYTES
    return 413 if len(body) > MAX_JSON_BYTES else 400


def _refused(status, answer, expected=400) -> None:
    refused(status, answer, expected)
    assert len(answer["message"]) < 600          # nothing sent is echoed whole


@pytest.mark.parametrize("case", list(BODIES))
def test_hostile_zone_bodies_are_refused(api, case):
    status, answer = api.request("PUT", "/zones/4", BODIES[case])
    _refused(status, answer, _body_status(BODIES[case]))
    status, listed = api.request("GET", "/zones")
    assert status == 200 and all(z["zone"] != 4 for z in listed["zones"])


def test_ten_thousand_keys_are_refused_by_count_before_any_is_looked_at(api):
    status, answer = api.request("PUT", "/zones/4", BODIES["10,000 short keys"])
    assert status == 400 and "1 to 200" in answer["message"] and "10000" in answer["message"]


@pytest.mark.parametrize("case", list(ORIGINAL_BODIES))
def test_hostile_update_display_bodies_are_refused(api, case):
    status, answer = api.request("POST", "/updateDisplay", ORIGINAL_BODIES[case])
    _refused(status, answer, _body_status(ORIGINAL_BODIES[case]))


@pytest.mark.parametrize("path", PATHS)
def test_paths_no_zone_can_have_are_404(api, path):
    for method in ("GET", "DELETE", "PUT"):
        status, answer = api.request(method, path, b'{"mode": "rotate"}' if method == "PUT" else None)
        _refused(status, answer, 404)


@pytest.mark.parametrize("path", MALFORMED_PATHS)
def test_malformed_zone_paths_are_400_over_http_and_404_behind_api_gateway(api, path):
    expected = 400 if isinstance(api, Http) else 404
    for method in ("GET", "DELETE", "PUT"):
        status, answer = api.request(method, path, b'{"mode": "rotate"}' if method == "PUT" else None)
        _refused(status, answer, expected)


def test_over_http_a_304_and_a_head_carry_no_body(http_origin):
    status, headers, body = call(http_origin, "GET", "/zones/12")
    assert status == 200 and headers["content-type"] == "application/json; charset=utf-8"
    assert headers["cache-control"] == "no-cache" and headers["etag"] == f'"{body["version"]}"'
    status, again, raw = call(http_origin, "GET", "/zones/12", headers={"If-None-Match": headers["etag"]})
    assert status == 304 and raw == b"" and again["etag"] == headers["etag"]
    status, head, raw = call(http_origin, "HEAD", "/zones/12")
    assert status == 200 and raw == b"" and head["etag"] == headers["etag"]
