"""The original system's operator requests, translated into today's (pure: no I/O).

- ``POST /bulk {"index", "prompt", "fname"}``: its operator scripts asked for one image per
  request — ``index`` its number, ``prompt`` a JSON string of the prompt generator's fields
  (``emotion``, ``favorite``, ``emotionText``, ``others``…), ``fname`` where the image goes
  (``imgPool/happy/spring,cloudy,day/img_3h``, or under ``emotions/`` or ``pool/``; the
  emotion and favorite are read from it when the prompt does not name them, the orientation
  from its last letter when it is h or v). Today: a bulk job of one image per orientation
  asked for, in the same pool folder, named as the original named it (``image_name``): the
  bulk page sends ``fname`` ``imgPool/calm/img_{time}`` and ``index`` i and looks for
  ``img_{time}_{i}h.jpeg`` and ``…v.jpeg``; an ``fname`` ending in h or v names its one image.
- ``POST /remove {"objName": [...] | "<JSON string of a list>"}``: ``{"keys": [...]}``, each
  ``imgPool/…`` key read as ours (``pool/…``), a leading ``/`` dropped. ``POST /removePool``
  (the pool page's) takes the same body, for pool images only.
- ``POST /retrieve {"emotion": "<JSON string of the emotion>"}`` (the pool page's listing,
  ``happy`` or ``happy/rose``): ``GET /pool``'s parameters.
- ``POST /clearIndex {"objName": KEY | "<JSON string of KEY>" | [...]}``: the keys whose index
  entries are brought back in line with the store.

Their answers keep the original's envelope: ``{"statusCode": 200, "body": "<JSON>"}`` beside
today's fields.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequest
from . import jsontext
from .layout import GARDEN, ORIENTATIONS, POOL, SUFFIX, from_original, parse_key
from .validation import whole_number

MAX_INDEX = 1_000_000
_BULK_FIELDS = ("emotion", "favorite", "emotionText", "others", "steps", "seed")
_AREAS = (f"{GARDEN}/", f"{POOL}/")


def is_original_bulk(body: Mapping[str, Any]) -> bool:
    return "fname" in body or ("index" in body and isinstance(body.get("prompt"), str)
                               and "count" not in body)


def bulk_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The original's bulk body as today's ``POST /bulk`` body, or InvalidRequest. ``name``
    is what the job's image is to be called (``image_name``): ``{name}h.jpeg``…"""
    index = whole_number(body.get("index", 0), "index", 0, MAX_INDEX, digits=True)
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
        out = {**_from_fname(fname, index), **out}
    out["count"] = 1
    return out


def image_name(stem: str, index: int) -> tuple[str, str | None]:
    """The name the original gave the image of ``fname``'s last segment (``.jpeg`` dropped)
    and ``index``, and the one orientation it names: ``img_3h`` names its own image
    (``img_3``, landscape); any other stem is the bulk page's, whose images are
    ``{stem}_{index}h.jpeg`` and ``…v.jpeg`` (``img_20230301-120000_3``, both)."""
    if len(stem) > 1 and stem[-1] in ORIENTATIONS:
        return stem[:-1], ORIENTATIONS[stem[-1]]
    return f"{stem}_{index}", None


def _from_fname(fname: object, index: int = 0) -> dict[str, Any]:
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
    stem = parts[-1].removesuffix(SUFFIX) if len(parts) > 1 else ""
    if not stem:
        return out
    name, orientation = image_name(stem, index)
    if orientation is not None:
        out["orientations"] = [orientation]
    try:   # a name an image key may have (characters, length), whatever the emotion
        parse_key(f"{POOL}/HAPPY/{name}h{SUFFIX}", (POOL,))
    except InvalidRequest as exc:
        raise InvalidRequest(f"fname {fname[:80]!r}: {exc}") from None
    out["name"] = name
    return out


def is_original_remove(body: Mapping[str, Any]) -> bool:
    return "objName" in body and "keys" not in body


def remove_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"objName": [...] | "<JSON list>" | KEY | "<JSON string of KEY>"}`` as
    ``{"keys": [...]}``, or InvalidRequest."""
    names = body.get("objName")
    if isinstance(names, str):
        text = names.strip()
        names = jsontext.loads(text, "objName") if text.startswith(("[", '"')) else [text]
        if isinstance(names, str):
            names = [names]
    if not isinstance(names, list):
        raise InvalidRequest('objName must be a list of keys, or a JSON string of one, such as '
                             '["imgPool/happy/img_1h.jpeg"]')
    return {"keys": [from_original(n.strip().lstrip("/")) if isinstance(n, str) else n
                     for n in names]}


def retrieve_params(body: Mapping[str, Any]) -> dict[str, Any]:
    """The pool page's ``{"emotion": "<JSON string of the emotion>"}`` (or the emotion itself:
    ``happy``, ``happy/rose``; ``cursor`` and ``limit`` as GET /pool takes them) as GET
    /pool's parameters, or InvalidRequest."""
    emotion = body.get("emotion")
    if isinstance(emotion, str) and emotion.strip().startswith('"'):
        emotion = jsontext.loads(emotion.strip(), "emotion")
    if not isinstance(emotion, str) or not emotion.strip():
        raise InvalidRequest('emotion must name the pool to list, e.g. "happy" or "happy/rose"')
    params: dict[str, Any] = {"emotion": emotion.strip()}
    for name in ("cursor", "limit"):
        if body.get(name) is not None:
            params[name] = body[name]
    return params


def envelope(answer: Mapping[str, Any], body: Any) -> dict[str, Any]:
    """An answer in the original's envelope: ``statusCode`` and ``body`` (a JSON string, what
    its pages ``JSON.parse``) beside today's fields."""
    return {"statusCode": 200, "body": json.dumps(body), **answer}
