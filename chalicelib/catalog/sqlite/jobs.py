"""The JobStore port on the SQLite file: the ``jobs`` and ``job_entries`` tables.

- ``jobs``: each job's main document as JSON text (its fields and ``deadEndpoints``).
- ``job_entries``: one row per entry of a job's ``images``/``errors``, primary key
  (job_id, field, entry_key) where entry_key is the entry's ``n`` zero-padded (a re-recorded
  n replaces its row) or a unique time-ordered key. An append is one small insert, never a
  rewrite of the job; a job is read back with one SELECT.
- ``job_work``: one row per unit of a job's work (an image to make): its item, state (open,
  leased, done, failed), the lease (worker, token, end) and the endpoints that failed it
  (``tried_by``, JSON). Each change of work is one ``BEGIN IMMEDIATE`` transaction that reads
  the rows, decides with rules/scheduling.py and writes them back: a claim reads the job's
  status and dead endpoints and its open and leased rows lowest first, and leases the first
  the policy lets it — no two workers hold one unit — unless a RUNNING job of higher
  priority (``json_extract(doc, '$.priority')``) has a unit that endpoint may claim.
- The job list reads ``jobs`` newest first through the ``jobs_recent`` index.
- ``allowances``: small counters (``spend``: a visitor's flowers per day, per visit), each
  row deleted once its ``until_ms`` passed.
- ``runners``: each local engine's last heartbeat (runner id → epoch ms); runners silent for
  RUNNER_KEEP_SECONDS are deleted as others beat.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import JobNotFound
from ...rules import scheduling
from ...rules.scheduling import Unit
from .. import Claim, ImageEntry, Job, JobEntry, JobFields, JobPage, Released, UnitView, WorkItem
from .._jobs import (
    DEAD,
    JOB_LISTS,
    WORK_COUNT,
    Clock,
    assemble_job,
    check_job_entry,
    check_list,
    check_work_items,
    dead_endpoints,
    dump_json,
    job_fields,
    list_cursor,
    loads_entry,
    loads_item,
    loads_job,
    new_job_doc,
    new_token,
    now_ms,
    read_list_cursor,
    rival,
    summarize_job,
    unit_view,
    updated,
    with_counts,
)
from .db import OnDatabase, SqliteDatabase


class SqliteJobStore(OnDatabase):
    """The JobStore port on a SQLite file; safe to share between threads. ``clock`` (epoch
    seconds) times leases and heartbeats."""

    def __init__(self, database: SqliteDatabase | Path | str, clock: Clock = time.time) -> None:
        super().__init__(database)
        self._clock = clock

    def create_job(self, job: Job) -> None:
        doc, entries = new_job_doc(job)
        job_id = doc["jobId"]
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO jobs (job_id, doc) VALUES (?, ?)",
                         (job_id, dump_json({**doc, DEAD: sorted(dead_endpoints(entries))})))
            conn.execute("DELETE FROM job_entries WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM job_work WHERE job_id = ?", (job_id,))
            conn.executemany("INSERT INTO job_entries (job_id, field, entry_key, entry) "
                             "VALUES (?, ?, ?, ?)",
                             ((job_id, f, k, dump_json(e)) for f, k, e in entries))

    def append_job_entry(self, job_id: str, field: str, entry: JobEntry) -> None:
        key = check_job_entry(field, entry)
        data = dump_json(entry)
        with self.db.write() as conn:   # the mark, if any, is atomic with the entry
            _mark_dead(conn, job_id, scheduling.dead_endpoint(field, entry))
            conn.execute("INSERT OR REPLACE INTO job_entries (job_id, field, entry_key, entry) "
                         "VALUES (?, ?, ?, ?)", (job_id, field, key, data))

    def update_job(self, job_id: str, fields: JobFields, *,
                   if_status: str | None = None) -> bool:
        fields = job_fields(fields)
        with self.db.write() as conn:
            doc = _job_doc(conn, job_id)
            if if_status is not None and doc.get("status") != if_status:
                return False
            doc = updated(doc, fields)
            conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (dump_json(doc), job_id))
            return True

    def get_job(self, job_id: str) -> Job | None:
        rows = self.db.read("SELECT j.doc AS doc, e.field AS field, e.entry_key AS entry_key, "
                            "e.entry AS entry FROM jobs j LEFT JOIN job_entries e "
                            "ON e.job_id = j.job_id WHERE j.job_id = ?", (job_id,))
        if not rows:
            return None
        doc = loads_job(rows[0]["doc"])
        entries = [(r["field"], r["entry_key"], loads_entry(r["entry"]))
                   for r in rows if r["field"] is not None]
        return assemble_job(doc, entries, doc.get(DEAD, []))

    def job_summary(self, job_id: str) -> Job | None:
        rows = self.db.read("SELECT doc FROM jobs WHERE job_id = ?", (job_id,))
        if not rows:
            return None
        doc = loads_job(rows[0]["doc"])
        return summarize_job(doc, doc.get(DEAD, []))

    def list_jobs(self, kind: str | None = None, status: str | None = None, limit: int = 20,
                  cursor: str | None = None) -> JobPage:
        check_list(kind, status, limit)
        before = read_list_cursor(cursor)
        sql = ("SELECT doc FROM jobs WHERE (? IS NULL OR "
               "COALESCE(json_extract(doc, '$.kind'), 'text2image') = ?) "
               "AND (? IS NULL OR json_extract(doc, '$.status') = ?)")
        params: list[Any] = [kind, kind, status, status]
        if before is not None:
            sql += (" AND (COALESCE(json_extract(doc, '$.createdAt'), ''), job_id) < (?, ?)")
            params += list(before)
        sql += (" ORDER BY json_extract(doc, '$.createdAt') DESC, job_id DESC LIMIT ?")
        rows = self.db.read(sql, [*params, limit + 1])
        docs = [loads_job(r["doc"]) for r in rows]
        counts = self._counts([d["jobId"] for d in docs[:limit]])
        page = [with_counts(summarize_job(d, d.get(DEAD, [])), counts.get(d["jobId"], {}))
                for d in docs[:limit]]
        return JobPage(page, list_cursor(docs[limit - 1]) if len(docs) > limit else None)

    def _counts(self, job_ids: list[str]) -> dict[str, dict[str, int]]:
        if not job_ids:
            return {}
        marks = ", ".join("?" * len(job_ids))
        counts: dict[str, dict[str, int]] = {j: dict.fromkeys(JOB_LISTS, 0) for j in job_ids}
        for row in self.db.read(f"SELECT job_id, field, COUNT(*) AS c FROM job_entries "
                                f"WHERE job_id IN ({marks}) GROUP BY job_id, field", job_ids):
            if row["field"] in JOB_LISTS:
                counts[row["job_id"]][row["field"]] = int(row["c"])
        return counts

    # --- work -----------------------------------------------------------------------------------
    def add_work(self, job_id: str, items: Sequence[WorkItem]) -> None:
        checked = check_work_items(items)
        with self.db.write() as conn:
            doc = _job_doc(conn, job_id)
            conn.executemany("INSERT OR IGNORE INTO job_work (job_id, n, item) VALUES (?, ?, ?)",
                             ((job_id, n, item) for n, item in checked))
            doc[WORK_COUNT] = conn.execute("SELECT COUNT(*) FROM job_work WHERE job_id = ?",
                                           (job_id,)).fetchone()[0]
            conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (dump_json(doc), job_id))

    def claim_work(self, job_id: str, worker: str, uri: str, lease_seconds: float) -> Claim | None:
        with self.db.write() as conn:
            row = conn.execute("SELECT doc FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            doc = loads_job(row["doc"]) if row is not None else None
            if doc is None or not scheduling.takes_claims(doc.get("status"), doc.get(DEAD, []),
                                                          uri, doc.get("paused")):
                return None
            now, token = now_ms(self._clock), new_token()
            if _outranked(conn, job_id, doc, uri, now):
                return None
            rows = conn.execute(f"SELECT {_UNIT} FROM job_work WHERE job_id = ? "
                                "AND state IN (?, ?) ORDER BY n",
                                (job_id, scheduling.OPEN, scheduling.LEASED))
            unit = scheduling.pick(map(_unit, rows), uri, now)   # reads rows until one fits
            rows.close()
            if unit is None:
                return None
            _write_unit(conn, job_id, scheduling.lease(unit, worker, token, lease_seconds, now))
            item, left = conn.execute(
                "SELECT item, (SELECT COUNT(*) FROM job_work WHERE job_id = ? AND state = ?) "
                "FROM job_work WHERE job_id = ? AND n = ?",
                (job_id, scheduling.OPEN, job_id, unit.n)).fetchone()
            return Claim(unit.n, loads_item(item), token, summarize_job(doc, doc.get(DEAD, [])),
                         left)

    def outranked(self, job_id: str, uri: str) -> bool:
        with self.db.write() as conn:
            row = conn.execute("SELECT doc FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            doc = loads_job(row["doc"]) if row is not None else None
            return doc is not None and scheduling.takes_claims(
                doc.get("status"), doc.get(DEAD, []), uri, doc.get("paused")) \
                and _outranked(conn, job_id, doc, uri, now_ms(self._clock))

    def complete_work(self, job_id: str, n: int, token: str, image: ImageEntry) -> bool:
        key = check_job_entry("images", image)
        data = dump_json(image)
        with self.db.write() as conn:
            row = conn.execute(f"SELECT {_UNIT} FROM job_work WHERE job_id = ? AND n = ?",
                               (job_id, n)).fetchone()
            if row is None or not scheduling.completes(unit := _unit(row)):
                return False
            _write_unit(conn, job_id, scheduling.complete(unit, token))
            conn.execute("INSERT OR REPLACE INTO job_entries (job_id, field, entry_key, entry) "
                         "VALUES (?, 'images', ?, ?)", (job_id, key, data))
            return True

    def release_work(self, job_id: str, *, worker: str | None = None,
                     out: str | None = None) -> list[Released]:
        with self.db.write() as conn:
            doc = _mark_dead(conn, job_id, out)
            rows = conn.execute(f"SELECT {_UNIT} FROM job_work WHERE job_id = ? AND state = ? "
                                "ORDER BY n", (job_id, scheduling.LEASED)).fetchall()
            released = []
            for unit in (u for u in map(_unit, rows) if scheduling.held(u, worker)):
                given = scheduling.release(unit, out=out, dead=doc.get(DEAD, []),
                                           endpoints=doc.get("endpoints") or ())
                _write_unit(conn, job_id, given)
                released.append(Released(given.n, given.state == scheduling.OPEN))
            return released

    # --- runners -------------------------------------------------------------------------------
    def spend(self, allowance: str, limit: int, keep_seconds: int) -> bool:
        now = now_ms(self._clock)
        with self.db.write() as conn:
            conn.execute("DELETE FROM allowances WHERE until_ms <= ?", (now,))
            row = conn.execute("SELECT spent FROM allowances WHERE allowance = ?",
                               (allowance,)).fetchone()
            spent = int(row["spent"]) if row is not None else 0
            if spent >= limit:
                return False
            conn.execute("INSERT INTO allowances (allowance, spent, until_ms) VALUES (?, 1, ?) "
                         "ON CONFLICT (allowance) DO UPDATE SET spent = spent + 1",
                         (allowance, now + keep_seconds * 1000))
            return True

    def beat(self, runner: str) -> None:
        now = now_ms(self._clock)
        with self.db.write() as conn:
            conn.execute("INSERT INTO runners (runner, beat_ms) VALUES (?, ?) ON CONFLICT "
                         "(runner) DO UPDATE SET beat_ms = excluded.beat_ms", (runner, now))
            conn.execute("DELETE FROM runners WHERE beat_ms < ?",
                         (scheduling.forgotten_before(now),))

    def beat_age(self, runner: str) -> float | None:
        rows = self.db.read("SELECT beat_ms FROM runners WHERE runner = ?", (runner,))
        if not rows:
            return None
        return scheduling.beat_age(int(rows[0]["beat_ms"]), now_ms(self._clock))

    def take_over(self, job_id: str, runner: str, by: str) -> bool:
        with self.db.write() as conn:
            row = conn.execute("SELECT doc FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            doc = loads_job(row["doc"]) if row is not None else None
            if doc is None or not scheduling.may_take_over(doc.get("status"), doc.get("runner"),
                                                           runner):
                return False
            doc["runner"] = by
            conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (dump_json(doc), job_id))
            return True

    def work(self, job_id: str) -> list[UnitView]:
        rows = self.db.read(f"SELECT {_UNIT} FROM job_work WHERE job_id = ? ORDER BY n", (job_id,))
        return [unit_view(_unit(row)) for row in rows]


_UNIT = "n, state, worker, token, lease_until_ms, tried_by"   # a unit's columns, its item aside


def _unit(row: sqlite3.Row) -> Unit:
    return Unit(row["n"], row["state"], row["worker"], row["token"], row["lease_until_ms"],
                frozenset(json.loads(row["tried_by"])))


def _write_unit(conn: sqlite3.Connection, job_id: str, unit: Unit) -> None:
    """Store what the policy decided for a unit read in the same transaction."""
    conn.execute("UPDATE job_work SET state = ?, worker = ?, token = ?, lease_until_ms = ?, "
                 "tried_by = ? WHERE job_id = ? AND n = ?",
                 (unit.state, unit.worker, unit.token, unit.until,
                  dump_json(sorted(unit.tried_by)), job_id, unit.n))


def _outranked(conn: sqlite3.Connection, job_id: str, doc: Job, uri: str, now: int) -> bool:
    """Whether a claim of ``job_id`` by ``uri`` yields: the other RUNNING jobs of higher
    priority, each with the first unit ``uri`` may claim (if any), weighed by the policy."""
    mine = scheduling.priority_of(doc)
    rivals = []
    for row in conn.execute("SELECT job_id, doc FROM jobs WHERE job_id != ? "
                            "AND json_extract(doc, '$.status') = ? "
                            "AND json_extract(doc, '$.priority') > ?",
                            (job_id, scheduling.RUNNING, mine)).fetchall():
        other = loads_job(row["doc"])
        units = conn.execute(f"SELECT {_UNIT} FROM job_work WHERE job_id = ? "
                             "AND state IN (?, ?) ORDER BY n",
                             (row["job_id"], scheduling.OPEN, scheduling.LEASED))
        first = scheduling.pick(map(_unit, units), uri, now)   # reads rows until one fits
        units.close()
        rivals.append(rival(other, () if first is None else (first,)))
    return scheduling.outranked(mine, uri, rivals, now)


def _job_doc(conn: sqlite3.Connection, job_id: str) -> Job:
    row = conn.execute("SELECT doc FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(f"no job {job_id!r}")
    return loads_job(row["doc"])


def _mark_dead(conn: sqlite3.Connection, job_id: str, endpoint: str | None) -> Job:
    """The job's main document with ``endpoint`` (if any) among its dead endpoints, rewritten
    when it was not (the document is small: cheap); JobNotFound."""
    doc = _job_doc(conn, job_id)
    dead = scheduling.out_of_job(doc.get(DEAD, []), endpoint)
    if dead != set(doc.get(DEAD, [])):
        doc[DEAD] = sorted(dead)
        conn.execute("UPDATE jobs SET doc = ? WHERE job_id = ?", (dump_json(doc), job_id))
    return doc
