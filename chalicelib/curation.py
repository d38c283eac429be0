"""Curation: an operator reviews an emotion's pool, publishes the good images to the garden
and removes the rest; the overview says which emotions are empty or thin.

Generated images land in the pool (``pool/{EMOTION}/[{favorite}/]…``); publishing copies one
to the garden (``emotions/…``), then deletes the pool object. Nothing here writes image items
to the index: every change is made in the object store and the index follows through the
object events. Each key of a publish or remove gets its own outcome (done, missing, refused);
the HTTP edge turns outcomes into statuses.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .catalog import Engagement, ImageIndex, ImageRecord, JobStore
from .errors import InvalidKey, InvalidRequest, JobNotFound, ObjectNotFound
from .garden import GardenQuery, item_view, pages
from .rules import bandit, layout, provenance
from .rules.emotions import EMOTIONS
from .storage import ObjectStore

MAX_KEYS = 500                         # per publish/remove request
DEFAULT_PAGE, MAX_PAGE = 50, 100
THIN_BELOW = 10                        # fewer published images than this: the garden looks bare


# --- review ----------------------------------------------------------------------------------
POOL_LINK_SECONDS = 15 * 60           # how long a review link to a pool image works


def private_url(store: ObjectStore, seconds: int = POOL_LINK_SECONDS) -> Callable[[str], str]:
    """URLs for images awaiting review: short-lived links only the operator is handed (a
    pool image is never public: it may be unfit to show)."""
    return lambda key: store.presigned_url(key, seconds)


def review_view(record: ImageRecord, url: Callable[[str], str]) -> dict[str, Any]:
    return {**item_view(record, url), "orientation": record.orientation, "size": record.size,
            "provenance": record.provenance}


def area_size(index: ImageIndex, area: str, emotion: str, favorite: str | None = None) -> int:
    """How many images an emotion (only ``favorite``'s when given) has in an area: two index
    reads at most, never a listing."""
    if favorite is None:
        return index.count(area, emotion)
    return index.favorites(area, emotion).get(favorite, 0)


REVIEW_AREAS = {"pool": layout.POOL, "garden": layout.GARDEN}   # GET /pool's ``area``


def review_area(params: Mapping[str, Any]) -> str:
    """The area a review page lists: ``area=pool`` (the default) or ``area=garden`` (the
    published images, with the same provenance — for the operator only, never on the
    visitors' GET /garden)."""
    area = params.get("area", "pool")
    if area not in REVIEW_AREAS:
        raise InvalidRequest("area must be 'pool' (the default) or 'garden'")
    return REVIEW_AREAS[area]


def pool_page(index: ImageIndex, url: Callable[[str], str], params: Mapping[str, Any],
              area: str = layout.POOL) -> dict[str, Any]:
    """One page of an emotion's pool (only the ``favorite``'s images when given), newest
    first, split by orientation, with provenance and the pool's whole size (``total``)."""
    query = GardenQuery.from_params({**params, "order": "rank"}, DEFAULT_PAGE, MAX_PAGE)
    favorite = query.context.favorite
    found, cursor = pages(index, area, query, favorite)
    answer: dict[str, Any] = {"emotion": query.emotion, "area": area,
                              "total": area_size(index, area, query.emotion, favorite)}
    if favorite is not None:
        answer["favorite"] = favorite
    for orientation, items in found.items():
        answer[orientation] = [review_view(r, url) for r in items]
    if cursor:
        answer["cursor"] = cursor
    return answer


WHOLE_POOL_MAX = 10_000                # keys one "whole pool" answer hands out
_WHOLE_POOL_PAGE = 100


def marked(record: ImageRecord) -> bool:
    """Whether the moderation marked the image (flagged, or unchecked during an outage)."""
    return isinstance(record.provenance.get("moderation"), dict)


def whole_pool(index: ImageIndex, params: Mapping[str, Any], area: str = layout.POOL,
               most: int = WHOLE_POOL_MAX) -> dict[str, Any]:
    """Every key of an emotion's pool (only the ``favorite``'s when given), to publish or
    remove at once after the operator confirmed the count: newest first per orientation,
    landscape first. Images the moderation marked are left out and counted (``marked``):
    like select-all, "the whole pool" never takes one — each is viewed and chosen on its own.
    At most ``most`` keys (``truncated`` when there were more: run it again)."""
    query = GardenQuery.from_params({**params, "order": "rank"}, DEFAULT_PAGE, MAX_PAGE)
    favorite = query.context.favorite
    keys: list[str] = []
    skipped = 0
    truncated = False
    for orientation in layout.ORIENTATION_NAMES:
        cursor: str | None = None
        while not truncated:
            page = index.query(area, query.emotion, orientation, _WHOLE_POOL_PAGE, cursor,
                               favorite=favorite)
            for record in page.items:
                if marked(record):
                    skipped += 1
                elif len(keys) < most:
                    keys.append(record.key)
                else:
                    truncated = True
            cursor = page.cursor
            if cursor is None:
                break
    answer: dict[str, Any] = {"emotion": query.emotion, "area": area, "keys": keys,
                              "count": len(keys), "marked": skipped, "truncated": truncated}
    if favorite is not None:
        answer["favorite"] = favorite
    return answer


def parse_keys(body: object) -> list[object]:
    """The body ``{"keys": [...]}``; each key is judged on its own later."""
    if not isinstance(body, Mapping) or not isinstance(body.get("keys"), list):
        raise InvalidRequest('send {"keys": ["pool/HAPPY/…h.jpeg", …]}')
    keys = body["keys"]
    if not keys:
        raise InvalidRequest("keys is empty: name at least one image")
    if len(keys) > MAX_KEYS:
        raise InvalidRequest(f"{len(keys)} keys in one request; at most {MAX_KEYS}")
    unique: list[object] = []
    for key in keys:
        if key not in unique:
            unique.append(key)
    return unique


class KeyOutcome(StrEnum):
    DONE = "done"            # published or removed (or published before: a retried request)
    MISSING = "missing"      # no such image
    REFUSED = "refused"      # not a key this operation takes
    FLAGGED = "flagged"      # marked by the moderation: published only when named on its own


@dataclass(frozen=True)
class KeyResult:
    key: object
    outcome: KeyOutcome
    fields: dict[str, Any]


@dataclass
class KeyResults:
    """One result per key, in the order asked."""
    results: list[KeyResult] = field(default_factory=list)

    def add(self, key: object, outcome: KeyOutcome, **fields: Any) -> None:
        self.results.append(KeyResult(key, outcome, fields))

    @property
    def succeeded(self) -> int:
        return sum(1 for r in self.results if r.outcome is KeyOutcome.DONE)


def parse_flagged(body: object) -> frozenset[str]:
    """The body's ``flagged``: the keys of images the moderation marked that the operator
    looked at and publishes anyway (each named on its own, never by "select all")."""
    given = body.get("flagged", []) if isinstance(body, Mapping) else []
    if not isinstance(given, list) or not all(isinstance(k, str) for k in given):
        raise InvalidRequest("flagged must be a list of the pool keys you publish after "
                             "viewing them")
    return frozenset(given)


def moderation_mark(store: ObjectStore, key: str) -> dict[str, Any] | None:
    """The moderation's mark on a pool image (flagged or unchecked, and its labels), read from
    its provenance; None when it has none (or is gone)."""
    try:
        mark = (provenance.read(store.head(key, provenance.HEAD_BYTES)) or {}).get("moderation")
    except ObjectNotFound:
        return None
    return mark if isinstance(mark, dict) else None


def publish(store: ObjectStore, keys: Iterable[object],
            flagged: frozenset[str] = frozenset()) -> KeyResults:
    """Move pool images to the garden: copy to ``emotions/…``, then delete the pool object.
    Re-running after a partial failure finishes the job (copy is an overwrite). An image the
    moderation marked (flagged, or not checked during an outage) is published only when its
    key is in ``flagged`` too: the operator viewed it and chose it; otherwise it stays in the
    pool (so "select all" never publishes one)."""
    out = KeyResults()
    for key in keys:
        try:
            image = layout.parse_key(key, areas=(layout.POOL,))
        except InvalidKey as exc:
            out.add(key, KeyOutcome.REFUSED, message=str(exc))
            continue
        target = image.moved_to(layout.GARDEN)
        mark = moderation_mark(store, image.key) if image.key not in flagged else None
        if mark is not None:
            out.add(key, KeyOutcome.FLAGGED, moderation=mark.get("status"),
                    labels=mark.get("labels") or [],
                    message="marked by the moderation: view it, then publish it on its own")
            continue
        try:
            store.copy(image.key, target)
        except ObjectNotFound:
            if store.exists(target):   # published before (a retried request)
                out.add(key, KeyOutcome.DONE, publishedAs=target, url=store.url(target), already=True)
            else:
                out.add(key, KeyOutcome.MISSING, message=f"no pool image {image.key!r}")
            continue
        store.delete(image.key)
        out.add(key, KeyOutcome.DONE, publishedAs=target, url=store.url(target))
    return out


def remove(store: ObjectStore, keys: Iterable[object],
           areas: tuple[str, ...] = (layout.GARDEN, layout.POOL)) -> KeyResults:
    """Delete images of ``areas`` (the garden's and the pool's; the original's ``/removePool``:
    the pool's only); a key elsewhere is a 400 entry, one naming no image a 404 entry."""
    out = KeyResults()
    for key in keys:
        try:
            image = layout.parse_key(key, areas=areas)
        except InvalidKey as exc:
            out.add(key, KeyOutcome.REFUSED, message=str(exc))
            continue
        if not store.exists(image.key):
            out.add(key, KeyOutcome.MISSING, message=f"no image {image.key!r}")
            continue
        store.delete(image.key)
        out.add(key, KeyOutcome.DONE, removed=True)
    return out


# --- overview --------------------------------------------------------------------------------
Judged = tuple[float, bandit.Counts, ImageRecord]   # (like-rate, counters, the image)


def like_rates(engagement: Engagement, records: list[ImageRecord]) -> list[Judged]:
    """The records seen at least WARM_UP times, with their like-rate and counters (one batch
    read), best first (then the most seen, then by key)."""
    counters = engagement.counters([r.key for r in records], [bandit.ALL]) if records else {}
    judged = []
    for record in records:
        counts = counters.get(record.key, {}).get(bandit.ALL, bandit.NONE)
        if counts.seen >= bandit.WARM_UP:
            judged.append((counts.likes / counts.seen, counts, record))
    judged.sort(key=lambda j: (-j[0], -j[1].seen, j[2].key))
    return judged
LOVED_SHOWN = 3            # best and least liked images per emotion in the overview
LOVED_DEPTH = 500          # images per orientation read to judge them (most liked first)


def loved(index: ImageIndex, engagement: Engagement, emotion: str,
          url: Callable[[str], str] | None = None,
          shown: int = LOVED_SHOWN) -> dict[str, Any]:
    """The emotion's best and least liked garden images by like-rate (likes / impressions,
    from the learned order's counters), among those seen at least WARM_UP times — so an
    operator knows what to remove and what to make more of. One read of up to LOVED_DEPTH
    images per orientation and one batch read of their counters."""
    records = [r for o in layout.ORIENTATION_NAMES
               for r in index.query(layout.GARDEN, emotion, o, LOVED_DEPTH).items]
    judged = like_rates(engagement, records)

    def view(rate: float, counts: bandit.Counts, record: ImageRecord) -> dict[str, Any]:
        out = {"key": record.key, "likeRate": round(rate, 4), "likes": counts.likes,
               "impressions": counts.seen, "favorite": record.favorite}
        if url is not None:
            out["url"] = url(record.key)
        return out
    least = judged[::-1][:shown] if len(judged) > shown else []
    return {"best": [view(*j) for j in judged[:shown]], "least": [view(*j) for j in least],
            "judged": len(judged), "judgedAfter": bandit.WARM_UP}


def _favorite_rows(index: ImageIndex, emotion: str, published: int, pool: int
                   ) -> list[dict[str, Any]]:
    """Images per favorite, published and in the pool, most published first."""
    garden = index.favorites(layout.GARDEN, emotion) if published else {}
    waiting = index.favorites(layout.POOL, emotion) if pool else {}
    rows = [{"favorite": f, "published": garden.get(f, 0), "pool": waiting.get(f, 0)}
            for f in {*garden, *waiting}]
    return sorted(rows, key=lambda r: (-r["published"], -r["pool"], r["favorite"]))


_NOT_LOVED: dict[str, Any] = {"best": [], "least": [], "judged": 0, "judgedAfter": bandit.WARM_UP}


def overview(index: ImageIndex, engagement: Engagement, thin_below: int = THIN_BELOW,
             url: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Per emotion: published and pool counts and likes; which emotions are empty or thin;
    the best and least liked images (``loved``). Index reads per emotion only (never a scan
    of the catalog): it is polled by the desk."""
    rows = []
    for emotion in EMOTIONS:
        published = index.count(layout.GARDEN, emotion)
        pool = index.count(layout.POOL, emotion)
        rows.append({"emotion": emotion, "published": published, "pool": pool,
                     "favorites": _favorite_rows(index, emotion, published, pool),
                     "likes": index.likes_total(layout.GARDEN, emotion),
                     "empty": published == 0, "thin": 0 < published < thin_below,
                     "loved": loved(index, engagement, emotion, url) if published else _NOT_LOVED})
    return {"emotions": rows, "empty": [r["emotion"] for r in rows if r["empty"]],
            "thin": [r["emotion"] for r in rows if r["thin"]], "thinBelow": thin_below}


def held_images(jobs: JobStore, job_id: str, url: Callable[[str], str]) -> dict[str, Any]:
    """The images of a job that the moderation held (text-to-image: flagged, or the check
    could not answer), for the operator's eyes only: each with a short-lived link (``url``:
    ``private_url``) and what flagged it. Dropped images (a flagged bulk image, never stored)
    are listed without a link. JobNotFound for an unknown job."""
    job = jobs.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}")
    held = []
    for image in sorted(job.get("images") or [], key=lambda i: int(i["n"])):
        if not image.get("held"):
            continue
        entry: dict[str, Any] = {"n": image["n"], "moderation": image.get("moderation"),
                                 "labels": list(image.get("labels") or []),
                                 "width": image.get("width"), "height": image.get("height"),
                                 "endpoint": image.get("endpoint")}
        if image.get("dropped"):
            entry["dropped"] = True
        else:
            entry["url"] = url(image["key"])
        held.append(entry)
    return {"jobId": job_id, "kind": job.get("kind"), "held": held}

