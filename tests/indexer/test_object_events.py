"""The catalog follows the store: object events, every kind and every record, in any order."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib import indexer
from chalicelib.storage.events import notification
from tests.images import jpeg
from tests.stacks import STACKS

EVENTS = Path(__file__).resolve().parent.parent / "events"
HAPPY = "emotions/happy/rose/img_1677142210h.jpeg"
SAD = "emotions/SAD/with cat/꽃 속+v.jpeg"
POOL = "pool/CALM/img_1677142299v.jpeg"


def load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(params=sorted(STACKS))
def stack(request, tmp_path):
    with STACKS[request.param](tmp_path) as pair:
        yield pair


def keys(catalog, prefix=""):
    return sorted(r.key for r in catalog.iter_images(prefix))


def test_every_record_of_a_restore_batch_is_indexed(stack):
    store, catalog = stack
    prov = {"prompt": "A flower, fantasy, happy", "seed": 7, "createdAt": "2026-02-01T10:00:00Z"}
    for key in (HAPPY, SAD, POOL, "emotions/NOSTALGIC/img_1677142300h.jpeg"):
        store.put(key, jpeg(prov=prov))
    outcomes = indexer.handle_event(load("s3_restore_batch.json"), store, catalog)
    assert keys(catalog) == sorted([HAPPY, SAD, POOL])  # the unknown emotion is skipped
    assert outcomes["added"] == 3 and outcomes["skipped"] == 1
    happy = catalog.get_image(HAPPY)
    assert (happy.area, happy.emotion, happy.favorite, happy.orientation) == ("emotions", "HAPPY", "rose", "landscape")
    assert happy.provenance["prompt"] == "A flower, fantasy, happy"
    assert happy.created_at == "2026-02-01T10:00:00.000Z"
    sad = catalog.get_image(SAD)
    assert (sad.emotion, sad.favorite, sad.orientation) == ("SAD", "with cat", "portrait")
    assert catalog.get_image(POOL).area == "pool"


def test_every_removal_kind_removes(stack):
    store, catalog = stack
    for key in (HAPPY, SAD, POOL):
        store.put(key, jpeg())
    indexer.handle_event(load("s3_restore_batch.json"), store, catalog)
    outcomes = indexer.handle_event(load("s3_removals.json"), store, catalog)
    assert outcomes["removed"] == 2
    assert keys(catalog) == [SAD]


def test_duplicate_delivery_changes_nothing(stack):
    store, catalog = stack
    for key in (HAPPY, SAD, POOL):
        store.put(key, jpeg())
    event = load("s3_restore_batch.json")
    indexer.handle_event(event, store, catalog)
    again = indexer.handle_event(event, store, catalog)
    assert again["duplicate"] == 3
    assert keys(catalog) == sorted([HAPPY, SAD, POOL])


def test_an_older_event_never_overwrites_a_newer_one(stack):
    store, catalog = stack
    store.put(HAPPY, jpeg())
    removal, creation = load("s3_removals.json"), load("s3_restore_batch.json")
    indexer.handle_event(removal, store, catalog)            # newer removal arrives first
    outcomes = indexer.handle_event(creation, store, catalog)  # then the older creation
    assert catalog.get_image(HAPPY) is None
    assert outcomes["stale"] == 1


def test_sequencers_of_different_lengths_compare_right_padded(stack):
    # S3: pad the shorter on the right with zeros, then compare — the newer here is shorter
    store, catalog = stack
    store.put(HAPPY, jpeg())
    older = notification("ObjectCreated:Put", "b", HAPPY, sequencer="0055AED6DCD90281E5")
    newer = notification("ObjectRemoved:Delete", "b", HAPPY, sequencer="0055AED6DCD90281F")
    indexer.handle_event(newer, store, catalog)
    assert indexer.handle_event(older, store, catalog)["stale"] == 1


def test_keys_outside_the_layout_are_skipped_without_an_exception(stack, caplog):
    store, catalog = stack
    event = load("s3_restore_batch.json")
    odd = copy.deepcopy(event["Records"][0])
    for n, key in enumerate(["backup.zip", "emotions/HAPPY/readme.jpeg", "emotions%2F..%2F..%2Fetc%2Fpasswd",
                             "text2image/job/extra/1.jpeg"]):
        record = copy.deepcopy(odd)
        record["s3"]["object"]["key"] = key
        record["s3"]["object"]["sequencer"] = f"00{n}"
        event["Records"].append(record)
    event["Records"].append({"eventName": "ObjectCreated:Put"})  # malformed record
    event["Records"] = event["Records"][4:]
    outcomes = indexer.handle_event(event, store, catalog)
    assert outcomes["skipped"] == 5
    assert keys(catalog) == []


def test_an_object_gone_before_indexing_is_skipped(stack):
    store, catalog = stack
    outcomes = indexer.handle_event(load("s3_restore_batch.json"), store, catalog)
    assert outcomes["skipped"] == 4 and keys(catalog) == []


def test_a_file_that_is_not_a_jpeg_is_not_catalogued(stack):
    store, catalog = stack
    store.put(HAPPY, b"<html>not an image</html>")
    indexer.handle_event(notification("ObjectCreated:Put", "b", HAPPY), store, catalog)
    assert catalog.get_image(HAPPY) is None


def test_reindex_rebuilds_a_lost_catalog_and_reports(stack):
    store, catalog = stack
    store.put(HAPPY, jpeg(prov={"prompt": "p", "createdAt": "2026-01-01T00:00:00Z"}))
    store.put(POOL, jpeg())
    store.put("emotions/HAPPY/notes.txt", b"x")
    first = indexer.reindex(store, catalog)
    assert sorted(first.added) == sorted([HAPPY, POOL])
    assert catalog.get_image(HAPPY).provenance["prompt"] == "p"
    store.delete(POOL)
    store.put(HAPPY, jpeg(prov={"prompt": "changed", "createdAt": "2026-01-01T00:00:00Z"}))
    second = indexer.reindex(store, catalog)
    assert second.removed == [POOL] and second.updated == [HAPPY] and second.added == []
    assert indexer.reindex(store, catalog).unchanged == 1


def test_reindex_keeps_likes(stack):
    store, catalog = stack
    store.put(HAPPY, jpeg())
    indexer.reindex(store, catalog)
    catalog.like(HAPPY, "visitor-1")
    indexer.reindex(store, catalog)
    assert catalog.get_image(HAPPY).likes == 1


def test_the_folder_store_feeds_the_same_handler(tmp_path):
    from chalicelib.catalog.sqlite import SqliteImageIndex
    from chalicelib.storage.folder import FolderObjectStore
    catalog = SqliteImageIndex(tmp_path / "c.sqlite3")
    store = FolderObjectStore(tmp_path / "o", "http://x",
                              on_event=lambda e: indexer.handle_event(e, store, catalog))  # type: ignore[arg-type]
    store.put(SAD, jpeg())
    assert keys(catalog) == [SAD]
    store.copy(SAD, POOL)
    store.delete(SAD)
    assert keys(catalog) == [POOL]
