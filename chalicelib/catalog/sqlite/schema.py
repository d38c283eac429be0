"""The catalog file's schema, its version (``PRAGMA user_version``) and the migration.

The version changes only when data already in a file must be rewritten (a migration). A
table that is only added (``zones``, ``kiosk_reading``, ``runners`` and ``allowances``, beside version 3)
needs none:
every open runs the ``CREATE … IF NOT EXISTS`` statements, so an older file gains it, and an
older server opening a newer file leaves it alone instead of refusing the file.

Version 1 (job entry lists inside the job document) is no longer migrated: such a file is
refused on open (``check_version``) with what to do instead."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ...errors import ConfigError, ServiceUnavailable
from .. import repad_legacy_sequencer

SCHEMA_VERSION = 3
OLDEST_MIGRATED = 2   # the oldest version an open brings up to SCHEMA_VERSION
# The folder store's sequencers: 20 hex digits (storage/events.py, next_sequencer).
LOCAL_SEQUENCER_WIDTH = 20

SCHEMA = """
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
CREATE INDEX IF NOT EXISTS images_fresh
    ON images (orientation, area, emotion, created_ms DESC, key)
    WHERE tombstone = 0;
CREATE TABLE IF NOT EXISTS image_counts (
    key         TEXT NOT NULL,
    segment     TEXT NOT NULL,
    impressions INTEGER NOT NULL DEFAULT 0,
    likes       INTEGER NOT NULL DEFAULT 0,
    updated_ms  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, segment)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS impression_marks (
    mark     TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS impression_marks_until ON impression_marks (until_ms);
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
CREATE TABLE IF NOT EXISTS job_work (
    job_id         TEXT NOT NULL,
    n              INTEGER NOT NULL,
    item           TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'open',
    worker         TEXT,
    token          TEXT,
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    tried_by       TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (job_id, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS job_work_state ON job_work (job_id, state, n);
CREATE INDEX IF NOT EXISTS jobs_recent
    ON jobs (json_extract(doc, '$.createdAt') DESC, job_id DESC);
CREATE TABLE IF NOT EXISTS runners (
    runner  TEXT PRIMARY KEY,
    beat_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS zones (
    zone INTEGER PRIMARY KEY,
    doc  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS allowances (
    allowance TEXT PRIMARY KEY,
    spent     INTEGER NOT NULL,
    until_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kiosk_reading (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    emotion TEXT NOT NULL,
    at_ms   INTEGER NOT NULL
);
"""


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def check_version(path: Path, version: int) -> None:
    """Refuse a file this server cannot bring up to SCHEMA_VERSION: a newer one
    (ServiceUnavailable, naming no path: the message may reach clients) or one older than
    OLDEST_MIGRATED (ConfigError naming the file by its name and what to do)."""
    if version > SCHEMA_VERSION:
        raise ServiceUnavailable(
            f"the catalog has schema version {version}, newer than this version of "
            f"the server knows (up to {SCHEMA_VERSION})")
    if 0 < version < OLDEST_MIGRATED:
        raise ConfigError(
            f"the catalog file {path.name} has schema version {version}, older than this server "
            f"opens ({OLDEST_MIGRATED} to {SCHEMA_VERSION}): restore a backup of the garden into "
            f"a new data directory, or move {path.name} away to start fresh "
            f"(emotion-garden reindex then catalogues the images already stored)")


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a file of schema ``version`` (0: new; else OLDEST_MIGRATED or later, which
    ``check_version`` has made sure of) up to SCHEMA_VERSION, inside the caller's
    transaction."""
    for statement in statements(SCHEMA):
        conn.execute(statement)
    if version == 2:
        _repad_sequencers(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _repad_sequencers(conn: sqlite3.Connection) -> None:
    """Version 2 (like 1) stored sequencers left-padded; from version 3 they are right-padded
    (catalog.pad_sequencer), or a newer event with a shorter sequencer would look older."""
    rows = conn.execute("SELECT key, seq FROM images WHERE seq != ''").fetchall()
    conn.executemany("UPDATE images SET seq = ? WHERE key = ?",
                     ((new, row["key"]) for row in rows
                      if (new := repad_legacy_sequencer(row["seq"], LOCAL_SEQUENCER_WIDTH))
                      != row["seq"]))
