"""Structured logs: one JSON line per event. Never image bytes, never face data."""
from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_logger = logging.getLogger("emotion_garden")


def configure() -> None:
    """Plain JSON lines on stderr (Lambda ships them to CloudWatch as they are)."""
    if not _logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
        _logger.propagate = False


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    record = {"ts": round(time.time(), 3), "event": name, **fields}
    _logger.log(level, json.dumps(record, default=str, ensure_ascii=False))
