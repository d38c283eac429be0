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
