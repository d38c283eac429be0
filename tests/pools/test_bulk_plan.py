"""The bulk plan: every image once, orientations interleaved, recorded as the job's work for
the endpoints' workers to pull, and a payload small enough for Step Functions whatever the
job's size (the job id and the workers, never the items; 256 KB per state)."""
from __future__ import annotations

import json

import pytest

from chalicelib.web import context
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


def test_the_plan_task_records_the_images_as_work_names_the_workers_and_creates_the_job():
    jobs = context.current().job_store
    made = bulk.plan({"request": {"jobId": JOB, "emotion": "SAD", "count": 5, "seed": 9}},
                     jobs=jobs, endpoints=("painter:", "painter:", "painter:"))
    assert made["workers"] == [{"worker": i, "uri": "painter:", "parks": False} for i in range(3)]
    assert made["requested"] == 10 and len(jobs.work(JOB)) == 10
    job = jobs.get_job(JOB)
    assert job["shared"]["provenance"] == {"kind": "bulk", "emotion": "SAD"}
    assert job["shared"]["prompt"].startswith("A flower, ") and job["shared"]["steps"] == 50
    assert job["kind"] == "bulk" and job["requested"] == 10 and job["request"]["emotion"] == "SAD"
    seeds = sorted(jobs.claim_work(JOB, "w/0", "painter:", 60).item["seed"] for _ in range(10))
    assert seeds == list(range(9, 19))


def test_the_largest_plan_stays_well_under_the_step_functions_payload_limit():
    from chalicelib.catalog.memory import MemoryJobStore
    request = bulk.parse_bulk({"emotion": "DISGUSTED", "count": bulk.MAX_PER_ORIENTATION, "favorite": "f" * 64,
                                "others": "o" * 300, "emotionText": "e" * 300})
    items = bulk.plan_items(JOB, request, plan.seeds(None, request.total))
    shared = {"prompt": request.prompt, "negative": "n" * 100, "steps": 50,
              "provenance": {"kind": "bulk", "emotion": request.emotion, "favorite": request.favorite}}
    jobs = MemoryJobStore()
    jobs.create_job({"jobId": JOB, "status": "RUNNING"})
    made = plan.make_plan(JOB, "bulk", shared, items, ["sagemaker:endpoint-name-a"] * 8, jobs=jobs)
    assert len(json.dumps(made).encode()) < 2 * 1024      # however many images
    assert len(jobs.work(JOB)) == 1000


def test_a_named_bulk_request_makes_its_one_image_under_that_name_in_each_orientation():
    request = bulk.parse_bulk({"emotion": "calm", "count": 1, "name": "img_20230301-120000_3"})
    items = bulk.plan_items(JOB, request, [1, 2])
    assert [i["key"] for i in items] == ["pool/CALM/img_20230301-120000_3h.jpeg",
                                         "pool/CALM/img_20230301-120000_3v.jpeg"]
    assert bulk.parse_bulk(request.to_input()) == request   # a resumed or console start keeps it


@pytest.mark.parametrize("body, words", [
    ({"emotion": "calm", "count": 2, "name": "img_1"}, "count 1"),
    ({"emotion": "calm", "count": 1, "name": "img_1", "favorites": ["spring,cloudy,day", "rain"]},
     "count 1"),
    ({"emotion": "calm", "count": 1, "name": "../img_1"}, ""),
    ({"emotion": "calm", "count": 1, "name": "a/b"}, ""),
    ({"emotion": "calm", "count": 1, "name": ""}, "name must be"),
    ({"emotion": "calm", "count": 1, "name": 7}, "name must be"),
])
def test_a_bulk_name_that_is_not_one_safe_image_name_is_refused(body, words):
    from chalicelib.errors import InvalidRequest
    with pytest.raises(InvalidRequest) as refused:
        bulk.parse_bulk(body)
    assert words in str(refused.value)
