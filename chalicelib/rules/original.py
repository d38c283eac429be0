"""The original system's operator requests, translated into today's (pure: no I/O).

- ``POST /bulk {"index", "prompt", "fname"}``: its operator scripts asked for one image per
  request — ``index`` its number, ``prompt`` a JSON string of the prompt generator's fields
  (``emotion``, ``favorite``, ``emotionText``, ``others``…), ``fname`` where the image goes
  (``imgPool/happy/spring,cloudy,day/img_3h``, or under ``emotions/`` or ``pool/``; the
  emotion and favorite are read from it when the prompt does not name them, the orientation
  from its last letter when it is h or v). Today: a bulk job of one image per orientation
  asked for, in the same pool folder.
- ``POST /remove {"objName": [...] | "<JSON string of a list>"}``: ``{"keys": [...]}``, each
  ``imgPool/…`` key read as ours (``pool/…``), a leading ``/`` dropped.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequest
from . import jsontext
from .layout import GARDEN, ORIENTATIONS, POOL, from_original
from .validation import whole_number

MAX_INDEX = 1_000_000
_BULK_FIELDS = ("emotion", "favorite", "emotionText", "others", "steps", "seed")
_AREAS = (f"{GARDEN}/", f"{POOL}/")


def is_original_bulk(body: Mapping[str, Any]) -> bool:
    return "fname" in body or ("index" in body and isinstance(body.get("prompt"), str)
                               and "count" not in body)


def bulk_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The original's bulk body as today's ``POST /bulk`` body, or InvalidRequest."""
    whole_number(body.get("index", 0), "index", 0, MAX_INDEX, digits=True)
    raw = body.get("prompt")
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRequest('prompt must be a JSON string such as "{\\"emotion\\": \\"happy\\", '
                             '\\"favorite\\": \\"spring,cloudy,day\\"}"')
    prompt = jsontext.loads(raw, "prompt")
    if not isinstance(prompt, dict):
        raise InvalidRequest("prompt must be a JSON string of an object with emotion, favorite, "
                             "emotionText or others")
    out: dict[str, Any] = {k: prompt[k] for k in _BULK_FIELDS if prompt.get(k) is not None}
    fname = body.get("fname")
    if fname is not None:
        out = {**_from_fname(fname), **out}
    out["count"] = 1
    return out


def _from_fname(fname: object) -> dict[str, Any]:
    if not isinstance(fname, str) or not fname.strip("/ "):
        raise InvalidRequest("fname must be the image's path, e.g. imgPool/happy/rose/img_1h")
    path = from_original(fname.strip().lstrip("/"))
    for area in _AREAS:
        if path.startswith(area):
            path = path[len(area):]
    parts = path.split("/")
    if len(parts) > 3:
        raise InvalidRequest(f"fname {fname[:80]!r}: expected [imgPool/]EMOTION/[favorite/]name")
    out: dict[str, Any] = {"emotion": parts[0]}
    if len(parts) == 3:
        out["favorite"] = parts[1]
    stem = parts[-1].removesuffix(".jpeg") if len(parts) > 1 else ""
    if len(stem) > 1 and stem[-1] in ORIENTATIONS:
        out["orientations"] = [ORIENTATIONS[stem[-1]]]
    return out


def is_original_remove(body: Mapping[str, Any]) -> bool:
    return "objName" in body and "keys" not in body


def remove_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"objName": [...] | "<JSON list>"}`` as ``{"keys": [...]}``, or InvalidRequest."""
    names = body.get("objName")
    if isinstance(names, str):
        text = names.strip()
        names = jsontext.loads(text, "objName") if text.startswith("[") else [text]
    if not isinstance(names, list):
        raise InvalidRequest('objName must be a list of keys, or a JSON string of one, such as '
                             '["imgPool/happy/img_1h.jpeg"]')
    return {"keys": [from_original(n.lstrip("/")) if isinstance(n, str) else n for n in names]}
