"""The ImageIndex port's counters and fresh order on the SQLite file (composed into
SqliteImageIndex): tables ``image_counts`` and ``impression_marks``, index ``images_fresh``.

- ``image_counts``: (key, segment) → impressions, likes, updated_ms. Aggregates only.
- ``impression_marks``: a hash of (visit, image) → until_ms; a visit's second impression of an
  image finds its marker and counts nothing. Expired markers are deleted as new ones come.
- ``images_fresh``: (orientation, area, emotion, created_ms DESC, key) over visible rows; a
  fresh page is one or two range scans of it (same millisecond with a greater key; older).
  Orientation leads so that per-emotion reads (count, likes_total) keep using
  ``images_garden``, which holds the likes.

Removing an image deletes its counters (``drop_counters``, in the same transaction)."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ...rules.bandit import Counts
from .. import CounterRow, ImageRecord, Page
from .._counters import (
    check_segments,
    decode_fresh,
    fresh_page,
    impression_mark,
    mark_expiry_ms,
    now,
)
from .._images import check_limit

if TYPE_CHECKING:
    from .db import SqliteDatabase

_PRUNE = 500   # expired markers deleted per write, at most
_VISIBLE_KEY = "SELECT 1 FROM images WHERE key = ? AND tombstone = 0"


def drop_counters(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM image_counts WHERE key = ?", (key,))


def add_counts(conn: sqlite3.Connection, key: str, segments: list[str], impressions: int,
               likes: int, stamp: int) -> None:
    """Add to the image's counters in each segment, inside the caller's transaction."""
    conn.executemany(
        "INSERT INTO image_counts (key, segment, impressions, likes, updated_ms) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key, segment) DO UPDATE SET "
        "impressions = impressions + excluded.impressions, likes = likes + excluded.likes, "
        "updated_ms = excluded.updated_ms",
        ((key, s, impressions, likes, stamp) for s in segments))


class SqliteCounters:
    """Mixin over the image index: needs its ``db``, ``_columns`` and ``_row_record``."""

    if TYPE_CHECKING:
        db: SqliteDatabase
        _columns: str   # the image rows' columns and their reading: images.py's

        def _row_record(self, row: sqlite3.Row) -> ImageRecord: ...

    def query_fresh(self, area: str, emotion: str, orientation: str, limit: int,
                    cursor: str | None = None, favorite: str | None = None) -> Page:
        check_limit(limit)
        scope = (area, emotion, orientation)
        base = (f"SELECT {self._columns} FROM images WHERE tombstone = 0 AND area = ? "
                "AND emotion = ? AND orientation = ?")
        where: tuple[Any, ...] = scope
        if favorite is not None:
            base, where = f"{base} AND favorite = ?", (*where, favorite)
        order = "ORDER BY created_ms DESC, key ASC LIMIT ?"
        want = limit + 1
        if cursor is None:
            rows = self.db.read(f"{base} {order}", (*where, want))
        else:
            created_ms, key = decode_fresh(cursor, scope)
            rows = self.db.read(f"{base} AND created_ms = ? AND key > ? {order}",
                                (*where, created_ms, key, want))
            if len(rows) < want:
                rows += self.db.read(f"{base} AND created_ms < ? {order}",
                                     (*where, created_ms, want - len(rows)))
        found: list[ImageRecord] = [self._row_record(r) for r in rows]
        return fresh_page(found, limit, scope)

    def count_impressions(self, visit: str, keys: Sequence[str],
                          segments: Sequence[str]) -> list[str]:
        segments = check_segments(segments)
        counted: list[str] = []
        with self.db.write() as conn:
            stamp = now()
            conn.execute("DELETE FROM impression_marks WHERE mark IN (SELECT mark FROM "
                         "impression_marks WHERE until_ms <= ? LIMIT ?)", (stamp, _PRUNE))
            for key in dict.fromkeys(keys):
                if conn.execute(_VISIBLE_KEY, (key,)).fetchone() is None:
                    continue
                inserted = conn.execute(
                    "INSERT OR IGNORE INTO impression_marks (mark, until_ms) VALUES (?, ?)",
                    (impression_mark(visit, key), mark_expiry_ms(stamp))).rowcount == 1
                if inserted:
                    add_counts(conn, key, segments, 1, 0, stamp)
                    counted.append(key)
        return counted

    def count_like(self, key: str, segments: Sequence[str]) -> None:
        segments = check_segments(segments)
        with self.db.write() as conn:
            if conn.execute(_VISIBLE_KEY, (key,)).fetchone() is not None:
                add_counts(conn, key, segments, 0, 1, now())

    def counters(self, keys: Sequence[str], segments: Sequence[str]
                 ) -> dict[str, dict[str, Counts]]:
        segments = check_segments(segments)
        keys = list(dict.fromkeys(keys))
        out: dict[str, dict[str, Counts]] = {}
        if not keys or not segments:
            return out
        # One read: the keys and segments travel as JSON arrays (no limit on bound variables).
        rows = self.db.read(
            "SELECT key, segment, impressions, likes FROM image_counts WHERE key IN "
            "(SELECT value FROM json_each(?)) AND segment IN (SELECT value FROM json_each(?))",
            (json.dumps(keys), json.dumps(segments)))
        for row in rows:
            out.setdefault(row["key"], {})[row["segment"]] = Counts(int(row["impressions"]),
                                                                    int(row["likes"]))
        return out

    def iter_counters(self, since_ms: int = 0) -> Iterator[CounterRow]:
        rows = self.db.read(
            "SELECT c.key AS key, c.segment AS segment, c.impressions AS impressions, "
            "c.likes AS likes, c.updated_ms AS updated_ms FROM image_counts c "
            "JOIN images i ON i.key = c.key AND i.tombstone = 0 WHERE c.updated_ms >= ? "
            "ORDER BY c.key, c.segment", (since_ms,))
        for row in rows:
            yield CounterRow(row["key"], row["segment"],
                             Counts(int(row["impressions"]), int(row["likes"])),
                             int(row["updated_ms"]))
