"""A job's life around its workflow run: launch it, notice when the run died, wait for it,
list jobs, cancel one, resume the ones a stopped local server left behind.

The domain answers with outcomes — a finished job's view or a job still running — and the
HTTP edge decides the status codes.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import logs
from ..catalog import JobFields, JobStore
from ..errors import Conflict, InvalidRequest, JobNotFound, NotFound, ServiceUnavailable
from ..rules.scheduling import BULK_DEFAULT, MAX_OPERATOR
from ..rules.times import utc_now
from ..rules.validation import whole_number
from ..workflow import WorkflowEngine
from .record import (
    CANCELLED,
    FAILED,
    FINAL,
    MAX_MESSAGE,
    RUNNING,
    STATUSES,
    Job,
    job_view,
    settle,
    summary_view,
)
from .runners import Alive, runner_stopped

KINDS = ("text2image", "bulk")
DEFAULT_LIST, MAX_LIST = 20, 100


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
    # what a restart needs to run the job again: its machine, its input, who runs it
    record: Job = {**job, "machine": machine, "input": dict(execution_input)}
    if engine.runner:
        record["runner"] = engine.runner
    jobs.create_job(record)
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
    if not jobs.update_job(job_id, {"status": FAILED, "finishedAt": utc_now()},
                           if_status=RUNNING):
        return   # settled or cancelled meanwhile
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


def outcome(job_id: str, view: dict[str, Any], waited: float) -> Outcome:
    """Finished when the job's view is final (``waited``: seconds the caller waited), else
    Running."""
    if view["status"] in FINAL:
        return Finished(view, waited)
    return Running(job_id)


# --- the operator's view: list, cancel ---------------------------------------------------------
def list_jobs(params: Mapping[str, Any], *, jobs: JobStore) -> dict[str, Any]:
    """``GET /jobs?kind=&status=&limit=&cursor=``: newest first, each with its progress counts;
    ``{"jobs": [...], "cursor"?}`` (pass the cursor back for the next page)."""
    kind, status, cursor = params.get("kind") or None, params.get("status") or None, \
        params.get("cursor") or None
    if kind is not None and kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(KINDS)}")
    if status is not None:
        status = str(status).upper()
        if status not in STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}")
    if cursor is not None and not isinstance(cursor, str):
        raise InvalidRequest("cursor must be the string a previous answer gave")
    raw = params.get("limit")
    limit = whole_number(DEFAULT_LIST if raw in (None, "") else raw, "limit", 1, MAX_LIST,
                         digits=True)
    page = jobs.list_jobs(kind=kind, status=status, limit=limit, cursor=cursor)
    answer: dict[str, Any] = {"jobs": [summary_view(job) for job in page.jobs]}
    if page.cursor:
        answer["cursor"] = page.cursor
    return answer


def cancel_job(job_id: str, *, jobs: JobStore, engine: WorkflowEngine) -> dict[str, Any]:
    """Stop a running job: no new images are claimed, its run is stopped (an image being made
    may still land), status CANCELLED with its counts; the images made stay. Cancelling a
    cancelled job again answers the same; a job that ended otherwise is a Conflict."""
    job = jobs.job_summary(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    if job.get("status") == RUNNING:
        now = utc_now()
        fields: JobFields = {**settle(jobs.get_job(job_id) or job, now), "status": CANCELLED,
                             "cancelledAt": now}
        if jobs.update_job(job_id, fields, if_status=RUNNING):
            jobs.release_work(job_id)
            if job.get("executionId"):
                try:
                    engine.stop(job["executionId"], "cancelled by an operator")
                except NotFound:
                    pass   # its run is gone already (a stopped local server)
            logs.event("job_cancelled", jobId=job_id)
        job = jobs.job_summary(job_id) or job
    if job.get("status") != CANCELLED:
        raise Conflict(f"job {job_id} has ended ({job.get('status')}); only a running job "
                       "can be cancelled")
    return get_job(job_id, jobs=jobs, engine=engine)


# --- the operator's control: pause, resume, priority ---------------------------------------
def pause_job(job_id: str, *, jobs: JobStore, engine: WorkflowEngine) -> dict[str, Any]:
    """No new images are claimed (an image being made still lands); the workers find nothing
    and stop, and Finish ends the run leaving the job RUNNING and ``paused``. Pausing a
    paused job answers the same; a job that ended is a Conflict."""
    job = _running(jobs, job_id, "paused")
    if not job.get("paused"):
        jobs.update_job(job_id, {"paused": True, "pausedAt": utc_now()}, if_status=RUNNING)
        logs.event("job_paused", jobId=job_id)
    return get_job(job_id, jobs=jobs, engine=engine)


def resume_job(job_id: str, *, jobs: JobStore, engine: WorkflowEngine) -> dict[str, Any]:
    """A paused job takes claims again, in a new run of its machine (``{jobId}-r{n}``, as a
    resumed job's): its old run ended, or ends, when its workers found nothing. Resuming a job
    that is not paused answers its view; a job that ended is a Conflict."""
    job = _running(jobs, job_id, "resumed")
    if job.get("paused") and jobs.update_job(job_id, {"paused": False}, if_status=RUNNING):
        restart(job, jobs=jobs, engine=engine)
        logs.event("job_resumed_by_operator", jobId=job_id)
    return get_job(job_id, jobs=jobs, engine=engine)


def set_priority(job_id: str, priority: object, *, jobs: JobStore,
                 engine: WorkflowEngine) -> dict[str, Any]:
    """An operator's priority for a running bulk job: 0 (the default) to MAX_OPERATOR; a
    claim yields to any job of higher priority (``rules/scheduling``)."""
    value = whole_number(priority, "priority", BULK_DEFAULT, MAX_OPERATOR)
    job = _running(jobs, job_id, "given a priority")
    if job.get("kind") != "bulk":
        raise Conflict("only a bulk job's priority can be set")
    jobs.update_job(job_id, {"priority": value}, if_status=RUNNING)
    return get_job(job_id, jobs=jobs, engine=engine)


def _running(jobs: JobStore, job_id: str, what: str) -> Job:
    job = jobs.job_summary(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    if job.get("status") != RUNNING:
        raise Conflict(f"job {job_id} has ended ({job.get('status')}); only a running job "
                       f"can be {what}")
    return job


def restart(job: Job, *, jobs: JobStore, engine: WorkflowEngine) -> str | None:
    """A new run of the job's machine for the same job (``{jobId}-r{n}``): leases left go back
    and its workers pull what is left. A record without what a run needs, or a start that
    fails, settles the job as FAILED (None)."""
    job_id = str(job["jobId"])
    if not job.get("machine") or not isinstance(job.get("input"), dict):
        fail(jobs, job_id, "NotResumable", "the process running this job stopped, and its "
             "record predates resumable jobs")
        return None
    jobs.release_work(job_id)
    count = int(job.get("resumed") or 0) + 1
    try:
        execution_id = engine.start(str(job["machine"]), job["input"], f"{job_id}-r{count}")
    except Exception as exc:  # noqa: BLE001 - reported on the job, as a failed start is
        fail(jobs, job_id, type(exc).__name__, str(exc))
        return None
    fields: JobFields = {"executionId": execution_id, "resumed": count}
    if engine.runner:
        fields["runner"] = engine.runner
    jobs.update_job(job_id, fields)
    return execution_id


# --- restart recovery (local) -------------------------------------------------------------
def running_jobs(jobs: JobStore) -> Iterator[Job]:
    cursor = None
    while True:
        page = jobs.list_jobs(status=RUNNING, limit=MAX_LIST, cursor=cursor)
        yield from page.jobs
        if not page.cursor:
            return
        cursor = page.cursor


def left_to_resume(*, jobs: JobStore, engine: WorkflowEngine, alive: Alive) -> list[Job]:
    """What the next start of a server resumes, asked as this ``engine``'s server stops: the
    RUNNING jobs, not paused, that it runs (they stop with it) or whose runner has already
    stopped — not those a live ``bulk`` command still runs. Oldest first."""
    if not engine.runner:
        return []
    left = [job for job in running_jobs(jobs) if job.get("runner") and not job.get("paused")
            and (job.get("runner") == engine.runner
                 or runner_stopped(str(job.get("runner")), jobs=jobs, alive=alive))]
    return sorted(left, key=lambda job: str(job.get("createdAt") or ""))


def resume_stalled(*, jobs: JobStore, engine: WorkflowEngine, alive: Alive) -> list[str]:
    """Jobs left RUNNING by a runner that stopped (a server or ``bulk`` killed mid-job: its
    process gone, or its heartbeat silent — ``runners.runner_stopped``; ``alive`` is what
    this process can tell, ``workflow.local.runner_alive``): each is taken over by this
    engine (``JobStore.take_over``: one taker wins) and gets a new run of its machine for
    the same job — the leases of the dead run are released, and the new run's workers pull
    the images that are left. A job whose record lacks what a new run needs is settled as
    FAILED. The resumed jobs' ids."""
    if not engine.runner:
        return []   # runs that live on their own (AWS) are nobody's to resume
    resumed = []
    for job in running_jobs(jobs):
        runner = job.get("runner")
        if not runner or not runner_stopped(str(runner), jobs=jobs, alive=alive):
            continue   # not a local run, or its runner still runs it
        job_id = str(job["jobId"])
        if job.get("paused"):
            continue   # stays paused, with no run, until an operator resumes it
        if not jobs.take_over(job_id, str(runner), engine.runner):
            continue   # taken over by another process, or settled meanwhile
        if restart(job, jobs=jobs, engine=engine) is None:
            continue   # one job that cannot start must not stop the others
        logs.event("job_resumed", jobId=job_id, resumed=int(job.get("resumed") or 0) + 1,
                   stoppedRunner=runner)
        resumed.append(job_id)
    return resumed
