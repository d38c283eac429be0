"""``http://HOST:PORT/PATH`` (or https): the JumpStart JSON contract over plain HTTP, for a
self-hosted model server. urllib only — Lambda packages stay free of requests."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from ..errors import BadImage, EndpointFailed, EndpointThrottled, EndpointTimeout
from . import GenerationRequest, jumpstart
from .checks import MAX_ENCODED_BYTES, check_request_size
from .tracing import traced

DEFAULT_TIMEOUT = 60.0          # seconds: a GPU endpoint makes one SD image in 2–20 s
THROTTLED_STATUSES = (429, 503)


def _snippet(data: bytes, limit: int = 200) -> str:
    text = data[:limit].decode("utf-8", "replace").strip()
    return " ".join(text.split())


def _is_timeout(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, (TimeoutError, socket.timeout)) or "timed out" in str(reason)


def post_json(url: str, body: Any, *, timeout: float, source: str,
              headers: dict[str, str] | None = None) -> bytes:
    """POST ``body`` as JSON and return the answer's bytes, mapping failures to domain errors.

    ``timeout`` bounds each socket operation (connect, and every read), which is what ends a
    hung endpoint; a 429/503 is throttling (retried by the workflows), any other failure is
    EndpointFailed (not retried)."""
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload: bytes = response.read(MAX_ENCODED_BYTES + 1)
    except urllib.error.HTTPError as exc:
        detail = _snippet(exc.read(500)) if exc.fp else ""
        message = f"{source} answered HTTP {exc.code}" + (f": {detail}" if detail else "")
        if exc.code in THROTTLED_STATUSES:
            raise EndpointThrottled(message) from None
        raise EndpointFailed(message) from None
    except (urllib.error.URLError, OSError) as exc:
        if _is_timeout(exc):
            raise EndpointTimeout(f"{source} did not answer within {timeout:g} s") from None
        reason = getattr(exc, "reason", exc)
        raise EndpointFailed(f"{source} is unreachable ({reason})") from None
    if len(payload) > MAX_ENCODED_BYTES:
        raise BadImage(f"{source} answered with more than {MAX_ENCODED_BYTES} bytes")
    return payload


class HttpGenerator:
    """One endpoint speaking the JumpStart JSON contract at ``url``."""

    def __init__(self, url: str, *, timeout: float | None = None) -> None:
        self.uri = url
        self.url = url
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)

    def generate(self, request: GenerationRequest) -> bytes:
        check_request_size(request.width, request.height)
        with traced(f"endpoint {self.uri}", endpoint=self.uri, adapter="http"):
            payload = post_json(self.url, jumpstart.encode_request(request), timeout=self.timeout,
                                source=f"endpoint {self.uri}",
                                headers={"Accept": jumpstart.ACCEPT})
            return jumpstart.decode_response(payload, request, source=f"endpoint {self.uri}")

    def __repr__(self) -> str:
        return f"HttpGenerator({self.url!r}, timeout={self.timeout:g})"
