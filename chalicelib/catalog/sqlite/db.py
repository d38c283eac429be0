"""One SQLite file shared by the catalog's adapters: its connections, transactions and schema.

Concurrency: each call takes a connection of its own from a small pool; the WAL journal lets
readers go on while one writer writes; ``busy_timeout`` makes writers queue instead of fail;
every write runs in a ``BEGIN IMMEDIATE`` transaction (the write lock is taken before the
first read, so two read-modify-writes cannot interleave). A lock still held after the
timeout becomes ServiceUnavailable.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...errors import ServiceUnavailable
from .schema import check_version, migrate

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 16  # idle connections kept; more are opened under load and closed after


class SqliteDatabase:
    """The catalog file (created and migrated on open; a file too old or too new to open is
    refused: schema.check_version); safe to share between threads and
    between the adapters over it."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()
        self._create_schema()

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
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for this call alone. Pooled rather than per thread: the local server
        starts a thread per request, and per-thread connections would pile up."""
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            with translated():
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
    def write(self) -> Iterator[sqlite3.Connection]:
        """A connection inside a ``BEGIN IMMEDIATE`` transaction, committed on leaving."""
        with self.connection() as conn, translated():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self.connection() as conn, translated():
            return conn.execute(sql, tuple(params)).fetchall()

    def _create_schema(self) -> None:
        with self.write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            check_version(self.path, version)
            migrate(conn, version)

    def close(self) -> None:
        """Close the pooled connections (tests, shutdown); later calls open new ones."""
        with self._idle_lock:
            conns, self._idle = self._idle, []
        for conn in conns:
            conn.close()


class OnDatabase:
    """An adapter over a SqliteDatabase: given one (shared with other adapters) or a path
    (a database of its own)."""

    def __init__(self, database: SqliteDatabase | Path | str) -> None:
        self.db = database if isinstance(database, SqliteDatabase) else SqliteDatabase(database)

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        """Close the database's pooled connections (tests, shutdown); later calls open new
        ones. A database shared with other adapters goes on serving them the same way."""
        self.db.close()


@contextmanager
def translated() -> Iterator[None]:
    """SQLite failing — busy, read-only, full, corrupt, unreadable — as ServiceUnavailable
    with a message that names no path (it reaches clients and job records). Mistakes in
    our own SQL (ProgrammingError, IntegrityError…) stay what they are."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ServiceUnavailable("the catalog is busy; try again") from exc
        log.warning("catalog: %s", exc)
        raise ServiceUnavailable(f"the catalog cannot be used ({_reason(exc)}); "
                                 f"try again later") from None
    except sqlite3.DatabaseError as exc:
        if type(exc) is not sqlite3.DatabaseError:  # IntegrityError, ProgrammingError…
            raise
        log.warning("catalog: %s", exc)
        raise ServiceUnavailable(f"the catalog cannot be used ({_reason(exc)}); "
                                 f"try again later") from None


def _reason(exc: sqlite3.Error) -> str:
    """SQLite's own words for what failed, never a path ("attempt to write a readonly
    database", "disk I/O error", "file is not a database", "database or disk is full")."""
    name = getattr(exc, "sqlite_errorname", None)
    text = str(exc)
    return text if "/" not in text and "\\" not in text else (name or "error")
