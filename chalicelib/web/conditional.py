"""Conditional GETs: an answer's version as its ETag, and 304 for a client that has it.

A wall screen asks for its zone every few seconds; when nothing changed it gets 304 with
no body (RFC 9110: If-None-Match compares entity tags weakly, ``*`` matches any)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Response

NO_CACHE = "no-cache"   # keep it, but ask again before each use (a screen polls anyway)


def etag(version: str) -> str:
    return f'"{version}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names ``tag`` (weak comparison) or is ``*``."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == tag:
            return True
    return False


def versioned(body: dict[str, Any], version: str, headers: Mapping[str, str] | None) -> Response:
    """200 with ``body``, or 304 with none when the request's If-None-Match holds its
    version; both with the ETag and ``Cache-Control: no-cache``."""
    tag = etag(version)
    given = {k.lower(): v for k, v in (headers or {}).items()}.get("if-none-match")
    head: dict[str, str | list[str]] = {"ETag": tag, "Cache-Control": NO_CACHE}
    if matches(given, tag):
        return Response(body="", status_code=304, headers=head)
    return Response(body=body, status_code=200,
                    headers={**head, "Content-Type": "application/json"})
