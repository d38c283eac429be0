"""A throwaway local garden for one benchmark: its own data directory and endpoints, the
index log lines quieted, and everything put back afterwards."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence

from chalicelib import bootstrap, config
from chalicelib.web import context


@contextlib.contextmanager
def local_garden(data_dir: str, endpoints: Sequence[str] | None = None) -> Iterator[None]:
    quiet = logging.getLogger("emotion_garden")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # one index line per image would flood stderr
    context.forget()
    settings = config.load(defaults={"GARDEN_BACKEND": "local"}).with_overrides(
        data_dir=data_dir, demo=False, endpoints=tuple(endpoints) if endpoints is not None else None)
    context.install(bootstrap.build(settings))
    try:
        yield
    finally:
        quiet.setLevel(level)
        context.forget()
