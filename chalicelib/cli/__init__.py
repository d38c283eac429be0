"""`emotion-garden`: the local server and the operator's tools, in one command."""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    if args.data_dir:
        os.environ["GARDEN_DATA_DIR"] = str(args.data_dir)
    from . import bootstrap, config, demo
    from .errors import ConfigError
    try:
        settings = config.load()
    except ConfigError as exc:
        print(f"emotion-garden: {exc}", file=sys.stderr)
        return 2
    if settings.admin_key is None:  # this server checks the key itself, whatever the backend
        os.environ["GARDEN_ADMIN_KEY"] = secrets.token_urlsafe(24)
        print(f"Admin key for this run (set GARDEN_ADMIN_KEY to choose one): {os.environ['GARDEN_ADMIN_KEY']}",
              flush=True)
    from .server import make_server
    try:
        server = make_server(args.host, args.port)
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
    if args.data_dir:
        os.environ["GARDEN_DATA_DIR"] = str(args.data_dir)
    import app  # noqa: F401 - registers the event handler the local store feeds

    from . import bootstrap, indexer
    report = indexer.reindex(bootstrap.store(), bootstrap.catalog())
    for label, keys in (("added", report.added), ("updated", report.updated),
                        ("removed", report.removed), ("skipped", report.skipped)):
        for key in keys:
            print(f"{label}\t{key}")
    print(f"reindex: {len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.removed)} removed, {report.unchanged} unchanged, "
          f"{len(report.skipped)} skipped (outside the layout or not JPEG)")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="emotion-garden", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the local server (pages, API and images)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data-dir", type=Path, help="local data (default $GARDEN_DATA_DIR or ./.garden)")
    serve.set_defaults(func=_serve)
    reindex = commands.add_parser("reindex", help="rebuild the catalog from a listing of the store")
    reindex.add_argument("--data-dir", type=Path)
    reindex.set_defaults(func=_reindex)
    for register in _registrations():
        register(commands)
    return top


def _registrations():
    """Subcommands that live beside the parts they drive."""
    from .faces.cli import register as analyze
    from .generators.server import register as endpoint
    from .pools_cli import register as pools
    from .workflow.cli import register as generate
    return [analyze, endpoint, generate, pools]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
