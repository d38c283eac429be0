"""``sagemaker-async:NAME``: a SageMaker asynchronous endpoint running the same JumpStart Stable
Diffusion model as ``sagemaker:NAME``, which may scale to zero instances while nobody draws.

An image is made in two halves, with nothing running in between:

1. ``submit``: the request's JSON (the JumpStart contract, ``jumpstart.encode_request``) is
   written to S3 under the input prefix, and InvokeEndpointAsync queues it
   (``InputLocation``, ``InferenceId``). SageMaker answers at once with the S3 object its
   answer will be written to: a ``Submitted``, not an image.
2. When the model has answered (seconds later, or minutes when the endpoint had to start an
   instance first), SageMaker publishes a notification to the endpoint config's success or
   error SNS topic. ``parse_notification`` reads its body; ``read_output`` reads the answer
   object and checks it exactly as ``sagemaker:`` checks its answer
   (``jumpstart.decode_response``): one JPEG of the requested size, else BadImage.

Errors are the workflow's, as for ``sagemaker:``: throttling (InvokeEndpointAsync's own, or an
S3 "slow down") is EndpointThrottled and retried; a request that expired in the queue or a model
that did not answer in time is EndpointTimeout; a model error or a missing endpoint is
EndpointFailed; a notification that names no usable answer, and an answer that is missing or
no JPEG, are BadImage.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import (
    BadImage,
    EndpointFailed,
    EndpointThrottled,
    EndpointTimeout,
    GeneratorError,
    InvalidRequest,
)
from . import GenerationRequest, jumpstart
from .checks import MAX_ENCODED_BYTES, check_request_size
from .sagemaker import client_config, client_error
from .tracing import traced

SCHEME = "sagemaker-async"
DEFAULT_INPUT_PREFIX = "async-inference/input/"
# How long a request may wait in the endpoint's queue (SageMaker: 60 s - 6 h). A scaled-to-zero
# endpoint needs minutes to start an instance; an hour covers a cold start behind a backlog.
DEFAULT_REQUEST_TTL = 3600
# How long the model may work on one request once it has it (SageMaker: 1 s - 1 h).
DEFAULT_INVOCATION_TIMEOUT = 300
SUBMIT_TIMEOUT = 20.0        # InvokeEndpointAsync only queues: it answers in well under a second
CAPACITY_TTL = 30.0          # seconds a DescribeEndpoint answer is kept (GET /jobs polls often)
# SageMaker's rules: an InferenceId is 1-64 printable characters, not starting with a space;
# custom attributes are at most 1024 visible ASCII characters.
_INFERENCE_ID = re.compile(r"^[!-~][ -~]{0,63}$")
_CUSTOM_ATTRIBUTES = re.compile(r"^[ -~]{0,1024}$")
_S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$")
# Words in a failure reason that say "not in time" (RequestTTLSeconds ran out in the queue, or
# InvocationTimeoutSeconds while the model worked) or "not now".
_TIMEOUT_WORDS = ("timed out", "timeout", "time out", "expired", "ttl", "did not respond",
                  "didn't respond")
_THROTTLE_WORDS = ("throttl", "too many requests", "rate exceeded", "(429)", "(503)",
                   "serviceunavailable", "service unavailable")
_S3_THROTTLED = frozenset({"SlowDown", "ServiceUnavailable", "RequestLimitExceeded",
                           "ThrottlingException", "InternalError"})


def parse_s3_uri(uri: object) -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key), or BadImage (where an answer should have been)."""
    match = _S3_URI.match(uri) if isinstance(uri, str) else None
    if match is None:
        raise BadImage(f"the answer's location {uri!r} is not an s3://bucket/key URI")
    return match.group(1), match.group(2)


def check_inference_id(inference_id: str) -> str:
    if not isinstance(inference_id, str) or not _INFERENCE_ID.match(inference_id):
        raise InvalidRequest(f"inference id {inference_id!r} must be 1-64 printable ASCII "
                             "characters, the first not a space")
    return inference_id


@dataclass(frozen=True)
class Submitted:
    """A request SageMaker has queued: where its answer (or its failure) will be written.
    ``as_dict`` is what a worker keeps with the image's lease until the notification comes."""

    uri: str                      # sagemaker-async:NAME
    inference_id: str
    input_location: str
    output_location: str
    failure_location: str | None = None

    def as_dict(self) -> dict[str, str]:
        kept = {"uri": self.uri, "inferenceId": self.inference_id,
                "inputLocation": self.input_location, "outputLocation": self.output_location}
        if self.failure_location:
            kept["failureLocation"] = self.failure_location
        return kept

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Submitted:
        try:
            return cls(uri=str(data["uri"]), inference_id=str(data["inferenceId"]),
                       input_location=str(data["inputLocation"]),
                       output_location=str(data["outputLocation"]),
                       failure_location=(str(data["failureLocation"])
                                         if data.get("failureLocation") else None))
        except (KeyError, TypeError) as exc:
            raise InvalidRequest(f"a submitted request needs uri, inferenceId, inputLocation "
                                 f"and outputLocation ({exc})") from None


@dataclass(frozen=True)
class Notification:
    """One SageMaker asynchronous inference notification (the SNS message's body).

    ``error`` is None when the model answered (``output_location`` then names the answer),
    else the workflow's error for this image: EndpointTimeout, EndpointThrottled,
    EndpointFailed, or BadImage when a "Completed" notification names no usable answer."""

    inference_id: str
    status: str                       # Completed | Failed (as SageMaker says it)
    endpoint_name: str | None = None
    input_location: str | None = None
    output_location: str | None = None
    failure_location: str | None = None
    error: GeneratorError | None = None

    @property
    def completed(self) -> bool:
        return self.error is None

    @property
    def error_name(self) -> str | None:
        """The error's name, for SendTaskFailure (Retry and Catch match on it)."""
        return type(self.error).__name__ if self.error is not None else None


def failure_error(reason: str, source: str) -> GeneratorError:
    """SageMaker's ``failureReason`` as the workflow's error."""
    text = f"{source} failed: {reason}"[:1000]
    lowered = reason.lower()
    if any(word in lowered for word in _TIMEOUT_WORDS):
        return EndpointTimeout(text)
    if any(word in lowered for word in _THROTTLE_WORDS):
        return EndpointThrottled(text)
    return EndpointFailed(text)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_notification(message: str | bytes | Mapping[str, Any]) -> Notification:
    """A notification's body (the SNS ``Message``: JSON text, or already parsed). Raises
    InvalidRequest when it is no SageMaker inference notification or names no inference —
    nothing to answer then; the caller logs and drops it. A notification that names its
    inference but is otherwise unusable is returned with a BadImage ``error``."""
    body: object = message
    if isinstance(message, (str, bytes)):
        try:
            body = json.loads(message)
        except ValueError:
            raise InvalidRequest("the notification is not JSON") from None
    if not isinstance(body, Mapping):
        raise InvalidRequest("the notification is not a JSON object")
    inference_id = body.get("inferenceId")
    if not isinstance(inference_id, str) or not _INFERENCE_ID.match(inference_id):
        raise InvalidRequest("the notification names no inference (inferenceId)")
    request = body.get("requestParameters")
    request = request if isinstance(request, Mapping) else {}
    response = body.get("responseParameters")
    response = response if isinstance(response, Mapping) else {}
    endpoint = _text(request.get("endpointName"))
    status = str(body.get("invocationStatus", ""))
    source = f"endpoint {SCHEME}:{endpoint}" if endpoint else "the asynchronous endpoint"
    common: dict[str, Any] = {
        "inference_id": inference_id, "status": status, "endpoint_name": endpoint,
        "input_location": _text(request.get("inputLocation")),
        "failure_location": _text(response.get("failureLocation")),
    }
    if status == "Completed":
        output = _text(response.get("outputLocation"))
        try:
            parse_s3_uri(output)
        except BadImage as exc:
            return Notification(**common, error=BadImage(f"{source} completed, but {exc}"))
        return Notification(**common, output_location=output)
    if status == "Failed":
        reason = _text(body.get("failureReason")) or "no reason given"
        return Notification(**common, error=failure_error(reason, source))
    return Notification(**common, error=BadImage(
        f"{source} sent a notification with invocationStatus {status!r}"))


class SageMakerAsyncGenerator:
    """Submits requests to one asynchronous endpoint and reads its answers. ``bucket`` and
    ``input_prefix`` are where requests are written (the endpoint's role must read them; its
    AsyncInferenceConfig's S3OutputPath is where SageMaker writes the answers)."""

    def __init__(self, endpoint_name: str, *, bucket: str,
                 input_prefix: str = DEFAULT_INPUT_PREFIX,
                 request_ttl: int = DEFAULT_REQUEST_TTL,
                 invocation_timeout: int = DEFAULT_INVOCATION_TIMEOUT,
                 client: Any = None, s3: Any = None, region: str | None = None,
                 control: Any = None, clock: Callable[[], float] = time.monotonic) -> None:
        if not 60 <= request_ttl <= 21600:
            raise InvalidRequest("request_ttl must be 60-21600 seconds (SageMaker's range)")
        if not 1 <= invocation_timeout <= 3600:
            raise InvalidRequest("invocation_timeout must be 1-3600 seconds (SageMaker's range)")
        self.endpoint_name = endpoint_name
        self.uri = f"{SCHEME}:{endpoint_name}"
        self.bucket = bucket
        self.input_prefix = input_prefix if input_prefix.endswith("/") or not input_prefix \
            else input_prefix + "/"
        self.request_ttl = request_ttl
        self.invocation_timeout = invocation_timeout
        self.region = region
        self._client = client        # sagemaker-runtime; given: used as is, else built lazily
        self._s3 = s3
        self._control = control      # sagemaker (the control plane): DescribeEndpoint
        self._clock = clock
        self._capacity: tuple[float, int | None] | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                self._client = boto3.client("sagemaker-runtime", region_name=self.region,
                                            config=client_config(SUBMIT_TIMEOUT))
            return self._client

    @property
    def s3(self) -> Any:
        with self._lock:
            if self._s3 is None:
                import boto3
                self._s3 = boto3.client("s3", region_name=self.region,
                                        config=client_config(SUBMIT_TIMEOUT))
            return self._s3

    @property
    def control(self) -> Any:
        with self._lock:
            if self._control is None:
                import boto3
                self._control = boto3.client("sagemaker", region_name=self.region,
                                             config=client_config(5.0))
            return self._control

    @property
    def source(self) -> str:
        return f"endpoint {self.uri}"

    def capacity(self) -> int | None:
        """Instances serving the endpoint now (DescribeEndpoint's CurrentInstanceCount over its
        variants; 0 while it has scaled to zero), kept CAPACITY_TTL seconds; None when
        SageMaker cannot tell us (no permission, throttled, the endpoint gone)."""
        from botocore.exceptions import BotoCoreError, ClientError
        now = self._clock()
        with self._lock:
            if self._capacity is not None and now - self._capacity[0] < CAPACITY_TTL:
                return self._capacity[1]
        count: int | None
        try:
            described = self.control.describe_endpoint(EndpointName=self.endpoint_name)
            variants = described.get("ProductionVariants") or []
            counts = [v.get("CurrentInstanceCount") for v in variants]
            count = sum(int(c) for c in counts if isinstance(c, int)) if variants else None
        except (ClientError, BotoCoreError):
            count = None
        with self._lock:
            self._capacity = (now, count)
        return count

    def input_key(self, inference_id: str) -> str:
        return f"{self.input_prefix}{check_inference_id(inference_id)}.json"

    def submit(self, request: GenerationRequest, inference_id: str, *,
               custom_attributes: str | None = None) -> Submitted:
        """Write the request to S3 and queue it on the endpoint. ``inference_id`` names this
        attempt at this image (unique; SageMaker's notification carries it back)."""
        check_request_size(request.width, request.height)
        key = self.input_key(inference_id)
        if custom_attributes is not None and not _CUSTOM_ATTRIBUTES.match(custom_attributes):
            raise InvalidRequest("custom attributes are at most 1024 visible ASCII characters")
        with traced(f"endpoint {self.uri}", endpoint=self.uri, adapter=SCHEME):
            self._put_input(key, jumpstart.encode_request(request))
            params: dict[str, Any] = {
                "EndpointName": self.endpoint_name, "InputLocation": f"s3://{self.bucket}/{key}",
                "InferenceId": inference_id, "ContentType": jumpstart.CONTENT_TYPE,
                "Accept": jumpstart.ACCEPT, "RequestTTLSeconds": self.request_ttl,
                "InvocationTimeoutSeconds": self.invocation_timeout}
            if custom_attributes:
                params["CustomAttributes"] = custom_attributes
            response = self._call(lambda: self.client.invoke_endpoint_async(**params),
                                  "could not be called")
        output = response.get("OutputLocation")
        if not isinstance(output, str) or not output:
            raise EndpointFailed(f"{self.source} queued the request but named no output location")
        return Submitted(uri=self.uri, inference_id=str(response.get("InferenceId") or inference_id),
                         input_location=params["InputLocation"], output_location=output,
                         failure_location=response.get("FailureLocation") or None)

    def read_output(self, location: str, request: GenerationRequest) -> bytes:
        """The JPEG of an answer at ``location`` (a notification's or ``Submitted``'s
        output location), checked as ``sagemaker:`` checks its answer."""
        from botocore.exceptions import ClientError
        bucket, key = parse_s3_uri(location)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
            payload: bytes = body.read(MAX_ENCODED_BYTES + 1)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise BadImage(f"{self.source}'s answer {location} does not exist") from None
            raise self._s3_error(exc, f"its answer {location} could not be read") from None
        except Exception as exc:   # noqa: BLE001 - botocore's connection errors, read timeouts
            raise self._transport_error(exc, f"its answer {location} could not be read") \
                from None
        return jumpstart.decode_response(payload, request, source=self.source)

    def discard(self, *locations: str | None) -> None:
        """Delete a finished request's objects (its input, its answer): best effort, an
        object already gone is fine. The bucket's lifecycle rule sweeps what is missed."""
        from botocore.exceptions import BotoCoreError, ClientError
        for location in locations:
            if not location:
                continue
            try:
                bucket, key = parse_s3_uri(location)
                self.s3.delete_object(Bucket=bucket, Key=key)
            except (BadImage, ClientError, BotoCoreError):
                continue

    # --- errors ---

    def _put_input(self, key: str, body: bytes) -> None:
        from botocore.exceptions import ClientError
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body,
                               ContentType=jumpstart.CONTENT_TYPE)
        except ClientError as exc:
            raise self._s3_error(exc, "its request could not be written to S3") from None
        except Exception as exc:   # noqa: BLE001
            raise self._transport_error(exc, "its request could not be written to S3") from None

    def _call(self, call: Any, what: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError
        try:
            response: dict[str, Any] = call()
            return response
        except ClientError as exc:
            raise client_error(exc, self.source) from None
        except Exception as exc:   # noqa: BLE001
            raise self._transport_error(exc, what) from None

    def _s3_error(self, exc: Any, what: str) -> GeneratorError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "")) or "Unknown"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"{self.source}: {what} ({code}: {error.get('Message', '')})"[:1000]
        if code in _S3_THROTTLED or status in (429, 503):
            return EndpointThrottled(text)
        return EndpointFailed(text)

    def _transport_error(self, exc: Exception, what: str) -> GeneratorError:
        from botocore.exceptions import (
            BotoCoreError,
            ConnectTimeoutError,
            ReadTimeoutError,
        )
        if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
            return EndpointTimeout(f"{self.source}: {what} (no answer in time)")
        if isinstance(exc, BotoCoreError):
            return EndpointFailed(f"{self.source}: {what} ({exc})")
        raise exc

    def __repr__(self) -> str:
        return (f"SageMakerAsyncGenerator({self.endpoint_name!r}, bucket={self.bucket!r}, "
                f"input_prefix={self.input_prefix!r})")
