"""The JobStore port on the SQLite file: the ``jobs`` and ``job_entries`` tables.

- ``jobs``: each job's main document as JSON text (its fields and ``deadEndpoints``).
- ``job_entries``: one row per entry of a job's ``images``/``errors``, primary key
  (job_id, field, entry_key) where entry_key is the entry's ``n`` zero-padded (a re-recorded
  n replaces its row) or a unique time-ordered key. An append is one small insert, never a
  rewrite of the job; a job is read back with one SELECT.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from ...errors import JobNotFound
from .._jobs import (
    DEAD,
    assemble_job,
    check_job_entry,
    dead_endpoint,
    dead_endpoints,
    dump_json,
    job_fields,
    new_job_doc,
    summarize_job,
)
from .db import OnDatabase


class SqliteJobStore(OnDatabase):
    """The JobStore port on a SQLite file; safe to share between threads."""

    def create_job(self, job: dict[str, Any]) -> None:
        doc, entries = new_job_doc(job)
        job_id = doc["jobId"]
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO jobs (job_id, doc) VALUES (?, ?)",
                         (job_id, dump_json({**doc, DEAD: sorted(dead_endpoints(entries))})))
            conn.execute("DELETE FROM job_entries WHERE job_id = ?", (job_id,))
            conn.executemany("INSERT INTO job_entries (job_id, field, entry_key, entry) "
                             "VALUES (?, ?, ?, ?)",
                             ((job_id, f, k, dump_json(e)) for f, k, e in entries))

    def append_job_entry(self, job_id: str, field: str, entry: dict[str, Any]) -> None:
        key = check_job_entry(field, entry)
        data = dump_json(entry)
        dead = dead_endpoint(field, entry)
        with self.db.write() as conn:
            if dead is None:
                found = conn.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
                if found is None:
                    raise JobNotFound(f"no job {job_id!r}")
            else:  # the main document is small: rewriting it is cheap, and atomic with the entry
                doc = _job_doc(conn, job_id)
                if dead not in doc.get(DEAD, []):
                    doc[DEAD] = sorted({*doc.get(DEAD, []), dead})
                    conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?",
                                 (dump_json(doc), job_id))
            conn.execute("INSERT OR REPLACE INTO job_entries (job_id, field, entry_key, entry) "
                         "VALUES (?, ?, ?, ?)", (job_id, field, key, data))

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        fields = job_fields(fields)
        with self.db.write() as conn:
            doc = _job_doc(conn, job_id)
            doc.update(fields)
            conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (dump_json(doc), job_id))

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        rows = self.db.read("SELECT j.doc AS doc, e.field AS field, e.entry_key AS entry_key, "
                            "e.entry AS entry FROM jobs j LEFT JOIN job_entries e "
                            "ON e.job_id = j.job_id WHERE j.job_id = ?", (job_id,))
        if not rows:
            return None
        doc = json.loads(rows[0]["doc"])
        entries = [(r["field"], r["entry_key"], json.loads(r["entry"]))
                   for r in rows if r["field"] is not None]
        return assemble_job(doc, entries, doc.get(DEAD, []))

    def job_summary(self, job_id: str) -> dict[str, Any] | None:
        rows = self.db.read("SELECT doc FROM jobs WHERE job_id = ?", (job_id,))
        if not rows:
            return None
        doc = json.loads(rows[0]["doc"])
        return summarize_job(doc, doc.get(DEAD, []))


def _job_doc(conn: sqlite3.Connection, job_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT doc FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(f"no job {job_id!r}")
    doc: dict[str, Any] = json.loads(row["doc"])
    return doc
