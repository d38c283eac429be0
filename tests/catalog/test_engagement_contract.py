"""The Engagement port's contract — likes per visitor, impression and like counters per
(image, segment) — run against the memory, SQLite and DynamoDB (moto) adapters alike. Each
adapter serves it from the same class as its ImageIndex (a like and the garden order are one
write): ``index`` places the images, ``engagement`` is the same adapter seen as this port."""
from __future__ import annotations

import json

import pytest

from chalicelib.catalog import Engagement, LikeExport
from chalicelib.catalog.dynamodb import DynamoImageIndex
from chalicelib.catalog.memory import MemoryImageIndex
from chalicelib.catalog.sqlite import SqliteImageIndex
from chalicelib.errors import ImageNotFound, InvalidRequest
from tests.catalog._ports import assert_implements

KEY = "emotions/HAPPY/rose/bloom 1h.jpeg"
T0 = 1_700_000_000_000
OLD, MID, NEW = "0062E99A88DC407297", "0062E99A88DC4072A0", "0062E99A88DC4072B1F"


def visible_keys(index, emotion="HAPPY", orientation="landscape", area="emotions"):
    return [r.key for r in index.query(area, emotion, orientation, 1000).items]


# --- the port itself -------------------------------------------------------------------------
@pytest.mark.parametrize("adapter", [MemoryImageIndex, SqliteImageIndex, DynamoImageIndex])
def test_every_public_method_of_the_engagement_port_exists_on_each_adapter(adapter):
    assert_implements(adapter, Engagement, 7)


# --- likes -------------------------------------------------------------------------------------
def test_a_visitor_likes_an_image_once(index, engagement, make_record):
    index.apply_created(make_record(KEY), OLD)
    assert engagement.like(KEY, "ana") == (1, True)
    assert engagement.like(KEY, "ana") == (1, False)
    assert engagement.like(KEY, "ben") == (2, True)
    assert index.get_image(KEY).likes == 2
    assert index.query("emotions", "HAPPY", "landscape", 5).items[0].likes == 2


def test_liking_an_unknown_or_removed_image_is_image_not_found(index, engagement, make_record):
    with pytest.raises(ImageNotFound):
        engagement.like(KEY, "ana")
    index.apply_created(make_record(KEY), OLD)
    index.apply_removed(KEY, NEW)
    with pytest.raises(ImageNotFound):
        engagement.like(KEY, "ana")
    assert index.get_image(KEY) is None  # the failed like created nothing


def test_export_and_restore_likes_merge_visitors(index, engagement, make_record):
    other = "emotions/SAD/bv.jpeg"
    index.apply_created(make_record(KEY), OLD)
    index.apply_created(make_record(other), OLD)
    index.apply_created(make_record("emotions/SAD/unlikedv.jpeg"), OLD)
    engagement.like(KEY, "ana")
    engagement.like(KEY, "ben")
    exported = sorted(engagement.export_likes(), key=lambda e: e.key)
    assert exported == [LikeExport(KEY, 2, ["ana", "ben"])]

    # Merging: visitors unioned, the count the larger of the backup's and the union's.
    assert engagement.restore_likes(LikeExport(KEY, 1, ["ben", "cy"])) is True
    assert index.get_image(KEY).likes == 3
    assert engagement.like(KEY, "cy") == (3, False)
    assert engagement.restore_likes(LikeExport(other, 10, ["dee"])) is True
    assert index.get_image(other).likes == 10
    assert engagement.restore_likes(LikeExport(other, 10, ["dee"])) is True  # idempotent
    assert index.get_image(other).likes == 10
    assert engagement.like(other, "eve") == (11, True)
    # The order follows restored likes.
    assert visible_keys(index, "SAD", "portrait")[0] == other

    assert engagement.restore_likes(LikeExport("emotions/HAPPY/none.jpeg", 3, ["x"])) is False
    assert index.get_image("emotions/HAPPY/none.jpeg") is None
    assert sorted(engagement.export_likes(), key=lambda e: e.key) == [
        LikeExport(KEY, 3, ["ana", "ben", "cy"]), LikeExport(other, 11, ["dee", "eve"])]


def test_restore_likes_into_a_removed_image_is_false(index, engagement, make_record):
    index.apply_created(make_record(KEY), OLD)
    index.apply_removed(KEY, NEW)
    assert engagement.restore_likes(LikeExport(KEY, 4, ["ana"])) is False
    assert list(engagement.export_likes()) == []


# --- counters: impressions and likes per (image, segment) -------------------------------------
def _counts(engagement, key, *segments):
    from chalicelib.rules.bandit import Counts
    got = engagement.counters([key], list(segments)).get(key, {})
    return {s: got.get(s, Counts()) for s in segments}


def test_an_impression_counts_once_per_visit_and_image_in_each_segment(index, engagement,
                                                                       make_record):
    from chalicelib.rules.bandit import Counts
    other = "emotions/HAPPY/otherh.jpeg"
    index.apply_created(make_record(KEY), OLD)
    index.apply_created(make_record(other), OLD)
    assert engagement.count_impressions("visit-1", [KEY, other, KEY], ["*", "g=adult"]) \
        == [KEY, other]
    # the same visit
    assert engagement.count_impressions("visit-1", [KEY], ["*", "g=adult"]) == []
    assert engagement.count_impressions("visit-2", [KEY], ["*", "g=child"]) == [KEY]
    assert _counts(engagement, KEY, "*", "g=adult", "g=child", "g=elder") == {
        "*": Counts(2, 0), "g=adult": Counts(1, 0), "g=child": Counts(1, 0), "g=elder": Counts()}
    engagement.count_like(KEY, ["*", "g=adult"])
    assert _counts(engagement, KEY, "*", "g=adult") == {"*": Counts(2, 1), "g=adult": Counts(1, 1)}
    # one batch read for many keys: only what exists comes back
    got = engagement.counters([KEY, other, "emotions/HAPPY/never.jpeg"], ["*", "g=child"])
    assert got == {KEY: {"*": Counts(2, 1), "g=child": Counts(1, 0)}, other: {"*": Counts(1, 0)}}


def test_impressions_and_likes_of_unknown_or_removed_images_count_nothing(index, engagement,
                                                                          make_record):
    index.apply_created(make_record(KEY), OLD)
    engagement.count_impressions("visit-1", [KEY], ["*"])
    index.apply_removed(KEY, NEW)
    assert engagement.count_impressions("visit-2", [KEY, "emotions/HAPPY/never.jpeg"], ["*"]) == []
    engagement.count_like(KEY, ["*"])
    assert engagement.counters([KEY], ["*"]) == {} and list(engagement.iter_counters()) == []
    # a re-created image starts from none: its counters went with the removal
    index.apply_created(make_record(KEY), "0062E99A88DC4072C1F")
    assert engagement.counters([KEY], ["*"]) == {}
    assert engagement.count_impressions("visit-3", [KEY], ["*"]) == [KEY]


def test_a_like_counts_in_its_segments_with_the_like_once_per_visitor(index, engagement,
                                                                      make_record):
    from chalicelib.rules.bandit import Counts
    index.apply_created(make_record(KEY), OLD)
    assert engagement.like(KEY, "ana", ["*", "g=adult"]) == (1, True)
    assert engagement.like(KEY, "ana", ["*", "g=adult"]) == (1, False)     # a retried like
    assert engagement.like(KEY, "ben", ["*", "g=child", "*"]) == (2, True)
    assert engagement.like(KEY, "cy") == (3, True)              # no segments: the like only
    assert _counts(engagement, KEY, "*", "g=adult", "g=child") == {
        "*": Counts(0, 2), "g=adult": Counts(0, 1), "g=child": Counts(0, 1)}
    with pytest.raises(InvalidRequest):
        engagement.like(KEY, "dee", [""])
    assert index.get_image(KEY).likes == 3 and engagement.like(KEY, "dee") == (4, True)


def test_a_like_of_a_removed_image_counts_nowhere(index, engagement, make_record):
    index.apply_created(make_record(KEY), OLD)
    index.apply_removed(KEY, NEW)
    with pytest.raises(ImageNotFound):
        engagement.like(KEY, "ana", ["*"])
    with pytest.raises(ImageNotFound):
        engagement.like("emotions/HAPPY/never.jpeg", "ana", ["*"])
    assert engagement.counters([KEY, "emotions/HAPPY/never.jpeg"], ["*"]) == {}


def test_counters_are_exported_per_image_and_segment_since_a_time(index, engagement, make_record):
    import time
    from chalicelib.rules.bandit import Counts
    index.apply_created(make_record(KEY), OLD)
    engagement.count_impressions("v", [KEY], ["*", "g=teenager"])
    engagement.count_like(KEY, ["*", "g=teenager"])
    rows = list(engagement.iter_counters())
    assert [(r.key, r.segment, r.counts) for r in rows] == [
        (KEY, "*", Counts(1, 1)), (KEY, "g=teenager", Counts(1, 1))]
    assert all(abs(r.updated_ms - time.time() * 1000) < 60_000 for r in rows)
    assert list(engagement.iter_counters(since_ms=rows[0].updated_ms + 60_000)) == []


def test_a_visit_id_is_never_stored_with_its_impressions(index, engagement, make_record):
    index.apply_created(make_record(KEY), OLD)
    engagement.count_impressions("visitor-secret-7", [KEY], ["*"])
    if isinstance(index, SqliteImageIndex):
        files = [index.db.path, index.db.path.with_name(index.db.path.name + "-wal")]
        dump = b"".join(f.read_bytes() for f in files if f.exists())
        assert b"visitor-secret-7" not in dump and b"secret" not in dump
    elif isinstance(index, DynamoImageIndex):
        items = index.table.scan()["Items"]
        assert "visitor-secret-7" not in json.dumps(items, default=str)
    else:
        assert "visitor-secret-7" not in repr(vars(index))


def test_bad_segments_are_refused(index, engagement, make_record):
    index.apply_created(make_record(KEY), OLD)
    for bad in ([""], ["x" * 201], [None]):
        with pytest.raises(InvalidRequest):
            engagement.count_impressions("v", [KEY], bad)
