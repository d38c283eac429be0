"""The workflow's steps on their own, with the in-memory JobStore and fakes of the other ports."""
from __future__ import annotations

import json

import pytest

from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.errors import BadImage, EndpointFailed, InvalidRequest
from chalicelib.jobs import plan as planning
from chalicelib.jobs import steps, text2image
from chalicelib.rules import provenance
from tests.workflow.fakes import MemoryStore, ScriptedGenerator

ENDPOINTS = ("painter:", "http://127.0.0.1:9/invocations")


def plan(catalog, **body):
    return text2image.plan({"request": {"text": "A flower, happy", **body},
                            "executionId": "arn:exec"}, jobs=catalog, endpoints=ENDPOINTS)


def generate_event(job_plan, branch=0, index=0):
    b = job_plan["branches"][branch]
    return {"jobId": job_plan["jobId"], "request": job_plan["request"], "endpoint": b["endpoint"],
            "uri": b["uri"], "item": b["items"][index]}


def test_plan_fills_defaults_creates_the_job_and_deals_images_round_robin():
    catalog = MemoryJobStore()
    p = plan(catalog, count=5, seed=7)
    job = catalog.get_job(p["jobId"])
    assert job["status"] == "RUNNING" and job["requested"] == 5 and job["images"] == []
    assert job["executionId"] == "arn:exec"
    assert job["request"]["width"] == 768 and job["request"]["height"] == 512
    assert [[i["n"] for i in b["items"]] for b in p["branches"]] == [[0, 2, 4], [1, 3]]
    assert [b["uri"] for b in p["branches"]] == list(ENDPOINTS)
    items = sorted((i for b in p["branches"] for i in b["items"]), key=lambda i: i["n"])
    assert [i["seed"] for i in items] == [7, 8, 9, 10, 11]
    assert items[3]["key"] == f"text2image/{p['jobId']}/3.jpeg"
    assert p["request"] == {"prompt": "A flower, happy", "negative": "", "steps": 30}


def test_plan_defaults_to_one_image_per_endpoint_and_skips_idle_endpoints():
    catalog = MemoryJobStore()
    assert [len(b["items"]) for b in plan(catalog)["branches"]] == [1, 1]
    assert [b["endpoint"] for b in plan(catalog, count=1)["branches"]] == [0]


def test_plan_keeps_a_job_record_made_by_the_service():
    catalog = MemoryJobStore()
    catalog.create_job({"jobId": "job-9", "kind": "text2image", "status": "RUNNING", "marker": 1,
                        "images": [], "errors": []})
    assert plan(catalog, jobId="job-9")["jobId"] == "job-9"
    assert catalog.get_job("job-9")["marker"] == 1


def test_plan_refuses_a_bad_request():
    with pytest.raises(InvalidRequest):
        plan(MemoryJobStore(), width=333)


def test_generate_stores_the_jpeg_with_provenance_and_appends_it_to_the_job():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=2, seed=42, negative="blurry", steps=12)
    generator = ScriptedGenerator("painter:")
    entry = steps.generate_image(generate_event(p), generators=[generator], store=store,
                                 jobs=catalog, now=lambda: "2026-01-02T03:04:05.000Z")
    key = f"text2image/{p['jobId']}/0.jpeg"
    assert entry["key"] == key and entry["url"] == f"http://garden.test/{key}"
    assert (entry["endpoint"], entry["width"], entry["height"]) == ("painter:", 768, 512)
    assert catalog.get_job(p["jobId"])["images"] == [entry]
    origin = provenance.read(store.get(key))
    assert origin == {"prompt": "A flower, happy", "negativePrompt": "blurry", "seed": 42,
                      "width": 768, "height": 512, "steps": 12, "endpoint": "painter:",
                      "createdAt": "2026-01-02T03:04:05.000Z", "jobId": p["jobId"]}
    (request,) = generator.calls
    assert (request.seed, request.steps, request.negative_prompt) == (42, 12, "blurry")


def test_generate_uses_an_items_own_key_prompt_and_provenance():
    catalog, store = MemoryJobStore(), MemoryStore()
    catalog.create_job({"jobId": "bulk-1", "images": [], "errors": []})
    event = {"jobId": "bulk-1", "request": {"prompt": "shared", "provenance": {"emotion": "HAPPY"}},
             "endpoint": 0, "uri": "painter:",
             "item": {"n": 0, "seed": 1, "width": 800, "height": 1280, "prompt": "own",
                      "key": "pool/HAPPY/rose/abcv.jpeg", "provenance": {"favorite": "rose"}}}
    steps.generate_image(event, generators=[ScriptedGenerator("painter:")], store=store, jobs=catalog)
    origin = provenance.read(store.get("pool/HAPPY/rose/abcv.jpeg"))
    assert (origin["prompt"], origin["emotion"], origin["favorite"]) == ("own", "HAPPY", "rose")


@pytest.mark.parametrize("outcome", ["garbage", "wrong-size"])
def test_generate_refuses_what_is_not_a_jpeg_of_the_requested_size(outcome):
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog)
    with pytest.raises(BadImage):
        steps.generate_image(generate_event(p), generators=[ScriptedGenerator("painter:", outcome)],
                             store=store, jobs=catalog)
    assert store.objects == {} and catalog.get_job(p["jobId"])["images"] == []


def test_generate_finds_the_endpoint_by_uri_and_fails_when_it_is_gone():
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog)
    moved = [ScriptedGenerator("http://other"), ScriptedGenerator("painter:")]
    assert steps.generate_image(generate_event(p), generators=moved, store=store,
                                jobs=catalog)["endpoint"] == "painter:"
    with pytest.raises(EndpointFailed, match="no longer configured"):
        steps.generate_image(generate_event(p), generators=moved[:1], store=store, jobs=catalog)


def test_record_error_keeps_the_runtime_message_not_its_json():
    catalog = MemoryJobStore()
    p = plan(catalog)
    event = {**generate_event(p, 1), "failure": {
        "Error": "EndpointFailed",
        "Cause": json.dumps({"errorType": "EndpointFailed", "errorMessage": "HTTP 500 from endpoint"})}}
    assert steps.record_error_entry(event, jobs=catalog) == {"ok": False, "error": "EndpointFailed"}
    assert catalog.get_job(p["jobId"])["errors"] == [
        {"n": 1, "endpoint": ENDPOINTS[1], "error": "EndpointFailed", "message": "HTTP 500 from endpoint"}]
    timeout = {**generate_event(p, 0), "failure": {"Error": "States.Timeout", "Cause": ""}}
    steps.record_error_entry(timeout, jobs=catalog)
    assert catalog.get_job(p["jobId"])["errors"][0] == {   # entries come back in n order
        "n": 0, "endpoint": ENDPOINTS[0], "error": "States.Timeout", "message": "States.Timeout"}


def finish_with(images: int, errors: int, requested: int = 2):
    catalog = MemoryJobStore()
    catalog.create_job({"jobId": "j", "kind": "text2image", "status": "RUNNING", "requested": requested,
                        "createdAt": "2026-01-01T00:00:00.000Z", "images": [], "errors": []})
    for n in range(images):
        catalog.append_job_entry("j", "images", {"n": n, "key": f"k{n}", "url": f"u{n}",
                                                 "endpoint": "painter:", "seconds": 0.5})
    for n in range(errors):
        catalog.append_job_entry("j", "errors", {"n": images + n, "endpoint": "http://x",
                                                 "error": "EndpointFailed", "message": "down"})
    output = steps.finish_job({"jobId": "j"}, jobs=catalog, now=lambda: "2026-01-01T00:00:02.500Z")
    return output, catalog.get_job("j")


@pytest.mark.parametrize("images, errors, status", [(2, 0, "SUCCEEDED"), (1, 1, "PARTIAL"),
                                                   (0, 2, "FAILED")])
def test_finish_settles_the_job(images, errors, status):
    output, job = finish_with(images, errors)
    assert output["status"] == job["status"] == status
    assert output["urls"] == [f"u{n}" for n in range(images)]
    assert (output["completed"], output["failed"]) == (images, errors)
    assert job["finishedAt"] == "2026-01-01T00:00:02.500Z"
    assert job["timings"]["totalSeconds"] == 2.5


def test_finish_counts_a_twice_appended_image_once():
    catalog = MemoryJobStore()
    catalog.create_job({"jobId": "j", "requested": 1, "images": [], "errors": []})
    for _ in range(2):  # a Lambda retried after its append
        catalog.append_job_entry("j", "images", {"n": 0, "key": "k0", "url": "u0", "endpoint": "e"})
    output = steps.finish_job({"jobId": "j"}, jobs=catalog)
    assert (output["status"], output["urls"]) == ("SUCCEEDED", ["u0"])


def test_finish_output_stays_small_for_big_jobs():
    output, job = finish_with(steps.MAX_OUTPUT_ENTRIES + 1, 0, requested=steps.MAX_OUTPUT_ENTRIES + 1)
    assert output["truncated"] is True and output["urls"] == []
    assert output["completed"] == steps.MAX_OUTPUT_ENTRIES + 1 and job["status"] == "SUCCEEDED"


def test_make_plan_needs_an_endpoint():
    with pytest.raises(InvalidRequest):
        planning.make_plan("j", "bulk", {}, [{"n": 0}], [])


@pytest.mark.parametrize("earlier, skipped", [("EndpointFailed", True), ("EndpointTimeout", True),
                                              ("BadImage", False), ("EndpointThrottled", False)])
def test_an_endpoint_that_is_down_or_hung_is_not_tried_again_in_the_same_job(earlier, skipped):
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=4)
    catalog.append_job_entry(p["jobId"], "errors", {"n": 1, "endpoint": ENDPOINTS[1],
                                                    "error": earlier, "message": "first"})
    generator = ScriptedGenerator(ENDPOINTS[1])
    event = generate_event(p, branch=1, index=1)
    if skipped:
        with pytest.raises(EndpointFailed, match="not tried.*already failed in this job"):
            steps.generate_image(event, generators=[ScriptedGenerator("painter:"), generator],
                                 store=store, jobs=catalog)
        assert generator.calls == []
    else:
        steps.generate_image(event, generators=[ScriptedGenerator("painter:"), generator],
                             store=store, jobs=catalog)
        assert len(generator.calls) == 1
    # the other endpoint is unaffected
    steps.generate_image(generate_event(p, branch=0), generators=[ScriptedGenerator("painter:"), generator],
                         store=store, jobs=catalog)


def test_a_retried_record_error_and_a_retried_generate_count_once():
    """Lambda and Step Functions retry tasks; each image's n keys its entry in the record."""
    catalog, store = MemoryJobStore(), MemoryStore()
    p = plan(catalog, count=2)
    generators = [ScriptedGenerator("painter:"), ScriptedGenerator(ENDPOINTS[1])]
    for _ in range(2):
        steps.generate_image(generate_event(p, 0), generators=generators, store=store,
                             jobs=catalog)
        steps.record_error_entry({**generate_event(p, 1), "failure": {
            "Error": "BadImage", "Cause": "garbage"}}, jobs=catalog)
    output = steps.finish_job({"jobId": p["jobId"]}, jobs=catalog)
    assert (output["status"], output["completed"], output["failed"]) == ("PARTIAL", 1, 1)


class SummaryOnly(MemoryJobStore):
    """A catalog that refuses whole-job reads: the per-image path must not need them."""

    def get_job(self, job_id):
        raise AssertionError("read the whole job record for one image")


def test_each_image_reads_the_jobs_summary_only():
    catalog, store = SummaryOnly(), MemoryStore()
    p = plan(catalog, count=2)
    generators = [ScriptedGenerator("painter:"), ScriptedGenerator(ENDPOINTS[1], "fail")]
    steps.generate_image(generate_event(p, 0), generators=generators, store=store, jobs=catalog)
    steps.record_error_entry({**generate_event(p, 1), "failure": {
        "Error": "EndpointFailed", "Cause": "down"}}, jobs=catalog)
    with pytest.raises(EndpointFailed, match="not tried"):
        steps.generate_image(generate_event(p, 1), generators=generators, store=store,
                             jobs=catalog)
