"""The JobStore port's contract, run against the memory, SQLite and DynamoDB (moto)
adapters alike (the ``jobs`` fixture)."""
from __future__ import annotations

import pytest

from chalicelib.catalog import JobStore, Released
from chalicelib.catalog.dynamodb import DynamoJobStore
from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.catalog.sqlite import SqliteJobStore
from chalicelib.errors import InvalidRequest, JobNotFound
from tests.catalog._ports import assert_implements


# --- the port itself -------------------------------------------------------------------------
@pytest.mark.parametrize("adapter", [MemoryJobStore, SqliteJobStore, DynamoJobStore])
def test_every_public_method_of_the_port_exists_on_each_adapter(adapter):
    assert_implements(adapter, JobStore, 15)


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


# --- statuses changed only from the one expected -------------------------------------------------
def test_an_update_guarded_by_a_status_writes_only_while_the_job_has_it(jobs):
    jobs.create_job({"jobId": "g", "status": "RUNNING"})
    assert jobs.update_job("g", {"status": "CANCELLED"}, if_status="RUNNING") is True
    assert jobs.update_job("g", {"status": "SUCCEEDED", "x": 1}, if_status="RUNNING") is False
    assert jobs.job_summary("g") == {"jobId": "g", "status": "CANCELLED"}
    with pytest.raises(JobNotFound):
        jobs.update_job("nope", {"status": "FAILED"}, if_status="RUNNING")


# --- the job list ------------------------------------------------------------------------------
def _listed(jobs, **query):
    seen, cursor = [], None
    while True:
        page = jobs.list_jobs(cursor=cursor, **query)
        seen += page.jobs
        if page.cursor is None:
            return seen
        cursor = page.cursor


def test_jobs_are_listed_newest_first_with_filters_counts_and_pages(jobs):
    for i in range(7):
        jobs.create_job({"jobId": f"job-{i}", "kind": "bulk" if i % 2 else "text2image",
                         "status": "RUNNING" if i in (2, 5) else "SUCCEEDED",
                         "createdAt": f"2026-01-01T00:00:0{i}.000Z"})
    jobs.create_job({"jobId": "legacy", "status": "FAILED", "createdAt": "2025-12-31T00:00:00.000Z"})
    jobs.append_job_entry("job-6", "images", {"n": 0, "key": "k"})
    jobs.append_job_entry("job-6", "errors", {"n": 1, "error": "EndpointFailed", "endpoint": "e"})
    jobs.append_job_entry("job-6", "retried", {"n": 0, "error": "EndpointFailed", "endpoint": "f"})
    first = jobs.list_jobs(limit=3)
    assert [j["jobId"] for j in first.jobs] == ["job-6", "job-5", "job-4"] and first.cursor
    assert first.jobs[0]["counts"] == {"images": 1, "errors": 1, "retried": 1}
    assert "images" not in first.jobs[0] and first.jobs[1]["counts"]["images"] == 0
    assert [j["jobId"] for j in _listed(jobs, limit=3)] == \
        [f"job-{i}" for i in range(6, -1, -1)] + ["legacy"]
    assert [j["jobId"] for j in _listed(jobs, status="RUNNING", limit=1)] == ["job-5", "job-2"]
    assert [j["jobId"] for j in _listed(jobs, kind="text2image", limit=2)] == \
        ["job-6", "job-4", "job-2", "job-0", "legacy"]
    assert [j["jobId"] for j in _listed(jobs, kind="bulk", status="SUCCEEDED")] == ["job-3", "job-1"]
    assert jobs.list_jobs(kind="nightly").jobs == []


@pytest.mark.parametrize("cursor", ["garbage", "e30", "eyJqb2JzQmVmb3JlIjogM30"])
def test_a_cursor_the_list_did_not_give_is_refused(jobs, cursor):
    with pytest.raises(InvalidRequest):
        jobs.list_jobs(cursor=cursor)


@pytest.mark.parametrize("limit", [0, 101, "5", True])
def test_a_list_limit_out_of_range_is_refused(jobs, limit):
    with pytest.raises(InvalidRequest):
        jobs.list_jobs(limit=limit)


# --- a job's work: units pulled by workers ---------------------------------------------------------
A, B, C = "http://a", "http://b", "painter:"


def working_job(jobs, job_id="w", units=3, endpoints=(A, B)):
    jobs.create_job({"jobId": job_id, "status": "RUNNING", "endpoints": list(endpoints),
                     "request": {"prompt": "roses"}})
    jobs.add_work(job_id, [{"n": n, "seed": 100 + n} for n in range(units)])


def test_units_are_claimed_lowest_first_each_by_one_worker(jobs):
    working_job(jobs)
    first = jobs.claim_work("w", "run/0", A, 60)
    second = jobs.claim_work("w", "run/1", B, 60)
    assert (first.n, first.item, first.job["request"]) == (0, {"n": 0, "seed": 100}, {"prompt": "roses"})
    assert second.n == 1 and first.token != second.token
    assert jobs.complete_work("w", 0, first.token, {"n": 0, "key": "k0"}) is True
    assert jobs.complete_work("w", 0, first.token, {"n": 0, "key": "again"}) is False  # once only
    assert jobs.get_job("w")["images"] == [{"n": 0, "key": "k0"}]     # done with its image
    assert first.left == 2 and second.left == 1
    third = jobs.claim_work("w", "run/0", A, 60)
    assert third.n == 2 and jobs.claim_work("w", "run/0", A, 60) is None
    assert [(u["n"], u["state"], u["worker"]) for u in jobs.work("w")] == [
        (0, "done", None), (1, "leased", "run/1"), (2, "leased", "run/0")]
    assert jobs.job_summary("w")["workCount"] == 3


def test_adding_work_again_keeps_what_the_job_has(jobs):
    working_job(jobs, units=2)
    claim = jobs.claim_work("w", "run/0", A, 60)
    jobs.add_work("w", [{"n": n, "seed": 999} for n in range(3)])   # a retried or resumed Plan
    units = jobs.work("w")
    assert [(u["n"], u["state"]) for u in units] == [(0, "leased"), (1, "open"), (2, "open")]
    assert jobs.job_summary("w")["workCount"] == 3
    assert jobs.claim_work("w", "run/0", A, 60).item == {"n": 1, "seed": 101}
    assert claim.n == 0
    with pytest.raises(JobNotFound):
        jobs.add_work("nope", [{"n": 0}])
    with pytest.raises(InvalidRequest):
        jobs.add_work("w", [{"seed": 1}])


def test_an_expired_lease_is_claimed_again_by_someone_else(jobs, clock):
    working_job(jobs, units=1)
    stale = jobs.claim_work("w", "dead-run/0", A, 0.05)
    clock.advance(0.05)
    assert jobs.claim_work("w", "run/1", B, 60) is None        # still leased, to the ms
    clock.advance(0.001)
    fresh = jobs.claim_work("w", "run/1", B, 60)
    assert (fresh.n, fresh.token != stale.token) == (0, True)
    assert jobs.complete_work("w", 0, fresh.token, {"n": 0, "key": "fresh"}) is True
    assert jobs.complete_work("w", 0, stale.token, {"n": 0, "key": "stale"}) is False  # too late
    assert [i["key"] for i in jobs.get_job("w")["images"]] == ["fresh"]
    assert jobs.complete_work("nope", 0, fresh.token, {"n": 0}) is False


def test_a_failed_endpoint_leaves_the_job_and_its_unit_goes_to_the_others(jobs):
    working_job(jobs, units=2)
    jobs.claim_work("w", "run/0", A, 60)
    assert jobs.release_work("w", worker="run/0", out=A) == [Released(0, True)]
    assert jobs.job_summary("w")["deadEndpoints"] == [A]
    assert jobs.claim_work("w", "run/2", A, 60) is None          # A is out of the job
    assert {jobs.claim_work("w", "run/1", B, 60).n for _ in range(2)} == {0, 1}
    assert jobs.work("w")[0]["triedBy"] == [A]
    # B fails both too: no endpoint of the job is left for them
    assert jobs.release_work("w", worker="run/1", out=B) == [Released(0, False), Released(1, False)]
    assert [u["state"] for u in jobs.work("w")] == ["failed", "failed"]
    assert jobs.claim_work("w", "run/1", B, 60) is None


def test_releasing_without_an_endpoint_out_reopens_every_lease(jobs):
    working_job(jobs, units=3)
    for worker, uri in (("old/0", A), ("old/1", B)):
        jobs.claim_work("w", worker, uri, 600)
    assert sorted(r.n for r in jobs.release_work("w")) == [0, 1]     # a resumed job
    assert [u["state"] for u in jobs.work("w")] == ["open"] * 3
    assert "deadEndpoints" not in jobs.job_summary("w")
    assert sorted(jobs.claim_work("w", "new/0", A, 60).n for _ in range(3)) == [0, 1, 2]


def test_no_claims_once_the_job_is_not_running(jobs):
    working_job(jobs)
    jobs.update_job("w", {"status": "CANCELLED"})
    assert jobs.claim_work("w", "run/0", A, 60) is None
    assert jobs.claim_work("nope", "run/0", A, 60) is None
    assert jobs.work("nope") == []


def test_a_paused_job_hands_out_nothing_until_it_is_resumed(jobs):
    working_job(jobs, units=2)
    held = jobs.claim_work("w", "run/0", A, 60)
    jobs.update_job("w", {"paused": True})
    assert jobs.claim_work("w", "run/1", B, 60) is None
    assert jobs.complete_work("w", held.n, held.token, {"n": held.n, "key": "k"}) is True
    assert [u["state"] for u in jobs.work("w")] == ["done", "open"]   # in progress finishes
    jobs.update_job("w", {"paused": False})
    assert jobs.claim_work("w", "run/1", B, 60).n == 1


def ranked_job(jobs, job_id, priority, units=1, endpoints=(A, B)):
    jobs.create_job({"jobId": job_id, "status": "RUNNING", "endpoints": list(endpoints),
                     "priority": priority})
    jobs.add_work(job_id, [{"n": n} for n in range(units)])


def test_a_claim_yields_while_a_higher_job_waits_for_its_endpoint(jobs):
    ranked_job(jobs, "bulk", 0, units=4)
    ranked_job(jobs, "visitor", 10, units=1, endpoints=(A,))
    assert jobs.outranked("bulk", A) and not jobs.outranked("visitor", A)
    assert jobs.claim_work("bulk", "run/0", A, 60) is None            # A goes to the visitor
    assert jobs.claim_work("bulk", "run/1", B, 60).n == 0             # B is not the visitor's
    jobs.update_job("bulk", {"paused": True})
    assert not jobs.outranked("bulk", A)                              # refused, not yielding
    jobs.update_job("bulk", {"paused": False})
    flower = jobs.claim_work("visitor", "v/0", A, 60)
    assert flower.n == 0 and not jobs.outranked("bulk", A)           # nothing left to wait for
    assert jobs.claim_work("bulk", "run/0", A, 60).n == 1
    jobs.release_work("visitor", worker="v/0")                        # given back: waits again
    assert jobs.claim_work("bulk", "run/0", A, 60) is None
    jobs.update_job("visitor", {"paused": True})                       # a paused job waits not
    assert jobs.claim_work("bulk", "run/0", A, 60).n == 2
    jobs.update_job("visitor", {"paused": False, "status": "CANCELLED"})
    assert jobs.claim_work("bulk", "run/0", A, 60).n == 3
    assert jobs.outranked("nope", A) is False


def test_only_a_higher_priority_outranks_and_it_may_be_changed(jobs):
    ranked_job(jobs, "low", 2, units=3)
    ranked_job(jobs, "same", 2, units=2)
    assert jobs.claim_work("low", "run/0", A, 60).n == 0              # equal: side by side
    jobs.update_job("same", {"priority": 5})
    assert jobs.claim_work("low", "run/0", A, 60) is None
    jobs.update_job("low", {"priority": 9})
    assert jobs.claim_work("low", "run/0", A, 60).n == 1
    assert jobs.claim_work("same", "run/1", A, 60) is None            # now the lower one


def test_a_higher_job_whose_endpoint_is_out_or_failed_its_units_waits_not(jobs):
    ranked_job(jobs, "bulk", 0, units=2)
    ranked_job(jobs, "visitor", 10, units=1)
    jobs.claim_work("visitor", "v/0", A, 60)
    jobs.release_work("visitor", worker="v/0", out=A)                 # A failed the flower
    assert jobs.claim_work("bulk", "run/0", A, 60).n == 0             # A may not make it
    assert jobs.claim_work("bulk", "run/1", B, 60) is None            # B may


def test_racing_workers_never_hold_one_unit_twice(jobs):
    """Eight workers on three endpoints pull 40 units at once; each unit is made once."""
    import threading
    working_job(jobs, units=40, endpoints=(A, B, C))
    made: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def pull(index: int) -> None:
        uri = (A, B, C)[index % 3]
        start.wait()
        while (claim := jobs.claim_work("w", f"run/{index}", uri, 60)) is not None:
            # claims and completions race freely (moto answers one request at a time:
            # tests/catalog/_moto.py); a unit completed twice would show in ``made``
            if jobs.complete_work("w", claim.n, claim.token, {"n": claim.n, "by": index}):
                with lock:
                    made.append(claim.n)

    threads = [threading.Thread(target=pull, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(made) == list(range(40))
    assert {u["state"] for u in jobs.work("w")} == {"done"}
    assert [i["n"] for i in jobs.get_job("w")["images"]] == list(range(40))


def test_a_worker_release_gives_back_only_that_workers_leases(jobs):
    working_job(jobs, units=4)
    for worker, uri in (("run/0", A), ("run/1", B), ("run/0", A), ("run/1", B)):
        jobs.claim_work("w", worker, uri, 600)
    assert [r.n for r in jobs.release_work("w", worker="run/0")] == [0, 2]
    assert [(u["n"], u["state"], u["worker"]) for u in jobs.work("w")] == [
        (0, "open", None), (1, "leased", "run/1"), (2, "open", None), (3, "leased", "run/1")]
    assert [r.n for r in jobs.release_work("w", worker="run/9", out=C)] == []  # holds nothing
    assert [u["state"] for u in jobs.work("w")] == ["open", "leased", "open", "leased"]


def test_a_claim_counts_the_open_units_left_besides_itself(jobs, clock):
    working_job(jobs, units=4)
    handed = [jobs.claim_work("w", "run/0", A, 600) for _ in range(4)]
    assert [c.left for c in handed] == [3, 2, 1, 0]
    jobs.release_work("w")                                     # a resumed job: all open again
    again = [jobs.claim_work("w", "new/0", A, 60) for _ in range(2)]
    assert [(c.n, c.left) for c in again] == [(0, 3), (1, 2)]
    clock.advance(61)                                          # new/0 died holding 0 and 1
    late = jobs.claim_work("w", "new/1", B, 60)               # an expired lease, two open after it
    assert (late.n, late.left) == (0, 2)
    assert [(c.n, c.left) for c in (jobs.claim_work("w", "new/1", B, 60) for _ in range(3))] == [
        (1, 2), (2, 1), (3, 0)]
    assert jobs.claim_work("w", "new/1", B, 60) is None


# --- runners: who runs a job, known by their heartbeats --------------------------------------------
RUNNER = "host:4242:731000000001:9f1c2a7b3d4e5f60"


def test_a_runners_heartbeat_ages_by_the_stores_clock(jobs, clock):
    assert jobs.beat_age(RUNNER) is None                      # never beat
    jobs.beat(RUNNER)
    assert jobs.beat_age(RUNNER) == 0
    clock.advance(7.5)
    assert jobs.beat_age(RUNNER) == 7.5
    jobs.beat(RUNNER)
    clock.advance(2)
    assert jobs.beat_age(RUNNER) == 2
    other = RUNNER[:-1] + "1"                                 # same host and process, another engine
    assert jobs.beat_age(other) is None


def test_a_runner_silent_for_a_day_is_forgotten(jobs, clock):
    jobs.beat(RUNNER)
    clock.advance(25 * 3600)
    jobs.beat("host:1:731000000001:0123456789abcdef")         # someone else beats: the old one goes
    assert jobs.beat_age("host:1:731000000001:0123456789abcdef") == 0
    if not isinstance(jobs, DynamoJobStore):                 # DynamoDB's TTL deletes it there
        assert jobs.beat_age(RUNNER) is None


def test_a_job_is_taken_over_once_and_only_from_the_runner_it_names(jobs):
    jobs.create_job({"jobId": "r", "status": "RUNNING", "runner": RUNNER})
    assert jobs.take_over("r", "someone-else", "new") is False
    assert jobs.take_over("r", RUNNER, "first") is True
    assert jobs.take_over("r", RUNNER, "second") is False      # a racing resume loses
    assert jobs.job_summary("r")["runner"] == "first"
    jobs.update_job("r", {"status": "SUCCEEDED"})
    assert jobs.take_over("r", "first", "third") is False      # settled: nobody's to run
    assert jobs.take_over("ghost", RUNNER, "new") is False
    assert jobs.job_summary("r") == {"jobId": "r", "status": "SUCCEEDED", "runner": "first"}


# --- allowances: small counters that hold across processes ------------------------------------
def test_an_allowance_counts_up_to_its_limit_then_refuses(jobs):
    assert [jobs.spend("grow-day#2026-12-08", 3, 3600) for _ in range(5)] == \
        [True, True, True, False, False]
    assert jobs.spend("grow-day#2026-12-09", 3, 3600)          # each allowance its own count
    assert jobs.spend("grow-visit#v1", 1, 3600) and not jobs.spend("grow-visit#v1", 1, 3600)
    assert not jobs.spend("nothing-allowed", 0, 3600)


def test_an_allowance_is_forgotten_after_its_time(jobs, clock):
    start = int(clock())
    assert jobs.spend("grow-visit#v2", 1, 60)
    assert not jobs.spend("grow-visit#v2", 1, 60)
    clock.advance(61)
    if isinstance(jobs, DynamoJobStore):   # DynamoDB's TTL deletes it, in its own time
        item = jobs.table.get_item(Key={"pk": "ALLOW#grow-visit#v2", "sk": "ALLOW"})["Item"]
        assert (int(item["ttl"]), int(item["spent"])) == (start + 60, 1)
        return
    assert jobs.spend("grow-visit#v2", 1, 60)


def test_concurrent_spenders_never_pass_the_limit(jobs):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: jobs.spend("grow-day#race", 5, 3600), range(24)))
    assert answers.count(True) == 5
