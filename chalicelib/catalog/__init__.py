"""The catalog port: the index of images (and the generation jobs' records).

Image items are written only from what is in the object store — by the object-event handler
(``apply_created``/``apply_removed``) and by ``reindex`` (``reconcile``/``forget``) — so the
catalog follows the store and a restore re-indexes itself.

Ordering of garden queries: most liked first, then newest (``created_ms``), then key; each
adapter documents how it keeps that order cheap at 100,000 items.

Out-of-order events: each image item remembers the ``sequencer`` of the last event applied to
it (S3's hex sequencer, compared after left-padding with zeros to SEQUENCER_WIDTH). An event
whose sequencer is lower than the remembered one is stale and changes nothing; the same one
again is a duplicate and changes nothing. A removal leaves a tombstone holding its sequencer,
so an older creation delivered late cannot resurrect the image; tombstones are invisible to
every read.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

SEQUENCER_WIDTH = 32


def pad_sequencer(sequencer: str) -> str:
    """S3 sequencers compare as hex strings once left-padded to the same width."""
    return sequencer.upper().rjust(SEQUENCER_WIDTH, "0")


class Outcome(StrEnum):
    ADDED = "added"          # a new visible item
    UPDATED = "updated"      # an existing item's fields changed
    UNCHANGED = "unchanged"  # reconcile found it already right
    REMOVED = "removed"      # a visible item is gone
    ABSENT = "absent"        # removal of an item the catalog never had (a tombstone is kept)
    STALE = "stale"          # an older event than the one already applied
    DUPLICATE = "duplicate"  # the same event again


@dataclass
class ImageRecord:
    key: str
    area: str                   # emotions | pool | text2image (layout.AREAS)
    emotion: str | None
    favorite: str | None
    orientation: str | None     # landscape | portrait | None
    created_ms: int             # epoch milliseconds: provenance's createdAt, else the object's time
    size: int                   # bytes
    provenance: dict[str, Any] = field(default_factory=dict)
    likes: int = 0              # ignored on writes from events; kept by the catalog

    @property
    def created_at(self) -> str:
        from datetime import UTC, datetime
        return datetime.fromtimestamp(self.created_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Page:
    items: list[ImageRecord]
    cursor: str | None          # opaque; None when there is nothing more


@dataclass
class LikeExport:
    key: str
    likes: int
    visitors: list[str]


class Catalog(Protocol):
    # --- image items: written from the store only -------------------------------------
    def apply_created(self, record: ImageRecord, sequencer: str) -> Outcome:
        """ADDED, UPDATED, STALE or DUPLICATE. Keeps likes of an existing item."""

    def apply_removed(self, key: str, sequencer: str) -> Outcome:
        """REMOVED, ABSENT, STALE or DUPLICATE. Drops the item's likes with it."""

    def reconcile(self, record: ImageRecord) -> Outcome:
        """Reindex from a listing: ADDED, UPDATED or UNCHANGED (likes kept, tombstone replaced)."""

    def forget(self, key: str) -> bool:
        """Reindex found no object: remove the visible item; True when there was one."""

    # --- reads ---------------------------------------------------------------------------
    def get_image(self, key: str) -> ImageRecord | None: ...

    def query(self, area: str, emotion: str, orientation: str, limit: int,
              cursor: str | None = None) -> Page:
        """One page of visible images in garden order; raises InvalidRequest on a bad cursor."""

    def count(self, area: str, emotion: str) -> int:
        """Visible images of an emotion in an area (the admin overview)."""

    def iter_images(self, prefix: str = "") -> Iterator[ImageRecord]:
        """Every visible image whose key starts with prefix, in no particular order."""

    # --- likes -----------------------------------------------------------------------------
    def like(self, key: str, visitor: str) -> tuple[int, bool]:
        """Atomically count one like per visitor per image: (likes now, whether this one counted).
        Raises ImageNotFound for an unknown or removed key."""

    def export_likes(self) -> Iterator[LikeExport]: ...

    def restore_likes(self, entry: LikeExport) -> bool:
        """Merge a backup's likes into an existing image (visitors unioned, count = max of the
        backup's count and the union's size). False when the image is not catalogued."""

    # --- job records ---------------------------------------------------------------------
    def create_job(self, job: dict[str, Any]) -> None:
        """Store a new job document (``jobId`` required, ``images``/``errors`` lists)."""

    def append_job_entry(self, job_id: str, field: str, entry: dict[str, Any]) -> None:
        """Atomically append to the job's ``images`` or ``errors`` list; raises JobNotFound."""

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        """Set top-level fields of a job (status, finishedAt…); raises JobNotFound."""

    def get_job(self, job_id: str) -> dict[str, Any] | None: ...
