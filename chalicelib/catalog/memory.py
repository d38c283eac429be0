"""The catalog ports in memory: honest, thread-safe adapters for tests and tools.

They keep every rule of the ports — sequencers, stale and duplicate events, tombstones,
reconcile/forget, garden order (most liked, then newest, then key) with keyset cursors
checked like SQLite's, one like per visitor, likes exported and restored; zone
configurations and the last kiosk reading; job documents
with entries idempotent by ``n``, ``deadEndpoints`` and summaries — and hand out copies, never
what they hold. Job documents and entries are kept as JSON text, as SQLite keeps them: what
JSON cannot hold is an InvalidRequest here too. Nothing survives the process.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ImageNotFound, JobNotFound
from ..rules import scheduling
from ..rules.scheduling import Unit
from . import (
    Claim,
    ImageEntry,
    ImageRecord,
    Job,
    JobEntry,
    JobFields,
    JobPage,
    LikeExport,
    Outcome,
    Page,
    Reading,
    Released,
    UnitView,
    WorkItem,
    pad_sequencer,
)
from ._counters import check_segments, now
from ._images import check_limit, decode_keyset, keyset_page, replayed, same_fields
from ._jobs import (
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
    matches,
    new_job_doc,
    new_token,
    now_ms,
    order_key,
    read_list_cursor,
    rival,
    summarize_job,
    unit_view,
    updated,
    with_counts,
)
from ._zones import check_reading, check_zone, zone_doc
from .memory_counters import MemoryCounters


@dataclass
class _Item:
    """One key's state: its record (None for a tombstone), the last event's padded sequencer,
    and the visitors who liked it."""

    record: ImageRecord | None
    seq: str
    visitors: set[str] = field(default_factory=set)


class MemoryImageIndex(MemoryCounters):
    """The ImageIndex port in memory; safe to share between threads."""

    def __init__(self) -> None:
        self._items: dict[str, _Item] = {}
        self._lock = threading.Lock()
        self._init_counters()

    # --- image items: written from the store only ----------------------------------------
    def apply_created(self, record: ImageRecord, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        with self._lock:
            item = self._items.get(record.key)
            if item is not None and (replay := replayed(item.seq, seq)) is not None:
                return replay
            return self._write(record, seq, item)

    def apply_removed(self, key: str, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        with self._lock:
            item = self._items.get(key)
            if item is not None and (replay := replayed(item.seq, seq)) is not None:
                return replay
            visible = item is not None and item.record is not None
            self._items[key] = _Item(None, seq)
            self._drop_counters(key)
            return Outcome.REMOVED if visible else Outcome.ABSENT

    def reconcile(self, record: ImageRecord) -> Outcome:
        with self._lock:
            item = self._items.get(record.key)
            if item is not None and item.record is not None \
                    and same_fields(item.record, record):
                return Outcome.UNCHANGED
            # The listing is the truth now; the remembered sequencer stays so that events
            # older than the last one applied remain stale.
            return self._write(record, item.seq if item is not None else "", item)

    def forget(self, key: str) -> bool:
        with self._lock:
            item = self._items.get(key)
            if item is None or item.record is None:
                return False
            self._items[key] = _Item(None, item.seq)
            self._drop_counters(key)
            return True

    def _write(self, record: ImageRecord, seq: str, item: _Item | None) -> Outcome:
        """Set the key's fields from the store (the lock held): a visible item keeps its
        likes and visitors, a new or revived one starts from none."""
        if item is None or item.record is None:
            self._items[record.key] = _Item(_stored(record, likes=0), seq)
            return Outcome.ADDED
        item.record, item.seq = _stored(record, likes=item.record.likes), seq
        return Outcome.UPDATED

    # --- reads ----------------------------------------------------------------------------
    def get_image(self, key: str) -> ImageRecord | None:
        with self._lock:
            item = self._items.get(key)
            return _copy(item.record) if item is not None and item.record else None

    def query(self, area: str, emotion: str, orientation: str, limit: int,
              cursor: str | None = None, favorite: str | None = None) -> Page:
        check_limit(limit)
        scope = (area, emotion, orientation)
        after = _order(*decode_keyset(cursor, scope)) if cursor is not None else None
        with self._lock:
            found = sorted((r for r in self._visible()
                            if (r.area, r.emotion, r.orientation) == scope
                            and (favorite is None or r.favorite == favorite)
                            and (after is None or _order_of(r) > after)), key=_order_of)
            return keyset_page([_copy(r) for r in found[:limit + 1]], limit, scope)

    def count(self, area: str, emotion: str) -> int:
        with self._lock:
            return sum(1 for r in self._visible() if (r.area, r.emotion) == (area, emotion))

    def favorites(self, area: str, emotion: str) -> dict[str, int]:
        with self._lock:
            return dict(Counter(r.favorite for r in self._visible()
                                if (r.area, r.emotion) == (area, emotion) and r.favorite))

    def likes_total(self, area: str, emotion: str) -> int:
        with self._lock:
            return sum(r.likes for r in self._visible() if (r.area, r.emotion) == (area, emotion))

    def iter_images(self, prefix: str = "") -> Iterator[ImageRecord]:
        with self._lock:  # a snapshot: the caller may write while it iterates
            records = [_copy(r) for r in self._visible() if r.key.startswith(prefix)]
        yield from sorted(records, key=lambda r: r.key)

    def _visible(self) -> Iterator[ImageRecord]:
        return (item.record for item in self._items.values() if item.record is not None)

    # --- likes ----------------------------------------------------------------------------
    def like(self, key: str, visitor: str, segments: Sequence[str] = ()) -> tuple[int, bool]:
        segments = check_segments(segments)
        with self._lock:   # the like and its counters under one lock: together or not at all
            item = self._visible_item(key)
            if item is None or item.record is None:
                raise ImageNotFound(f"no image {key!r} in the catalog")
            if visitor in item.visitors:
                return item.record.likes, False
            self._add(key, segments, 1, now())   # first: should it fail, nothing was liked
            item.visitors.add(visitor)
            item.record.likes += 1
            return item.record.likes, True

    def export_likes(self) -> Iterator[LikeExport]:
        with self._lock:
            exports = [LikeExport(key, item.record.likes, sorted(item.visitors))
                       for key, item in sorted(self._items.items())
                       if item.record is not None and (item.record.likes or item.visitors)]
        yield from exports

    def restore_likes(self, entry: LikeExport) -> bool:
        with self._lock:
            item = self._visible_item(entry.key)
            if item is None or item.record is None:
                return False
            item.visitors.update(entry.visitors)
            # Never lower a count: restoring twice, or an older backup, changes nothing.
            item.record.likes = max(int(entry.likes), len(item.visitors), item.record.likes)
            return True

    def _visible_item(self, key: str) -> _Item | None:
        item = self._items.get(key)
        return item if item is not None and item.record is not None else None


def _stored(record: ImageRecord, likes: int) -> ImageRecord:
    """What the index keeps of a record from the store: its own copy, numbers as integers,
    provenance as JSON gives it back."""
    return dataclasses.replace(record, created_ms=int(record.created_ms), size=int(record.size),
                               provenance=json.loads(json.dumps(record.provenance or {})),
                               likes=likes)


def _copy(record: ImageRecord) -> ImageRecord:
    return _stored(record, record.likes)


def _order(likes: int, created_ms: int, key: str) -> tuple[int, int, str]:
    """Garden order as one ascending sort key: most liked, then newest, then key."""
    return -likes, -created_ms, key


def _order_of(record: ImageRecord) -> tuple[int, int, str]:
    return _order(record.likes, record.created_ms, record.key)


class MemoryJobStore:
    """The JobStore port in memory; safe to share between threads (a job's branches record
    in parallel). ``clock`` (epoch seconds) times leases and heartbeats. Its units of work
    follow rules/scheduling.py under one lock."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._jobs: dict[str, str] = {}  # job id → main document (JSON)
        self._entries: dict[str, dict[tuple[str, str], str]] = {}  # → (field, key) → entry
        self._items: dict[str, dict[int, str]] = {}  # job id → n → its unit's item (JSON)
        self._units: dict[str, dict[int, Unit]] = {}  # job id → n → unit
        self._beats: dict[str, int] = {}  # runner → its last beat, epoch ms
        self._allowances: dict[str, tuple[int, int]] = {}  # allowance → (count, forget at ms)
        self._clock = clock
        self._lock = threading.Lock()

    def create_job(self, job: Job) -> None:
        doc, entries = new_job_doc(job)
        main = dump_json({**doc, DEAD: sorted(dead_endpoints(entries))})
        stored = {(f, k): dump_json(e) for f, k, e in entries}
        with self._lock:
            self._jobs[doc["jobId"]] = main
            self._entries[doc["jobId"]] = stored
            self._items[doc["jobId"]], self._units[doc["jobId"]] = {}, {}

    def append_job_entry(self, job_id: str, field: str, entry: JobEntry) -> None:
        key = check_job_entry(field, entry)
        data = dump_json(entry)
        dead = scheduling.dead_endpoint(field, entry)
        with self._lock:
            self._mark_dead(self._doc(job_id), dead)
            self._entries[job_id][(field, key)] = data

    def update_job(self, job_id: str, fields: JobFields, *,
                   if_status: str | None = None) -> bool:
        fields = job_fields(fields)
        with self._lock:
            doc = self._doc(job_id)
            if if_status is not None and doc.get("status") != if_status:
                return False
            doc = updated(doc, fields)
            self._jobs[job_id] = dump_json(doc)
            return True

    def get_job(self, job_id: str) -> Job | None:
        with self._lock:
            if (doc := self._find(job_id)) is None:
                return None
            entries = [(f, k, loads_entry(e)) for (f, k), e in self._entries[job_id].items()]
        return assemble_job(doc, entries, doc[DEAD])

    def job_summary(self, job_id: str) -> Job | None:
        with self._lock:
            doc = self._find(job_id)
        return summarize_job(doc, doc[DEAD]) if doc is not None else None

    def list_jobs(self, kind: str | None = None, status: str | None = None, limit: int = 20,
                  cursor: str | None = None) -> JobPage:
        check_list(kind, status, limit)
        before = read_list_cursor(cursor)
        with self._lock:
            docs = [loads_job(main) for main in self._jobs.values()]
            docs = sorted((d for d in docs if matches(d, kind, status)
                           and (before is None or order_key(d) < before)),
                          key=order_key, reverse=True)[:limit + 1]
            page = [with_counts(summarize_job(d, d[DEAD]), self._counts(d["jobId"]))
                    for d in docs[:limit]]
        return JobPage(page, list_cursor(docs[limit - 1]) if len(docs) > limit else None)

    def _counts(self, job_id: str) -> dict[str, int]:
        return {name: sum(1 for (f, _) in self._entries[job_id] if f == name) for name in JOB_LISTS}

    # --- work: read, decide with rules/scheduling.py, write (all under the lock) ----------------
    def add_work(self, job_id: str, items: Sequence[WorkItem]) -> None:
        checked = check_work_items(items)
        with self._lock:
            doc = self._doc(job_id)
            for n, item in checked:
                if n not in self._units[job_id]:
                    self._items[job_id][n], self._units[job_id][n] = item, Unit(n)
            doc[WORK_COUNT] = len(self._units[job_id])
            self._jobs[job_id] = dump_json(doc)

    def claim_work(self, job_id: str, worker: str, uri: str, lease_seconds: float) -> Claim | None:
        with self._lock:
            doc = self._find(job_id)
            if doc is None or not scheduling.takes_claims(doc.get("status"), doc[DEAD], uri,
                                                          doc.get("paused")):
                return None
            units, now, token = self._units[job_id], now_ms(self._clock), new_token()
            if self._outranked(job_id, doc, uri, now):
                return None
            unit = scheduling.pick((units[n] for n in sorted(units)), uri, now)
            if unit is None:
                return None
            units[unit.n] = scheduling.lease(unit, worker, token, lease_seconds, now)
            return Claim(unit.n, loads_item(self._items[job_id][unit.n]), token,
                         summarize_job(doc, doc[DEAD]), scheduling.open_left(units.values()))

    def outranked(self, job_id: str, uri: str) -> bool:
        with self._lock:
            doc = self._find(job_id)
            return doc is not None and _takes(doc, uri) \
                and self._outranked(job_id, doc, uri, now_ms(self._clock))

    def _outranked(self, job_id: str, doc: Job, uri: str, now: int) -> bool:
        """Whether a claim of ``job_id`` by ``uri`` yields to a higher job (lock held)."""
        mine = scheduling.priority_of(doc)
        rivals = (rival(other, self._units[other_id].values())
                  for other_id, text in self._jobs.items() if other_id != job_id
                  for other in (loads_job(text),)
                  if other.get("status") == scheduling.RUNNING
                  and scheduling.priority_of(other) > mine)
        return scheduling.outranked(mine, uri, rivals, now)

    def complete_work(self, job_id: str, n: int, token: str, image: ImageEntry) -> bool:
        key = check_job_entry("images", image)
        data = dump_json(image)
        with self._lock:
            unit = self._units.get(job_id, {}).get(n)
            if unit is None or not scheduling.completes(unit):
                return False
            self._units[job_id][n] = scheduling.complete(unit, token)
            self._entries[job_id][("images", key)] = data
            return True

    def release_work(self, job_id: str, *, worker: str | None = None,
                     out: str | None = None) -> list[Released]:
        with self._lock:
            doc = self._mark_dead(self._doc(job_id), out)
            units, released = self._units[job_id], []
            for n in sorted(units):
                if scheduling.held(units[n], worker):
                    units[n] = scheduling.release(units[n], out=out, dead=doc[DEAD],
                                                  endpoints=doc.get("endpoints") or ())
                    released.append(Released(n, units[n].state == scheduling.OPEN))
            return released

    def work(self, job_id: str) -> list[UnitView]:
        with self._lock:
            if self._find(job_id) is None:
                return []
            return [unit_view(unit) for _, unit in sorted(self._units[job_id].items())]

    # --- runners -------------------------------------------------------------------------------
    def spend(self, allowance: str, limit: int, keep_seconds: int) -> bool:
        with self._lock:
            now = now_ms(self._clock)
            for stale in [a for a, (_, until) in self._allowances.items() if until <= now]:
                del self._allowances[stale]
            count, until = self._allowances.get(allowance, (0, now + keep_seconds * 1000))
            if count >= limit:
                return False
            self._allowances[allowance] = (count + 1, until)
            return True

    def beat(self, runner: str) -> None:
        with self._lock:
            now = now_ms(self._clock)
            self._beats[runner] = now
            for stale in [r for r, at in self._beats.items()
                          if at < scheduling.forgotten_before(now)]:
                del self._beats[stale]

    def beat_age(self, runner: str) -> float | None:
        with self._lock:
            at = self._beats.get(runner)
            return None if at is None else scheduling.beat_age(at, now_ms(self._clock))

    def take_over(self, job_id: str, runner: str, by: str) -> bool:
        with self._lock:
            doc = self._find(job_id)
            if doc is None or not scheduling.may_take_over(doc.get("status"), doc.get("runner"),
                                                           runner):
                return False
            doc["runner"] = by
            self._jobs[job_id] = dump_json(doc)
            return True

    def _mark_dead(self, doc: Job, out: str | None) -> Job:
        """The job's document with ``out`` (if any) among its dead endpoints, stored (lock held)."""
        dead = scheduling.out_of_job(doc[DEAD], out)
        if dead != set(doc[DEAD]):
            doc[DEAD] = sorted(dead)
            self._jobs[doc["jobId"]] = dump_json(doc)
        return doc

    def _find(self, job_id: str) -> Job | None:
        """A fresh copy of the job's main document, None when there is no job (lock held)."""
        if job_id not in self._jobs:
            return None
        return loads_job(self._jobs[job_id])

    def _doc(self, job_id: str) -> Job:
        """As _find, but JobNotFound when there is no job."""
        if (doc := self._find(job_id)) is None:
            raise JobNotFound(f"no job {job_id!r}")
        return doc


def _takes(doc: Job, uri: str) -> bool:
    """Whether the job takes claims from ``uri`` at all (a refused claim yields to nobody)."""
    return scheduling.takes_claims(doc.get("status"), doc.get(DEAD) or (), uri, doc.get("paused"))


class MemoryZoneStore:
    """The ZoneStore port in memory; configurations kept as JSON text (copies out)."""

    def __init__(self) -> None:
        self._zones: dict[int, str] = {}
        self._reading: Reading | None = None
        self._lock = threading.Lock()

    def get_zone(self, zone: int) -> dict[str, Any] | None:
        with self._lock:
            doc = self._zones.get(check_zone(zone))
        return None if doc is None else dict(json.loads(doc))

    def put_zone(self, config: dict[str, Any]) -> None:
        zone, doc = zone_doc(config)
        with self._lock:
            self._zones[zone] = doc

    def delete_zone(self, zone: int) -> bool:
        with self._lock:
            return self._zones.pop(check_zone(zone), None) is not None

    def list_zones(self) -> list[dict[str, Any]]:
        with self._lock:
            docs = sorted(self._zones.items())
        return [dict(json.loads(doc)) for _, doc in docs]

    def record_reading(self, emotion: str, at_ms: int) -> bool:
        emotion, at_ms = check_reading(emotion, at_ms)
        with self._lock:
            if self._reading is not None and self._reading.at_ms > at_ms:
                return False
            self._reading = Reading(emotion, at_ms)
            return True

    def last_reading(self) -> Reading | None:
        with self._lock:
            return self._reading


if TYPE_CHECKING:  # mypy checks here that the adapters satisfy the ports
    from . import ImageIndex, JobStore, ZoneStore

    def _ports() -> tuple[ImageIndex, JobStore, ZoneStore]:
        return MemoryImageIndex(), MemoryJobStore(), MemoryZoneStore()
