"""The image generator port: one adapter per kind of inference endpoint, chosen by the
endpoint's URI (``painter:``, ``sagemaker:NAME``, ``http(s)://HOST:PORT/PATH``,
``a1111://HOST:PORT``). ``factory.build_generator`` maps a URI to its adapter; its
``Generator`` return type is what holds every adapter to this protocol under mypy.

Adapters raise the domain errors EndpointTimeout, EndpointThrottled, EndpointFailed and
BadImage (chalicelib.errors); the state machines retry the first two and catch the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    width: int
    height: int
    negative_prompt: str = ""
    steps: int = 30
    guidance_scale: float = 7.5
    seed: int | None = None


class Generator(Protocol):
    uri: str  # the endpoint URI it was built from, e.g. "painter:" or "sagemaker:sd-1"

    def generate(self, request: GenerationRequest) -> bytes:
        """One JPEG of exactly request.width × request.height."""
