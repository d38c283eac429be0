"""``emotion-garden analyze PHOTO...``: one JSON line per photo, the same fields as
``POST /emotion`` plus ``photo`` (the path). A photo that fails prints
``{"photo", "error", "message"}`` instead and the exit status is 1."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from .. import bootstrap
from ..errors import GardenError


def register(subparsers: Any) -> argparse.ArgumentParser:
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


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from ..faces import build_analyzer
    from ..faces.service import analyze_photo

    out = out or sys.stdout
    bootstrap.unconfigure()
    bootstrap.configure(analyzer=args.analyzer)
    analyzer = build_analyzer(bootstrap.settings())
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
