"""The progress bar of every long command (bulk, backup, restore, generate…) on stderr: one
line redrawn on a terminal, a line per tenth when stderr is a file."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A one-line progress bar on a terminal; a line per tenth when stderr is a file."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.total, self.width = label, max(0, total), width
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last: tuple[int, int] | None = None
        self._tenth = -1
        self._started = time.monotonic()

    def update(self, done: int, failed: int = 0, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        if (done, failed) == self._last:
            return
        self._last = (done, failed)
        fraction = done / self.total if self.total else 1.0
        if not self.tty:
            tenth = int(fraction * 10)
            if tenth == self._tenth:
                return
            self._tenth = tenth
        filled = round(fraction * self.width)
        line = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total}"
                + (f" ({failed} failed)" if failed else "")
                + f" {time.monotonic() - self._started:.0f}s")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._last is not None:
            self.stream.write("\n")
            self.stream.flush()
