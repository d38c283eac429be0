"""A throwaway local garden for one benchmark: its own data directory and endpoints, the
index log lines quieted, and everything put back afterwards."""
from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Sequence

from chalicelib import bootstrap


@contextlib.contextmanager
def local_garden(data_dir: str, endpoints: Sequence[str] | None = None) -> Iterator[None]:
    wanted = {"GARDEN_DATA_DIR": data_dir, "GARDEN_DEMO": "0", "GARDEN_BACKEND": "local",
              "GARDEN_PUBLIC_URL": None}
    if endpoints is not None:
        wanted["GARDEN_ENDPOINTS"] = json.dumps(list(endpoints))
    saved = {name: os.environ.get(name) for name in wanted}
    quiet = logging.getLogger("emotion_garden")
    level = quiet.level
    _apply(wanted)
    quiet.setLevel(logging.WARNING)  # one index line per image would flood stderr
    bootstrap.reset()
    try:
        yield
    finally:
        quiet.setLevel(level)
        _apply(saved)
        bootstrap.reset()


def _apply(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
