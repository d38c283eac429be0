"""Small honest fakes of the ports the workflow touches (used until, and beside, the real
adapters): an in-memory job catalog, an in-memory store, scripted generators."""
from __future__ import annotations

import copy
import io
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from PIL import Image

from chalicelib.catalog._common import (
    DEAD,
    assemble_job,
    check_job_entry,
    check_job_fields,
    dead_endpoint,
    dead_endpoints,
    new_job_doc,
    summarize_job,
)
from chalicelib.errors import (
    BadImage,
    EndpointFailed,
    EndpointThrottled,
    EndpointTimeout,
    JobNotFound,
    ObjectNotFound,
)
from chalicelib.generators import GenerationRequest


def jpeg(width: int, height: int, color: tuple[int, int, int] = (200, 80, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


class MemoryJobs:
    """The catalog port's job methods, in memory and thread-safe (tasks run in parallel), with
    the port's rules: entries keyed by n (a re-recorded n replaces), dead endpoints marked."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._entries: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def create_job(self, job: dict[str, Any]) -> None:
        doc, entries = new_job_doc(copy.deepcopy(job))
        with self._lock:
            self._jobs[doc["jobId"]] = {**doc, DEAD: sorted(dead_endpoints(entries))}
            self._entries[doc["jobId"]] = {(f, k): e for f, k, e in entries}

    def append_job_entry(self, job_id: str, field: str, entry: dict[str, Any]) -> None:
        key = check_job_entry(field, entry)
        with self._lock:
            if job_id not in self._jobs:
                raise JobNotFound(job_id)
            if dead := dead_endpoint(field, entry):
                self._jobs[job_id][DEAD] = sorted({*self._jobs[job_id][DEAD], dead})
            self._entries[job_id][(field, key)] = copy.deepcopy(entry)

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        check_job_fields(fields)
        with self._lock:
            if job_id not in self._jobs:
                raise JobNotFound(job_id)
            self._jobs[job_id].update(copy.deepcopy(fields))

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            if job_id not in self._jobs:
                return None
            doc = self._jobs[job_id]
            entries = [(f, k, e) for (f, k), e in self._entries[job_id].items()]
            return copy.deepcopy(assemble_job(doc, entries, doc[DEAD]))

    def job_summary(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._jobs.get(job_id)
            return copy.deepcopy(summarize_job(doc, doc[DEAD])) if doc is not None else None


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
