"""Shared pieces of the generator tests: a fast stand-in generator and painter servers."""
from __future__ import annotations

import threading

import pytest

from chalicelib.generators import GenerationRequest
from chalicelib.generators.checks import encode_jpeg


class SolidGenerator:
    """Answers a plain JPEG of the requested size, and records how many paint at once."""

    uri = "solid:"

    def __init__(self) -> None:
        self.calls = 0
        self.active = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        self.entered = threading.Event()

    def generate(self, request: GenerationRequest) -> bytes:
        from PIL import Image
        with self._lock:
            self.calls += 1
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
        self.entered.set()
        try:
            return encode_jpeg(Image.new("RGB", (request.width, request.height), (200, 80, 120)))
        finally:
            with self._lock:
                self.active -= 1


@pytest.fixture
def solid() -> SolidGenerator:
    return SolidGenerator()


@pytest.fixture
def request_768() -> GenerationRequest:
    return GenerationRequest("A flower, fantasy, happy, young, smile, concept art", 768, 512, seed=7)


class _SentEntities:
    """The X-Ray SDK's emitter, keeping what it would send to the daemon (Powertools' Tracer
    streams each subsegment as it closes, so a segment's own list stays empty)."""

    def __init__(self) -> None:
        self.sent: list = []

    def send_entity(self, entity) -> None:
        self.sent.append(entity)

    def set_daemon_address(self, address) -> None:
        pass


@pytest.fixture
def xray(monkeypatch):
    """Inside a traced Lambda invocation: the Powertools Tracer's recorder with an open segment;
    yields the subsegments sent."""
    from chalicelib.generators import tracing
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    recorder = tracing.tracer().provider
    emitter, capture = recorder.emitter, _SentEntities()
    recorder.emitter = capture
    recorder.begin_segment("test")
    try:
        yield capture.sent
    finally:
        recorder.clear_trace_entities()
        recorder.emitter = emitter
