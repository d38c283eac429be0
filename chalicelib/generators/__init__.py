"""The image generator port: one adapter per inference endpoint URI (DESIGN.md, Endpoints).

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
