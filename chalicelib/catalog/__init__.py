"""The catalog's ports: the index of images (``ImageIndex``: image items), what visitors did
with them (``Engagement``: likes, impression and like counters), the generation jobs'
records (``JobStore``) and the display zones' configurations with the last kiosk reading
(``ZoneStore``), with the records they exchange.

Adapters: ``memory`` (in-process, for tests and tools), ``sqlite`` (one local file holding
them all) and ``dynamodb`` (one table holding them all).

Image items are written only from what is in the object store — by the object-event handler
(``apply_created``/``apply_removed``) and by ``reindex`` (``reconcile``/``forget``) — so the
catalog follows the store and a restore re-indexes itself.

Ordering of garden queries: most liked first, then newest (``created_ms``), then key; each
adapter documents how it keeps that order cheap at 100,000 items.

Out-of-order events: each image item remembers the ``sequencer`` of the last event applied to
it (S3's hex sequencer, stored right-padded with zeros to SEQUENCER_WIDTH, as the S3 User
Guide says to compare two: pad the shorter on the right). An event whose sequencer is lower
than the remembered one is stale and changes nothing; the same one again is a duplicate and
changes nothing. A removal leaves a tombstone holding its sequencer,
so an older creation delivered late cannot resurrect the image; tombstones are invisible to
every read.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, Required, TypedDict

from ..rules.bandit import Counts
from ..rules.scheduling import DEAD_ENDPOINT_ERRORS as DEAD_ENDPOINT_ERRORS
from ..rules.times import from_epoch_ms

SEQUENCER_WIDTH = 32
# DEAD_ENDPOINT_ERRORS (the errors that put an endpoint out of its job) is the scheduling
# policy's (rules/scheduling.py), re-exported here for the port's readers.
MAX_ENTRY_N = 999_999   # an entry's ``n`` is zero-padded to 6 digits in its storage key
IMPRESSION_MARK_SECONDS = 6 * 3600   # how long a (visit, image) impression marker lives


def pad_sequencer(sequencer: str) -> str:
    """The form stored and compared: S3's event sequencers for one key order as hex strings
    once the shorter is right-padded with zeros (S3 User Guide, "Event message structure")."""
    return sequencer.upper().ljust(SEQUENCER_WIDTH, "0")


def repad_legacy_sequencer(stored: str, width: int) -> str:
    """A sequencer stored by an older version, left-padded to SEQUENCER_WIDTH, in today's form.

    The padding hides how long the sequencer was; ``width`` is the length its source gives
    (the folder store: 20; S3: 18 as of this writing). Significant digits are never dropped,
    so a longer one keeps them all. Values that are empty (written by a reindex) or do not
    look left-padded to ``width`` (already right-padded) come back unchanged, so running a
    migration twice changes nothing."""
    padding = SEQUENCER_WIDTH - width
    if len(stored) != SEQUENCER_WIDTH or padding <= 0 or not stored.startswith("0" * padding):
        return stored
    keep = max(width, len(stored.lstrip("0")))
    return pad_sequencer(stored[SEQUENCER_WIDTH - keep:])


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


@dataclass(frozen=True)
class CounterRow:
    key: str
    segment: str
    counts: Counts
    updated_ms: int


@dataclass
class LikeExport:
    key: str
    likes: int
    visitors: list[str]


class Engagement(Protocol):
    """What visitors did with the garden's images: each visitor's likes of an image, and the
    impression and like counters per (image, segment) that the learned order reads — counts
    only, no visitor's history. Kept beside the image index, in the same database (each
    adapter serves both ports from one class: a like and its place in the garden order are
    one write)."""

    # --- likes -----------------------------------------------------------------------------
    def like(self, key: str, visitor: str, segments: Sequence[str] = ()) -> tuple[int, bool]:
        """Atomically count one like per visitor per image: (likes now, whether this one counted).
        A like that counts also adds one like to the image's counters in each of
        ``segments`` in the same write (one transaction): the like, its place in the garden
        order and the learned order's counters are stored together or not at all, so a like
        answered with an error was not stored, and a retried one counts once everywhere.
        Raises ImageNotFound for an unknown or removed key."""

    def export_likes(self) -> Iterator[LikeExport]: ...

    def restore_likes(self, entry: LikeExport) -> bool:
        """Merge a backup's likes into an existing image (visitors unioned, count = max of the
        backup's count and the union's size). False when the image is not catalogued."""

    # --- what visitors saw and liked: aggregate counters per (image, segment) ---------------
    def count_impressions(self, visit: str, keys: Sequence[str],
                          segments: Sequence[str]) -> list[str]:
        """Count one impression of each visible image in each of ``segments``, once per visit
        and image: a marker of the hashed (visit, image) pair, kept IMPRESSION_MARK_SECONDS,
        makes a repeat count nothing — no visit id is stored. Atomic per image; unknown and
        removed keys are skipped. The keys that counted."""

    def count_like(self, key: str, segments: Sequence[str]) -> None:
        """Add one like to the image's counters in each of ``segments``, with no like of a
        visitor behind it (tools, benchmarks; a visitor's like counts through ``like``,
        atomically with its counters); removed images: nothing."""

    def counters(self, keys: Sequence[str], segments: Sequence[str]
                 ) -> dict[str, dict[str, Counts]]:
        """The counters of ``keys`` in ``segments``, in one batch read: key → segment →
        Counts, only those that exist."""

    def iter_counters(self, since_ms: int = 0) -> Iterator[CounterRow]:
        """Every visible image's counters changed at or after ``since_ms`` (export)."""


class ImageIndex(Protocol):
    """The index of images: written from the object store only, read by the garden, the
    pool and the admin pages (each image's likes count is one of its fields). Likes and
    counters are the Engagement port's: the composition root hands out the same adapter as
    both (``Garden.image_index``, ``Garden.engagement``); each use case takes what it reads."""

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
              cursor: str | None = None, favorite: str | None = None) -> Page:
        """One page of visible images in garden order (only the ``favorite``'s when given);
        raises InvalidRequest on a bad cursor."""

    def count(self, area: str, emotion: str) -> int:
        """Visible images of an emotion in an area (the admin overview)."""

    def favorites(self, area: str, emotion: str) -> dict[str, int]:
        """The favorites of an emotion's visible images in an area, with their image counts
        (images without a favorite are not counted); read from the garden index, never by
        scanning the whole catalog."""

    def likes_total(self, area: str, emotion: str) -> int:
        """The likes of an emotion's visible images in an area, summed (the admin overview);
        read from the garden index, never by scanning the whole catalog."""

    def iter_images(self, prefix: str = "") -> Iterator[ImageRecord]:
        """Every visible image whose key starts with prefix, in no particular order."""

    def query_fresh(self, area: str, emotion: str, orientation: str, limit: int,
                    cursor: str | None = None, favorite: str | None = None) -> Page:
        """One page of visible images newest first (then key), only the ``favorite``'s when
        given; InvalidRequest on a bad cursor."""


# --- a job's record as the JobStore keeps and returns it ------------------------------------
# JSON shapes: these are the documents' wire form (the API's job views and the Step Functions
# payloads are made from them), so the keys stay camelCase and every field stays optional
# but the id — a record written by an older version may lack any of them.
class ImageEntry(TypedDict, total=False):
    """A made image in a job's ``images``."""
    n: int
    url: str
    key: str
    endpoint: str
    width: int
    height: int
    seconds: float
    seed: int | None
    # moderation (chalicelib/jobs/moderated.py): an image not shown to visitors
    held: bool                # held (text-to-image) or dropped (bulk): never public
    dropped: bool             # a flagged bulk image not stored at all
    review: bool              # a bulk image in the pool marked for the reviewer
    moderation: str           # flagged | unchecked (the check could not answer)
    labels: list[str]         # the labels that flagged it


class ErrorEntry(TypedDict, total=False):
    """An image that failed, in a job's ``errors`` (no endpoint could make it) or ``retried``
    (an endpoint's failure on an image another then made); ``endpoint`` None: the job's own."""
    n: int
    endpoint: str | None
    error: str
    message: str


JobEntry = ImageEntry | ErrorEntry


class JobCounts(TypedDict):
    """A listed job's entries, counted per list."""
    images: int
    errors: int
    retried: int


class EndpointTiming(TypedDict):
    endpoint: str | None
    images: int
    failed: int
    seconds: float


class Timings(TypedDict):
    totalSeconds: float | None
    endpoints: list[EndpointTiming]


class SharedWork(TypedDict, total=False):
    """What every image of a job shares (its record's ``shared``, written by the Plan)."""
    prompt: str
    negative: str
    steps: int
    provenance: dict[str, Any]


class WorkItem(TypedDict, total=False):
    """One unit of a job's work as the Plan gives it: what is the image's own."""
    n: Required[int]
    seed: int | None
    width: int
    height: int
    key: str
    prompt: str
    negative: str
    provenance: dict[str, Any]


class JobFields(TypedDict, total=False):
    """A job's top-level fields: what ``update_job`` sets (the first record has them too)."""
    kind: str                       # text2image | bulk (absent: text2image, an older record)
    status: str                     # RUNNING, SUCCEEDED, PARTIAL, FAILED, CANCELLED
    createdAt: str
    request: dict[str, Any]         # the kind's request, in the API's own field names
    requested: int
    endpoints: list[str]
    executionId: str
    machine: str                    # a restart's: the state machine, its input, who runs it
    input: dict[str, Any]
    runner: str
    resumed: int
    shared: SharedWork
    finishedAt: str
    cancelledAt: str
    timings: Timings
    workCount: int                  # the store's own: units the job has
    priority: int                   # rules/scheduling: VISITOR, or 0…MAX_OPERATOR (default 0)
    paused: bool                    # an operator paused it: no new claims
    pausedAt: str


class Job(JobFields, total=False):
    """A job's record: its fields; from ``get_job`` also its entry lists; ``deadEndpoints``
    when an endpoint died; ``counts`` on a listed job (``list_jobs``)."""
    jobId: Required[str]
    images: list[ImageEntry]
    errors: list[ErrorEntry]
    retried: list[ErrorEntry]
    deadEndpoints: list[str]
    counts: JobCounts


class UnitView(TypedDict):
    """A unit of a job's work as ``work`` shows it (its item left out)."""
    n: int
    state: str                      # open, leased, done or failed
    worker: str | None
    leaseUntil: int
    triedBy: list[str]


class Catalog(ImageIndex, Engagement, Protocol):
    """One adapter serving both ports from one class, as every catalog adapter does (a like
    and its place in the garden order are one write): what a tool, test or benchmark that
    builds one adapter holds. The use cases take the port they need."""


class JobStore(Protocol):
    """The generation jobs' records.

    A job is a document (``jobId``, status, request, timings…) plus two lists of entries,
    ``images`` and ``errors``. Each entry is stored on its own (a row, an item), so a job of
    any size stays within every per-item limit and an append is one small write."""

    def create_job(self, job: Job) -> None:
        """Store a new job document (``jobId`` required; ``images``/``errors`` lists, if any,
        become its first entries). Creating an existing job replaces it, entries included."""

    def append_job_entry(self, job_id: str, field: str, entry: JobEntry) -> None:
        """Add one entry to the job's ``images`` or ``errors``; raises JobNotFound.

        Idempotent by ``n``: an entry with an integer ``n`` (0..MAX_ENTRY_N) replaces the
        entry of the same field and ``n`` (a retried task records once); an entry without
        ``n`` is always added. An ``errors`` entry whose ``error`` is one of
        DEAD_ENDPOINT_ERRORS also adds its ``endpoint`` to the job's ``deadEndpoints``, as an
        atomic set addition made before the entry is visible (concurrent branches never
        lose each other's marks)."""

    def update_job(self, job_id: str, fields: JobFields, *,
                   if_status: str | None = None) -> bool:
        """Set top-level fields of a job (status, finishedAt…); raises JobNotFound. The entry
        lists and ``deadEndpoints`` are the store's own: naming them is InvalidRequest; a
        ``jobId`` among the fields is ignored (a job keeps its id). With ``if_status``, only
        while the job's status is that one (atomically): False, and nothing written, when it
        is not — so a cancel and a settle never overwrite each other."""

    def get_job(self, job_id: str) -> Job | None:
        """The whole document: its fields, ``images`` and ``errors`` (each sorted by ``n``,
        entries without ``n`` after, in the order they came), and ``deadEndpoints`` (a
        sorted list) when an endpoint died. One Query / one SELECT, however many entries."""

    def job_summary(self, job_id: str) -> Job | None:
        """The document without its entry lists — fields and ``deadEndpoints`` — read from the
        job's main item/row alone: cheap enough to call once per image."""

    def list_jobs(self, kind: str | None = None, status: str | None = None, limit: int = 20,
                  cursor: str | None = None) -> JobPage:
        """Job summaries, newest first (``createdAt``, then ``jobId``), each with ``counts``
        (``{"images", "errors", "retried"}``: its entries); ``kind``/``status`` filter (a job
        without a kind is a text2image job). Raises InvalidRequest on a bad cursor."""

    # --- a job's work: one unit per image, pulled by the workers --------------------------------
    def outranked(self, job_id: str, uri: str) -> bool:
        """Whether a claim by endpoint ``uri`` for this job yields now: another RUNNING, not
        paused job of higher ``priority`` has ``uri`` among its live endpoints and a unit
        ``uri`` may claim (``scheduling.outranked``). False for an unknown job."""

    def add_work(self, job_id: str, items: Sequence[WorkItem]) -> None:
        """Each item (with its integer ``n``) becomes one open unit of the job's work; a unit
        the job already has keeps its state and item (a retried or resumed Plan changes
        nothing). Raises JobNotFound."""

    def claim_work(self, job_id: str, worker: str, uri: str, lease_seconds: float) -> Claim | None:
        """Lease a unit that endpoint ``uri`` may make — open, or leased with its lease
        expired, and not failed by ``uri``; lower ``n`` first among units never handed out —
        to ``worker`` for ``lease_seconds``, atomically (two workers never hold one unit). None when the job
        is not RUNNING or is ``paused``, ``uri`` is out of the job (``deadEndpoints``), the
        claim yields to a job of higher priority (``outranked``), or nothing is claimable
        by ``uri`` now."""

    def complete_work(self, job_id: str, n: int, token: str, image: ImageEntry) -> bool:
        """Mark unit ``n`` done and append ``image`` (its entry, with ``n``) to the job's
        ``images``, atomically: a unit is never done without its image recorded. False (and
        nothing changed) when it is already done — its lease expired and someone else made
        it — so an image is recorded once."""

    def release_work(self, job_id: str, *, worker: str | None = None,
                     out: str | None = None) -> list[Released]:
        """Give back the units leased by ``worker`` (by anyone when None) as open. With ``out``
        (an endpoint that failed hard), that endpoint leaves the job: it joins
        ``deadEndpoints`` and each released unit's ``triedBy``; a unit that no endpoint of
        the job (its ``endpoints`` field) may still make becomes failed."""

    def work(self, job_id: str) -> list[UnitView]:
        """The job's units without their items: ``{"n", "state", "worker", "leaseUntil",
        "triedBy"}`` sorted by ``n``; state is open, leased, done or failed."""

    # --- allowances: small counters that hold across processes (a visitor's flower's budget) ------
    def spend(self, allowance: str, limit: int, keep_seconds: int) -> bool:
        """Count one against ``allowance`` (a name such as ``grow-day#2026-12-08``) while it is
        below ``limit``, atomically: True when counted, False (nothing written) when it has
        reached ``limit``. The counter is forgotten ``keep_seconds`` after its first count
        (DynamoDB's TTL, a sweep elsewhere); until then it holds for every process."""

    # --- runners: the local processes that run jobs, known by their heartbeats --------------------
    def beat(self, runner: str) -> None:
        """Record that ``runner`` (a local engine's id, unique to one engine of one process)
        is alive now, by the store's clock."""

    def beat_age(self, runner: str) -> float | None:
        """Seconds since ``runner`` last beat, by the store's clock; None when it never did
        (or its record was pruned, long after it stopped)."""

    def take_over(self, job_id: str, runner: str, by: str) -> bool:
        """Make ``by`` the job's runner, atomically, only while the job is RUNNING and its
        ``runner`` is still ``runner``: two processes resuming one job never both win.
        False (nothing written) otherwise, an unknown job included."""


@dataclass(frozen=True)
class Claim:
    """A leased unit of a job's work: the image's item, the lease's token, the job's summary
    (what every image of the job shares) and how many units were left open — a worker that
    took the last one need not ask again (a unit given back later sends the workers round
    once more)."""
    n: int
    item: WorkItem
    token: str
    job: Job
    left: int = 0           # units still open when this one was claimed (0: it was the last)


@dataclass(frozen=True)
class Released:
    n: int
    makeable: bool          # some endpoint of the job may still make it


@dataclass
class JobPage:
    jobs: list[Job]                 # summaries, each with its counts
    cursor: str | None


class ZoneStore(Protocol):
    """The display zones' configurations (chalicelib/rules/zones.py says what one holds) and
    the last kiosk reading that "follow the kiosk" zones show.

    A configuration is a JSON object with an integer ``zone`` (its number, the key); the
    store keeps it as given and hands out copies. The reading is an emotion and a time —
    no photo, no visitor id — and only the last one is kept."""

    def get_zone(self, zone: int) -> dict[str, Any] | None:
        """The zone's configuration, or None when it was never set (or was deleted)."""

    def put_zone(self, config: dict[str, Any]) -> None:
        """Store a configuration under its ``zone``, replacing the one there; InvalidRequest
        when ``zone`` is not a whole number from 1 to 99 or JSON cannot hold the object."""

    def delete_zone(self, zone: int) -> bool:
        """Forget the zone's configuration; True when there was one."""

    def list_zones(self) -> list[dict[str, Any]]:
        """Every stored configuration, by zone number."""

    def record_reading(self, emotion: str, at_ms: int) -> bool:
        """Keep ``emotion`` read by the kiosk at ``at_ms`` (epoch ms) as the last reading,
        unless the one kept is newer (two readings landing out of order keep the later).
        True when it was kept."""

    def last_reading(self) -> Reading | None:
        """The last kiosk reading, or None before the first."""


@dataclass(frozen=True)
class Reading:
    """A kiosk reading as a zone sees it: the emotion and when — nothing of the visitor."""
    emotion: str
    at_ms: int
