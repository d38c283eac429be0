"""``emotion-garden generate "PROMPT"``: text-to-image from the command line, with progress.

Runs against whatever the configuration points at: locally the in-process engine, folder
store and SQLite catalog (so the images are indexed like any others); with
GARDEN_BACKEND=aws, the deployed state machine, S3 and DynamoDB (boto3's usual credentials).
"""
from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import GardenError
from ..jobs import lifecycle, text2image
from ..jobs.record import FINAL, RUNNING, SUCCEEDED
from . import target
from .progress import Progress


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def server_answers(url: str, timeout: float = 0.3) -> bool:
    """Whether something listens where the image links point (a TCP connect, nothing sent)."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def links_note(settings: Settings) -> str | None:
    """Said before printing local image links when no server is there to open them."""
    if settings.is_aws or settings.public_url_given or server_answers(settings.public_url):
        return None
    return (f"note: no server is running at {settings.public_url}: these links open once "
            "`emotion-garden serve` (make run) is; set GARDEN_PUBLIC_URL when it runs "
            "elsewhere, or use --out DIR to save the images\n")


def run_generate(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    garden = None
    try:
        garden = target.choose(args)
        settings = garden.settings
        if not settings.is_aws:
            garden.generators   # a setting they need fails here, not on the first image
        body = {"text": args.prompt, "count": args.count, "width": args.width, "height": args.height,
                "seed": args.seed, "negative": args.negative, "steps": args.steps}
        request = text2image.parse_request({k: v for k, v in body.items() if v is not None},
                                           len(settings.endpoints))
        text2image.check(request, garden.moderation)   # refused: a GardenError, as below
        jobs, engine = garden.job_store, garden.workflow
        started = time.monotonic()
        job_id = text2image.start_job(request, jobs=jobs, engine=engine,
                                      endpoints=settings.endpoints)
        err.write(f"job {job_id}: {request.count} image(s) of {request.width}x{request.height} "
                  f"over {len(settings.endpoints)} endpoint(s)\n")
        try:
            with Progress("generate", request.count, stream=err) as bar:
                while True:
                    view = lifecycle.get_job(job_id, jobs=jobs, engine=engine)
                    bar.update(view["completed"] + view["failed"], view["failed"])
                    if view["status"] in FINAL or time.monotonic() - started > args.timeout:
                        break
                    time.sleep(0.1)
        except KeyboardInterrupt:   # Ctrl-C, or SIGTERM (cli.sigterm_as_ctrl_c): as bulk says
            err.write(target.left_running(job_id, args, settings.is_aws) + "\n")
            return 1
        err.write(f"{view['status']}: {view['completed']} of {request.count} image(s)"
                  + (f", {view['failed']} failed" if view["failed"] else "") + "\n")
        err.writelines(f"error: image {error.get('n')} on {error.get('endpoint')}: "
                      f"{error.get('error')}: {error.get('message')}\n" for error in view["errors"])
        store = garden.store if args.out else None
        note = None if args.out else links_note(settings)
        if note and view["images"]:
            err.write(note)
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
    finally:
        if garden is not None:
            garden.close()
    if view["status"] == RUNNING:
        err.write(f"still running after {args.timeout:g} s; follow it with: "
                  f"{target.follow_command(job_id, args)}\n")
        return 3
    return 0 if view["status"] == SUCCEEDED else 1
