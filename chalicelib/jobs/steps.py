"""The workflow's steps after the plan: generate one image, record one image's failure,
finish the job. Plain functions of an event and the ports they use, passed in as arguments:
the composition root (``bootstrap.tasks``) binds them into the task table that the workflow
engine dispatches to locally and that ``app.py``'s Lambdas call in AWS. Payloads carry keys
and URLs, never image bytes.

A job's images and errors are appended to its record as they happen, so the record — not
the Map's output — is what ``finish_job`` reads; image items themselves reach the image index
only through the store's object events. Each entry carries its image's ``n``, so a retried
step records it once; an endpoint that is down or hung is marked in the record by the
JobStore (``deadEndpoints``), and the job's other images skip it.
"""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from .. import logs, metrics
from ..catalog import DEAD_ENDPOINT_ERRORS, JobStore
from ..errors import EndpointFailed, JobNotFound
from ..generators import GenerationRequest, Generator
from ..generators.checks import ensure_jpeg
from ..rules import layout, provenance
from ..rules.times import utc_now
from ..storage import ObjectStore
from .record import MAX_MESSAGE, job_view, settle

MAX_OUTPUT_ENTRIES = 100   # the execution's output stays far below Step Functions' 256 KB

Task = Callable[[dict[str, Any]], dict[str, Any]]


# --- generate one image -----------------------------------------------------------------------
def _generator(generators: Sequence[Generator], index: int, uri: str) -> Generator:
    """The endpoint the plan chose; found by URI if the list changed since (redeploy)."""
    if 0 <= index < len(generators) and generators[index].uri == uri:
        return generators[index]
    for generator in generators:
        if generator.uri == uri:
            return generator
    raise EndpointFailed(f"endpoint {uri!r} is no longer configured")


def _check_endpoint_alive(jobs: JobStore, job_id: str, uri: str) -> None:
    """An endpoint that failed with one of DEAD_ENDPOINT_ERRORS is down or hung: its other
    images in the same job are not tried (a hung endpoint would cost a full timeout, and its
    retries, for every one of them). Reads the job's summary only, never its entries."""
    summary = jobs.job_summary(job_id) or {}
    if uri in (summary.get("deadEndpoints") or ()):
        raise EndpointFailed(f"not tried: {uri} already failed in this job "
                             f"({' or '.join(DEAD_ENDPOINT_ERRORS)}; see its first error)")


def generate_image(event: dict[str, Any], *, generators: Sequence[Generator], store: ObjectStore,
                   jobs: JobStore, now: Callable[[], str] = utc_now) -> dict[str, Any]:
    job_id, request, item = event["jobId"], event.get("request") or {}, event["item"]
    uri = event["uri"]
    generator = _generator(generators, int(event["endpoint"]), uri)
    _check_endpoint_alive(jobs, job_id, uri)
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
    jobs.append_job_entry(job_id, "images", entry)
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


def record_error_entry(event: dict[str, Any], *, jobs: JobStore) -> dict[str, Any]:
    failure = event.get("failure") or {}
    error = str(failure.get("Error") or "States.TaskFailed")
    entry = {"n": (event.get("item") or {}).get("n"), "endpoint": event.get("uri"),
             "error": error, "message": _message(failure.get("Cause"), error)}
    jobs.append_job_entry(event["jobId"], "errors", entry)
    metrics.image_failed(str(event.get("uri")), error, jobId=event["jobId"])
    return {"ok": False, "error": error}


# --- finish ---------------------------------------------------------------------------------
def finish_job(event: dict[str, Any], *, jobs: JobStore,
               now: Callable[[], str] = utc_now) -> dict[str, Any]:
    job_id = event["jobId"]
    job = jobs.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    fields = settle(job, now())
    jobs.update_job(job_id, fields)
    view = job_view({**job, **fields})
    metrics.job_finished(str(view.get("kind")), fields["status"], fields["timings"]["totalSeconds"],
                         view["completed"], view["failed"], jobId=job_id)
    output = {key: view[key] for key in ("jobId", "kind", "status", "requested", "completed",
                                         "failed", "urls", "images", "errors")}
    if len(view["images"]) + len(view["errors"]) > MAX_OUTPUT_ENTRIES:
        # the job record has everything; the execution output only has to stay small
        output.update(urls=[], images=[], errors=[], truncated=True)
    return output


# --- as tasks -------------------------------------------------------------------------------
def correlated(task: Task) -> Task:
    """Every log line and metric of a task carries its job's id (tasks run on threads of
    their own, where the request's context does not follow)."""
    @functools.wraps(task)
    def wrapper(event: dict[str, Any]) -> dict[str, Any]:
        job = event.get("jobId") if isinstance(event, dict) else None
        with logs.correlated(job or ((event or {}).get("request") or {}).get("jobId")):
            return task(event)
    return wrapper
