"""Small honest fakes of the ports the workflow touches (used until, and beside, the real
adapters): an in-memory store, scripted generators. The in-memory job store is a real
adapter: chalicelib.catalog.memory.MemoryJobStore."""
from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator, Mapping

from PIL import Image

from chalicelib.errors import (
    BadImage,
    EndpointFailed,
    EndpointThrottled,
    EndpointTimeout,
    ObjectNotFound,
)
from chalicelib.generators import GenerationRequest


def jpeg(width: int, height: int, color: tuple[int, int, int] = (200, 80, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


class MemoryStore:
    def __init__(self, public_url: str = "http://garden.test") -> None:
        self.objects: dict[str, bytes] = {}
        self.public_url = public_url

    def put(self, key: str, data: bytes, content_type: str = "image/jpeg",
            metadata: Mapping[str, str] | None = None) -> None:
        self.objects[key] = bytes(data)

    def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return key in self.objects

    def list(self, prefix: str = "") -> Iterator[str]:
        return iter(sorted(k for k in self.objects if k.startswith(prefix)))

    def url(self, key: str) -> str:
        return f"{self.public_url}/{key}"


class ScriptedGenerator:
    """A generator whose behaviour is a script of outcomes, one per call, the last repeating:
    "ok", "throttle", "timeout", "fail", "garbage", "wrong-size"."""

    def __init__(self, uri: str, *script: str, delay: float = 0.0) -> None:
        self.uri = uri
        self.script = list(script or ("ok",))
        self.delay = delay
        self.calls: list[GenerationRequest] = []
        self._lock = threading.Lock()

    def generate(self, request: GenerationRequest) -> bytes:
        with self._lock:
            self.calls.append(request)
            outcome = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if self.delay:
            time.sleep(self.delay)
        if outcome == "throttle":
            raise EndpointThrottled(f"{self.uri} is busy")
        if outcome == "timeout":
            raise EndpointTimeout(f"{self.uri} did not answer")
        if outcome == "fail":
            raise EndpointFailed(f"{self.uri} is down")
        if outcome == "garbage":
            return b"not an image at all"
        if outcome == "wrong-size":
            return jpeg(request.width // 2, request.height // 2)
        if outcome == "bad-image":
            raise BadImage(f"{self.uri} answered garbage")
        return jpeg(request.width, request.height)
