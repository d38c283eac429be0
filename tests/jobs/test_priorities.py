"""Priorities and pause between jobs, in the workflow's steps and the operator's lifecycle: a
worker whose claim yields to a visitor's flower waits inside its turn (its endpoint left to
the flower) and claims again once the flower is taken; a paused job's workers stop, Finish
ends the run without settling it, and resuming starts a new run. The rule itself is
tests/jobs/test_scheduling_rules.py; the stores' agreement, tests/catalog/."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.errors import Conflict, InvalidRequest
from chalicelib.jobs import lifecycle, steps
from chalicelib.rules import scheduling
from tests.jobs.test_resume import FakeEngine
from tests.workflow.fakes import MemoryStore, ScriptedGenerator

A = "painter:"


def engine_() -> Any:
    return Engine()


class Engine(FakeEngine):
    def describe(self, execution_id):
        return SimpleNamespace(done=False, status="RUNNING", error=None, cause=None)


def job(jobs, job_id, priority=None, units=2, kind="bulk"):
    record = {"jobId": job_id, "kind": kind, "status": "RUNNING", "endpoints": [A],
              "shared": {"prompt": "a rose", "negative": "", "steps": 1},
              "machine": "arn:bulk", "input": {"jobId": job_id}, "executionId": "arn:e1"}
    if priority is not None:
        record["priority"] = priority
    jobs.create_job(record)
    jobs.add_work(job_id, [{"n": n, "width": 64, "height": 64} for n in range(units)])


def turn(jobs, job_id, sleep, generator=None):
    return steps.work({"jobId": job_id, "run": "run", "worker": {"worker": 0, "uri": A}},
                      generators=[generator or ScriptedGenerator(A, "ok", "ok")],
                      store=store(), jobs=jobs, sleep=sleep)


def store() -> Any:
    return MemoryStore()


def test_a_bulk_worker_waits_in_its_turn_until_the_visitors_flower_is_claimed():
    jobs = MemoryJobStore()
    job(jobs, "bulk")
    job(jobs, "flower", scheduling.VISITOR, units=1, kind="text2image")
    waits: list[float] = []

    def sleep(seconds):   # the flower's worker claims while the bulk worker waits
        waits.append(seconds)
        if len(waits) == 2:
            jobs.claim_work("flower", "v/0", A, 60)
    answer = turn(jobs, "bulk", sleep)
    assert answer["next"] == "work" and answer["n"] == 0
    assert waits == [steps.YIELD_POLL] * 2


def test_a_worker_outranked_all_along_goes_round_again_having_made_nothing():
    jobs = MemoryJobStore()
    job(jobs, "bulk")
    job(jobs, "flower", scheduling.VISITOR, units=1, kind="text2image")
    waits: list[float] = []
    assert turn(jobs, "bulk", waits.append) == {"next": "work", "yielded": True}
    assert sum(waits) == pytest.approx(steps.YIELD_WAIT)
    assert [u["state"] for u in jobs.work("bulk")] == ["open", "open"]


def test_a_paused_jobs_worker_stops_and_finish_ends_the_run_leaving_it_paused():
    jobs, engine = MemoryJobStore(), engine_()
    job(jobs, "bulk", units=3)
    assert turn(jobs, "bulk", lambda s: None)["n"] == 0
    view = lifecycle.pause_job("bulk", jobs=jobs, engine=engine)
    assert view["status"] == "RUNNING" and view["paused"] is True and view["pausedAt"]
    assert turn(jobs, "bulk", lambda s: None) == {"next": "stop"}
    assert steps.finish_job({"jobId": "bulk"}, jobs=jobs) == {
        "jobId": "bulk", "again": False, "paused": True}
    assert jobs.job_summary("bulk")["status"] == "RUNNING"
    assert lifecycle.pause_job("bulk", jobs=jobs, engine=engine)["paused"] is True  # the same
    assert lifecycle.resume_stalled(jobs=jobs, engine=engine, alive=lambda r: False) == []
    view = lifecycle.resume_job("bulk", jobs=jobs, engine=engine)
    assert view["paused"] is False and view["resumed"] == 1
    assert engine.started == [("arn:bulk", {"jobId": "bulk"}, "bulk-r1")]
    assert turn(jobs, "bulk", lambda s: None)["n"] == 1
    lifecycle.resume_job("bulk", jobs=jobs, engine=engine)             # not paused: no new run
    assert len(engine.started) == 1


def test_an_operator_sets_a_running_bulk_jobs_priority_within_its_range():
    jobs, engine = MemoryJobStore(), engine_()
    job(jobs, "bulk")
    assert lifecycle.set_priority("bulk", 7, jobs=jobs, engine=engine)["priority"] == 7
    for bad in (10, -1, "7", True, 7.0):
        with pytest.raises(InvalidRequest):
            lifecycle.set_priority("bulk", bad, jobs=jobs, engine=engine)
    job(jobs, "t2i", kind="text2image")
    with pytest.raises(Conflict):
        lifecycle.set_priority("t2i", 3, jobs=jobs, engine=engine)
    jobs.update_job("bulk", {"status": "SUCCEEDED"})
    for act in (lifecycle.pause_job, lifecycle.resume_job):
        with pytest.raises(Conflict):
            act("bulk", jobs=jobs, engine=engine)
