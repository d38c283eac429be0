"""The garden: what a visitor sees for an emotion, the impressions and likes they leave, and
the order that learns from them.

Orders (``order``): ``learned`` (the default) ranks candidates by Thompson sampling over each
image's like-rate in the visit's segment (chalicelib/rules/bandit.py); ``rank`` is most liked,
then newest; ``fresh`` is newest first. ``mixed`` is the learned order's former name.

The learned order reads one window of up to WINDOW candidates per orientation (one query
each: most liked first, or — for FRESH_SHARE of the visits — newest first, so that new
images enter the window however many images have likes), then the counters of all the
candidates in one batch read, and draws. Its cursor remembers the window and a short hash of
each image already shown in that window, so no image comes twice in one visit's pages;
when a window is used up the next one starts.

Counting: impressions (``POST /impressions``, or the ``impression`` list of ``POST /like``)
count once per visit id and image; likes once per visit id and image. Each counts in the
image's ``*`` segment and in the visit's segment (generation, favorite, gender when the
operator allows it). Nothing else of a visit is kept.
"""
from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .catalog import ImageIndex, ImageRecord, Page
from .errors import InvalidRequest
from .rules import bandit
from .rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from .rules.emotions import GENERATIONS, parse_emotion
from .rules.layout import GARDEN, IMAGE_PREFIXES, ORIENTATION_NAMES, check_safe, parse_key
from .rules.validation import whole_number

DEFAULT_LIMIT, MAX_LIMIT = 24, 100
ORIENTATIONS = ORIENTATION_NAMES
MAX_VISITOR_ID = 128
ORDERS = ("learned", "rank", "fresh")
WINDOW = 100               # candidates per orientation of the learned order
FRESH_SHARE = 0.2          # visits whose learned window is the newest images
MAX_IMPRESSIONS = 50       # item ids per POST /impressions
MAX_FAVORITE = 40
GENDERS = ("female", "male")
_MARK = 6                  # characters of an image's hash in a learned cursor


@dataclass(frozen=True)
class Context:
    """What a visit tells the garden beyond its emotion; each field optional."""
    generation: str | None = None
    favorite: str | None = None
    gender: str | None = None

    @property
    def segment(self) -> str | None:
        return bandit.segment_of(self.generation, self.favorite, self.gender)


def parse_context(params: Mapping[str, Any], gender: bool = False) -> Context:
    """The context fields of a body (or a query string): ``generation`` (one of GENERATIONS),
    ``favorite`` (a word), ``gender`` (female|male; kept only when the operator allows it —
    otherwise ignored, as the original kiosk sends it). Absent or null: unknown."""
    if not isinstance(params, Mapping):
        raise InvalidRequest("context must be an object such as {\"generation\": \"adult\"}")
    generation = params.get("generation")
    if generation is not None and generation not in GENERATIONS:
        raise InvalidRequest(f"generation must be one of {', '.join(GENERATIONS)} (or absent)")
    favorite = params.get("favorite")
    if favorite is not None:
        if not (isinstance(favorite, str) and 0 < len(favorite) <= MAX_FAVORITE
                and favorite.replace("-", "").isalnum() and favorite.isascii()):
            raise InvalidRequest(f"favorite must be a word of letters, digits and '-' "
                                 f"(at most {MAX_FAVORITE})")
        favorite = favorite.lower()
    said = params.get("gender")
    if said is not None and not (isinstance(said, str) and said.lower() in GENDERS):
        raise InvalidRequest("gender must be 'Female' or 'Male' (or absent)")
    return Context(generation, favorite, said.lower() if gender and said is not None else None)


@dataclass(frozen=True)
class GardenQuery:
    emotion: str
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    order: str = "learned"
    context: Context = Context()

    @property
    def shuffle(self) -> bool:   # the former name of "not rank": kept for callers
        return self.order == "learned"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], default_limit: int = DEFAULT_LIMIT,
                    max_limit: int = MAX_LIMIT, gender: bool = False) -> GardenQuery:
        raw = params.get("limit")
        limit = whole_number(default_limit if raw is None else raw, "limit", 1, max_limit, digits=True)
        order = params.get("order", "learned")
        order = "learned" if order == "mixed" else order
        if order not in ORDERS:
            raise InvalidRequest("order must be 'learned' (default), 'rank' (most liked first) "
                                 "or 'fresh' (newest first)")
        cursor = params.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise InvalidRequest("cursor must be the string a previous answer gave")
        return cls(parse_emotion(params.get("emotion")), limit, cursor or None, order,
                   parse_context(params, gender))


def _decode_cursor(cursor: str | None) -> dict[str, str | None]:
    """Where each orientation's pages go on: "" = from the start; None = exhausted."""
    if cursor is None:
        return {o: "" for o in ORIENTATIONS}
    value = decode_cursor(cursor)
    if not (set(value) <= set(ORIENTATIONS)
            and all(isinstance(value.get(o), (str, type(None))) for o in ORIENTATIONS)):
        raise InvalidRequest(BAD_CURSOR)
    return {o: value.get(o) for o in ORIENTATIONS}


def _encode_cursor(cursors: dict[str, str | None]) -> str | None:
    if all(c is None for c in cursors.values()):
        return None
    return encode_cursor(cursors)


def item_view(record: ImageRecord, url: Callable[[str], str]) -> dict[str, Any]:
    return {"url": url(record.key), "key": record.key, "emotion": record.emotion,
            "favorite": record.favorite, "likes": record.likes, "createdAt": record.created_at}


def _reader(index: ImageIndex, fresh: bool) -> Callable[..., Page]:
    return index.query_fresh if fresh else index.query


def pages(index: ImageIndex, area: str, query: GardenQuery) -> tuple[dict[str, list[ImageRecord]], str | None]:
    """One page per orientation in rank (or fresh) order, from where the query's cursor left
    each, and the cursor of the pages after them (None when both orientations are done)."""
    cursors = _decode_cursor(query.cursor)
    read = _reader(index, query.order == "fresh")
    found: dict[str, list[ImageRecord]] = {}
    following: dict[str, str | None] = {}
    for orientation in ORIENTATIONS:
        start = cursors[orientation]
        if start is None:
            found[orientation], following[orientation] = [], None
            continue
        page = read(area, query.emotion, orientation, query.limit, start or None)
        found[orientation], following[orientation] = page.items, page.cursor
    return found, _encode_cursor(following)


# --- the learned order ----------------------------------------------------------------------
def _mark(key: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()[:6]).decode()[:_MARK]


def _learned_state(cursor: str | None, rng: random.Random
                   ) -> tuple[bool, dict[str, tuple[str, str] | None]]:
    """(fresh window?, per orientation: (window cursor, shown marks) or None when done)."""
    if cursor is None:
        return rng.random() < FRESH_SHARE, {o: ("", "") for o in ORIENTATIONS}
    data = decode_cursor(cursor)
    learn = data.get("learn")
    if not (set(data) == {"learn"} and isinstance(learn, dict)
            and set(learn) == {"fresh", *ORIENTATIONS} and type(learn["fresh"]) is bool):
        raise InvalidRequest(BAD_CURSOR)
    states: dict[str, tuple[str, str] | None] = {}
    for o in ORIENTATIONS:
        state = learn[o]
        if state is None:
            states[o] = None
        elif (isinstance(state, list) and len(state) == 2
              and all(isinstance(x, str) for x in state) and len(state[1]) % _MARK == 0):
            states[o] = (state[0], state[1])
        else:
            raise InvalidRequest(BAD_CURSOR)
    return learn["fresh"], states


def learned_pages(index: ImageIndex, area: str, query: GardenQuery, rng: random.Random
                  ) -> tuple[dict[str, list[ImageRecord]], str | None]:
    """One page per orientation in the learned order, and the cursor of the pages after."""
    fresh, states = _learned_state(query.cursor, rng)
    read = _reader(index, fresh)
    windows: dict[str, tuple[list[ImageRecord], str | None, str]] = {}
    for orientation, state in states.items():
        if state is None:
            continue
        window, shown = state
        page = read(area, query.emotion, orientation, WINDOW, window or None)
        marks = {shown[i:i + _MARK] for i in range(0, len(shown), _MARK)}
        unseen = [r for r in page.items if _mark(r.key) not in marks]
        windows[orientation] = (unseen, page.cursor, shown)
    segment = query.context.segment
    keys = [r.key for unseen, _, _ in windows.values() for r in unseen]
    counters = index.counters(keys, bandit.segments(segment)) if keys else {}
    found: dict[str, list[ImageRecord]] = {o: [] for o in ORIENTATIONS}
    following: dict[str, list[str] | None] = {o: None for o in ORIENTATIONS}
    for orientation, (unseen, window_end, shown) in windows.items():
        by_key = {r.key: r for r in unseen}
        order = bandit.thompson_order(list(by_key), counters, segment, rng)
        taken = order[:query.limit]
        found[orientation] = [by_key[k] for k in taken]
        window = states[orientation][0]  # type: ignore[index]
        # The next window starts after this one's last image in index order; a shown image
        # only ever moves up (likes only grow; created_ms never changes), so it cannot come
        # back in a later window and the marks start afresh.
        if len(order) > len(taken):
            following[orientation] = [window, shown + "".join(_mark(k) for k in taken)]
        elif window_end is not None:
            following[orientation] = [window_end, ""]
    if all(f is None for f in following.values()):
        return found, None
    return found, encode_cursor({"learn": {"fresh": fresh, **following}})


def garden(index: ImageIndex, url: Callable[[str], str], query: GardenQuery, area: str = GARDEN,
           rng: random.Random | None = None) -> dict[str, Any]:
    """One page of the garden for an emotion, split by orientation."""
    rng = rng or random.Random()
    if query.order == "learned":
        found, cursor = learned_pages(index, area, query, rng)
    else:
        found, cursor = pages(index, area, query)
    answer: dict[str, Any] = {"emotion": query.emotion, "order": query.order}
    for orientation, items in found.items():
        answer[orientation] = [item_view(r, url) for r in items]
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


def _visitor(body: Mapping[str, Any]) -> str:
    visitor = body.get("id")
    if not isinstance(visitor, str) or not 1 <= len(visitor.strip()) <= MAX_VISITOR_ID:
        raise InvalidRequest(f"id must be the visitor's id (1–{MAX_VISITOR_ID} characters)")
    return visitor.strip()


def _body_context(body: Mapping[str, Any], gender: bool) -> Context:
    """A body's ``context`` object (the kiosk's), else its top-level fields (the original's)."""
    context = body.get("context")
    if context is None:
        return parse_context(body, gender)
    parsed = parse_context(context, gender)
    if isinstance(context, Mapping) and context.get("emotion") is not None:
        parse_emotion(context.get("emotion"))
    return parsed


def _item_keys(items: object, field: str) -> list[str]:
    if not isinstance(items, list) or not items or len(items) > MAX_IMPRESSIONS:
        raise InvalidRequest(f"{field} must be a list of 1–{MAX_IMPRESSIONS} image keys or URLs")
    return list(dict.fromkeys(item_key(i) for i in items))


def impressions(index: ImageIndex, body: Mapping[str, Any], gender: bool = False) -> dict[str, Any]:
    """``{"id", "itemIds": [...], "context"}``: the visit saw these images. Each counts once
    per visit and image; keys of images no longer in the garden are skipped."""
    visitor = _visitor(body)
    keys = _item_keys(body.get("itemIds"), "itemIds")
    context = _body_context(body, gender)
    counted = index.count_impressions(visitor, keys, bandit.segments(context.segment))
    return {"counted": len(counted), "itemIds": counted}


def like(index: ImageIndex, body: Mapping[str, Any], gender: bool = False) -> dict[str, Any]:
    """``{"id", "itemId", "context"?, "impression"?}``: one like per visit and image; the liked
    image counts as seen too, and so do the ids of the original's ``impression`` list."""
    visitor = _visitor(body)
    key = item_key(body.get("itemId"))
    context = _body_context(body, gender)
    seen = _item_keys(body["impression"], "impression") if body.get("impression") else []
    likes, counted = index.like(key, visitor)
    where = bandit.segments(context.segment)
    index.count_impressions(visitor, [key, *seen], where)
    if counted:
        index.count_like(key, where)
    return {"itemId": key, "likes": likes, "counted": counted}
