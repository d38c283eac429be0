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

from chalicelib.errors import BadImage, EndpointFailed, EndpointThrottled, InvalidRequest, NotFound
from chalicelib.workflow import FAILED, SUCCEEDED
from chalicelib.workflow.local import LocalEngine


class Script:
    """Task functions for the text2image machine that plan ``count`` images over ``endpoints``
    and let a test decide what each generate call does."""

    def __init__(self, endpoints: int, count: int, on_generate=None) -> None:
        self.endpoints, self.count = endpoints, count
        self.on_generate = on_generate or (lambda event: None)
        self.events: dict[str, list[dict]] = defaultdict(list)
        self.lock = threading.Lock()

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
        branches = [{"endpoint": e, "uri": f"test:{e}", "items": []} for e in range(self.endpoints)]
        for n in range(self.count):
            branches[n % self.endpoints]["items"].append({"n": n})
        return {"jobId": event["jobId"], "kind": "test", "request": {"prompt": event["text"]},
                "requested": self.count, "branches": branches}

    def generate(self, event):
        self.record("generate", event)
        self.on_generate(event)
        return {"key": f"k/{event['item']['n']}", "url": "u", "endpoint": event["uri"],
                "width": 8, "height": 8, "seconds": 0.0}

    def record_error(self, event):
        self.record("record_error", event)
        return {"ok": False, "error": event["failure"]["Error"]}

    def finish(self, event):
        self.record("finish", event)
        return {"jobId": event["jobId"], "finished": True,
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


def test_each_endpoint_makes_its_images_one_at_a_time_in_order():
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
    order = defaultdict(list)
    for event in script.events["generate"]:
        order[event["uri"]].append(event["item"]["n"])
    assert order == {"test:0": [0, 2, 4, 6], "test:1": [1, 3, 5, 7]}


def test_item_selectors_hand_each_image_the_job_request_endpoint_and_item():
    script = Script(endpoints=1, count=1)
    run(script, job="job-sel", text="roses")
    (event,) = script.events["generate"]
    assert event == {"jobId": "job-sel", "request": {"prompt": "roses"}, "endpoint": 0,
                     "uri": "test:0", "item": {"n": 0}}


def test_map_output_is_dropped_so_finish_gets_the_plan_and_the_run_outputs_finish():
    script = Script(endpoints=2, count=3)
    result = run(script, job="job-out")
    (finish_event,) = script.events["finish"]
    assert finish_event == script.plan(script.events["plan"][0])
    assert result.output == {"jobId": "job-out", "finished": True, "generated": 3, "errors": 0}


def test_throttling_is_retried_then_succeeds():
    calls = defaultdict(int)

    def generate(event):
        calls[event["item"]["n"]] += 1
        if calls[event["item"]["n"]] == 1:
            raise EndpointThrottled("busy")

    script = Script(endpoints=1, count=1, on_generate=generate)
    result = run(script)
    assert calls == {0: 2}
    assert result.output["errors"] == 0


@pytest.mark.parametrize("error", [EndpointFailed("endpoint down"), BadImage("not a JPEG"),
                                   KeyError("surprise")])
def test_other_failures_are_not_retried_and_are_caught_into_an_error_entry(error):
    def generate(event):
        if event["uri"] == "test:1":
            raise error

    script = Script(endpoints=2, count=2, on_generate=generate)
    result = run(script)
    assert result.status == SUCCEEDED
    assert [e["item"]["n"] for e in script.events["generate"] if e["uri"] == "test:1"] == [1]
    (caught,) = script.events["record_error"]
    assert caught["failure"]["Error"] == type(error).__name__
    assert json.loads(caught["failure"]["Cause"])["errorMessage"] == str(error)
    assert caught["item"] == {"n": 1} and caught["uri"] == "test:1"


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
