"""Who runs a local job, and whether it still does: heartbeats in the JobStore.

A local engine runs its executions inside its own process, so a job's record names its
``runner`` (``host:pid:engine:nonce``, never the same twice). While the engine lives, its
``Heartbeat`` beats for it in the job store every BEAT_SECONDS; a runner whose last beat is
older than DEAD_AFTER_BEATS beats has stopped — killed, crashed, or frozen — whatever its
process id says now (ids come back: a container's PID 1, a reboot, an unreaped zombie).
A server's heartbeat also takes over, every DEAD_AFTER_BEATS beats, the RUNNING jobs whose
runner stopped (``lifecycle.resume_stalled``), so a ``bulk`` killed while the server runs
goes on without waiting for the next restart.

In AWS there is no runner: Step Functions runs the executions, nothing here is used.
"""
from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from .. import logs
from ..catalog import JobStore
from ..rules import scheduling
from ..workflow import WorkflowEngine

BEAT_SECONDS = 5.0          # a live engine beats this often
DEAD_AFTER_BEATS = 3        # a runner silent for this many beats has stopped

Alive = Callable[[str], "bool | None"]    # what this process can tell (workflow.local.runner_alive)


def dead_after() -> float:
    return BEAT_SECONDS * DEAD_AFTER_BEATS


def runner_stopped(runner: str, *, jobs: JobStore, alive: Alive) -> bool:
    """Whether the job's runner no longer runs it: what this process knows (its own engines;
    a process certainly gone) first, else the runner's heartbeat — never beaten, or not for
    ``dead_after()`` seconds, is stopped."""
    verdict = alive(runner)
    if verdict is not None:
        return not verdict
    return scheduling.silent(jobs.beat_age(runner), dead_after())


class Heartbeat:
    """Beats for a local engine in the job store while the engine lives (a daemon thread
    holding only a weak reference to it); ``watch`` makes every DEAD_AFTER_BEATS-th beat
    also take over stalled jobs (a server). ``tick`` is one beat, for tests."""

    def __init__(self, engine: WorkflowEngine, jobs: JobStore, *,
                 every: float = BEAT_SECONDS) -> None:
        if not engine.runner:
            raise ValueError("only an engine with a runner beats (a local one)")
        self.runner = str(engine.runner)
        self._engine = weakref.ref(engine)
        self._jobs = jobs
        self._every = every
        self._check: Callable[[Any], object] | None = None
        self._beats = 0
        self._stop = threading.Event()

    def start(self) -> Heartbeat:
        """The first beat now — before the engine runs any job — then one every ``every``."""
        self.tick()
        threading.Thread(target=self._run, name=f"heartbeat {self.runner}", daemon=True).start()
        return self

    def watch(self, check: Callable[[Any], object]) -> None:
        """Call ``check(engine)`` every DEAD_AFTER_BEATS beats from now on."""
        self._check = check

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> bool:
        """One beat (and, when watching and due, one check); False once the engine is gone
        or the heartbeat was stopped."""
        engine = self._engine()
        if engine is None or self._stop.is_set():
            return False
        try:
            self._jobs.beat(self.runner)
        except Exception as exc:  # noqa: BLE001 - a missed beat must never stop the engine
            logs.event("heartbeat_missed", logging.WARNING, runner=self.runner, reason=str(exc))
        self._beats += 1
        if self._check is not None and self._beats % DEAD_AFTER_BEATS == 0:
            try:
                self._check(engine)
            except Exception as exc:  # noqa: BLE001 - the next check tries again
                logs.event("takeover_failed", logging.WARNING, runner=self.runner,
                           reason=str(exc))
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            if not self.tick():
                return
