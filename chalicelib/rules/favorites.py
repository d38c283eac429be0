"""Favorites: the garden's third dimension after emotion and orientation — the original's
third key segment (``emotions/happy/spring,cloudy,day/…``), e.g. ``spring,cloudy,day``
(season, weather, time of day), ``rose`` or ``with cat``.

One rule for every entry point (the garden's queries and bodies, likes, bulk jobs, keys):
after white space is collapsed and the text lower-cased, a favorite is 1–MAX_FAVORITE
characters of letters and digits (any script), spaces, hyphens, apostrophes and commas,
starting and ending with a letter or digit — it names one folder of the store.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequest
from .emotions import parse_emotion

MAX_FAVORITE = 64
MAX_MATRIX = 100            # favorites one bulk job may make (a matrix's product included)
_RULE = re.compile(r"[^\W_](?:[\w ,'\-]{0,%d}[^\W_])?" % (MAX_FAVORITE - 2))
# The original page's choices: season, weather and time of day, joined by commas.
MATRIX_AXES = ("season", "weather", "time")
_HINT = ("e.g. 'rose', 'with cat' or 'spring,cloudy,day': letters, digits, spaces, hyphens, "
         "apostrophes and commas, starting and ending with a letter or digit")


def normalize(value: str) -> str:
    """The catalogued spelling: white space collapsed, lower case (one folder per favorite)."""
    return " ".join(value.split()).lower()


def parse_favorite(value: object, name: str = "favorite") -> str | None:
    """A favorite from a request in its catalogued spelling; None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string, {_HINT}")
    text = normalize(value)
    if not text:
        return None
    if len(text) > MAX_FAVORITE:
        raise InvalidRequest(f"{name} is {len(text)} characters; at most {MAX_FAVORITE}")
    if not _RULE.fullmatch(text):
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise InvalidRequest(f"{name} {shown!r} is not a favorite: {_HINT}")
    return text


def split_emotion(value: object) -> tuple[str, str | None]:
    """The original kiosk's ``emotion``: ``EMOTION``, ``emotion/`` or ``emotion/favorite``
    in any case → (EMOTION, favorite or None)."""
    if isinstance(value, str) and "/" in value:
        emotion, _, favorite = value.partition("/")
        return parse_emotion(emotion), parse_favorite(favorite)
    return parse_emotion(value), None


def parse_favorites(body: Mapping[str, Any]) -> tuple[str, ...]:
    """A bulk body's favorites: ``favorites`` (a list), or ``matrix`` (``{"season": [...],
    "weather": [...], "time": [...]}``: every combination, joined by commas in that order),
    or neither (``()``). At most MAX_MATRIX, duplicates dropped."""
    listed, matrix = body.get("favorites"), body.get("matrix")
    if listed is not None and matrix is not None:
        raise InvalidRequest("send favorites or matrix, not both")
    if matrix is not None:
        listed = _combinations(matrix)
    if listed is None:
        return ()
    if not isinstance(listed, list) or not listed:
        raise InvalidRequest("favorites must be a non-empty list such as [\"rose\", \"spring,cloudy,day\"]")
    if len(listed) > MAX_MATRIX:
        raise InvalidRequest(f"{len(listed)} favorites in one job; at most {MAX_MATRIX}")
    found = [parse_favorite(v, "each favorite") for v in listed]
    if any(f is None for f in found):
        raise InvalidRequest("favorites holds an empty favorite")
    return tuple(dict.fromkeys(f for f in found if f))


def _combinations(matrix: object) -> list[str]:
    if not isinstance(matrix, Mapping) or not matrix or not set(matrix) <= set(MATRIX_AXES):
        raise InvalidRequest('matrix must be an object such as {"season": ["spring"], '
                             '"weather": ["cloudy", "sunny"], "time": ["day"]} '
                             f"(axes: {', '.join(MATRIX_AXES)})")
    combos: list[str] = [""]
    for axis in MATRIX_AXES:
        words = matrix.get(axis)
        if words is None:
            continue
        if not isinstance(words, list) or not words or len(words) > MAX_MATRIX:
            raise InvalidRequest(f"matrix.{axis} must be a list of 1–{MAX_MATRIX} words")
        parsed = [_axis_word(w, axis) for w in words]
        if len(combos) * len(parsed) > MAX_MATRIX:
            raise InvalidRequest(f"the matrix makes more than {MAX_MATRIX} favorites; "
                                 "choose fewer words")
        combos = [f"{c},{w}" if c else w for c in combos for w in dict.fromkeys(parsed)]
    return combos


def _axis_word(word: object, axis: str) -> str:
    parsed = parse_favorite(word, f"matrix.{axis}")
    if parsed is None or "," in parsed:
        raise InvalidRequest(f"matrix.{axis} holds {word!r}: each word is a favorite without commas")
    return parsed


def favorite_words(favorite: str) -> str:
    """The favorite as prompt words: ``spring,cloudy,day`` → ``spring, cloudy, day``."""
    return ", ".join(part.strip() for part in favorite.split(",") if part.strip())
