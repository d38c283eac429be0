"""Text-to-image: validate a request, start its workflow, wait a little, report the job.

The job record in the catalog is the source of truth: created here before the workflow
starts, appended to by the workflow's tasks as each image lands (so a client polling
``GET /jobs/{id}`` sees the first image before the last is done), settled by its last task.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from . import logs
from .errors import InvalidRequest, JobNotFound, NotFound, ServiceUnavailable
from .rules.validation import MAX_SEED, whole_number

KIND = "text2image"
PRESETS = ((640, 480), (768, 512), (800, 600), (960, 640), (1024, 576), (1024, 600), (1280, 800))
DEFAULT_WIDTH, DEFAULT_HEIGHT = 768, 512
MIN_SIDE, MAX_SIDE, MULTIPLE = 256, 1280, 8
MAX_TEXT = 1000
MAX_COUNT = 16
MAX_STEPS = 150
DEFAULT_STEPS = 30
RUNNING, SUCCEEDED, PARTIAL, FAILED = "RUNNING", "SUCCEEDED", "PARTIAL", "FAILED"
FINAL = (SUCCEEDED, PARTIAL, FAILED)
ALLOWED_SIZES = (", ".join(f"{w}x{h}" for w, h in PRESETS)
                 + f", or any multiple of {MULTIPLE} from {MIN_SIDE} to {MAX_SIDE} for each side")


@dataclass(frozen=True)
class Text2ImageRequest:
    text: str
    width: int
    height: int
    count: int
    seed: int | None = None
    negative: str = ""
    steps: int = DEFAULT_STEPS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _integer(body: dict, name: str, default: int | None, low: int, high: int,
             hint: str | None = None) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        return default
    # The original's form posts sizes as strings ("768"): ASCII digit strings are accepted.
    return whole_number(value, name, low, high, digits=True, hint=hint)


def _size(body: dict) -> tuple[int, int]:
    hint = f"allowed sizes: {ALLOWED_SIZES}"
    width = _integer(body, "width", DEFAULT_WIDTH, 1, 100_000, hint)
    height = _integer(body, "height", DEFAULT_HEIGHT, 1, 100_000, hint)
    assert width is not None and height is not None
    if (width, height) in PRESETS:
        return width, height
    for value in (width, height):
        if not MIN_SIDE <= value <= MAX_SIDE or value % MULTIPLE:
            raise InvalidRequest(f"size {width}x{height} is not allowed; {hint}")
    return width, height


def _text(body: dict, name: str, required: bool) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string of 1 to {MAX_TEXT} characters")
    value = value.strip()
    if (required and not value) or len(value) > MAX_TEXT:
        raise InvalidRequest(f"{name} must be 1 to {MAX_TEXT} characters, not {len(value)}")
    return value


def parse_request(body: object, endpoint_count: int) -> Text2ImageRequest:
    """``{"text", "width"?, "height"?, "count"?, "seed"?, "negative"?, "steps"?}`` or InvalidRequest
    (``"wait"`` is the HTTP request's own, see wait_budget).
    Default: 768x512, one image per endpoint (as the original did)."""
    if not isinstance(body, dict):
        raise InvalidRequest('the body must be a JSON object such as {"text": "A flower, happy"}')
    text = _text(body, "text", required=True)
    width, height = _size(body)
    count = _integer(body, "count", min(max(1, endpoint_count), MAX_COUNT), 1, MAX_COUNT)
    seed = _integer(body, "seed", None, 0, MAX_SEED)
    steps = _integer(body, "steps", DEFAULT_STEPS, 1, MAX_STEPS)
    negative = _text(body, "negative", required=False)
    assert count is not None and steps is not None
    return Text2ImageRequest(text=text, width=width, height=height, count=count, seed=seed,
                             negative=negative, steps=steps)


def wait_budget(body: dict[str, Any], ceiling: float) -> float:
    """How long the caller wants the request held: ``"wait"`` seconds (0 = answer 202 at once,
    for a page that shows each image as it lands), never more than the server's budget."""
    raw = body.get("wait")
    if raw is None:
        return ceiling
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= ceiling:
        raise InvalidRequest(f"wait must be a number of seconds from 0 to {ceiling:g}")
    return float(raw)


def new_job_id() -> str:
    """Sortable by creation time, unique, and valid as a key segment and an execution name."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(5)}"


def new_job(job_id: str, kind: str, request: dict[str, Any], requested: int,
            endpoints: Iterable[str]) -> dict[str, Any]:
    """A generation job's first record, whatever its workflow (text-to-image, bulk)."""
    return {"jobId": job_id, "kind": kind, "status": RUNNING, "createdAt": utc_now(),
            "request": request, "requested": requested, "endpoints": list(endpoints),
            "images": [], "errors": []}


def job_record(job_id: str, request: Text2ImageRequest, endpoints: Iterable[str],
               kind: str = KIND) -> dict[str, Any]:
    return new_job(job_id, kind, request.to_dict(), request.count, endpoints)


def launch(job: dict[str, Any], machine: str, execution_input: dict[str, Any], *, catalog,
           engine) -> str:
    """Create the job record first (so it can be polled at once), then start ``machine`` with
    an execution named after the job (unique, and idempotent on a retried start); a start that
    fails settles the job as FAILED and re-raises. The job's id."""
    job_id = str(job["jobId"])
    catalog.create_job(job)
    try:
        execution_id = engine.start(machine, execution_input, job_id)
    except Exception as exc:
        _fail(catalog, job_id, type(exc).__name__, str(exc))
        raise
    catalog.update_job(job_id, {"executionId": execution_id})
    return job_id


def start_job(request: Text2ImageRequest, *, catalog, engine, endpoints: tuple[str, ...],
              job_id: str | None = None) -> str:
    job_id = job_id or new_job_id()
    return launch(job_record(job_id, request, endpoints), "text2image",
                  {"jobId": job_id, **request.to_dict()}, catalog=catalog, engine=engine)


def _fail(catalog, job_id: str, error: str, message: str | None) -> None:
    """Settle a job whose workflow could not start or died. The status goes first: if the
    error entry cannot be written too, the job still stops being RUNNING, so a poll does not
    try again (and fail again) forever."""
    catalog.update_job(job_id, {"status": FAILED, "finishedAt": utc_now()})
    try:
        catalog.append_job_entry(job_id, "errors", {"endpoint": None, "error": error,
                                                    "message": (message or error)[:500]})
    except ServiceUnavailable as exc:
        logs.event("job_error_not_recorded", logging.WARNING, jobId=job_id, error=error,
                   reason=str(exc))


def _dedupe(images: list[dict]) -> list[dict]:
    """A task retried by Lambda may append the same image twice; its key identifies it."""
    seen: set[str] = set()
    unique = []
    for image in images:
        if image.get("key") not in seen:
            seen.add(image.get("key"))
            unique.append(image)
    return sorted(unique, key=lambda i: (i.get("n", 0), i.get("key", "")))


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    images = _dedupe(list(job.get("images") or []))
    errors = list(job.get("errors") or [])
    view = {"jobId": job["jobId"], "kind": job.get("kind", KIND), "status": job.get("status", RUNNING),
            "requested": job.get("requested", 0), "completed": len(images), "failed": len(errors),
            "images": images, "errors": errors, "urls": [i["url"] for i in images],
            "createdAt": job.get("createdAt")}
    for optional in ("finishedAt", "timings", "request"):
        if job.get(optional) is not None:
            view[optional] = job[optional]
    return view


def get_job(job_id: str, *, catalog, engine) -> dict[str, Any]:
    """The job's view; a job whose workflow died without settling it is settled as FAILED."""
    job = catalog.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    if job.get("status") == RUNNING and job.get("executionId"):
        try:
            execution = engine.describe(job["executionId"])
        except NotFound:
            execution = None
        if execution is not None and execution.done and execution.status != "SUCCEEDED":
            _fail(catalog, job_id, execution.error or execution.status, execution.cause)
            job = catalog.get_job(job_id) or job
    return job_view(job)


def wait_for_job(job_id: str, timeout: float, *, catalog, engine) -> dict[str, Any]:
    job = catalog.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    if job.get("executionId") and job.get("status") == RUNNING:
        engine.wait(job["executionId"], timeout)
    return get_job(job_id, catalog=catalog, engine=engine)


def finished_response(view: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The 200 body: ``body`` keeps the original's clients working (JSON.parse(response.body))."""
    return {"statusCode": 200, "body": json.dumps(view["urls"]), "time": round(seconds, 3),
            "urls": view["urls"], "jobId": view["jobId"], "status": view["status"],
            "images": view["images"], "errors": view["errors"]}


def running_response(job_id: str) -> dict[str, Any]:
    return {"jobId": job_id, "status": RUNNING, "statusUrl": f"/jobs/{job_id}"}


def text2image(body: object, *, catalog, engine, endpoints: tuple[str, ...],
               wait_seconds: float) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 with the URLs when the job ends within ``wait_seconds``,
    else 202 with where to poll."""
    started = time.monotonic()
    request = parse_request(body, len(endpoints))
    budget = wait_budget(body, wait_seconds)
    job_id = start_job(request, catalog=catalog, engine=engine, endpoints=endpoints)
    view = wait_for_job(job_id, budget, catalog=catalog, engine=engine)
    if view["status"] in FINAL:
        return 200, finished_response(view, time.monotonic() - started)
    return 202, running_response(job_id)
