"""What the server's own file system looks like stays on the server: absolute paths are cut
out of messages that reach clients (job errors recorded from exceptions, by this version or
an older one)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

HIDDEN = "…"
# An absolute path of two or more segments (POSIX, or Windows with a drive letter), starting
# where a word would — so the path part of a URL ("http://host/a/b") is left alone.
_PATH = re.compile(r"(?<![\w:/.\\-])(?:[A-Za-z]:)?(?:[/\\][^/\\\s'\"`:;,)\]}]+){2,}[/\\]?")


def without_paths(text: str) -> str:
    return _PATH.sub(HIDDEN, text)


def without_paths_in(entries: list[Mapping[str, Any]], field: str = "message"
                     ) -> list[dict[str, Any]]:
    """Copies of ``entries`` whose ``field`` (when a string) has no absolute paths."""
    return [{**entry, field: without_paths(entry[field])}
            if isinstance(entry.get(field), str) else dict(entry) for entry in entries]
