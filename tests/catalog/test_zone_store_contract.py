"""The ZoneStore port's contract, run against the memory, SQLite and DynamoDB (moto)
adapters alike (the ``zones`` fixture)."""
from __future__ import annotations

import threading

import pytest

from chalicelib.catalog import Reading, ZoneStore
from chalicelib.catalog.dynamodb import DynamoZoneStore
from chalicelib.catalog.memory import MemoryZoneStore
from chalicelib.catalog.sqlite import SqliteZoneStore
from chalicelib.errors import InvalidRequest
from tests.catalog._ports import assert_implements
from tests.catalog.conftest import ADAPTERS

T0 = 1_700_000_000_000


@pytest.fixture(params=ADAPTERS)
def zones(request: pytest.FixtureRequest) -> ZoneStore:
    if request.param == "memory":
        return MemoryZoneStore()
    if request.param == "sqlite":
        return SqliteZoneStore(request.getfixturevalue("sqlite_database"))
    return DynamoZoneStore(request.getfixturevalue("dynamo_table"))


def config(zone: int, **fields) -> dict:
    return {"zone": zone, "mode": "loved", "emotion": "HAPPY", "images": [], "caption": None,
            "interval": 8, "updated": "2026-05-01T10:00:00.000Z", **fields}


@pytest.mark.parametrize("adapter", [MemoryZoneStore, SqliteZoneStore, DynamoZoneStore])
def test_every_public_method_of_the_port_exists_on_each_adapter(adapter):
    assert_implements(adapter, ZoneStore, 6)


def test_a_zone_is_put_read_replaced_and_deleted(zones):
    assert zones.get_zone(3) is None
    zones.put_zone(config(3, caption="Spring room — 봄"))
    assert zones.get_zone(3) == config(3, caption="Spring room — 봄")
    zones.put_zone(config(3, mode="chosen", emotion=None,
                          images=["emotions/HAPPY/rose h.jpeg", "emotions/sad/fav,x/av.jpeg"]))
    assert zones.get_zone(3)["images"] == ["emotions/HAPPY/rose h.jpeg",
                                           "emotions/sad/fav,x/av.jpeg"]
    assert zones.get_zone(3)["mode"] == "chosen"
    assert zones.delete_zone(3) is True
    assert zones.get_zone(3) is None
    assert zones.delete_zone(3) is False


def test_zones_are_listed_by_number(zones):
    assert zones.list_zones() == []
    for zone in (12, 1, 99, 2):
        zones.put_zone(config(zone))
    assert [z["zone"] for z in zones.list_zones()] == [1, 2, 12, 99]
    zones.delete_zone(2)
    assert [z["zone"] for z in zones.list_zones()] == [1, 12, 99]


def test_copies_are_handed_out_never_what_is_held(zones):
    kept = config(5, images=["emotions/HAPPY/a h.jpeg"])
    zones.put_zone(kept)
    kept["images"].append("emotions/HAPPY/b h.jpeg")
    got = zones.get_zone(5)
    got["images"].append("emotions/HAPPY/c h.jpeg")
    assert zones.get_zone(5)["images"] == ["emotions/HAPPY/a h.jpeg"]


def test_a_full_configuration_of_two_hundred_long_keys_fits(zones):
    keys = [f"emotions/HAPPY/{'x' * 200}/{n:04d}{'y' * 700}h.jpeg" for n in range(200)]
    zones.put_zone(config(7, mode="chosen", images=keys))
    assert zones.get_zone(7)["images"] == keys


@pytest.mark.parametrize("zone", [0, 100, -1, "1", 1.0, True, None, 2**70])
def test_zone_numbers_outside_1_to_99_are_invalid_requests(zones, zone):
    with pytest.raises(InvalidRequest):
        zones.put_zone(config(1) | {"zone": zone})
    with pytest.raises(InvalidRequest):
        zones.get_zone(zone)
    with pytest.raises(InvalidRequest):
        zones.delete_zone(zone)
    assert zones.list_zones() == []


def test_what_json_cannot_hold_is_an_invalid_request(zones):
    with pytest.raises(InvalidRequest):
        zones.put_zone(config(1, interval=float("nan")))
    with pytest.raises(InvalidRequest):
        zones.put_zone(config(1, images={"a", "b"}))
    assert zones.get_zone(1) is None


def test_the_last_kiosk_reading_is_kept_and_an_older_one_never_hides_it(zones):
    assert zones.last_reading() is None
    assert zones.record_reading("HAPPY", T0) is True
    assert zones.last_reading() == Reading("HAPPY", T0)
    assert zones.record_reading("SAD", T0 + 1500) is True
    assert zones.last_reading() == Reading("SAD", T0 + 1500)
    assert zones.record_reading("ANGRY", T0 + 1000) is False   # landed late
    assert zones.last_reading() == Reading("SAD", T0 + 1500)
    assert zones.record_reading("CALM", T0 + 1500) is True     # the same millisecond: the later call
    assert zones.last_reading() == Reading("CALM", T0 + 1500)


@pytest.mark.parametrize("emotion, at_ms", [("", T0), (None, T0), ("HAPPY", -1), ("HAPPY", 1.5),
                                            ("HAPPY", True), ("X" * 33, T0)])
def test_bad_readings_are_invalid_requests(zones, emotion, at_ms):
    with pytest.raises(InvalidRequest):
        zones.record_reading(emotion, at_ms)
    assert zones.last_reading() is None


def test_zones_and_the_reading_are_apart(zones):
    zones.record_reading("FEAR", T0)
    zones.put_zone(config(1))
    assert [z["zone"] for z in zones.list_zones()] == [1]
    assert zones.delete_zone(1) and zones.last_reading() == Reading("FEAR", T0)


def test_concurrent_readings_end_with_the_latest(zones):
    def record(n: int) -> None:
        zones.record_reading("HAPPY" if n % 2 else "SAD", T0 + n)
    threads = [threading.Thread(target=record, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert zones.last_reading() == Reading("HAPPY", T0 + 19)


# --- the documented layouts -------------------------------------------------------------------
def test_dynamodb_items_are_as_documented(dynamo_table):
    from chalicelib.catalog.dynamodb import zone_key
    store = DynamoZoneStore(dynamo_table)
    store.put_zone(config(4))
    store.record_reading("SURPRISED", T0)
    item = dynamo_table.get_item(Key=zone_key(4))["Item"]
    assert zone_key(4) == {"pk": "ZONE", "sk": "ZONE#04"}
    assert set(item) == {"pk", "sk", "zone", "doc"} and item["zone"] == 4 and "gpk" not in item
    reading = dynamo_table.get_item(Key={"pk": "KIOSK", "sk": "READING"})["Item"]
    assert reading == {"pk": "KIOSK", "sk": "READING", "emotion": "SURPRISED", "at_ms": T0}


def test_sqlite_zones_survive_reopening_the_file(sqlite_database):
    from chalicelib.catalog.sqlite import SqliteDatabase
    SqliteZoneStore(sqlite_database).put_zone(config(9))
    SqliteZoneStore(sqlite_database).record_reading("CALM", T0)
    sqlite_database.close()
    again = SqliteZoneStore(SqliteDatabase(sqlite_database.path))
    assert again.get_zone(9) == config(9) and again.last_reading() == Reading("CALM", T0)
    again.close()
