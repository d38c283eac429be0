"""The ImageIndex port's counters and fresh order in memory (composed into MemoryImageIndex).

Counters: key → segment → [impressions, likes, updated_ms]; impression markers: hashed
(visit, image) → expiry. A removed image's counters go with it."""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..rules.bandit import Counts
from . import CounterRow, ImageRecord, Page
from ._counters import (
    check_segments,
    decode_fresh,
    fresh_order,
    fresh_page,
    impression_mark,
    mark_expiry_ms,
    now,
)
from ._images import check_limit


class MemoryCounters:
    """Mixin: needs the index's ``_lock``, ``_visible_item`` and ``_visible``."""

    if TYPE_CHECKING:
        _lock: threading.Lock

        def _visible_item(self, key: str) -> Any: ...

        def _visible(self) -> Iterator[ImageRecord]: ...

    def _init_counters(self) -> None:
        self._counts: dict[str, dict[str, list[int]]] = {}
        # insertion order is expiry order (each marker lives the same time): expired ones
        # are popped from the front
        self._marks: OrderedDict[str, int] = OrderedDict()

    def _drop_counters(self, key: str) -> None:
        """The lock held: an image's counters go when it does."""
        self._counts.pop(key, None)

    def query_fresh(self, area: str, emotion: str, orientation: str, limit: int,
                    cursor: str | None = None, favorite: str | None = None) -> Page:
        check_limit(limit)
        scope = (area, emotion, orientation)
        after = None
        if cursor is not None:
            created_ms, key = decode_fresh(cursor, scope)
            after = (-created_ms, key)
        with self._lock:
            found = sorted((r for r in self._visible()
                            if (r.area, r.emotion, r.orientation) == scope
                            and (favorite is None or r.favorite == favorite)
                            and (after is None or fresh_order(r) > after)), key=fresh_order)
            return fresh_page([copy.deepcopy(r) for r in found[:limit + 1]], limit, scope)

    def count_impressions(self, visit: str, keys: Sequence[str],
                          segments: Sequence[str]) -> list[str]:
        segments = check_segments(segments)
        counted: list[str] = []
        with self._lock:
            stamp = now()
            while self._marks and next(iter(self._marks.values())) <= stamp:
                self._marks.popitem(last=False)
            for key in dict.fromkeys(keys):
                mark = impression_mark(visit, key)
                if self._visible_item(key) is None or mark in self._marks:
                    continue
                self._add(key, segments, 0, stamp)   # first: should it fail, no marker
                self._marks[mark] = mark_expiry_ms(stamp)
                counted.append(key)
        return counted

    def count_like(self, key: str, segments: Sequence[str]) -> None:
        segments = check_segments(segments)
        with self._lock:
            if self._visible_item(key) is not None:
                self._add(key, segments, 1, now())

    def _add(self, key: str, segments: list[str], field: int, stamp: int) -> None:
        per_segment = self._counts.setdefault(key, {})
        for segment in segments:
            entry = per_segment.setdefault(segment, [0, 0, stamp])
            entry[field] += 1
            entry[2] = stamp

    def counters(self, keys: Sequence[str], segments: Sequence[str]
                 ) -> dict[str, dict[str, Counts]]:
        segments = check_segments(segments)
        with self._lock:
            out: dict[str, dict[str, Counts]] = {}
            for key in keys:
                kept = self._counts.get(key, {})
                found = {s: Counts(kept[s][0], kept[s][1]) for s in segments if s in kept}
                if found:
                    out[key] = found
            return out

    def iter_counters(self, since_ms: int = 0) -> Iterator[CounterRow]:
        with self._lock:
            rows = [CounterRow(key, segment, Counts(e[0], e[1]), e[2])
                    for key, per in self._counts.items() if self._visible_item(key) is not None
                    for segment, e in per.items() if e[2] >= since_ms]
        yield from sorted(rows, key=lambda r: (r.key, r.segment))
