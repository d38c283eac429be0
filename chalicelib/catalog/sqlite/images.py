"""The ImageIndex port on the SQLite file: the ``images`` and ``likes`` tables.

- ``images``: one row per key. ``tombstone = 1`` marks a removed image: the row keeps the
  last event's sequencer (``seq``, padded) so a late older creation cannot resurrect it, and
  no read ever returns it. ``likes`` is the counter kept across re-creates.
- ``likes``: (key, visitor) primary key — one like per visitor per image.

Garden order (likes DESC, created_ms DESC, key ASC) is the partial index ``images_garden``
on (area, emotion, orientation, likes DESC, created_ms DESC, key) over visible rows. A page
is a range scan of it. Keyset pagination: the cursor holds the last row's sort values, and
the next page is read as up to three range scans (same likes and created_ms with a greater
key; same likes, older; fewer likes), each already in index order — a single OR'd
condition would not be a range scan because the directions are mixed.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ...errors import ImageNotFound
from .. import ImageRecord, LikeExport, Outcome, Page, pad_sequencer
from .._counters import check_segments, now
from .._images import check_limit, decode_keyset, keyset_page, replayed, same_fields
from .counters import SqliteCounters, add_counts, drop_counters
from .db import OnDatabase

_COLUMNS = "key, area, emotion, favorite, orientation, created_ms, size, provenance, likes"
_VISIBLE = f"SELECT {_COLUMNS} FROM images WHERE tombstone = 0"
_BATCH = 500  # rows per read of iter_images


class SqliteImageIndex(SqliteCounters, OnDatabase):
    """The ImageIndex port on a SQLite file; safe to share between threads."""

    _columns = _COLUMNS   # for the counters' fresh order (counters.py)

    def _row_record(self, row: sqlite3.Row) -> ImageRecord:
        return _record(row)

    # --- image items: written from the store only ----------------------------------------
    def apply_created(self, record: ImageRecord, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        with self.db.write() as conn:
            row = conn.execute("SELECT seq, tombstone FROM images WHERE key = ?",
                               (record.key,)).fetchone()
            if row is None:
                _insert(conn, record, seq)
                return Outcome.ADDED
            if (replay := replayed(row["seq"], seq)) is not None:
                return replay
            _overwrite(conn, record, seq, revive=bool(row["tombstone"]))
            return Outcome.ADDED if row["tombstone"] else Outcome.UPDATED

    def apply_removed(self, key: str, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        with self.db.write() as conn:
            row = conn.execute("SELECT seq, tombstone FROM images WHERE key = ?",
                               (key,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO images (key, seq, tombstone) VALUES (?, ?, 1)",
                             (key, seq))
                return Outcome.ABSENT
            if (replay := replayed(row["seq"], seq)) is not None:
                return replay
            _bury(conn, key, seq)
            return Outcome.ABSENT if row["tombstone"] else Outcome.REMOVED

    def reconcile(self, record: ImageRecord) -> Outcome:
        with self.db.write() as conn:
            row = conn.execute(f"SELECT {_COLUMNS}, seq, tombstone FROM images WHERE key = ?",
                               (record.key,)).fetchone()
            if row is None:
                _insert(conn, record, "")
                return Outcome.ADDED
            if not row["tombstone"] and same_fields(_record(row), record):
                return Outcome.UNCHANGED
            # The listing is the truth now; the remembered sequencer stays so that events
            # older than the last one applied remain stale.
            _overwrite(conn, record, row["seq"], revive=bool(row["tombstone"]))
            return Outcome.ADDED if row["tombstone"] else Outcome.UPDATED

    def forget(self, key: str) -> bool:
        with self.db.write() as conn:
            row = conn.execute("SELECT seq FROM images WHERE key = ? AND tombstone = 0",
                               (key,)).fetchone()
            if row is None:
                return False
            _bury(conn, key, row["seq"])
            return True

    def bulk_insert(self, records: Iterable[ImageRecord], sequencer: str = "") -> int:
        """Insert many new items in one transaction, skipping keys already catalogued (as
        tombstones too); the number inserted. For benchmarks and bulk restore tooling."""
        seq = pad_sequencer(sequencer) if sequencer else ""
        with self.db.write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO images (key, area, emotion, favorite, orientation, "
                "created_ms, size, provenance, likes, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (_params(r) + (seq,) for r in records))
            return conn.total_changes - before

    # --- reads ----------------------------------------------------------------------------
    def get_image(self, key: str) -> ImageRecord | None:
        rows = self.db.read(f"{_VISIBLE} AND key = ?", (key,))
        return _record(rows[0]) if rows else None

    def query(self, area: str, emotion: str, orientation: str, limit: int,
              cursor: str | None = None, favorite: str | None = None) -> Page:
        check_limit(limit)
        scope = (area, emotion, orientation)
        base = f"{_VISIBLE} AND area = ? AND emotion = ? AND orientation = ?"
        where: tuple[Any, ...] = scope
        if favorite is not None:   # a filter on the garden index's range (area, emotion, …)
            base, where = f"{base} AND favorite = ?", (*where, favorite)
        order = "ORDER BY likes DESC, created_ms DESC, key ASC LIMIT ?"
        want = limit + 1  # one more than asked: tells whether there is a next page
        if cursor is None:
            rows = self.db.read(f"{base} {order}", (*where, want))
        else:
            likes, created_ms, key = decode_keyset(cursor, scope)
            rows = self.db.read(f"{base} AND likes = ? AND created_ms = ? AND key > ? {order}",
                                (*where, likes, created_ms, key, want))
            if len(rows) < want:
                rows += self.db.read(f"{base} AND likes = ? AND created_ms < ? {order}",
                                     (*where, likes, created_ms, want - len(rows)))
            if len(rows) < want:
                rows += self.db.read(f"{base} AND likes < ? {order}",
                                     (*where, likes, want - len(rows)))
        return keyset_page([_record(r) for r in rows], limit, scope)

    def count(self, area: str, emotion: str) -> int:
        rows = self.db.read("SELECT count(*) FROM images WHERE tombstone = 0 AND area = ? "
                            "AND emotion = ?", (area, emotion))
        return int(rows[0][0])

    def favorites(self, area: str, emotion: str) -> dict[str, int]:
        # A search of images_garden (area, emotion, …): only this emotion's rows are read.
        rows = self.db.read("SELECT favorite, count(*) FROM images WHERE tombstone = 0 "
                            "AND area = ? AND emotion = ? AND favorite IS NOT NULL "
                            "GROUP BY favorite", (area, emotion))
        return {str(r[0]): int(r[1]) for r in rows}

    def likes_total(self, area: str, emotion: str) -> int:
        # A search of images_garden (area, emotion, …): only this emotion's rows are read.
        rows = self.db.read("SELECT coalesce(sum(likes), 0) FROM images WHERE tombstone = 0 "
                            "AND area = ? AND emotion = ?", (area, emotion))
        return int(rows[0][0])

    def iter_images(self, prefix: str = "") -> Iterator[ImageRecord]:
        # Keyset batches so a long iteration holds no read transaction open. Keys with the
        # prefix form one contiguous range in key order, starting at the prefix itself.
        last: str | None = None
        while True:
            if last is None:
                rows = self.db.read(f"{_VISIBLE} AND key >= ? ORDER BY key LIMIT {_BATCH}",
                                    (prefix,))
            else:
                rows = self.db.read(f"{_VISIBLE} AND key > ? ORDER BY key LIMIT {_BATCH}",
                                    (last,))
            for row in rows:
                if not row["key"].startswith(prefix):
                    return
                yield _record(row)
            if len(rows) < _BATCH:
                return
            last = rows[-1]["key"]

    # --- likes ----------------------------------------------------------------------------
    def like(self, key: str, visitor: str, segments: Sequence[str] = ()) -> tuple[int, bool]:
        segments = check_segments(segments)
        with self.db.write() as conn:   # one transaction: the like, its count, its counters
            row = conn.execute("SELECT likes FROM images WHERE key = ? AND tombstone = 0",
                               (key,)).fetchone()
            if row is None:
                raise ImageNotFound(f"no image {key!r} in the catalog")
            inserted = conn.execute("INSERT OR IGNORE INTO likes (key, visitor) VALUES (?, ?)",
                                    (key, visitor)).rowcount == 1
            if not inserted:
                return int(row["likes"]), False
            conn.execute("UPDATE images SET likes = likes + 1 WHERE key = ?", (key,))
            add_counts(conn, key, segments, 0, 1, now())
            return int(row["likes"]) + 1, True

    def export_likes(self) -> Iterator[LikeExport]:
        rows = self.db.read(
            "SELECT i.key AS key, i.likes AS likes, l.visitor AS visitor FROM images i "
            "LEFT JOIN likes l ON l.key = i.key WHERE i.tombstone = 0 "
            "AND (i.likes > 0 OR l.visitor IS NOT NULL) ORDER BY i.key, l.visitor")
        current: LikeExport | None = None
        for row in rows:
            if current is None or current.key != row["key"]:
                if current is not None:
                    yield current
                current = LikeExport(row["key"], int(row["likes"]), [])
            if row["visitor"] is not None:
                current.visitors.append(row["visitor"])
        if current is not None:
            yield current

    def restore_likes(self, entry: LikeExport) -> bool:
        with self.db.write() as conn:
            row = conn.execute("SELECT likes FROM images WHERE key = ? AND tombstone = 0",
                               (entry.key,)).fetchone()
            if row is None:
                return False
            conn.executemany("INSERT OR IGNORE INTO likes (key, visitor) VALUES (?, ?)",
                             ((entry.key, v) for v in entry.visitors))
            union = conn.execute("SELECT count(*) FROM likes WHERE key = ?",
                                 (entry.key,)).fetchone()[0]
            # Never lower a count: restoring twice, or an older backup, changes nothing.
            likes = max(int(entry.likes), int(union), int(row["likes"]))
            conn.execute("UPDATE images SET likes = ? WHERE key = ?", (likes, entry.key))
            return True


def _params(r: ImageRecord) -> tuple[Any, ...]:
    return (r.key, r.area, r.emotion, r.favorite, r.orientation, int(r.created_ms),
            int(r.size), json.dumps(r.provenance or {}, sort_keys=True))


def _insert(conn: sqlite3.Connection, record: ImageRecord, seq: str) -> None:
    conn.execute("INSERT INTO images (key, area, emotion, favorite, orientation, created_ms, "
                 "size, provenance, likes, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                 _params(record) + (seq,))


def _overwrite(conn: sqlite3.Connection, record: ImageRecord, seq: str, revive: bool) -> None:
    # A revived tombstone starts from zero likes (they went with the removal); a visible
    # item keeps its likes.
    p = _params(record)
    conn.execute("UPDATE images SET area = ?, emotion = ?, favorite = ?, orientation = ?, "
                 "created_ms = ?, size = ?, provenance = ?, seq = ?, tombstone = 0"
                 + (", likes = 0" if revive else "") + " WHERE key = ?",
                 p[1:] + (seq, record.key))


def _bury(conn: sqlite3.Connection, key: str, seq: str) -> None:
    conn.execute("UPDATE images SET tombstone = 1, likes = 0, seq = ? WHERE key = ?", (seq, key))
    conn.execute("DELETE FROM likes WHERE key = ?", (key,))
    drop_counters(conn, key)


def _record(row: sqlite3.Row) -> ImageRecord:
    return ImageRecord(key=row["key"], area=row["area"], emotion=row["emotion"],
                       favorite=row["favorite"], orientation=row["orientation"],
                       created_ms=int(row["created_ms"]), size=int(row["size"]),
                       provenance=json.loads(row["provenance"]), likes=int(row["likes"]))
