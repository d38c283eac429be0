"""Display zones in backups: written beside the catalog, named in the manifest, restored
into an empty data store (local and AWS under moto, and through the CLI); keys of images
no longer in the garden stay in the configuration and out of the answers; backups made
before zones existed still restore."""
from __future__ import annotations

import json

import pytest

from chalicelib import backup, bootstrap, config, zones
from chalicelib.catalog.dynamodb import DynamoZoneStore
from chalicelib.catalog.sqlite import SqliteZoneStore
from tests.pools.test_backup import fill, make_stack, restore  # noqa: F401
from tests.pools.test_cli import run

CHOSEN = ["emotions/HAPPY/rose/img_1h.jpeg", "emotions/HAPPY/img_2v.jpeg",
          "emotions/happy/old_5h.jpeg"]


def zone_store(stack):
    catalog = stack.catalog
    return SqliteZoneStore(catalog.db) if hasattr(catalog, "db") else DynamoZoneStore(catalog.table)


def put(store, catalog, zone: int, body: dict, when: str = "2026-02-01T00:00:00.000Z") -> dict:
    return zones.put_zone(store, catalog, zone, body, now=lambda: when)


def test_zones_come_back_in_a_fresh_store(make_stack, tmp_path):
    source = make_stack("source")
    fill(source)
    source_zones = zone_store(source)
    put(source_zones, source.catalog, 1, {"mode": "chosen", "images": CHOSEN, "caption": "봄 Spring",
                                          "interval": 12})
    put(source_zones, source.catalog, 2, {"mode": "loved", "emotion": "sad"})
    put(source_zones, source.catalog, 42, {"mode": "follow"})
    put(source_zones, source.catalog, 3, {"mode": "newest"})
    report = backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk", zones=source_zones)
    assert report.zones == 4
    manifest = json.loads((tmp_path / "bk" / backup.MANIFEST).read_text())
    assert manifest["zones"] == "zones.json" and manifest["zoneCount"] == 4
    saved = json.loads((tmp_path / "bk" / "zones.json").read_text(encoding="utf-8"))
    assert [z["zone"] for z in saved["zones"]] == [1, 2, 3, 42]

    target = make_stack("target")
    target_zones = zone_store(target)
    result = restore(target, tmp_path / "bk", zones=target_zones)
    assert result.zones_restored == 4 and result.complete and result.skipped == []
    assert target_zones.list_zones() == source_zones.list_zones()
    assert zones.list_zones(target_zones)["zones"][0] == {
        "zone": 1, "mode": "chosen", "emotion": None, "images": CHOSEN, "caption": "봄 Spring",
        "interval": 12, "updated": "2026-02-01T00:00:00.000Z"}
    shown = zones.answer(target_zones, target.catalog, target.store.url, 1)
    assert [i["key"] for i in shown["landscape"]] == [CHOSEN[0], CHOSEN[2]]
    assert [i["key"] for i in shown["portrait"]] == [CHOSEN[1]]
    assert shown == zones.answer(source_zones, source.catalog, source.store.url, 1) | {
        "landscape": shown["landscape"], "portrait": shown["portrait"]}


def test_a_chosen_zone_keeps_keys_of_images_not_restored_and_leaves_them_out(make_stack, tmp_path):
    source = make_stack("source")
    fill(source)
    source_zones = zone_store(source)
    put(source_zones, source.catalog, 5, {"mode": "chosen", "images": CHOSEN})
    backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk", zones=source_zones)
    (tmp_path / "bk" / "emotions/HAPPY/img_2v.jpeg").unlink()   # that image is lost

    target = make_stack("target")
    target_zones = zone_store(target)
    result = restore(target, tmp_path / "bk", zones=target_zones)
    assert result.zones_restored == 1
    assert target_zones.get_zone(5)["images"] == CHOSEN
    shown = zones.answer(target_zones, target.catalog, target.store.url, 5)
    assert shown["portrait"] == [] and [i["key"] for i in shown["landscape"]] == [CHOSEN[0], CHOSEN[2]]


def test_a_backup_from_before_zones_still_restores(make_stack, tmp_path):
    source = make_stack("source")
    fill(source)
    backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk")   # no zone store: no zones.json
    assert not (tmp_path / "bk" / "zones.json").exists()
    assert "zones" not in json.loads((tmp_path / "bk" / backup.MANIFEST).read_text())
    target = make_stack("target")
    target_zones = zone_store(target)
    target_zones.put_zone({"zone": 9, "mode": "rotate"})
    result = restore(target, tmp_path / "bk", zones=target_zones)
    assert result.complete and result.zones_restored == 0 and result.skipped == []
    assert [z["zone"] for z in target_zones.list_zones()] == [9]   # left alone


@pytest.mark.parametrize("text, skipped", [
    ("not json", ["zones.json"]),
    ('{"zones": 7}', ["zones.json"]),
    ('{"zones": [{"zone": 0, "mode": "newest"}, {"zone": 2, "mode": "dance"}, "x",'
     ' {"zone": 3, "mode": "loved"}, {"zone": 4, "mode": "chosen", "images": ["../etc/passwd"]},'
     ' {"zone": 6, "mode": "loved", "emotion": "CALM", "caption": "' + "c" * 300 + '"},'
     ' {"zone": 5, "mode": "newest", "emotion": "fear", "updated": "' + "u" * 50 + '"}]}',
     ["zones.json:1", "zones.json:2", "zones.json:3", "zones.json:4", "zones.json:5",
      "zones.json:6"]),
])
def test_malformed_zones_are_reported_and_skipped(make_stack, tmp_path, text, skipped):
    source = make_stack("source")
    fill(source)
    backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk")
    (tmp_path / "bk" / "zones.json").write_text(text)
    target = make_stack("target")
    target_zones = zone_store(target)
    result = restore(target, tmp_path / "bk", zones=target_zones)
    assert [path for path, _ in result.skipped] == skipped
    restored = target_zones.list_zones()
    if len(skipped) > 2:
        assert restored == [{"zone": 5, "mode": "newest", "emotion": "FEAR", "images": [],
                             "caption": None, "interval": 8, "updated": None}]
    else:
        assert restored == []


def test_the_cli_backs_up_and_restores_zones_into_a_fresh_data_dir(tmp_path, capsys, monkeypatch):
    from chalicelib.web import context
    from tests.pools.conftest import plant
    first, second, folder = tmp_path / "one", tmp_path / "two", tmp_path / "bk"
    monkeypatch.setenv("GARDEN_DATA_DIR", str(first))
    context.rebuild()
    import app  # noqa: F401
    plant("emotions/HAPPY/ah.jpeg")
    zones.put_zone(context.current().zone_store, context.current().image_index, 2,
                   {"mode": "chosen", "images": ["emotions/HAPPY/ah.jpeg"], "caption": "hall"})
    zones.put_zone(context.current().zone_store, context.current().image_index, 3, {"mode": "follow"})
    assert run(["backup", str(folder), "--data-dir", str(first)]) == 0
    assert "2 display zones" in capsys.readouterr().out

    assert run(["restore", str(folder), "--data-dir", str(second)]) == 0
    assert "2 display zones" in capsys.readouterr().out
    # the CLI worked on its own garden: the one in the second data directory
    second_garden = bootstrap.build(config.load().with_overrides(data_dir=second))
    restored = second_garden.zone_store.list_zones()
    assert [(z["zone"], z["mode"], z["caption"]) for z in restored] == [(2, "chosen", "hall"),
                                                                       (3, "follow", None)]
    assert zones.answer(second_garden.zone_store, second_garden.image_index, second_garden.store.url,
                        2)["landscape"][0]["key"] == "emotions/HAPPY/ah.jpeg"
