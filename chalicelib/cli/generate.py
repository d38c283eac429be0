"""``emotion-garden generate "PROMPT"``: text-to-image from the command line, with progress.

Runs against whatever the configuration points at: locally the in-process engine, folder
store and SQLite catalog (so the images are indexed like any others); with
GARDEN_BACKEND=aws, the deployed state machine, S3 and DynamoDB (boto3's usual credentials).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .. import bootstrap
from ..errors import GardenError
from ..jobs import lifecycle, text2image
from ..jobs.record import FINAL, RUNNING, SUCCEEDED
from . import target

BAR = 24


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate", help="generate images from a prompt over every configured endpoint",
        description="Text-to-image through the same workflow as POST /text2image.")
    parser.add_argument("prompt")
    parser.add_argument("--count", type=int, help="images (1-16; default one per endpoint)")
    parser.add_argument("--width", type=int, help="default 768")
    parser.add_argument("--height", type=int, help="default 512")
    parser.add_argument("--seed", type=int, help="seed of the first image (the next get +1, +2…)")
    parser.add_argument("--negative", help="negative prompt")
    parser.add_argument("--steps", type=int, help="inference steps (default 30)")
    parser.add_argument("--out", type=Path, help="save the images into this folder")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after (s)")
    target.add_options(parser, stage=False)
    parser.set_defaults(func=run_generate)


def progress_line(view: dict[str, Any], seconds: float) -> str:
    requested = max(1, int(view["requested"] or 1))
    done = view["completed"] + view["failed"]
    filled = min(BAR, round(BAR * done / requested))
    failed = f", {view['failed']} failed" if view["failed"] else ""
    return (f"[{'#' * filled}{'.' * (BAR - filled)}] {view['completed']}/{requested} images"
            f"{failed}  {seconds:5.1f} s  {view['status']}")


def _show(line: str, stream: TextIO, last: list[str]) -> None:
    if line == (last[0] if last else None):
        return
    if stream.isatty():
        stream.write("\r" + line)
    else:
        stream.write(line + "\n")
    stream.flush()
    last[:] = [line]


def run_generate(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        target.choose(args)
        settings = bootstrap.settings()
        body = {"text": args.prompt, "count": args.count, "width": args.width, "height": args.height,
                "seed": args.seed, "negative": args.negative, "steps": args.steps}
        request = text2image.parse_request({k: v for k, v in body.items() if v is not None},
                                           len(settings.endpoints))
        jobs, engine = bootstrap.job_store(), bootstrap.workflow()
        started = time.monotonic()
        job_id = text2image.start_job(request, jobs=jobs, engine=engine,
                                      endpoints=settings.endpoints)
        err.write(f"job {job_id}: {request.count} image(s) of {request.width}x{request.height} "
                  f"over {len(settings.endpoints)} endpoint(s)\n")
        last: list[str] = []
        while True:
            view = lifecycle.get_job(job_id, jobs=jobs, engine=engine)
            elapsed = time.monotonic() - started
            _show(progress_line(view, elapsed), err, last)
            if view["status"] in FINAL or elapsed > args.timeout:
                break
            time.sleep(0.1)
        if err.isatty():
            err.write("\n")
        err.writelines(f"error: image {error.get('n')} on {error.get('endpoint')}: "
                      f"{error.get('error')}: {error.get('message')}\n" for error in view["errors"])
        store = bootstrap.store() if args.out else None
        for image in view["images"]:
            if store is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                path = args.out / f"{job_id}-{image['n']}.jpeg"
                path.write_bytes(store.get(image["key"]))
                out.write(f"{path}\t{image['url']}\n")
            else:
                out.write(image["url"] + "\n")
    except GardenError as exc:
        err.write(f"emotion-garden generate: {exc}\n")
        return 2
    if view["status"] == RUNNING:
        err.write(f"still running after {args.timeout:g} s; follow it with GET /jobs/{job_id}\n")
        return 3
    return 0 if view["status"] == SUCCEEDED else 1
