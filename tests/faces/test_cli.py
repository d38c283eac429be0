"""``emotion-garden analyze PHOTO...``: one JSON line per photo."""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys

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


def test_native_start_up_chatter_is_held_and_only_shown_when_the_block_fails(capfd):
    with cli.native_stderr_held():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
    assert capfd.readouterr().err == ""
    with pytest.raises(RuntimeError), cli.native_stderr_held():
        os.write(2, b"F0000 model.cc:12] cannot map the model\n")
        raise RuntimeError("the runtime failed")
    assert capfd.readouterr().err == "F0000 model.cc:12] cannot map the model\n"
    os.write(2, b"after\n")                      # fd 2 is back where it was
    assert capfd.readouterr().err == "after\n"


@pytest.mark.slow
def test_the_command_prints_no_model_runtime_noise(tmp_path, astronaut):
    photo = tmp_path / "smiling.jpg"
    photo.write_bytes(jpeg(astronaut))
    done = subprocess.run([sys.executable, "-c", "import sys; from chalicelib.cli import main; sys.exit(main())",
                           "analyze", str(photo)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "GARDEN_DATA_DIR": str(tmp_path / "garden")})
    assert done.returncode == 0 and json.loads(done.stdout)["emotions"] == "HAPPY"
    assert done.stderr == ""
