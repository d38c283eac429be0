"""The catalog's two ports: the index of images (``ImageIndex``: image items and their
likes) and the generation jobs' records (``JobStore``), with the records they exchange.

Adapters: ``memory`` (in-process, for tests and tools), ``sqlite`` (one local file holding
both) and ``dynamodb`` (one table holding both).

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

from ..rules.times import from_epoch_ms

SEQUENCER_WIDTH = 32
# Errors after which an endpoint is treated as down or hung for the rest of a job: recording
# one of these marks the endpoint in the job's ``deadEndpoints``.
DEAD_ENDPOINT_ERRORS = ("EndpointFailed", "EndpointTimeout")
MAX_ENTRY_N = 999_999   # an entry's ``n`` is zero-padded to 6 digits in its storage key


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
        return from_epoch_ms(self.created_ms)


@dataclass
class Page:
    items: list[ImageRecord]
    cursor: str | None          # opaque; None when there is nothing more


@dataclass
class LikeExport:
    key: str
    likes: int
    visitors: list[str]


class ImageIndex(Protocol):
    """The index of images: written from the object store only, read by the garden, the
    pool and the admin pages; it also keeps each image's likes."""

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

    def likes_total(self, area: str, emotion: str) -> int:
        """The likes of an emotion's visible images in an area, summed (the admin overview);
        read from the garden index, never by scanning the whole catalog."""

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


class JobStore(Protocol):
    """The generation jobs' records.

    A job is a document (``jobId``, status, request, timings…) plus two lists of entries,
    ``images`` and ``errors``. Each entry is stored on its own (a row, an item), so a job of
    any size stays within every per-item limit and an append is one small write."""

    def create_job(self, job: dict[str, Any]) -> None:
        """Store a new job document (``jobId`` required; ``images``/``errors`` lists, if any,
        become its first entries). Creating an existing job replaces it, entries included."""

    def append_job_entry(self, job_id: str, field: str, entry: dict[str, Any]) -> None:
        """Add one entry to the job's ``images`` or ``errors``; raises JobNotFound.

        Idempotent by ``n``: an entry with an integer ``n`` (0..MAX_ENTRY_N) replaces the
        entry of the same field and ``n`` (a retried task records once); an entry without
        ``n`` is always added. An ``errors`` entry whose ``error`` is one of
        DEAD_ENDPOINT_ERRORS also adds its ``endpoint`` to the job's ``deadEndpoints``, as an
        atomic set addition made before the entry is visible (concurrent branches never
        lose each other's marks)."""

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        """Set top-level fields of a job (status, finishedAt…); raises JobNotFound. The entry
        lists and ``deadEndpoints`` are the store's own: naming them is InvalidRequest; a
        ``jobId`` among the fields is ignored (a job keeps its id)."""

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """The whole document: its fields, ``images`` and ``errors`` (each sorted by ``n``,
        entries without ``n`` after, in the order they came), and ``deadEndpoints`` (a
        sorted list) when an endpoint died. One Query / one SELECT, however many entries."""

    def job_summary(self, job_id: str) -> dict[str, Any] | None:
        """The document without its entry lists — fields and ``deadEndpoints`` — read from the
        job's main item/row alone: cheap enough to call once per image."""
