"""The garden: what a visitor sees for an emotion, and the likes they leave."""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .catalog import ImageIndex, ImageRecord
from .errors import InvalidRequest
from .rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from .rules.emotions import parse_emotion
from .rules.layout import GARDEN, IMAGE_PREFIXES, ORIENTATION_NAMES, check_safe, parse_key
from .rules.validation import whole_number

DEFAULT_LIMIT, MAX_LIMIT = 24, 100
ORIENTATIONS = ORIENTATION_NAMES
MAX_VISITOR_ID = 128


@dataclass(frozen=True)
class GardenQuery:
    emotion: str
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    shuffle: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, Any], default_limit: int = DEFAULT_LIMIT,
                    max_limit: int = MAX_LIMIT) -> GardenQuery:
        raw = params.get("limit")
        limit = whole_number(default_limit if raw is None else raw, "limit", 1, max_limit, digits=True)
        order = params.get("order", "mixed")
        if order not in ("mixed", "rank"):
            raise InvalidRequest("order must be 'mixed' (default) or 'rank'")
        cursor = params.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise InvalidRequest("cursor must be the string a previous answer gave")
        return cls(parse_emotion(params.get("emotion")), limit, cursor or None, order == "mixed")


def _decode_cursor(cursor: str | None) -> dict[str, str | None]:
    """Where each orientation's pages go on: "" = from the start; None = exhausted."""
    if cursor is None:
        return {o: "" for o in ORIENTATIONS}
    value = decode_cursor(cursor)
    if not all(isinstance(value.get(o), (str, type(None))) for o in ORIENTATIONS):
        raise InvalidRequest(BAD_CURSOR)
    return {o: value.get(o) for o in ORIENTATIONS}


def _encode_cursor(cursors: dict[str, str | None]) -> str | None:
    if all(c is None for c in cursors.values()):
        return None
    return encode_cursor(cursors)


def _mixed(items: list[ImageRecord], rng: random.Random) -> list[ImageRecord]:
    """A weighted shuffle (Efraimidis–Spirakis) of one page: the most liked and freshest
    still tend to come first, but visitors don't see the same three images every time."""
    keyed = [(rng.random() ** (i + 1), item) for i, item in enumerate(items)]
    return [item for _, item in sorted(keyed, key=lambda pair: pair[0], reverse=True)]


def item_view(record: ImageRecord, url: Callable[[str], str]) -> dict[str, Any]:
    return {"url": url(record.key), "key": record.key, "emotion": record.emotion,
            "favorite": record.favorite, "likes": record.likes, "createdAt": record.created_at}


def pages(index: ImageIndex, area: str, query: GardenQuery) -> tuple[dict[str, list[ImageRecord]], str | None]:
    """One page per orientation, from where the query's cursor left each, and the cursor of
    the pages after them (None when both orientations are done)."""
    cursors = _decode_cursor(query.cursor)
    found: dict[str, list[ImageRecord]] = {}
    following: dict[str, str | None] = {}
    for orientation in ORIENTATIONS:
        start = cursors[orientation]
        if start is None:
            found[orientation], following[orientation] = [], None
            continue
        page = index.query(area, query.emotion, orientation, query.limit, start or None)
        found[orientation], following[orientation] = page.items, page.cursor
    return found, _encode_cursor(following)


def garden(index: ImageIndex, url: Callable[[str], str], query: GardenQuery, area: str = GARDEN,
           rng: random.Random | None = None) -> dict[str, Any]:
    """One page of the garden for an emotion, split by orientation."""
    rng = rng or random.Random()
    found, cursor = pages(index, area, query)
    answer: dict[str, Any] = {"emotion": query.emotion}
    for orientation, items in found.items():
        answer[orientation] = [item_view(r, url) for r in (_mixed(items, rng) if query.shuffle else items)]
    if cursor:
        answer["cursor"] = cursor
    if query.cursor is None and not answer["landscape"] and not answer["portrait"]:
        answer["empty"] = True
        answer["message"] = f"Nothing has bloomed for {query.emotion} yet."
    return answer


def item_key(item_id: object) -> str:
    """A like names its image by key or by the URL the garden gave; both become the key."""
    if not isinstance(item_id, str) or not item_id.strip():
        raise InvalidRequest("itemId must be the key or URL of a garden image")
    item_id = item_id.strip()
    if "://" in item_id:
        item_id = unquote(urlsplit(item_id).path).lstrip("/")
    check_safe(item_id)
    if not item_id.startswith(IMAGE_PREFIXES[0]):
        raise InvalidRequest(f"{item_id!r} is not a garden image")
    return parse_key(item_id).key


def like(index: ImageIndex, body: Mapping[str, Any]) -> dict[str, Any]:
    visitor = body.get("id")
    if not isinstance(visitor, str) or not 1 <= len(visitor.strip()) <= MAX_VISITOR_ID:
        raise InvalidRequest(f"id must be the visitor's id (1–{MAX_VISITOR_ID} characters)")
    key = item_key(body.get("itemId"))
    likes, counted = index.like(key, visitor.strip())
    return {"itemId": key, "likes": likes, "counted": counted}
