"""The HTTP edge: JSON bodies in, domain errors out as status codes with a message.
Only app.py and this module know about HTTP."""
from __future__ import annotations

import functools
import json
import logging
import math
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.app import Chalice, Response

from .. import logs
from ..errors import (
    ConfigError,
    Conflict,
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
from ..moderation import PromptRefused
from ..rules import jsontext, redact

if TYPE_CHECKING:   # the use cases' answers: loaded by the routes that give them, not by the
    # task Lambdas, which import this package too
    from ..curation import KeyResults
    from ..jobs.lifecycle import Outcome

MAX_JSON_BYTES = 64 * 1024

_STATUS: tuple[tuple[type[GardenError], int], ...] = (
    (InvalidRequest, 400), (Unauthorized, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409),
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


View = TypeVar("View", bound=Callable[..., Any])


def handled(view: View) -> View:
    """Map domain errors to statuses; anything unexpected is logged and answered with a
    plain 500 — never a stack trace to the client."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except GardenError as exc:
            if isinstance(exc, PromptRefused):
                return refused_response(exc)
            response = error_response(status_of(exc), str(exc) or type(exc).__name__)
            retry = getattr(exc, "retry_after", None)   # 429/503: when to try again
            if isinstance(retry, (int, float)):
                response.headers["Retry-After"] = str(max(1, math.ceil(retry)))
            return response
        except Exception as exc:
            incident = uuid.uuid4().hex[:12]
            logs.event("http.unhandled", logging.ERROR, view=view.__name__, incident=incident,
                       error=type(exc).__name__)
            logging.getLogger("emotion_garden").debug("unhandled", exc_info=True)
            return error_response(500, f"internal error (incident {incident})")
    return wrapper  # type: ignore[return-value]


def refused_response(refused: PromptRefused, envelope: bool = False) -> Response:
    """400 for a prompt the moderation refused: the bilingual message, its ``kind``,
    ``labels``, ``messages`` (en, ko) and, for a recipe, the ``field`` refused. ``envelope``:
    the original clients' shape beside it (``statusCode`` and ``body``, a JSON string)."""
    body: dict[str, Any] = {"message": str(refused), **refused.to_json()}
    if envelope:
        body = {"statusCode": 400, "body": json.dumps(body, ensure_ascii=False), **body}
    return Response(body=body, status_code=400, headers={"Content-Type": "application/json"})


def header(request: Any, name: str) -> str | None:
    return {k.lower(): v for k, v in (request.headers or {}).items()}.get(name.lower())


def json_body(request: Any, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The request's JSON object, or the error a client can act on."""
    kind = (header(request, "content-type") or "application/json").split(";")[0].strip().lower()
    if kind != "application/json":
        raise UnsupportedMediaType(f"send JSON with Content-Type: application/json (got {kind})")
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"JSON body over {max_bytes} bytes")
    if not raw.strip():
        raise InvalidRequest("the body is empty; send a JSON object")
    body = jsontext.loads(raw)  # depth, number sizes, lone surrogates and NULs checked
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    return body


# --- domain outcomes as HTTP answers --------------------------------------------------------
def text2image_response(outcome: Outcome, url: Callable[[str], str] | None = None) -> Response:
    """200 with the URLs when the job ended within the wait — ``statusCode`` and ``body`` (a
    JSON string) keep the original's clients working (``JSON.parse(response.body)``) — else
    202 with where to poll. ``url``: as for ``public_job``."""
    from ..jobs.lifecycle import Finished
    from ..jobs.record import RUNNING
    if isinstance(outcome, Finished):
        view = linked(outcome.view, url)
        body = {"statusCode": 200, "body": json.dumps(view["urls"]),
                "time": round(outcome.seconds, 3), "urls": view["urls"], "jobId": view["jobId"],
                "status": view["status"], "images": view["images"],
                "errors": redact.without_paths_in(view["errors"])}
        return Response(body=body, status_code=200, headers={"Content-Type": "application/json"})
    return accepted({"jobId": outcome.job_id, "status": RUNNING, "statusUrl": outcome.status_url})


def linked(view: dict[str, Any], url: Callable[[str], str] | None) -> dict[str, Any]:
    """A job's view with its images' links made for the request being served (``url``: the
    store's, from each image's key), not the ones recorded when each image was made — a job
    made while nobody asked, or asked from another address, links where this client can go."""
    if url is None or not view.get("images"):
        return view
    images = [{**image, "url": url(image["key"])} if image.get("key") else image
              for image in view["images"]]
    return {**view, "images": images, "urls": [image.get("url") for image in images]}


def public_job(view: dict[str, Any], url: Callable[[str], str] | None = None) -> dict[str, Any]:
    """A job's view as clients see it: error messages never show a server path (one recorded
    from an exception may quote a file's); image links made by ``url`` when given (``linked``)."""
    view = linked(view, url)
    return {**view, **{name: redact.without_paths_in(view[name])
                       for name in ("errors", "errorSummary") if isinstance(view.get(name), list)}}


def accepted(body: dict[str, Any]) -> Response:
    """202 for a job that goes on, with where to poll it."""
    return Response(body=body, status_code=202,
                    headers={"Content-Type": "application/json", "Location": body["statusUrl"]})


def key_results(results: KeyResults) -> dict[str, Any]:
    """Publish/remove answers: one entry per key with its own status code."""
    from ..curation import KeyOutcome
    status = {KeyOutcome.DONE: 200, KeyOutcome.MISSING: 404, KeyOutcome.REFUSED: 400,
              KeyOutcome.FLAGGED: 409}
    entries = [{"key": r.key, "status": status[r.outcome], **r.fields} for r in results.results]
    return {"results": entries, "succeeded": results.succeeded,
            "failed": len(entries) - results.succeeded}


_per_thread = threading.local()


def _thread_local(name: str) -> property:
    """An attribute whose value each thread keeps for itself."""
    return property(lambda self: getattr(_per_thread, name, None),
                    lambda self, value: setattr(_per_thread, name, value))


class ThreadSafeChalice(Chalice):
    """Chalice keeps the request being served on the app object, which one Lambda container
    never shares between requests — but the local server serves many at once from threads.
    Keeping it per thread makes that safe; in Lambda nothing changes."""

    current_request = _thread_local("request")
    lambda_context = _thread_local("context")


def uniform_errors(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice's own errors (unsupported media type, bad JSON…) say {"Code", "Message"};
    ours say {"message"}. Give clients one shape, keeping Chalice's code beside it."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Message" in body and "message" not in body:
        response.body = {"message": body["Message"], "code": body.get("Code")}
    return response


JSON_CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_RETRY_AFTER = {429: "1", 503: "5"}


def standard_headers(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every JSON answer says so with its charset (Chalice leaves a returned dict without a
    Content-Type; API Gateway and clients would guess), and a 429 or 503 says when to retry."""
    response = get_response(event)
    headers = response.headers
    kind = next((k for k in headers if k.lower() == "content-type"), None)
    if kind is None and not isinstance(response.body, (str, bytes)):
        headers["Content-Type"] = JSON_CONTENT_TYPE
    elif kind is not None and str(headers[kind]).split(";")[0].strip().lower() == "application/json":
        del headers[kind]
        headers["Content-Type"] = JSON_CONTENT_TYPE
    if response.status_code in DEFAULT_RETRY_AFTER and not any(k.lower() == "retry-after" for k in headers):
        headers["Retry-After"] = DEFAULT_RETRY_AFTER[response.status_code]
    return response


def correlate(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every log line and metric of one request carries its id (the client's
    X-Correlation-Id, else API Gateway's request id), returned in the response too."""
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    given = headers.get("x-correlation-id", "")
    wanted = given if 0 < len(given) <= 128 and given.isprintable() else None
    with logs.correlated(wanted or (event.context or {}).get("requestId")) as correlation:
        response = get_response(event)
    response.headers["X-Correlation-Id"] = correlation
    return response
