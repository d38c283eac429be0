"""What both catalog adapters share: cursor encoding, job documents, record comparison."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import InvalidRequest
from . import ImageRecord

JOB_LISTS = ("images", "errors")
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


def new_job_doc(job: dict[str, Any]) -> dict[str, Any]:
    """A job as stored: a copy with a string ``jobId`` and ``images``/``errors`` lists."""
    job_id = job.get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise InvalidRequest("a job needs a non-empty string jobId")
    doc = dict(job)
    for name in JOB_LISTS:
        doc[name] = list(doc.get(name) or [])
    return doc


def check_job_list(field: str) -> None:
    if field not in JOB_LISTS:
        raise InvalidRequest(f"a job's lists are {', '.join(JOB_LISTS)}, not {field!r}")
