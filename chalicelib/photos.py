"""Debug only, off by default: keep visitors' photos for a few days (GARDEN_KEEP_PHOTOS_DAYS).

Photos go under ``debug-photos/{date}/`` — outside the image layout, so they are never
indexed, never in the garden and never served by the local server. Each kept photo purges
the days past retention (at most once a day per process); in AWS the bucket's lifecycle rule
on the prefix expires them too, old versions included, and CloudFront is denied the prefix.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .faces.service import KeepPhoto
    from .storage import ObjectStore

PREFIX = "debug-photos/"


_purged_on: set[str] = set()  # days already purged by this process


def keeper(store: ObjectStore, days: int, bucket: str,
           now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> KeepPhoto:
    """A ``keep_photo(visitor, bytes) -> (bucket, key)`` for the emotion service."""
    def keep(visitor: str, data: bytes) -> tuple[str, str]:
        today = now()
        kind = "png" if data[:4] == b"\x89PNG" else "jpeg"
        key = f"{PREFIX}{today:%Y-%m-%d}/{visitor}-{uuid.uuid4().hex[:8]}.{kind}"
        store.put(key, data, content_type=f"image/{kind}")
        day = f"{today:%Y-%m-%d}"
        if day not in _purged_on:  # one listing a day, not one per visitor
            _purged_on.add(day)
            purge(store, days, today)
        return bucket, key
    return keep


def purge(store: ObjectStore, days: int, today: datetime) -> int:
    """Delete kept photos older than ``days``; returns how many."""
    oldest = (today - timedelta(days=days)).strftime("%Y-%m-%d")
    removed = 0
    for obj in list(store.list(PREFIX)):
        day = obj.key[len(PREFIX):].split("/", 1)[0]
        if day < oldest:
            store.delete(obj.key)
            removed += 1
    return removed
