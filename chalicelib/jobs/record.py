"""A generation job's record: its statuses, its first document, how it is viewed and settled.

The record in the JobStore is the job's source of truth, whatever its workflow (text-to-image
or bulk): created before the workflow starts, appended to by the workflow's steps as each
image lands or fails, settled by the last step (or by a poll that finds the run dead).
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..rules.times import utc_now

RUNNING, SUCCEEDED, PARTIAL, FAILED = "RUNNING", "SUCCEEDED", "PARTIAL", "FAILED"
FINAL = (SUCCEEDED, PARTIAL, FAILED)
MAX_MESSAGE = 500          # characters of an error message kept in a job's error entry

Job = dict[str, Any]       # a job document as the JobStore returns it


def new_job_id() -> str:
    """Sortable by creation time, unique, and valid as a key segment and an execution name."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(5)}"


def new_job(job_id: str, kind: str, request: dict[str, Any], requested: int,
            endpoints: Iterable[str]) -> Job:
    """A generation job's first record, whatever its workflow (text-to-image, bulk)."""
    return {"jobId": job_id, "kind": kind, "status": RUNNING, "createdAt": utc_now(),
            "request": request, "requested": requested, "endpoints": list(endpoints),
            "images": [], "errors": []}


def _dedupe(images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A task retried by Lambda may append the same image twice; its key identifies it."""
    seen: set[object] = set()
    unique = []
    for image in images:
        if image.get("key") not in seen:
            seen.add(image.get("key"))
            unique.append(image)
    return sorted(unique, key=lambda i: (i.get("n", 0), i.get("key", "")))


def job_view(job: Job) -> dict[str, Any]:
    """What a client sees of a job (GET /jobs/{id}, the CLI's progress)."""
    images = _dedupe(list(job.get("images") or []))
    errors = list(job.get("errors") or [])
    # a record without a kind predates bulk jobs: it is a text-to-image job
    view = {"jobId": job["jobId"], "kind": job.get("kind", "text2image"),
            "status": job.get("status", RUNNING), "requested": job.get("requested", 0), "completed": len(images), "failed": len(errors),
            "images": images, "errors": errors, "urls": [i["url"] for i in images],
            "createdAt": job.get("createdAt")}
    for optional in ("finishedAt", "timings", "request"):
        if job.get(optional) is not None:
            view[optional] = job[optional]
    return view


def _seconds_between(start: str | None, end: str) -> float | None:
    if not start:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)


def settle(job: Job, finished_at: str) -> dict[str, Any]:
    """Status and timings of a job whose workflow has run every image: SUCCEEDED when every
    image was made, FAILED when none was, else PARTIAL."""
    view = job_view(job)
    requested, completed, failed = view["requested"], view["completed"], view["failed"]
    if completed >= requested and failed == 0:
        status = SUCCEEDED
    elif completed == 0:
        status = FAILED
    else:
        status = PARTIAL
    per_endpoint: dict[str | None, dict[str, Any]] = {}

    def slot(endpoint: str | None) -> dict[str, Any]:
        return per_endpoint.setdefault(endpoint, {"endpoint": endpoint, "images": 0, "failed": 0,
                                                  "seconds": 0.0})
    for image in view["images"]:
        entry = slot(image["endpoint"])
        entry["images"] += 1
        entry["seconds"] = round(entry["seconds"] + float(image.get("seconds") or 0), 3)
    for error in view["errors"]:
        slot(error.get("endpoint"))["failed"] += 1
    timings = {"totalSeconds": _seconds_between(job.get("createdAt"), finished_at),
               "endpoints": list(per_endpoint.values())}
    return {"status": status, "finishedAt": finished_at, "timings": timings}
