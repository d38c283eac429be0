"""The catalog in one DynamoDB table: the AWS implementation of the catalog ports.

- ``DynamoImageIndex(table)`` (images.py): the ImageIndex port — image and like items, the
  garden index.
- ``DynamoJobStore(table)`` (jobs.py): the JobStore port — job and job entry items.
- ``DynamoZoneStore(table)`` (zones.py): the ZoneStore port — zone items, the kiosk reading.
- table.py: the keys, ``table_definition``/``create_table``, and what the adapters share;
  codec.py: values between JSON-like Python and boto3's.

The adapters work on the one table (a boto3 ``Table`` resource)::

    table = boto3.resource("dynamodb").Table(name)
    images, jobs, zones = DynamoImageIndex(table), DynamoJobStore(table), DynamoZoneStore(table)

Single-table design (``create_table`` builds exactly this; the infrastructure template
mirrors it):

Table: on-demand billing; key ``pk`` (S, HASH) + ``sk`` (S, RANGE); TTL on ``ttl``.

Image item — ``pk = "IMG#{key}"``, ``sk = "IMG"``:
    key (S), area (S), emotion (S, absent for text2image), favorite (S, absent when none),
    orientation (S, absent for text2image), created_ms (N), size (N), provenance (M),
    likes (N), likes_rank (N) = likes·10^13, rank (N) = likes·10^13 + created_ms,
    seq (S): the padded sequencer of the last event applied ("" when written by reindex),
    gpk (S) = "{area}#{EMOTION}#{orientation}" — only on visible garden/pool items.
  A tombstone (removed image) keeps only pk, sk, key, seq and ``tombstone`` (BOOL true); it
  has no gpk, so it is never in the index, and every read skips it.

Like item — ``pk = "IMG#{key}"``, ``sk = "LIKE#{visitor}"``: visitor (S), liked_ms (N).
  ``like`` is one TransactWriteItems: Put of the like item if it does not exist,
  ``ADD likes 1, rank 10^13, likes_rank 10^13`` on the image if it exists and is no
  tombstone, and ``ADD l:{segment} 1`` on the image's counter item — so the count, the
  garden order, the learned order's counters and "one like per visitor" move together.
  Simultaneous likes of one image cancel each other (TransactionConflict): each is tried
  again after a random pause (full jitter: up to 20 ms, doubling, at most 0.5 s), 8 attempts
  in all, then 503 with Retry-After (the kiosk asks once more): nothing of it was stored.
  Removing an image deletes its like items.

Counter item — ``pk = "IMG#{key}"``, ``sk = "CNT"``, and impression marker —
  ``pk = "SEEN#{hash}"``, ``sk = "SEEN"``, with ``ttl``: the learned order's impressions and
  likes per (image, segment), atomic ADDs (counters.py documents them). GSI ``fresh``
  (``gpk``, ``created_ms``) lists an emotion's images newest first.

Job item — ``pk = "JOB#{jobId}"``, ``sk = "JOB"``: the job document's fields as top-level
  attributes, ``deadEndpoints`` (SS, absent when none; ``ADD`` keeps it atomic), ``ttl``
  (N, epoch seconds) 30 days after creation.
Job entry item — ``pk = "JOB#{jobId}"``, ``sk = "IMG#{n:06d}"`` / ``"ERR#{n:06d}"`` (or a
  unique time-ordered key for an entry without n): ``entry`` (M), and the job's own ``ttl``,
  so the whole job expires together. An append is one PutItem of one small item (plus, for a
  dead endpoint's error, an atomic ``ADD`` to the job item's set first): a job of any
  size stays under the 400 KB item limit, and re-recording the same n replaces its entry.
  ``get_job`` is one Query of the partition (paged); ``job_summary`` one GetItem.
  (Job items that kept ``images``/``errors`` lists inside, from before entries had items of
  their own, have all expired with their 30-day ttl; such lists are not read.)
  ``sk = "RTY#{n:06d}-{endpoint hash}"``: an
  endpoint's failure on an image another endpoint then made (``retried``).
  The job item also carries ``gpk = "JOBS"`` and ``rank`` = its createdAt in epoch ms, so the
  garden index lists jobs newest first (``list_jobs``; kind and status are filters).
Work item — ``pk = "JOB#{jobId}"``, ``sk = "WORK#{n:06d}"`` (after every entry and the job
  item, so ``get_job`` reads ``sk < "WORK#"`` only): ``n``, ``item`` (M), ``state`` (open,
  leased, done, failed), ``worker``, ``token``, ``until`` (lease end, epoch ms), ``triedBy``
  (SS), ``ver`` (N, bumped by every change) and the job's ``ttl``. A claim is conditional
  writes: ``ADD nextWork 1`` on the job item (if RUNNING, below ``workCount`` and the endpoint
  not in ``deadEndpoints``) hands out each unit once, then the unit is leased if still open;
  once every unit was handed out, a Query of the work items finds one released or expired and
  leases it on its ``ver``. Completing is one TransactWriteItems: the unit done (unless it
  already is) and its image entry put.

Priority item — ``pk = "PRIORITY"``, ``sk = "JOB#{jobId}"``: ``jobId`` (S), ``priority`` (N),
  ``ttl``: one per RUNNING job whose priority is above the default (a visitor's flower, a bulk
  job an operator raised), written with the job and deleted when it settles; a claim queries
  the partition to know which jobs may outrank it (``rules/scheduling.outranked``).

Allowance item — ``pk = "ALLOW#{allowance}"``, ``sk = "ALLOW"``: ``spent`` (N), ``ttl``
  from its first count (``JobStore.spend``: a conditional ADD).

Runner item — ``pk = "RUNNER#{runner}"``, ``sk = "RUNNER"``: ``beat_ms`` (N, a local engine's
  last heartbeat) and ``ttl`` a day later (local engines only; in AWS nothing beats).
  ``take_over`` sets a job item's ``runner`` on the condition that it is RUNNING and still
  names the runner that stopped beating.

Zone item — ``pk = "ZONE"``, ``sk = "ZONE#{n:02d}"`` (a display zone's configuration, zones
  1..99): ``zone`` (N), ``doc`` (S: the configuration as JSON text, at most 200 keys of
  1 KB — under the item limit). ``list_zones`` is one Query of the partition, in sk order
  (zone order: the number is zero-padded).
Kiosk reading item — ``pk = "KIOSK"``, ``sk = "READING"``: ``emotion`` (S), ``at_ms`` (N): the
  last reading's emotion and time, nothing else of the visitor; written with
  ``attribute_not_exists(pk) OR at_ms <= :at``, so a reading landing late never hides a newer one.
  Neither item has a ``gpk``: they are in no index.

GSI ``garden``: partition ``gpk`` (S), sort ``rank`` (N), projection ALL; queried with
  ScanIndexForward=False, it lists one emotion's images of one orientation in one area
  most liked first, then newest. rank packs both into one number (created_ms < 10^13 until
  the year 2286) so a like reorders the item atomically. Items with equal rank (same likes,
  same millisecond) come back in the index's own order, not by key.

Out-of-order events: writes carry ``attribute_not_exists(pk) OR seq < :seq``; a failed
condition is read back to tell STALE from DUPLICATE. Writes keep the likes they find
(``if_not_exists``): a tombstone has none, so a re-created image starts from zero.

Cursors are base64url JSON of the index's LastEvaluatedKey (pk, sk, gpk, rank).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .images import RANK_PER_LIKE, DynamoImageIndex
from .jobs import JOB_TTL_S, DynamoJobStore
from .table import GARDEN_INDEX, create_table, garden_partition, image_key, table_definition
from .zones import DynamoZoneStore, zone_key

__all__ = ["GARDEN_INDEX", "JOB_TTL_S", "RANK_PER_LIKE", "DynamoImageIndex", "DynamoJobStore",
           "DynamoZoneStore", "create_table", "garden_partition", "image_key",
           "table_definition", "zone_key"]

if TYPE_CHECKING:  # mypy checks here that the adapters satisfy the ports
    from typing import Any

    from .. import ImageIndex, JobStore, ZoneStore

    def _ports(table: Any) -> tuple[ImageIndex, JobStore, ZoneStore]:
        return DynamoImageIndex(table), DynamoJobStore(table), DynamoZoneStore(table)
