"""What the job-store adapters share: job documents split into a main document and entries,
entry keys, dead endpoints, the documents read back, a job's units of work as stored and
viewed, and the job list's cursors. Who may claim a unit, which completion counts and when a
released one is still makeable are the scheduling policy's (``rules/scheduling.py``)."""
from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, cast

from ..errors import InvalidRequest
from ..rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from ..rules.scheduling import LEASED, OPEN, Rival, Unit, dead_endpoint, priority_of
from . import MAX_ENTRY_N, Job, JobCounts, JobEntry, JobFields, UnitView, WorkItem

# images: made; errors: images no endpoint could make (one per n); retried: an endpoint's
# failure on an image that went back to the others (one per n and endpoint)
JOB_LISTS = ("images", "errors", "retried")
DEAD: Final = "deadEndpoints"
JOB_OWN = (*JOB_LISTS, DEAD)          # fields only the store writes
UNKEYED = "~"                         # sorts after every zero-padded n
_ORDER = itertools.count()            # ties of time_ns within one process keep call order

Entry = tuple[str, str, JobEntry]   # (field, entry key, entry)


def new_job_doc(job: Job) -> tuple[Job, list[Entry]]:
    """A new job split as stored: its main document (no entry lists) and its entries as
    ``(field, entry key, entry)``; the document's ``deadEndpoints`` follow from the errors."""
    job_id = job.get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise InvalidRequest("a job needs a non-empty string jobId")
    doc = without_own(job)
    entries: list[Entry] = []
    for name in JOB_LISTS:
        value: object = job.get(name) or []
        if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
            raise InvalidRequest(f"a job's {name} must be a list of objects")
        entries += [(name, entry_key(e, name), e) for e in cast(list[JobEntry], value)]
    return doc, dedupe_entries(entries)


def without_own(job: Job) -> Job:
    """A copy of the document without the store's own fields (entry lists, deadEndpoints)."""
    return cast(Job, {k: v for k, v in job.items() if k not in JOB_OWN})


def dedupe_entries(entries: Iterable[Entry]) -> list[Entry]:
    """The last entry of each (field, key) wins, as later appends would."""
    return list({(f, k): (f, k, e) for f, k, e in entries}.values())


def check_job_list(field: str) -> None:
    if field not in JOB_LISTS:
        raise InvalidRequest(f"a job's lists are {', '.join(JOB_LISTS)}, not {field!r}")


def check_job_entry(field: str, entry: object) -> str:
    """The entry's storage key; InvalidRequest for a bad field or entry."""
    check_job_list(field)
    if not isinstance(entry, dict):
        raise InvalidRequest("a job entry must be an object")
    return entry_key(cast(JobEntry, entry), field)


def entry_key(entry: JobEntry, field: str = "images") -> str:
    """``n`` zero-padded (so a re-recorded n replaces its entry; in ``retried``, n and the
    endpoint), else a unique key that sorts after every n and, among its kind, by time of
    writing."""
    n = entry.get("n")
    if n is None:
        return f"{UNKEYED}{time.time_ns():020d}{next(_ORDER) % 10**6:06d}{secrets.token_hex(3)}"
    if type(n) is not int or not 0 <= n <= MAX_ENTRY_N:
        raise InvalidRequest(f"a job entry's n must be a whole number from 0 to {MAX_ENTRY_N}")
    if field == "retried":
        endpoint = str(entry.get("endpoint"))
        return f"{n:06d}-{hashlib.sha256(endpoint.encode()).hexdigest()[:12]}"
    return f"{n:06d}"


def dead_endpoints(entries: Iterable[Entry]) -> set[str]:
    return {uri for field, _, entry in entries if (uri := dead_endpoint(field, entry))}


def job_fields(fields: JobFields) -> JobFields:
    """The fields ``update_job`` sets: ``jobId`` dropped (a job keeps its id); InvalidRequest
    when they name the store's own lists or ``deadEndpoints``."""
    kept = cast(JobFields, {k: v for k, v in fields.items() if k != "jobId"})
    own = [k for k in kept if k in JOB_OWN]
    if own:
        raise InvalidRequest(f"job fields {own} are kept by the catalog itself")
    return kept


def assemble_job(doc: Job, entries: Iterable[Entry], dead: Iterable[str] = ()) -> Job:
    """The whole job document: lists sorted by entry key (n first, then unkeyed in order);
    images and errors are always there, retried only when an image was retried."""
    lists: dict[str, list[tuple[str, JobEntry]]] = {name: [] for name in JOB_LISTS}
    for field, key, entry in entries:
        lists[field].append((key, entry))
    job = summarize_job(doc, dead)
    for name in JOB_LISTS:
        ordered = [entry for _, entry in sorted(lists[name], key=lambda pair: pair[0])]
        if ordered or name != "retried":
            cast(dict[str, object], job)[name] = ordered
    return job


def updated(doc: Job, fields: JobFields) -> Job:
    """The document with ``fields`` (already checked by job_fields) set."""
    return cast(Job, {**doc, **fields})


def summarize_job(doc: Job, dead: Iterable[str]) -> Job:
    """The document without entry lists, ``deadEndpoints`` sorted, absent when there are none."""
    summary = without_own(doc)
    if dead := sorted(set(dead)):
        summary["deadEndpoints"] = dead
    return summary


def with_counts(summary: Job, counts: Mapping[str, int]) -> Job:
    """A listed job: its summary and how many entries each of its lists has."""
    return {**summary, "counts": JobCounts(images=counts.get("images", 0),
                                           errors=counts.get("errors", 0),
                                           retried=counts.get("retried", 0))}


def dump_json(value: object) -> str:
    """JSON text of a job document or entry; InvalidRequest for what JSON cannot hold."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"cannot store this in a job record: {exc}") from exc


# --- a job's units of work ------------------------------------------------------------------
WORK_COUNT: Final = "workCount"          # units the job has (its main document; the store's own)


def check_work_items(items: Sequence[WorkItem]) -> list[tuple[int, str]]:
    """``(n, item JSON)`` per item; InvalidRequest for an item without a usable ``n``."""
    checked = []
    for item in items:
        n: object = item.get("n") if isinstance(item, dict) else None
        if type(n) is not int or not 0 <= n <= MAX_ENTRY_N:
            raise InvalidRequest(f"a unit of work needs an n from 0 to {MAX_ENTRY_N}")
        checked.append((n, dump_json(item)))
    return checked


def new_token() -> str:
    return secrets.token_hex(8)


Clock = Callable[[], float]          # epoch seconds: time.time, or a test's hand-moved clock


def now_ms(clock: Clock = time.time) -> int:
    return int(clock() * 1000)


def unit_view(unit: Unit) -> UnitView:
    return {"n": unit.n, "state": unit.state, "worker": unit.worker, "leaseUntil": unit.until,
            "triedBy": sorted(unit.tried_by)}


def rival(doc: Job, units: Iterable[Unit]) -> Rival:
    """Another job as a claim weighs it (``scheduling.outranked``): its document and its units
    (all, or the one a store found its endpoint may claim)."""
    return Rival(priority_of(doc), doc.get("status"), bool(doc.get("paused")),
                 frozenset(doc.get("endpoints") or ()), frozenset(doc.get(DEAD) or ()),
                 tuple(unit for unit in units if unit.state in (OPEN, LEASED)))


def loads_job(text: str | bytes) -> Job:
    """A job document stored as JSON text, read back (the store wrote it from a Job)."""
    return cast(Job, json.loads(text))


def loads_entry(text: str | bytes) -> JobEntry:
    return cast(JobEntry, json.loads(text))


def loads_item(text: str | bytes) -> WorkItem:
    return cast(WorkItem, json.loads(text))


# --- the job list --------------------------------------------------------------------------
MAX_LIST = 100


def check_list(kind: str | None, status: str | None, limit: int) -> None:
    if type(limit) is not int or not 1 <= limit <= MAX_LIST:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_LIST}")
    for name, value in (("kind", kind), ("status", status)):
        if value is not None and not isinstance(value, str):
            raise InvalidRequest(f"{name} must be a string")


def job_kind(doc: Job) -> str:
    """A job without a kind predates bulk jobs: it is a text-to-image job."""
    return str(doc.get("kind") or "text2image")


def matches(doc: Job, kind: str | None, status: str | None) -> bool:
    return (kind is None or job_kind(doc) == kind) and (status is None or doc.get("status") == status)


def order_key(doc: Job) -> tuple[str, str]:
    """Newest first sorts by this, descending."""
    return (str(doc.get("createdAt") or ""), str(doc["jobId"]))


def list_cursor(doc: Job) -> str:
    return encode_cursor({"jobsBefore": list(order_key(doc))})


def read_list_cursor(cursor: str | None) -> tuple[str, str] | None:
    """Where the previous page ended; InvalidRequest for a cursor not made by list_cursor."""
    if cursor is None:
        return None
    data = decode_cursor(cursor)
    before = data.get("jobsBefore")
    if set(data) != {"jobsBefore"} or not isinstance(before, list) or len(before) != 2 \
            or not all(isinstance(part, str) for part in before):
        raise InvalidRequest(BAD_CURSOR)
    return before[0], before[1]
