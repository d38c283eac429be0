"""``sagemaker:NAME``: a SageMaker real-time endpoint running a JumpStart Stable Diffusion model,
called through sagemaker-runtime InvokeEndpoint."""
from __future__ import annotations

import threading
from typing import Any

from ..errors import EndpointFailed, EndpointThrottled, EndpointTimeout
from . import GenerationRequest, jumpstart
from .checks import MAX_ENCODED_BYTES, check_request_size
from .http import DEFAULT_TIMEOUT
from .tracing import traced

# Error codes SageMaker uses for "not now": the state machines retry these with backoff.
THROTTLED_CODES = frozenset({
    "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
    "ServiceUnavailable", "ServiceUnavailableException", "ModelNotReadyException",
})
CONNECT_TIMEOUT = 10.0


def client_config(timeout: float) -> Any:
    """A read timeout the size of one image, and no retries inside botocore: a retried read
    timeout would multiply the wait past the Lambda's own limit, and the state machine
    already retries throttling and timeouts with backoff."""
    from botocore.config import Config
    return Config(read_timeout=timeout, connect_timeout=min(CONNECT_TIMEOUT, timeout),
                  retries={"total_max_attempts": 1, "mode": "standard"})


class SageMakerGenerator:
    def __init__(self, endpoint_name: str, *, timeout: float | None = None, client: Any = None,
                 region: str | None = None) -> None:
        self.endpoint_name = endpoint_name
        self.uri = f"sagemaker:{endpoint_name}"
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        self.region = region
        self._client = client        # given: used as is (its own timeouts); else built lazily
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                self._client = boto3.client("sagemaker-runtime", region_name=self.region,
                                            config=client_config(self.timeout))
            return self._client

    def generate(self, request: GenerationRequest) -> bytes:
        check_request_size(request.width, request.height)
        source = f"endpoint {self.uri}"
        with traced(f"endpoint {self.uri}", endpoint=self.uri, adapter="sagemaker"):
            payload = self._invoke(jumpstart.encode_request(request), source)
            return jumpstart.decode_response(payload, request, source=source)

    def _invoke(self, body: bytes, source: str) -> bytes:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            ReadTimeoutError,
        )
        try:
            response = self.client.invoke_endpoint(
                EndpointName=self.endpoint_name, Body=body,
                ContentType=jumpstart.CONTENT_TYPE, Accept=jumpstart.ACCEPT)
            payload: bytes = response["Body"].read(MAX_ENCODED_BYTES + 1)
            return payload
        except ClientError as exc:
            raise client_error(exc, source) from None
        except (ReadTimeoutError, ConnectTimeoutError):
            raise EndpointTimeout(f"{source} did not answer within {self.timeout:g} s") from None
        except BotoCoreError as exc:   # unreachable, bad credentials, ...
            raise EndpointFailed(f"{source} could not be called ({exc})") from None

    def __repr__(self) -> str:
        return f"SageMakerGenerator({self.endpoint_name!r}, timeout={self.timeout:g})"


def client_error(exc: Any, source: str) -> Exception:
    """A sagemaker-runtime ClientError as the workflow's error: throttled (retried) or failed
    (``sagemaker:`` and ``sagemaker-async:`` alike)."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "")) or "Unknown"
    message = str(error.get("Message", "")) or str(exc)
    original = exc.response.get("OriginalMessage")   # ModelError: what the container said
    if original:
        message = f"{message} ({original})"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    text = f"{source} answered {code}: {message}"[:1000]
    if code in THROTTLED_CODES or status in (429, 503):
        return EndpointThrottled(text)
    return EndpointFailed(text)
