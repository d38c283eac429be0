"""``emotion-garden serve`` (the local server: pages, API and images on one origin) and
``emotion-garden reindex`` (rebuild the image index from a listing of the store)."""
from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import demo, indexer
from ..bootstrap import Garden
from ..config import Settings
from ..errors import ConfigError, GardenError
from ..jobs.record import summary_view
from ..web import context, credentials, preflight
from . import target
from .progress import Progress

if TYPE_CHECKING:
    from ..web.local_server import GardenServer


def _serve(args: argparse.Namespace) -> int:
    stop = _Stop()   # first: a SIGTERM the moment the banner shows must find its handler
    try:
        return _start_and_serve(args, stop)
    except KeyboardInterrupt:   # stopped before it served (Ctrl-C or SIGTERM during the start)
        if stop.made is not None:
            stop.made.server_close()
        print("emotion-garden: stopped before serving", file=sys.stderr)
        return 0
    finally:
        stop.restore()


def _start_and_serve(args: argparse.Namespace, stop: _Stop) -> int:
    try:
        garden = target.choose(args)
        settings = garden.settings
        if not settings.is_aws:
            garden.generators   # e.g. a bedrock: endpoint without AWS credentials: now
        garden.moderation       # a block list that is missing, empty or not UTF-8: now
    except ConfigError as exc:
        print(f"emotion-garden: {exc}", file=sys.stderr)
        return 2
    if not settings.is_aws and (problem := preflight.data_dir_problem(settings.data_dir)):
        print(f"emotion-garden: cannot serve: {problem}", file=sys.stderr)  # one clear line
        return 2
    if args.load_app is None:   # chalicelib.cli.main without the entry module: no app to serve
        print("emotion-garden: cannot serve: no app was handed over (run emotion-garden, "
              "garden_cli.main)", file=sys.stderr)
        return 2
    app = args.load_app()  # the Chalice app at the project's root: routes and Lambda shells

    from ..web.local_server import Tls, make_server
    context.install(garden)   # what the routes serve; the server adds the address it binds
    try:
        tls = _certificate(args, settings) if args.tls else None
        server = make_server(app, args.host, args.port,
                             tls=Tls(tls.certificate, tls.key) if tls else None)
    except ConfigError as exc:
        print(f"emotion-garden: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # before any key is printed: nothing to copy from a failed start
        busy = exc.errno == errno.EADDRINUSE
        print(f"emotion-garden: cannot listen on {args.host}:{args.port}: "
              f"{'the port is in use' if busy else exc.strerror}; choose another port with "
              f"PORT= (make run PORT=8001) or --port", file=sys.stderr)
        return 2
    stop.made = server
    try:
        # this server checks the key itself, whatever the backend: the same key on every start
        key = credentials.admin_key(settings.admin_key, settings.data_dir)
    except (ConfigError, OSError) as exc:
        server.server_close()
        print(f"emotion-garden: {exc}", file=sys.stderr)
        return 2
    garden = context.reconfigure(admin_key=key.value)
    settings = garden.settings
    if settings.demo and not settings.is_aws and demo.is_empty(garden.store):
        print("Planting demo flowers into the empty garden (GARDEN_DEMO=0 turns this off)…", flush=True)
        demo.plant(garden.store)
    for job_id in garden.resume_jobs():   # jobs a stopped server left go on
        print(f"Resumed job {job_id} (left running when its server stopped)", flush=True)
    stop.serving = server    # from here a signal stops it gracefully
    print(_banner(server.url, settings, tls, key), flush=True)   # the key last
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:   # a second Ctrl-C: stop without waiting for answers
        pass
    finally:
        server.shutdown()
        server.server_close()
        try:
            print(_closing(garden), flush=True)
        finally:
            context.forget()   # its heartbeat stops with it
    return 0


class _Stop:
    """SIGTERM (systemd, docker stop, kill) and Ctrl-C stop the server gracefully, HTTP and
    HTTPS alike: it stops accepting, answers the requests it has received (within its grace
    period), lets the port go, and the process exits 0 — instead of vanishing mid-answer.
    Installed before anything is printed or served: installed after the banner, it let a
    SIGTERM that came right after it kill the process (exit -15). Before the server serves,
    either interrupts the start (exit 0); a second one while it stops stops at once."""

    def __init__(self) -> None:
        self.made: GardenServer | None = None      # listening: closed if the start is stopped
        self.serving: GardenServer | None = None   # its banner printed: stopped gracefully
        self._asked = False
        self._previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        if self.serving is None or self._asked:
            raise KeyboardInterrupt
        self._asked = True
        self.serving.stop_soon()

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)


def _certificate(args: argparse.Namespace, settings: Settings) -> credentials.Certificate:
    """The given certificate and key (--tls-cert/--tls-key or GARDEN_TLS_CERT/GARDEN_TLS_KEY),
    else the self-signed one kept in the data directory (made on first start)."""
    cert, key = args.tls_cert or settings.tls_cert, args.tls_key or settings.tls_key
    if bool(cert) != bool(key):
        raise ConfigError("give both a TLS certificate and its key (--tls-cert and --tls-key), or neither")
    if cert and key:
        return credentials.given_certificate(Path(cert), Path(key))
    return credentials.self_signed(settings.data_dir, [args.host])


def _banner(url: str, settings: Settings, tls: credentials.Certificate | None,
            key: credentials.AdminKey) -> str:
    """What an operator needs, in the order they need it, the key last."""
    from ..web.origins import announcement   # which URL phones and screens get in links
    lines = [f"Emotion Garden at {url}/  (data: {settings.data_dir}; Ctrl-C stops)",
             f"  kiosk:          {url}/",
             f"  text to image:  {url}/text2image.html",
             f"  operator desk:  {url}/admin/",
             f"  links:          {announcement(url, settings)}"]
    if tls is not None:
        made = "made now, self-signed" if tls.made else str(tls.certificate)
        lines.append(f"  TLS certificate ({made}) SHA-256:")
        lines.append(f"                  {tls.fingerprint}")
    lines.append(f"  admin key:      {key.value}   (from {key.source})")
    return "\n".join(lines)


CLOSING_JOBS = 10   # jobs named in the closing lines; the rest counted


def _closing(garden: Garden) -> str:
    """The stopped server's last words: that it stopped, and which jobs it leaves RUNNING
    that its next start on this data directory resumes (paused ones stay paused)."""
    try:
        left = [summary_view(job) for job in garden.jobs_left_to_resume()]
    except GardenError as exc:   # a catalog that failed: the stop itself went well
        return f"Emotion Garden stopped (which jobs resume on the next start is unknown: {exc})"
    if not left:
        return "Emotion Garden stopped; no job was left running."
    lines = [f"Emotion Garden stopped; {len(left)} job(s) left running resume on the next "
             "start (emotion-garden jobs cancel ID drops one):"]
    lines += [f"  {view['jobId']}  {view['kind']}  {view['completed']}/{view['requested']} made"
              for view in left[:CLOSING_JOBS]]
    if len(left) > CLOSING_JOBS:
        lines.append(f"  and {len(left) - CLOSING_JOBS} more (emotion-garden jobs list "
                     "--status RUNNING)")
    return "\n".join(lines)


def _reindex(args: argparse.Namespace, garden: Garden) -> int:
    with Progress("reindex", 0, unit="object") as bar:
        report = indexer.reindex(garden.store, garden.image_index, progress=bar.update)
    for label, keys in (("added", report.added), ("updated", report.updated),
                        ("removed", report.removed), ("skipped", report.skipped)):
        for key in keys:
            print(f"{label}\t{key}")
    print(f"reindex: {len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.removed)} removed, {report.unchanged} unchanged, "
          f"{len(report.skipped)} skipped (outside the layout or not JPEG)")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve", help="run the local server (pages, API and images)",
        description="Run Emotion Garden on this machine: the kiosk, text to image, the "
                    "operator desk and the wall screens' pages, the HTTP API and the images, "
                    "on one origin (the data directory's images and catalog, or a stage's "
                    "with GARDEN_BACKEND=aws). When it is ready it prints the pages' "
                    "addresses and, last, the admin key. Jobs a stopped server or command "
                    "left running resume. Ctrl-C or SIGTERM stops it: the requests it has "
                    "received are answered, and it says which jobs resume on the next start.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default 127.0.0.1: this machine only; "
                            "0.0.0.0 serves the phones and screens of the network too)")
    serve.add_argument("--port", type=int, default=8000,
                       help="the port to listen on (default 8000; 0 picks a free one)")
    serve.add_argument("--tls", action="store_true",
                       help="speak HTTPS (a camera on another machine needs it); without "
                            "--tls-cert/--tls-key a self-signed certificate is made once and kept "
                            "in the data directory")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate (chain) for --tls")
    serve.add_argument("--tls-key", type=Path, help="PEM private key for --tls")
    target.add_options(serve, stage=False)
    serve.set_defaults(func=_serve)
    reindex = commands.add_parser("reindex", help="rebuild the catalog from a listing of the store")
    target.add_options(reindex, stage=False)
    reindex.set_defaults(func=target.guarded(_reindex))
