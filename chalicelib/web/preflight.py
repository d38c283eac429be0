"""Before the local server starts: is its data directory fit to serve from?

A read-only or broken data directory used to start a server that then answered 500 to
everything; ``data_dir_problem`` finds that first, so ``emotion-garden serve`` can refuse to
start with one line saying what is wrong and where. It checks that the directory and its
``objects`` folder exist (or can be made) and take a new file, and that the catalog opens:
SQLite reads it, its schema is one this version knows (older ones are migrated, as on every
open), and its tables answer.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from ..catalog.sqlite import SCHEMA_VERSION, SqliteDatabase
from ..errors import GardenError

CATALOG = "catalog.sqlite3"
OBJECTS = "objects"


def data_dir_problem(data_dir: Path) -> str | None:
    """None when ``data_dir`` can be served from; else one line naming it and the problem."""
    for folder in (data_dir, data_dir / OBJECTS):
        problem = _writable(folder)
        if problem:
            return problem
    return _catalog(data_dir / CATALOG)


def _writable(folder: Path) -> str | None:
    if folder.exists() and not folder.is_dir():
        return f"{folder} is not a directory"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".preflight-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{folder} is not writable ({exc.strerror or type(exc).__name__})"
    return None


def _catalog(path: Path) -> str | None:
    if path.exists() and not path.is_file():
        return f"the catalog {path} is not a file"
    try:  # SQLite's own words first ("file is not a database"), before any of ours
        with closing(sqlite3.connect(path)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        return f"the catalog {path} cannot be used ({exc})"
    if version > SCHEMA_VERSION:
        return (f"the catalog {path} has schema version {version}, newer than this server "
                f"knows (up to {SCHEMA_VERSION}): run the newer version, or another --data-dir")
    try:
        database = SqliteDatabase(path)   # migrates an older file, as every open does
        try:
            for table in ("images", "likes", "jobs"):
                database.read(f"SELECT 1 FROM {table} LIMIT 1")
        finally:
            database.close()
    except (GardenError, sqlite3.Error, OSError) as exc:
        return f"the catalog {path} cannot be used: {exc}"
    return None
