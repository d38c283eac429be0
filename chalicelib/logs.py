"""Structured logs: one JSON line per event. Never image bytes, never face data, never a
prompt or a photo: callers pass the fields they mean to log, and nothing else is added.

Inside Lambda the lines are Powertools for AWS Lambda's ``Logger`` (its JSON: ``level``,
``location``, ``message``, ``timestamp``, ``service``, plus ours: ``event``, the fields,
``correlationId``), from the Powertools layer; the server and the command line keep their own
lines (JSON on stderr, or ``Readable`` ones), and never import Powertools.
"""
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

from . import config

NAME = "emotion_garden"       # the server's and the command line's logger
SERVICE = "emotion-garden"    # the Powertools Logger's service (its own stdlib logger)
_logger = logging.getLogger(NAME)
_powertools: Any = None       # the Powertools Logger, inside Lambda (configure)
# A LogRecord's own attributes: a field of that name (``name``, ``args``…) is logged as ``name_``.
_RECORD_KEYS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# The request's or job's id, added to every line logged while it is set, so one visitor's
# request (API Gateway's request id or X-Correlation-Id) or one job (its id, carried through
# the workflow's tasks) can be followed across functions in CloudWatch Logs Insights.
_correlation: ContextVar[str | None] = ContextVar("garden_correlation_id", default=None)


def configure() -> None:
    """Inside Lambda: Powertools' ``Logger`` (JSON lines that Lambda ships to CloudWatch).
    Elsewhere: plain JSON lines on stderr, for the server. A logger the command line has
    already set up (``configure_cli``) is kept."""
    global _powertools
    if config.runtime().in_lambda:
        if _powertools is None:
            from aws_lambda_powertools import Logger   # the layer's (docs/deploy.md)
            _powertools = Logger(service=SERVICE)
        return
    if not _logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
        _logger.propagate = False


class Readable(logging.Formatter):
    """A JSON event as one short line a person reads: ``warning: image_failed endpoint=painter:
    error=EndpointTimeout`` (the timestamp dropped: the terminal shows it happening)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            fields = json.loads(message)
        except ValueError:
            fields = None
        if isinstance(fields, dict) and "event" in fields:
            fields.pop("ts", None)
            name = fields.pop("event")
            message = " ".join([str(name)] + [f"{key}={value}" for key, value in fields.items()])
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        return f"{record.levelname.lower()}: {message}"


def configure_cli(handler: logging.Handler, verbosity: int = 0) -> None:
    """The command line's logs: readable lines through ``handler`` (stderr, above the progress
    bars) at warning level, ``verbosity`` 1 for info, 2 for debug; libraries' loggers too."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler.setFormatter(Readable())
    for logger in (_logger, logging.getLogger()):
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
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
    """One event: its name and ``fields`` (and the correlation id inside ``correlated``)."""
    correlation = _correlation.get()
    if "correlationId" not in fields and correlation is not None:
        fields["correlationId"] = correlation
    if _powertools is not None:
        # the fields as the line's own keys; the correlation id travels per line (not through
        # append_keys, which all threads share)
        extra = {(f"{key}_" if key in _RECORD_KEYS else key): value for key, value in fields.items()}
        _powertools.log(level, name, extra={"event": name, **extra}, stacklevel=2)
        return
    record = {"ts": round(time.time(), 3), "event": name, **fields}
    _logger.log(level, json.dumps(record, default=str, ensure_ascii=False))
