"""A like is one thing: the like, the image's count and the learned order's counters are
stored together or not at all, on every image index — so a like answered with an error was
not stored, and the kiosk's retry counts it once, in the likes and in the counters alike.

Each store is made to fail where its counters are written: DynamoDB cancels every
transaction that touches the image's counter item (TransactionConflict, as simultaneous likes
of one image do), SQLite refuses writes to ``image_counts`` (a trigger), the memory index's
counter update raises."""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib import garden
from chalicelib.catalog import Catalog, ImageIndex, ImageRecord
from chalicelib.catalog.dynamodb import DynamoImageIndex, create_table
from chalicelib.catalog.memory import MemoryImageIndex
from chalicelib.catalog.sqlite import SqliteImageIndex
from chalicelib.errors import ServiceUnavailable
from chalicelib.rules.bandit import Counts
from tests.catalog._moto import serialized_moto

KEY = "emotions/HAPPY/roseh.jpeg"
ADULT = {"generation": "adult"}


def _record() -> ImageRecord:
    return ImageRecord(key=KEY, area="emotions", emotion="HAPPY", favorite=None,
                       orientation="landscape", created_ms=1_700_000_000_000, size=100)


class CounterFailures:
    """Makes the index's counter writes fail while ``on`` (each store in its own way)."""

    def __init__(self, index: ImageIndex) -> None:
        self.index = index
        self.on = False
        self.refused = 0


def _dynamo_failing(index: DynamoImageIndex, failures: CounterFailures) -> None:
    real = index._client.transact_write_items

    def transact(**kwargs):
        items = kwargs["TransactItems"]
        touched = [next(iter(item.values())).get("Key", {}).get("sk") for item in items]
        if failures.on and "CNT" in touched:
            failures.refused += 1
            raise ClientError({"Error": {"Code": "TransactionCanceledException",
                                         "Message": "Transaction cancelled"},
                               "CancellationReasons": [
                                   {"Code": "TransactionConflict" if sk == "CNT" else "None"}
                                   for sk in touched]}, "TransactWriteItems")
        return real(**kwargs)
    index._client = type("Client", (), {"transact_write_items": staticmethod(transact),
                                        "batch_get_item": real.__self__.batch_get_item})()
    index.sleep = lambda seconds: None


def _sqlite_failing(index: SqliteImageIndex, failures: CounterFailures) -> None:
    def switch(on: bool) -> None:
        conn = sqlite3.connect(index.db.path)
        for event in ("INSERT", "UPDATE"):
            if on:
                conn.execute(f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON "
                             "image_counts BEGIN SELECT RAISE(ABORT, 'counters refused'); END")
            else:
                conn.execute(f"DROP TRIGGER refuse_{event.lower()}")
        conn.commit()
        conn.close()
    failures.switch = switch   # type: ignore[attr-defined]


def _memory_failing(index: MemoryImageIndex, failures: CounterFailures) -> None:
    real = index._add

    def add(*args, **kwargs):
        if failures.on:
            failures.refused += 1
            raise ServiceUnavailable("counters refused")
        return real(*args, **kwargs)
    index._add = add   # type: ignore[method-assign]


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def failing(request, tmp_path) -> Iterator[CounterFailures]:
    with contextlib.ExitStack() as stack:
        if request.param == "memory":
            index: ImageIndex = MemoryImageIndex()
            failures = CounterFailures(index)
            _memory_failing(index, failures)  # type: ignore[arg-type]
        elif request.param == "sqlite":
            index = SqliteImageIndex(tmp_path / "catalog.sqlite3")
            stack.callback(index.close)
            failures = CounterFailures(index)
            _sqlite_failing(index, failures)
        else:
            stack.enter_context(mock_aws())
            stack.enter_context(serialized_moto())
            resource = boto3.resource("dynamodb", region_name="us-east-1")
            create_table(resource, "atomic-likes")
            index = DynamoImageIndex(resource.Table("atomic-likes"))
            failures = CounterFailures(index)
            _dynamo_failing(index, failures)
        index.apply_created(_record(), "01")
        yield failures


def _turn(failures: CounterFailures, on: bool) -> None:
    failures.on = on
    if hasattr(failures, "switch"):
        failures.switch(on)


def _likes(index: Catalog) -> tuple[int, list[str]]:
    exported = {e.key: e for e in index.export_likes()}
    entry = exported.get(KEY)
    return index.get_image(KEY).likes, (entry.visitors if entry else [])


def test_a_like_whose_counters_cannot_be_written_is_not_stored_and_its_retry_counts_once(failing):
    index = failing.index
    _turn(failing, True)
    with pytest.raises(Exception):   # 503 (DynamoDB, memory) or a refused write (SQLite)
        garden.like(index, {"id": "visit-1", "itemId": KEY, "context": ADULT})
    assert _likes(index) == (0, [])                          # the error is the truth
    assert index.counters([KEY], ["*", "g=adult"]) == {}
    _turn(failing, False)
    answer = garden.like(index, {"id": "visit-1", "itemId": KEY, "context": ADULT})
    assert (answer["likes"], answer["counted"]) == (1, True)
    again = garden.like(index, {"id": "visit-1", "itemId": KEY, "context": ADULT})
    assert (again["likes"], again["counted"]) == (1, False)   # the kiosk asked once more
    assert _likes(index) == (1, ["visit-1"])
    assert index.counters([KEY], ["*", "g=adult"]) == {
        KEY: {"*": Counts(1, 1), "g=adult": Counts(1, 1)}}


def test_a_like_itself_stores_its_counters_in_the_same_write(failing):
    """The port alone, without the use case's impression first."""
    index = failing.index
    _turn(failing, True)
    with pytest.raises(Exception):
        index.like(KEY, "visit-2", ["*"])
    assert _likes(index) == (0, [])
    _turn(failing, False)
    assert index.like(KEY, "visit-2", ["*"]) == (1, True)
    assert index.counters([KEY], ["*"]) == {KEY: {"*": Counts(0, 1)}}


def test_likes_that_conflict_are_retried_whole_and_count_once(failing):
    """DynamoDB cancels simultaneous likes of one image (TransactionConflict on the counter
    item): each attempt is the whole like, so the one that lands counts once everywhere."""
    index = failing.index
    if not isinstance(index, DynamoImageIndex):
        pytest.skip("only DynamoDB's transactions conflict")
    conflicts = [3]
    real = index._client.transact_write_items

    def transact(**kwargs):
        if conflicts[0]:
            conflicts[0] -= 1
            failing.on = True
            try:
                return real(**kwargs)
            finally:
                failing.on = False
        return real(**kwargs)
    index._client.transact_write_items = transact
    assert index.like(KEY, "visit-3", ["*"]) == (1, True)
    assert failing.refused == 3 and conflicts == [0]
    assert index.counters([KEY], ["*"]) == {KEY: {"*": Counts(0, 1)}}
    assert index.like(KEY, "visit-3", ["*"]) == (1, False)
    assert index.counters([KEY], ["*"]) == {KEY: {"*": Counts(0, 1)}}
