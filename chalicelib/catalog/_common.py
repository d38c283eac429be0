"""What both catalog adapters share: cursor encoding, job documents, record comparison."""
from __future__ import annotations

import base64
import binascii
import itertools
import json
import secrets
import time
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidRequest
from . import DEAD_ENDPOINT_ERRORS, MAX_ENTRY_N, ImageRecord

JOB_LISTS = ("images", "errors")
DEAD = "deadEndpoints"
JOB_OWN = (*JOB_LISTS, DEAD)          # fields only the catalog writes
UNKEYED = "~"                         # sorts after every zero-padded n
_ORDER = itertools.count()            # ties of time_ns within one process keep call order
BAD_CURSOR = "the cursor is not one this server issued for this query"


def encode_cursor(data: dict[str, Any]) -> str:
    """Opaque to clients: base64url (unpadded) of compact JSON."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: object) -> dict[str, Any]:
    """The JSON object inside a cursor; InvalidRequest for anything else."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > 4096:
        raise InvalidRequest(BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidRequest(BAD_CURSOR) from exc
    if not isinstance(data, dict):
        raise InvalidRequest(BAD_CURSOR)
    try:  # JSON's \u escapes can smuggle in lone surrogates, which no database accepts
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise InvalidRequest(BAD_CURSOR) from exc
    return data


def check_limit(limit: object) -> int:
    if type(limit) is not int or limit < 1:
        raise InvalidRequest("limit must be a positive integer")
    return limit


def same_fields(a: ImageRecord, b: ImageRecord) -> bool:
    """Whether two records describe the same object (likes aside): reconcile's UNCHANGED."""
    return (a.area, a.emotion, a.favorite, a.orientation, int(a.created_ms), int(a.size),
            a.provenance or {}) == (b.area, b.emotion, b.favorite, b.orientation,
                                    int(b.created_ms), int(b.size), b.provenance or {})


def new_job_doc(job: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]:
    """A new job split as stored: its main document (no entry lists) and its entries as
    ``(field, entry key, entry)``; the document's ``deadEndpoints`` follow from the errors."""
    job_id = job.get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise InvalidRequest("a job needs a non-empty string jobId")
    doc = {k: v for k, v in job.items() if k not in JOB_OWN}
    entries: list[tuple[str, str, dict[str, Any]]] = []
    for name in JOB_LISTS:
        value = job.get(name) or []
        if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
            raise InvalidRequest(f"a job's {name} must be a list of objects")
        entries += [(name, entry_key(e), e) for e in value]
    return doc, dedupe_entries(entries)


def dedupe_entries(entries: Iterable[tuple[str, str, dict[str, Any]]]
                   ) -> list[tuple[str, str, dict[str, Any]]]:
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
    return entry_key(entry)


def entry_key(entry: dict[str, Any]) -> str:
    """``n`` zero-padded (so a re-recorded n replaces its entry), else a unique key that sorts
    after every n and, among its kind, by time of writing."""
    n = entry.get("n")
    if n is None:
        return f"{UNKEYED}{time.time_ns():020d}{next(_ORDER) % 10**6:06d}{secrets.token_hex(3)}"
    if type(n) is not int or not 0 <= n <= MAX_ENTRY_N:
        raise InvalidRequest(f"a job entry's n must be a whole number from 0 to {MAX_ENTRY_N}")
    return f"{n:06d}"


def legacy_entry_key(index: int, entry: dict[str, Any]) -> str:
    """Keys for entries kept inside a version-1 job document: its n when it has a usable one,
    else one sorting in list order after the n's (and before anything unkeyed written later)."""
    n = entry.get("n")
    if type(n) is int and 0 <= n <= MAX_ENTRY_N:
        return f"{n:06d}"
    return f"{UNKEYED}{0:020d}{index:06d}"


def dead_endpoint(field: str, entry: dict[str, Any]) -> str | None:
    """The endpoint an ``errors`` entry marks as down or hung for the rest of its job."""
    if field == "errors" and entry.get("error") in DEAD_ENDPOINT_ERRORS \
            and isinstance(entry.get("endpoint"), str) and entry["endpoint"]:
        return str(entry["endpoint"])
    return None


def dead_endpoints(entries: Iterable[tuple[str, str, dict[str, Any]]]) -> set[str]:
    return {uri for field, _, entry in entries if (uri := dead_endpoint(field, entry))}


def check_job_fields(fields: dict[str, Any]) -> None:
    own = [k for k in fields if k in JOB_OWN]
    if own:
        raise InvalidRequest(f"job fields {own} are kept by the catalog itself")


def assemble_job(doc: dict[str, Any], entries: Iterable[tuple[str, str, dict[str, Any]]],
                 dead: Iterable[str] = ()) -> dict[str, Any]:
    """The whole job document: lists sorted by entry key (n first, then unkeyed in order)."""
    job = {k: v for k, v in doc.items() if k not in JOB_OWN}
    lists: dict[str, list[tuple[str, dict[str, Any]]]] = {name: [] for name in JOB_LISTS}
    for field, key, entry in entries:
        lists[field].append((key, entry))
    for name in JOB_LISTS:
        job[name] = [entry for _, entry in sorted(lists[name], key=lambda pair: pair[0])]
    with_dead = summarize_job(job, dead)
    with_dead.update({name: job[name] for name in JOB_LISTS})
    return with_dead


def summarize_job(doc: dict[str, Any], dead: Iterable[str]) -> dict[str, Any]:
    """The document without entry lists, ``deadEndpoints`` sorted, absent when there are none."""
    summary = {k: v for k, v in doc.items() if k not in JOB_OWN}
    if dead := sorted(set(dead)):
        summary[DEAD] = dead
    return summary
