"""``emotion-garden analyze PHOTO...``: one JSON line per photo."""
from __future__ import annotations

import argparse
import io
import json

import pytest

from chalicelib.cli import analyze as cli

from .conftest import jpeg


def test_register_adds_the_analyze_subcommand(tmp_path):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["analyze", "a.jpg", "b.png", "--analyzer", "rekognition"])
    assert [str(p) for p in args.photos] == ["a.jpg", "b.png"]
    assert args.analyzer == "rekognition" and args.func is cli.run


@pytest.mark.slow
def test_prints_one_json_line_per_photo(tmp_path, astronaut, no_face_photos):
    smiling, cat = tmp_path / "smiling.jpg", tmp_path / "cat.jpg"
    smiling.write_bytes(jpeg(astronaut))
    cat.write_bytes(no_face_photos["cat"])
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    status = cli.run(parser.parse_args(["analyze", str(smiling), str(cat),
                                        str(tmp_path / "missing.jpg")]), out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert status == 1
    assert lines[0]["photo"] == str(smiling) and lines[0]["emotions"] == "HAPPY"
    assert lines[0]["analyzer"] == "local" and lines[0]["bucket"] is None
    assert lines[1] == {"photo": str(cat), "error": "NotFound", "message": "No Face"}
    assert lines[2]["error"] == "OSError"
    assert set(tmp_path.iterdir()) == {smiling, cat}  # nothing written beside the photos
