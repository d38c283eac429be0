"""``emotion-garden serve`` (the local server: pages, API and images on one origin) and
``emotion-garden reindex`` (rebuild the image index from a listing of the store)."""
from __future__ import annotations

import argparse
import secrets
import sys

from .. import bootstrap, demo, indexer
from ..errors import ConfigError
from . import target


def _serve(args: argparse.Namespace) -> int:
    target.choose(args)
    try:
        settings = bootstrap.settings()
    except ConfigError as exc:
        print(f"emotion-garden: {exc}", file=sys.stderr)
        return 2
    if settings.admin_key is None:  # this server checks the key itself, whatever the backend
        key = secrets.token_urlsafe(24)
        bootstrap.configure(admin_key=key)
        print(f"Admin key for this run (set GARDEN_ADMIN_KEY to choose one): {key}", flush=True)
    from app import app  # the Chalice app at the project's root: routes and Lambda shells

    from ..web.local_server import make_server
    try:
        server = make_server(app, args.host, args.port)
    except OSError as exc:
        print(f"emotion-garden: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    settings = bootstrap.settings()
    if settings.demo and not settings.is_aws and demo.is_empty(bootstrap.store()):
        print("Planting demo flowers into the empty garden (GARDEN_DEMO=0 turns this off)…", flush=True)
        demo.plant(bootstrap.store())
    print(f"Emotion Garden at {server.url}/  (data: {settings.data_dir}; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _reindex(args: argparse.Namespace) -> int:
    report = indexer.reindex(bootstrap.store(), bootstrap.image_index())
    for label, keys in (("added", report.added), ("updated", report.updated),
                        ("removed", report.removed), ("skipped", report.skipped)):
        for key in keys:
            print(f"{label}\t{key}")
    print(f"reindex: {len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.removed)} removed, {report.unchanged} unchanged, "
          f"{len(report.skipped)} skipped (outside the layout or not JPEG)")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the local server (pages, API and images)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    target.add_options(serve, stage=False)
    serve.set_defaults(func=_serve)
    reindex = commands.add_parser("reindex", help="rebuild the catalog from a listing of the store")
    target.add_options(reindex, stage=False)
    reindex.set_defaults(func=target.guarded(_reindex))
