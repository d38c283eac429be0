"""What the image-index adapters share for counters: the impression marker, the fresh order's
keyset cursor, and the checks on what is counted."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from ..errors import InvalidRequest
from ..rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from . import IMPRESSION_MARK_SECONDS, ImageRecord, Page
from ._images import Scope

_MAX_INT64 = 2**63
MAX_SEGMENT = 200


def impression_mark(visit: str, key: str) -> str:
    """The marker of one visit having seen one image: a hash of the pair, so the store holds
    no visit id and cannot list what a visit saw; it expires after IMPRESSION_MARK_SECONDS."""
    return hashlib.sha256(f"{visit}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def mark_expiry_ms(now_ms: int | None = None) -> int:
    return (now_ms if now_ms is not None else now()) + IMPRESSION_MARK_SECONDS * 1000


def now() -> int:
    return int(time.time() * 1000)


def check_segments(segments: Sequence[str]) -> list[str]:
    """The segments to count in, deduplicated in order; InvalidRequest for anything but short
    strings (the use case builds them; this guards the storage)."""
    out: list[str] = []
    for segment in segments:
        if not isinstance(segment, str) or not 0 < len(segment) <= MAX_SEGMENT:
            raise InvalidRequest("a counter segment must be a short non-empty string")
        if segment not in out:
            out.append(segment)
    return out


def fresh_order(record: ImageRecord) -> tuple[int, str]:
    """Newest first, then key, as one ascending sort key."""
    return -record.created_ms, record.key


def encode_fresh(last: ImageRecord, scope: Scope) -> str:
    return encode_cursor({"s": list(scope), "f": last.created_ms, "k": last.key})


def fresh_page(found: list[ImageRecord], limit: int, scope: Scope) -> Page:
    """The first ``limit`` of ``found`` (read one more than the limit) and the next cursor."""
    items = found[:limit]
    return Page(items, encode_fresh(items[-1], scope) if len(found) > limit else None)


def decode_fresh(cursor: str, scope: Scope) -> tuple[int, str]:
    """(created_ms, key) of the last item a fresh page showed; InvalidRequest otherwise."""
    data = decode_cursor(cursor)
    if not (set(data) == {"s", "f", "k"} and data["s"] == list(scope)
            and type(data["f"]) is int and -_MAX_INT64 <= data["f"] < _MAX_INT64
            and isinstance(data["k"], str)):
        raise InvalidRequest(BAD_CURSOR)
    return data["f"], data["k"]
