"""The catalog in one SQLite file (``catalog.sqlite3``): the embedded, local implementation
of the catalog ports.

- ``SqliteDatabase`` (db.py): the file — connections, WAL, transactions, the schema and its
  migrations (schema.py). One database serves every adapter.
- ``SqliteImageIndex`` (images.py): the ImageIndex port, tables ``images`` and ``likes``;
  its counters (counters.py): tables ``image_counts`` and ``impression_marks``.
- ``SqliteJobStore`` (jobs.py): the JobStore port, tables ``jobs`` and ``job_entries``.
- ``SqliteZoneStore`` (zones.py): the ZoneStore port, tables ``zones`` and ``kiosk_reading``.

Each adapter takes a SqliteDatabase (shared) or a path (a database of its own)::

    database = SqliteDatabase(data_dir / "catalog.sqlite3")
    images, jobs = SqliteImageIndex(database), SqliteJobStore(database)

Schema version in ``PRAGMA user_version``; created on open, idempotent. Migration: version
2 stored sequencers left-padded, version 3 right-padded (S3's rule), and opening a version-2
file re-pads them, in the one transaction that sets the version. A version-1 file (its job
entry lists inside the job document) is refused with what to do instead (ConfigError). Tables
added without rewriting data (``zones``, ``kiosk_reading``) keep the version (schema.py says
why).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .db import SqliteDatabase
from .images import SqliteImageIndex
from .jobs import SqliteJobStore
from .schema import SCHEMA_VERSION
from .zones import SqliteZoneStore

__all__ = ["SCHEMA_VERSION", "SqliteDatabase", "SqliteImageIndex", "SqliteJobStore",
           "SqliteZoneStore"]

if TYPE_CHECKING:  # mypy checks here that the adapters satisfy the ports
    from .. import ImageIndex, JobStore, ZoneStore

    def _ports(database: SqliteDatabase) -> tuple[ImageIndex, JobStore, ZoneStore]:
        return SqliteImageIndex(database), SqliteJobStore(database), SqliteZoneStore(database)
