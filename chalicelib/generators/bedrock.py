"""``bedrock:MODEL_ID[?concurrency=N]``: a serverless image model on Amazon Bedrock, called
through bedrock-runtime InvokeModel with its family's documented request body, paid per image.

Families (``config.BEDROCK_FAMILIES`` says which model IDs belong to which):

- **stability** (Stable Diffusion 3.5 Large, Stable Image Core, Stable Image Ultra): body
  ``{prompt, negative_prompt?, seed, aspect_ratio, output_format}``; answer
  ``{images: [base64], seeds: [n], finish_reasons: [null | "Filter reason: …" | …]}``. The
  model takes no size, only one of ``STABILITY_RATIOS``, and answers about one megapixel.
- **nova-canvas** (Amazon Nova Canvas): body ``{taskType: TEXT_IMAGE, textToImageParams:
  {text, negativeText?}, imageGenerationConfig: {width, height, seed, numberOfImages,
  cfgScale}}``; answer ``{images: [base64], error?}``. Width and height are multiples of 16
  from 320 to 4096, at most 4,194,304 pixels, aspect ratio between 1:4 and 4:1.

Sizes: the request's size is mapped to the model's nearest (``stability_ratio``,
``nova_size``). When the request asks for an exact size (``GenerationRequest.exact``; the
workflow always does, garden images are laid out at exactly 1280×800 and 800×1280) and the
model's answer differs, it is scaled to cover and centre-cropped with Pillow; otherwise the
native image is delivered. Either way the JPEG carries, under provenance's ``generator`` key,
the model, its native size, how it was fitted and the seed the model used.

Errors: throttling and quota → EndpointThrottled, ModelTimeoutException → EndpointTimeout
(both retried by the workflow); a content filter's refusal → BadImage on that image only;
no model access, or a model the region does not offer → EndpointFailed saying what to do
(the job's other images skip the endpoint).

``concurrency`` is how many images may be in flight at once for the model: the workflow plans
that many workers for it (``Settings.workers``), and one process never sends more than that at
once (a wait longer than the timeout is throttling).
"""
from __future__ import annotations

import json
import math
import threading
from typing import Any

from PIL import Image, ImageOps

from .. import config
from ..errors import (
    BadImage,
    ConfigError,
    EndpointFailed,
    EndpointThrottled,
    EndpointTimeout,
    InvalidRequest,
)
from ..rules import provenance
from . import GenerationRequest
from .checks import (
    MAX_ENCODED_BYTES,
    check_request_size,
    decode_base64_image,
    encode_jpeg,
    open_image,
    to_jpeg,
)
from .http import DEFAULT_TIMEOUT
from .tracing import traced

CONTENT_TYPE = "application/json"
STABILITY_RATIOS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
STABILITY_MAX_PROMPT = 10_000
STABILITY_MAX_SEED = 4_294_967_294
NOVA_MULTIPLE, NOVA_MIN_SIDE, NOVA_MAX_SIDE = 16, 320, 4096
NOVA_MAX_PIXELS, NOVA_MAX_RATIO = 4_194_304, 4.0
NOVA_MAX_TEXT = 1024
NOVA_MAX_SEED = 858_993_459
NOVA_CFG_RANGE = (1.1, 10.0)
THROTTLED_CODES = frozenset({
    "ThrottlingException", "ServiceQuotaExceededException", "ServiceUnavailableException",
    "TooManyRequestsException", "ModelNotReadyException",
})
CREDENTIAL_CODES = frozenset({
    "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
    "ExpiredToken", "InvalidClientTokenId",
})
# How Bedrock says "this model is not here": an unknown ID, or one not offered on demand.
_NOT_OFFERED = ("model identifier is invalid", "isn't supported", "is not supported",
                "on-demand throughput", "not available", "does not exist", "not found")
_FILTERED = "content filter"


# --- sizes -------------------------------------------------------------------------------------
def _ratio(text: str) -> float:
    width, height = text.split(":")
    return int(width) / int(height)


def stability_ratio(width: int, height: int) -> str:
    """The Stability aspect ratio nearest to width:height (compared as log ratios, so 2:1 and
    1:2 are as far from 1:1); 1280×800 (16:10) maps to 3:2, 800×1280 to 2:3."""
    wanted = math.log(width / height)
    return min(STABILITY_RATIOS, key=lambda r: abs(math.log(_ratio(r)) - wanted))


def nova_size(width: int, height: int) -> tuple[int, int]:
    """The Nova Canvas size nearest to width × height within its rules: sides multiples of 16
    from 320 to 4096, at most 4,194,304 pixels, aspect ratio between 1:4 and 4:1. The aspect
    ratio is kept as far as the rules allow, then the area."""
    ratio = min(max(width / height, 1 / NOVA_MAX_RATIO), NOVA_MAX_RATIO)
    area = min(width * height, NOVA_MAX_PIXELS)
    w, h = math.sqrt(area * ratio), math.sqrt(area / ratio)
    grow = max(1.0, NOVA_MIN_SIDE / min(w, h))           # the short side at least 320
    shrink = min(1.0, NOVA_MAX_SIDE / (max(w, h) * grow))  # the long side at most 4096
    w, h = w * grow * shrink, h * grow * shrink

    def snap(value: float) -> int:
        side = int(value / NOVA_MULTIPLE + 0.5) * NOVA_MULTIPLE
        return min(max(side, NOVA_MIN_SIDE), NOVA_MAX_SIDE)
    sides = [snap(w), snap(h)]
    # rounding may cross a limit by a step: mend the ratio (short side up while the area
    # allows, else long side down), then the area (long side down, toward 1:1)
    while max(sides) > NOVA_MAX_RATIO * min(sides):
        short, long = (0, 1) if sides[0] < sides[1] else (1, 0)
        if (sides[short] + NOVA_MULTIPLE) * sides[long] <= NOVA_MAX_PIXELS:
            sides[short] += NOVA_MULTIPLE
        else:
            sides[long] -= NOVA_MULTIPLE
    while sides[0] * sides[1] > NOVA_MAX_PIXELS:
        sides[0 if sides[0] >= sides[1] else 1] -= NOVA_MULTIPLE
    return sides[0], sides[1]


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` scaled to cover width × height and centre-cropped to exactly that (RGB)."""
    return ImageOps.fit(image.convert("RGB"), (width, height), method=Image.Resampling.LANCZOS,
                        centering=(0.5, 0.5))


# --- the families' bodies ------------------------------------------------------------------------
def stability_body(request: GenerationRequest) -> dict[str, Any]:
    if len(request.prompt) > STABILITY_MAX_PROMPT:
        raise InvalidRequest(f"the prompt has {len(request.prompt)} characters; Stability "
                             f"models on "
                       f"Bedrock take at most {STABILITY_MAX_PROMPT}")
    body: dict[str, Any] = {"prompt": request.prompt,
                            "aspect_ratio": stability_ratio(request.width, request.height),
                            "output_format": "jpeg"}
    if request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt[:STABILITY_MAX_PROMPT]
    if request.seed is not None:
        body["seed"] = request.seed % (STABILITY_MAX_SEED + 1)
    return body


def nova_body(request: GenerationRequest) -> dict[str, Any]:
    if len(request.prompt) > NOVA_MAX_TEXT:
        raise InvalidRequest(f"the prompt has {len(request.prompt)} characters; Nova Canvas "
                             f"takes at "
                       f"most {NOVA_MAX_TEXT}")
    width, height = nova_size(request.width, request.height)
    low, high = NOVA_CFG_RANGE
    params: dict[str, Any] = {"text": request.prompt}
    if request.negative_prompt:
        params["negativeText"] = request.negative_prompt[:NOVA_MAX_TEXT]
    generation: dict[str, Any] = {"width": width, "height": height, "numberOfImages": 1,
                                  "cfgScale": min(max(float(request.guidance_scale), low), high)}
    if request.seed is not None:
        generation["seed"] = request.seed % (NOVA_MAX_SEED + 1)
    return {"taskType": "TEXT_IMAGE", "textToImageParams": params,
            "imageGenerationConfig": generation}


def _answer(payload: bytes, source: str) -> dict[str, Any]:
    try:
        answer = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadImage(f"{source} answered with something that is not JSON") from None
    if not isinstance(answer, dict):
        raise BadImage(f"{source} answered with JSON that is not an object")
    return answer


def _refused(source: str, reason: str) -> BadImage:
    return BadImage(f"{source}: the model's content filter refused this image ({reason}); "
                    f"this prompt or seed will not be drawn by this model — reword the prompt")


def stability_image(payload: bytes, source: str) -> tuple[bytes, dict[str, Any]]:
    """The image of a Stability answer and what it says about it, or BadImage."""
    answer = _answer(payload, source)
    reasons = answer.get("finish_reasons")
    reason = reasons[0] if isinstance(reasons, list) and reasons else None
    if reason is not None:
        text = str(reason)[:200]
        if text.lower().startswith("filter reason"):
            raise _refused(source, text)
        raise BadImage(f"{source}: the model could not make this image ({text})")
    images = answer.get("images")
    if not isinstance(images, list) or not images:
        raise BadImage(f"{source} answered without images")
    seeds = answer.get("seeds")
    seed = seeds[0] if isinstance(seeds, list) and seeds and isinstance(seeds[0], int) else None
    return decode_base64_image(images[0], source=source), {"modelSeed": seed}


def nova_image(payload: bytes, source: str) -> tuple[bytes, dict[str, Any]]:
    answer = _answer(payload, source)
    error = answer.get("error")
    if error:
        text = str(error)[:300]
        if _FILTERED in text.lower():
            raise _refused(source, text)
        raise BadImage(f"{source}: the model could not make this image ({text})")
    images = answer.get("images")
    if not isinstance(images, list) or not images:
        raise BadImage(f"{source} answered without images")
    return decode_base64_image(images[0], source=source), {}


FAMILIES = {"stability": (stability_body, stability_image),
            "nova-canvas": (nova_body, nova_image)}


# --- the client ----------------------------------------------------------------------------------
def build_client(timeout: float = DEFAULT_TIMEOUT, *, connections: int = 10,
                 session: Any = None) -> Any:
    """A bedrock-runtime client with one image's read timeout and no SDK retries (the workflow
    retries), after checking there are credentials and a region: ConfigError at start, not on
    the first image."""
    import boto3

    from .sagemaker import client_config
    session = session or boto3.session.Session()
    if session.get_credentials() is None:
        raise ConfigError("GARDEN_ENDPOINTS names a bedrock: model, but no AWS credentials were "
                          "found: configure them (aws configure, AWS_PROFILE, or "
                          "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or remove the bedrock: "
                          "endpoints")
    if not session.region_name:
        raise ConfigError("GARDEN_ENDPOINTS names a bedrock: model, but no AWS region is set: "
                          "set AWS_REGION to a region that offers the model (e.g. us-west-2 "
                          "for Stability, us-east-1 for Nova Canvas)")
    settings = client_config(timeout).merge(_pool(connections))
    return session.client("bedrock-runtime", config=settings)


def _pool(connections: int) -> Any:
    from botocore.config import Config
    return Config(max_pool_connections=max(10, connections))


# --- the adapter ---------------------------------------------------------------------------------
class BedrockGenerator:
    """One Bedrock model, thread-safe: the workflow's N workers for it share this object."""

    def __init__(self, endpoint: config.BedrockEndpoint, *, uri: str | None = None,
                 timeout: float | None = None, client: Any = None) -> None:
        self.endpoint = endpoint
        self.model_id = endpoint.model_id
        self.uri = uri or f"bedrock:{endpoint.model_id}"
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        self._body, self._image = FAMILIES[endpoint.family]
        self._client = client           # given: used as is; else built on first use
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(endpoint.concurrency)

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = build_client(self.timeout, connections=self.endpoint.concurrency)
            return self._client

    @property
    def region(self) -> str:
        return str(getattr(getattr(self.client, "meta", None), "region_name", None) or "?")

    def generate(self, request: GenerationRequest) -> bytes:
        check_request_size(request.width, request.height)
        source = f"endpoint {self.uri}"
        body = self._body(request)
        with traced(f"endpoint {self.uri}", endpoint=self.uri, adapter="bedrock",
                    model=self.model_id):
            if not self._slots.acquire(timeout=self.timeout):
                raise EndpointThrottled(f"{source}: all {self.endpoint.concurrency} of its "
                                        f"concurrent slots stayed busy for {self.timeout:g} s")
            try:
                # ASCII JSON: any text, even a lone surrogate, encodes; the model reads the same
                payload = self._invoke(json.dumps(body).encode("ascii"), source)
            finally:
                self._slots.release()
            data, details = self._image(payload, source)
            return self._deliver(data, request, body, details, source)

    def _invoke(self, body: bytes, source: str) -> bytes:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            NoCredentialsError,
            ReadTimeoutError,
        )
        try:
            response = self.client.invoke_model(modelId=self.model_id, body=body,
                                                contentType=CONTENT_TYPE, accept=CONTENT_TYPE)
            payload: bytes = response["body"].read(MAX_ENCODED_BYTES + 1)
        except ClientError as exc:
            raise self._client_error(exc, source) from None
        except (ReadTimeoutError, ConnectTimeoutError):
            raise EndpointTimeout(f"{source} did not answer within {self.timeout:g} s") from None
        except NoCredentialsError:
            raise EndpointFailed(f"{source}: no AWS credentials to call Bedrock with") from None
        except BotoCoreError as exc:   # unreachable, no region…
            raise EndpointFailed(f"{source} could not be called ({exc})") from None
        if len(payload) > MAX_ENCODED_BYTES:
            raise BadImage(f"{source} answered with more than {MAX_ENCODED_BYTES} bytes")
        return payload

    def _client_error(self, exc: Any, source: str) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "")) or "Unknown"
        message = (str(error.get("Message", "")) or str(exc))[:500]
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        said = f"{code}: {message}"
        if code in THROTTLED_CODES or status in (429, 503):
            return EndpointThrottled(f"{source} is throttled ({said})")
        if code == "ModelTimeoutException":
            return EndpointTimeout(f"{source}: the model took too long ({said})")
        if code == "AccessDeniedException":
            return EndpointFailed(
                f"{source}: access to {self.model_id} is denied in {self.region} — enable the "
                f"model in the Bedrock console (Model access) for this account and region, and "
                f"let the role call bedrock:InvokeModel on it ({said})")
        if code in CREDENTIAL_CODES:
            return EndpointFailed(f"{source}: AWS rejected the credentials ({said})")
        lowered = message.lower()
        if code == "ValidationException" and _FILTERED in lowered:
            return _refused(source, message)
        if code == "ResourceNotFoundException" or (
                code == "ValidationException" and any(s in lowered for s in _NOT_OFFERED)):
            return EndpointFailed(
                f"{source}: {self.model_id} is not offered in region {self.region} — use a "
                f"region that offers it on demand (see docs/deploy.md) or another model ({said})")
        return EndpointFailed(f"{source} answered {said}")

    def _deliver(self, data: bytes, request: GenerationRequest, body: dict[str, Any],
                 details: dict[str, Any], source: str) -> bytes:
        image = open_image(data, source=source)
        native = image.size
        wanted = (request.width, request.height) if request.exact else native
        if native == wanted:
            jpeg, fitted = to_jpeg(data, *wanted, source=source), "none"
        else:
            try:
                image.load()
                jpeg, fitted = encode_jpeg(fit(image, *wanted)), "cover-crop"
            except (OSError, SyntaxError, ValueError) as exc:
                raise BadImage(f"{source} answered with a broken image ({exc})") from None
        config_ = body.get("imageGenerationConfig") or {}
        asked = body.get("aspect_ratio") or f"{config_.get('width')}x{config_.get('height')}"
        described = {"model": self.model_id, "asked": asked, "nativeWidth": native[0],
                     "nativeHeight": native[1], "fitted": fitted,
                     **{k: v for k, v in details.items() if v is not None}}
        return provenance.embed(jpeg, {provenance.GENERATOR: described})

    def __repr__(self) -> str:
        return (f"BedrockGenerator({self.model_id!r}, concurrency={self.endpoint.concurrency}, "
                f"timeout={self.timeout:g})")
