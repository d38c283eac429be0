"""`emotion-garden bulk | pool list|publish|remove | backup DIR | restore DIR`: the operator's
pool and backup tools, with progress bars on stderr.

They use the same adapters as the app: the local data directory by default (``--data-dir``),
or a deployed stage (``--stage dev``: GARDEN_* settings from ``.chalice/config.json`` and the
environment, AWS credentials from the usual boto3 chain). Exit status: 0 done, 1 done with
failures, 2 refused (bad input or settings).
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .. import backup, curation
from ..bootstrap import Garden
from ..jobs import bulk, lifecycle
from ..jobs.record import RUNNING, SUCCEEDED
from ..rules.emotions import EMOTIONS
from ..web.edge import key_results
from . import target
from .progress import Progress


# --- bulk ---------------------------------------------------------------------------------------
def bulk_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"emotion": args.emotion, "count": args.count}
    for name, value in (("favorite", args.favorite), ("emotionText", args.emotion_text),
                        ("others", args.others), ("orientations", args.orientation),
                        ("seed", args.seed), ("steps", args.steps)):
        if value is not None:
            body[name] = value
    if args.favorites:
        body["favorites"] = args.favorites
    matrix = {axis: words for axis, words in (("season", args.season), ("weather", args.weather),
                                              ("time", args.time)) if words}
    if matrix:
        body["matrix"] = matrix
    return body


def _bulk(args: argparse.Namespace, garden: Garden) -> int:
    if args.no_wait and not garden.settings.is_aws:
        print("emotion-garden bulk: --no-wait needs a deployed stage (--stage): a local job "
              "runs inside this command and would stop when it returns", file=sys.stderr)
        return 2
    jobs, engine = garden.job_store, garden.workflow
    started = bulk.start_bulk(bulk_body(args), jobs=jobs, engine=engine,
                              endpoints=garden.settings.endpoints, moderation=garden.moderation)
    job_id = started["jobId"]
    print(f"job {job_id}: {started['requested']} images over {len(garden.settings.endpoints)} "
          f"endpoint(s)\nprompt: {started['prompt']}", flush=True)
    if args.no_wait:
        print(f"follow it with: {target.follow_command(job_id, args)}", flush=True)
        return 0
    bar = Progress("bulk", started["requested"])
    try:
        while True:
            job = lifecycle.get_job(job_id, jobs=jobs, engine=engine)
            bar.update(job["completed"] + job["failed"], job["failed"])
            if job["status"] != RUNNING:
                break
            time.sleep(args.poll)
    except KeyboardInterrupt:   # Ctrl-C, or SIGTERM (cli.sigterm_as_ctrl_c)
        bar.close()
        print(target.left_running(job_id, args, garden.settings.is_aws), file=sys.stderr)
        return 1
    bar.close()
    for image in job["images"]:
        print(image["key"])
    for error in job["errors"]:
        print(f"error\t{error.get('endpoint')}\t{error.get('error')}: {error.get('message')}", file=sys.stderr)
    print(f"{job['status']}: {job['completed']} in the pool, {job['failed']} failed "
          f"(review with: emotion-garden pool list --emotion {args.emotion.upper()})")
    return 0 if job["status"] == SUCCEEDED else 1


# --- pool ---------------------------------------------------------------------------------------
def _pool_items(garden: Garden, emotion: str, limit: int = 100) -> Iterable[dict[str, Any]]:
    cursor = None
    while True:
        params = {"emotion": emotion, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = curation.pool_page(garden.image_index, garden.store.url, params)
        yield from page["landscape"] + page["portrait"]
        cursor = page.get("cursor")
        if not cursor:
            return


POOL_COLUMNS = ("key", "orientation", "seed", "created", "prompt")


def _pool_list(args: argparse.Namespace, garden: Garden) -> int:
    print("\t".join(POOL_COLUMNS))      # `pool list | pool publish -` skips it
    total = 0
    for emotion in [args.emotion] if args.emotion else EMOTIONS:
        for item in _pool_items(garden, emotion):
            prov = item.get("provenance") or {}
            print("\t".join([item["key"], item["orientation"] or "", str(prov.get("seed", "")),
                             item["createdAt"], str(prov.get("prompt", ""))[:80]]))
            total += 1
    print(f"{total} image(s) in the pool", file=sys.stderr)
    return 0


def _keys_for(args: argparse.Namespace, garden: Garden) -> list[str]:
    keys = list(args.keys or [])
    if "-" in keys:
        keys.remove("-")
        # a key per line, or `pool list`'s lines as they are (the key is the first column)
        keys += [line.split("\t")[0].strip() for line in sys.stdin
                 if line.strip() and line.split("\t")[0].strip() != POOL_COLUMNS[0]]
    if getattr(args, "all", False):
        if not getattr(args, "emotion", None):
            raise SystemExit("emotion-garden: --all needs --emotion")
        params = {"emotion": args.emotion, "favorite": args.favorite}
        whole = curation.whole_pool(garden.image_index, params)
        keys += whole["keys"]
        if whole["marked"]:
            print(f"{whole['marked']} image(s) the moderation marked stay in the pool: view "
                  "each on the desk and publish it on its own", file=sys.stderr)
        if whole["truncated"]:
            print(f"the first {len(whole['keys'])} only: run it again for the rest", file=sys.stderr)
    if not keys and getattr(args, "all", False):
        raise SystemExit("emotion-garden: no image in that pool to act on")
    if not keys:
        raise SystemExit("emotion-garden: name the images' keys (or '-' to read them from stdin)")
    return keys


def _per_key(verb: str, label: str, keys: list[str],
             action: Callable[[list[str]], dict[str, Any]]) -> int:
    """``action`` on each key, a line per key (``label`` KEY on stdout, the status and why on
    stderr); the bar and the last line say how many were ``label`` and how many failed."""
    bar = Progress(verb, len(keys), succeeded=label)
    failed = 0
    lines = []
    for done, key in enumerate(keys, 1):
        result = action([key])["results"][0]
        if result["status"] != 200:
            failed += 1
            lines.append((sys.stderr, f"{result['status']}\t{key}\t{result.get('message', '')}"))
        else:
            lines.append((sys.stdout, f"{label}\t{key}" + (f"\t{result['publishedAs']}" if "publishedAs" in result else "")))
        bar.update(done, failed)
    bar.close()
    for stream, line in lines:
        print(line, file=stream)
    print(f"{verb}: {len(keys) - failed} {label}, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


def _pool_publish(args: argparse.Namespace, garden: Garden) -> int:
    return _per_key("publish", "published", _keys_for(args, garden),
                    lambda keys: key_results(curation.publish(garden.store, keys)))


def _pool_remove(args: argparse.Namespace, garden: Garden) -> int:
    return _per_key("remove", "removed", _keys_for(args, garden),
                    lambda keys: key_results(curation.remove(garden.store, keys)))


# --- backup / restore ----------------------------------------------------------------------------
def _backup(args: argparse.Namespace, garden: Garden) -> int:
    bar = Progress("backup", 0)
    report = backup.backup(garden.store, garden.image_index, garden.engagement, args.directory,
                           progress=lambda done, total, _: bar.update(done, total=total),
                           zones=garden.zone_store)
    bar.close()
    for key, why in report.failed:
        print(f"failed\t{key}\t{why}", file=sys.stderr)
    print(f"backup {report.directory}: {report.objects} images ({report.bytes / 1e6:.1f} MB), "
          f"{report.images} catalog entries, {report.liked} with likes, {report.zones} display zones"
          + (f", {len(report.failed)} failed (run again)" if report.failed else ""))
    return 1 if report.failed else 0


def _restore(args: argparse.Namespace, garden: Garden) -> int:
    wait = args.wait if args.wait is not None else (120.0 if garden.settings.is_aws else 0.0)
    bar = Progress("restore", 0)
    report = backup.restore(garden.store, garden.image_index, garden.engagement, args.directory,
                            progress=lambda done, total, _: bar.update(done, total=total),
                            wait_seconds=wait, zones=garden.zone_store)
    bar.close()
    for path, why in report.skipped:
        print(f"skipped\t{path}\t{why}", file=sys.stderr)
    for key, why in report.failed:
        print(f"failed\t{key}\t{why}", file=sys.stderr)
    for key in report.likes_pending:
        print(f"likes pending\t{key}\t(not catalogued yet)", file=sys.stderr)
    print(f"restore {report.directory}: {len(report.written)} written, {report.unchanged} already there, "
          f"{len(report.skipped)} skipped, {len(report.failed)} failed; likes: {report.likes_restored} "
          f"restored, {len(report.likes_pending)} pending; {report.zones_restored} display zones"
          + ("" if report.complete else " — run restore again to finish"))
    return 0 if report.complete else 1


# --- registration --------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bulk``, ``pool list|publish|remove``, ``backup DIR`` and ``restore DIR``."""

    bulk_cmd = subparsers.add_parser("bulk", help="generate a pool of images for an emotion")
    bulk_cmd.add_argument("--emotion", required=True, help="HAPPY, SAD, ANGRY, CONFUSED, DISGUSTED, SURPRISED, CALM or FEAR")
    bulk_cmd.add_argument("--count", type=int, required=True, help=f"images per orientation, 1-{bulk.MAX_PER_ORIENTATION}")
    bulk_cmd.add_argument("--favorite", help="e.g. rose, 'with cat' (also the pool folder)")
    bulk_cmd.add_argument("--favorites", action="append", metavar="FAVORITE",
                          help="one of several favorites, each getting --count images (repeat)")
    for axis, example in (("season", "spring"), ("weather", "cloudy"), ("time", "day")):
        bulk_cmd.add_argument(f"--{axis}", action="append", metavar="WORD",
                              help=f"a favorite matrix's {axis} word, e.g. {example} (repeat): every "
                                   "season,weather,time combination gets --count images")
    bulk_cmd.add_argument("--emotion-text", help="words replacing the emotion's template words")
    bulk_cmd.add_argument("--others", help="extra words for the prompt")
    bulk_cmd.add_argument("--orientation", action="append", choices=bulk.ORIENTATIONS,
                      help="landscape and/or portrait (default both; repeat for both)")
    bulk_cmd.add_argument("--seed", type=int, help="first seed (default random)")
    bulk_cmd.add_argument("--steps", type=int, help="inference steps (default 50)")
    bulk_cmd.add_argument("--no-wait", action="store_true", help="start the job and return")
    bulk_cmd.add_argument("--poll", type=float, default=0.25, help=argparse.SUPPRESS)
    target.add_options(bulk_cmd)
    bulk_cmd.set_defaults(func=target.guarded(_bulk))

    pool = subparsers.add_parser("pool", help="review the pool: list, publish, remove")
    actions = pool.add_subparsers(dest="pool_command", required=True)
    listing = actions.add_parser("list", help="pool images with seed and prompt")
    listing.add_argument("--emotion", help="one emotion (default all)")
    target.add_options(listing)
    listing.set_defaults(func=target.guarded(_pool_list))
    for name, run, what in (("publish", _pool_publish, "move pool images to the garden"),
                            ("remove", _pool_remove, "delete garden or pool images")):
        action = actions.add_parser(name, help=what)
        action.add_argument("keys", nargs="*", help="image keys ('-' reads them from stdin)")
        action.add_argument("--all", action="store_true",
                            help="every pool image of --emotion (and --favorite); images the "
                                 "moderation marked are left out")
        action.add_argument("--emotion", help="with --all")
        action.add_argument("--favorite", help="with --all: that favorite's pool only")
        target.add_options(action)
        action.set_defaults(func=target.guarded(run))

    saving = subparsers.add_parser("backup", help="copy garden and pool images plus the catalog (likes) to DIR")
    saving.add_argument("directory", type=Path, metavar="DIR")
    target.add_options(saving)
    saving.set_defaults(func=target.guarded(_backup))

    restoring = subparsers.add_parser("restore", help="write a backup's images back and restore likes")
    restoring.add_argument("directory", type=Path, metavar="DIR")
    restoring.add_argument("--wait", type=float, help="seconds to wait for indexing before likes "
                           "are reported pending (default 0 locally, 120 on a stage)")
    target.add_options(restoring)
    restoring.set_defaults(func=target.guarded(_restore))
