"""The catalog's only writer for image items: object events in, catalog items out.

Handles every record of an event, every ObjectCreated/ObjectRemoved kind, URL-encoded keys,
duplicate and out-of-order deliveries (by sequencer, in the catalog), and keys outside the
layout (skipped with a log line). ``reindex`` rebuilds from a listing for lost events.

An image written under the original system's pool prefix (``imgPool/…``, e.g. an old pool
backup copied back with ``aws s3 cp``) is moved to ours (``pool/…``: copied, then deleted):
the copy's own event indexes it. Moved rather than indexed where it lies, because the pool
is private (CloudFront refuses ``pool/*`` only) and publish and remove know one pool prefix.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import logs
from .catalog import ImageIndex, ImageRecord, Outcome
from .errors import InvalidKey, ObjectNotFound
from .rules import provenance
from .rules.layout import GARDEN, IMAGE_PREFIXES, ORIGINAL_POOL, POOL, from_original, parse_key
from .storage import ObjectStore
from .storage.events import CREATED, parse


def _epoch_ms(iso: str | None) -> int | None:
    if not iso or not isinstance(iso, str):
        return None
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def read_record(store: ObjectStore, key: str, size: int, fallback_time: str) -> ImageRecord | None:
    """What the catalog should hold for the object under key, read from the object itself;
    None when the key is outside the layout or the object is gone or not a JPEG."""
    image = parse_key(key)
    head = store.head(key, provenance.HEAD_BYTES)
    if head[:2] != b"\xff\xd8":
        logs.event("index.skipped", logging.WARNING, key=key, reason="not a JPEG")
        return None
    prov = provenance.read(head) or {}
    created = _epoch_ms(prov.get("createdAt")) or _epoch_ms(fallback_time) or 0
    return ImageRecord(key=key, area=image.area, emotion=image.emotion, favorite=image.favorite,
                       orientation=image.orientation, created_ms=created, size=size, provenance=prov)


def reindex_key(store: ObjectStore, index: ImageIndex, key: object, now: str) -> dict[str, Any]:
    """One key's index entry made to agree with the store (the original's ``/clearIndex``):
    the object read again and reconciled (``indexed``: added, updated, unchanged), or — gone —
    forgotten. A key outside the garden and the pool is answered 400, never raised."""
    try:
        image = parse_key(key, areas=(GARDEN, POOL))
    except InvalidKey as exc:
        return {"key": key, "status": 400, "message": str(exc)}
    try:
        size = len(store.get(image.key))
        record = read_record(store, image.key, size, now)
    except ObjectNotFound:
        return {"key": image.key, "status": 200, "indexed": None,
                "forgotten": index.forget(image.key)}
    if record is None:
        return {"key": image.key, "status": 400, "message": "not a JPEG image: nothing to index"}
    return {"key": image.key, "status": 200, "indexed": str(index.reconcile(record))}


def handle_notification(event: dict[str, Any], store: ObjectStore, index: ImageIndex) -> Counter[str]:
    """An S3 notification as S3 (or the folder store) delivers it: its records applied, every
    log line correlated with the request that made the change."""
    request_ids = [r.get("responseElements", {}).get("x-amz-request-id")
                   for r in event.get("Records", []) if isinstance(r, dict)]
    with logs.correlated(next((r for r in request_ids if r), None)):
        return handle_event(event, store, index)


def handle_event(event: dict[str, Any], store: ObjectStore, index: ImageIndex) -> Counter[str]:
    """Apply every record of an S3 notification; returns how many of each outcome."""
    outcomes: Counter[str] = Counter()
    for item in parse(event):
        if isinstance(item, str):
            logs.event("index.skipped", logging.WARNING, reason=item)
            outcomes["skipped"] += 1
            continue
        try:
            if item.key.startswith(f"{ORIGINAL_POOL}/"):
                outcome = adopt_original(store, item.key) if item.kind == CREATED else "skipped"
                outcomes[outcome] += 1
                logs.event("index.applied", key=item.key, event_name=item.name, outcome=outcome)
                continue
            parse_key(item.key)
            if item.kind == CREATED:
                record = read_record(store, item.key, item.size, item.time)
                outcome = index.apply_created(record, item.sequencer) if record else "skipped"
            else:
                outcome = index.apply_removed(item.key, item.sequencer)
        except InvalidKey as exc:
            logs.event("index.skipped", logging.INFO, key=item.key, reason=str(exc))
            outcome = "skipped"
        except ObjectNotFound:
            # deleted again before we read it: its removal event follows and settles the item
            outcome = "skipped"
        outcomes[str(outcome)] += 1
        logs.event("index.applied", key=item.key, event_name=item.name, outcome=str(outcome))
    return outcomes


def adopt_original(store: ObjectStore, key: str) -> str:
    """Move an image under the original's ``imgPool/`` to our ``pool/`` ("moved"); InvalidKey
    when the key would not be a pool image, ObjectNotFound when it is gone already."""
    target = parse_key(from_original(key), areas=(POOL,)).key
    store.copy(key, target)
    store.delete(key)
    return "moved"


@dataclass
class ReindexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


def reindex(store: ObjectStore, index: ImageIndex,
            progress: Callable[[int], None] | None = None) -> ReindexReport:
    """Rebuild the index's image items from a listing of the store; ``progress(n)`` after each
    of the n objects listed so far."""
    report = ReindexReport()
    present: set[str] = set()
    listed = 0
    for obj in list(store.list(f"{ORIGINAL_POOL}/")):   # lost events of old pool backups
        try:
            adopt_original(store, obj.key)
        except (InvalidKey, ObjectNotFound):
            report.skipped.append(obj.key)
    for prefix in IMAGE_PREFIXES:
        for obj in store.list(prefix):
            listed += 1
            if progress is not None:
                progress(listed)
            try:
                record = read_record(store, obj.key, obj.size, obj.last_modified)
            except (InvalidKey, ObjectNotFound):
                record = None
            if record is None:
                report.skipped.append(obj.key)
                continue
            present.add(obj.key)
            outcome = index.reconcile(record)
            if outcome == Outcome.ADDED:
                report.added.append(obj.key)
            elif outcome == Outcome.UPDATED:
                report.updated.append(obj.key)
            else:
                report.unchanged += 1
    stale = [r.key for r in index.iter_images() if r.key not in present]
    for key in stale:
        if index.forget(key):
            report.removed.append(key)
    return report
