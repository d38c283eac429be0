"""S3 notification events: building them (the folder store) and reading them (the indexer).

Both sides speak the real S3 event shape, so the local store exercises exactly the parsing
that runs in AWS: every record, URL-encoded keys, and the per-key ``sequencer``.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from ..rules.times import utc_now

CREATED, REMOVED = "created", "removed"
_lock = threading.Lock()
_last = [0]
_counter = itertools.count()


@dataclass(frozen=True)
class ObjectEvent:
    kind: str            # created | removed
    name: str            # e.g. "ObjectCreated:CompleteMultipartUpload"
    key: str             # decoded
    sequencer: str
    size: int
    time: str            # ISO-8601 from the event


def next_sequencer() -> str:
    """A strictly increasing hex sequencer, as S3 gives per key (here: per process, by time)."""
    with _lock:
        now = max(time.time_ns(), _last[0] + 1)
        _last[0] = now
    return f"{now:020X}"


def notification(name: str, bucket: str, key: str, size: int = 0, etag: str = "",
                 sequencer: str | None = None) -> dict[str, Any]:
    """One S3 notification with a single record, as S3 would send it."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "sequencer": sequencer or next_sequencer()}
    if name.startswith("ObjectCreated"):
        obj.update(size=size, eTag=etag)
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "local",
        "eventTime": utc_now(),
        "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": obj},
    }]}


def parse(event: object) -> Iterator[ObjectEvent | str]:
    """Every record of a notification as an ObjectEvent, or a string saying why it was skipped.
    Never raises: a malformed record is reported, not fatal to the others."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        yield "event has no Records list"
        return
    for record in records:
        try:
            name = record["eventName"]
            obj = record["s3"]["object"]
            key = unquote_plus(obj["key"])
            sequencer = str(obj.get("sequencer") or "0")
        except (KeyError, TypeError):
            yield "record without eventName or s3.object.key"
            continue
        if name.startswith("ObjectCreated:"):
            kind = CREATED
        elif name.startswith("ObjectRemoved:"):
            kind = REMOVED
        else:
            yield f"{name}: not a creation or removal"
            continue
        yield ObjectEvent(kind, name, key, sequencer, int(obj.get("size") or 0),
                          str(record.get("eventTime") or ""))
