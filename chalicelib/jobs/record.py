"""A generation job's record: its statuses, its first document, how it is viewed and settled.

The record in the JobStore is the job's source of truth, whatever its workflow (text-to-image
or bulk): created before the workflow starts, appended to by the workflow's steps as each
image lands or fails, settled by the last step (or by a poll that finds the run dead, or by
an operator's cancel).

Statuses: RUNNING; SUCCEEDED (every image made); PARTIAL (some made, the others failed on
every endpoint that was still alive); FAILED (none made, or the run died); CANCELLED (an
operator stopped it: the images made stay, the others are not made). A job whose server
stopped is RUNNING again after a restart (``resumed`` counts the restarts): it goes on with
the images it had left.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict

from ..catalog import EndpointTiming, ErrorEntry, ImageEntry, JobCounts, JobFields, Timings
from ..catalog import Job as Job      # a job's record as the JobStore returns it
from ..rules.times import utc_now

RUNNING, SUCCEEDED, PARTIAL, FAILED = "RUNNING", "SUCCEEDED", "PARTIAL", "FAILED"
CANCELLED = "CANCELLED"
FINAL = (SUCCEEDED, PARTIAL, FAILED, CANCELLED)
STATUSES = (RUNNING, *FINAL)
MAX_MESSAGE = 500          # characters of an error message kept in a job's error entry


class ErrorLine(TypedDict):
    """One line of a job view's ``errorSummary``: an endpoint and a kind of error."""
    endpoint: str | None
    error: str | None
    failed: int              # images it cost (no endpoint made them)
    retried: int             # images that went to another endpoint
    message: str | None      # the first one's


def new_job_id() -> str:
    """Sortable by creation time, unique, and valid as a key segment and an execution name."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(5)}"


def new_job(job_id: str, kind: str, request: dict[str, Any], requested: int,
            endpoints: Iterable[str]) -> Job:
    """A generation job's first record, whatever its workflow (text-to-image, bulk)."""
    return {"jobId": job_id, "kind": kind, "status": RUNNING, "createdAt": utc_now(),
            "request": request, "requested": requested, "endpoints": list(endpoints),
            "images": [], "errors": []}


def _dedupe(images: list[ImageEntry]) -> list[ImageEntry]:
    """A task retried by Lambda may append the same image twice; its key identifies it."""
    seen: set[object] = set()
    unique = []
    for image in images:
        if image.get("key") not in seen:
            seen.add(image.get("key"))
            unique.append(image)
    return sorted(unique, key=lambda i: (i.get("n", 0), i.get("key", "")))


_HELD_FIELDS = ("n", "width", "height", "moderation", "labels", "dropped")


def job_view(job: Job) -> dict[str, Any]:
    """What a client sees of a job (GET /jobs/{id}, the CLI's progress)."""
    made = _dedupe(list(job.get("images") or []))
    # images the moderation held (or dropped) are counted apart, never linked: a client sees
    # that one could not be shown and which labels flagged it, not where it lies
    images = [i for i in made if not i.get("held")]
    held = [{k: v for k, v in i.items() if k in _HELD_FIELDS} for i in made if i.get("held")]
    errors = list(job.get("errors") or [])
    # a record without a kind predates bulk jobs: it is a text-to-image job
    retried = list(job.get("retried") or [])
    view = {"jobId": job["jobId"], "kind": job.get("kind", "text2image"),
            "status": job.get("status", RUNNING), "requested": job.get("requested", 0),
            "completed": len(images), "failed": len(errors), "retried": len(retried),
            "held": len(held), "heldImages": held,
            "images": images, "errors": errors, "urls": [i["url"] for i in images],
            "retries": retried, "errorSummary": error_summary(errors, retried),
            "createdAt": job.get("createdAt")}
    return _with_optional(view, job)


_OPTIONAL = ("finishedAt", "cancelledAt", "resumed", "timings", "request", "deadEndpoints",
             "priority", "paused", "pausedAt")


def _with_optional(view: dict[str, Any], job: Job) -> dict[str, Any]:
    fields: Mapping[str, object] = job
    for optional in _OPTIONAL:
        if fields.get(optional) is not None:
            view[optional] = fields[optional]
    return view


def summary_view(summary: Job) -> dict[str, Any]:
    """A listed job: its view without the entry lists, counts from the store's ``counts``."""
    counts = summary.get("counts") or JobCounts(images=0, errors=0, retried=0)
    view = {"jobId": summary["jobId"], "kind": summary.get("kind", "text2image"),
            "status": summary.get("status", RUNNING), "requested": summary.get("requested", 0),
            "completed": int(counts.get("images", 0)), "failed": int(counts.get("errors", 0)),
            "retried": int(counts.get("retried", 0)), "createdAt": summary.get("createdAt")}
    return _with_optional(view, summary)


def error_summary(errors: list[ErrorEntry], retried: list[ErrorEntry]) -> list[ErrorLine]:
    """One line per endpoint and kind of error, with how many images it cost (``failed``:
    no endpoint made them) and how many went to another endpoint (``retried``), and the
    first message; the full lists stay in ``errors`` and ``retries``."""
    lines: dict[tuple[str | None, str | None], ErrorLine] = {}

    def line(entry: ErrorEntry) -> ErrorLine:
        return lines.setdefault((entry.get("endpoint"), entry.get("error")), {
            "endpoint": entry.get("endpoint"), "error": entry.get("error"), "failed": 0,
            "retried": 0, "message": entry.get("message")})
    for entry in errors:
        line(entry)["failed"] += 1
    for entry in retried:
        line(entry)["retried"] += 1
    return sorted(lines.values(), key=lambda line: -(line["failed"] + line["retried"]))


def _seconds_between(start: str | None, end: str) -> float | None:
    if not start:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)


def settle(job: Job, finished_at: str) -> JobFields:
    """Status and timings of a job whose workflow has run every image: SUCCEEDED when every
    image was made, FAILED when none was, else PARTIAL."""
    view = job_view(job)
    requested, failed = view["requested"], view["failed"]
    completed = view["completed"] + view["held"]   # a held image was made: not a failure
    if completed >= requested and failed == 0:
        status = SUCCEEDED
    elif completed == 0:
        status = FAILED
    else:
        status = PARTIAL
    per_endpoint: dict[str | None, EndpointTiming] = {}

    def slot(endpoint: str | None) -> EndpointTiming:
        return per_endpoint.setdefault(endpoint, {"endpoint": endpoint, "images": 0, "failed": 0,
                                                  "seconds": 0.0})
    for image in _dedupe(list(job.get("images") or [])):
        entry = slot(image["endpoint"])
        entry["images"] += 1
        entry["seconds"] = round(entry["seconds"] + float(image.get("seconds") or 0), 3)
    for error in view["errors"]:
        slot(error.get("endpoint"))["failed"] += 1
    timings: Timings = {"totalSeconds": _seconds_between(job.get("createdAt"), finished_at),
                        "endpoints": list(per_endpoint.values())}
    return {"status": status, "finishedAt": finished_at, "timings": timings}
