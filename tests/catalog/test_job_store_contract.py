"""The JobStore port's contract, run against the memory, SQLite and DynamoDB (moto)
adapters alike (the ``jobs`` fixture)."""
from __future__ import annotations

import pytest

from chalicelib.catalog import JobStore
from chalicelib.catalog.dynamodb import DynamoJobStore
from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.catalog.sqlite import SqliteJobStore
from chalicelib.errors import InvalidRequest, JobNotFound
from tests.catalog._ports import assert_implements


# --- the port itself -------------------------------------------------------------------------
@pytest.mark.parametrize("adapter", [MemoryJobStore, SqliteJobStore, DynamoJobStore])
def test_every_public_method_of_the_port_exists_on_each_adapter(adapter):
    assert_implements(adapter, JobStore, 5)


# --- jobs --------------------------------------------------------------------------------------
def test_jobs_are_created_appended_updated_and_read(jobs):
    jobs.create_job({"jobId": "j-1", "kind": "text2image", "status": "RUNNING",
                        "request": {"text": "roses", "width": 512, "guidance": 7.5},
                        "createdAt": "2024-05-01T10:00:00Z"})
    jobs.append_job_entry("j-1", "images", {"key": "text2image/j-1/0.jpeg", "ms": 812.5})
    jobs.append_job_entry("j-1", "images", {"key": "text2image/j-1/1.jpeg", "ms": 790})
    jobs.append_job_entry("j-1", "errors", {"endpoint": "sagemaker:x", "error": "Timeout"})
    jobs.update_job("j-1", {"status": "SUCCEEDED", "finishedAt": "2024-05-01T10:01:00Z"})
    assert jobs.get_job("j-1") == {
        "jobId": "j-1", "kind": "text2image", "status": "SUCCEEDED",
        "request": {"text": "roses", "width": 512, "guidance": 7.5},
        "createdAt": "2024-05-01T10:00:00Z", "finishedAt": "2024-05-01T10:01:00Z",
        "images": [{"key": "text2image/j-1/0.jpeg", "ms": 812.5},
                   {"key": "text2image/j-1/1.jpeg", "ms": 790}],
        "errors": [{"endpoint": "sagemaker:x", "error": "Timeout"}],
    }


def test_unknown_jobs_are_none_or_job_not_found(jobs):
    assert jobs.get_job("nope") is None
    with pytest.raises(JobNotFound):
        jobs.append_job_entry("nope", "images", {"key": "k"})
    with pytest.raises(JobNotFound):
        jobs.update_job("nope", {"status": "FAILED"})
    with pytest.raises(JobNotFound):
        jobs.update_job("nope", {})
    assert jobs.get_job("nope") is None  # nothing was created on the way


def test_bad_job_documents_are_invalid_requests(jobs):
    with pytest.raises(InvalidRequest):
        jobs.create_job({"status": "RUNNING"})
    jobs.create_job({"jobId": "j-2"})
    assert jobs.get_job("j-2") == {"jobId": "j-2", "images": [], "errors": []}
    with pytest.raises(InvalidRequest):
        jobs.append_job_entry("j-2", "secrets", {"x": 1})


# --- jobs of any size: entries stored on their own ------------------------------------------
DOWN = "sagemaker:garden-sd-2"


def image_entry(n: int) -> dict:
    key = f"pool/HAPPY/with cat/img_20260101T000000-0123456789_{n // 2}{'hv'[n % 2]}.jpeg"
    return {"n": n, "url": f"https://d111111abcdef8.cloudfront.net/{key}", "key": key,
            "endpoint": "sagemaker:garden-sd-1", "width": 1280 if n % 2 == 0 else 800,
            "height": 800 if n % 2 == 0 else 1280, "seconds": 11.734, "seed": 1_234_567_890 + n}


def error_entry(n: int, error: str = "EndpointFailed") -> dict:
    # Real messages are capped at 500 characters (tasks.MAX_MESSAGE); most are long-ish.
    return {"n": n, "endpoint": DOWN, "error": error,
            "message": f"not tried: {DOWN} already failed in this job (EndpointFailed: "
                       + "An error occurred (ModelError) when calling InvokeEndpoint: " * 5}


def test_a_bulk_sized_job_keeps_every_entry(jobs):
    """1,200 entries of realistic size: far more than one 400 KB DynamoDB item could hold
    (moto enforces that limit, so a job kept in one item fails here)."""
    jobs.create_job({"jobId": "big", "kind": "bulk", "status": "RUNNING", "requested": 1200})
    for n in range(1200):
        if n % 2:
            jobs.append_job_entry("big", "errors", error_entry(n))
        else:
            jobs.append_job_entry("big", "images", image_entry(n))
    job = jobs.get_job("big")
    assert [e["n"] for e in job["images"]] == list(range(0, 1200, 2))
    assert [e["n"] for e in job["errors"]] == list(range(1, 1200, 2))
    assert job["images"][7] == image_entry(14) and job["errors"][3] == error_entry(7)
    assert job["deadEndpoints"] == [DOWN]
    assert (job["status"], job["requested"]) == ("RUNNING", 1200)


def test_a_re_recorded_entry_with_the_same_n_counts_once(jobs):
    jobs.create_job({"jobId": "j", "status": "RUNNING"})
    jobs.append_job_entry("j", "errors", {"n": 3, "endpoint": DOWN, "error": "BadImage",
                                             "message": "first try"})
    jobs.append_job_entry("j", "errors", {"n": 3, "endpoint": DOWN, "error": "BadImage",
                                             "message": "the retry"})  # RecordError retried
    jobs.append_job_entry("j", "images", image_entry(3))  # an image may share an error's n
    jobs.append_job_entry("j", "images", image_entry(3))
    job = jobs.get_job("j")
    assert [e["message"] for e in job["errors"]] == ["the retry"]
    assert job["images"] == [image_entry(3)]


def test_entries_come_back_sorted_by_n_then_unnumbered_in_order(jobs):
    jobs.create_job({"jobId": "j", "images": [image_entry(5)],
                        "errors": [{"endpoint": None, "error": "Early"}]})
    for n in (9, 0, 12):
        jobs.append_job_entry("j", "images", image_entry(n))
    for name in ("Second", "Third"):
        jobs.append_job_entry("j", "errors", {"endpoint": None, "error": name})
    jobs.append_job_entry("j", "errors", error_entry(1, "BadImage"))
    job = jobs.get_job("j")
    assert [e["n"] for e in job["images"]] == [0, 5, 9, 12]
    assert [e["error"] for e in job["errors"]] == ["BadImage", "Early", "Second", "Third"]


def test_the_summary_is_the_document_without_its_entries(jobs):
    jobs.create_job({"jobId": "j", "kind": "bulk", "status": "RUNNING", "requested": 4,
                        "request": {"emotion": "HAPPY", "guidance": 7.5}})
    assert jobs.job_summary("j") == {"jobId": "j", "kind": "bulk", "status": "RUNNING",
                                        "requested": 4,
                                        "request": {"emotion": "HAPPY", "guidance": 7.5}}
    jobs.append_job_entry("j", "images", image_entry(0))
    jobs.append_job_entry("j", "errors", error_entry(1, "BadImage"))
    jobs.update_job("j", {"status": "PARTIAL"})
    summary = jobs.job_summary("j")
    assert "images" not in summary and "errors" not in summary and "deadEndpoints" not in summary
    assert summary["status"] == "PARTIAL"
    assert jobs.job_summary("nope") is None


@pytest.mark.parametrize("error, dead", [("EndpointFailed", True), ("EndpointTimeout", True),
                                         ("BadImage", False), ("EndpointThrottled", False),
                                         ("States.TaskFailed", False)])
def test_a_dead_endpoints_error_marks_it_in_the_summary(jobs, error, dead):
    jobs.create_job({"jobId": "j", "status": "RUNNING"})
    jobs.append_job_entry("j", "errors", error_entry(0, error))
    jobs.append_job_entry("j", "errors", error_entry(1, error))
    jobs.append_job_entry("j", "errors", {"endpoint": None, "error": "EndpointFailed"})
    expected = [DOWN] if dead else None
    assert jobs.job_summary("j").get("deadEndpoints") == expected
    assert jobs.get_job("j").get("deadEndpoints") == expected


def test_two_dead_endpoints_are_both_remembered(jobs):
    jobs.create_job({"jobId": "j", "errors": [{**error_entry(0), "endpoint": "http://b"}]})
    jobs.append_job_entry("j", "errors", error_entry(1, "EndpointTimeout"))
    assert jobs.job_summary("j")["deadEndpoints"] == ["http://b", DOWN]


def test_creating_a_job_again_replaces_its_entries(jobs):
    jobs.create_job({"jobId": "j", "status": "RUNNING"})
    jobs.append_job_entry("j", "images", image_entry(0))
    jobs.append_job_entry("j", "errors", error_entry(1))
    jobs.create_job({"jobId": "j", "status": "RUNNING", "images": [image_entry(4)]})
    job = jobs.get_job("j")
    assert job["images"] == [image_entry(4)] and job["errors"] == []
    assert "deadEndpoints" not in job


@pytest.mark.parametrize("entry", [{"n": -1}, {"n": "3"}, {"n": True}, {"n": 1.0},
                                   {"n": 10**6}, "not an object"])
def test_bad_job_entries_are_invalid_requests(jobs, entry):
    jobs.create_job({"jobId": "j"})
    with pytest.raises(InvalidRequest):
        jobs.append_job_entry("j", "images", entry)
    assert jobs.get_job("j")["images"] == []


@pytest.mark.parametrize("field", ["images", "errors", "deadEndpoints"])
def test_a_jobs_entries_and_dead_endpoints_are_the_catalogs_own(jobs, field):
    jobs.create_job({"jobId": "j"})
    with pytest.raises(InvalidRequest):
        jobs.update_job("j", {field: []})


def test_an_entry_for_an_unknown_job_writes_nothing(jobs):
    for field, entry in (("images", image_entry(0)), ("errors", error_entry(1))):
        with pytest.raises(JobNotFound):
            jobs.append_job_entry("ghost", field, entry)
    assert jobs.get_job("ghost") is None and jobs.job_summary("ghost") is None
    jobs.create_job({"jobId": "ghost"})
    assert jobs.get_job("ghost") == {"jobId": "ghost", "images": [], "errors": []}


def test_a_job_keeps_its_id_whatever_an_update_says(jobs):
    jobs.create_job({"jobId": "j", "status": "RUNNING"})
    jobs.update_job("j", {"jobId": "other", "status": "SUCCEEDED"})
    assert jobs.job_summary("j") == {"jobId": "j", "status": "SUCCEEDED"}
    assert jobs.get_job("other") is None


def test_documents_read_back_are_copies(jobs):
    jobs.create_job({"jobId": "j", "request": {"text": "roses"}})
    jobs.append_job_entry("j", "images", image_entry(0))
    job = jobs.get_job("j")
    job["request"]["text"] = "changed"
    job["images"][0]["key"] = "changed"
    jobs.job_summary("j")["request"]["text"] = "changed too"
    assert jobs.get_job("j")["request"] == {"text": "roses"}
    assert jobs.get_job("j")["images"] == [image_entry(0)]
