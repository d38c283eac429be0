"""The scheduling policy of a generation job's work: who may claim an image, when a lease runs
out, which completion counts, when an endpoint is out of the job, whether an image given
back may still be made, and when a runner has stopped.

A job's work is one unit per image. A unit is open, leased (to one worker, until a time, under
a token), done or failed; the endpoints that failed it are its ``tried_by``. The job around
its units has a status, its ``endpoints`` and the ones that left it (dead endpoints).

- Claim: only while the job is RUNNING and the endpoint is still in it; a unit is claimable
  when it is open, or leased with its lease run out (strictly before now, to the ms) — never
  by an endpoint that failed it. Lowest ``n`` first.
- Complete: the first completion of a unit counts, whoever's lease it was under (a worker
  whose lease ran out may still land its image before the new holder); any later one is
  ignored, so an image is recorded once.
- Release: a leased unit goes back open; with an endpoint out (it failed hard), that
  endpoint joins the job's dead endpoints and the unit's ``tried_by``, and the unit fails
  when no endpoint of the job that is not dead and has not failed it is left ("makeable").
- Dead endpoint: an ``errors`` entry whose error is one of DEAD_ENDPOINT_ERRORS marks its
  endpoint dead for the rest of the job.
- Priority: each job has one (``priority_of``: VISITOR for a visitor's flower, BULK_DEFAULT
  for any other job unless an operator set 0…MAX_OPERATOR). A claim yields — the store hands
  out nothing — when another job of higher priority is RUNNING, not paused, has the claiming
  endpoint among its live ones and a unit that endpoint may claim (``outranked``): the
  endpoint's next image goes to the higher job; nothing in progress is touched.
- Pause: a paused job hands out no work (``takes_claims``); its leases run as before.
- Runners: a runner whose last heartbeat is older than the limit (or that never beat) has
  stopped; a RUNNING job is taken over only from the runner it names.

Pure: the job stores (``catalog.memory``, ``catalog.sqlite``, ``catalog.dynamodb``) read a
unit, decide here and write under a condition of their own (a lock, a transaction, a
conditional write); the workflow's steps ask ``makeable`` too. Times are epoch milliseconds.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

OPEN, LEASED, DONE, FAILED = "open", "leased", "done", "failed"
STATES = (OPEN, LEASED, DONE, FAILED)
RUNNING = "RUNNING"                 # the one job status whose work may be claimed
# Errors after which an endpoint is treated as down or hung for the rest of a job: recording
# one of these marks the endpoint in the job's dead endpoints.
DEAD_ENDPOINT_ERRORS = ("EndpointFailed", "EndpointTimeout")
RUNNER_KEEP_SECONDS = 24 * 3600     # a runner silent this long is forgotten (pruned)
BULK_DEFAULT = 0                    # a job's priority unless set: every kind but a visitor's
MAX_OPERATOR = 9                    # an operator sets a job's priority from 0 to this
VISITOR = 10                        # a visitor's flower: above anything an operator can set


@dataclass(frozen=True)
class Unit:
    """One image of a job's work, as the policy sees it (its item is the store's)."""
    n: int
    state: str = OPEN
    worker: str | None = None
    token: str | None = None
    until: int = 0                          # the lease's end, epoch ms (0: none)
    tried_by: frozenset[str] = frozenset()  # endpoints that failed it


# --- the job ----------------------------------------------------------------------------------
def takes_claims(status: object, dead: Collection[str], uri: str, paused: object = False) -> bool:
    """Whether the job hands out work to endpoint ``uri``: it is RUNNING, not paused, and
    ``uri`` is in it."""
    return status == RUNNING and not paused and uri not in dead


def priority_of(doc: Mapping[str, Any]) -> int:
    """A job document's priority: its ``priority`` when a whole number, else BULK_DEFAULT."""
    value = doc.get("priority")
    return value if type(value) is int else BULK_DEFAULT


@dataclass(frozen=True)
class Rival:
    """Another job as a claim weighs it: its priority, status, pause, endpoints, dead
    endpoints, and the units of its work that are open or leased (a store may give just one
    open unit when it knows one was never handed out)."""
    priority: int
    status: object
    paused: bool
    endpoints: frozenset[str]
    dead: frozenset[str]
    units: tuple[Unit, ...] = ()


def wants(rival: Rival, uri: str, now: int) -> bool:
    """Whether ``rival`` waits for endpoint ``uri``: it takes claims from it (``uri`` is one of
    its endpoints) and has a unit ``uri`` may claim now."""
    return uri in rival.endpoints \
        and takes_claims(rival.status, rival.dead, uri, rival.paused) \
        and any(claimable(unit, uri, now) for unit in rival.units)


def outranked(priority: int, uri: str, rivals: Iterable[Rival], now: int) -> bool:
    """Whether a claim by ``uri`` for a job of ``priority`` yields: a job of higher priority
    waits for ``uri`` (``wants``)."""
    return any(rival.priority > priority and wants(rival, uri, now) for rival in rivals)


def dead_endpoint(field: str, entry: Mapping[str, Any]) -> str | None:
    """The endpoint a job entry marks as down or hung for the rest of its job: an ``errors``
    entry with one of DEAD_ENDPOINT_ERRORS and a named endpoint; else None."""
    endpoint = entry.get("endpoint")
    if field == "errors" and entry.get("error") in DEAD_ENDPOINT_ERRORS \
            and isinstance(endpoint, str) and endpoint:
        return endpoint
    return None


def makeable(endpoints: Iterable[str], dead: Iterable[str], tried_by: Iterable[str]) -> bool:
    """Whether an endpoint of the job is left that is not dead and has not failed the unit."""
    return bool(set(endpoints) - set(dead) - set(tried_by))


# --- a unit -----------------------------------------------------------------------------------
def lease_until(lease_seconds: float, now: int) -> int:
    """When a lease taken at ``now`` runs out (at least 1 ms later)."""
    return now + max(1, int(lease_seconds * 1000))


def expired(unit: Unit, now: int) -> bool:
    """A leased unit whose lease ran out before ``now`` (its holder is presumed gone)."""
    return unit.state == LEASED and unit.until < now


def claimable(unit: Unit, uri: str, now: int) -> bool:
    """Open, or leased with its lease run out; never by an endpoint that failed it."""
    if uri in unit.tried_by:
        return False
    return unit.state == OPEN or expired(unit, now)


def pick(units: Iterable[Unit], uri: str, now: int) -> Unit | None:
    """The first unit ``uri`` may claim among ``units`` (given lowest ``n`` first)."""
    return next((unit for unit in units if claimable(unit, uri, now)), None)


def lease(unit: Unit, worker: str, token: str, lease_seconds: float, now: int) -> Unit:
    """The unit leased to ``worker`` under ``token`` from ``now`` (the caller checked
    ``claimable``)."""
    return replace(unit, state=LEASED, worker=worker, token=token,
                   until=lease_until(lease_seconds, now))


def completes(unit: Unit) -> bool:
    """Whether a completion of the unit counts: the first one does, whoever's lease it came
    under; once done, any other is late and ignored."""
    return unit.state != DONE


def complete(unit: Unit, token: str) -> Unit:
    """The unit done by the holder of ``token`` (the caller checked ``completes``)."""
    return replace(unit, state=DONE, worker=None, token=token)


def held(unit: Unit, worker: str | None) -> bool:
    """Whether a release for ``worker`` (None: anyone) gives the unit back: it is leased to them."""
    return unit.state == LEASED and (worker is None or unit.worker == worker)


def out_of_job(dead: Iterable[str], out: str | None) -> frozenset[str]:
    """The job's dead endpoints once ``out`` (an endpoint that failed hard, or None) left."""
    return frozenset(dead) | ({out} if out is not None else frozenset())


def release(unit: Unit, *, out: str | None, endpoints: Iterable[str],
            dead: Iterable[str]) -> Unit:
    """The unit given back: ``out`` (if any) among those that failed it, then open while some
    endpoint of the job may still make it, else failed. ``dead`` already holds ``out``
    (``out_of_job``)."""
    tried = unit.tried_by | ({out} if out is not None else frozenset())
    state = OPEN if makeable(endpoints, dead, tried) else FAILED
    return replace(unit, state=state, worker=None, until=0, tried_by=tried)


def open_left(units: Iterable[Unit]) -> int:
    """How many units are open (a claim reports those left besides itself)."""
    return sum(1 for unit in units if unit.state == OPEN)


# --- runners ----------------------------------------------------------------------------------
def beat_age(beat_ms: int, now: int) -> float:
    """Seconds since a runner's beat at ``beat_ms`` (never negative: clocks may step back)."""
    return max(0, now - beat_ms) / 1000


def forgotten_before(now: int) -> int:
    """Beats older than this (epoch ms) belong to runners long stopped: they may be pruned."""
    return now - RUNNER_KEEP_SECONDS * 1000


def silent(age: float | None, limit: float) -> bool:
    """Whether a runner whose last beat is ``age`` seconds old (None: it never beat, or was
    forgotten) has stopped: silent for longer than ``limit`` seconds."""
    return age is None or age > limit


def may_take_over(status: object, runner: object, expected: str) -> bool:
    """Whether a job may be taken over from runner ``expected``: it is RUNNING and still
    names that runner (two processes resuming one job never both win)."""
    return status == RUNNING and runner == expected
