"""One catalog contract, two adapters: the ``catalog`` fixture builds each in turn."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.catalog import Catalog, ImageRecord
from chalicelib.catalog.dynamodb import DynamoCatalog, create_table
from chalicelib.catalog.sqlite import SqliteCatalog

TABLE = "garden-catalog-test"


@pytest.fixture
def dynamo_table() -> Iterator[Any]:
    # tests/conftest.py already points boto3 at fake credentials and us-east-1.
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        create_table(resource, TABLE)
        yield resource.Table(TABLE)


@pytest.fixture
def sqlite_catalog(tmp_path: Path) -> Iterator[SqliteCatalog]:
    catalog = SqliteCatalog(tmp_path / "catalog.sqlite3")
    yield catalog
    catalog.close()


@pytest.fixture(params=["sqlite", "dynamodb"])
def catalog(request: pytest.FixtureRequest) -> Catalog:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_catalog")  # type: ignore[no-any-return]
    return DynamoCatalog(request.getfixturevalue("dynamo_table"))


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
