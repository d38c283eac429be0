"""The Catalog port's contract, run against SQLite and DynamoDB (moto) alike."""
from __future__ import annotations

import base64
import inspect
import json

import pytest

from chalicelib.catalog import Catalog, LikeExport, Outcome
from chalicelib.catalog.dynamodb import DynamoCatalog
from chalicelib.catalog.sqlite import SqliteCatalog
from chalicelib.errors import ImageNotFound, InvalidRequest, JobNotFound

KEY = "emotions/HAPPY/rose/bloom 1h.jpeg"
T0 = 1_700_000_000_000
# Real S3 sequencers vary in length; padding makes them compare as numbers.
OLD, MID, NEW = "0062E99A88DC407297", "0062E99A88DC4072A0", "0062E99A88DC4072B1F"


def visible_keys(catalog, emotion="HAPPY", orientation="landscape", area="emotions"):
    return [r.key for r in catalog.query(area, emotion, orientation, 1000).items]


# --- the port itself -------------------------------------------------------------------------
@pytest.mark.parametrize("adapter", [SqliteCatalog, DynamoCatalog])
def test_every_public_method_of_the_port_exists_on_each_adapter(adapter):
    port = {n: f for n, f in vars(Catalog).items() if not n.startswith("_") and callable(f)}
    assert len(port) >= 15
    for name, method in port.items():
        implementation = getattr(adapter, name, None)
        assert callable(implementation), f"{adapter.__name__} lacks {name}"
        assert list(inspect.signature(implementation).parameters) == \
            list(inspect.signature(method).parameters), name


# --- created / removed events ----------------------------------------------------------------
def test_a_created_event_adds_an_item_readable_with_every_field(catalog, make_record):
    record = make_record(KEY, created_ms=T0, size=4321,
                         provenance={"prompt": "a rose", "seed": 42, "guidance": 7.5,
                                     "size": [512, 512], "endpoint": "painter:"})
    assert catalog.apply_created(record, OLD) is Outcome.ADDED
    got = catalog.get_image(KEY)
    assert got is not None
    assert (got.key, got.area, got.emotion, got.favorite, got.orientation) == \
        (KEY, "emotions", "HAPPY", "rose", "landscape")
    assert (got.created_ms, got.size, got.likes) == (T0, 4321, 0)
    assert got.provenance == record.provenance
    assert catalog.get_image("emotions/HAPPY/other.jpeg") is None


def test_a_newer_created_event_updates_fields_and_keeps_likes(catalog, make_record):
    catalog.apply_created(make_record(KEY, created_ms=T0, size=1), OLD)
    catalog.like(KEY, "ana")
    catalog.like(KEY, "ben")
    outcome = catalog.apply_created(make_record(KEY, created_ms=T0 + 5, size=2,
                                                provenance={"seed": 9}), NEW)
    assert outcome is Outcome.UPDATED
    got = catalog.get_image(KEY)
    assert (got.size, got.created_ms, got.provenance, got.likes) == (2, T0 + 5, {"seed": 9}, 2)
    # Likes kept means the visitors too: ana still cannot like twice.
    assert catalog.like(KEY, "ana") == (2, False)


def test_the_same_created_event_again_is_a_duplicate(catalog, make_record):
    catalog.apply_created(make_record(KEY, size=1), MID)
    assert catalog.apply_created(make_record(KEY, size=999), MID) is Outcome.DUPLICATE
    assert catalog.get_image(KEY).size == 1


def test_an_older_created_event_after_a_newer_one_is_stale(catalog, make_record):
    catalog.apply_created(make_record(KEY, size=2), NEW)
    assert catalog.apply_created(make_record(KEY, size=1), OLD) is Outcome.STALE
    assert catalog.get_image(KEY).size == 2


def test_sequencers_compare_as_padded_hex_not_as_strings(catalog, make_record):
    # "FF" < "100" as numbers although "FF" > "100" as strings.
    catalog.apply_created(make_record(KEY, size=1), "FF")
    assert catalog.apply_created(make_record(KEY, size=2), "100") is Outcome.UPDATED
    assert catalog.apply_created(make_record(KEY, size=3), "ff") is Outcome.STALE
    assert catalog.get_image(KEY).size == 2


def test_removal_hides_the_item_and_its_likes(catalog, make_record):
    catalog.apply_created(make_record(KEY), OLD)
    catalog.like(KEY, "ana")
    assert catalog.apply_removed(KEY, MID) is Outcome.REMOVED
    assert catalog.get_image(KEY) is None
    assert visible_keys(catalog) == []
    assert list(catalog.iter_images()) == []
    assert catalog.count("emotions", "HAPPY") == 0
    assert [e.key for e in catalog.export_likes()] == []


def test_the_same_removal_again_is_a_duplicate_and_an_older_one_stale(catalog, make_record):
    catalog.apply_created(make_record(KEY), OLD)
    assert catalog.apply_removed(KEY, NEW) is Outcome.REMOVED
    assert catalog.apply_removed(KEY, NEW) is Outcome.DUPLICATE
    assert catalog.apply_removed(KEY, MID) is Outcome.STALE


def test_a_late_older_creation_cannot_resurrect_a_removed_image(catalog, make_record):
    catalog.apply_created(make_record(KEY), OLD)
    catalog.apply_removed(KEY, NEW)
    assert catalog.apply_created(make_record(KEY), MID) is Outcome.STALE
    assert catalog.get_image(KEY) is None
    assert visible_keys(catalog) == []


def test_removal_of_an_unknown_key_is_absent_and_blocks_older_creations(catalog, make_record):
    # Delivered out of order: the delete (newer) arrives before the put (older).
    assert catalog.apply_removed(KEY, NEW) is Outcome.ABSENT
    assert catalog.get_image(KEY) is None
    assert catalog.apply_created(make_record(KEY), OLD) is Outcome.STALE
    assert catalog.get_image(KEY) is None
    assert list(catalog.iter_images()) == []


def test_a_newer_removal_of_a_tombstone_is_absent(catalog, make_record):
    assert catalog.apply_removed(KEY, OLD) is Outcome.ABSENT
    assert catalog.apply_removed(KEY, NEW) is Outcome.ABSENT
    assert catalog.apply_created(make_record(KEY), MID) is Outcome.STALE


def test_a_newer_creation_after_removal_adds_it_again_with_no_likes(catalog, make_record):
    catalog.apply_created(make_record(KEY), OLD)
    catalog.like(KEY, "ana")
    catalog.apply_removed(KEY, MID)
    assert catalog.apply_created(make_record(KEY, size=77), NEW) is Outcome.ADDED
    got = catalog.get_image(KEY)
    assert (got.size, got.likes) == (77, 0)
    assert catalog.like(KEY, "ana") == (1, True)  # the old like went with the removal
    assert visible_keys(catalog) == [KEY]


# --- reindex: reconcile / forget -------------------------------------------------------------
def test_reconcile_adds_then_finds_unchanged_then_updates_keeping_likes(catalog, make_record):
    assert catalog.reconcile(make_record(KEY, size=1)) is Outcome.ADDED
    assert catalog.reconcile(make_record(KEY, size=1)) is Outcome.UNCHANGED
    catalog.like(KEY, "ana")
    assert catalog.reconcile(make_record(KEY, size=1)) is Outcome.UNCHANGED
    assert catalog.reconcile(make_record(KEY, size=2)) is Outcome.UPDATED
    got = catalog.get_image(KEY)
    assert (got.size, got.likes) == (2, 1)


def test_reconcile_sees_provenance_changes(catalog, make_record):
    catalog.reconcile(make_record(KEY, provenance={"seed": 1, "guidance": 7.5}))
    assert catalog.reconcile(make_record(KEY, provenance={"seed": 1, "guidance": 7.5})) \
        is Outcome.UNCHANGED
    assert catalog.reconcile(make_record(KEY, provenance={"seed": 2, "guidance": 7.5})) \
        is Outcome.UPDATED


def test_reconcile_replaces_a_tombstone(catalog, make_record):
    catalog.apply_created(make_record(KEY), OLD)
    catalog.apply_removed(KEY, MID)
    assert catalog.reconcile(make_record(KEY, size=5)) is Outcome.ADDED
    assert catalog.get_image(KEY).size == 5
    assert visible_keys(catalog) == [KEY]
    # The remembered sequencer survives: events older than the removal stay stale...
    assert catalog.apply_created(make_record(KEY, size=6), OLD) is Outcome.STALE
    # ...and newer ones still apply.
    assert catalog.apply_removed(KEY, NEW) is Outcome.REMOVED


def test_an_event_after_a_reconcile_of_a_new_item_applies(catalog, make_record):
    catalog.reconcile(make_record(KEY, size=1))
    assert catalog.apply_created(make_record(KEY, size=2), OLD) is Outcome.UPDATED
    assert catalog.apply_removed(KEY, MID) is Outcome.REMOVED


def test_forget_removes_a_visible_item_once(catalog, make_record):
    catalog.apply_created(make_record(KEY), MID)
    catalog.like(KEY, "ana")
    assert catalog.forget(KEY) is True
    assert catalog.get_image(KEY) is None
    assert catalog.forget(KEY) is False
    assert catalog.forget("emotions/SAD/never.jpeg") is False
    # Forgetting keeps the sequencer: an older creation delivered late stays out.
    assert catalog.apply_created(make_record(KEY), OLD) is Outcome.STALE
    assert catalog.apply_created(make_record(KEY), NEW) is Outcome.ADDED
    assert catalog.get_image(KEY).likes == 0


# --- queries ----------------------------------------------------------------------------------
def test_query_orders_by_likes_then_newest(catalog, make_record):
    keys = [f"emotions/HAPPY/n{i}h.jpeg" for i in range(5)]
    for i, key in enumerate(keys):
        catalog.apply_created(make_record(key, created_ms=T0 + i), OLD)
    catalog.like(keys[1], "a")
    catalog.like(keys[1], "b")
    catalog.like(keys[3], "a")
    catalog.like(keys[0], "c")
    got = catalog.query("emotions", "HAPPY", "landscape", 10)
    # keys[3] and keys[0] both have one like: the newer (3) first.
    assert [r.key for r in got.items] == [keys[1], keys[3], keys[0], keys[4], keys[2]]
    assert [r.likes for r in got.items] == [2, 1, 1, 0, 0]
    assert got.cursor is None


def test_query_returns_only_the_asked_area_emotion_and_orientation(catalog, make_record):
    for key in ("emotions/HAPPY/ah.jpeg", "emotions/HAPPY/av.jpeg", "emotions/SAD/bh.jpeg",
                "pool/HAPPY/ch.jpeg", "emotions/happy/lily/dh.jpeg"):
        catalog.apply_created(make_record(key), OLD)
    assert sorted(visible_keys(catalog)) == ["emotions/HAPPY/ah.jpeg",
                                             "emotions/happy/lily/dh.jpeg"]
    assert visible_keys(catalog, orientation="portrait") == ["emotions/HAPPY/av.jpeg"]
    assert visible_keys(catalog, area="pool") == ["pool/HAPPY/ch.jpeg"]
    assert visible_keys(catalog, emotion="SAD") == ["emotions/SAD/bh.jpeg"]
    assert visible_keys(catalog, emotion="FEAR") == []
    assert catalog.count("emotions", "HAPPY") == 3
    assert catalog.count("pool", "HAPPY") == 1
    assert catalog.count("emotions", "FEAR") == 0


def test_pagination_visits_every_item_once_in_order(catalog, make_record):
    keys = [f"emotions/CALM/p{i:03d}h.jpeg" for i in range(250)]
    for i, key in enumerate(keys):
        # Many ties on created_ms, so the tie-breaks matter too.
        catalog.apply_created(make_record(key, created_ms=T0 + i // 10), OLD)
    for i in range(0, 250, 9):
        catalog.like(keys[i], "v")
    seen, cursor, pages = [], None, 0
    while True:
        page = catalog.query("emotions", "CALM", "landscape", 7, cursor)
        assert len(page.items) <= 7
        seen += page.items
        pages += 1
        if page.cursor is None:
            break
        assert len(page.items) == 7
        cursor = page.cursor
    assert pages == 36  # ceil(250 / 7): the last page knows it is the last
    assert len(seen) == 250 and {r.key for r in seen} == set(keys)
    order = [(-r.likes, -r.created_ms) for r in seen]
    assert order == sorted(order)


def test_a_page_that_fills_exactly_has_no_cursor(catalog, make_record):
    for i in range(3):
        catalog.apply_created(make_record(f"emotions/SAD/x{i}v.jpeg", created_ms=T0 + i), OLD)
    first = catalog.query("emotions", "SAD", "portrait", 3)
    assert len(first.items) == 3 and first.cursor is None
    page = catalog.query("emotions", "SAD", "portrait", 2)
    assert len(page.items) == 2 and page.cursor
    rest = catalog.query("emotions", "SAD", "portrait", 2, page.cursor)
    assert len(rest.items) == 1 and rest.cursor is None


def _tamper(cursor: str, **changes: object) -> str:
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    data.update(changes)
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize("bad", ["garbage!!", "", "bm90IGpzb24", "WzEsMl0", "e30",
                                 "eyJsIjogIngifQ", "\u00e9t\u00e9"])
def test_a_malformed_cursor_is_an_invalid_request(catalog, make_record, bad):
    catalog.apply_created(make_record("emotions/HAPPY/ah.jpeg"), OLD)
    with pytest.raises(InvalidRequest):
        catalog.query("emotions", "HAPPY", "landscape", 5, bad)


def test_a_tampered_or_foreign_cursor_is_an_invalid_request(catalog, make_record):
    for i in range(4):
        catalog.apply_created(make_record(f"emotions/HAPPY/k{i}h.jpeg", created_ms=T0 + i), OLD)
        catalog.apply_created(make_record(f"emotions/SAD/k{i}h.jpeg", created_ms=T0 + i), OLD)
    cursor = catalog.query("emotions", "HAPPY", "landscape", 2).cursor
    assert cursor
    with pytest.raises(InvalidRequest):  # issued for another emotion
        catalog.query("emotions", "SAD", "landscape", 2, cursor)
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for field in data:
        with pytest.raises(InvalidRequest):
            catalog.query("emotions", "HAPPY", "landscape", 2, _tamper(cursor, **{field: [1]}))
    with pytest.raises(InvalidRequest):
        catalog.query("emotions", "HAPPY", "landscape", 2, _tamper(cursor, extra=1))


@pytest.mark.parametrize("limit", [0, -1, "5", 2.5])
def test_a_bad_limit_is_an_invalid_request(catalog, limit):
    with pytest.raises(InvalidRequest):
        catalog.query("emotions", "HAPPY", "landscape", limit)


def test_text2image_items_are_readable_but_never_in_the_garden(catalog, make_record):
    key = "text2image/job-1/0.jpeg"
    assert catalog.apply_created(make_record(key), OLD) is Outcome.ADDED
    catalog.apply_created(make_record("emotions/HAPPY/ah.jpeg"), OLD)
    got = catalog.get_image(key)
    assert got is not None and (got.area, got.emotion, got.orientation) == \
        ("text2image", None, None)
    assert [r.key for r in catalog.iter_images("text2image/")] == [key]
    for emotion in ("HAPPY", "SAD"):
        for orientation in ("landscape", "portrait"):
            assert key not in visible_keys(catalog, emotion, orientation)
    assert catalog.like(key, "ana") == (1, True)  # likeable all the same


def test_iter_images_filters_by_prefix(catalog, make_record):
    keys = ["emotions/HAPPY/ah.jpeg", "emotions/SAD/bh.jpeg", "pool/HAPPY/ch.jpeg",
            "text2image/j/0.jpeg"]
    for key in keys:
        catalog.apply_created(make_record(key), OLD)
    catalog.apply_removed("emotions/SAD/gone.jpeg", OLD)  # a tombstone: never listed
    assert sorted(r.key for r in catalog.iter_images()) == sorted(keys)
    assert sorted(r.key for r in catalog.iter_images("emotions/")) == keys[:2]
    assert [r.key for r in catalog.iter_images("pool/")] == ["pool/HAPPY/ch.jpeg"]
    assert list(catalog.iter_images("nothing/")) == []


# --- likes -------------------------------------------------------------------------------------
def test_a_visitor_likes_an_image_once(catalog, make_record):
    catalog.apply_created(make_record(KEY), OLD)
    assert catalog.like(KEY, "ana") == (1, True)
    assert catalog.like(KEY, "ana") == (1, False)
    assert catalog.like(KEY, "ben") == (2, True)
    assert catalog.get_image(KEY).likes == 2
    assert catalog.query("emotions", "HAPPY", "landscape", 5).items[0].likes == 2


def test_liking_an_unknown_or_removed_image_is_image_not_found(catalog, make_record):
    with pytest.raises(ImageNotFound):
        catalog.like(KEY, "ana")
    catalog.apply_created(make_record(KEY), OLD)
    catalog.apply_removed(KEY, NEW)
    with pytest.raises(ImageNotFound):
        catalog.like(KEY, "ana")
    assert catalog.get_image(KEY) is None  # the failed like created nothing


def test_likes_total_sums_an_emotions_visible_images_in_one_area(catalog, make_record):
    liked = {"emotions/HAPPY/ah.jpeg": 2, "emotions/HAPPY/rose/bv.jpeg": 3,
             "emotions/SAD/ch.jpeg": 4, "pool/HAPPY/dh.jpeg": 5, "emotions/HAPPY/goneh.jpeg": 6}
    for key, likes in liked.items():
        catalog.apply_created(make_record(key), OLD)
        for visitor in range(likes):
            catalog.like(key, f"v{visitor}")
    catalog.apply_removed("emotions/HAPPY/goneh.jpeg", NEW)  # its likes go with it
    assert catalog.likes_total("emotions", "HAPPY") == 5
    assert catalog.likes_total("emotions", "SAD") == 4
    assert catalog.likes_total("pool", "HAPPY") == 5
    assert catalog.likes_total("emotions", "FEAR") == 0


def test_export_and_restore_likes_merge_visitors(catalog, make_record):
    other = "emotions/SAD/bv.jpeg"
    catalog.apply_created(make_record(KEY), OLD)
    catalog.apply_created(make_record(other), OLD)
    catalog.apply_created(make_record("emotions/SAD/unlikedv.jpeg"), OLD)
    catalog.like(KEY, "ana")
    catalog.like(KEY, "ben")
    exported = sorted(catalog.export_likes(), key=lambda e: e.key)
    assert exported == [LikeExport(KEY, 2, ["ana", "ben"])]

    # Merging: visitors unioned, the count the larger of the backup's and the union's.
    assert catalog.restore_likes(LikeExport(KEY, 1, ["ben", "cy"])) is True
    assert catalog.get_image(KEY).likes == 3
    assert catalog.like(KEY, "cy") == (3, False)
    assert catalog.restore_likes(LikeExport(other, 10, ["dee"])) is True
    assert catalog.get_image(other).likes == 10
    assert catalog.restore_likes(LikeExport(other, 10, ["dee"])) is True  # idempotent
    assert catalog.get_image(other).likes == 10
    assert catalog.like(other, "eve") == (11, True)
    # The order follows restored likes.
    assert visible_keys(catalog, "SAD", "portrait")[0] == other

    assert catalog.restore_likes(LikeExport("emotions/HAPPY/none.jpeg", 3, ["x"])) is False
    assert catalog.get_image("emotions/HAPPY/none.jpeg") is None
    assert sorted(catalog.export_likes(), key=lambda e: e.key) == [
        LikeExport(KEY, 3, ["ana", "ben", "cy"]), LikeExport(other, 11, ["dee", "eve"])]


def test_restore_likes_into_a_removed_image_is_false(catalog, make_record):
    catalog.apply_created(make_record(KEY), OLD)
    catalog.apply_removed(KEY, NEW)
    assert catalog.restore_likes(LikeExport(KEY, 4, ["ana"])) is False
    assert list(catalog.export_likes()) == []


# --- jobs --------------------------------------------------------------------------------------
def test_jobs_are_created_appended_updated_and_read(catalog):
    catalog.create_job({"jobId": "j-1", "kind": "text2image", "status": "RUNNING",
                        "request": {"text": "roses", "width": 512, "guidance": 7.5},
                        "createdAt": "2024-05-01T10:00:00Z"})
    catalog.append_job_entry("j-1", "images", {"key": "text2image/j-1/0.jpeg", "ms": 812.5})
    catalog.append_job_entry("j-1", "images", {"key": "text2image/j-1/1.jpeg", "ms": 790})
    catalog.append_job_entry("j-1", "errors", {"endpoint": "sagemaker:x", "error": "Timeout"})
    catalog.update_job("j-1", {"status": "SUCCEEDED", "finishedAt": "2024-05-01T10:01:00Z"})
    assert catalog.get_job("j-1") == {
        "jobId": "j-1", "kind": "text2image", "status": "SUCCEEDED",
        "request": {"text": "roses", "width": 512, "guidance": 7.5},
        "createdAt": "2024-05-01T10:00:00Z", "finishedAt": "2024-05-01T10:01:00Z",
        "images": [{"key": "text2image/j-1/0.jpeg", "ms": 812.5},
                   {"key": "text2image/j-1/1.jpeg", "ms": 790}],
        "errors": [{"endpoint": "sagemaker:x", "error": "Timeout"}],
    }


def test_unknown_jobs_are_none_or_job_not_found(catalog):
    assert catalog.get_job("nope") is None
    with pytest.raises(JobNotFound):
        catalog.append_job_entry("nope", "images", {"key": "k"})
    with pytest.raises(JobNotFound):
        catalog.update_job("nope", {"status": "FAILED"})
    with pytest.raises(JobNotFound):
        catalog.update_job("nope", {})
    assert catalog.get_job("nope") is None  # nothing was created on the way


def test_bad_job_documents_are_invalid_requests(catalog):
    with pytest.raises(InvalidRequest):
        catalog.create_job({"status": "RUNNING"})
    catalog.create_job({"jobId": "j-2"})
    assert catalog.get_job("j-2") == {"jobId": "j-2", "images": [], "errors": []}
    with pytest.raises(InvalidRequest):
        catalog.append_job_entry("j-2", "secrets", {"x": 1})


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


def test_a_bulk_sized_job_keeps_every_entry(catalog):
    """1,200 entries of realistic size: far more than one 400 KB DynamoDB item could hold
    (moto enforces that limit, so a job kept in one item fails here)."""
    catalog.create_job({"jobId": "big", "kind": "bulk", "status": "RUNNING", "requested": 1200})
    for n in range(1200):
        if n % 2:
            catalog.append_job_entry("big", "errors", error_entry(n))
        else:
            catalog.append_job_entry("big", "images", image_entry(n))
    job = catalog.get_job("big")
    assert [e["n"] for e in job["images"]] == list(range(0, 1200, 2))
    assert [e["n"] for e in job["errors"]] == list(range(1, 1200, 2))
    assert job["images"][7] == image_entry(14) and job["errors"][3] == error_entry(7)
    assert job["deadEndpoints"] == [DOWN]
    assert (job["status"], job["requested"]) == ("RUNNING", 1200)


def test_a_re_recorded_entry_with_the_same_n_counts_once(catalog):
    catalog.create_job({"jobId": "j", "status": "RUNNING"})
    catalog.append_job_entry("j", "errors", {"n": 3, "endpoint": DOWN, "error": "BadImage",
                                             "message": "first try"})
    catalog.append_job_entry("j", "errors", {"n": 3, "endpoint": DOWN, "error": "BadImage",
                                             "message": "the retry"})  # RecordError retried
    catalog.append_job_entry("j", "images", image_entry(3))  # an image may share an error's n
    catalog.append_job_entry("j", "images", image_entry(3))
    job = catalog.get_job("j")
    assert [e["message"] for e in job["errors"]] == ["the retry"]
    assert job["images"] == [image_entry(3)]


def test_entries_come_back_sorted_by_n_then_unnumbered_in_order(catalog):
    catalog.create_job({"jobId": "j", "images": [image_entry(5)],
                        "errors": [{"endpoint": None, "error": "Early"}]})
    for n in (9, 0, 12):
        catalog.append_job_entry("j", "images", image_entry(n))
    for name in ("Second", "Third"):
        catalog.append_job_entry("j", "errors", {"endpoint": None, "error": name})
    catalog.append_job_entry("j", "errors", error_entry(1, "BadImage"))
    job = catalog.get_job("j")
    assert [e["n"] for e in job["images"]] == [0, 5, 9, 12]
    assert [e["error"] for e in job["errors"]] == ["BadImage", "Early", "Second", "Third"]


def test_the_summary_is_the_document_without_its_entries(catalog):
    catalog.create_job({"jobId": "j", "kind": "bulk", "status": "RUNNING", "requested": 4,
                        "request": {"emotion": "HAPPY", "guidance": 7.5}})
    assert catalog.job_summary("j") == {"jobId": "j", "kind": "bulk", "status": "RUNNING",
                                        "requested": 4,
                                        "request": {"emotion": "HAPPY", "guidance": 7.5}}
    catalog.append_job_entry("j", "images", image_entry(0))
    catalog.append_job_entry("j", "errors", error_entry(1, "BadImage"))
    catalog.update_job("j", {"status": "PARTIAL"})
    summary = catalog.job_summary("j")
    assert "images" not in summary and "errors" not in summary and "deadEndpoints" not in summary
    assert summary["status"] == "PARTIAL"
    assert catalog.job_summary("nope") is None


@pytest.mark.parametrize("error, dead", [("EndpointFailed", True), ("EndpointTimeout", True),
                                         ("BadImage", False), ("EndpointThrottled", False),
                                         ("States.TaskFailed", False)])
def test_a_dead_endpoints_error_marks_it_in_the_summary(catalog, error, dead):
    catalog.create_job({"jobId": "j", "status": "RUNNING"})
    catalog.append_job_entry("j", "errors", error_entry(0, error))
    catalog.append_job_entry("j", "errors", error_entry(1, error))
    catalog.append_job_entry("j", "errors", {"endpoint": None, "error": "EndpointFailed"})
    expected = [DOWN] if dead else None
    assert catalog.job_summary("j").get("deadEndpoints") == expected
    assert catalog.get_job("j").get("deadEndpoints") == expected


def test_two_dead_endpoints_are_both_remembered(catalog):
    catalog.create_job({"jobId": "j", "errors": [{**error_entry(0), "endpoint": "http://b"}]})
    catalog.append_job_entry("j", "errors", error_entry(1, "EndpointTimeout"))
    assert catalog.job_summary("j")["deadEndpoints"] == ["http://b", DOWN]


def test_creating_a_job_again_replaces_its_entries(catalog):
    catalog.create_job({"jobId": "j", "status": "RUNNING"})
    catalog.append_job_entry("j", "images", image_entry(0))
    catalog.append_job_entry("j", "errors", error_entry(1))
    catalog.create_job({"jobId": "j", "status": "RUNNING", "images": [image_entry(4)]})
    job = catalog.get_job("j")
    assert job["images"] == [image_entry(4)] and job["errors"] == []
    assert "deadEndpoints" not in job


@pytest.mark.parametrize("entry", [{"n": -1}, {"n": "3"}, {"n": True}, {"n": 1.0},
                                   {"n": 10**6}, "not an object"])
def test_bad_job_entries_are_invalid_requests(catalog, entry):
    catalog.create_job({"jobId": "j"})
    with pytest.raises(InvalidRequest):
        catalog.append_job_entry("j", "images", entry)
    assert catalog.get_job("j")["images"] == []


@pytest.mark.parametrize("field", ["images", "errors", "deadEndpoints"])
def test_a_jobs_entries_and_dead_endpoints_are_the_catalogs_own(catalog, field):
    catalog.create_job({"jobId": "j"})
    with pytest.raises(InvalidRequest):
        catalog.update_job("j", {field: []})


def test_an_entry_for_an_unknown_job_writes_nothing(catalog):
    for field, entry in (("images", image_entry(0)), ("errors", error_entry(1))):
        with pytest.raises(JobNotFound):
            catalog.append_job_entry("ghost", field, entry)
    assert catalog.get_job("ghost") is None and catalog.job_summary("ghost") is None
    catalog.create_job({"jobId": "ghost"})
    assert catalog.get_job("ghost") == {"jobId": "ghost", "images": [], "errors": []}
