"""``POST /emotion`` as a service: a photo in, the visitor's emotion out, the photo kept nowhere.

The response keeps every field of the original kiosk API (``id, bucket, key, ageRange,
smile, ..., emotions, generation``) and adds ``emotionScores``, ``faces``, ``boundingBox`` and
``analyzer``. With several faces the largest one is the visitor. One structured log line per
analysis records how it went — never the photo, never what was read from the face.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from .. import logs, metrics
from ..errors import GardenError, InvalidRequest, NotFound
from ..rules.emotions import EMOTIONS, generation
from . import Face, FaceAnalyzer
from .images import prepare_image

_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")

KeepPhoto = Callable[[str, bytes], tuple[str, str]]


def analyze_photo(body: bytes, content_type: str | None, analyzer: FaceAnalyzer,
                  user_id: str | None = None, keep_photo: KeepPhoto | None = None
                  ) -> dict[str, Any]:
    """Analyse one photo. ``keep_photo(id, bytes) -> (bucket, key)`` is the debug opt-in
    that stores it (GARDEN_KEEP_PHOTOS_DAYS > 0); without it bucket and key are None.
    Raises NotFound("No Face"), InvalidRequest, UnsupportedMediaType, PayloadTooLarge,
    ServiceUnavailable or UpstreamFailed."""
    started = time.perf_counter()
    fields: dict[str, Any] = {"analyzer": analyzer.name, "bytes": len(body or b"")}
    try:
        visitor = _user_id(user_id)
        image = prepare_image(body, content_type)
        fields.update(media_type=image.media_type, width=image.width, height=image.height)
        faces = analyzer.analyze(image)
        fields["faces"] = len(faces)
        if not faces:
            raise NotFound("No Face")
        bucket, key = keep_photo(visitor, image.data) if keep_photo else (None, None)
        fields["kept"] = keep_photo is not None
        response = to_response(visitor, max(faces, key=lambda f: f.box.area), len(faces),
                               analyzer.name, bucket, key)
    except GardenError as exc:
        _log(started, fields, outcome=type(exc).__name__, level=logging.WARNING)
        if isinstance(exc, NotFound):
            metrics.emotion_analyzed("NO_FACE", time.perf_counter() - started, analyzer=analyzer.name)
        raise
    _log(started, fields, outcome="ok")
    metrics.emotion_analyzed(response["emotions"], time.perf_counter() - started, analyzer=analyzer.name)
    return response


def to_response(visitor: str, face: Face, count: int, analyzer: str,
                bucket: str | None = None, key: str | None = None) -> dict[str, Any]:
    age = face.age_range
    return {
        "id": visitor,
        "bucket": bucket,
        "key": key,
        "ageRange": {"Low": age.low, "High": age.high} if age else None,
        "smile": face.smile,
        "eyeglasses": face.eyeglasses,
        "sunglasses": face.sunglasses,
        "gender": face.gender,
        "beard": face.beard,
        "mustache": face.mustache,
        "eyesOpen": face.eyes_open,
        "mouthOpen": face.mouth_open,
        "emotions": face.dominant_emotion,
        "generation": generation(age.low, age.high) if age else None,
        "emotionScores": {name: _score(face.emotions.get(name)) for name in EMOTIONS},
        "faces": count,
        "boundingBox": face.box.to_json(),
        "analyzer": analyzer,
    }


def _score(value: float | None) -> float | None:
    return None if value is None else round(min(max(float(value), 0.0), 100.0), 2)


def _user_id(value: str | None) -> str:
    if value is None or not value.strip():
        return str(uuid.uuid4())
    value = value.strip()
    if not _USER_ID.fullmatch(value):
        raise InvalidRequest("X-user-id must be 1-128 letters, digits or . _ : @ -")
    return value


def _log(started: float, fields: dict[str, Any], outcome: str,
         level: int = logging.INFO) -> None:
    # Counts and sizes only: no bytes, no id, no emotion, age or gender (face data).
    logs.event("face_analysis", level=level, outcome=outcome,
               ms=round((time.perf_counter() - started) * 1000, 1), **fields)
