"""The workflow's steps on their own, with the in-memory JobStore and fakes of the other ports:
the plan's work, a worker's turn (claim, make, record, give back), a crash, finishing."""
from __future__ import annotations

import json

import pytest

from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.errors import InvalidRequest
from chalicelib.jobs import plan as planning
from chalicelib.jobs import steps, text2image
from chalicelib.rules import provenance
from tests.timing import FakeClock
from tests.workflow.fakes import MemoryStore, ScriptedGenerator

ENDPOINTS = ("painter:", "http://127.0.0.1:9/invocations")
NO_SLEEP = (lambda seconds: None)


def plan(catalog, **body):
    return text2image.plan({"request": {"text": "A flower, happy", **body},
                            "executionId": "arn:exec"}, jobs=catalog, endpoints=ENDPOINTS)


def turn(p, worker=0, run="run"):
    return {"jobId": p["jobId"], "run": run, "worker": p["workers"][worker]}


def work(catalog, store, p, generators, worker=0, run="run", **kw):
    return steps.work(turn(p, worker, run), generators=generators, store=store, jobs=catalog,
                      sleep=NO_SLEEP, **kw)


def generators(*outcomes):
    return [ScriptedGenerator(uri, *(outcomes[i] if i < len(outcomes) else ("ok",)))
            for i, uri in enumerate(ENDPOINTS)]


def test_plan_fills_defaults_creates_the_job_and_adds_its_images_as_work():
    catalog = MemoryJobStore()
    p = plan(catalog, count=5, seed=7)
    job = catalog.get_job(p["jobId"])
    assert job["status"] == "RUNNING" and job["requested"] == 5 and job["images"] == []
    assert job["executionId"] == "arn:exec"
    assert job["shared"] == {"prompt": "A flower, happy", "negative": "", "steps": 30}
    assert p["workers"] == [{"worker": 0, "uri": ENDPOINTS[0], "parks": False},
                            {"worker": 1, "uri": ENDPOINTS[1], "parks": False}]
    assert "items" not in json.dumps(p) and p["requested"] == 5        # keys-only payload
    assert [u["state"] for u in catalog.work(p["jobId"])] == ["open"] * 5


def test_a_retried_plan_keeps_the_work_and_its_seeds():
    catalog = MemoryJobStore()
    p = plan(catalog, count=2)
    first = catalog.claim_work(p["jobId"], "run/0", ENDPOINTS[0], 60)
    plan(catalog, count=2, jobId=p["jobId"])
    again = catalog.claim_work(p["jobId"], "run/1", ENDPOINTS[1], 60)
    assert (first.n, again.n) == (0, 1)
    assert [u["state"] for u in catalog.work(p["jobId"])] == ["leased", "leased"]


def test_plan_refuses_a_bad_request_and_needs_an_endpoint():
    with pytest.raises(InvalidRequest):
        plan(MemoryJobStore(), width=333)
    with pytest.raises(InvalidRequest):
        planning.make_plan("j", "bulk", {}, [{"n": 0}], [], jobs=MemoryJobStore())


def test_a_turn_makes_the_next_image_with_its_provenance_and_asks_again():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=2, seed=42, negative="blurry", steps=12)
    painter = ScriptedGenerator("painter:")
    answer = steps.work(turn(p), generators=[painter], store=store, jobs=catalog,  # type: ignore[arg-type]
                        now=lambda: "2026-01-02T03:04:05.000Z")
    assert answer == {"next": "work", "n": 0}
    key = f"text2image/{p['jobId']}/0.jpeg"
    (entry,) = catalog.get_job(p["jobId"])["images"]
    assert entry["key"] == key and entry["url"] == f"http://garden.test/{key}"
    assert provenance.read(store.get(key)) == {
        "prompt": "A flower, happy", "negativePrompt": "blurry", "seed": 42, "width": 768,
        "height": 512, "steps": 12, "endpoint": "painter:",
        "createdAt": "2026-01-02T03:04:05.000Z", "jobId": p["jobId"]}
    (request,) = painter.calls
    assert (request.seed, request.steps, request.negative_prompt) == (42, 12, "blurry")
    assert steps.work(turn(p), generators=[painter], store=store, jobs=catalog)["n"] == 1  # type: ignore[arg-type]
    assert steps.work(turn(p), generators=[painter], store=store, jobs=catalog) == {"next": "stop"}  # type: ignore[arg-type]


def test_throttling_and_timeouts_are_retried_inside_the_turn_with_backoff():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=1)
    pauses: list[float] = []
    flaky = ScriptedGenerator("painter:", "throttle", "throttle", "timeout", "ok")
    answer = steps.work(turn(p), generators=[flaky], store=store, jobs=catalog,  # type: ignore[arg-type]
                        sleep=pauses.append)
    assert answer == {"next": "stop", "n": 0} and len(flaky.calls) == 4   # made: the last one
    assert pauses == [1.0, 2.0, 2.0]


def test_a_dead_endpoint_gives_its_image_back_and_leaves_the_job():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=3)
    gens = generators(("ok",), ("fail",))
    assert work(catalog, store, p, gens, worker=1) == {"next": "stop", "n": 0, "error": "EndpointFailed"}
    job = catalog.get_job(p["jobId"])
    assert job["deadEndpoints"] == [ENDPOINTS[1]] and job["errors"] == []
    assert job["retried"] == [{"n": 0, "endpoint": ENDPOINTS[1], "error": "EndpointFailed",
                               "message": f"{ENDPOINTS[1]} is down"}]
    while work(catalog, store, p, gens)["next"] == "work":
        pass
    assert work(catalog, store, p, gens, worker=1) == {"next": "stop"}    # out of the job
    job = catalog.get_job(p["jobId"])
    assert sorted(i["n"] for i in job["images"]) == [0, 1, 2]
    assert {i["endpoint"] for i in job["images"]} == {ENDPOINTS[0]}
    assert len(gens[1].calls) == 1      # tried once, never again in this job


def test_throttling_that_does_not_stop_is_a_hard_failure_after_its_backoff():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=1)
    gens = generators(("throttle",), ("throttle",))
    pauses: list[float] = []
    answer = steps.work(turn(p), generators=gens, store=store, jobs=catalog, sleep=pauses.append)  # type: ignore[arg-type]
    assert answer["error"] == "EndpointThrottled"
    assert len(gens[0].calls) == 5              # the first try and four retries, stated here:
    assert pauses == [1.0, 2.0, 4.0, 8.0]       # not read from the constant under test
    # the last endpoint fails it too: now it is an error of the job
    work(catalog, store, p, gens, worker=1)
    job = catalog.get_job(p["jobId"])
    assert [e["endpoint"] for e in job["errors"]] == [ENDPOINTS[1]]
    assert [e["endpoint"] for e in job["retried"]] == [ENDPOINTS[0]]


@pytest.mark.parametrize("outcome", ["garbage", "wrong-size"])
def test_an_answer_that_is_not_the_image_asked_for_is_stored_nowhere(outcome):
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog)
    assert work(catalog, store, p, generators((outcome,)))["error"] == "BadImage"
    assert store.objects == {} and catalog.get_job(p["jobId"])["images"] == []


def test_an_endpoint_no_longer_configured_fails_hard():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog)
    moved = [ScriptedGenerator("http://other"), ScriptedGenerator("painter:")]
    assert work(catalog, store, p, moved)["next"] == "work"   # found by its URI
    assert work(catalog, store, p, moved, worker=1)["error"] == "EndpointFailed"
    assert "no longer configured" in catalog.get_job(p["jobId"])["retried"][0]["message"]


def test_an_expired_lease_is_made_by_another_worker_and_recorded_once():
    clock = FakeClock()
    catalog, store = MemoryJobStore(clock=clock), MemoryStore()
    p = plan(catalog, count=1)
    dead = catalog.claim_work(p["jobId"], "dead-run/0", ENDPOINTS[0], 0.05)  # its worker died
    gens = generators()
    assert work(catalog, store, p, gens, worker=1) == {"next": "stop"}      # leased: not yet
    clock.advance(0.1)
    assert work(catalog, store, p, gens, worker=1)["n"] == 0
    assert catalog.complete_work(p["jobId"], 0, dead.token, {"n": 0}) is False  # late: ignored
    assert len(catalog.get_job(p["jobId"])["images"]) == 1


def test_a_crashed_turn_gives_its_image_back_with_the_runtimes_message():
    catalog = MemoryJobStore()
    p = plan(catalog, count=2)
    catalog.claim_work(p["jobId"], "run/1", ENDPOINTS[1], 60)
    event = {**turn(p, 1), "failure": {"Error": "States.Timeout", "Cause": json.dumps(
        {"errorType": "States.Timeout", "errorMessage": "Task timed out after 150 s"})}}
    assert steps.record_crash(event, jobs=catalog) == {"next": "stop", "error": "States.Timeout"}
    job = catalog.get_job(p["jobId"])
    assert job["retried"] == [{"n": 0, "endpoint": ENDPOINTS[1], "error": "States.Timeout",
                               "message": "Task timed out after 150 s"}]
    assert job["deadEndpoints"] == [ENDPOINTS[1]]
    assert catalog.claim_work(p["jobId"], "run/0", ENDPOINTS[0], 60).n in (0, 1)


def finish_with(images: int, errors: int, requested: int = 2):
    catalog = MemoryJobStore()
    catalog.create_job({"jobId": "j", "kind": "text2image", "status": "RUNNING", "requested": requested,
                        "createdAt": "2026-01-01T00:00:00.000Z", "endpoints": ["painter:"]})
    for n in range(images):
        catalog.append_job_entry("j", "images", {"n": n, "key": f"k{n}", "url": f"u{n}",
                                                 "endpoint": "painter:", "seconds": 0.5})
    for n in range(errors):
        catalog.append_job_entry("j", "errors", {"n": images + n, "endpoint": "http://x",
                                                 "error": "EndpointFailed", "message": "down"})
    output = steps.finish_job({"jobId": "j"}, jobs=catalog, now=lambda: "2026-01-01T00:00:02.500Z")
    return output, catalog.get_job("j")


@pytest.mark.parametrize("images, errors, status", [(2, 0, "SUCCEEDED"), (1, 1, "PARTIAL"),
                                                   (0, 2, "FAILED"), (1, 0, "PARTIAL")])
def test_finish_settles_the_job(images, errors, status):
    """(1, 0): an image of the two is missing — never recorded, though no error says why."""
    output, job = finish_with(images, errors)
    assert output["status"] == job["status"] == status and output["again"] is False
    assert output["urls"] == [f"u{n}" for n in range(images)]
    assert (output["completed"], output["failed"]) == (images, errors)
    assert job["finishedAt"] == "2026-01-01T00:00:02.500Z"
    assert job["timings"]["totalSeconds"] == 2.5


def test_finish_sends_the_workers_round_again_while_a_live_endpoint_may_make_an_image():
    """B's worker stopped (nothing left for it) before A gave its image back: round two."""
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=1)
    catalog.claim_work(p["jobId"], "run/0", ENDPOINTS[0], 60)
    gens = generators(("fail",))
    assert work(catalog, store, p, gens, worker=1) == {"next": "stop"}      # nothing free
    steps.give_back(catalog, p["jobId"], "run/0", ENDPOINTS[0], "EndpointFailed", "down")
    first = steps.finish_job(p, jobs=catalog)
    assert first == {"jobId": p["jobId"], "again": True, "round": 1}
    assert work(catalog, store, p, gens, worker=1)["n"] == 0
    assert work(catalog, store, p, gens, worker=1) == {"next": "stop"}
    final = steps.finish_job({**p, "finish": first}, jobs=catalog)
    assert (final["again"], final["status"], final["completed"]) == (False, "SUCCEEDED", 1)


def test_finish_gives_back_the_leases_stopped_workers_left_and_sends_them_round_again():
    """A worker's turn died without its Catch (its Lambda killed): its lease outlives it."""
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=2)
    catalog.claim_work(p["jobId"], "run/0", ENDPOINTS[0], steps.LEASE_SECONDS)
    assert work(catalog, store, p, generators(), worker=1) == {"next": "stop", "n": 1}
    first = steps.finish_job(p, jobs=catalog)
    assert first == {"jobId": p["jobId"], "again": True, "round": 1}
    assert [(u["state"], u["worker"]) for u in catalog.work(p["jobId"])] == [
        ("open", None), ("done", None)]
    assert work(catalog, store, p, generators(), worker=0)["n"] == 0
    final = steps.finish_job({**p, "finish": first}, jobs=catalog)
    assert (final["status"], final["completed"]) == ("SUCCEEDED", 2)


def test_finish_turns_images_no_endpoint_may_make_into_errors():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=3)
    work(catalog, store, p, generators(("fail",)), worker=0)      # A out; image 0 back
    catalog.claim_work(p["jobId"], "run/1", ENDPOINTS[1], 600)     # B takes image 0, crashes
    steps.give_back(catalog, p["jobId"], "run/1", ENDPOINTS[1], "States.Timeout", "timed out")
    output = steps.finish_job(p, jobs=catalog)
    job = catalog.get_job(p["jobId"])
    assert output["again"] is False and job["status"] == "FAILED"
    assert [(e["n"], e["endpoint"], e["error"]) for e in job["errors"]] == [
        (0, ENDPOINTS[1], "States.Timeout"), (1, None, steps.NO_ENDPOINT_LEFT),
        (2, None, steps.NO_ENDPOINT_LEFT)]
    summary = {(line["endpoint"], line["error"]): (line["failed"], line["retried"])
               for line in output_view(catalog, p)["errorSummary"]}
    assert summary == {(None, steps.NO_ENDPOINT_LEFT): (2, 0), (ENDPOINTS[1], "States.Timeout"): (1, 0),
                       (ENDPOINTS[0], "EndpointFailed"): (0, 1)}


def output_view(catalog, p):
    from chalicelib.jobs.record import job_view
    return job_view(catalog.get_job(p["jobId"]))


def test_finish_leaves_a_cancelled_job_cancelled():
    catalog = MemoryJobStore()
    p = plan(catalog, count=2)
    catalog.update_job(p["jobId"], {"status": "CANCELLED"})
    output = steps.finish_job(p, jobs=catalog)
    assert output["status"] == "CANCELLED" and catalog.get_job(p["jobId"])["status"] == "CANCELLED"


def test_finish_output_stays_small_for_big_jobs():
    output, job = finish_with(steps.MAX_OUTPUT_ENTRIES + 1, 0, requested=steps.MAX_OUTPUT_ENTRIES + 1)
    assert output["truncated"] is True and output["urls"] == []
    assert output["completed"] == steps.MAX_OUTPUT_ENTRIES + 1 and job["status"] == "SUCCEEDED"


class SummaryOnly(MemoryJobStore):
    """A catalog that refuses whole-job reads: a worker's turn must not need them."""

    def get_job(self, job_id):
        raise AssertionError("read the whole job record for one image")


def test_a_turn_never_reads_the_whole_job_record():
    catalog, store = SummaryOnly(), MemoryStore()
    p = plan(catalog, count=3)
    gens = generators(("ok",), ("fail",))
    work(catalog, store, p, gens, worker=0)
    work(catalog, store, p, gens, worker=1)
    assert work(catalog, store, p, gens, worker=1) == {"next": "stop"}


def test_a_retry_that_would_not_fit_the_turns_budget_is_not_tried(monkeypatch):
    """A timed-out image is retried only if another attempt as long still ends in time."""
    monkeypatch.setattr(steps, "TURN_BUDGET", 0.15)
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=1)
    slow = ScriptedGenerator("painter:", "timeout", "ok", delay=0.1)
    assert work(catalog, store, p, [slow])["error"] == "EndpointTimeout"
    assert len(slow.calls) == 1
