"""Hostile input never gets a 5xx: every route, through the Chalice test client (as in AWS)
and over HTTP against the local server, answers the one status each case has — 400, 404, 413
or 415 — with a message saying what is wrong — nested JSON, giant numbers, lone surrogates, NULs, invalid UTF-8, overlong
ids, cursors and file names."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.hardening.server import ADMIN_KEY, call, environment, serving
from tests.hostile import Chalice, Http, refused

ADMIN = {"x-api-key": ADMIN_KEY}
JSON = {"Content-Type": "application/json"}
POSTS = ["/garden", "/gardenfromDB", "/like", "/impressions", "/text2image", "/bulk",
         "/pool/publish", "/remove"]
FIELDS = ("id", "itemId", "text", "emotion", "keys", "cursor", "favorite", "others",
          "emotionText", "negative", "gender", "count", "limit", "width", "seed",
          "favorites", "matrix", "index", "prompt", "fname", "objName")


def _everywhere(value: str, fields: tuple[str, ...] = FIELDS) -> bytes:
    """Every field any route reads (or those named), set to the same raw JSON value."""
    return ("{" + ", ".join(f'"{name}": {value}' for name in fields) + "}").encode()


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _garden_body(cursor: str) -> bytes:
    return json.dumps({"emotion": "HAPPY", "cursor": cursor}).encode()


LONG_NAME = "é" * 240 + "h.jpeg"          # 246 characters, 486 bytes: too long for a file name
BODIES = {
    "arrays nested 3,000 deep": b"[" * 3000 + b"]" * 3000,
    "objects nested 3,000 deep": b'{"a":' * 3000 + b"1" + b"}" * 3000,
    "a field nested 40 deep": _everywhere("[" * 40 + "]" * 40),
    "integers of 5,000 digits": _everywhere("9" * 5000, ("count", "limit", "width", "seed", "id")),
    "a float of 400 digits": _everywhere("1" * 400 + ".5"),
    "NaN": _everywhere("NaN"),
    "Infinity": _everywhere("-Infinity"),
    "a lone surrogate": _everywhere('"\\ud800"'),
    "a lone surrogate in a list": _everywhere('["emotions/HAPPY/\\udfffh.jpeg"]'),
    "a NUL": _everywhere('"a\\u0000b"'),
    "a JSON string nested 3,000 deep": _everywhere(json.dumps("[" * 3000 + "]" * 3000),
                                                   ("prompt", "objName", "fname", "index")),
    "invalid UTF-8": b'{"id": "\xff\xfe", "itemId": "\xed\xa0\x80"}',
    "a deep cursor": _garden_body(_cursor("[" * 2000 + "]" * 2000)),
    "a surrogate cursor": _garden_body(_cursor('{"k": "\\ud800"}')),
    "a giant-number cursor": _garden_body(_cursor('{"l": ' + "9" * 3000 + "}")),
}
GETS = {
    "a deep cursor": "/garden?emotion=HAPPY&cursor=" + _cursor("[" * 2000 + "]" * 2000),
    "a deep object cursor":
        "/garden?emotion=HAPPY&cursor=" + _cursor('{"a":' * 600 + "1" + "}" * 600),
    "a giant-number cursor": "/garden?emotion=HAPPY&cursor=" + _cursor('{"l": ' + "9" * 3000 + "}"),
    "a pool cursor nested deep": "/pool?emotion=HAPPY&cursor=" + _cursor("[" * 2000 + "]" * 2000),
    "a surrogate emotion": "/garden?emotion=%ED%A0%80",
    "a NUL emotion": "/garden?emotion=%00",
    "a limit of 5,000 digits": "/garden?emotion=HAPPY&limit=" + "9" * 5000,
    "a NUL in the pool's emotion": "/pool?emotion=HAPPY%00",
    "a job id of 5,000 characters": "/jobs/" + "a" * 5000,
    "a NUL job id": "/jobs/%00",
    "a surrogate job id": "/jobs/%ED%A0%80",
    "a job id with a slash": "/jobs/..%2F..%2Fetc",
    "a jobs cursor nested deep": "/jobs?cursor=" + _cursor("[" * 2000 + "]" * 2000),
    "a jobs cursor with a surrogate": "/jobs?cursor=" + _cursor('{"k": "\\udc00"}'),
    "a jobs limit of 5,000 digits": "/jobs?limit=" + "9" * 5000,
    "a surrogate favorite": "/garden?emotion=HAPPY&favorite=%ED%A0%80",
    "a NUL favorite": "/garden?emotion=HAPPY&favorite=a%00b",
    "a favorite of 5,000 characters": "/garden?emotion=HAPPY&favorite=" + "a" * 5000,
    "a favorite in a surrogate emotion": "/garden?emotion=happy%2F%ED%A0%80",
    "a NUL favorites emotion": "/favorites?emotion=%00",
    "a surrogate favorites emotion": "/favorites?emotion=HAPPY%2F%ED%A0%80",
}
# The one status of each hostile GET, (through API Gateway, over HTTP): a bad query is 400; an id
# no job can have is 404 — but over HTTP a path that is no path at all (a NUL, bytes that are
# not UTF-8) is refused by the local server before any route is looked at: 400.
MALFORMED_PATH = (404, 400)
GET_STATUS = {"a job id of 5,000 characters": (404, 404), "a NUL job id": MALFORMED_PATH,
              "a surrogate job id": MALFORMED_PATH, "a job id with a slash": (404, 404)}
CANCELS = {"/jobs/" + "a" * 5000 + "/cancel": (404, 404), "/jobs/%00/cancel": MALFORMED_PATH,
           "/jobs/%ED%A0%80/cancel": MALFORMED_PATH}


def _status(api, statuses: tuple[int, int]) -> int:
    return statuses[1] if isinstance(api, Http) else statuses[0]


@pytest.fixture(scope="module")
def http_origin(tmp_path_factory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("hostile") / "data", environment()) as origin:
        yield origin


@pytest.fixture(params=["chalice", "http"])
def api(request, monkeypatch):
    if request.param == "http":
        yield Http(request.getfixturevalue("http_origin"), ADMIN)
        return
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
    yield Chalice(request.getfixturevalue("client"), ADMIN)


@pytest.mark.parametrize("route", POSTS)
@pytest.mark.parametrize("case", list(BODIES))
def test_hostile_json_bodies_are_400_on_every_route(api, route, case):
    status, answer = api.request("POST", route, BODIES[case], JSON)
    refused(status, answer)


@pytest.mark.parametrize("route", POSTS)
def test_a_huge_body_is_413_on_every_route(api, route):
    status, answer = api.request("POST", route, b'{"text": "' + b"a" * 200_000 + b'"}', JSON)
    refused(status, answer, 413)


@pytest.mark.parametrize("case", list(GETS))
def test_hostile_queries_are_400_and_ids_no_job_can_have_404(api, case):
    status, answer = api.request("GET", GETS[case])
    refused(status, answer, _status(api, GET_STATUS.get(case, (400, 400))))


@pytest.mark.parametrize("path", list(CANCELS))
def test_cancelling_a_job_no_job_can_be_is_404(api, path):
    status, answer = api.request("POST", path)
    refused(status, answer, _status(api, CANCELS[path]))


@pytest.mark.parametrize("path", [
    "/%00", "/%00.html", "/emotions/HAPPY/%00h.jpeg", "/emotions/%ED%A0%80.jpeg",
    "/pool/HAPPY/a%00h.jpeg",
    # anywhere in the path, not only at its start: a page, an image, an API route
    "/index.html%09", "/admin/%0Aindex.html", "/emotions/HAPPY/a%1Fh.jpeg", "/garden%0A",
    "/gar%7Fden", "/zones/1%0D", "/share/HAPPY/a%0Bh"])
def test_a_control_character_or_bad_utf8_in_the_path_is_400_over_http(http_origin, path):
    status, _, answer = call(http_origin, "GET", path, headers=ADMIN)
    refused(status, answer)


@pytest.mark.parametrize("route", ["/pool/publish", "/remove"])
def test_names_too_long_for_the_filesystem_are_refused_per_key(api, route):
    keys = [f"pool/HAPPY/{LONG_NAME}", f"emotions/HAPPY/{LONG_NAME}",
            "pool/HAPPY/" + "a" * 2000 + "h.jpeg"]
    status, answer = api.request("POST", route, json.dumps({"keys": keys}).encode(), JSON)
    assert status == 200 and answer["failed"] == 3, answer
    assert [r["status"] for r in answer["results"]] == [400, 400, 400]
    assert all("bytes" in r["message"] for r in answer["results"]), answer
    assert all(len(r["message"]) < 300 for r in answer["results"])  # the key is not echoed whole


def test_a_like_of_a_name_too_long_for_the_filesystem_is_400(api):
    status, answer = api.request("POST", "/like", json.dumps(
        {"id": "visitor", "itemId": f"emotions/HAPPY/{LONG_NAME}"}).encode(), JSON)
    refused(status, answer)
    assert "255 bytes" in answer["message"]


def test_an_image_name_too_long_for_the_filesystem_is_400_over_http(http_origin):
    # no image can have it: the key itself is refused, saying why
    status, _, answer = call(http_origin, "GET", "/emotions/HAPPY/" + quote(LONG_NAME))
    refused(status, answer)
    assert "bytes" in answer["message"]


def test_a_control_character_in_the_visitor_header_is_400(api):
    status, answer = api.request("POST", "/emotion", b"\xff\xd8\xff", {
        "Content-Type": "image/jpeg", "X-user-id": "a\x7fb"})
    assert status == 400, answer   # the HTTP server may refuse the header itself, in plain text
