"""The operator's command line: reindex reports what it did."""
from __future__ import annotations

from chalicelib.cli import main
from chalicelib.storage.folder import FolderObjectStore
from tests.images import jpeg


def test_reindex_prints_what_it_added_updated_and_removed(tmp_path, capsys):
    data = tmp_path / "garden"
    store = FolderObjectStore(data / "objects", "http://127.0.0.1:8000")  # no events: a "lost" index
    store.put("emotions/HAPPY/ah.jpeg", jpeg())
    store.put("emotions/HAPPY/readme.txt", b"not an image")
    assert main(["reindex", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "added\temotions/HAPPY/ah.jpeg" in out and "1 added, 0 updated, 0 removed" in out
    store.delete("emotions/HAPPY/ah.jpeg")
    assert main(["reindex", "--data-dir", str(data)]) == 0
    assert "removed\temotions/HAPPY/ah.jpeg" in capsys.readouterr().out


def test_the_demo_garden_is_planted_and_indexed(tmp_path):
    import app  # noqa: F401 - the local store feeds app.index_objects
    from chalicelib import demo
    from chalicelib.web import context
    from chalicelib.rules.emotions import EMOTIONS
    store = context.current().store
    assert demo.is_empty(store)
    keys = demo.plant(store, per_orientation=1)
    assert len(keys) == 2 * len(EMOTIONS) and not demo.is_empty(store)
    catalog = context.current().image_index
    for emotion in EMOTIONS:
        assert catalog.count("emotions", emotion) == 2
    record = catalog.get_image(keys[0])
    assert record.provenance["demo"] is True and record.provenance["width"] == 1280


def test_every_subcommand_is_reachable_from_the_top_level_command():
    import argparse

    from chalicelib.cli import parser

    def leaves(command_parser, path):
        nested = [a for a in command_parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not nested:
            yield path, command_parser
        for action in nested:
            for name, sub in action.choices.items():
                yield from leaves(sub, path + [name])
    found = list(leaves(parser(), []))
    assert {" ".join(p) for p, _ in found} >= {"serve", "reindex", "analyze", "endpoint", "generate", "bulk",
                                               "pool list", "pool publish", "pool remove", "backup", "restore"}
    for path, sub in found:
        assert sub.get_default("func") is not None, path
