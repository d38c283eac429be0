"""The JumpStart Stable Diffusion JSON contract — a JSON body of prompt, size, steps, guidance
and seed in; base64 JPEGs in ``generated_images`` out — shared by the SageMaker and plain-HTTP
adapters and by the local endpoint server."""
from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidRequest
from . import GenerationRequest
from .checks import ensure_jpeg, first_image

CONTENT_TYPE = "application/json"
ACCEPT = "application/json;jpeg"   # JumpStart's way of asking for base64 JPEGs in JSON


def request_body(request: GenerationRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": request.prompt,
        "width": request.width,
        "height": request.height,
        "num_images_per_prompt": 1,
        "num_inference_steps": request.steps,
        "guidance_scale": request.guidance_scale,
    }
    if request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def encode_request(request: GenerationRequest) -> bytes:
    return json.dumps(request_body(request), ensure_ascii=False).encode("utf-8")


def decode_response(payload: bytes, request: GenerationRequest, *, source: str) -> bytes:
    """The first generated image of a JumpStart answer, checked to be the JPEG asked for."""
    data = first_image(payload, "generated_images", source=source)
    return ensure_jpeg(data, request.width, request.height, source=source)


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{name} must be an integer")
    return value


def parse_request(body: object) -> GenerationRequest:
    """A JumpStart request body as the port's GenerationRequest (the server side)."""
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidRequest("prompt must be a non-empty string")
    negative = body.get("negative_prompt") or ""
    if not isinstance(negative, str):
        raise InvalidRequest("negative_prompt must be a string")
    if body.get("num_images_per_prompt", 1) != 1:
        raise InvalidRequest("num_images_per_prompt must be 1")
    guidance = body.get("guidance_scale", 7.5)
    if isinstance(guidance, bool) or not isinstance(guidance, (int, float)):
        raise InvalidRequest("guidance_scale must be a number")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidRequest("seed must be an integer")
    return GenerationRequest(
        prompt=prompt, width=_int(body, "width", 512), height=_int(body, "height", 512),
        negative_prompt=negative, steps=_int(body, "num_inference_steps", 30),
        guidance_scale=float(guidance), seed=seed,
    )


def response_body(jpeg: bytes, prompt: str) -> bytes:
    import base64
    return json.dumps({"generated_images": [base64.b64encode(jpeg).decode("ascii")],
                       "prompt": prompt}, ensure_ascii=False).encode("utf-8")
