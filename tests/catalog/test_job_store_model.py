"""The job stores against the scheduling policy: random sequences of claims, completions,
releases, dead-endpoint errors, status changes and clock moves, run on each adapter (memory,
SQLite, DynamoDB under moto) and on a model made of chalicelib/rules/scheduling.py alone;
after every step the store's units, dead endpoints and images are the model's.

Where the port leaves the adapters a choice, the model checks the bounds: DynamoDB's claim
counter hands out units never handed out before those given back or whose lease ran out
(any claimable unit, and ``left`` counts those the counter has not reached yet), where the
memory and SQLite stores take the lowest claimable ``n`` and count every open unit."""
from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chalicelib.catalog import ErrorEntry, JobStore, Released
from chalicelib.catalog._jobs import now_ms, unit_view
from chalicelib.catalog.dynamodb import DynamoJobStore
from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.catalog.sqlite import SqliteJobStore
from chalicelib.rules import scheduling
from chalicelib.rules.scheduling import OPEN, RUNNING, Unit
from tests.timing import FakeClock

URIS = ["http://a", "http://b", "http://c", "painter:"]
STRANGER = "http://never-in-the-job"
WORKERS = ["run/0", "run/1", "run/2"]
# how many random sequences, and how long each, per adapter (moto answers slowly)
RUNS = {"memory": (200, 40), "sqlite": (100, 40), "dynamodb": (15, 30)}


class JobWork(RuleBasedStateMachine):
    """One job's work on ``store`` beside the policy's model of it."""

    stores: ClassVar[staticmethod[[FakeClock], JobStore]]   # the adapter on a clock
    exact: ClassVar[bool]        # the lowest claimable n first, every open unit counted

    def __init__(self) -> None:
        super().__init__()
        # each run from the same time: a run's steps never depend on the runs before it
        self.clock = FakeClock(1_767_225_600.0)
        self.store = self.stores(self.clock)
        self.job = ""
        self.endpoints: list[str] = []
        self.status = RUNNING
        self.dead: set[str] = set()
        self.units: dict[int, Unit] = {}
        self.images: dict[int, str] = {}
        self.claims: list[tuple[int, str]] = []   # (n, token) of every claim handed out

    @initialize(endpoints=st.lists(st.sampled_from(URIS), min_size=1, max_size=4, unique=True),
                count=st.integers(1, 8))
    def create(self, endpoints: list[str], count: int) -> None:
        self.job = f"model-{uuid.uuid4().hex[:12]}"    # one store serves every run
        self.endpoints = endpoints
        self.store.create_job({"jobId": self.job, "status": RUNNING, "endpoints": endpoints})
        self.store.add_work(self.job, [{"n": n, "seed": 100 + n} for n in range(count)])
        self.units = {n: Unit(n) for n in range(count)}

    @rule(worker=st.sampled_from(WORKERS), uri=st.sampled_from([*URIS, STRANGER]),
          lease_seconds=st.sampled_from([0.5, 1.0, 60.0]))
    def claim(self, worker: str, uri: str, lease_seconds: float) -> None:
        self._claim(worker, uri, lease_seconds)

    @rule(worker=st.sampled_from(WORKERS), uri=st.sampled_from(URIS))
    def claim_for_long(self, worker: str, uri: str) -> None:
        """Claims drive the rest: a second rule makes them twice as frequent."""
        self._claim(worker, uri, 600.0)

    def _claim(self, worker: str, uri: str, lease_seconds: float) -> None:
        now = now_ms(self.clock)
        claim = self.store.claim_work(self.job, worker, uri, lease_seconds)
        candidates = [u.n for _, u in sorted(self.units.items())
                      if scheduling.claimable(u, uri, now)]
        if not scheduling.takes_claims(self.status, self.dead, uri) or not candidates:
            assert claim is None
            return
        assert claim is not None
        assert claim.n == candidates[0] if self.exact else claim.n in candidates
        assert claim.item == {"n": claim.n, "seed": 100 + claim.n}
        assert claim.job["jobId"] == self.job and claim.job["endpoints"] == self.endpoints
        self.units[claim.n] = scheduling.lease(self.units[claim.n], worker, claim.token,
                                               lease_seconds, now)
        left = scheduling.open_left(self.units.values())
        assert claim.left == left if self.exact else 0 <= claim.left <= left
        self.claims.append((claim.n, claim.token))

    @precondition(lambda self: bool(self.claims))
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        n, token = data.draw(st.sampled_from(self.claims), label="claim")
        key = f"k{n}-{token}"
        done = self.store.complete_work(self.job, n, token, {"n": n, "key": key})
        assert done == scheduling.completes(self.units[n])
        if done:
            self.units[n] = scheduling.complete(self.units[n], token)
            self.images[n] = key
        # every image recorded once, with the completion that counted
        job = self.store.get_job(self.job)
        images = job.get("images", []) if job else []
        assert [(i["n"], i["key"]) for i in images] == sorted(self.images.items())

    @rule(worker=st.none() | st.sampled_from(WORKERS),   # mostly without an endpoint out
          out=st.sampled_from([None, None, None, None, *URIS, STRANGER]))
    def release(self, worker: str | None, out: str | None) -> None:
        released = self.store.release_work(self.job, worker=worker, out=out)
        self.dead = set(scheduling.out_of_job(self.dead, out))
        expected = []
        for n, unit in sorted(self.units.items()):
            if scheduling.held(unit, worker):
                self.units[n] = scheduling.release(unit, out=out, endpoints=self.endpoints,
                                                   dead=self.dead)
                expected.append(Released(n, self.units[n].state == OPEN))
        assert released == expected

    @rule(uri=st.sampled_from(URIS), error=st.sampled_from(  # mostly not hard failures
        ["EndpointFailed", "EndpointTimeout", *["EndpointThrottled"] * 4]))
    def record_error(self, uri: str, error: str) -> None:
        """An error recorded for the job (a hard failure marks its endpoint dead)."""
        entry: ErrorEntry = {"n": 0, "endpoint": uri, "error": error}
        self.store.append_job_entry(self.job, "errors", entry)
        if (dead := scheduling.dead_endpoint("errors", entry)) is not None:
            self.dead.add(dead)

    @rule(status=st.sampled_from([RUNNING, RUNNING, RUNNING, "CANCELLED"]))
    def set_status(self, status: str) -> None:
        assert self.store.update_job(self.job, {"status": status})
        self.status = status

    @rule(seconds=st.sampled_from([0.001, 0.499, 0.5, 0.501, 1.0, 60.0, 60.001, 600.001]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def the_store_holds_what_the_policy_decided(self) -> None:
        if not self.job:
            return
        assert self.store.work(self.job) == [unit_view(u) for _, u in sorted(self.units.items())]
        summary = self.store.job_summary(self.job)   # self.job's: there is one
        assert summary.get("deadEndpoints", []) == sorted(self.dead)
        assert summary["status"] == self.status


@pytest.mark.parametrize("adapter", list(RUNS))
def test_each_job_store_agrees_with_the_scheduling_policy(adapter: str,
                                                          request: pytest.FixtureRequest) -> None:
    stores: Callable[[FakeClock], JobStore]
    if adapter == "memory":
        stores = MemoryJobStore
    elif adapter == "sqlite":    # one file (and one table) for every run: job ids differ
        database = request.getfixturevalue("sqlite_database")
        stores = functools.partial(SqliteJobStore, database)
    else:
        stores = functools.partial(DynamoJobStore, request.getfixturevalue("dynamo_table"))
    examples, steps = RUNS[adapter]
    machine = type(f"JobWorkOn{adapter.title()}", (JobWork,),
                   {"stores": staticmethod(stores), "exact": adapter != "dynamodb"})
    phases = list(Phase)
    if adapter == "dynamodb":    # shrinking on moto outlasts the test's timeout: report as found
        phases.remove(Phase.shrink)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        phases=phases, suppress_health_check=[HealthCheck.too_slow]))
