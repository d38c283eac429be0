"""Display zones: what each wall screen shows, set by the operator, read by the screens.

A zone (1..99) is configured with a mode (chalicelib/rules/zones.py): the operator's own
images (``chosen``), the most liked of an emotion (``loved``), the newest of an emotion or of
all (``newest``), every emotion in turn (``rotate``), or the garden of the last kiosk
reading's emotion (``follow``). A zone never configured shows the newest of every emotion.

A screen asks ``GET /zones/{n}`` every few seconds (``poll``) and gets the images to show,
resolved here from the image index's own queries — only published garden images that are
still there — with a ``version`` that changes whenever that answer's content changes (the
HTTP edge makes it the ETag, so an unchanged answer costs a 304).

Follow the kiosk: a successful ``POST /emotion`` records the reading's emotion and time in
the zone store (``record_reading``) — never the photo, never the visitor's id; a failure to
record is logged and never fails the visitor's reading.
"""
from __future__ import annotations

import hashlib
import heapq
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from . import logs
from .catalog import ImageIndex, ImageRecord, ZoneStore
from .errors import InvalidRequest
from .rules import zones as rules
from .rules.emotions import EMOTIONS
from .rules.layout import GARDEN, ORIENTATION_NAMES, emotion_spellings
from .rules.times import utc_now

Url = Callable[[str], str]
PAGE = 50               # images read per query when several emotions are merged
_SHOWN_MISSING = 5      # missing keys named in a refusal


# --- the operator: configurations ---------------------------------------------------------------
def stored_view(config: Mapping[str, Any]) -> dict[str, Any]:
    """A stored configuration as the API shows it (its fields, in the contract's order)."""
    default = rules.default_config(int(config["zone"]))
    return {name: config.get(name, default[name]) for name in default}


def list_zones(zones: ZoneStore) -> dict[str, Any]:
    return {"zones": [stored_view(config) for config in zones.list_zones()]}


def put_zone(zones: ZoneStore, index: ImageIndex, zone: int, body: Mapping[str, Any],
             now: Callable[[], str] = utc_now) -> dict[str, Any]:
    """``PUT /zones/{n}``: validate the body, check that a chosen zone's images are in the
    garden now, store it; the stored configuration."""
    config = rules.parse_config(body)
    if config["mode"] == "chosen":
        config["images"] = garden_keys(index, config["images"])
    stored = {"zone": zone, **config, "updated": now()}
    zones.put_zone(stored)
    return stored_view(stored)


def delete_zone(zones: ZoneStore, zone: int) -> dict[str, Any]:
    """``DELETE /zones/{n}``: the zone goes back to the default (idempotent)."""
    zones.delete_zone(zone)
    return {"zone": zone, "deleted": True}


def update_display(zones: ZoneStore, index: ImageIndex, url: Url, body: Mapping[str, Any],
                   now: Callable[[], str] = utc_now) -> dict[str, Any]:
    """The original system's ``POST /updateDisplay {"zone", "landscape": [...], "portrait":
    [...]}``: the zone becomes ``chosen`` with those images, each named by key (in the
    original's spelling too) or by its URL on this garden's public origin."""
    origin = url("")
    zone, keys = rules.original_body(body, lambda entry: rules.key_of(entry, origin))
    current = zones.get_zone(zone) or {}
    return put_zone(zones, index, zone, {
        "mode": "chosen", "images": keys,
        "caption": current.get("caption"),              # what the operator set stays
        "interval": current.get("interval")}, now)


def garden_keys(index: ImageIndex, keys: list[str]) -> list[str]:
    """Each key as the garden indexes it (a key in the other spelling of its emotion — the
    original's ``emotions/happy/…`` — is found too); InvalidRequest naming those not in the
    garden."""
    found, missing = [], []
    for key in keys:
        record = _published(index, key)
        if record is None:
            missing.append(key)
        else:
            found.append(record.key)
    if missing:
        shown = ", ".join(repr(k[:80]) for k in missing[:_SHOWN_MISSING])
        more = f" and {len(missing) - _SHOWN_MISSING} more" if len(missing) > _SHOWN_MISSING else ""
        raise InvalidRequest(f"not in the garden (publish them first): {shown}{more}")
    return list(dict.fromkeys(found))


def _published(index: ImageIndex, key: str) -> ImageRecord | None:
    for spelling in emotion_spellings(key):
        record = index.get_image(spelling)
        if record is not None and record.area == GARDEN:
            return record
    return None


# --- the screens: a zone's answer ---------------------------------------------------------------
def answer(zones: ZoneStore, index: ImageIndex, url: Url, zone: int) -> dict[str, Any]:
    """``GET /zones/{n}``: what the zone's screen shows now (the contract's answer)."""
    config = zones.get_zone(zone) or rules.default_config(zone)
    mode, emotion = config["mode"], config.get("emotion")
    found: dict[str, list[ImageRecord]]
    if mode == "chosen":
        found = _chosen(index, config.get("images") or [])
    elif mode == "loved" and emotion is not None:
        found = _loved(index, emotion)
    elif mode == "rotate":
        found = _each_orientation(lambda o: _round_robin(index, o))
    elif mode == "follow":
        reading = zones.last_reading()
        emotion = reading.emotion if reading is not None and reading.emotion in EMOTIONS else None
        found = _newest(index, None) if emotion is None else _loved(index, emotion)
    else:
        found = _newest(index, emotion)
    body: dict[str, Any] = {
        "zone": zone, "mode": mode, "emotion": emotion, "caption": config.get("caption"),
        "interval": config.get("interval", rules.DEFAULT_INTERVAL),
        "poll": rules.poll_seconds(mode)}
    for orientation in ORIENTATION_NAMES:
        body[orientation] = [{"key": r.key, "url": url(r.key)}
                             for r in found[orientation][:rules.MAX_IMAGES]]
    body["version"] = version(body)
    return {name: body[name] for name in ("zone", "mode", "emotion", "caption", "interval",
                                          "poll", "version", *ORIENTATION_NAMES)}


def version(body: Mapping[str, Any]) -> str:
    """A short hash of everything in the answer: equal answers, equal versions."""
    text = json.dumps({k: v for k, v in body.items() if k != "version"}, sort_keys=True,
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _each_orientation(read: Callable[[str], list[ImageRecord]]) -> dict[str, list[ImageRecord]]:
    return {orientation: read(orientation) for orientation in ORIENTATION_NAMES}


def _loved(index: ImageIndex, emotion: str) -> dict[str, list[ImageRecord]]:
    return _each_orientation(lambda o: index.query(GARDEN, emotion, o, rules.MAX_IMAGES).items)


def _chosen(index: ImageIndex, keys: list[str]) -> dict[str, list[ImageRecord]]:
    """The operator's images still in the garden, in the operator's order, by orientation."""
    found: dict[str, list[ImageRecord]] = {o: [] for o in ORIENTATION_NAMES}
    for key in keys[:rules.MAX_IMAGES]:
        record = index.get_image(key) if isinstance(key, str) else None
        if record is not None and record.area == GARDEN and record.orientation in found:
            found[record.orientation].append(record)
    return found


def _pages(read: Callable[..., Any], emotion: str, orientation: str) -> Iterator[ImageRecord]:
    """An emotion's images in one orientation, read a page at a time as they are taken."""
    cursor: str | None = None
    while True:
        page = read(GARDEN, emotion, orientation, PAGE, cursor)
        yield from page.items
        cursor = page.cursor
        if cursor is None or not page.items:
            return


def _newest(index: ImageIndex, emotion: str | None) -> dict[str, list[ImageRecord]]:
    """The newest images of ``emotion``, or of every emotion (each emotion's newest-first
    pages merged, so no more is read than is shown)."""
    if emotion is not None:
        return _each_orientation(lambda o: index.query_fresh(GARDEN, emotion, o,
                                                             rules.MAX_IMAGES).items)

    def merged(orientation: str) -> list[ImageRecord]:
        streams = [_pages(index.query_fresh, e, orientation) for e in EMOTIONS]
        ordered = heapq.merge(*streams, key=lambda r: (-r.created_ms, r.key))
        return list(islice(ordered, rules.MAX_IMAGES))
    return _each_orientation(merged)


def _round_robin(index: ImageIndex, orientation: str) -> list[ImageRecord]:
    """Every emotion in turn (HAPPY, SAD, ANGRY… one each, then again), each in its most
    liked order; an emotion that runs out leaves its turn to the others."""
    streams = [_pages(index.query, e, orientation) for e in EMOTIONS]
    taken: list[ImageRecord] = []
    while streams and len(taken) < rules.MAX_IMAGES:
        alive = []
        for stream in streams:
            record = next(stream, None)
            if record is None:
                continue
            taken.append(record)
            alive.append(stream)
            if len(taken) == rules.MAX_IMAGES:
                break
        streams = alive
    return taken


# --- follow the kiosk -------------------------------------------------------------------------
def record_reading(zones: Callable[[], ZoneStore], emotion: object,
                   clock: Callable[[], float] = time.time) -> bool:
    """Keep a kiosk reading's emotion and time for the zones that follow the kiosk. Never
    raises: a catalog that cannot take it is logged (no emotion, no id) and the visitor's
    reading goes on. True when it was kept."""
    if not isinstance(emotion, str) or emotion not in EMOTIONS:
        return False
    try:
        return zones().record_reading(emotion, int(clock() * 1000))
    except Exception as exc:   # whatever the catalog does, the visitor gets their garden
        logs.event("zones.reading_not_recorded", logging.WARNING, error=type(exc).__name__)
        return False
