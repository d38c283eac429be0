"""``POST /emotion`` as a service: a photo in, the visitor's emotion out, the photo kept nowhere.

The response keeps every field of the original kiosk API (``id, bucket, key, ageRange,
smile, ..., emotions, generation``) and adds ``emotionScores``, ``faces``, ``boundingBox`` and
``analyzer``. With several faces the largest one is the visitor. One structured log line per
analysis records how it went — never the photo, never what was read from the face.

Memory and time are bounded per photo (``images``: a pixel cap per format and a cap on the
decoded size, both read from the header before any pixel is decoded; the full frame dropped
as soon as it is reduced) and per process: ``ANALYSES`` lets ``ANALYSIS_SLOTS`` photos be
decoded and analysed at once (the local models run one at a time anyway). Requests waiting
for a slot hold a server thread each, so at most ``ANALYSIS_WAITERS`` may wait (each up to
``ANALYSIS_WAIT_S``): beyond that a photo gets 503 at once, and a client with
``ANALYSES_PER_CLIENT`` photos already in flight gets 429 — both with Retry-After — so the
garden's other routes keep their threads while photos queue.
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
from ..errors import GardenError, InvalidRequest, NotFound, ServiceUnavailable, TooManyRequests
from ..rules.emotions import EMOTIONS, generation
from . import Face, FaceAnalyzer
from .images import PreparedImage, check_header, check_upload, prepare_image

_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")

KeepPhoto = Callable[[str, bytes], tuple[str, str]]
T = TypeVar("T")
ANALYSIS_SLOTS = 2        # photos decoded and analysed at once, per process
ANALYSIS_WAITERS = 2      # photos that may wait for a slot (each holds a server thread)
ANALYSIS_WAIT_S = 5.0     # how long a photo waits for a slot before 503
ANALYSES_PER_CLIENT = 2   # photos one client address may have in flight (running or waiting)


class AnalysesBusy(ServiceUnavailable):
    """Every analysis slot is taken and enough photos already wait, or the slots stayed
    taken while this photo waited (HTTP 503, Retry-After)."""
    retry_after = 2


class ClientBusy(TooManyRequests):
    """This client already has ANALYSES_PER_CLIENT photos in flight (HTTP 429, Retry-After)."""
    retry_after = 1


class Gate:
    """At most ``slots`` analyses at once, each run by one of ``slots`` worker threads; at
    most ``waiters`` more wait, each up to ``wait_s`` seconds (then AnalysesBusy); a photo
    that finds ``slots + waiters`` in flight is refused at once (AnalysesBusy), and so is one
    from a client with ``per_client`` photos in flight (ClientBusy). A waiting photo holds the
    request's thread, so the waiters bound is what leaves the server's other threads to the
    garden's other routes.

    Worker threads of their own, rather than the requests' threads: the C allocator keeps
    an arena per thread that has decoded a large picture, so with the server's many request
    threads the memory of a few decodes at a time would still end up held by every thread."""

    def __init__(self, slots: int, wait_s: float, waiters: int = ANALYSIS_WAITERS,
                 per_client: int = ANALYSES_PER_CLIENT) -> None:
        self.slots, self.wait_s, self.waiters, self.per_client = slots, wait_s, waiters, per_client
        self._free = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._in_flight = 0                      # running or waiting
        self._by_client: dict[str, int] = {}     # the same, per client address
        self._workers: ThreadPoolExecutor | None = None

    @property
    def in_flight(self) -> int:
        """Photos admitted and not yet answered: running or waiting for a slot."""
        with self._lock:
            return self._in_flight

    def run(self, work: Callable[[], T], client: str | None = None) -> T:
        self._admit(client)
        try:
            if not self._free.acquire(timeout=self.wait_s):
                raise AnalysesBusy(f"the server is reading {self.slots} other photos; try "
                                   f"again in a moment")
            try:  # a slot held means a worker is free: the work starts now
                return self._pool().submit(contextvars.copy_context().run, work).result()
            finally:
                self._free.release()
        finally:
            self._leave(client)

    def _admit(self, client: str | None) -> None:
        with self._lock:
            if client is not None and self._by_client.get(client, 0) >= self.per_client:
                raise ClientBusy(f"this client already has {self.per_client} photos being "
                                 f"read; send the next when one is answered")
            if self._in_flight >= self.slots + self.waiters:
                raise AnalysesBusy(f"the server is reading {self.slots} photos and "
                                   f"{self.waiters} more wait; try again in a moment")
            self._in_flight += 1
            if client is not None:
                self._by_client[client] = self._by_client.get(client, 0) + 1

    def _leave(self, client: str | None) -> None:
        with self._lock:
            self._in_flight -= 1
            if client is not None:
                left = self._by_client.get(client, 1) - 1
                if left > 0:
                    self._by_client[client] = left
                else:
                    self._by_client.pop(client, None)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(self.slots, thread_name_prefix="analysis")
            return self._workers


ANALYSES = Gate(ANALYSIS_SLOTS, ANALYSIS_WAIT_S)


def analyze_photo(body: bytes, content_type: str | None, analyzer: FaceAnalyzer,
                  user_id: str | None = None, keep_photo: KeepPhoto | None = None,
                  gate: Gate | None = None, client: str | None = None) -> dict[str, Any]:
    """Analyse one photo. ``keep_photo(id, bytes) -> (bucket, key)`` is the debug opt-in
    that stores it (GARDEN_KEEP_PHOTOS_DAYS > 0); without it bucket and key are None.
    ``client`` is the caller's address, for the per-client bound of ``gate`` (by default
    ANALYSES). Raises NotFound("No Face"), InvalidRequest, UnsupportedMediaType,
    PayloadTooLarge, TooManyRequests (ClientBusy), ServiceUnavailable (AnalysesBusy) or
    UpstreamFailed."""
    started = time.perf_counter()
    fields: dict[str, Any] = {"analyzer": analyzer.name, "bytes": len(body or b"")}
    try:
        visitor = _user_id(user_id)
        check_upload(body, content_type)  # what costs nothing is refused without waiting,
        check_header(body)                # and so is a picture too large to decode
        image, faces = (gate or ANALYSES).run(lambda: _read(body, content_type, analyzer), client)
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
