"""The bulk plan: every image once, orientations interleaved, spread over the endpoints, and
small enough for Step Functions (payloads carry keys, never bytes; 256 KB per state)."""
from __future__ import annotations

import json

from chalicelib import bootstrap
from chalicelib.jobs import bulk, plan
from chalicelib.rules import layout

JOB = "20260101T120000-abcdef0123"


def test_images_interleave_orientations_with_unique_pool_keys():
    request = bulk.parse_bulk({"emotion": "happy", "count": 3, "favorite": "With Cat"})
    items = bulk.plan_items(JOB, request, list(range(100, 106)))
    assert [(i["width"], i["height"]) for i in items] == [(1280, 800), (800, 1280)] * 3
    assert [i["key"] for i in items[:2]] == [f"pool/HAPPY/with cat/img_{JOB}_0h.jpeg",
                                             f"pool/HAPPY/with cat/img_{JOB}_0v.jpeg"]
    assert len({i["key"] for i in items}) == 6 and [i["seed"] for i in items] == list(range(100, 106))
    assert all(layout.parse_key(i["key"]).orientation in ("landscape", "portrait") for i in items)


def test_the_plan_task_spreads_the_images_over_the_endpoints_and_creates_the_job():
    jobs = bootstrap.job_store()
    made = bulk.plan({"request": {"jobId": JOB, "emotion": "SAD", "count": 5, "seed": 9}},
                     jobs=jobs, endpoints=("painter:", "painter:", "painter:"))
    assert [len(b["items"]) for b in made["branches"]] == [4, 3, 3] and made["requested"] == 10
    assert made["request"]["provenance"] == {"kind": "bulk", "emotion": "SAD"}
    assert made["request"]["prompt"].startswith("A flower, ") and made["request"]["steps"] == 50
    job = jobs.get_job(JOB)
    assert job["kind"] == "bulk" and job["requested"] == 10 and job["request"]["emotion"] == "SAD"


def test_the_largest_plan_stays_well_under_the_step_functions_payload_limit():
    request = bulk.parse_bulk({"emotion": "DISGUSTED", "count": bulk.MAX_PER_ORIENTATION, "favorite": "f" * 64,
                                "others": "o" * 300, "emotionText": "e" * 300})
    items = bulk.plan_items(JOB, request, plan.seeds(None, request.total))
    shared = {"prompt": request.prompt, "negative": "n" * 100, "steps": 50,
              "provenance": {"kind": "bulk", "emotion": request.emotion, "favorite": request.favorite}}
    made = plan.make_plan(JOB, "bulk", shared, items, ["sagemaker:endpoint-name-a"] * 8)
    assert len(json.dumps(made).encode()) < 240 * 1024
