"""A job's life around its workflow run: launch it, notice when the run died, wait for it.

The domain answers with outcomes — a finished job's view or a job still running — and the
HTTP edge decides the status codes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from .. import logs
from ..catalog import JobStore
from ..errors import JobNotFound, NotFound, ServiceUnavailable
from ..rules.times import utc_now
from ..workflow import WorkflowEngine
from .record import FAILED, FINAL, MAX_MESSAGE, RUNNING, Job, job_view


@dataclass(frozen=True)
class Finished:
    """The job ended within the wait: its view, and how long the caller waited."""
    view: dict[str, Any]
    seconds: float


@dataclass(frozen=True)
class Running:
    """The job goes on; the caller polls ``GET /jobs/{job_id}``."""
    job_id: str

    @property
    def status_url(self) -> str:
        return f"/jobs/{self.job_id}"


Outcome = Finished | Running


def ensure_job(jobs: JobStore, job: Job) -> Job:
    """The job's record, created from ``job`` when there is none (a run started by hand)."""
    existing = jobs.job_summary(job["jobId"])
    if existing is not None:
        return existing
    jobs.create_job(job)
    return job


def launch(job: Job, machine: str, execution_input: dict[str, Any], *, jobs: JobStore,
           engine: WorkflowEngine) -> str:
    """Create the job record first (so it can be polled at once), then start ``machine`` with
    an execution named after the job (unique, and idempotent on a retried start); a start that
    fails settles the job as FAILED and re-raises. The job's id."""
    job_id = str(job["jobId"])
    jobs.create_job(job)
    try:
        execution_id = engine.start(machine, execution_input, job_id)
    except Exception as exc:
        fail(jobs, job_id, type(exc).__name__, str(exc))
        raise
    jobs.update_job(job_id, {"executionId": execution_id})
    return job_id


def fail(jobs: JobStore, job_id: str, error: str, message: str | None) -> None:
    """Settle a job whose workflow could not start or died. The status goes first: if the
    error entry cannot be written too, the job still stops being RUNNING, so a poll does not
    try again (and fail again) forever."""
    jobs.update_job(job_id, {"status": FAILED, "finishedAt": utc_now()})
    try:
        jobs.append_job_entry(job_id, "errors", {"endpoint": None, "error": error,
                                                 "message": (message or error)[:MAX_MESSAGE]})
    except ServiceUnavailable as exc:
        logs.event("job_error_not_recorded", logging.WARNING, jobId=job_id, error=error,
                   reason=str(exc))


def get_job(job_id: str, *, jobs: JobStore, engine: WorkflowEngine) -> dict[str, Any]:
    """The job's view; a job whose workflow died without settling it is settled as FAILED."""
    job = jobs.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    if job.get("status") == RUNNING and job.get("executionId"):
        try:
            execution = engine.describe(job["executionId"])
        except NotFound:
            execution = None
        if execution is not None and execution.done and execution.status != "SUCCEEDED":
            fail(jobs, job_id, execution.error or execution.status, execution.cause)
            job = jobs.get_job(job_id) or job
    return job_view(job)


def wait_for_job(job_id: str, timeout: float, *, jobs: JobStore,
                 engine: WorkflowEngine) -> dict[str, Any]:
    """The job's view once it has ended, or after ``timeout`` seconds."""
    job = jobs.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    if job.get("executionId") and job.get("status") == RUNNING:
        engine.wait(job["executionId"], timeout)
    return get_job(job_id, jobs=jobs, engine=engine)


def outcome(job_id: str, waited_since: float, now: float, view: dict[str, Any]) -> Outcome:
    if view["status"] in FINAL:
        return Finished(view, now - waited_since)
    return Running(job_id)
