"""``emotion-garden analyze PHOTO...``: one JSON line per photo, the same fields as
``POST /emotion`` plus ``photo`` (the path). A photo that fails prints
``{"photo", "error", "message"}`` instead and the exit status is 1."""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from .. import bootstrap, config
from ..errors import GardenError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``analyze`` to the top-level CLI. The parser's ``func`` default is the function
    to call with the parsed arguments; it returns the exit status."""
    parser = subparsers.add_parser(
        "analyze", help="read the emotion of the face in each photo (JSON lines)",
        description="Analyse photos with the configured face analyzer (GARDEN_ANALYZER: local "
                    "or rekognition) and print one JSON result per photo. Nothing is stored.")
    parser.add_argument("photos", nargs="+", metavar="PHOTO", type=Path,
                        help="a JPEG or PNG file")
    parser.add_argument("--analyzer", choices=("local", "rekognition"),
                        help="override GARDEN_ANALYZER for this run")
    parser.set_defaults(func=run)
    return parser


@contextmanager
def native_stderr_held(err: TextIO | None = None) -> Iterator[None]:
    """The model runtimes (MediaPipe, LiteRT, ONNX Runtime) write their start-up chatter
    straight to file descriptor 2, below Python. While this block runs, fd 2 goes into a pipe
    held in memory: dropped when the block ends well, written out when it fails (it may say
    why)."""
    err = err or sys.stderr
    try:
        err.flush()
        saved = os.dup(2)
    except (OSError, ValueError):        # no real fd 2 (an embedding host): nothing to hold
        yield
        return
    reader, writer = os.pipe()
    held: list[bytes] = []
    drain = threading.Thread(target=lambda: held.extend(iter(lambda: os.read(reader, 65536), b"")),
                             name="native-stderr", daemon=True)
    drain.start()
    os.dup2(writer, 2)
    os.close(writer)
    failed = True
    try:
        yield
        failed = False
    finally:
        os.dup2(saved, 2)                # the pipe's last writer closes: the drain ends
        os.close(saved)
        drain.join(timeout=2)
        os.close(reader)
        if failed and held:
            err.write(b"".join(held).decode("utf-8", "replace"))
            err.flush()


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = config.load().with_overrides(analyzer=args.analyzer)
    if getattr(args, "verbose", 0):
        return _analyze(args, bootstrap.build_analyzer(settings), out)
    with native_stderr_held():
        return _analyze(args, bootstrap.build_analyzer(settings), out)


def _analyze(args: argparse.Namespace, analyzer: Any, out: TextIO) -> int:
    from ..faces.service import analyze_photo

    status = 0
    for path in args.photos:
        result: dict[str, Any] = {"photo": str(path)}
        try:
            result.update(analyze_photo(path.read_bytes(), None, analyzer))
        except OSError as exc:
            result.update(error="OSError", message=exc.strerror or str(exc))
            status = 1
        except GardenError as exc:
            result.update(error=type(exc).__name__, message=str(exc))
            status = 1
        print(json.dumps(result, ensure_ascii=False), file=out, flush=True)
    return status
