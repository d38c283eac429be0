"""Jobs whose runner stopped are resumed; jobs whose runner still runs them are left alone.

A runner is known by a random nonce and its heartbeat in the job store, never by its process
id alone: ids come back (a server restarted as PID 1 of its container, a reboot, a killed
server left a zombie). The job stores run on a hand-moved clock; the engine is a fake that
records the runs it is asked to start."""
from __future__ import annotations

import os
import socket

import pytest

from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.errors import Conflict
from chalicelib.jobs import lifecycle, runners
from chalicelib.workflow.local import LocalEngine, runner_alive
from tests.timing import FakeClock

HOST = socket.gethostname()
A = "http://a"


class FakeEngine:
    """What resume_stalled and cancel_job use of an engine: its runner, start and stop."""

    def __init__(self, runner: str = f"{HOST}:77:731000000009:00000000000000ff") -> None:
        self.runner = runner
        self.started: list[tuple[str, dict, str]] = []
        self.stopped: list[str] = []

    def start(self, machine, input, name):
        self.started.append((machine, dict(input), name))
        return f"arn:local:{name}"

    def stop(self, execution_id, cause):
        self.stopped.append(execution_id)


@pytest.fixture
def clock():
    return FakeClock(1_767_225_600.0)


@pytest.fixture
def jobs(clock):
    return MemoryJobStore(clock=clock)


def left_running(jobs, runner: str, job_id: str = "j", leased: int = 1) -> None:
    """A bulk job its runner left RUNNING, ``leased`` of its 3 images leased by the dead run."""
    jobs.create_job({"jobId": job_id, "kind": "bulk", "status": "RUNNING", "endpoints": [A],
                     "machine": "bulk", "input": {"jobId": job_id}, "runner": runner,
                     "executionId": f"arn:old:{job_id}"})
    jobs.add_work(job_id, [{"n": n} for n in range(3)])
    for _ in range(leased):
        jobs.claim_work(job_id, "run/0", A, 300)


def resume(jobs, engine, alive=runner_alive):
    return lifecycle.resume_stalled(jobs=jobs, engine=engine, alive=alive)


# --- what makes a runner stopped ---------------------------------------------------------------
@pytest.mark.parametrize("pid", [os.getpid(), 1], ids=["this process's id", "pid 1"])
def test_a_runner_whose_process_id_is_alive_again_but_never_beat_is_resumed(jobs, pid):
    """The issue's case: the id names a live process (this one, or PID 1) — not the runner."""
    dead = f"{HOST}:{pid}:731000000001:{'0' * 16}"
    assert runner_alive(dead) is None                 # the process id alone cannot tell
    left_running(jobs, dead)
    engine = FakeEngine()
    assert resume(jobs, engine) == ["j"]
    assert engine.started == [("bulk", {"jobId": "j"}, "j-r1")]
    summary = jobs.job_summary("j")
    assert (summary["runner"], summary["resumed"], summary["executionId"]) == (
        engine.runner, 1, "arn:local:j-r1")


def test_a_runner_that_stopped_beating_is_resumed_and_one_that_beats_is_not(jobs, clock):
    other = f"{HOST}:{os.getpid()}:731000000001:{'1' * 16}"   # as a zombie's id would be
    left_running(jobs, other)
    jobs.beat(other)
    engine = FakeEngine()
    clock.advance(runners.dead_after())
    assert resume(jobs, engine) == [] and engine.started == []    # beat within the timeout
    jobs.beat(other)
    clock.advance(runners.dead_after() + 0.001)                   # then silent too long
    assert resume(jobs, engine) == ["j"]


def test_a_live_engine_of_this_process_keeps_its_jobs(jobs):
    engine = LocalEngine({})
    assert runner_alive(engine.runner) is True
    left_running(jobs, engine.runner)                              # never beat: it need not
    assert resume(jobs, FakeEngine()) == []
    twin = LocalEngine({})
    assert twin.runner != engine.runner and twin.runner.split(":")[:2] == engine.runner.split(":")[:2]


def test_a_runner_whose_process_is_gone_is_resumed_however_fresh_its_last_beat(jobs):
    gone = f"{HOST}:{2**22 + 12345}:731000000001:{'2' * 16}"       # above Linux's pid_max
    assert runner_alive(gone) is False
    left_running(jobs, gone)
    jobs.beat(gone)
    assert resume(jobs, FakeEngine()) == ["j"]


def test_a_record_from_before_runner_nonces_is_resumed(jobs):
    left_running(jobs, f"{HOST}:{os.getpid()}:731000000001")        # host:pid:engine
    assert resume(jobs, FakeEngine()) == ["j"]


# --- what a resume does --------------------------------------------------------------------------
def test_a_resume_releases_the_dead_runs_leases(jobs):
    left_running(jobs, "gone-host:1:1:x", leased=2)
    assert [u["state"] for u in jobs.work("j")] == ["leased", "leased", "open"]
    resume(jobs, FakeEngine(), alive=lambda runner: False)
    assert [(u["state"], u["worker"]) for u in jobs.work("j")] == [("open", None)] * 3
    # the new run's workers get every image, lowest first, without waiting for a lease
    assert [jobs.claim_work("j", "j-r1/0", A, 60).n for _ in range(3)] == [0, 1, 2]


def test_two_processes_resuming_one_job_start_one_run(jobs, monkeypatch):
    left_running(jobs, "gone-host:1:1:x")
    first, second = FakeEngine("h:1:1:a"), FakeEngine("h:2:1:b")
    read_before = jobs.list_jobs(status="RUNNING")        # the second read the list first...
    assert resume(jobs, first, alive=lambda r: r == first.runner) == ["j"]
    monkeypatch.setattr(jobs, "list_jobs", lambda **query: read_before)
    assert resume(jobs, second, alive=lambda r: r == second.runner) == []   # ...and lost
    assert (len(first.started), second.started) == (1, [])
    assert jobs.job_summary("j")["runner"] == first.runner


def test_a_job_that_settles_before_it_is_taken_over_is_left_settled(jobs):
    left_running(jobs, "gone-host:1:1:x")

    class SettlesFirst(MemoryJobStore):
        def take_over(self, job_id, runner, by):
            jobs.update_job(job_id, {"status": "SUCCEEDED"})
            return jobs.take_over(job_id, runner, by)
    racing = SettlesFirst()
    racing.list_jobs = jobs.list_jobs  # type: ignore[method-assign]
    engine = FakeEngine()
    assert resume(racing, engine, alive=lambda r: False) == [] and engine.started == []
    assert jobs.job_summary("j")["status"] == "SUCCEEDED"


def test_in_aws_nothing_is_resumed(jobs):
    left_running(jobs, "gone-host:1:1:x")
    assert resume(jobs, FakeEngine(runner=None), alive=lambda r: False) == []
    assert jobs.job_summary("j")["runner"] == "gone-host:1:1:x"


# --- the heartbeat ------------------------------------------------------------------------------------
def test_an_engines_heartbeat_beats_and_a_servers_takes_over_stalled_jobs(jobs, clock):
    engine = LocalEngine({})
    beating = runners.Heartbeat(engine, jobs, every=3600)          # the thread stays asleep
    beating.start()
    assert jobs.beat_age(engine.runner) == 0
    clock.advance(4)
    beating.tick()
    assert jobs.beat_age(engine.runner) == 0
    bulk = f"{HOST}:{os.getpid()}:731000000002:{'3' * 16}"         # a bulk killed mid-job
    left_running(jobs, bulk)
    jobs.beat(bulk)
    checks: list[list[str]] = []
    beating.watch(lambda live: checks.append(resume(jobs, FakeEngine(live.runner))))
    clock.advance(runners.dead_after() + 1)
    for _ in range(runners.DEAD_AFTER_BEATS):
        beating.tick()
    assert checks == [["j"]]                                        # one check per few beats
    assert jobs.job_summary("j")["runner"] == engine.runner
    beating.stop()
    assert beating.tick() is False


def test_a_heartbeat_stops_with_its_engine(jobs):
    engine = LocalEngine({})
    beating = runners.Heartbeat(engine, jobs, every=3600)
    assert beating.tick() is True
    del engine
    import gc
    gc.collect()
    assert beating.tick() is False


# --- cancel against a settle --------------------------------------------------------------------
def test_a_cancel_never_overwrites_a_job_that_settled_meanwhile(jobs):
    left_running(jobs, "h:1:1:a")

    class SettlesDuringCancel(MemoryJobStore):
        """The job's last image lands, and its run settles it, while the cancel reads it."""

        def get_job(self, job_id):
            job = super().get_job(job_id)
            super().update_job(job_id, {"status": "SUCCEEDED", "finishedAt": "now"})
            return job
    racing = SettlesDuringCancel()
    racing.create_job({"jobId": "j", "status": "RUNNING", "executionId": "arn:run"})
    racing.add_work("j", [{"n": 0}])
    racing.claim_work("j", "run/0", A, 300)
    engine = FakeEngine()
    with pytest.raises(Conflict):
        lifecycle.cancel_job("j", jobs=racing, engine=engine)  # type: ignore[arg-type]  # a fake of what cancel_job uses
    summary = racing.job_summary("j")
    assert (summary["status"], summary["finishedAt"], "cancelledAt" in summary) == (
        "SUCCEEDED", "now", False)
    assert engine.stopped == [] and racing.work("j")[0]["state"] == "leased"


def test_every_stopped_runners_job_is_resumed_whatever_is_listed_beside_it(jobs):
    """Jobs still run by their runner, taken over meanwhile by another process or not
    resumable sit among the stopped ones in the list (first, last and between): each is
    passed over, and every stopped runner's job resumed."""
    live = "h:9:1:live"
    names = ("a-taken", "b-live", "c-gone", "d-live", "e-gone", "f-old", "g-gone", "h-taken")
    for job_id in names:
        left_running(jobs, live if job_id.endswith("live") else f"gone-host:1:1:{job_id}",
                     job_id=job_id, leased=0)
    taken = {"a-taken", "h-taken"}
    taking = jobs.take_over
    jobs.take_over = lambda job_id, runner, by: (   # another process won these meanwhile
        False if job_id in taken else taking(job_id, runner, by))
    jobs.update_job("f-old", {"machine": None})            # a record that predates resuming
    engine = FakeEngine()
    assert sorted(resume(jobs, engine, alive=lambda runner: runner == live)) == [
        "c-gone", "e-gone", "g-gone"]
    assert sorted(name for _, _, name in engine.started) == ["c-gone-r1", "e-gone-r1", "g-gone-r1"]
    assert jobs.get_job("f-old")["status"] == "FAILED"
    assert {jobs.get_job(j)["status"] for j in ("b-live", "d-live", *taken)} == {"RUNNING"}
