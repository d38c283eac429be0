"""Callback tasks in the local engine: a Task whose resource is
``arn:aws:states:::lambda:invoke.waitForTaskToken`` hands its Lambda ``$$.Task.Token`` and waits,
no task function running, until the token is answered (SendTaskSuccess / SendTaskFailure /
SendTaskHeartbeat through the engine) or its HeartbeatSeconds / TimeoutSeconds end it, as in
Step Functions. Every wait here is for an event (a token handed out, an execution ended); the
only clocks that run are the interpreter's own 1-second timers in the timeout tests."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import InvalidRequest
from chalicelib.workflow import ABORTED, FAILED, SUCCEEDED, read_definition
from chalicelib.workflow.local import OUTPUT_MAX, LocalEngine
from tests.timing import wait_until

WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken"


class Parker:
    """A task function that parks: it records the token it was handed and returns at once
    (as the worker that submitted its image to an asynchronous endpoint does)."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.running = 0              # task functions in flight right now
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.running += 1
            self.events.append(event)
            self.tokens.append(event["token"])
            self.running -= 1
        return {"submitted": True}

    def token(self, n: int = 0) -> str:
        wait_until(lambda: len(self.tokens) > n, 10, f"token {n}")
        return self.tokens[n]


def _machine(tmp_path: Path, park: dict[str, Any], after: dict[str, Any] | None = None) -> Path:
    """A one-state machine (the text2image machine's file in ``tmp_path``) that parks once."""
    state = {"Type": "Task", "Resource": WAIT_FOR_TOKEN,
             "Parameters": {"FunctionName": "${workflow_plan}",
                            "Payload": {"input.$": "$", "token.$": "$$.Task.Token"}},
             "End": True, **park}
    if "Catch" in park or "Next" in park:
        del state["End"]                  # it goes on to ``after``'s states
    states: dict[str, Any] = {"Park": state}
    if after:
        states.update(after)
    (tmp_path / "generate.asl.json").write_text(json.dumps({"StartAt": "Park", "States": states}))
    return tmp_path


def _engine(tmp_path: Path, park: dict[str, Any] | None = None,
            after: dict[str, Any] | None = None) -> tuple[LocalEngine, Parker]:
    parker = Parker()
    engine = LocalEngine({"workflow_plan_text2image": parker},
                         directory=_machine(tmp_path, park or {}, after))
    return engine, parker


def test_the_task_waits_for_its_token_and_ends_with_the_answer(tmp_path):
    engine, parker = _engine(tmp_path, {"TimeoutSeconds": 600})
    run = engine.start("text2image", {"jobId": "j"}, "j")
    token = parker.token()
    assert parker.events == [{"input": {"jobId": "j"}, "token": token}]
    assert engine.describe(run).status == "RUNNING" and parker.running == 0   # parked, no task
    assert engine.send_task_success(token, {"image": "a.jpeg"}) is True
    result = engine.wait(run, 10)
    assert result.status == SUCCEEDED and result.output == {"image": "a.jpeg"}


def test_a_duplicate_or_late_answer_is_dropped(tmp_path):
    engine, parker = _engine(tmp_path)
    run = engine.start("text2image", {}, "j")
    token = parker.token()
    assert engine.send_task_success(token, 1) is True
    assert engine.wait(run, 10).output == 1
    assert engine.send_task_success(token, 2) is False
    assert engine.send_task_failure(token, "BadImage", "late") is False
    assert engine.send_task_heartbeat(token) is False
    assert engine.describe(run).output == 1


def test_two_answers_at_once_deliver_one(tmp_path):
    engine, parker = _engine(tmp_path)
    run = engine.start("text2image", {}, "j")
    token = parker.token()
    barrier = threading.Barrier(8)
    answers: list[bool] = []

    def answer(n: int) -> None:
        barrier.wait()
        answers.append(engine.send_task_success(token, n))

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 7 + [True]
    assert engine.wait(run, 10).output in range(8)


def test_a_failure_is_an_error_name_that_catch_matches(tmp_path):
    engine, parker = _engine(
        tmp_path,
        {"Catch": [{"ErrorEquals": ["BadImage"], "ResultPath": "$.failure", "Next": "Caught"}]},
        {"Caught": {"Type": "Pass", "End": True}})
    run = engine.start("text2image", {"jobId": "j"}, "j")
    assert engine.send_task_failure(parker.token(), "BadImage", "not a JPEG") is True
    result = engine.wait(run, 10)
    assert result.status == SUCCEEDED
    assert result.output == {"jobId": "j", "failure": {"Error": "BadImage", "Cause": "not a JPEG"}}


def test_an_uncaught_failure_fails_the_execution_with_its_name(tmp_path):
    engine, parker = _engine(tmp_path)
    run = engine.start("text2image", {}, "j")
    assert engine.send_task_failure(parker.token(), "EndpointFailed", "x" * 40000) is True
    result = engine.wait(run, 10)
    assert (result.status, result.error) == (FAILED, "EndpointFailed")
    assert result.cause is not None and len(result.cause) == 32768     # cut, as in AWS


def test_timeout_seconds_ends_the_task_with_states_timeout(tmp_path):
    engine, parker = _engine(tmp_path, {"TimeoutSeconds": 1})
    run = engine.start("text2image", {}, "j")
    token = parker.token()
    result = engine.wait(run, 20)
    assert (result.status, result.error) == (FAILED, "States.Timeout")
    assert engine.send_task_success(token, "late") is False


def test_a_missed_heartbeat_is_states_heartbeat_timeout(tmp_path):
    engine, parker = _engine(tmp_path, {"HeartbeatSeconds": 1, "TimeoutSeconds": 600})
    run = engine.start("text2image", {}, "j")
    token = parker.token()
    assert engine.send_task_heartbeat(token) is True     # waiting: a heartbeat is taken
    result = engine.wait(run, 20)
    assert (result.status, result.error) == (FAILED, "States.HeartbeatTimeout")
    assert engine.send_task_heartbeat(token) is False
    assert engine.send_task_success(token, "late") is False


def test_states_timeout_in_catch_matches_a_heartbeat_timeout_too(tmp_path):
    engine, parker = _engine(
        tmp_path,
        {"HeartbeatSeconds": 1, "TimeoutSeconds": 600,
         "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.failure", "Next": "Caught"}]},
        {"Caught": {"Type": "Pass", "End": True}})
    run = engine.start("text2image", {}, "j")
    parker.token()
    result = engine.wait(run, 20)
    assert result.status == SUCCEEDED
    assert result.output["failure"]["Error"] == "States.HeartbeatTimeout"


def test_each_retried_attempt_waits_on_a_token_of_its_own(tmp_path):
    engine, parker = _engine(tmp_path, {"Retry": [{"ErrorEquals": ["EndpointThrottled"],
                                                   "IntervalSeconds": 1, "MaxAttempts": 2}]})
    run = engine.start("text2image", {}, "j")
    first = parker.token(0)
    assert engine.send_task_failure(first, "EndpointThrottled", "busy") is True
    second = parker.token(1)
    assert second != first
    assert engine.send_task_success(first, "stale") is False      # the first attempt's: closed
    assert engine.describe(run).status == "RUNNING"
    assert engine.send_task_success(second, "made") is True
    assert engine.wait(run, 10).output == "made"


def test_stopping_an_execution_ends_its_parked_tasks_at_once(tmp_path):
    engine, parker = _engine(tmp_path, {"TimeoutSeconds": 3600})
    before = set(threading.enumerate())
    run = engine.start("text2image", {}, "j")
    token = parker.token()
    started = set(threading.enumerate()) - before    # the run's threads, one waiting on the token
    assert started
    engine.stop(run, "cancelled by the operator")
    assert engine.wait(run, 10).status == ABORTED
    assert engine.send_task_success(token, "late") is False
    assert engine.send_task_failure(token, "Cancelled", "late") is False
    # they end now, not when the task's hour runs out
    wait_until(lambda: not any(t.is_alive() for t in started), 10, "the run's threads to end")


def test_tokens_never_issued_and_bad_calls(tmp_path):
    engine, parker = _engine(tmp_path)
    run = engine.start("text2image", {}, "j")
    token = parker.token()
    assert engine.send_task_success("no-such-token", 1) is False
    with pytest.raises(InvalidRequest):
        engine.send_task_success("", 1)
    with pytest.raises(InvalidRequest):
        engine.send_task_heartbeat("t" * 2049)
    with pytest.raises(InvalidRequest, match="JSON"):
        engine.send_task_success(token, {"when": object()})
    with pytest.raises(InvalidRequest, match="bytes"):
        engine.send_task_success(token, "x" * OUTPUT_MAX)
    assert engine.describe(run).status == "RUNNING"     # a refused answer changes nothing
    assert engine.send_task_success(token, "ok") is True
    assert engine.wait(run, 10).status == SUCCEEDED


def test_another_engines_tokens_are_not_this_ones(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, parker = _engine(tmp_path / "a")
    second, _ = _engine(tmp_path / "b")
    run = first.start("text2image", {}, "j")
    token = parker.token()
    assert second.send_task_success(token, 1) is False
    assert first.send_task_success(token, 1) is True
    assert first.wait(run, 10).status == SUCCEEDED


# --- the real machine's shape: workers that park, answered from elsewhere ---

def parked_definition(text: str, heartbeat: int = 600, timeout: int = 1800) -> str:
    """generate.asl.json with its Work task made a callback task, as phase 2 of the
    asynchronous endpoints does it: the worker's Lambda is handed its state and a token."""
    definition = json.loads(text)
    work = definition["States"]["Workers"]["ItemProcessor"]["States"]["Work"]
    function = work.pop("Resource")
    work.update({"Resource": WAIT_FOR_TOKEN,
                 "Parameters": {"FunctionName": function,
                                "Payload": {"jobId.$": "$.jobId", "run.$": "$.run",
                                            "worker.$": "$.worker", "token.$": "$$.Task.Token"}},
                 "HeartbeatSeconds": heartbeat, "TimeoutSeconds": timeout})
    return json.dumps(definition, indent=2)


class ParkingJob:
    """The real machine's four tasks; each Work turn claims an image and parks, and the test
    (standing for the endpoint's notification) answers the tokens."""

    def __init__(self, endpoints: int, count: int) -> None:
        self.endpoints, self.queue = endpoints, list(range(count))
        self.parked: dict[str, int | None] = {}      # token → image (None: nothing left)
        self.made: list[int] = []
        self.errors: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0

    def plan(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"jobId": event["request"]["jobId"],
                "workers": [{"worker": n, "uri": f"async:{n}"} for n in range(self.endpoints)]}

    def generate(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.in_flight += 1
            self.parked[event["token"]] = self.queue.pop(0) if self.queue else None
            self.in_flight -= 1
        return {"submitted": True}

    def record_error(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.errors.append(event["failure"])
        return {"next": "stop"}

    def finish(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"jobId": event["jobId"], "again": False, "made": sorted(self.made)}

    def tasks(self) -> dict[str, Any]:
        return {"workflow_plan_text2image": self.plan, "workflow_generate": self.generate,
                "workflow_record_error": self.record_error, "workflow_finish": self.finish}

    def take(self) -> dict[str, int | None]:
        with self.lock:
            taken, self.parked = self.parked, {}
            return taken


@pytest.fixture
def parked_machine(tmp_path: Path) -> Path:
    (tmp_path / "generate.asl.json").write_text(parked_definition(read_definition()))
    return tmp_path


def test_the_real_machine_with_parked_workers_makes_every_image_once(parked_machine):
    job = ParkingJob(endpoints=3, count=7)
    engine = LocalEngine(job.tasks(), directory=parked_machine)
    run = engine.start("text2image", {"jobId": "j"}, "j")
    # all three workers park at once, no task function running while they wait
    wait_until(lambda: len(job.parked) == 3, 10, "every worker to park")
    answered = 0
    while True:
        assert job.in_flight == 0
        for token, image in job.take().items():     # the endpoints' notifications
            if image is not None:
                job.made.append(image)
            assert engine.send_task_success(
                token, {"next": "work" if image is not None else "stop"}) is True
            answered += 1
        wait_until(lambda: job.parked or engine.describe(run).done, 10, "the next turn")
        if engine.describe(run).done:
            break
    result = engine.wait(run, 10)
    assert result.status == SUCCEEDED and result.output["made"] == list(range(7))
    assert answered == 7 + 3 and job.errors == []


def test_a_worker_whose_callback_fails_is_caught_as_crashed(parked_machine):
    job = ParkingJob(endpoints=2, count=2)
    engine = LocalEngine(job.tasks(), directory=parked_machine)
    run = engine.start("text2image", {"jobId": "j"}, "j")
    wait_until(lambda: len(job.parked) == 2, 10, "both workers to park")
    (bad, _), (good, image) = sorted(job.take().items(), key=lambda kv: kv[1] or 0)
    assert engine.send_task_failure(bad, "EndpointFailed", "the endpoint was deleted") is True
    assert engine.send_task_success(good, {"next": "stop"}) is True
    result = engine.wait(run, 10)
    assert result.status == SUCCEEDED
    assert job.errors == [{"Error": "EndpointFailed", "Cause": "the endpoint was deleted"}]


def test_a_worker_nobody_answers_ends_in_its_heartbeat_and_is_crashed(tmp_path):
    (tmp_path / "generate.asl.json").write_text(
        parked_definition(read_definition(), heartbeat=1, timeout=600))
    job = ParkingJob(endpoints=1, count=1)
    engine = LocalEngine(job.tasks(), directory=tmp_path)
    run = engine.start("text2image", {"jobId": "j"}, "j")
    assert engine.wait(run, 20).status == SUCCEEDED
    assert [e["Error"] for e in job.errors] == ["States.HeartbeatTimeout"]


def test_a_task_may_answer_its_own_token_before_it_returns(tmp_path):
    # a worker with nothing to claim ends its own turn at once: {"next": "stop"}
    holder: dict[str, LocalEngine] = {}
    answered: list[bool] = []

    def stop_at_once(event: dict[str, Any]) -> dict[str, Any]:
        answered.append(holder["engine"].send_task_success(event["token"], {"next": "stop"}))
        return {"submitted": False}

    (tmp_path / "generate.asl.json").write_text(json.dumps({"StartAt": "Park", "States": {"Park": {
        "Type": "Task", "Resource": WAIT_FOR_TOKEN, "TimeoutSeconds": 600, "End": True,
        "Parameters": {"FunctionName": "${workflow_plan}",
                       "Payload": {"token.$": "$$.Task.Token"}}}}}))
    engine = holder["engine"] = LocalEngine({"workflow_plan_text2image": stop_at_once},
                                            directory=tmp_path)
    result = engine.wait(engine.start("text2image", {}, "j"), 10)
    assert (result.status, result.output, answered) == (SUCCEEDED, {"next": "stop"}, [True])
