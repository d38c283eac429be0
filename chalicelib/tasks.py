"""The workflows' task functions: plain functions ``event -> dict``.

In AWS each is an ``@app.lambda_function`` (app.py) named like its key in TASKS, and the state
machines reach them through ``${name}`` placeholders; locally the workflow engine dispatches
the same names to the same functions. Payloads carry keys and URLs, never image bytes.

A job's images and errors are appended to its record as they happen, so the record — not
the Map's output — is what ``finish`` reads; image items themselves reach the catalog only
through the store's object events. Each entry carries its image's ``n``, so a retried task
records it once; an endpoint that is down or hung is marked in the record by the catalog
(``deadEndpoints``), and the job's other images skip it.
"""
from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from . import bootstrap, logs, metrics
from .rules import layout, provenance
from .catalog import DEAD_ENDPOINT_ERRORS
from .errors import EndpointFailed, InvalidRequest, JobNotFound
from .generators import GenerationRequest
from .text2image import (
    FAILED,
    KIND,
    PARTIAL,
    SUCCEEDED,
    job_record,
    job_view,
    new_job_id,
    parse_request,
    utc_now,
)

MAX_OUTPUT_ENTRIES = 100   # the execution's output stays far below Step Functions' 256 KB
MAX_MESSAGE = 500


# --- plan ------------------------------------------------------------------------------------
def make_plan(job_id: str, kind: str, request: dict[str, Any], items: Sequence[dict[str, Any]],
              endpoints: Sequence[str]) -> dict[str, Any]:
    """Split ``items`` round-robin over the endpoints: one branch per endpoint that has work.

    ``request`` holds what every image shares (prompt, negative, steps, provenance extras);
    each item holds what is its own (n, seed, width, height, and optionally key, prompt,
    provenance). Shared by every workflow of this shape (text-to-image, bulk).
    """
    if not endpoints:
        raise InvalidRequest("no inference endpoints are configured")
    branches = [{"endpoint": i, "uri": uri, "items": []} for i, uri in enumerate(endpoints)]
    for index, item in enumerate(items):
        branches[index % len(endpoints)]["items"].append(dict(item))
    return {"jobId": job_id, "kind": kind, "request": dict(request), "requested": len(items),
            "branches": [b for b in branches if b["items"]]}


def ensure_job(catalog, job: dict[str, Any]) -> dict[str, Any]:
    """The job's record, created from ``job`` when there is none (a run started by hand)."""
    existing = catalog.job_summary(job["jobId"])
    if existing is not None:
        return existing
    catalog.create_job(job)
    return job


def seeds(first: int | None, count: int, rng: random.Random | None = None) -> list[int]:
    """Consecutive seeds from a given one, else random ones (kept in provenance either way)."""
    if first is not None:
        return [(first + n) % 2**32 for n in range(count)]
    rng = rng or random.SystemRandom()
    return [rng.randrange(2**31) for _ in range(count)]


def plan_text2image_job(event: dict[str, Any], *, catalog, endpoints: Sequence[str]) -> dict[str, Any]:
    """``event``: ``{"request": <the execution's input>, "executionId": ...}`` (the state's
    Parameters), so a run started by hand in the console gets a job that knows its run."""
    body = event.get("request") or {}
    request = parse_request(body, len(endpoints))
    job_id = body.get("jobId") or new_job_id()
    job = job_record(job_id, request, tuple(endpoints))
    if event.get("executionId"):
        job["executionId"] = event["executionId"]
    ensure_job(catalog, job)
    items = [{"n": n, "seed": seed, "width": request.width, "height": request.height,
              "key": layout.text2image_key(job_id, n)}
             for n, seed in enumerate(seeds(request.seed, request.count))]
    shared = {"prompt": request.text, "negative": request.negative, "steps": request.steps}
    return make_plan(job_id, KIND, shared, items, endpoints)


# --- generate one image -----------------------------------------------------------------------
def _generator(generators: Sequence[Any], index: int, uri: str):
    """The endpoint the plan chose; found by URI if the list changed since (redeploy)."""
    if 0 <= index < len(generators) and generators[index].uri == uri:
        return generators[index]
    for generator in generators:
        if generator.uri == uri:
            return generator
    raise EndpointFailed(f"endpoint {uri!r} is no longer configured")


def _check_endpoint_alive(catalog, job_id: str, uri: str) -> None:
    """An endpoint that failed with one of DEAD_ENDPOINT_ERRORS is down or hung: its other
    images in the same job are not tried (a hung endpoint would cost a full timeout, and its
    retries, for every one of them). Reads the job's summary only, never its entries."""
    summary = catalog.job_summary(job_id) or {}
    if uri in (summary.get("deadEndpoints") or ()):
        raise EndpointFailed(f"not tried: {uri} already failed in this job "
                             f"({' or '.join(DEAD_ENDPOINT_ERRORS)}; see its first error)")


def generate_image(event: dict[str, Any], *, generators: Sequence[Any], store, catalog,
                   now: Callable[[], str] = utc_now) -> dict[str, Any]:
    from .generators.checks import ensure_jpeg

    job_id, request, item = event["jobId"], event.get("request") or {}, event["item"]
    uri = event["uri"]
    generator = _generator(generators, int(event["endpoint"]), uri)
    _check_endpoint_alive(catalog, job_id, uri)
    width, height = int(item["width"]), int(item["height"])
    prompt = item.get("prompt") or request["prompt"]
    negative = item.get("negative", request.get("negative", ""))
    steps = int(request.get("steps", 30))
    started = time.monotonic()
    data = generator.generate(GenerationRequest(prompt=prompt, width=width, height=height,
                                                negative_prompt=negative, steps=steps,
                                                seed=item.get("seed")))
    seconds = round(time.monotonic() - started, 3)
    data = ensure_jpeg(data, width, height, source=uri)
    origin = {**(request.get("provenance") or {}), **(item.get("provenance") or {}),
              "prompt": prompt, "negativePrompt": negative, "seed": item.get("seed"),
              "width": width, "height": height, "steps": steps, "endpoint": uri,
              "createdAt": now(), "jobId": job_id}
    key = item.get("key") or layout.text2image_key(job_id, int(item["n"]))
    store.put(key, provenance.embed(data, origin), "image/jpeg", {"job-id": job_id})
    entry = {"n": item.get("n"), "url": store.url(key), "key": key, "endpoint": uri,
             "width": width, "height": height, "seconds": seconds, "seed": item.get("seed")}
    catalog.append_job_entry(job_id, "images", entry)
    metrics.image_generated(uri, seconds, jobId=job_id)
    return entry


# --- record an image's failure ----------------------------------------------------------------
def _message(cause: object, error: str) -> str:
    """Lambda's cause is the runtime's JSON error payload; keep its message only."""
    if isinstance(cause, str):
        try:
            payload = json.loads(cause)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("errorMessage"):
            return str(payload["errorMessage"])[:MAX_MESSAGE]
        if cause.strip():
            return cause[:MAX_MESSAGE]
    return error


def record_error_entry(event: dict[str, Any], *, catalog) -> dict[str, Any]:
    failure = event.get("failure") or {}
    error = str(failure.get("Error") or "States.TaskFailed")
    entry = {"n": (event.get("item") or {}).get("n"), "endpoint": event.get("uri"),
             "error": error, "message": _message(failure.get("Cause"), error)}
    catalog.append_job_entry(event["jobId"], "errors", entry)
    metrics.image_failed(str(event.get("uri")), error, jobId=event["jobId"])
    return {"ok": False, "error": error}


# --- finish ---------------------------------------------------------------------------------
def _seconds_between(start: str | None, end: str) -> float | None:
    if not start:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)


def settle(job: dict[str, Any], finished_at: str) -> dict[str, Any]:
    """Status and timings of a job whose workflow has run every image."""
    view = job_view(job)
    requested, completed, failed = view["requested"], view["completed"], view["failed"]
    if completed >= requested and failed == 0:
        status = SUCCEEDED
    elif completed == 0:
        status = FAILED
    else:
        status = PARTIAL
    per_endpoint: dict[str, dict[str, Any]] = {}
    for image in view["images"]:
        slot = per_endpoint.setdefault(image["endpoint"], {"endpoint": image["endpoint"],
                                                           "images": 0, "failed": 0, "seconds": 0.0})
        slot["images"] += 1
        slot["seconds"] = round(slot["seconds"] + float(image.get("seconds") or 0), 3)
    for error in view["errors"]:
        slot = per_endpoint.setdefault(error.get("endpoint"), {"endpoint": error.get("endpoint"),
                                                               "images": 0, "failed": 0, "seconds": 0.0})
        slot["failed"] += 1
    timings = {"totalSeconds": _seconds_between(job.get("createdAt"), finished_at),
               "endpoints": list(per_endpoint.values())}
    return {"status": status, "finishedAt": finished_at, "timings": timings}


def finish_job(event: dict[str, Any], *, catalog, now: Callable[[], str] = utc_now) -> dict[str, Any]:
    job_id = event["jobId"]
    job = catalog.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    fields = settle(job, now())
    catalog.update_job(job_id, fields)
    view = job_view({**job, **fields})
    metrics.job_finished(str(view.get("kind")), fields["status"], fields["timings"]["totalSeconds"],
                         view["completed"], view["failed"], jobId=job_id)
    output = {key: view[key] for key in ("jobId", "kind", "status", "requested", "completed",
                                         "failed", "urls", "images", "errors")}
    if len(view["images"]) + len(view["errors"]) > MAX_OUTPUT_ENTRIES:
        # the job record has everything; the execution output only has to stay small
        output.update(urls=[], images=[], errors=[], truncated=True)
    return output


# --- Lambda-shaped entry points (deployed by app.py, dispatched locally by name) ---------------
def _correlated(task: Callable[[dict[str, Any], Any], dict[str, Any]]):
    """Every log line and metric of a task carries its job's id (tasks run on threads of
    their own, where the request's context does not follow)."""
    @functools.wraps(task)
    def wrapper(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        job = event.get("jobId") if isinstance(event, dict) else None
        with logs.correlated(job or ((event or {}).get("request") or {}).get("jobId")):
            return task(event, context)
    return wrapper


@_correlated
def plan_text2image(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return plan_text2image_job(event, catalog=bootstrap.catalog(),
                               endpoints=bootstrap.settings().endpoints)


@_correlated
def plan_bulk(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Bulk generation's plan (chalicelib.pools decides the images); same event shape as
    text-to-image's: the execution's input under ``request``, plus its ``executionId``."""
    from .pools import plan_bulk_job
    catalog = bootstrap.catalog()
    plan = plan_bulk_job(event.get("request") or {}, catalog=catalog,
                         endpoints=bootstrap.settings().endpoints)
    job = catalog.job_summary(plan["jobId"]) or {}
    if event.get("executionId") and not job.get("executionId"):
        catalog.update_job(plan["jobId"], {"executionId": event["executionId"]})
    return plan


@_correlated
def generate(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return generate_image(event, generators=bootstrap.generators(), store=bootstrap.store(),
                          catalog=bootstrap.catalog())


@_correlated
def record_error(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return record_error_entry(event, catalog=bootstrap.catalog())


@_correlated
def finish(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return finish_job(event, catalog=bootstrap.catalog())


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "workflow_plan_text2image": plan_text2image,
    "workflow_plan_bulk": plan_bulk,
    "workflow_generate": generate,
    "workflow_record_error": record_error,
    "workflow_finish": finish,
}
