"""SQLite-only behaviour: concurrency, the query plan at scale, the schema's life cycle, one
file shared by both adapters."""
from __future__ import annotations

import base64
import contextlib
import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.catalog import Outcome, pad_sequencer
from chalicelib.catalog.sqlite import (
    SCHEMA_VERSION,
    SqliteDatabase,
    SqliteImageIndex,
    SqliteJobStore,
)
from chalicelib.errors import ConfigError, InvalidRequest, ServiceUnavailable
from chalicelib.rules.cursors import encode_cursor

KEY = "emotions/HAPPY/rose/bloom 1h.jpeg"
T0 = 1_700_000_000_000


def test_eight_threads_liking_at_once_count_every_visitor_exactly_once(sqlite_images,
                                                                     make_record):
    sqlite_images.apply_created(make_record(KEY), "01")
    start = threading.Barrier(8)

    def worker(t: int) -> list[tuple[int, bool]]:
        start.wait()
        # Each visitor likes twice: the second must never count.
        return [sqlite_images.like(KEY, f"v{t}-{i}") for i in range(50)] + \
               [sqlite_images.like(KEY, f"v{t}-{i}") for i in range(0, 50, 10)]

    with ThreadPoolExecutor(8) as pool:
        results = [r for rs in pool.map(worker, range(8)) for r in rs]
    assert sum(counted for _, counted in results) == 400
    assert sorted(n for n, counted in results if counted) == list(range(1, 401))
    assert sqlite_images.get_image(KEY).likes == 400
    (export,) = sqlite_images.export_likes()
    assert export.likes == 400 and len(export.visitors) == 400


def test_concurrent_created_events_leave_the_newest_one(sqlite_images, make_record):
    start = threading.Barrier(8)
    sequencers = [f"{n:04X}" for n in range(1, 161)]

    def deliver(chunk: int) -> list[Outcome]:
        start.wait()
        return [sqlite_images.apply_created(make_record(KEY, size=int(s, 16)), s)
                for s in sequencers[chunk::8]]

    with ThreadPoolExecutor(8) as pool:
        outcomes = [o for os in pool.map(deliver, range(8)) for o in os]
    assert outcomes.count(Outcome.ADDED) == 1
    assert set(outcomes) <= {Outcome.ADDED, Outcome.UPDATED, Outcome.STALE}
    got = sqlite_images.get_image(KEY)
    assert got.size == 160  # the newest event's fields, whatever the arrival order
    row = sqlite3.connect(sqlite_images.path).execute(
        "SELECT seq, tombstone FROM images WHERE key = ?", (KEY,)).fetchone()
    assert row == (pad_sequencer("00A0"), 0)


def test_a_second_catalog_on_the_same_file_sees_the_same_data(tmp_path, make_record):
    first = SqliteImageIndex(tmp_path / "c.db")
    first.apply_created(make_record(KEY), "01")
    first.like(KEY, "ana")
    second = SqliteImageIndex(tmp_path / "c.db")  # the schema step is idempotent
    assert second.get_image(KEY).likes == 1
    assert second.like(KEY, "ana") == (1, False)
    conn = sqlite3.connect(tmp_path / "c.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    first.close()
    second.close()


def test_a_newer_schema_than_the_code_knows_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "c.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ServiceUnavailable, match="schema version"):
        SqliteImageIndex(tmp_path / "c.db")


def test_a_write_lock_held_too_long_is_service_unavailable(tmp_path, make_record,
                                                          monkeypatch):
    import chalicelib.catalog.sqlite.db as module
    monkeypatch.setattr(module, "BUSY_TIMEOUT_MS", 50)
    catalog = SqliteImageIndex(tmp_path / "c.db")
    blocker = sqlite3.connect(tmp_path / "c.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ServiceUnavailable):
            catalog.apply_created(make_record(KEY), "01")
        assert catalog.get_image(KEY) is None  # WAL: reads go on meanwhile
    finally:
        blocker.execute("ROLLBACK")
    assert catalog.apply_created(make_record(KEY), "01") is Outcome.ADDED


@contextlib.contextmanager
def query_plans(catalog: SqliteImageIndex):
    """SQLite's plan for every read the catalog makes inside the block."""
    conn = sqlite3.connect(catalog.path)
    plans: list[str] = []
    real_read = catalog.db.read

    def explain(sql, params=()):
        plans.extend(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, tuple(params)))
        return real_read(sql, params)

    catalog.db.read = explain  # type: ignore[method-assign]
    try:
        yield plans
    finally:
        catalog.db.read = real_read  # type: ignore[method-assign]
        conn.close()


@pytest.mark.parametrize("with_cursor", [False, True])
def test_a_garden_page_is_an_index_range_scan_without_sorting(sqlite_images, make_record,
                                                             with_cursor):
    records = [make_record(f"emotions/{e}/f{i}{o}.jpeg", created_ms=T0 + i)
               for e in ("HAPPY", "SAD") for o in "hv" for i in range(300)]
    assert sqlite_images.bulk_insert(records, "01") == 1200
    page = sqlite_images.query("emotions", "HAPPY", "landscape", 24)
    assert len(page.items) == 24
    cursor = page.cursor if with_cursor else None
    with query_plans(sqlite_images) as plans:
        sqlite_images.query("emotions", "HAPPY", "landscape", 24, cursor)
    assert plans and all("USING INDEX images_garden" in p for p in plans), plans
    assert not any("TEMP B-TREE" in p for p in plans), plans


def test_iter_images_reads_past_one_batch(sqlite_images, make_record):
    keys = {f"pool/FEAR/i{i:04d}v.jpeg" for i in range(1203)}
    sqlite_images.bulk_insert([make_record(k) for k in keys])
    sqlite_images.reconcile(make_record("pool/HAPPY/zh.jpeg"))
    sqlite_images.reconcile(make_record("emotions/FEAR/ah.jpeg"))
    assert {r.key for r in sqlite_images.iter_images("pool/FEAR/")} == keys
    assert len(list(sqlite_images.iter_images())) == 1205


def test_bulk_insert_skips_catalogued_keys_and_tombstones(sqlite_images, make_record):
    sqlite_images.apply_created(make_record(KEY, size=1), "05")
    sqlite_images.apply_removed("emotions/SAD/xh.jpeg", "05")
    added = sqlite_images.bulk_insert([make_record(KEY, size=2),
                                        make_record("emotions/SAD/xh.jpeg"),
                                        make_record("emotions/SAD/yh.jpeg")], "01")
    assert added == 1
    assert sqlite_images.get_image(KEY).size == 1
    assert sqlite_images.get_image("emotions/SAD/xh.jpeg") is None
    # Bulk items remember their sequencer like any other.
    assert sqlite_images.apply_created(make_record("emotions/SAD/yh.jpeg"), "01") \
        is Outcome.DUPLICATE


def test_a_thread_per_request_reuses_pooled_connections(sqlite_images, make_record,
                                                        monkeypatch):
    # The local server starts one thread per request: connections must not pile up.
    opened = []
    real_connect = sqlite_images.db._connect
    monkeypatch.setattr(sqlite_images.db, "_connect",
                        lambda: opened.append(1) or real_connect())
    sqlite_images.apply_created(make_record(KEY), "01")
    for n in range(40):
        thread = threading.Thread(target=sqlite_images.like, args=(KEY, f"v{n}"))
        thread.start()
        thread.join()
    assert sqlite_images.get_image(KEY).likes == 40
    assert len(opened) <= 1


_V1_SCHEMA = """
CREATE TABLE images (key TEXT PRIMARY KEY, area TEXT, emotion TEXT, favorite TEXT,
    orientation TEXT, created_ms INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,
    provenance TEXT NOT NULL DEFAULT '{}', likes INTEGER NOT NULL DEFAULT 0,
    seq TEXT NOT NULL DEFAULT '', tombstone INTEGER NOT NULL DEFAULT 0);
CREATE TABLE likes (key TEXT NOT NULL, visitor TEXT NOT NULL, liked_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, visitor)) WITHOUT ROWID;
CREATE TABLE jobs (job_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
PRAGMA user_version = 1;
"""


def test_a_version_1_catalog_is_refused_with_what_to_do_and_left_as_it_was(tmp_path):
    """Version 1 kept a job's entry lists inside its document; no migration reads it any more."""
    conn = sqlite3.connect(tmp_path / "catalog.sqlite3")
    conn.executescript(_V1_SCHEMA)
    conn.execute("INSERT INTO jobs VALUES ('old', ?)",
                 (json.dumps({"jobId": "old", "images": [{"n": 0, "key": "k0"}]}),))
    conn.commit()
    conn.close()
    with pytest.raises(ConfigError) as refused:
        SqliteJobStore(tmp_path / "catalog.sqlite3")
    message = str(refused.value)
    assert "catalog.sqlite3" in message and "schema version 1" in message
    assert "backup" in message and "start fresh" in message and "\n" not in message
    assert str(tmp_path) not in message                      # the file's name, not its path
    check = sqlite3.connect(tmp_path / "catalog.sqlite3")    # nothing was written
    assert check.execute("PRAGMA user_version").fetchone()[0] == 1
    assert {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} \
        == {"images", "likes", "jobs"}
    check.close()


def test_appending_to_a_job_writes_one_row_and_never_the_document(sqlite_jobs):
    sqlite_jobs.create_job({"jobId": "j", "status": "RUNNING", "request": {"text": "x" * 5000}})
    statements: list[str] = []
    real_connect = sqlite_jobs.db._connect

    def traced():
        conn = real_connect()
        conn.set_trace_callback(statements.append)
        return conn

    sqlite_jobs.close()
    sqlite_jobs.db._connect = traced
    sqlite_jobs.append_job_entry("j", "images", {"n": 0, "key": "k0"})
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert len(writes) == 1 and "job_entries" in writes[0] and "x" * 100 not in writes[0]


@pytest.mark.parametrize("likes, created", [(2**63, 0), (2**70, 0), (0, 2**63), (0, -(2**63) - 1)])
def test_a_cursor_with_numbers_sqlite_cannot_hold_is_an_invalid_request(sqlite_images, likes,
                                                                        created):
    cursor = encode_cursor({"s": ["emotions", "HAPPY", "landscape"], "l": likes, "c": created,
                            "k": "emotions/HAPPY/ah.jpeg"})
    with pytest.raises(InvalidRequest):
        sqlite_images.query("emotions", "HAPPY", "landscape", 5, cursor)


def test_a_cursor_smuggling_a_lone_surrogate_is_an_invalid_request(sqlite_images):
    raw_json = '{"c":0,"k":"\\ud800","l":0,"s":["emotions","HAPPY","landscape"]}'
    cursor = base64.urlsafe_b64encode(raw_json.encode()).decode().rstrip("=")
    with pytest.raises(InvalidRequest):
        sqlite_images.query("emotions", "HAPPY", "landscape", 5, cursor)


def test_likes_total_reads_the_garden_index_alone(sqlite_images, make_record):
    sqlite_images.bulk_insert([make_record(f"emotions/HAPPY/f{i}h.jpeg") for i in range(50)], "01")
    with query_plans(sqlite_images) as plans:
        assert sqlite_images.likes_total("emotions", "HAPPY") == 0
    assert plans and all("USING INDEX images_garden (area=? AND emotion=?)" in p
                         for p in plans), plans


def test_both_adapters_share_one_database_file(tmp_path, make_record):
    database = SqliteDatabase(tmp_path / "catalog.sqlite3")
    images, jobs = SqliteImageIndex(database), SqliteJobStore(database)
    assert images.db is jobs.db is database and images.path == jobs.path == database.path
    images.apply_created(make_record(KEY), "01")
    jobs.create_job({"jobId": "j", "status": "RUNNING"})
    images.close()  # closes the shared pool; both go on with new connections
    assert jobs.get_job("j")["status"] == "RUNNING" and images.get_image(KEY) is not None
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".sqlite3"] == ["catalog.sqlite3"]
    tables = {r[0] for r in sqlite3.connect(database.path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"images", "likes", "image_counts", "impression_marks", "jobs", "job_entries",
                      "job_work", "zones", "kiosk_reading", "runners", "allowances"}
    # Adapters opened on the path alone see the same data.
    assert SqliteJobStore(database.path).job_summary("j") == {"jobId": "j", "status": "RUNNING"}
    assert SqliteImageIndex(str(database.path)).get_image(KEY).key == KEY
    database.close()


def test_a_version_2_catalog_gets_its_sequencers_padded_on_the_right(tmp_path, make_record):
    # Versions up to 2 stored the folder store's 20-digit sequencers left-padded to 32.
    stored, newer = "018D2A6C51E2F3A40000", "018D2A6C51E2F3A4001"  # the newer one is shorter
    SqliteImageIndex(tmp_path / "c.db").close()
    conn = sqlite3.connect(tmp_path / "c.db")
    conn.execute("INSERT INTO images (key, area, emotion, orientation, seq) VALUES "
                 "(?, 'emotions', 'HAPPY', 'landscape', ?)", (KEY, stored.rjust(32, "0")))
    conn.execute("INSERT INTO images (key, seq, tombstone) VALUES (?, ?, 1)",
                 ("emotions/SAD/gone h.jpeg", "018D2A6C51E2F3A40005".rjust(32, "0")))
    conn.execute("INSERT INTO images (key, area, emotion, orientation, seq) VALUES "
                 "('emotions/CALM/ch.jpeg', 'emotions', 'CALM', 'landscape', '')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    index = SqliteImageIndex(tmp_path / "c.db")
    check = sqlite3.connect(tmp_path / "c.db")
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert dict(check.execute("SELECT key, seq FROM images").fetchall()) == {
        KEY: pad_sequencer(stored),
        "emotions/SAD/gone h.jpeg": pad_sequencer("018D2A6C51E2F3A40005"),
        "emotions/CALM/ch.jpeg": ""}
    check.close()
    assert index.apply_created(make_record(KEY), stored) is Outcome.DUPLICATE
    assert index.apply_removed(KEY, newer) is Outcome.REMOVED
    index.close()


def test_the_sequencer_migration_keeps_every_digit_of_a_long_sequencer(tmp_path, make_record):
    """A sequencer longer than the folder store's 20 digits (an S3 event's, replayed into the
    local garden) was left-padded too; none of its digits may be lost on the way."""
    long, short = "0123456789ABCDEF01234567", "00FF00000000000000AB"       # 24 and 20 digits
    SqliteImageIndex(tmp_path / "c.db").close()
    conn = sqlite3.connect(tmp_path / "c.db")
    for key, seq in (("emotions/HAPPY/longh.jpeg", long), ("emotions/HAPPY/shorth.jpeg", short)):
        conn.execute("INSERT INTO images (key, area, emotion, orientation, seq) VALUES "
                     "(?, 'emotions', 'HAPPY', 'landscape', ?)", (key, seq.rjust(32, "0")))
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    index = SqliteImageIndex(tmp_path / "c.db")
    check = sqlite3.connect(tmp_path / "c.db")
    # the long one does not look left-padded to 20 digits: it is kept as it was, every digit
    assert dict(check.execute("SELECT key, seq FROM images").fetchall()) == {
        "emotions/HAPPY/longh.jpeg": "00000000" + long,
        "emotions/HAPPY/shorth.jpeg": short + "0" * 12}
    check.close()
    assert index.apply_created(make_record("emotions/HAPPY/shorth.jpeg"), short) is Outcome.DUPLICATE
    index.close()


def test_a_fresh_page_reads_the_fresh_index_in_order(sqlite_images, make_record):
    sqlite_images.bulk_insert([make_record(f"emotions/HAPPY/f{i}h.jpeg", created_ms=i)
                               for i in range(50)], "01")
    cursor = sqlite_images.query_fresh("emotions", "HAPPY", "landscape", 5).cursor
    with query_plans(sqlite_images) as plans:
        sqlite_images.query_fresh("emotions", "HAPPY", "landscape", 5, cursor)
    assert plans and all("USING INDEX images_fresh" in p for p in plans), plans
    assert not any("TEMP B-TREE" in p for p in plans), plans
