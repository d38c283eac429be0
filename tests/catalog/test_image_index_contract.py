"""The ImageIndex port's contract, run against the memory, SQLite and DynamoDB (moto)
adapters alike (the ``index`` fixture)."""
from __future__ import annotations

import base64
import json

import pytest

from chalicelib.catalog import ImageIndex, Outcome
from chalicelib.catalog.dynamodb import DynamoImageIndex
from chalicelib.catalog.memory import MemoryImageIndex
from chalicelib.catalog.sqlite import SqliteImageIndex
from chalicelib.errors import InvalidRequest
from tests.catalog._ports import assert_implements

KEY = "emotions/HAPPY/rose/bloom 1h.jpeg"
T0 = 1_700_000_000_000
# Real S3 sequencers vary in length; padding makes them compare as numbers.
OLD, MID, NEW = "0062E99A88DC407297", "0062E99A88DC4072A0", "0062E99A88DC4072B1F"


def visible_keys(index, emotion="HAPPY", orientation="landscape", area="emotions"):
    return [r.key for r in index.query(area, emotion, orientation, 1000).items]


# --- the port itself -------------------------------------------------------------------------
@pytest.mark.parametrize("adapter", [MemoryImageIndex, SqliteImageIndex, DynamoImageIndex])
def test_every_public_method_of_the_port_exists_on_each_adapter(adapter):
    assert_implements(adapter, ImageIndex, 11)   # Engagement's: test_engagement_contract


# --- created / removed events ----------------------------------------------------------------
def test_a_created_event_adds_an_item_readable_with_every_field(index, make_record):
    record = make_record(KEY, created_ms=T0, size=4321,
                         provenance={"prompt": "a rose", "seed": 42, "guidance": 7.5,
                                     "size": [512, 512], "endpoint": "painter:"})
    assert index.apply_created(record, OLD) is Outcome.ADDED
    got = index.get_image(KEY)
    assert got is not None
    assert (got.key, got.area, got.emotion, got.favorite, got.orientation) == \
        (KEY, "emotions", "HAPPY", "rose", "landscape")
    assert (got.created_ms, got.size, got.likes) == (T0, 4321, 0)
    assert got.provenance == record.provenance
    assert index.get_image("emotions/HAPPY/other.jpeg") is None


def test_a_newer_created_event_updates_fields_and_keeps_likes(index, make_record):
    index.apply_created(make_record(KEY, created_ms=T0, size=1), OLD)
    index.like(KEY, "ana")
    index.like(KEY, "ben")
    outcome = index.apply_created(make_record(KEY, created_ms=T0 + 5, size=2,
                                                provenance={"seed": 9}), NEW)
    assert outcome is Outcome.UPDATED
    got = index.get_image(KEY)
    assert (got.size, got.created_ms, got.provenance, got.likes) == (2, T0 + 5, {"seed": 9}, 2)
    # Likes kept means the visitors too: ana still cannot like twice.
    assert index.like(KEY, "ana") == (2, False)


def test_the_same_created_event_again_is_a_duplicate(index, make_record):
    index.apply_created(make_record(KEY, size=1), MID)
    assert index.apply_created(make_record(KEY, size=999), MID) is Outcome.DUPLICATE
    assert index.get_image(KEY).size == 1


def test_an_older_created_event_after_a_newer_one_is_stale(index, make_record):
    index.apply_created(make_record(KEY, size=2), NEW)
    assert index.apply_created(make_record(KEY, size=1), OLD) is Outcome.STALE
    assert index.get_image(KEY).size == 2


def test_sequencers_of_different_lengths_compare_right_padded_with_zeros(index, make_record):
    # The S3 User Guide: "compare the strings after right padding the shorter value with zeros".
    # A newer event may carry a shorter sequencer: "…281F" (17) is after "…281E5" (18).
    index.apply_created(make_record(KEY, size=1), "0055AED6DCD90281E5")
    assert index.apply_created(make_record(KEY, size=2), "0055AED6DCD90281F") is Outcome.UPDATED
    assert index.apply_created(make_record(KEY, size=3), "0055aed6dcd90281e5") is Outcome.STALE
    assert index.apply_created(make_record(KEY, size=4), "0055AED6DCD90281F0") \
        is Outcome.DUPLICATE                     # the same position, padded
    assert index.get_image(KEY).size == 2


def test_a_newer_removal_with_a_shorter_sequencer_removes(index, make_record):
    # Padded on the wrong side, the newer removal looked older and the image stayed visible.
    index.apply_created(make_record(KEY), "0055AED6DCD90281E5")
    assert index.apply_removed(KEY, "0055AED6DCD90282") is Outcome.REMOVED
    assert index.get_image(KEY) is None
    # ... and the older creation, delivered late, cannot bring it back
    assert index.apply_created(make_record(KEY), "0055AED6DCD90281E5") is Outcome.STALE
    assert index.get_image(KEY) is None


def test_a_longer_sequencer_is_not_newer_for_its_length_alone(index, make_record):
    index.apply_created(make_record(KEY, size=1), "0055AED6DCD90282")
    assert index.apply_removed(KEY, "0055AED6DCD90281FFFF") is Outcome.STALE
    assert index.get_image(KEY).size == 1


def test_removal_hides_the_item_and_its_likes(index, make_record):
    index.apply_created(make_record(KEY), OLD)
    index.like(KEY, "ana")
    assert index.apply_removed(KEY, MID) is Outcome.REMOVED
    assert index.get_image(KEY) is None
    assert visible_keys(index) == []
    assert list(index.iter_images()) == []
    assert index.count("emotions", "HAPPY") == 0
    assert [e.key for e in index.export_likes()] == []


def test_the_same_removal_again_is_a_duplicate_and_an_older_one_stale(index, make_record):
    index.apply_created(make_record(KEY), OLD)
    assert index.apply_removed(KEY, NEW) is Outcome.REMOVED
    assert index.apply_removed(KEY, NEW) is Outcome.DUPLICATE
    assert index.apply_removed(KEY, MID) is Outcome.STALE


def test_a_late_older_creation_cannot_resurrect_a_removed_image(index, make_record):
    index.apply_created(make_record(KEY), OLD)
    index.apply_removed(KEY, NEW)
    assert index.apply_created(make_record(KEY), MID) is Outcome.STALE
    assert index.get_image(KEY) is None
    assert visible_keys(index) == []


def test_removal_of_an_unknown_key_is_absent_and_blocks_older_creations(index, make_record):
    # Delivered out of order: the delete (newer) arrives before the put (older).
    assert index.apply_removed(KEY, NEW) is Outcome.ABSENT
    assert index.get_image(KEY) is None
    assert index.apply_created(make_record(KEY), OLD) is Outcome.STALE
    assert index.get_image(KEY) is None
    assert list(index.iter_images()) == []


def test_a_newer_removal_of_a_tombstone_is_absent(index, make_record):
    assert index.apply_removed(KEY, OLD) is Outcome.ABSENT
    assert index.apply_removed(KEY, NEW) is Outcome.ABSENT
    assert index.apply_created(make_record(KEY), MID) is Outcome.STALE


def test_a_newer_creation_after_removal_adds_it_again_with_no_likes(index, make_record):
    index.apply_created(make_record(KEY), OLD)
    index.like(KEY, "ana")
    index.apply_removed(KEY, MID)
    assert index.apply_created(make_record(KEY, size=77), NEW) is Outcome.ADDED
    got = index.get_image(KEY)
    assert (got.size, got.likes) == (77, 0)
    assert index.like(KEY, "ana") == (1, True)  # the old like went with the removal
    assert visible_keys(index) == [KEY]


# --- reindex: reconcile / forget -------------------------------------------------------------
def test_reconcile_adds_then_finds_unchanged_then_updates_keeping_likes(index, make_record):
    assert index.reconcile(make_record(KEY, size=1)) is Outcome.ADDED
    assert index.reconcile(make_record(KEY, size=1)) is Outcome.UNCHANGED
    index.like(KEY, "ana")
    assert index.reconcile(make_record(KEY, size=1)) is Outcome.UNCHANGED
    assert index.reconcile(make_record(KEY, size=2)) is Outcome.UPDATED
    got = index.get_image(KEY)
    assert (got.size, got.likes) == (2, 1)


def test_reconcile_sees_provenance_changes(index, make_record):
    index.reconcile(make_record(KEY, provenance={"seed": 1, "guidance": 7.5}))
    assert index.reconcile(make_record(KEY, provenance={"seed": 1, "guidance": 7.5})) \
        is Outcome.UNCHANGED
    assert index.reconcile(make_record(KEY, provenance={"seed": 2, "guidance": 7.5})) \
        is Outcome.UPDATED


def test_reconcile_replaces_a_tombstone(index, make_record):
    index.apply_created(make_record(KEY), OLD)
    index.apply_removed(KEY, MID)
    assert index.reconcile(make_record(KEY, size=5)) is Outcome.ADDED
    assert index.get_image(KEY).size == 5
    assert visible_keys(index) == [KEY]
    # The remembered sequencer survives: events older than the removal stay stale...
    assert index.apply_created(make_record(KEY, size=6), OLD) is Outcome.STALE
    # ...and newer ones still apply.
    assert index.apply_removed(KEY, NEW) is Outcome.REMOVED


def test_an_event_after_a_reconcile_of_a_new_item_applies(index, make_record):
    index.reconcile(make_record(KEY, size=1))
    assert index.apply_created(make_record(KEY, size=2), OLD) is Outcome.UPDATED
    assert index.apply_removed(KEY, MID) is Outcome.REMOVED


def test_forget_removes_a_visible_item_once(index, make_record):
    index.apply_created(make_record(KEY), MID)
    index.like(KEY, "ana")
    assert index.forget(KEY) is True
    assert index.get_image(KEY) is None
    assert index.forget(KEY) is False
    assert index.forget("emotions/SAD/never.jpeg") is False
    # Forgetting keeps the sequencer: an older creation delivered late stays out.
    assert index.apply_created(make_record(KEY), OLD) is Outcome.STALE
    assert index.apply_created(make_record(KEY), NEW) is Outcome.ADDED
    assert index.get_image(KEY).likes == 0


# --- queries ----------------------------------------------------------------------------------
def test_query_orders_by_likes_then_newest(index, make_record):
    keys = [f"emotions/HAPPY/n{i}h.jpeg" for i in range(5)]
    for i, key in enumerate(keys):
        index.apply_created(make_record(key, created_ms=T0 + i), OLD)
    index.like(keys[1], "a")
    index.like(keys[1], "b")
    index.like(keys[3], "a")
    index.like(keys[0], "c")
    got = index.query("emotions", "HAPPY", "landscape", 10)
    # keys[3] and keys[0] both have one like: the newer (3) first.
    assert [r.key for r in got.items] == [keys[1], keys[3], keys[0], keys[4], keys[2]]
    assert [r.likes for r in got.items] == [2, 1, 1, 0, 0]
    assert got.cursor is None


def test_query_returns_only_the_asked_area_emotion_and_orientation(index, make_record):
    for key in ("emotions/HAPPY/ah.jpeg", "emotions/HAPPY/av.jpeg", "emotions/SAD/bh.jpeg",
                "pool/HAPPY/ch.jpeg", "emotions/happy/lily/dh.jpeg"):
        index.apply_created(make_record(key), OLD)
    assert sorted(visible_keys(index)) == ["emotions/HAPPY/ah.jpeg",
                                             "emotions/happy/lily/dh.jpeg"]
    assert visible_keys(index, orientation="portrait") == ["emotions/HAPPY/av.jpeg"]
    assert visible_keys(index, area="pool") == ["pool/HAPPY/ch.jpeg"]
    assert visible_keys(index, emotion="SAD") == ["emotions/SAD/bh.jpeg"]
    assert visible_keys(index, emotion="FEAR") == []
    assert index.count("emotions", "HAPPY") == 3
    assert index.count("pool", "HAPPY") == 1
    assert index.count("emotions", "FEAR") == 0


def test_pagination_visits_every_item_once_in_order(index, make_record):
    keys = [f"emotions/CALM/p{i:03d}h.jpeg" for i in range(250)]
    for i, key in enumerate(keys):
        # Many ties on created_ms, so the tie-breaks matter too.
        index.apply_created(make_record(key, created_ms=T0 + i // 10), OLD)
    for i in range(0, 250, 9):
        index.like(keys[i], "v")
    seen, cursor, pages = [], None, 0
    while True:
        page = index.query("emotions", "CALM", "landscape", 7, cursor)
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


def test_a_page_that_fills_exactly_has_no_cursor(index, make_record):
    for i in range(3):
        index.apply_created(make_record(f"emotions/SAD/x{i}v.jpeg", created_ms=T0 + i), OLD)
    first = index.query("emotions", "SAD", "portrait", 3)
    assert len(first.items) == 3 and first.cursor is None
    page = index.query("emotions", "SAD", "portrait", 2)
    assert len(page.items) == 2 and page.cursor
    rest = index.query("emotions", "SAD", "portrait", 2, page.cursor)
    assert len(rest.items) == 1 and rest.cursor is None


def _tamper(cursor: str, **changes: object) -> str:
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    data.update(changes)
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize("bad", ["garbage!!", "", "bm90IGpzb24", "WzEsMl0", "e30",
                                 "eyJsIjogIngifQ", "\u00e9t\u00e9"])
def test_a_malformed_cursor_is_an_invalid_request(index, make_record, bad):
    index.apply_created(make_record("emotions/HAPPY/ah.jpeg"), OLD)
    with pytest.raises(InvalidRequest):
        index.query("emotions", "HAPPY", "landscape", 5, bad)


def test_a_tampered_or_foreign_cursor_is_an_invalid_request(index, make_record):
    for i in range(4):
        index.apply_created(make_record(f"emotions/HAPPY/k{i}h.jpeg", created_ms=T0 + i), OLD)
        index.apply_created(make_record(f"emotions/SAD/k{i}h.jpeg", created_ms=T0 + i), OLD)
    cursor = index.query("emotions", "HAPPY", "landscape", 2).cursor
    assert cursor
    with pytest.raises(InvalidRequest):  # issued for another emotion
        index.query("emotions", "SAD", "landscape", 2, cursor)
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for field in data:
        with pytest.raises(InvalidRequest):
            index.query("emotions", "HAPPY", "landscape", 2, _tamper(cursor, **{field: [1]}))
    with pytest.raises(InvalidRequest):
        index.query("emotions", "HAPPY", "landscape", 2, _tamper(cursor, extra=1))


@pytest.mark.parametrize("limit", [0, -1, "5", 2.5])
def test_a_bad_limit_is_an_invalid_request(index, limit):
    with pytest.raises(InvalidRequest):
        index.query("emotions", "HAPPY", "landscape", limit)


def test_text2image_items_are_readable_but_never_in_the_garden(index, make_record):
    key = "text2image/job-1/0.jpeg"
    assert index.apply_created(make_record(key), OLD) is Outcome.ADDED
    index.apply_created(make_record("emotions/HAPPY/ah.jpeg"), OLD)
    got = index.get_image(key)
    assert got is not None and (got.area, got.emotion, got.orientation) == \
        ("text2image", None, None)
    assert [r.key for r in index.iter_images("text2image/")] == [key]
    for emotion in ("HAPPY", "SAD"):
        for orientation in ("landscape", "portrait"):
            assert key not in visible_keys(index, emotion, orientation)
    assert index.like(key, "ana") == (1, True)  # likeable all the same


def test_iter_images_filters_by_prefix(index, make_record):
    keys = ["emotions/HAPPY/ah.jpeg", "emotions/SAD/bh.jpeg", "pool/HAPPY/ch.jpeg",
            "text2image/j/0.jpeg"]
    for key in keys:
        index.apply_created(make_record(key), OLD)
    index.apply_removed("emotions/SAD/gone.jpeg", OLD)  # a tombstone: never listed
    assert sorted(r.key for r in index.iter_images()) == sorted(keys)
    assert sorted(r.key for r in index.iter_images("emotions/")) == keys[:2]
    assert [r.key for r in index.iter_images("pool/")] == ["pool/HAPPY/ch.jpeg"]
    assert list(index.iter_images("nothing/")) == []


# --- likes as the index keeps them (liking itself: test_engagement_contract) ----------------------
def test_likes_total_sums_an_emotions_visible_images_in_one_area(index, make_record):
    liked = {"emotions/HAPPY/ah.jpeg": 2, "emotions/HAPPY/rose/bv.jpeg": 3,
             "emotions/SAD/ch.jpeg": 4, "pool/HAPPY/dh.jpeg": 5, "emotions/HAPPY/goneh.jpeg": 6}
    for key, likes in liked.items():
        index.apply_created(make_record(key), OLD)
        for visitor in range(likes):
            index.like(key, f"v{visitor}")
    index.apply_removed("emotions/HAPPY/goneh.jpeg", NEW)  # its likes go with it
    assert index.likes_total("emotions", "HAPPY") == 5
    assert index.likes_total("emotions", "SAD") == 4
    assert index.likes_total("pool", "HAPPY") == 5
    assert index.likes_total("emotions", "FEAR") == 0


def test_records_written_and_read_back_are_copies(index, make_record):
    written = make_record(KEY, provenance={"seed": 1})
    index.apply_created(written, OLD)
    written.provenance["seed"] = 5
    got = index.get_image(KEY)
    got.provenance["seed"] = 2
    got.likes = 99
    next(iter(index.iter_images())).provenance["seed"] = 3
    index.query("emotions", "HAPPY", "landscape", 5).items[0].provenance["seed"] = 4
    again = index.get_image(KEY)
    assert (again.provenance, again.likes) == ({"seed": 1}, 0)


# --- the fresh order (the counters: test_engagement_contract) ---------------------------------
def test_fresh_order_is_newest_first_with_keyset_pages(index, make_record):
    keys = [f"emotions/CALM/f{n}h.jpeg" for n in range(7)]
    for n, key in enumerate(keys):
        index.apply_created(make_record(key, created_ms=T0 + n // 2), OLD)  # ties in pairs
    index.like(keys[0], "ana")    # likes do not move the fresh order
    index.apply_created(make_record("emotions/CALM/f9v.jpeg", created_ms=T0 + 99), OLD)
    seen, cursor = [], None
    while True:
        page = index.query_fresh("emotions", "CALM", "landscape", 3, cursor)
        seen += [r.key for r in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(keys) and len(seen) == len(set(seen))
    created = [index.get_image(k).created_ms for k in seen]
    assert created == sorted(created, reverse=True)
    assert seen[0] == keys[6]
    with pytest.raises(InvalidRequest):
        index.query_fresh("emotions", "CALM", "landscape", 3, "bm90LWEtY3Vyc29y")
    rank_cursor = index.query("emotions", "CALM", "landscape", 2).cursor
    with pytest.raises(InvalidRequest):
        index.query_fresh("emotions", "CALM", "landscape", 3, rank_cursor)


# --- favorites: a filter on the garden queries, counted per emotion ----------------------------
def test_query_and_fresh_filter_by_favorite_across_pages(index, make_record):
    mixed = []
    for n in range(30):   # one favorite image in three: filtered pages must read on
        favorite = "spring,cloudy,day" if n % 3 == 0 else ("cat" if n % 3 == 1 else None)
        middle = f"{favorite}/" if favorite else ""
        key = f"emotions/HAPPY/{middle}m{n:02d}h.jpeg"
        index.apply_created(make_record(key, created_ms=T0 + n), OLD)
        mixed.append((key, favorite))
    index.apply_created(make_record("emotions/HAPPY/spring,cloudy,day/xv.jpeg"), OLD)
    index.apply_created(make_record("emotions/SAD/spring,cloudy,day/yh.jpeg"), OLD)
    wanted = {k for k, f in mixed if f == "spring,cloudy,day"}
    for read in (index.query, index.query_fresh):
        seen, cursor = [], None
        while True:
            page = read("emotions", "HAPPY", "landscape", 3, cursor, "spring,cloudy,day")
            assert len(page.items) <= 3
            seen += [r.key for r in page.items]
            if page.cursor is None:
                break
            assert len(page.items) == 3
            cursor = page.cursor
        assert sorted(seen) == sorted(wanted) and len(seen) == len(set(seen))
        assert all(index.get_image(k).favorite == "spring,cloudy,day" for k in seen)
    assert index.query("emotions", "HAPPY", "landscape", 5, favorite="none-such").items == []
    assert len(index.query("emotions", "HAPPY", "landscape", 100).items) == 30


def test_favorites_are_counted_per_area_and_emotion(index, make_record):
    for key in ("emotions/HAPPY/cat/ah.jpeg", "emotions/HAPPY/cat/bv.jpeg",
                "emotions/happy/spring,cloudy,day/img_1h.jpeg", "emotions/HAPPY/ch.jpeg",
                "pool/HAPPY/cat/dh.jpeg", "emotions/SAD/cat/eh.jpeg"):
        index.apply_created(make_record(key), OLD)
    index.apply_removed("emotions/HAPPY/cat/bv.jpeg", NEW)
    assert index.favorites("emotions", "HAPPY") == {"cat": 1, "spring,cloudy,day": 1}
    assert index.favorites("pool", "HAPPY") == {"cat": 1}
    assert index.favorites("emotions", "FEAR") == {}
