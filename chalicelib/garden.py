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

Favorites (the original's third key segment, chalicelib/rules/favorites.py): a query with
a favorite (``favorite=…``, or the original kiosk's ``emotion: "happy/spring,cloudy,day"``)
answers that favorite's images first, in the query's order, then the rest of the emotion's
garden (the favorite's own left out), so a favorite with few images never leaves the screen
empty; each item's ``favorite`` says which it is. Its cursor remembers the phase.

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
from dataclasses import dataclass, replace
from functools import partial
from typing import Any
from urllib.parse import unquote, urlsplit

from .catalog import Engagement, ImageIndex, ImageRecord, Page
from .errors import InvalidRequest
from .rules import bandit
from .rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from .rules.emotions import GENERATIONS, parse_emotion
from .rules.favorites import parse_favorite, split_emotion
from .rules.layout import GARDEN, IMAGE_PREFIXES, ORIENTATION_NAMES, check_safe, parse_key
from .rules.validation import whole_number

DEFAULT_LIMIT, MAX_LIMIT = 24, 100
ORIENTATIONS = ORIENTATION_NAMES
MAX_VISITOR_ID = 128
ORDERS = ("learned", "rank", "fresh")
WINDOW = 100               # candidates per orientation of the learned order
FRESH_SHARE = 0.2          # visits whose learned window is the newest images
MAX_IMPRESSIONS = 50       # item ids per POST /impressions
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
    ``favorite`` (chalicelib/rules/favorites.py), ``gender`` (female|male; kept only when the operator allows it —
    otherwise ignored, as the original kiosk sends it). Absent or null: unknown."""
    if not isinstance(params, Mapping):
        raise InvalidRequest("context must be an object such as {\"generation\": \"adult\"}")
    generation = params.get("generation")
    if generation is not None and generation not in GENERATIONS:
        raise InvalidRequest(f"generation must be one of {', '.join(GENERATIONS)} (or absent)")
    favorite = parse_favorite(params.get("favorite"))
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
        emotion, chosen = split_emotion(params.get("emotion"))
        context = parse_context(params, gender)
        if chosen is not None:
            if context.favorite not in (None, chosen):
                raise InvalidRequest(f"emotion names the favorite {chosen!r} and favorite "
                                     f"{context.favorite!r}: send one")
            context = replace(context, favorite=chosen)
        return cls(emotion, limit, cursor or None, order, context)


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


def _reader(index: ImageIndex, fresh: bool, favorite: str | None) -> Callable[..., Page]:
    return partial(index.query_fresh if fresh else index.query, favorite=favorite)


def pages(index: ImageIndex, area: str, query: GardenQuery, favorite: str | None = None
          ) -> tuple[dict[str, list[ImageRecord]], str | None]:
    """One page per orientation in rank (or fresh) order (only ``favorite``'s images when
    given), from where the query's cursor left each, and the cursor of the pages after them
    (None when both orientations are done)."""
    cursors = _decode_cursor(query.cursor)
    read = _reader(index, query.order == "fresh", favorite)
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


def learned_pages(index: ImageIndex, engagement: Engagement, area: str, query: GardenQuery,
                  rng: random.Random, favorite: str | None = None) -> tuple[dict[str, list[ImageRecord]], str | None]:
    """One page per orientation in the learned order (only ``favorite``'s images when
    given), and the cursor of the pages after."""
    fresh, states = _learned_state(query.cursor, rng)
    read = _reader(index, fresh, favorite)
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
    counters = engagement.counters(keys, bandit.segments(segment)) if keys else {}
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


Found = dict[str, list[ImageRecord]]
_FAV, _REST = "fav", "rest"     # the phases of a favorite's query


def _ordered(index: ImageIndex, engagement: Engagement, area: str, query: GardenQuery,
             rng: random.Random, favorite: str | None = None) -> tuple[Found, str | None]:
    if query.order == "learned":
        return learned_pages(index, engagement, area, query, rng, favorite)
    return pages(index, area, query, favorite)


def _phase(cursor: str | None) -> tuple[str, str | None]:
    if cursor is None:
        return _FAV, None
    data = decode_cursor(cursor)
    if not (set(data) == {"phase", "inner"} and data["phase"] in (_FAV, _REST)
            and isinstance(data["inner"], (str, type(None)))):
        raise InvalidRequest(BAD_CURSOR)
    return data["phase"], data["inner"]


def favorite_first(index: ImageIndex, engagement: Engagement, area: str, query: GardenQuery,
                   favorite: str, rng: random.Random) -> tuple[Found, str | None]:
    """The favorite's images, then — once they are all shown — the rest of the emotion's
    garden without them. The page where the favorite runs out is filled up with the rest,
    never beyond ``limit`` per orientation."""
    phase, inner = _phase(query.cursor)
    found: Found = {o: [] for o in ORIENTATIONS}
    rest_query = replace(query, cursor=inner)
    if phase == _FAV:
        found, following = _ordered(index, engagement, area, rest_query, rng, favorite)
        if following is not None:
            return found, encode_cursor({"phase": _FAV, "inner": following})
        room = query.limit - max(len(items) for items in found.values())
        if room == 0:
            return found, encode_cursor({"phase": _REST, "inner": None})
        rest_query = replace(query, cursor=None, limit=room)
    rest, following = _ordered(index, engagement, area, rest_query, rng)
    for orientation in ORIENTATIONS:
        found[orientation] += [r for r in rest[orientation] if r.favorite != favorite]
    return found, None if following is None else encode_cursor({"phase": _REST,
                                                                 "inner": following})


def garden(index: ImageIndex, engagement: Engagement, url: Callable[[str], str],
           query: GardenQuery, area: str = GARDEN,
           rng: random.Random | None = None) -> dict[str, Any]:
    """One page of the garden for an emotion, split by orientation (the learned order reads
    ``engagement``'s counters)."""
    rng = rng or random.Random()
    favorite = query.context.favorite
    if favorite is None:
        found, cursor = _ordered(index, engagement, area, query, rng)
    else:
        found, cursor = favorite_first(index, engagement, area, query, favorite, rng)
    answer: dict[str, Any] = {"emotion": query.emotion, "order": query.order}
    if favorite is not None:
        answer["favorite"] = favorite
    for orientation, items in found.items():
        answer[orientation] = [item_view(r, url) for r in items]
    if cursor:
        answer["cursor"] = cursor
    if query.cursor is None and not answer["landscape"] and not answer["portrait"]:
        answer["empty"] = True
        answer["message"] = f"Nothing has bloomed for {query.emotion} yet."
    return answer


def favorites(index: ImageIndex, params: Mapping[str, Any], area: str = GARDEN) -> dict[str, Any]:
    """``GET /favorites?emotion=HAPPY``: the emotion's favorites with their image counts,
    most images first (the kiosk offers them; the desk shows them)."""
    emotion, _ = split_emotion(params.get("emotion"))
    counts = index.favorites(area, emotion)
    listed = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"emotion": emotion, "favorites": [{"favorite": f, "images": n} for f, n in listed]}


def item_key(item_id: object) -> str:
    """A like names its image by key, by the URL the garden gave, or — as the original's
    pages did — by that URL's path (``/emotions/happy/spring%2Ccloudy%2Cday/img_1h.jpeg``),
    URL-encoded or not; each becomes the key."""
    if not isinstance(item_id, str) or not item_id.strip():
        raise InvalidRequest("itemId must be the key or URL of a garden image")
    item_id = item_id.strip()
    if "://" in item_id:
        item_id = urlsplit(item_id).path
    if "%" in item_id:
        try:
            item_id = unquote(item_id, errors="strict")
        except UnicodeDecodeError:
            raise InvalidRequest("itemId holds %-escapes that are not UTF-8") from None
    item_id = item_id.lstrip("/")
    at = item_id.find(f"/{IMAGE_PREFIXES[0]}")   # a URL path with a prefix before the key
    if not item_id.startswith(IMAGE_PREFIXES[0]) and at >= 0:
        item_id = item_id[at + 1:]
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


def impressions(index: Engagement, body: Mapping[str, Any], gender: bool = False
                ) -> dict[str, Any]:
    """``{"id", "itemIds": [...], "context"}``: the visit saw these images. Each counts once
    per visit and image; keys of images no longer in the garden are skipped."""
    visitor = _visitor(body)
    keys = _item_keys(body.get("itemIds"), "itemIds")
    context = _body_context(body, gender)
    counted = index.count_impressions(visitor, keys, bandit.segments(context.segment))
    return {"counted": len(counted), "itemIds": counted}


def like(index: Engagement, body: Mapping[str, Any], gender: bool = False) -> dict[str, Any]:
    """``{"id", "itemId", "context"?, "impression"?}``: one like per visit and image; the liked
    image counts as seen too, and so do the ids of the original's ``impression`` list."""
    visitor = _visitor(body)
    key = item_key(body.get("itemId"))
    context = _body_context(body, gender)
    seen = _item_keys(body["impression"], "impression") if body.get("impression") else []
    where = bandit.segments(context.segment)
    # impressions first (once per visit and image, however often asked), then the like and
    # its counters in one write: an error answered means no like stored, a retry counts once
    index.count_impressions(visitor, [key, *seen], where)
    likes, counted = index.like(key, visitor, where)
    return {"itemId": key, "likes": likes, "counted": counted}
