"""The two ways the hostile-input tests reach the app: the Chalice test client (as API Gateway
runs it) and the local server over a socket; and what a refusal must look like."""
from __future__ import annotations

import itertools
import json
from collections.abc import Mapping

from tests.hardening.server import call


class Chalice:
    """The app as API Gateway runs it; ``headers`` go with every request."""

    def __init__(self, client, headers: Mapping[str, str]) -> None:
        self.client, self.headers = client, dict(headers)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, object]:
        response = self.client.http.request(method, path, body=body or b"",
                                            headers={**self.headers, **(headers or {})})
        try:
            return response.status_code, json.loads(response.body)
        except ValueError:
            return response.status_code, response.body


class Http:
    """The local server over a socket; ``headers`` go with every request."""

    clients = itertools.count(1)

    def __init__(self, origin: str, headers: Mapping[str, str]) -> None:
        self.origin, self.headers = origin, dict(headers)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, object]:
        # each request from an address of its own in 127.0.0.0/8: text-to-image's rate limit
        # (per client) is not what these tests are about
        n = next(self.clients)
        status, _, answer = call(self.origin, method, path, body, {**self.headers, **(headers or {})},
                                 source=f"127.0.{n // 250 % 250}.{n % 250 + 2}")
        return status, answer


def refused(status: int, answer: object, expected: int = 400) -> None:
    """A refusal a client can act on: the one status the case has, and a message — no trace,
    no path."""
    assert status == expected, (expected, status, answer)
    assert isinstance(answer, dict) and answer.get("message"), answer
    assert "Traceback" not in answer["message"] and "/work" not in answer["message"]
