"""Structured logs: one JSON line per event. Never image bytes, never face data."""
from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_logger = logging.getLogger("emotion_garden")
# The request's or job's id, added to every line logged while it is set, so one visitor's
# request (API Gateway's request id or X-Correlation-Id) or one job (its id, carried through
# the workflow's tasks) can be followed across functions in CloudWatch Logs Insights.
_correlation: ContextVar[str | None] = ContextVar("garden_correlation_id", default=None)


def configure() -> None:
    """Plain JSON lines on stderr (Lambda ships them to CloudWatch as they are)."""
    if not _logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
        _logger.propagate = False


def correlation_id() -> str | None:
    return _correlation.get()


@contextmanager
def correlated(correlation: str | None = None) -> Iterator[str]:
    """``with logs.correlated(request_id):`` — every log line (and metric) inside carries
    ``correlationId``; a new id is made when none is given. Context-local: threads and
    concurrent requests never see each other's."""
    value = (correlation or "").strip()[:128] or uuid.uuid4().hex
    token = _correlation.set(value)
    try:
        yield value
    finally:
        _correlation.reset(token)


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    record = {"ts": round(time.time(), 3), "event": name, **fields}
    if "correlationId" not in record and _correlation.get() is not None:
        record["correlationId"] = _correlation.get()
    _logger.log(level, json.dumps(record, default=str, ensure_ascii=False))
