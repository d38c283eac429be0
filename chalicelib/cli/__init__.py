"""`emotion-garden`: the local server and the operator's tools, in one command.

Every subcommand lives in this package: ``serve`` and ``reindex`` (``serve``), ``generate``,
``bulk``/``pool``/``backup``/``restore`` (``pools``), ``analyze`` and ``endpoint``. Each
hands the garden it works on to the composition root through ``target``.
"""
from __future__ import annotations

import argparse
import sys

from . import analyze, endpoint, generate, pools, serve


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="emotion-garden", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    for module in (serve, analyze, endpoint, generate, pools):
        module.register(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
