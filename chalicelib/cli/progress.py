"""The one progress bar of every long command (bulk, generate, backup, restore, reindex, jobs
watch), on tqdm: done/total, failures, rate and time left.

On a terminal it is one line redrawn in place (and log lines are written above it, never
through it: ``log_handler``); when stderr is a file or a pipe it is one plain line per tenth of
the work, so a log file reads as a short history instead of a wall of carriage returns.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

from tqdm import tqdm

BAR = "{desc} |{bar}| {n_fmt}/{total_fmt}{postfix} [{elapsed}<{remaining}, {rate_fmt}]"
COUNT = "{desc} {n_fmt}{postfix} [{elapsed}, {rate_fmt}]"   # while the total is not known yet
FILE_EVERY_S = 1.0    # into a file, with the total unknown: at most a line a second


class Progress:
    """``Progress(label, total)``, then ``update(done, failed)`` as often as you like (a repeat
    draws nothing), ``update(..., total=n)`` when the total becomes known, and ``close()``.
    ``succeeded`` names what became of the items that did not fail, for a command whose
    count alone would read as success (``publish |#| 1/1, 0 published, 1 failed``)."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None,
                 unit: str = "image", succeeded: str | None = None) -> None:
        self.label, self.total, self.unit = label, max(0, int(total)), unit
        self.succeeded = succeeded
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last: tuple[int, int] | None = None
        self._tenth = -1
        self._written = -FILE_EVERY_S
        self._pending = False
        self._started = time.monotonic()
        self._bar: tqdm[Any] | None = None
        if self.tty:
            self._bar = tqdm(total=self.total or None, desc=label, file=self.stream, unit=f" {unit}",
                             dynamic_ncols=True, leave=True, bar_format=self._format(),
                             mininterval=0.1, smoothing=0.2)

    def _format(self) -> str:
        return BAR if self.total else COUNT

    def _postfix(self, done: int, failed: int) -> str:
        parts = [f"{done - failed} {self.succeeded}"] if self.succeeded else []
        return ", ".join(parts + ([f"{failed} failed"] if failed else []))  # tqdm puts ", " before it

    def update(self, done: int, failed: int = 0, total: int | None = None) -> None:
        if total is not None and max(0, int(total)) != self.total:
            self.total = max(0, int(total))
            self._last = None
            if self._bar is not None:
                self._bar.total = self.total or None
                self._bar.bar_format = self._format()
        if (done, failed) == self._last:
            return
        self._last = (done, failed)
        if self._bar is not None:
            self._bar.postfix = self._postfix(done, failed)
            if done != self._bar.n:
                self._bar.update(done - self._bar.n)   # tqdm works out the rate from the steps
            else:
                self._bar.refresh()
            return
        if self.total:                     # a line per tenth of the work
            tenth = int(10 * done / self.total)
            if tenth == self._tenth:
                return
            self._tenth = tenth
        elif time.monotonic() - self._written < FILE_EVERY_S:
            self._pending = True           # total unknown: a line a second, and the last one
            return
        self._write(done, failed)

    def _write(self, done: int, failed: int) -> None:
        self._pending = False
        self._written = time.monotonic()
        self.stream.write(self.line(done, failed) + "\n")
        self.stream.flush()

    def line(self, done: int, failed: int = 0) -> str:
        """The bar as plain text (for a file): ``bulk |#####     | 5/10, 1 failed [00:02<00:02, 2.5 image/s]``."""
        total = self.total or None           # None: not known yet (tqdm's stubs say float only)
        return tqdm.format_meter(done, total, time.monotonic() - self._started,  # type: ignore[arg-type]
                                 ncols=80, prefix=self.label, ascii=" #", unit=f" {self.unit}",
                                 bar_format=self._format(), postfix=self._postfix(done, failed))

    def close(self) -> None:
        if self._pending and self._last is not None:
            self._write(*self._last)
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _AboveTheBars(logging.Handler):
    """Writes each record through ``tqdm.write``: a bar on the terminal is cleared, the line
    written, the bar drawn again."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 - logging must never break a command
            self.handleError(record)


def log_handler(stream: TextIO | None = None) -> logging.Handler:
    """The CLI's log handler: lines on stderr written above any progress bar (``logs.configure_cli``
    gives it its readable format)."""
    return _AboveTheBars(stream or sys.stderr)
