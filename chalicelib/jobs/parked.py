"""A worker of an asynchronous endpoint (``sagemaker-async:NAME``, ``painter:?async=1``) parks:
no Lambda waits while the GPU works.

1. ``park`` is the worker's turn, invoked by the state machine's Park state with a task token
   (``.waitForTaskToken``): claim the job's next image (a lease long enough for the endpoint's
   queue and its cold start), write a ticket — job, image, lease, task token — to the object
   store, queue the request on the endpoint, and return. Nothing left to claim: the worker
   answers its own token (``{"next": "stop"}``).
2. ``notified`` is the endpoint's answer, from SageMaker's SNS notification (the callback Lambda,
   ``web/routes/tasks.py``) or the local painter: it reads the ticket the inference id names,
   reads the answer, stores the image with its provenance exactly as a synchronous worker
   does (``steps.keep``), completes the unit under its lease, and — the token still waiting
   (SendTaskHeartbeat) — queues the worker's next image itself (``queue_next``): a worker
   stays in one Park state for all its images, so an image costs no state transition and
   one Lambda, this one. When nothing is left the token is answered ``{"next": "stop"}``.
   A failed image fails the token with its error (EndpointTimeout, EndpointFailed,
   BadImage…), which the state machine catches as a crash: the image goes back to the
   others and this endpoint leaves the job.

A duplicate or late notification is harmless: its ticket is gone, or the unit's lease decides
(``complete_work`` takes the first completion only), and a token nobody waits on any more is
refused quietly. A lost one ends in the Park state's HeartbeatSeconds, and the image goes
back as a dead worker's does. Tickets live under ``async-inference/tickets/`` (in AWS the bucket's
lifecycle rule sweeps what is left), never under a prefix anyone can read.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from .. import logs, metrics
from ..catalog import Claim, JobStore, WorkItem
from ..errors import (
    EndpointFailed,
    GardenError,
    GeneratorError,
    InvalidRequest,
    ObjectNotFound,
)
from ..generators import Endpoint, ParkingGenerator
from ..generators.sagemaker_async import parse_notification
from ..moderation import Moderation
from ..rules.times import utc_now
from ..storage import ObjectStore
from ..workflow import WorkflowEngine
from . import steps
from .record import RUNNING

TICKETS = "async-inference/tickets/"
# The Park state's HeartbeatSeconds (statemachine/generate.asl.json) is 4,200 s: each image
# keeps its worker's token alive, and may take an endpoint's request TTL (3,600 s) and
# invocation timeout (300 s) together. The lease outlives it, so a parked image is never
# claimed twice while its worker still waits for it.
PARKED_LEASE_SECONDS = 4500.0


def ticket_key(inference_id: str) -> str:
    return f"{TICKETS}{inference_id}.json"


def park(event: dict[str, Any], *, generators: Sequence[Endpoint], store: ObjectStore,
         jobs: JobStore, engine: WorkflowEngine, sleep: steps.Sleep = time.sleep,
         lease_seconds: float = PARKED_LEASE_SECONDS) -> dict[str, Any]:
    """A parked worker's turn: ``{"jobId", "run", "worker": {"worker", "uri", "parks"},
    "token"}`` in. Returns at once; the state machine waits on ``token``, which the
    worker's images keep alive one after the other (``notified``) until none is left."""
    return queue_next(event["jobId"], event.get("run"), event["worker"], str(event["token"]),
                      generators=generators, store=store, jobs=jobs, engine=engine,
                      sleep=sleep, lease_seconds=lease_seconds)


def queue_next(job_id: str, run: str | None, worker: Mapping[str, Any], token: str, *,
               generators: Sequence[Endpoint], store: ObjectStore, jobs: JobStore,
               engine: WorkflowEngine, sleep: steps.Sleep = time.sleep,
               lease_seconds: float = PARKED_LEASE_SECONDS) -> dict[str, Any]:
    """Claim the job's next image for a parked worker and queue it on its endpoint; the
    worker's token goes on waiting. Nothing left to claim: the token is answered
    ``{"next": "stop"}``; outranked all along: ``{"next": "work"}`` (round again)."""
    uri = str(worker["uri"])
    me = steps.worker_id({"run": run, "worker": worker})
    claim = steps.claim_or_yield(jobs, job_id, me, uri, lease_seconds, sleep)
    if claim is None:
        engine.send_task_success(token, {"next": "stop"})
        return {"next": "stop"}
    if not isinstance(claim, Claim):   # outranked all along: round again, endpoint left free
        engine.send_task_success(token, {"next": "work", "yielded": True})
        return {"next": "work", "yielded": True}
    inference_id = secrets.token_hex(16)
    try:
        generator = steps.find_generator(generators, int(worker["worker"]), uri)
        if not isinstance(generator, ParkingGenerator):
            raise EndpointFailed(f"endpoint {uri!r} answers at once: its worker cannot park")
        request = steps.request_for(claim)
        store.put(ticket_key(inference_id), json.dumps({
            "jobId": job_id, "n": claim.n, "lease": claim.token, "taskToken": token,
            "worker": dict(worker), "run": run, "item": claim.item,
            "submittedAt": time.time()}).encode(), "application/json")
        submitted = steps.with_backoff(lambda: generator.submit(request, inference_id), sleep)
    except GeneratorError as exc:
        store.delete(ticket_key(inference_id))
        steps.give_back(jobs, job_id, me, uri, type(exc).__name__, str(exc))
        engine.send_task_success(token, {"next": "stop", "n": claim.n,
                                         "error": type(exc).__name__})
        return {"next": "stop", "n": claim.n, "error": type(exc).__name__}
    logs.event("image_parked", jobId=job_id, n=claim.n, endpoint=uri,
               inferenceId=submitted.inference_id)
    return {"parked": True, "n": claim.n}


def notified(message: str | bytes | Mapping[str, Any], *, generators: Sequence[Endpoint],
             store: ObjectStore, jobs: JobStore, engine: WorkflowEngine,
             now: Callable[[], str] = utc_now, moderation: Moderation | None = None) -> str:
    """An asynchronous endpoint's notification applied: ``made``, ``failed`` (the token failed
    with the image's error), ``late`` (its job or unit no longer takes it) or ``dropped``
    (no inference of ours: malformed, unknown, already answered). Never raises for what a
    notification says; only for the catalog or the store being unreachable (SNS retries)."""
    try:
        note = parse_notification(message)
    except InvalidRequest as exc:
        logs.event("notification.dropped", logging.WARNING, reason=str(exc))
        return "dropped"
    key = ticket_key(note.inference_id)
    try:
        ticket = json.loads(store.get(key))
        job_id, n, lease = str(ticket["jobId"]), int(ticket["n"]), str(ticket["lease"])
        token, worker, item = str(ticket["taskToken"]), ticket["worker"], ticket["item"]
        uri = str(worker["uri"])
    except ObjectNotFound:
        logs.event("notification.dropped", logging.INFO, inferenceId=note.inference_id,
                   reason="no parked image has this inference id (answered already, or "
                          "not this garden's)")
        return "dropped"
    except (ValueError, KeyError, TypeError) as exc:
        logs.event("notification.dropped", logging.WARNING, inferenceId=note.inference_id,
                   reason=f"its ticket is unreadable ({type(exc).__name__})")
        store.delete(key)
        return "dropped"
    summary = jobs.job_summary(job_id)
    outcome = "late"
    generator: Endpoint | None = None
    try:
        if summary is None:
            raise _Late(f"job {job_id} is gone")
        if summary.get("status") != RUNNING:   # finished or cancelled: nothing more is kept
            raise _Late(f"job {job_id} is {str(summary.get('status')).lower()}")
        claim = Claim(n=n, item=_item(item), token=lease, job=summary)
        generator = steps.find_generator(generators, int(worker["worker"]), uri)
        if not isinstance(generator, ParkingGenerator):
            raise EndpointFailed(f"endpoint {uri!r} is no longer asynchronous")
        if note.error is not None:
            raise note.error
        assert note.output_location is not None
        data = generator.read_output(note.output_location, steps.request_for(claim))
        seconds = max(0.0, time.time() - float(ticket.get("submittedAt") or time.time()))
        entry = steps.keep(claim, uri, data, seconds, store, now, moderation)
        if jobs.complete_work(job_id, n, lease, entry):
            metrics.image_generated(uri, entry["seconds"], jobId=job_id)
            outcome = "made"
        # the worker still waits (its heartbeat taken): it goes on to its next image without
        # leaving the Park state — no state transition, no Lambda but this one per image
        answered = engine.send_task_heartbeat(token)
        if answered:
            queue_next(job_id, ticket.get("run"), worker, token, generators=generators,
                       store=store, jobs=jobs, engine=engine)
    except GeneratorError as exc:
        outcome = "failed"
        answered = engine.send_task_failure(token, type(exc).__name__, str(exc))
        metrics.image_failed(uri, type(exc).__name__, jobId=job_id)
    except _Late as exc:
        answered = engine.send_task_success(token, {"next": "stop", "n": n})
        logs.event("notification.late", inferenceId=note.inference_id, reason=str(exc))
    finally:
        store.delete(key)
        if isinstance(generator, ParkingGenerator):
            generator.discard(note.input_location, note.output_location)
    logs.event("image_notified", jobId=job_id, n=n, endpoint=uri, outcome=outcome,
               answered=answered)
    return outcome


class _Late(GardenError):
    """The notification's job is gone or no longer running: nothing to store."""


def _item(value: object) -> WorkItem:
    if not isinstance(value, dict):
        raise InvalidRequest("a ticket's item is not an object")
    return cast(WorkItem, value)
