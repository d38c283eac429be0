"""``emotion-garden generate`` on the local stack with the default (painter) endpoints."""
from __future__ import annotations

import argparse
import io

from PIL import Image

from chalicelib.cli import generate as cli
from chalicelib.rules import provenance


def generate(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["generate", *argv])
    out, err = io.StringIO(), io.StringIO()
    return args.func(args, out, err), out.getvalue(), err.getvalue()


def test_generate_saves_the_images_and_shows_progress(tmp_path):
    code, out, err = generate("A flower, calm", "--count", "3", "--width", "640", "--height", "480",
                              "--seed", "5", "--out", str(tmp_path / "out"))
    assert code == 0, err
    files = sorted((tmp_path / "out").glob("*.jpeg"))
    assert len(files) == 3 and len(out.splitlines()) == 3
    for n, path in enumerate(files):
        assert Image.open(path).size == (640, 480)
        assert provenance.read(path.read_bytes())["seed"] == 5 + n
    assert "3/3 images" in err and "SUCCEEDED" in err


def test_generate_prints_urls_without_out():
    code, out, _ = generate("A flower")
    assert code == 0 and len(out.splitlines()) == 2   # one per default endpoint
    assert all(line.startswith("http") for line in out.splitlines())


def test_a_bad_request_is_a_message_and_exit_2():
    code, out, err = generate("x", "--width", "333")
    assert code == 2 and out == "" and "768x512" in err


def test_progress_line():
    view = {"requested": 4, "completed": 2, "failed": 1, "status": "RUNNING"}
    line = cli.progress_line(view, 1.25)
    assert line.startswith("[" + "#" * 18 + "." * 6 + "]") and "2/4 images, 1 failed" in line
