"""The scheduling policy of a job's work (chalicelib/rules/scheduling.py), property-tested on
its own: leases, claims, completions, dead endpoints, "makeable" and runners' silence. The
job stores' agreement with it is tests/catalog/test_job_store_model.py."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import catalog
from chalicelib.rules import scheduling
from chalicelib.rules.scheduling import DONE, FAILED, LEASED, OPEN, RUNNING, Unit

ENDPOINTS = ("http://a", "http://b", "http://c", "painter:")
WORKERS = ("run/0", "run/1", "run/2", "r1/0")

endpoints = st.sampled_from(ENDPOINTS)
endpoint_sets = st.frozensets(endpoints)
times = st.integers(min_value=0, max_value=10**13)
lease_lengths = st.one_of(st.sampled_from([0.0, 0.0005, 0.001, 0.05, 1.0, 60.0, 300.0]),
                          st.floats(min_value=0, max_value=3600, allow_nan=False))
units = st.builds(Unit, n=st.integers(0, 999_999), state=st.sampled_from(scheduling.STATES),
                  worker=st.none() | st.sampled_from(WORKERS),
                  token=st.none() | st.text(max_size=4),
                  until=times, tried_by=endpoint_sets)


# --- leases -----------------------------------------------------------------------------------
@given(unit=units, uri=endpoints, now=times, lease_seconds=lease_lengths)
def test_a_lease_runs_at_least_a_millisecond_and_its_unit_is_nobody_elses_until_it_ends(
        unit, uri, now, lease_seconds):
    leased = scheduling.lease(unit, "run/0", "t", lease_seconds, now)
    assert (leased.state, leased.worker, leased.token) == (LEASED, "run/0", "t")
    assert leased.until >= now + 1 and leased.tried_by == unit.tried_by
    for later in (now, leased.until - 1, leased.until):            # to the ms, the end included
        assert not scheduling.claimable(leased, uri, later)
    assert scheduling.claimable(leased, uri, leased.until + 1) == (uri not in unit.tried_by)


@given(unit=units, uri=endpoints, now=times)
def test_an_expired_lease_is_claimable_by_any_endpoint_that_did_not_fail_it(unit, uri, now):
    stale = replace(unit, state=LEASED, until=now - 1)
    assert scheduling.expired(stale, now)
    assert scheduling.claimable(stale, uri, now) == (uri not in unit.tried_by)


@given(unit=units, uri=endpoints, now=times)
def test_only_open_units_and_run_out_leases_are_claimable(unit, uri, now):
    expected = uri not in unit.tried_by and (
        unit.state == OPEN or (unit.state == LEASED and unit.until < now))
    assert scheduling.claimable(unit, uri, now) == expected


claims = st.tuples(st.sampled_from(WORKERS), endpoints, st.integers(0, 400_000), lease_lengths)


@settings(max_examples=300)
@given(count=st.integers(1, 6), steps=st.lists(claims, max_size=40))
def test_a_unit_is_held_by_at_most_one_live_lease_at_any_clock(count, steps):
    """Claims at moving times, each through pick and lease: the leases granted on one unit
    never overlap — a unit is handed out again only once the lease before ran out."""
    work = [Unit(n) for n in range(count)]
    granted: dict[int, list[tuple[int, int]]] = {n: [] for n in range(count)}
    now = 1_767_225_600_000
    for worker, uri, wait, lease_seconds in steps:
        now += wait
        unit = scheduling.pick(work, uri, now)
        if unit is None:
            assert not any(scheduling.claimable(u, uri, now) for u in work)
            continue
        assert unit == min((u for u in work if scheduling.claimable(u, uri, now)),
                           key=lambda u: u.n)                       # the lowest n first
        work[unit.n] = scheduling.lease(unit, worker, f"t{now}", lease_seconds, now)
        granted[unit.n].append((now, work[unit.n].until))
    for leases in granted.values():
        for (_, ends), (starts, _) in zip(leases, leases[1:]):
            assert starts > ends


# --- completions -------------------------------------------------------------------------------
@given(first=st.sampled_from(["stale", "fresh"]), gap=st.integers(1, 10**6))
def test_the_first_completion_counts_and_a_late_one_is_ignored(first, gap):
    """A worker whose lease ran out and the one that took the unit over both finish: the first
    to complete records the image, the other is late and changes nothing."""
    unit = scheduling.lease(Unit(0), "dead-run/0", "stale", 1, 0)
    unit = scheduling.lease(unit, "run/1", "fresh", 60, unit.until + gap)   # taken over
    order = ["stale", "fresh"] if first == "stale" else ["fresh", "stale"]
    counted = []
    for token in order:
        if scheduling.completes(unit):
            unit = scheduling.complete(unit, token)
            counted.append(token)
    assert counted == [first] and unit.state == DONE and unit.worker is None
    assert unit.token == first


@given(unit=units)
def test_a_done_unit_is_never_done_again_nor_claimed_nor_released(unit):
    done = scheduling.complete(unit, "t")
    assert not scheduling.completes(done)
    assert not any(scheduling.claimable(done, uri, 10**14) for uri in ENDPOINTS)
    assert not scheduling.held(done, None)


# --- releases, dead endpoints and "makeable" ---------------------------------------------------
@given(unit=units, out=st.none() | endpoints, job_endpoints=endpoint_sets, dead=endpoint_sets)
def test_a_released_unit_stays_open_exactly_while_a_live_endpoint_that_did_not_fail_it_is_left(
        unit, out, job_endpoints, dead):
    dead = scheduling.out_of_job(dead, out)
    given_back = scheduling.release(unit, out=out, endpoints=job_endpoints, dead=dead)
    tried = unit.tried_by | ({out} if out else set())
    left = {e for e in job_endpoints if e not in dead and e not in tried}
    assert given_back.state == (OPEN if left else FAILED)
    assert scheduling.makeable(job_endpoints, dead, given_back.tried_by) == bool(left)
    assert (given_back.worker, given_back.until, given_back.tried_by) == (None, 0, tried)
    for uri in job_endpoints:  # whoever may claim it is one of those left
        if scheduling.takes_claims(RUNNING, dead, uri) and scheduling.claimable(given_back, uri, 0):
            assert uri in left


@settings(max_examples=300)
@given(job_endpoints=st.frozensets(endpoints, min_size=1),
       failures=st.lists(st.tuples(endpoints, st.integers(0, 2)), max_size=12))
def test_an_endpoint_that_failed_a_unit_never_gets_it_again_nor_any_work_of_the_job(
        job_endpoints, failures):
    """Endpoints fail hard in turn while holding units: each leaves the job for good, its
    units go to those left, and a unit fails only when none of them is left."""
    work = [Unit(n) for n in range(3)]
    dead: frozenset[str] = frozenset()
    now = 0
    for uri, n in failures:
        now += 1000
        if not scheduling.takes_claims(RUNNING, dead, uri) or not scheduling.claimable(
                work[n], uri, now):
            continue
        work[n] = scheduling.lease(work[n], uri, "t", 60, now)
        dead = scheduling.out_of_job(dead, uri)
        work = [scheduling.release(u, out=uri, endpoints=job_endpoints, dead=dead)
                if scheduling.held(u, uri) else u for u in work]
        # failed exactly when, as it was given back, no endpoint was left for it
        assert (work[n].state == FAILED) == (not scheduling.makeable(job_endpoints, dead,
                                                                      work[n].tried_by))
        for later in (now, now + 10**9):
            assert not scheduling.claimable(work[n], uri, later)
            assert not scheduling.takes_claims(RUNNING, dead, uri)
    for unit in work:   # (one given back while others were left stays open: Finish settles it)
        assert unit.tried_by <= dead


@given(unit=units, worker=st.none() | st.sampled_from(WORKERS))
def test_a_release_gives_back_only_the_leases_of_the_worker_it_names(unit, worker):
    assert scheduling.held(unit, worker) == (
        unit.state == LEASED and (worker is None or unit.worker == worker))


@given(status=st.sampled_from([RUNNING, "CANCELLED", "SUCCEEDED", "FAILED", None]),
       dead=endpoint_sets, uri=endpoints)
def test_only_a_running_job_gives_work_and_only_to_endpoints_still_in_it(status, dead, uri):
    assert scheduling.takes_claims(status, dead, uri) == (status == RUNNING and uri not in dead)


@given(status=st.sampled_from([RUNNING, "CANCELLED"]), dead=endpoint_sets, uri=endpoints)
def test_a_paused_job_gives_no_work(status, dead, uri):
    assert not scheduling.takes_claims(status, dead, uri, paused=True)


# --- priorities between jobs ------------------------------------------------------------------
priorities = st.integers(scheduling.BULK_DEFAULT, scheduling.VISITOR)
rivals = st.builds(scheduling.Rival, priority=priorities,
                   status=st.sampled_from([RUNNING, "SUCCEEDED", "CANCELLED"]),
                   paused=st.booleans(), endpoints=endpoint_sets, dead=endpoint_sets,
                   units=st.lists(units, max_size=4).map(tuple))


@given(priority=priorities, uri=endpoints, field=st.lists(rivals, max_size=4), now=times)
def test_a_claim_yields_exactly_when_a_higher_running_job_may_use_the_endpoint_now(
        priority, uri, field, now):
    waiting = [r for r in field if r.priority > priority and r.status == RUNNING
               and not r.paused and uri in r.endpoints and uri not in r.dead
               and any(scheduling.claimable(u, uri, now) for u in r.units)]
    assert scheduling.outranked(priority, uri, field, now) == bool(waiting)


@given(uri=endpoints, field=st.lists(rivals, max_size=4), now=times)
def test_a_visitors_flower_yields_to_nothing_and_nothing_yields_to_an_equal(uri, field, now):
    assert not scheduling.outranked(scheduling.VISITOR, uri, field, now)
    level = [replace(r, priority=scheduling.BULK_DEFAULT) for r in field]
    assert not scheduling.outranked(scheduling.BULK_DEFAULT, uri, level, now)


@given(rival=rivals, uri=endpoints, now=times)
def test_a_higher_job_with_nothing_claimable_or_out_of_running_never_holds_an_endpoint(
        rival, uri, now):
    idle = replace(rival, units=tuple(u for u in rival.units
                                      if not scheduling.claimable(u, uri, now)))
    assert not scheduling.outranked(-1, uri, [idle], now)
    assert not scheduling.outranked(-1, uri, [replace(rival, paused=True)], now)
    assert not scheduling.outranked(-1, uri, [replace(rival, status="SUCCEEDED")], now)


@pytest.mark.parametrize("doc, priority", [({}, 0), ({"priority": 10}, 10), ({"priority": 3}, 3),
                                           ({"priority": "9"}, 0), ({"priority": True}, 0)])
def test_a_jobs_priority_is_its_whole_number_else_the_default(doc, priority):
    assert scheduling.priority_of(doc) == priority


@pytest.mark.parametrize("field, entry, dead", [
    ("errors", {"error": "EndpointFailed", "endpoint": "http://a"}, "http://a"),
    ("errors", {"error": "EndpointTimeout", "endpoint": "http://a"}, "http://a"),
    ("errors", {"error": "EndpointThrottled", "endpoint": "http://a"}, None),
    ("errors", {"error": "NoEndpointLeft", "endpoint": None}, None),
    ("errors", {"error": "EndpointFailed", "endpoint": ""}, None),
    ("errors", {"error": "EndpointFailed"}, None),
    ("retried", {"error": "EndpointFailed", "endpoint": "http://a"}, None),
    ("images", {"error": "EndpointFailed", "endpoint": "http://a"}, None),
])
def test_only_an_endpoints_hard_failure_recorded_as_an_error_marks_it_dead(field, entry, dead):
    assert scheduling.dead_endpoint(field, entry) == dead


def test_the_catalog_port_still_names_the_dead_endpoint_errors():
    assert catalog.DEAD_ENDPOINT_ERRORS is scheduling.DEAD_ENDPOINT_ERRORS


# --- runners ------------------------------------------------------------------------------------
@given(beat=times, now=times, limit=st.floats(0, 3600, allow_nan=False))
def test_a_runner_is_stopped_once_its_last_beat_is_older_than_the_limit(beat, now, limit):
    age = scheduling.beat_age(beat, now)
    assert age >= 0 and (age == (now - beat) / 1000 or now < beat)
    assert scheduling.silent(age, limit) == (age > limit)
    assert scheduling.silent(None, limit)                        # never beat, or forgotten
    assert (beat < scheduling.forgotten_before(now)) == (now - beat > 24 * 3600 * 1000)


@given(status=st.sampled_from([RUNNING, "CANCELLED", "SUCCEEDED", None]),
       runner=st.none() | st.sampled_from(WORKERS), expected=st.sampled_from(WORKERS))
def test_a_job_is_taken_over_only_while_running_and_from_the_runner_it_names(
        status, runner, expected):
    assert scheduling.may_take_over(status, runner, expected) == (
        status == RUNNING and runner == expected)
