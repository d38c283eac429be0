"""The HTTP edge: JSON bodies in, domain errors out as status codes with a message.
Only app.py and this module know about HTTP."""
from __future__ import annotations

import functools
import json
import logging
import threading
import uuid
from typing import Any

from chalice import Chalice, Response

from . import logs
from .errors import (
    ConfigError,
    Forbidden,
    GardenError,
    GeneratorError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    UpstreamFailed,
)

MAX_JSON_BYTES = 64 * 1024

_STATUS: tuple[tuple[type[GardenError], int], ...] = (
    (InvalidRequest, 400), (Unauthorized, 401), (Forbidden, 403), (NotFound, 404),
    (PayloadTooLarge, 413), (UnsupportedMediaType, 415), (TooManyRequests, 429),
    (ConfigError, 500), (UpstreamFailed, 502), (GeneratorError, 502), (ServiceUnavailable, 503),
)


def status_of(error: GardenError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def error_response(status: int, message: str, **extra: Any) -> Response:
    return Response(body={"message": message, **extra}, status_code=status,
                    headers={"Content-Type": "application/json"})


def handled(view):
    """Map domain errors to statuses; anything unexpected is logged and answered with a
    plain 500 — never a stack trace to the client."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except GardenError as exc:
            return error_response(status_of(exc), str(exc) or type(exc).__name__)
        except Exception as exc:
            incident = uuid.uuid4().hex[:12]
            logs.event("http.unhandled", logging.ERROR, view=view.__name__, incident=incident,
                       error=type(exc).__name__)
            logging.getLogger("emotion_garden").debug("unhandled", exc_info=True)
            return error_response(500, f"internal error (incident {incident})")
    return wrapper


def header(request, name: str) -> str | None:
    return {k.lower(): v for k, v in (request.headers or {}).items()}.get(name.lower())


def json_body(request, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The request's JSON object, or the error a client can act on."""
    kind = (header(request, "content-type") or "application/json").split(";")[0].strip().lower()
    if kind != "application/json":
        raise UnsupportedMediaType(f"send JSON with Content-Type: application/json (got {kind})")
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"JSON body over {max_bytes} bytes")
    if not raw.strip():
        raise InvalidRequest("the body is empty; send a JSON object")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRequest(f"malformed JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    return body


_per_thread = threading.local()


def _thread_local(name: str) -> property:
    """An attribute whose value each thread keeps for itself."""
    return property(lambda self: getattr(_per_thread, name, None),
                    lambda self, value: setattr(_per_thread, name, value))


class ThreadSafeChalice(Chalice):
    """Chalice keeps the request being served on the app object, which one Lambda container
    never shares between requests — but the local server serves many at once from threads.
    Keeping it per thread makes that safe; in Lambda nothing changes."""

    current_request = _thread_local("request")  # type: ignore[assignment]
    lambda_context = _thread_local("context")  # type: ignore[assignment]


def uniform_errors(event, get_response):
    """Chalice's own errors (unsupported media type, bad JSON…) say {"Code", "Message"};
    ours say {"message"}. Give clients one shape, keeping Chalice's code beside it."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Message" in body and "message" not in body:
        response.body = {"message": body["Message"], "code": body.get("Code")}
    return response


def correlate(event, get_response):
    """Every log line and metric of one request carries its id (the client's
    X-Correlation-Id, else API Gateway's request id), returned in the response too."""
    from . import logs
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    given = headers.get("x-correlation-id", "")
    wanted = given if 0 < len(given) <= 128 and given.isprintable() else None
    with logs.correlated(wanted or (event.context or {}).get("requestId")) as correlation:
        response = get_response(event)
    response.headers["X-Correlation-Id"] = correlation
    return response
