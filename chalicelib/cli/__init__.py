"""`emotion-garden`: the local server and the operator's tools, in one command.

Every subcommand lives in this package: ``serve`` and ``reindex`` (``serve``), ``generate``,
``bulk``/``pool``/``backup``/``restore`` (``pools``), ``jobs``, ``analyze``, ``endpoint`` and
``export-interactions`` (``export``). Each
hands the garden it works on to the composition root through ``target``.
"""
from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .. import logs
from . import analyze, endpoint, export, generate, jobs, pools, serve
from .progress import log_handler

if TYPE_CHECKING:
    from chalice.app import Chalice

SERVERS = ("serve", "endpoint")   # they keep the JSON log lines of the server and Lambda
INTERRUPTED = 130   # Ctrl-C's exit status in a shell (128 + SIGINT), for SIGTERM too
VERBOSE_HELP = "log more on stderr (-v info, -vv debug); by default only warnings"


def _verbose_everywhere(parser: argparse.ArgumentParser) -> None:
    """``-v`` before or after the subcommand: every (sub)command's parser takes it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                sub.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                                 help=VERBOSE_HELP)
                _verbose_everywhere(sub)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="emotion-garden", description=__doc__.splitlines()[0])
    top.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    commands = top.add_subparsers(dest="command", required=True)
    for module in (serve, analyze, endpoint, generate, pools, jobs, export):
        module.register(commands)
    _verbose_everywhere(top)
    return top


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM (kill, systemd, docker stop) interrupts a command as Ctrl-C does: the command
    says what it leaves behind (``bulk``: its job stays RUNNING and resumes; ``jobs watch``:
    the job goes on) instead of vanishing without a word. The main thread only; the
    previous handler comes back afterwards (tests run commands in their own process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None, load_app: Callable[[], Chalice] | None = None) -> int:
    """Run one command. ``load_app`` gives ``serve`` the Chalice app to serve: the entry module
    (garden_cli.py, above chalicelib, which never imports the app) hands it over."""
    args = parser().parse_args(argv)
    args.load_app = load_app
    if args.command not in SERVERS:
        logs.configure_cli(log_handler(), args.verbose)
    if args.command == "serve":
        status: int = args.func(args)    # its own stop: graceful, answering what it received
        return status
    with sigterm_as_ctrl_c():
        try:
            status = args.func(args)
        except KeyboardInterrupt:         # a command with nothing of its own to say
            print(f"emotion-garden {args.command}: stopped", file=sys.stderr)
            return INTERRUPTED
    return status


if __name__ == "__main__":
    sys.exit(main())
