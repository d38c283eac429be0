"""Favorites: the garden filtered by favorite and the favorites counted, on the catalog port —
SQLite at 100,000 items and DynamoDB under moto (an in-process fake: its times say little,
its Query calls per answer are what the real table would bill) at 2,000."""
from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from chalicelib.catalog import Catalog, ImageRecord
from chalicelib.garden import Context, GardenQuery
from chalicelib.garden import garden as garden_page

from .bench_garden import _records
from .stats import summary, table, timed

LIMIT = 24
RARE = "spring,cloudy,day"     # one image in a thousand
COMMON = "rose"                # about one in five (bench_garden's mix)


def _with_rare(records: list[ImageRecord]) -> list[ImageRecord]:
    for i, record in enumerate(records):
        if i % 1000 == 500 and record.emotion:
            middle = record.key.split("/")
            name = middle[-1]
            record.key = f"{record.area}/{record.emotion}/{RARE}/{name}"
            record.favorite = RARE
    return records


def _cases(catalog: Catalog) -> list[tuple[str, Callable[[], object]]]:
    rng = random.Random(5)

    def page(favorite: str | None) -> Callable[[], object]:
        query = GardenQuery("HAPPY", LIMIT, order="rank", context=Context(favorite=favorite))
        return lambda: garden_page(catalog, catalog, lambda k: k, query, rng=rng)

    return [
        ("`garden()` rank order, both orientations, no favorite", page(None)),
        (f"the same, favorite `{COMMON}` (~20 %) first", page(COMMON)),
        (f"the same, favorite `{RARE}` (0.1 %: filled with the rest)", page(RARE)),
        ("`query(favorite=rose)`, one orientation", lambda: catalog.query("emotions", "HAPPY", "landscape",
                                                                          LIMIT, favorite=COMMON)),
        ("`favorites(emotions, HAPPY)`", lambda: catalog.favorites("emotions", "HAPPY")),
    ]


def _measure(name: str, catalog: Catalog, n: int, repeat: int,
             calls: Callable[[], int] | None = None) -> list[list[object]]:
    rows: list[list[object]] = []
    for label, fn in _cases(catalog):
        before = calls() if calls else 0
        fn()
        per_call = (calls() - before) if calls else "—"
        median, p95, p99 = summary(timed(fn, repeat))
        rows.append([name, f"{n:,}", label, f"{median:.2f}", f"{p95:.2f}", f"{p99:.2f}", per_call])
    return rows


def _sqlite(tmp: Path, n: int, repeat: int) -> list[list[object]]:
    from chalicelib.catalog.sqlite import SqliteImageIndex
    catalog = SqliteImageIndex(tmp / f"favorites-{n}.sqlite3")
    catalog.bulk_insert(_with_rare(_records(n)), "0001")
    rows = _measure("SQLite", catalog, n, repeat)
    catalog.close()
    return rows


def _moto(n: int, repeat: int) -> list[list[object]]:
    import boto3
    from moto import mock_aws

    from chalicelib.catalog.dynamodb import DynamoImageIndex, create_table
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        create_table(resource, "favorites-bench")
        table_ = resource.Table("favorites-bench")
        catalog = DynamoImageIndex(table_)
        for record in _with_rare(_records(n)):
            catalog.apply_created(record, "0001")
        queries = [0]

        def count(**_: object) -> None:
            queries[0] += 1
        table_.meta.client.meta.events.register("before-call.dynamodb.Query", count)
        return _measure("DynamoDB (moto)", catalog, n, repeat, lambda: queries[0])


def run() -> str:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = _sqlite(Path(tmp), 100_000, 200)
    rows += _moto(2_000, 20)
    return "\n".join([
        "## Favorites",
        "",
        "The garden with a favorite (its images first, then the rest of the emotion's) and the count of images per "
        "favorite, straight on the catalog port. SQLite: a filter on the `images_garden` range (area, emotion, "
        "orientation, likes, created). DynamoDB: a FilterExpression on the garden index's partition — a rare favorite "
        "reads on through the emotion's entries (200 a Query call) until the page is full or the partition ends, so "
        "its cost (billed by the data read, not the data returned) grows with the emotion's size; `favorites` reads the "
        "emotion's two partitions projected to `favorite` (never the whole table). Milliseconds; "
        "\"Query calls\" is per answer.",
        "",
        table(["catalog", "images", "operation", "median ms", "p95 ms", "p99 ms", "Query calls"], rows),
        "",
        f"_{time.perf_counter() - started:.0f} s including loading._",
    ])
