"""The catalog in one SQLite file: the embedded, local implementation of the Catalog port.

Concurrency: each call takes a connection of its own from a small pool; the WAL journal lets
readers go on while one writer writes; ``busy_timeout`` makes writers queue instead of fail;
every write runs in a ``BEGIN IMMEDIATE`` transaction (the write lock is taken before the
first read, so two read-modify-writes cannot interleave). A lock still held after the
timeout becomes ServiceUnavailable.

Schema (version in ``PRAGMA user_version``; created on open, idempotent):

- ``images``: one row per key. ``tombstone = 1`` marks a removed image: the row keeps the
  last event's sequencer (``seq``, padded) so a late older creation cannot resurrect it, and
  no read ever returns it. ``likes`` is the counter kept across re-creates.
- ``likes``: (key, visitor) primary key — one like per visitor per image.
- ``jobs``: each job's main document as JSON text (its fields and ``deadEndpoints``).
- ``job_entries``: one row per entry of a job's ``images``/``errors``, primary key
  (job_id, field, entry_key) where entry_key is the entry's ``n`` zero-padded (a re-recorded
  n replaces its row) or a unique time-ordered key. An append is one small insert, never a
  rewrite of the job; a job is read back with one SELECT.

Migrations: version 1 kept the entry lists inside the job document; opening such a file
moves them into ``job_entries`` (the same transaction sets version 2).

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
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ImageNotFound, InvalidRequest, JobNotFound, ServiceUnavailable
from . import ImageRecord, LikeExport, Outcome, Page, pad_sequencer
from ._common import (
    BAD_CURSOR,
    DEAD,
    JOB_LISTS,
    assemble_job,
    check_job_entry,
    check_job_fields,
    check_limit,
    dead_endpoint,
    dead_endpoints,
    decode_cursor,
    dedupe_entries,
    encode_cursor,
    legacy_entry_key,
    new_job_doc,
    same_fields,
    summarize_job,
)

SCHEMA_VERSION = 2
_MAX_INT64 = 2**63  # SQLite's integers are signed 64-bit; a bigger one raises OverflowError
BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 16  # idle connections kept; more are opened under load and closed after

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    key         TEXT PRIMARY KEY,
    area        TEXT,
    emotion     TEXT,
    favorite    TEXT,
    orientation TEXT,
    created_ms  INTEGER NOT NULL DEFAULT 0,
    size        INTEGER NOT NULL DEFAULT 0,
    provenance  TEXT NOT NULL DEFAULT '{}',
    likes       INTEGER NOT NULL DEFAULT 0,
    seq         TEXT NOT NULL DEFAULT '',
    tombstone   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS images_garden
    ON images (area, emotion, orientation, likes DESC, created_ms DESC, key)
    WHERE tombstone = 0;
CREATE TABLE IF NOT EXISTS likes (
    key      TEXT NOT NULL,
    visitor  TEXT NOT NULL,
    liked_ms INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
    PRIMARY KEY (key, visitor)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    doc    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_entries (
    job_id    TEXT NOT NULL,
    field     TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    entry     TEXT NOT NULL,
    PRIMARY KEY (job_id, field, entry_key)
) WITHOUT ROWID;
"""

_COLUMNS = "key, area, emotion, favorite, orientation, created_ms, size, provenance, likes"
_VISIBLE = f"SELECT {_COLUMNS} FROM images WHERE tombstone = 0"


class SqliteCatalog:
    """The Catalog port on a SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()
        self._create_schema()

    # --- connections and transactions -----------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves. check_same_thread=False:
        # a pooled connection moves between threads, but is only ever used by one at a time.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL: durable against application crashes, fast commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for this call alone. Pooled rather than per thread: the local server
        starts a thread per request, and per-thread connections would pile up."""
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            with _translated():
                conn = self._connect()
        try:
            yield conn
        finally:
            with self._idle_lock:
                keep = len(self._idle) < POOL_SIZE and not conn.in_transaction
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as conn, _translated():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._connection() as conn, _translated():
            return conn.execute(sql, tuple(params)).fetchall()

    def _create_schema(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ServiceUnavailable(
                    f"catalog {self.path} has schema version {version}; this code knows "
                    f"up to {SCHEMA_VERSION}")
            for statement in _statements(_SCHEMA):
                conn.execute(statement)
            if version == 1:
                _migrate_jobs_from_v1(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the pooled connections (tests, shutdown); later calls open new ones."""
        with self._idle_lock:
            conns, self._idle = self._idle, []
        for conn in conns:
            conn.close()

    # --- image items: written from the store only ----------------------------------------
    def apply_created(self, record: ImageRecord, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        with self._write() as conn:
            row = conn.execute("SELECT seq, tombstone FROM images WHERE key = ?",
                               (record.key,)).fetchone()
            if row is not None and row["seq"] >= seq:
                return Outcome.DUPLICATE if row["seq"] == seq else Outcome.STALE
            if row is None:
                _insert(conn, record, seq)
                return Outcome.ADDED
            _overwrite(conn, record, seq, revive=bool(row["tombstone"]))
            return Outcome.ADDED if row["tombstone"] else Outcome.UPDATED

    def apply_removed(self, key: str, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        with self._write() as conn:
            row = conn.execute("SELECT seq, tombstone FROM images WHERE key = ?",
                               (key,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO images (key, seq, tombstone) VALUES (?, ?, 1)",
                             (key, seq))
                return Outcome.ABSENT
            if row["seq"] >= seq:
                return Outcome.DUPLICATE if row["seq"] == seq else Outcome.STALE
            _bury(conn, key, seq)
            return Outcome.ABSENT if row["tombstone"] else Outcome.REMOVED

    def reconcile(self, record: ImageRecord) -> Outcome:
        with self._write() as conn:
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
        with self._write() as conn:
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
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO images (key, area, emotion, favorite, orientation, "
                "created_ms, size, provenance, likes, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (_params(r) + (seq,) for r in records))
            return conn.total_changes - before

    # --- reads ----------------------------------------------------------------------------
    def get_image(self, key: str) -> ImageRecord | None:
        rows = self._read(f"{_VISIBLE} AND key = ?", (key,))
        return _record(rows[0]) if rows else None

    def query(self, area: str, emotion: str, orientation: str, limit: int,
              cursor: str | None = None) -> Page:
        check_limit(limit)
        scope = (area, emotion, orientation)
        base = f"{_VISIBLE} AND area = ? AND emotion = ? AND orientation = ?"
        order = "ORDER BY likes DESC, created_ms DESC, key ASC LIMIT ?"
        want = limit + 1  # one more than asked: tells whether there is a next page
        if cursor is None:
            rows = self._read(f"{base} {order}", (*scope, want))
        else:
            likes, created_ms, key = _decode_cursor(cursor, scope)
            rows = self._read(f"{base} AND likes = ? AND created_ms = ? AND key > ? {order}",
                              (*scope, likes, created_ms, key, want))
            if len(rows) < want:
                rows += self._read(f"{base} AND likes = ? AND created_ms < ? {order}",
                                   (*scope, likes, created_ms, want - len(rows)))
            if len(rows) < want:
                rows += self._read(f"{base} AND likes < ? {order}",
                                   (*scope, likes, want - len(rows)))
        items = [_record(r) for r in rows[:limit]]
        next_cursor = _encode_cursor(items[-1], scope) if len(rows) > limit else None
        return Page(items, next_cursor)

    def count(self, area: str, emotion: str) -> int:
        rows = self._read("SELECT count(*) FROM images WHERE tombstone = 0 AND area = ? "
                          "AND emotion = ?", (area, emotion))
        return int(rows[0][0])

    def likes_total(self, area: str, emotion: str) -> int:
        # A search of images_garden (area, emotion, …): only this emotion's rows are read.
        rows = self._read("SELECT coalesce(sum(likes), 0) FROM images WHERE tombstone = 0 "
                          "AND area = ? AND emotion = ?", (area, emotion))
        return int(rows[0][0])

    def iter_images(self, prefix: str = "") -> Iterator[ImageRecord]:
        # Keyset batches so a long iteration holds no read transaction open. Keys with the
        # prefix form one contiguous range in key order, starting at the prefix itself.
        last: str | None = None
        while True:
            if last is None:
                rows = self._read(f"{_VISIBLE} AND key >= ? ORDER BY key LIMIT 500", (prefix,))
            else:
                rows = self._read(f"{_VISIBLE} AND key > ? ORDER BY key LIMIT 500", (last,))
            for row in rows:
                if not row["key"].startswith(prefix):
                    return
                yield _record(row)
            if len(rows) < 500:
                return
            last = rows[-1]["key"]

    # --- likes ----------------------------------------------------------------------------
    def like(self, key: str, visitor: str) -> tuple[int, bool]:
        with self._write() as conn:
            row = conn.execute("SELECT likes FROM images WHERE key = ? AND tombstone = 0",
                               (key,)).fetchone()
            if row is None:
                raise ImageNotFound(f"no image {key!r} in the catalog")
            inserted = conn.execute("INSERT OR IGNORE INTO likes (key, visitor) VALUES (?, ?)",
                                    (key, visitor)).rowcount == 1
            if not inserted:
                return int(row["likes"]), False
            conn.execute("UPDATE images SET likes = likes + 1 WHERE key = ?", (key,))
            return int(row["likes"]) + 1, True

    def export_likes(self) -> Iterator[LikeExport]:
        rows = self._read(
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
        with self._write() as conn:
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

    # --- job records ----------------------------------------------------------------------
    def create_job(self, job: dict[str, Any]) -> None:
        doc, entries = new_job_doc(job)
        job_id = doc["jobId"]
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO jobs (job_id, doc) VALUES (?, ?)",
                         (job_id, _dump({**doc, DEAD: sorted(dead_endpoints(entries))})))
            conn.execute("DELETE FROM job_entries WHERE job_id = ?", (job_id,))
            conn.executemany("INSERT INTO job_entries (job_id, field, entry_key, entry) "
                             "VALUES (?, ?, ?, ?)",
                             ((job_id, f, k, _dump(e)) for f, k, e in entries))

    def append_job_entry(self, job_id: str, field: str, entry: dict[str, Any]) -> None:
        key = check_job_entry(field, entry)
        data = _dump(entry)
        dead = dead_endpoint(field, entry)
        with self._write() as conn:
            if dead is None:
                if conn.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job_id,)).fetchone() is None:
                    raise JobNotFound(f"no job {job_id!r}")
            else:  # the main document is small: rewriting it is cheap, and atomic with the entry
                doc = _job_doc(conn, job_id)
                if dead not in doc.get(DEAD, []):
                    doc[DEAD] = sorted({*doc.get(DEAD, []), dead})
                    conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (_dump(doc), job_id))
            conn.execute("INSERT OR REPLACE INTO job_entries (job_id, field, entry_key, entry) "
                         "VALUES (?, ?, ?, ?)", (job_id, field, key, data))

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        fields = {k: v for k, v in fields.items() if k != "jobId"}
        check_job_fields(fields)
        with self._write() as conn:
            doc = _job_doc(conn, job_id)
            doc.update(fields)
            conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (_dump(doc), job_id))

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT j.doc AS doc, e.field AS field, e.entry_key AS entry_key, "
                          "e.entry AS entry FROM jobs j LEFT JOIN job_entries e "
                          "ON e.job_id = j.job_id WHERE j.job_id = ?", (job_id,))
        if not rows:
            return None
        doc = json.loads(rows[0]["doc"])
        entries = [(r["field"], r["entry_key"], json.loads(r["entry"]))
                   for r in rows if r["field"] is not None]
        return assemble_job(doc, entries, doc.get(DEAD, []))

    def job_summary(self, job_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT doc FROM jobs WHERE job_id = ?", (job_id,))
        if not rows:
            return None
        doc = json.loads(rows[0]["doc"])
        return summarize_job(doc, doc.get(DEAD, []))


# --- helpers -------------------------------------------------------------------------------
def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ServiceUnavailable("the catalog is busy; try again") from exc
        raise


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


def _record(row: sqlite3.Row) -> ImageRecord:
    return ImageRecord(key=row["key"], area=row["area"], emotion=row["emotion"],
                       favorite=row["favorite"], orientation=row["orientation"],
                       created_ms=int(row["created_ms"]), size=int(row["size"]),
                       provenance=json.loads(row["provenance"]), likes=int(row["likes"]))


def _encode_cursor(last: ImageRecord, scope: tuple[str, str, str]) -> str:
    return encode_cursor({"s": list(scope), "l": last.likes, "c": last.created_ms,
                          "k": last.key})


def _decode_cursor(cursor: str, scope: tuple[str, str, str]) -> tuple[int, int, str]:
    data = decode_cursor(cursor)
    if not (set(data) == {"s", "l", "c", "k"} and data["s"] == list(scope)
            and type(data["l"]) is int and type(data["c"]) is int
            and isinstance(data["k"], str) and 0 <= data["l"] < _MAX_INT64
            and -_MAX_INT64 <= data["c"] < _MAX_INT64):
        raise InvalidRequest(BAD_CURSOR)
    return data["l"], data["c"], data["k"]


def _dump(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"cannot store this in a job record: {exc}") from exc


def _migrate_jobs_from_v1(conn: sqlite3.Connection) -> None:
    """Version 1 kept ``images``/``errors`` inside each job's document: move them into rows."""
    for row in conn.execute("SELECT job_id, doc FROM jobs").fetchall():
        old = json.loads(row["doc"])
        entries = dedupe_entries(
            (name, legacy_entry_key(i, e), e)
            for name in JOB_LISTS for i, e in enumerate(old.get(name) or [])
            if isinstance(e, dict))
        doc = {k: v for k, v in old.items() if k not in JOB_LISTS}
        doc[DEAD] = sorted(set(doc.get(DEAD) or []) | dead_endpoints(entries))
        conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (_dump(doc), row["job_id"]))
        conn.executemany("INSERT OR REPLACE INTO job_entries (job_id, field, entry_key, entry) "
                         "VALUES (?, ?, ?, ?)",
                         ((row["job_id"], f, k, _dump(e)) for f, k, e in entries))


def _job_doc(conn: sqlite3.Connection, job_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT doc FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(f"no job {job_id!r}")
    doc: dict[str, Any] = json.loads(row["doc"])
    return doc
