"""``a1111://HOST:PORT``: AUTOMATIC1111's web UI API, ``POST /sdapi/v1/txt2img``. It answers
base64 PNGs; we convert them to the JPEG the port promises."""
from __future__ import annotations

from typing import Any

from . import GenerationRequest
from .checks import check_request_size, first_image, to_jpeg
from .http import DEFAULT_TIMEOUT, post_json
from .tracing import traced

TXT2IMG_PATH = "/sdapi/v1/txt2img"


class A1111Generator:
    def __init__(self, base_url: str, *, uri: str | None = None, timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")           # e.g. http://127.0.0.1:7860
        self.uri = uri or self.base_url.replace("http://", "a1111://", 1)
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)

    def body(self, request: GenerationRequest) -> dict[str, Any]:
        return {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "width": request.width,
            "height": request.height,
            "steps": request.steps,
            "cfg_scale": request.guidance_scale,
            "seed": -1 if request.seed is None else request.seed,   # -1: A1111 picks one
            "batch_size": 1,
            "n_iter": 1,
        }

    def generate(self, request: GenerationRequest) -> bytes:
        check_request_size(request.width, request.height)
        source = f"endpoint {self.uri}"
        with traced(f"endpoint {self.uri}", endpoint=self.uri, adapter="a1111"):
            payload = post_json(self.base_url + TXT2IMG_PATH, self.body(request),
                                timeout=self.timeout, source=source)
            data = first_image(payload, "images", source=source)
            return to_jpeg(data, request.width, request.height, source=source)

    def __repr__(self) -> str:
        return f"A1111Generator({self.base_url!r}, timeout={self.timeout:g})"
