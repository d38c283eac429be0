"""The workflow's steps after the plan: a worker's turn (claim the job's next image, make it,
record it), a crashed worker's release, and finishing the job. Plain functions of an event
and the ports they use, passed in as arguments: the composition root (``bootstrap.tasks``)
binds them into the task table that the workflow engine dispatches to locally and that
``app.py``'s Lambdas call in AWS. Payloads carry the job id and the worker, never images.

Workers pull: each claim is a lease in the JobStore, so no image is made by two workers and
none is lost — a worker that dies leaves a lease that runs out, a worker that fails hard
gives its image back. An endpoint fails hard when, after the backoff its errors allow
(throttling: 1, 2, 4, 8 s; a timeout: once more after 2 s; all within TURN_BUDGET, so the
turn ends before its Lambda's timeout), it still cannot make the image,
or answers with something that is not the image asked for: it leaves the job (its other
workers stop too) and the image goes to the endpoints still in it. An image is an error
only when no endpoint of the job that is still alive may make it; the failures of images
that another endpoint then made are kept under ``retried``.

A job's images and errors are appended to its record as they happen, so the record — not
the workflow's output — is what ``finish_job`` reads; image items themselves reach the image
index only through the store's object events.
"""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .. import logs, metrics
from ..catalog import Claim, ErrorEntry, ImageEntry, JobStore, SharedWork
from ..errors import (
    EndpointFailed,
    EndpointThrottled,
    EndpointTimeout,
    GeneratorError,
    JobNotFound,
)
from ..generators import Endpoint, GenerationRequest, Generator
from ..generators.checks import ensure_jpeg
from ..moderation import Moderation
from ..rules import layout, provenance, scheduling
from ..rules.moderation import TEXT2IMAGE
from ..rules.times import utc_now
from ..storage import ObjectStore
from .moderated import ImageCheck, check_image
from .record import MAX_MESSAGE, RUNNING, job_view, settle

MAX_OUTPUT_ENTRIES = 100   # the execution's output stays far below Step Functions' 256 KB
# A lease outlives the worker's task (TimeoutSeconds 150 in the ASL, 120 s Lambda): a lease
# that runs out means its worker is gone, never that it is still making the image.
LEASE_SECONDS = 300.0
THROTTLE_BACKOFF = (1.0, 2.0, 4.0, 8.0)   # seconds before each retry of a throttled image
TIMEOUT_BACKOFF = (2.0,)                  # one retry of an image that timed out
TURN_BUDGET = 100.0        # seconds a turn may spend on one image, inside the 120 s Lambda
MAX_ROUNDS = 16            # Finish sends the workers round again at most this often
# A claim that yields to a job of higher priority (rules/scheduling.outranked) waits inside
# the turn, asking again every YIELD_POLL seconds, for at most YIELD_WAIT; still outranked,
# the turn answers next: work with nothing made — one turn of history per YIELD_WAIT.
YIELD_POLL, YIELD_WAIT = 0.25, 30.0
NO_ENDPOINT_LEFT = "NoEndpointLeft"

Task = Callable[[dict[str, Any]], dict[str, Any]]
T = TypeVar("T")
Sleep = Callable[[float], None]


# --- a worker's turn ----------------------------------------------------------------------------
def worker_id(event: dict[str, Any]) -> str:
    """The lease holder: this run's worker (a resumed job's new run has workers of its own)."""
    return f"{event.get('run') or 'run'}/{int(event['worker']['worker'])}"


def find_generator(generators: Sequence[Endpoint], index: int, uri: str) -> Endpoint:
    """The worker's endpoint; found by URI if the list changed since (redeploy)."""
    if 0 <= index < len(generators) and generators[index].uri == uri:
        return generators[index]
    for generator in generators:
        if generator.uri == uri:
            return generator
    raise EndpointFailed(f"endpoint {uri!r} is no longer configured")


def with_backoff(make: Callable[[], T], sleep: Sleep) -> T:
    """Throttling and timeouts are retried after growing pauses; anything else, or the same
    error once its pauses are spent, is the endpoint failing hard."""
    waits = {EndpointThrottled: list(THROTTLE_BACKOFF), EndpointTimeout: list(TIMEOUT_BACKOFF)}
    started = time.monotonic()
    while True:
        attempt = time.monotonic()
        try:
            return make()
        except (EndpointThrottled, EndpointTimeout) as exc:
            left = waits.get(type(exc), [])
            took = time.monotonic() - attempt
            # another attempt as long as the last one, after the pause, must fit the budget
            if not left or time.monotonic() - started + left[0] + took > TURN_BUDGET:
                raise
            sleep(left.pop(0))


def work(event: dict[str, Any], *, generators: Sequence[Endpoint], store: ObjectStore,
         jobs: JobStore, now: Callable[[], str] = utc_now, sleep: Sleep = time.sleep,
         lease_seconds: float = LEASE_SECONDS,
         moderation: Moderation | None = None) -> dict[str, Any]:
    """One turn of a worker: ``{"jobId", "run", "worker": {"worker", "uri"}}`` in;
    ``{"next": "work"}`` after an image while others are open (ask again), or
    ``{"next": "stop"}`` when nothing is left for this endpoint, the job is no longer running,
    or the endpoint failed hard."""
    job_id, uri = event["jobId"], event["worker"]["uri"]
    me = worker_id(event)
    claim = claim_or_yield(jobs, job_id, me, uri, lease_seconds, sleep)
    if claim is None:
        return {"next": "stop"}
    if not isinstance(claim, Claim):   # outranked all along: round again, endpoint left free
        return {"next": "work", "yielded": True}
    try:
        generator = find_generator(generators, int(event["worker"]["worker"]), uri)
        if not isinstance(generator, Generator):
            raise EndpointFailed(f"endpoint {uri!r} is asynchronous: its worker must park")
        entry = _make(claim, generator, store, now, sleep, moderation)
    except GeneratorError as exc:
        give_back(jobs, job_id, me, uri, type(exc).__name__, str(exc))
        return {"next": "stop", "n": claim.n, "error": type(exc).__name__}
    if jobs.complete_work(job_id, claim.n, claim.token, entry):   # else someone else made it
        metrics.image_generated(uri, entry["seconds"], jobId=job_id)
    # it was the last open one: no turn spent asking (one given back later → Finish's again)
    return {"next": "work" if claim.left else "stop", "n": claim.n}


YIELDED = "yielded"


def claim_or_yield(jobs: JobStore, job_id: str, worker: str, uri: str, lease_seconds: float,
                   sleep: Sleep) -> Claim | str | None:
    """The worker's next image; while a job of higher priority waits for ``uri``, ask again
    every YIELD_POLL seconds for up to YIELD_WAIT, then YIELDED (the worker goes round again,
    its endpoint left to the other job); None when nothing is left for it (or the job is
    paused, cancelled or over)."""
    for _ in range(int(YIELD_WAIT / YIELD_POLL)):
        claim = jobs.claim_work(job_id, worker, uri, lease_seconds)
        if claim is not None or not jobs.outranked(job_id, uri):
            return claim
        sleep(YIELD_POLL)
    return YIELDED


def _make(claim: Claim, generator: Generator, store: ObjectStore, now: Callable[[], str],
          sleep: Sleep, moderation: Moderation | None = None) -> ImageEntry:
    """Make the claimed image, check it (``moderation``), store it with its provenance; the
    entry for the job record."""
    request = request_for(claim)
    started = time.monotonic()
    data = with_backoff(lambda: generator.generate(request), sleep)
    return keep(claim, generator.uri, data, time.monotonic() - started, store, now, moderation)


def request_for(claim: Claim) -> GenerationRequest:
    """What the endpoint is asked for the claimed image: its own fields over the job's."""
    item, shared = claim.item, claim.job.get("shared") or SharedWork()
    return GenerationRequest(prompt=item.get("prompt") or shared["prompt"],
                             width=int(item["width"]), height=int(item["height"]),
                             negative_prompt=item.get("negative", shared.get("negative", "")),
                             steps=int(shared.get("steps", 30)), seed=item.get("seed"))


def keep(claim: Claim, uri: str, data: bytes, seconds: float, store: ObjectStore,
         now: Callable[[], str], moderation: Moderation | None = None) -> ImageEntry:
    """The image ``uri`` made for the claim, checked (JPEG of the size asked, ``moderation``)
    and stored with its provenance; the entry for the job record."""
    job_id, item, request = claim.job["jobId"], claim.item, request_for(claim)
    shared = claim.job.get("shared") or SharedWork()
    width, height, seconds = request.width, request.height, round(seconds, 3)
    prompt, negative, steps = request.prompt, request.negative_prompt, request.steps
    data = ensure_jpeg(data, width, height, source=uri)
    origin = {**(shared.get("provenance") or {}), **(item.get("provenance") or {}),
              "prompt": prompt, "negativePrompt": negative, "seed": item.get("seed"),
              "width": width, "height": height, "steps": steps, "endpoint": uri,
              "createdAt": now(), "jobId": job_id}
    key = item.get("key") or layout.text2image_key(job_id, claim.n)
    entry: ImageEntry = {"n": claim.n, "key": key, "endpoint": uri, "width": width,
                         "height": height, "seconds": seconds, "seed": item.get("seed")}
    # moderation: after the image is made, before it is stored where anyone can reach it
    checked = check_image(moderation, str(claim.job.get("kind") or TEXT2IMAGE), data)
    metadata = {"job-id": job_id}
    target: str | None = key
    if checked is not None:
        entry, target, metadata, origin = _moderated(checked, entry, metadata, origin)
    if target is not None:    # None: a flagged bulk image, dropped
        store.put(target, provenance.embed(data, origin), "image/jpeg", metadata)
        if not entry.get("held"):
            entry["url"] = store.url(target)
    return entry


def _moderated(checked: ImageCheck, entry: ImageEntry, metadata: dict[str, str],
               origin: dict[str, Any]) -> tuple[ImageEntry, str | None, dict[str, str],
                                                dict[str, Any]]:
    """Where a checked image goes (``rules/moderation``): kept as it was; held under a private
    key no public URL reaches (text-to-image: flagged or unchecked); to the pool marked for the
    reviewer (bulk), the mark in its object metadata and its provenance (so the index and a
    restore carry it); or dropped (key None). The job's entry records it, with its labels."""
    action, status, labels = checked.decision.action, checked.status, checked.labels
    metadata = {**metadata, "moderation": status}
    if action == "keep":
        return entry, entry["key"], metadata, origin
    metadata["moderation-labels"] = ",".join(labels)[:1024]
    marked = {**origin, "moderation": {"status": status, "labels": labels}}
    if action == "review":
        reviewed: ImageEntry = {**entry, "review": True, "moderation": status, "labels": labels}
        return reviewed, entry["key"], metadata, marked
    held: ImageEntry = {**entry, "held": True, "moderation": status, "labels": labels}
    if action == "drop":   # its key kept in the record, where it would have gone
        held["dropped"] = True
        return held, None, metadata, marked
    held["key"] = layout.held_key(entry["key"])
    return held, held["key"], metadata, marked


def give_back(jobs: JobStore, job_id: str, worker: str, uri: str, error: str,
              message: str) -> None:
    """The endpoint failed hard: it leaves the job and the worker's image goes back to the
    others — recorded under ``retried``, or under ``errors`` when no endpoint is left for it."""
    for released in jobs.release_work(job_id, worker=worker, out=uri):
        entry: ErrorEntry = {"n": released.n, "endpoint": uri, "error": error,
                             "message": message[:MAX_MESSAGE]}
        jobs.append_job_entry(job_id, "retried" if released.makeable else "errors", entry)
        metrics.image_failed(uri, error, jobId=job_id)
    logs.event("endpoint_out", jobId=job_id, endpoint=uri, error=error)


# --- a crashed worker ----------------------------------------------------------------------------
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


def record_crash(event: dict[str, Any], *, jobs: JobStore) -> dict[str, Any]:
    """The worker's task itself failed (timed out, crashed, could not reach the catalog): its
    image goes back to the others as after a hard failure, and the worker stops."""
    failure = event.get("failure") or {}
    error = str(failure.get("Error") or "States.TaskFailed")
    give_back(jobs, event["jobId"], worker_id(event), str(event["worker"]["uri"]), error,
              _message(failure.get("Cause"), error))
    return {"next": "stop", "error": error}


# --- finish ---------------------------------------------------------------------------------
def finish_job(event: dict[str, Any], *, jobs: JobStore,
               now: Callable[[], str] = utc_now) -> dict[str, Any]:
    """Every worker has stopped. Leases they left go back; when an image is left that an
    endpoint still in the job may make (given back after that endpoint's worker stopped),
    ``{"again": true}`` sends the workers round once more. Else the images no endpoint could
    make become errors and the job is settled (unless it was cancelled meanwhile)."""
    job_id = event["jobId"]
    rounds = int((event.get("finish") or {}).get("round", 0)) + 1
    summary = jobs.job_summary(job_id)
    if summary is None:
        raise JobNotFound(f"no job {job_id!r}")
    if summary.get("status") == RUNNING and summary.get("paused"):
        # paused: the run ends and the job stays RUNNING, paused; resuming it starts a new run
        jobs.release_work(job_id)
        return {"jobId": job_id, "again": False, "paused": True}
    if summary.get("status") == RUNNING:
        jobs.release_work(job_id)
        left = [u for u in jobs.work(job_id) if u["state"] == scheduling.OPEN]
        endpoints, dead = summary.get("endpoints") or (), summary.get("deadEndpoints") or ()
        if rounds < MAX_ROUNDS and any(scheduling.makeable(endpoints, dead, u["triedBy"])
                                       for u in left):
            return {"jobId": job_id, "again": True, "round": rounds}
        _no_endpoint_left(jobs, job_id, [u["n"] for u in left])
    return _settled(jobs, job_id, now)


def _no_endpoint_left(jobs: JobStore, job_id: str, ns: list[int]) -> None:
    """Images no endpoint may make any more become errors: the last failure of each (from
    ``retried``), else that no endpoint was left to try it."""
    if not ns:
        return
    job = jobs.get_job(job_id)
    last = {entry.get("n"): entry for entry in (job.get("retried") or [] if job else [])}
    for n in ns:
        entry: ErrorEntry = last.get(n) or {
            "endpoint": None, "error": NO_ENDPOINT_LEFT,
            "message": "no endpoint of the job was left to make this image"}
        jobs.append_job_entry(job_id, "errors", {**entry, "n": n})


def _settled(jobs: JobStore, job_id: str, now: Callable[[], str]) -> dict[str, Any]:
    job = jobs.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    if job.get("status") == RUNNING:
        fields = settle(job, now())
        if jobs.update_job(job_id, fields, if_status=RUNNING):
            job = {**job, **fields}
            view = job_view(job)
            metrics.job_finished(str(view.get("kind")), fields["status"],
                                 fields["timings"]["totalSeconds"], view["completed"],
                                 view["failed"], jobId=job_id)
        else:   # cancelled meanwhile: the cancel's status stands
            job = jobs.get_job(job_id) or job
    view = job_view(job)
    output = {key: view[key] for key in ("jobId", "kind", "status", "requested", "completed",
                                         "failed", "urls", "images", "errors")}
    output["again"] = False
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
