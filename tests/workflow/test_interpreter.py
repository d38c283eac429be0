"""What we rely on in moto's Step Functions interpreter (moto==5.2.5, LocalStack's ASL engine),
exercised through our own statemachine/generate.asl.json (as the text2image machine) and the
local engine's Lambda dispatch. If a moto upgrade changes any of it, these fail loudly — before
the product does.

Task functions here are scripted; they record what the interpreter handed them."""
from __future__ import annotations

import json
import threading
from collections import defaultdict

import pytest

from chalicelib.errors import BadImage, EndpointFailed, InvalidRequest, NotFound, ServiceUnavailable
from chalicelib.workflow import FAILED, SUCCEEDED
from chalicelib.workflow.local import LocalEngine


class Script:
    """Task functions for the text2image machine: plan ``count`` images for ``endpoints``
    workers, who pull them from one queue; a test decides what each image's turn does."""

    def __init__(self, endpoints: int, count: int, on_generate=None, rounds: int = 1) -> None:
        self.endpoints, self.count = endpoints, count
        self.on_generate = on_generate or (lambda event: None)
        self.events: dict[str, list[dict]] = defaultdict(list)
        self.lock = threading.Lock()
        self.queue = list(range(count))
        self.rounds = rounds          # Finish sends the workers round this many times

    def record(self, name: str, event: dict) -> None:
        with self.lock:
            self.events[name].append(event)

    def plan(self, event):
        self.record("plan", event)
        assert event["executionId"].startswith("arn:aws:states:") and \
            event["executionId"].endswith(":" + event["request"]["jobId"])
        event = event["request"]
        if event.get("text") == "":
            raise InvalidRequest("text must not be empty")
        with self.lock:
            self.queue = list(range(self.count))    # this run's images
        return {"jobId": event["jobId"], "kind": "test", "requested": self.count,
                "workers": [{"worker": e, "uri": f"test:{e}"} for e in range(self.endpoints)]}

    def generate(self, event):
        with self.lock:
            n = self.queue.pop(0) if self.queue else None
        if n is None:
            return {"next": "stop"}
        self.record("generate", {**event, "n": n})
        try:
            self.on_generate({**event, "item": {"n": n}, "uri": event["worker"]["uri"]})
        except Exception:
            with self.lock:
                self.queue.insert(0, n)     # a crashed turn gives its image back
            raise
        return {"next": "work", "n": n}

    def record_error(self, event):
        self.record("record_error", event)
        return {"next": "stop", "error": event["failure"]["Error"]}

    def finish(self, event):
        self.record("finish", event)
        if len(self.events["finish"]) < self.rounds:
            return {"jobId": event["jobId"], "again": True}
        return {"jobId": event["jobId"], "finished": True, "again": False,
                "generated": len(self.events["generate"]), "errors": len(self.events["record_error"])}

    def tasks(self):
        return {"workflow_plan_text2image": self.plan, "workflow_generate": self.generate,
                "workflow_record_error": self.record_error, "workflow_finish": self.finish}


def run(script: Script, job="job-1", text="a flower", timeout=30.0):
    engine = LocalEngine(script.tasks())
    execution_id = engine.start("text2image", {"jobId": job, "text": text}, job)
    result = engine.wait(execution_id, timeout)
    assert result.done, "the execution did not finish in time"
    return result


def test_endpoint_branches_run_in_parallel():
    # Every branch's first task must be in flight at once for the barrier to open: a serial
    # Map would break it (BrokenBarrierError → the image is caught as an error entry).
    barrier = threading.Barrier(4, timeout=10)
    script = Script(endpoints=4, count=4, on_generate=lambda e: barrier.wait())
    result = run(script)
    assert result.status == SUCCEEDED
    assert result.output["generated"] == 4 and result.output["errors"] == 0


def test_each_worker_makes_its_images_one_at_a_time():
    active: dict[str, int] = defaultdict(int)
    peak: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    release = threading.Event()

    def generate(event):
        with lock:
            active[event["uri"]] += 1
            peak[event["uri"]] = max(peak[event["uri"]], active[event["uri"]])
        release.wait(0.02)
        with lock:
            active[event["uri"]] -= 1

    script = Script(endpoints=2, count=8, on_generate=generate)
    assert run(script).status == SUCCEEDED
    assert dict(peak) == {"test:0": 1, "test:1": 1}
    assert sorted(e["n"] for e in script.events["generate"]) == list(range(8))


def test_item_selectors_hand_each_worker_the_job_its_run_and_itself():
    script = Script(endpoints=1, count=1)
    run(script, job="job-sel", text="roses")
    (event,) = script.events["generate"]
    assert event == {"jobId": "job-sel", "run": "job-sel", "worker": {"worker": 0, "uri": "test:0"},
                     "n": 0}


def test_map_output_is_dropped_so_finish_gets_the_plan_and_the_run_outputs_finish():
    script = Script(endpoints=2, count=3)
    result = run(script, job="job-out")
    (finish_event,) = script.events["finish"]
    assert finish_event == script.plan(script.events["plan"][0])
    assert result.output == {"jobId": "job-out", "finished": True, "again": False,
                             "generated": 3, "errors": 0}


def test_finish_can_send_the_workers_round_again():
    script = Script(endpoints=2, count=2, rounds=3)
    result = run(script)
    assert result.status == SUCCEEDED and result.output["finished"] is True
    assert len(script.events["finish"]) == 3
    # each later round's Finish sees the previous one's answer
    assert script.events["finish"][1]["finish"] == {"jobId": "job-1", "again": True}


def test_a_busy_catalog_is_retried_by_the_workflow():
    calls: defaultdict[int, int] = defaultdict(int)

    def generate(event):
        calls[event["item"]["n"]] += 1
        if calls[event["item"]["n"]] == 1:
            raise ServiceUnavailable("the catalog is busy; try again")

    script = Script(endpoints=1, count=1, on_generate=generate)
    result = run(script)
    assert calls == {0: 2}
    assert result.output["errors"] == 0


@pytest.mark.parametrize("error", [EndpointFailed("endpoint down"), BadImage("not a JPEG"),
                                   KeyError("surprise")])
def test_a_crashed_turn_is_caught_and_its_worker_stops(error):
    def generate(event):
        if event["uri"] == "test:1":
            raise error

    barrier = threading.Barrier(2, timeout=10)
    script: Script = Script(endpoints=2, count=4,
                    on_generate=lambda e: (barrier.wait() if len(script.events["generate"]) <= 2 else None,
                                           generate(e)))
    result = run(script)
    assert result.status == SUCCEEDED
    (caught,) = script.events["record_error"]
    assert caught["failure"]["Error"] == type(error).__name__
    assert json.loads(caught["failure"]["Cause"])["errorMessage"] == str(error)
    assert caught["worker"] == {"worker": 1, "uri": "test:1"}
    # the crashed worker stopped; the other made every image, the given-back one included
    made = [e["n"] for e in script.events["generate"] if e["worker"]["uri"] == "test:0"]
    assert sorted(set(made)) == [0, 1, 2, 3]


def test_a_failing_plan_fails_the_execution_with_the_error_name():
    script = Script(endpoints=1, count=1)
    result = run(script, text="")
    assert result.status == FAILED
    assert result.error == "InvalidRequest"
    assert "text must not be empty" in (result.cause or "")


def test_many_executions_of_one_machine_each_by_its_own_name():
    script = Script(endpoints=2, count=2)
    engine = LocalEngine(script.tasks())
    ids = [engine.start("text2image", {"jobId": f"job-{i}", "text": "x"}, f"job-{i}") for i in range(3)]
    assert len(set(ids)) == 3
    assert all(engine.wait(i, 30).status == SUCCEEDED for i in ids)
    with pytest.raises(InvalidRequest):
        engine.start("text2image", {"jobId": "job-0", "text": "other"}, "job-0")
    with pytest.raises(InvalidRequest):
        engine.start("text2image", {"text": "x"}, "no spaces allowed")
    with pytest.raises(NotFound):
        engine.describe(ids[0].replace("job-0", "job-404"))
