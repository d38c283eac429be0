"""``POST /emotion`` as a service: a photo in, the visitor's emotion out, the photo kept nowhere.

The response keeps every field of the original kiosk API (``id, bucket, key, ageRange,
smile, ..., emotions, generation``) and adds ``emotionScores``, ``faces``, ``boundingBox`` and
``analyzer``. With several faces the largest one is the visitor. One structured log line per
analysis records how it went — never the photo, never what was read from the face.

Memory is bounded per photo (``images``: a pixel cap per format, the full frame dropped as
soon as it is reduced) and per process: ``ANALYSES`` lets ``ANALYSIS_SLOTS`` photos be
decoded and analysed at once (the local models run one at a time anyway); a request that
finds every slot taken waits up to ``ANALYSIS_WAIT_S``, then gets 503 with Retry-After.
"""
from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .. import logs, metrics
from ..errors import GardenError, InvalidRequest, NotFound, ServiceUnavailable
from ..rules.emotions import EMOTIONS, generation
from . import Face, FaceAnalyzer
from .images import PreparedImage, check_upload, prepare_image

_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")

KeepPhoto = Callable[[str, bytes], tuple[str, str]]
T = TypeVar("T")
ANALYSIS_SLOTS = 2        # photos decoded and analysed at once, per process
ANALYSIS_WAIT_S = 5.0     # how long a photo waits for a slot before 503


class AnalysesBusy(ServiceUnavailable):
    """Every analysis slot stayed taken while this photo waited (HTTP 503, Retry-After)."""
    retry_after = 2


class Gate:
    """At most ``slots`` analyses at once, each run by one of ``slots`` worker threads; the
    others wait up to ``wait_s`` seconds, then AnalysesBusy.

    Worker threads of their own, rather than the requests' threads: the C allocator keeps
    an arena per thread that has decoded a large picture, so with the server's many request
    threads the memory of a few decodes at a time would still end up held by every thread."""

    def __init__(self, slots: int, wait_s: float) -> None:
        self.slots, self.wait_s = slots, wait_s
        self._free = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._workers: ThreadPoolExecutor | None = None

    def run(self, work: Callable[[], T]) -> T:
        if not self._free.acquire(timeout=self.wait_s):
            raise AnalysesBusy(f"the server is reading {self.slots} other photos; try again "
                               f"in a moment")
        try:  # a slot held means a worker is free: the work starts now
            return self._pool().submit(contextvars.copy_context().run, work).result()
        finally:
            self._free.release()

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(self.slots, thread_name_prefix="analysis")
            return self._workers


ANALYSES = Gate(ANALYSIS_SLOTS, ANALYSIS_WAIT_S)


def analyze_photo(body: bytes, content_type: str | None, analyzer: FaceAnalyzer,
                  user_id: str | None = None, keep_photo: KeepPhoto | None = None,
                  gate: Gate | None = None) -> dict[str, Any]:
    """Analyse one photo. ``keep_photo(id, bytes) -> (bucket, key)`` is the debug opt-in
    that stores it (GARDEN_KEEP_PHOTOS_DAYS > 0); without it bucket and key are None.
    Raises NotFound("No Face"), InvalidRequest, UnsupportedMediaType, PayloadTooLarge,
    ServiceUnavailable (AnalysesBusy when ``gate``, by default ANALYSES, has no slot in
    time) or UpstreamFailed."""
    started = time.perf_counter()
    fields: dict[str, Any] = {"analyzer": analyzer.name, "bytes": len(body or b"")}
    try:
        visitor = _user_id(user_id)
        check_upload(body, content_type)  # what costs nothing is refused without waiting
        image, faces = (gate or ANALYSES).run(lambda: _read(body, content_type, analyzer))
        fields.update(media_type=image.media_type, width=image.width, height=image.height)
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


def _read(body: bytes, content_type: str | None, analyzer: FaceAnalyzer
          ) -> tuple[PreparedImage, list[Face]]:
    image = prepare_image(body, content_type)
    return image, analyzer.analyze(image)


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
