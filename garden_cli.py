"""``emotion-garden`` (pyproject.toml's [project.scripts]): the command line, handed the app.

The Chalice app (app.py: routes and Lambda shells) sits above chalicelib, which never imports
it (import-linter): ``serve`` is given the app by this entry module, loaded only when a server
starts, so the operator's other commands never build it.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from chalicelib import cli

if TYPE_CHECKING:
    from chalice.app import Chalice


def load_app() -> Chalice:
    from app import app  # the Chalice app at the project's root
    return app


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, load_app=load_app)


if __name__ == "__main__":
    sys.exit(main())
