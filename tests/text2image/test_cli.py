"""``emotion-garden generate`` on the local stack with the default (painter) endpoints."""
from __future__ import annotations

import argparse
import io
import socket
from dataclasses import replace

from PIL import Image

from chalicelib import config
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
    assert "generate |" in err and "| 3/3 [" in err and "image/s]" in err
    assert "SUCCEEDED: 3 of 3 image(s)" in err and "note:" not in err   # saved: no links to open


def test_generate_prints_urls_of_the_configured_public_url(monkeypatch):
    monkeypatch.setenv("GARDEN_PUBLIC_URL", "https://garden.example.org")
    code, out, err = generate("A flower")
    assert code == 0 and len(out.splitlines()) == 2   # one per default endpoint
    assert all(line.startswith("https://garden.example.org/text2image/") for line in out.splitlines())
    assert "note:" not in err


def test_links_say_when_no_server_is_there_to_open_them(monkeypatch):
    with socket.socket() as free:                       # a loopback port nobody listens on
        free.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{free.getsockname()[1]}"
    settings = replace(config.load({}), public_url=url)
    assert cli.links_note(settings).startswith(f"note: no server is running at {url}")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        assert cli.links_note(replace(settings, public_url=f"http://127.0.0.1:{port}")) is None
    assert cli.links_note(replace(settings, public_url_given=True)) is None


def test_a_bad_request_is_a_message_and_exit_2():
    code, out, err = generate("x", "--width", "333")
    assert code == 2 and out == "" and "768x512" in err
