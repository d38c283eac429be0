"""The image generator port: one adapter per kind of inference endpoint, chosen by the
endpoint's URI (``painter:``, ``sagemaker:NAME``, ``bedrock:MODEL_ID[?concurrency=N]``,
``http(s)://HOST:PORT/PATH``, ``a1111://HOST:PORT``), and the asynchronous ones that queue a
request and answer through a notification (``ParkingGenerator``: ``sagemaker-async:NAME``,
``painter:?async=1``). The composition root's ``build_generator`` maps a URI to its adapter;
its return type is what holds every adapter to these protocols under mypy.

Adapters raise the domain errors EndpointTimeout, EndpointThrottled, EndpointFailed and
BadImage (chalicelib.errors); the state machines retry the first two and catch the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .sagemaker_async import Submitted


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    width: int
    height: int
    negative_prompt: str = ""
    steps: int = 30
    guidance_scale: float = 7.5
    seed: int | None = None
    # The workflow always asks for the exact size (garden images are laid out at 1280×800 and
    # 800×1280, text-to-image returns what was asked). False lets a model that has native
    # sizes (Bedrock) answer the one nearest to width × height instead of a resized image.
    exact: bool = True


@runtime_checkable
class Generator(Protocol):
    uri: str  # the endpoint URI it was built from, e.g. "painter:" or "sagemaker:sd-1"

    def generate(self, request: GenerationRequest) -> bytes:
        """One JPEG of exactly request.width × request.height (with ``exact`` False, an
        adapter with native sizes may answer its nearest one)."""


@runtime_checkable
class ParkingGenerator(Protocol):
    """An asynchronous endpoint (``sagemaker-async:NAME``, ``painter:?async=1``): it queues a
    request and answers later, through a notification (``sagemaker_async.parse_notification``
    reads one) that names where its answer is; the worker does not wait for it."""

    uri: str

    def submit(self, request: GenerationRequest, inference_id: str) -> Submitted:
        """Queue the request; ``inference_id`` (1-64 printable characters, unique per attempt)
        comes back in its notification."""

    def read_output(self, location: str, request: GenerationRequest) -> bytes:
        """The answer's JPEG at ``location``, checked as a synchronous answer is."""

    def discard(self, *locations: str | None) -> None:
        """Forget a finished request's objects (best effort)."""


@runtime_checkable
class CapacityProbe(Protocol):
    """An endpoint that can say how many instances serve it now (``sagemaker-async:NAME``:
    0 while it has scaled to zero); None when it cannot tell."""

    def capacity(self) -> int | None:
        """Instances serving the endpoint now (an answer may be some seconds old)."""


Endpoint = Generator | ParkingGenerator
