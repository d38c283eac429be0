"""The original system's data in ours, on the local stack and on the AWS adapters under moto:
an original-layout backup folder (lower-case emotions, favorites with commas, the pool under
``imgPool/``) restored and listed; ``imgPool/`` objects copied in with ``aws s3 cp`` moved to
our pool by their object events (or by a reindex when the events were lost); our own backups
keep favorites with commas through a round trip."""
from __future__ import annotations

from chalicelib import backup, indexer
from chalicelib.rules.layout import GARDEN, POOL
from tests.images import jpeg
from tests.pools.test_backup import make_stack, objects_of, restore, snapshot  # noqa: F401

FAV = "spring,cloudy,day"
ORIGINAL = {   # an original-layout backup folder: relative path → provenance
    f"emotions/happy/{FAV}/img_20230319_1h.jpeg": {"prompt": "A flower, spring, cloudy, day"},
    f"emotions/happy/{FAV}/img_20230319_2v.jpeg": {"prompt": "A flower, spring, cloudy, day"},
    "emotions/happy/cat/img_20230319_3h.jpeg": {"prompt": "A flower with cat"},
    "emotions/sad/img_20230319_4h.jpeg": {"prompt": "A flower, sad"},
    f"imgPool/happy/{FAV}/img_20230320_5h.jpeg": {"prompt": "A flower, spring, cloudy, day"},
    "imgPool/calm/img_20230320_6v.jpeg": {"prompt": "A flower, calm"},
}


def write_folder(directory, files: dict[str, dict]) -> dict[str, bytes]:
    written = {}
    for n, (rel, prov) in enumerate(files.items()):
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        written[rel] = jpeg(color=(30 * n, 80, 120), prov={**prov, "createdAt": f"2023-03-2{n}T10:00:00Z"})
        path.write_bytes(written[rel])
    return written


def ours(rel: str) -> str:
    return rel.replace("imgPool/", "pool/", 1)


def test_an_original_layout_backup_restores_with_favorites_and_its_pool(make_stack, tmp_path):
    written = write_folder(tmp_path / "original", ORIGINAL)
    stack = make_stack("target")
    report = restore(stack, tmp_path / "original")
    stack.deliver()   # no likes to wait for: bring the object events in
    assert report.complete and report.skipped == []
    assert sorted(report.written) == sorted(ours(k) for k in ORIGINAL)
    assert objects_of(stack.store) == {ours(k): v for k, v in written.items()}   # imgPool/ → pool/
    listed = {r.key: (r.area, r.emotion, r.favorite, r.orientation) for r in stack.catalog.iter_images()}
    assert listed == {
        f"emotions/happy/{FAV}/img_20230319_1h.jpeg": (GARDEN, "HAPPY", FAV, "landscape"),
        f"emotions/happy/{FAV}/img_20230319_2v.jpeg": (GARDEN, "HAPPY", FAV, "portrait"),
        "emotions/happy/cat/img_20230319_3h.jpeg": (GARDEN, "HAPPY", "cat", "landscape"),
        "emotions/sad/img_20230319_4h.jpeg": (GARDEN, "SAD", None, "landscape"),
        f"pool/happy/{FAV}/img_20230320_5h.jpeg": (POOL, "HAPPY", FAV, "landscape"),
        "pool/calm/img_20230320_6v.jpeg": (POOL, "CALM", None, "portrait"),
    }
    assert stack.catalog.favorites(GARDEN, "HAPPY") == {FAV: 2, "cat": 1}
    assert stack.catalog.favorites(POOL, "HAPPY") == {FAV: 1}
    page = stack.catalog.query(GARDEN, "HAPPY", "landscape", 10, favorite=FAV)
    assert [r.key for r in page.items] == [f"emotions/happy/{FAV}/img_20230319_1h.jpeg"]


def test_an_imgpool_object_copied_in_is_moved_to_our_pool_and_indexed(make_stack):
    stack = make_stack("live")
    data = jpeg(prov={"prompt": "A flower, spring, cloudy, day", "createdAt": "2023-03-20T10:00:00Z"})
    stack.store.put(f"imgPool/happy/{FAV}/img_9h.jpeg", data)     # aws s3 cp of an old pool file
    stack.deliver()
    assert objects_of(stack.store) == {f"pool/happy/{FAV}/img_9h.jpeg": data}
    record = stack.catalog.get_image(f"pool/happy/{FAV}/img_9h.jpeg")
    assert (record.area, record.emotion, record.favorite) == (POOL, "HAPPY", FAV)
    stack.store.put("imgPool/happy/notes.jpeg", jpeg())              # no orientation: left alone
    stack.deliver()
    assert stack.store.exists("imgPool/happy/notes.jpeg")
    assert [r.key for r in stack.catalog.iter_images()] == [f"pool/happy/{FAV}/img_9h.jpeg"]


def test_reindex_moves_imgpool_objects_whose_events_were_lost(tmp_path):
    from chalicelib.catalog.memory import MemoryImageIndex
    from chalicelib.storage.folder import FolderObjectStore
    store = FolderObjectStore(tmp_path / "objects", "http://127.0.0.1:8000")   # no events at all
    catalog = MemoryImageIndex()
    store.put("imgPool/sad/rose/img_1v.jpeg", jpeg())
    report = indexer.reindex(store, catalog)
    assert report.added == ["pool/sad/rose/img_1v.jpeg"] and not store.exists("imgPool/sad/rose/img_1v.jpeg")
    assert catalog.get_image("pool/sad/rose/img_1v.jpeg").favorite == "rose"


def test_our_backups_keep_favorites_with_commas_through_a_round_trip(make_stack, tmp_path):
    source = make_stack("source")
    for n, key in enumerate([f"emotions/HAPPY/{FAV}/img_1h.jpeg", f"pool/CALM/{FAV}/img_2v.jpeg",
                             "emotions/SAD/autumn,rainy,night/img_3h.jpeg"]):
        source.store.put(key, jpeg(color=(n * 60, 10, 10), prov={"prompt": "p", "seed": n, "createdAt": "2026-01-01T00:00:00Z"}))
    source.deliver()
    source.catalog.like(f"emotions/HAPPY/{FAV}/img_1h.jpeg", "v1")
    before = snapshot(source.catalog)
    backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk")
    assert (tmp_path / "bk" / "emotions" / "HAPPY" / FAV / "img_1h.jpeg").is_file()
    target = make_stack("target")
    report = restore(target, tmp_path / "bk")
    assert report.complete and report.likes_restored == 1
    assert snapshot(target.catalog) == before
    assert {r.favorite for r in target.catalog.iter_images()} == {FAV, "autumn,rainy,night"}


def test_the_cli_bulk_takes_a_favorite_matrix_and_a_favorite_list(tmp_path, capsys):
    import argparse

    from chalicelib.cli import pools as pools_cli
    top = argparse.ArgumentParser(prog="emotion-garden")
    pools_cli.register(top.add_subparsers(dest="command", required=True))
    args = top.parse_args(["bulk", "--emotion", "calm", "--count", "1", "--orientation", "portrait",
                           "--season", "spring", "--season", "autumn", "--time", "night",
                           "--data-dir", str(tmp_path / "garden")])
    assert pools_cli.bulk_body(args)["matrix"] == {"season": ["spring", "autumn"], "time": ["night"]}
    assert args.func(args) == 0, capsys.readouterr()
    keys = sorted(line for line in capsys.readouterr().out.splitlines() if line.startswith("pool/"))
    assert [k.split("/")[2] for k in keys] == ["autumn,night", "spring,night"]
    listed = top.parse_args(["bulk", "--emotion", "sad", "--count", "1", "--favorites", "rose",
                             "--favorites", "spring,cloudy,day"])
    assert pools_cli.bulk_body(listed)["favorites"] == ["rose", "spring,cloudy,day"]
