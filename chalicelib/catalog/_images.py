"""What the image-index adapters share: limits, record comparison, the order of events and
the garden's keyset cursor."""
from __future__ import annotations

from ..errors import InvalidRequest
from ..rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from . import ImageRecord, Outcome, Page

Scope = tuple[str, str, str]          # (area, emotion, orientation) of one garden query
_MAX_INT64 = 2**63                    # SQLite's integers are signed 64-bit


def check_limit(limit: object) -> int:
    if type(limit) is not int or limit < 1:
        raise InvalidRequest("limit must be a positive integer")
    return limit


def same_fields(a: ImageRecord, b: ImageRecord) -> bool:
    """Whether two records describe the same object (likes aside): reconcile's UNCHANGED."""
    return (a.area, a.emotion, a.favorite, a.orientation, int(a.created_ms), int(a.size),
            a.provenance or {}) == (b.area, b.emotion, b.favorite, b.orientation,
                                    int(b.created_ms), int(b.size), b.provenance or {})


def replayed(remembered: str, seq: str) -> Outcome | None:
    """DUPLICATE or STALE for an event no newer than the last one applied (``remembered``,
    both padded); None when the event is newer and applies."""
    if remembered >= seq:
        return Outcome.DUPLICATE if remembered == seq else Outcome.STALE
    return None


def encode_keyset(last: ImageRecord, scope: Scope) -> str:
    """A cursor holding the last item's place in garden order (likes, created_ms, key)."""
    return encode_cursor({"s": list(scope), "l": last.likes, "c": last.created_ms,
                          "k": last.key})


def keyset_page(found: list[ImageRecord], limit: int, scope: Scope) -> Page:
    """The page of the first ``limit`` records of ``found`` — read one more than the limit,
    so that a full page knows whether another follows — with the cursor to that one."""
    items = found[:limit]
    return Page(items, encode_keyset(items[-1], scope) if len(found) > limit else None)


def decode_keyset(cursor: str, scope: Scope) -> tuple[int, int, str]:
    """(likes, created_ms, key) of the last item a page showed; InvalidRequest for a cursor
    that is not one ``encode_keyset`` made for this scope (or holds numbers SQLite cannot)."""
    data = decode_cursor(cursor)
    if not (set(data) == {"s", "l", "c", "k"} and data["s"] == list(scope)
            and type(data["l"]) is int and type(data["c"]) is int
            and isinstance(data["k"], str) and 0 <= data["l"] < _MAX_INT64
            and -_MAX_INT64 <= data["c"] < _MAX_INT64):
        raise InvalidRequest(BAD_CURSOR)
    return data["l"], data["c"], data["k"]
