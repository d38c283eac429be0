"""One contract per catalog port, three adapters each: the ``index`` and ``jobs`` fixtures
build the memory, SQLite and DynamoDB (moto) adapters in turn; ``engagement`` is the
``index`` adapter seen as that port."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from chalicelib.catalog import Engagement, ImageIndex, ImageRecord, JobStore
from chalicelib.catalog.dynamodb import DynamoImageIndex, DynamoJobStore, create_table
from chalicelib.catalog.memory import MemoryImageIndex, MemoryJobStore
from chalicelib.catalog.sqlite import SqliteDatabase, SqliteImageIndex, SqliteJobStore
from tests.catalog._moto import serialized_moto
from tests.timing import FakeClock

TABLE = "garden-catalog-test"
ADAPTERS = ["memory", "sqlite", "dynamodb"]


@pytest.fixture
def clock() -> FakeClock:
    """The job stores' clock (epoch seconds, 2026-01-01): leases and heartbeats run out when
    the test moves it, never while a loaded machine is slow."""
    return FakeClock(1_767_225_600.0)


@pytest.fixture
def dynamo_table() -> Iterator[Any]:
    # tests/conftest.py already points boto3 at fake credentials and us-east-1; moto's
    # requests are serialized (tests/catalog/_moto.py says why).
    with mock_aws(), serialized_moto():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        create_table(resource, TABLE)
        yield resource.Table(TABLE)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[SqliteDatabase]:
    """The one catalog file both SQLite adapters share, as the application opens it."""
    database = SqliteDatabase(tmp_path / "catalog.sqlite3")
    yield database
    database.close()


@pytest.fixture
def sqlite_images(sqlite_database: SqliteDatabase) -> SqliteImageIndex:
    return SqliteImageIndex(sqlite_database)


@pytest.fixture
def sqlite_jobs(sqlite_database: SqliteDatabase, clock: FakeClock) -> SqliteJobStore:
    return SqliteJobStore(sqlite_database, clock=clock)


@pytest.fixture(params=ADAPTERS)
def index(request: pytest.FixtureRequest) -> ImageIndex:
    if request.param == "memory":
        return MemoryImageIndex()
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_images")
    return DynamoImageIndex(request.getfixturevalue("dynamo_table"))


@pytest.fixture
def engagement(index: ImageIndex) -> Engagement:
    """The ``index`` adapter seen as the Engagement port: each adapter serves both from one
    class, as the composition root hands them out."""
    return cast(Engagement, index)


@pytest.fixture(params=ADAPTERS)
def jobs(request: pytest.FixtureRequest, clock: FakeClock) -> JobStore:
    """Each job store on the test's ``clock``."""
    if request.param == "memory":
        return MemoryJobStore(clock=clock)
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_jobs")
    return DynamoJobStore(request.getfixturevalue("dynamo_table"), clock=clock)


def _record(key: str, created_ms: int = 1_700_000_000_000, size: int = 1234,
            provenance: dict[str, Any] | None = None) -> ImageRecord:
    """A record as the event handler would build it from the key (layout.parse_key)."""
    from chalicelib.rules.layout import parse_key
    parsed = parse_key(key)
    return ImageRecord(key=key, area=parsed.area, emotion=parsed.emotion,
                       favorite=parsed.favorite, orientation=parsed.orientation,
                       created_ms=created_ms, size=size,
                       provenance={"prompt": "a rose", "seed": 7, "guidance": 7.5}
                       if provenance is None else provenance)


@pytest.fixture
def make_record() -> Callable[..., ImageRecord]:
    return _record
