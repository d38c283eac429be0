"""Display zones (pure rules): zone numbers, what an operator may set for a zone, and the
original system's ``/updateDisplay`` body read as today's.

A zone is one wall screen (or a group of them) showing garden images. Its configuration:

- ``mode``: ``chosen`` (the operator's own list of garden keys), ``loved`` (the most liked
  images of ``emotion``), ``newest`` (the newest of ``emotion``, or of every emotion),
  ``rotate`` (every emotion in turn) or ``follow`` (the garden of the last kiosk reading's
  emotion);
- ``emotion``: required for loved, optional for newest, refused otherwise;
- ``images``: 1..MAX_IMAGES published garden keys, required for chosen, refused otherwise;
- ``caption``: up to MAX_CAPTION characters of text, or none;
- ``interval``: seconds each image stays, MIN_INTERVAL..MAX_INTERVAL (DEFAULT_INTERVAL).

Whether the keys name images that exist is the use case's to check (chalicelib/zones.py):
here only their shape is.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import InvalidKey, InvalidRequest, NotFound
from .emotions import EMOTIONS, parse_emotion
from .layout import GARDEN, parse_key

MIN_ZONE, MAX_ZONE = 1, 99
MODES = ("chosen", "loved", "newest", "rotate", "follow")
DEFAULT_MODE = "newest"
MAX_IMAGES = 200                 # per configuration, and per orientation in an answer
MAX_CAPTION = 200
MIN_INTERVAL, MAX_INTERVAL, DEFAULT_INTERVAL = 2, 3600, 8
POLL_FOLLOW, POLL_OTHER = 3, 30  # seconds a screen waits before asking again
FIELDS = ("mode", "emotion", "images", "caption", "interval")
ORIGINAL_FIELDS = ("zone", "landscape", "portrait")
ORIGINAL_PER_ORIENTATION = MAX_IMAGES // 2
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CANONICAL = re.compile(r"[1-9][0-9]?")                       # a URL's one spelling: 7, 42
_BODY_ZONE = re.compile(r"(?:zone[ _]?)?([0-9]{1,2})", re.IGNORECASE)   # 7, "07", "zone7"


def zone_number(value: object) -> int:
    """A zone number from a URL (``/zones/7``); NotFound (404) for anything that is not an
    integer from MIN_ZONE to MAX_ZONE spelled as one: ``/zones/07`` or ``/zones/%207`` is no
    zone, so each zone has one URL (one cache entry, one ETag)."""
    if isinstance(value, str) and _CANONICAL.fullmatch(value) and value.isascii():
        return int(value)
    if type(value) is int and MIN_ZONE <= value <= MAX_ZONE:
        return value
    raise NotFound(f"no such zone: zones are numbered {MIN_ZONE} to {MAX_ZONE}")


def body_zone(value: object) -> int:
    """A zone number in a request body: a number, a string of digits, or — as the original
    system's documents name zones — ``"zone1"``, ``"zone2"``… (any case); InvalidRequest
    (400) otherwise."""
    text = value.strip() if isinstance(value, str) else None
    found = _BODY_ZONE.fullmatch(text) if text is not None and text.isascii() else None
    if found is not None and MIN_ZONE <= int(found[1]) <= MAX_ZONE:
        return int(found[1])
    if type(value) is int and MIN_ZONE <= value <= MAX_ZONE:
        return value
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
    raise InvalidRequest(f"zone must be a whole number from {MIN_ZONE} to {MAX_ZONE} (or "
                         f"\"zone1\"…), not {shown}")


def default_config(zone: int) -> dict[str, Any]:
    """What a zone never configured shows: the newest images of every emotion."""
    return {"zone": zone, "mode": DEFAULT_MODE, "emotion": None, "images": [], "caption": None,
            "interval": DEFAULT_INTERVAL, "updated": None}


def parse_config(body: Mapping[str, Any]) -> dict[str, Any]:
    """A ``PUT /zones/{n}`` body as a configuration (without ``zone`` and ``updated``), or
    InvalidRequest naming what is wrong. ``null`` counts as absent."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the body must be a JSON object")
    unknown = [str(name) for name in body if name not in FIELDS]
    if unknown:
        shown = ", ".join(repr(u[:40]) for u in sorted(unknown)[:5])
        raise InvalidRequest(f"unknown field{'s' if len(unknown) > 1 else ''} {shown}: a zone "
                             f"takes {', '.join(FIELDS)}")
    mode = body.get("mode")
    if mode not in MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(MODES)}")
    emotion = body.get("emotion")
    if mode == "loved" and emotion is None:
        raise InvalidRequest(f"emotion is required in mode loved: use one of {', '.join(EMOTIONS)}")
    if emotion is not None and mode not in ("loved", "newest"):
        raise InvalidRequest(f"emotion is only for modes loved and newest, not {mode}")
    images = body.get("images")
    if mode == "chosen" and images is None:
        raise InvalidRequest(f"images is required in mode chosen: a list of 1 to {MAX_IMAGES} "
                             f"garden image keys")
    if images is not None and mode != "chosen":
        raise InvalidRequest(f"images is only for mode chosen, not {mode}")
    return {"mode": mode,
            "emotion": None if emotion is None else parse_emotion(emotion),
            "images": [] if images is None else image_keys(images),
            "caption": caption(body.get("caption")),
            "interval": interval(body.get("interval"))}


def image_keys(value: object, name: str = "images") -> list[str]:
    """1..MAX_IMAGES garden keys (duplicates dropped, order kept); InvalidRequest otherwise.
    The length is checked before any key is looked at."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_IMAGES:
        count = f" (got {len(value)})" if isinstance(value, list) else ""
        raise InvalidRequest(f"{name} must be a list of 1 to {MAX_IMAGES} garden image "
                             f"keys{count}")
    keys: list[str] = []
    for key in value:
        if not isinstance(key, str):
            raise InvalidRequest(f"{name} must hold image keys (strings) only")
        keys.append(garden_key(key, name))
    return list(dict.fromkeys(keys))


def garden_key(key: str, name: str = "images") -> str:
    """A published garden key (``emotions/…``), its spelling kept; InvalidKey otherwise."""
    try:
        return parse_key(key, areas=(GARDEN,)).key
    except InvalidKey as exc:
        raise InvalidKey(f"{name}: {exc}") from None


def caption(value: object) -> str | None:
    """Trimmed text of at most MAX_CAPTION characters (white space collapsed), no control
    characters; None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"caption must be text of up to {MAX_CAPTION} characters")
    text = " ".join(value.split())
    if len(text) > MAX_CAPTION:
        raise InvalidRequest(f"caption is {len(text)} characters; at most {MAX_CAPTION}")
    if _CONTROL.search(text):
        raise InvalidRequest("caption holds control characters; send plain text")
    return text or None


def interval(value: object) -> int:
    if value is None:
        return DEFAULT_INTERVAL
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"interval must be a whole number of seconds from {MIN_INTERVAL} "
                             f"to {MAX_INTERVAL}")
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise InvalidRequest(f"interval={value} is out of range: use {MIN_INTERVAL} to "
                             f"{MAX_INTERVAL} seconds" if len(str(value)) <= 20 else
                             f"interval is out of range: use {MIN_INTERVAL} to {MAX_INTERVAL} "
                             f"seconds")
    return value


def poll_seconds(mode: str) -> int:
    return POLL_FOLLOW if mode == "follow" else POLL_OTHER


# --- the original system's POST /updateDisplay -------------------------------------------------
def is_original_body(body: Mapping[str, Any]) -> bool:
    return isinstance(body, Mapping) and "zone" in body


def original_body(body: Mapping[str, Any], to_key: Callable[[str], str]) -> tuple[int, list[str]]:
    """``{"zone": 1, "landscape": [...], "portrait": [...]}`` as (zone, keys): each entry a key
    or a URL that ``to_key`` turns into one (InvalidRequest for a foreign URL); landscape
    first, then portrait. Either list may be empty or absent, not both."""
    unknown = [str(name) for name in body if name not in ORIGINAL_FIELDS]
    if unknown:
        raise InvalidRequest(f"unknown field {sorted(unknown)[0][:40]!r}: updateDisplay takes "
                             f"{', '.join(ORIGINAL_FIELDS)}")
    zone = body_zone(body.get("zone"))
    keys: list[str] = []
    for orientation in ("landscape", "portrait"):
        entries = body.get(orientation)
        if entries is None:
            continue
        if not isinstance(entries, list) or len(entries) > ORIGINAL_PER_ORIENTATION:
            raise InvalidRequest(f"{orientation} must be a list of at most "
                                 f"{ORIGINAL_PER_ORIENTATION} image keys or URLs")
        for entry in entries:
            if not isinstance(entry, str) or not entry.strip():
                raise InvalidRequest(f"{orientation} must hold image keys or URLs (strings)")
            keys.append(to_key(entry.strip()))
    if not keys:
        raise InvalidRequest("send at least one image in landscape or portrait")
    return zone, keys


def key_of(entry: str, origin: str) -> str:
    """An image named by key (``emotions/happy/…h.jpeg``, a leading ``/`` allowed) or by its
    URL on ``origin`` (this garden's public base URL, e.g. ``https://d111.cloudfront.net/``)
    as a key; InvalidRequest for a URL on another origin."""
    if "://" in entry:
        given, ours = urlsplit(entry), urlsplit(origin)
        if given.scheme.lower() not in ("http", "https") or \
                given.netloc.lower() != ours.netloc.lower():
            raise InvalidRequest(f"{entry[:80]!r} is not an image of this garden "
                                 f"(its URLs start with {origin})")
        path = given.path
        base = ours.path.rstrip("/") + "/"
        if not path.startswith(base):
            raise InvalidRequest(f"{entry[:80]!r} is not an image of this garden "
                                 f"(its URLs start with {origin})")
        entry = path[len(base):]
    if "%" in entry:
        try:
            entry = unquote(entry, errors="strict")
        except UnicodeDecodeError:
            raise InvalidRequest("an image URL holds %-escapes that are not UTF-8") from None
    return entry.lstrip("/")
