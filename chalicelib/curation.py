"""Image pools: bulk generation per emotion, review, publish and remove, and the overview.

Generated images land in the pool (``pool/{EMOTION}/[{favorite}/]…``); an operator reviews
them, publishes the good ones to the garden (``emotions/…``: copy, then delete the pool
object) and removes the rest. Nothing here writes image items to the catalog: every change
is made in the object store and the catalog follows through the object events.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .rules import layout, prompts
from .catalog import Catalog, ImageRecord
from .rules.emotions import EMOTIONS, parse_emotion
from .errors import InvalidKey, InvalidRequest, ObjectNotFound
from .garden import GardenQuery, item_view, pages
from .storage import ObjectStore
from .text2image import launch, new_job, new_job_id
from .rules.validation import MAX_SEED, whole_number

KIND = "bulk"
MACHINE = "bulk"
MIN_COUNT, MAX_COUNT = 1, 500
SIZES = layout.SIZES
ORIENTATIONS = tuple(SIZES)
DEFAULT_STEPS, MAX_STEPS = 50, 150     # the original's bulk Lambda ran 50 steps
MAX_WORDS = 300                        # emotionText / others
MAX_KEYS = 500                         # per publish/remove request
DEFAULT_PAGE, MAX_PAGE = 50, 100
THIN_BELOW = 10                        # fewer published images than this: the garden looks bare
# A favorite becomes one key segment: words, spaces, hyphens, apostrophes (any script).
_FAVORITE = re.compile(r"^[^\W_](?:[\w '\-]{0,62}[^\W_])?$")


# --- bulk requests ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkRequest:
    emotion: str
    count: int                                  # images per orientation (the original's repeatCount)
    favorite: str | None = None
    emotion_text: str | None = None
    others: str | None = None
    orientations: tuple[str, ...] = ORIENTATIONS
    seed: int | None = None                     # first seed; consecutive ones follow
    steps: int = DEFAULT_STEPS

    @property
    def total(self) -> int:
        return self.count * len(self.orientations)

    @property
    def prompt(self) -> str:
        return prompts.build_prompt(self.emotion, self.favorite, self.emotion_text, self.others)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["orientations"] = list(self.orientations)
        return {k: v for k, v in data.items() if v is not None}

    def to_input(self) -> dict[str, Any]:
        """The workflow's input, in the API's own field names (a console start uses the same)."""
        body: dict[str, Any] = {"emotion": self.emotion, "count": self.count,
                                "orientations": list(self.orientations), "steps": self.steps}
        for name, value in (("favorite", self.favorite), ("emotionText", self.emotion_text),
                            ("others", self.others), ("seed", self.seed)):
            if value is not None:
                body[name] = value
        return body


def _whole(body: Mapping[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        if default is None and name == "count":
            raise InvalidRequest(f"count is required: a whole number from {low} to {high}")
        return default
    # JSON numbers only: the operator desk and the CLI send them as such.
    return whole_number(value, name, low, high)


def _words(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string of up to {MAX_WORDS} characters")
    value = " ".join(value.split())
    if len(value) > MAX_WORDS:
        raise InvalidRequest(f"{name} is {len(value)} characters; at most {MAX_WORDS}")
    return value or None


def _favorite(body: Mapping[str, Any]) -> str | None:
    value = _words(body, "favorite")
    if value is None:
        return None
    value = value.lower()  # as the original's form did: one folder per favorite
    if not _FAVORITE.match(value):
        raise InvalidRequest(f"favorite {value!r} must be 1-64 letters, digits, spaces, hyphens "
                             "or apostrophes (it names a folder), e.g. 'rose' or 'with cat'")
    return value


def _orientations(body: Mapping[str, Any]) -> tuple[str, ...]:
    value = body.get("orientations")
    if value is None:
        return ORIENTATIONS
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidRequest(f"orientations must be a non-empty list of {', '.join(ORIENTATIONS)}")
    chosen: list[str] = []
    for item in value:
        name = item.strip().lower() if isinstance(item, str) else item
        if name not in SIZES:
            raise InvalidRequest(f"unknown orientation {item!r}: use {', '.join(ORIENTATIONS)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(o for o in ORIENTATIONS if o in chosen)


def parse_bulk(body: object) -> BulkRequest:
    """``{"emotion", "count", "favorite"?, "emotionText"?, "others"?, "orientations"?, "seed"?,
    "steps"?}`` or InvalidRequest with a message saying what to fix."""
    if not isinstance(body, Mapping):
        raise InvalidRequest('the body must be a JSON object such as {"emotion": "HAPPY", "count": 20}')
    emotion = parse_emotion(body.get("emotion"))
    count = _whole(body, "count", None, MIN_COUNT, MAX_COUNT)
    steps = _whole(body, "steps", DEFAULT_STEPS, 1, MAX_STEPS)
    seed = _whole(body, "seed", None, 0, MAX_SEED)
    assert count is not None and steps is not None
    return BulkRequest(emotion=emotion, count=count, favorite=_favorite(body),
                       emotion_text=_words(body, "emotionText"), others=_words(body, "others"),
                       orientations=_orientations(body), seed=seed, steps=steps)


def image_name(job_id: str, index: int) -> str:
    """The original's file names (``img_{time}_{i}`` + h|v); the job id keeps them unique."""
    return f"img_{job_id}_{index}"


def plan_items(job_id: str, request: BulkRequest, seeds: list[int]) -> list[dict[str, Any]]:
    """Every image of the job, orientations interleaved so both fill up together."""
    items = []
    for index in range(request.count):
        for orientation in request.orientations:
            width, height = SIZES[orientation]
            n = len(items)
            items.append({"n": n, "seed": seeds[n], "width": width, "height": height,
                          "key": layout.garden_key(layout.POOL, request.emotion,
                                                   image_name(job_id, index), orientation,
                                                   request.favorite)})
    return items


def job_record(job_id: str, request: BulkRequest, endpoints: Iterable[str]) -> dict[str, Any]:
    return new_job(job_id, KIND, {**request.to_dict(), "prompt": request.prompt}, request.total,
                   endpoints)


def plan_bulk_job(event: Mapping[str, Any], *, catalog: Catalog, endpoints: tuple[str, ...]) -> dict[str, Any]:
    """The workflow's Plan task: the request checked again (a console start skips the API),
    the job record made when there is none, the images split over the endpoints."""
    from .tasks import ensure_job, make_plan, seeds

    request = parse_bulk(event)
    job_id = str(event.get("jobId") or new_job_id())
    ensure_job(catalog, job_record(job_id, request, endpoints))
    items = plan_items(job_id, request, seeds(request.seed, request.total))
    shared = {"prompt": request.prompt, "negative": prompts.negative_prompt(), "steps": request.steps,
              "provenance": {"kind": KIND, "emotion": request.emotion,
                             **({"favorite": request.favorite} if request.favorite else {})}}
    return make_plan(job_id, KIND, shared, items, endpoints)


def start_bulk(body: object, *, catalog: Catalog, engine, endpoints: tuple[str, ...]) -> dict[str, Any]:
    """Check the request, create the job record (pollable at once), start the workflow with an
    execution named after the job. Returns ``{"jobId", "statusUrl", ...}`` for a 202."""
    request = parse_bulk(body)
    if not endpoints:
        raise InvalidRequest("no inference endpoints are configured")
    job_id = new_job_id()
    launch(job_record(job_id, request, endpoints), MACHINE,
           {"jobId": job_id, **request.to_input()}, catalog=catalog, engine=engine)
    return {"jobId": job_id, "status": "RUNNING", "statusUrl": f"/jobs/{job_id}",
            "requested": request.total, "prompt": request.prompt}


# --- review ----------------------------------------------------------------------------------
def review_view(record: ImageRecord, url: Callable[[str], str]) -> dict[str, Any]:
    return {**item_view(record, url), "orientation": record.orientation, "size": record.size,
            "provenance": record.provenance}


def pool_page(catalog: Catalog, url: Callable[[str], str], params: Mapping[str, Any],
              area: str = layout.POOL) -> dict[str, Any]:
    """One page of an emotion's pool, newest first, split by orientation, with provenance."""
    query = GardenQuery.from_params({**params, "order": "rank"}, DEFAULT_PAGE, MAX_PAGE)
    found, cursor = pages(catalog, area, query)
    answer: dict[str, Any] = {"emotion": query.emotion, "area": area}
    for orientation, items in found.items():
        answer[orientation] = [review_view(r, url) for r in items]
    if cursor:
        answer["cursor"] = cursor
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


@dataclass
class KeyResults:
    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, key: object, status: int, **fields: Any) -> None:
        self.results.append({"key": key, "status": status, **fields})

    def to_json(self) -> dict[str, Any]:
        done = sum(1 for r in self.results if r["status"] == 200)
        return {"results": self.results, "succeeded": done, "failed": len(self.results) - done}


def publish(store: ObjectStore, keys: Iterable[object]) -> dict[str, Any]:
    """Move pool images to the garden: copy to ``emotions/…``, then delete the pool object.
    Re-running after a partial failure finishes the job (copy is an overwrite)."""
    out = KeyResults()
    for key in keys:
        try:
            image = layout.parse_key(key, areas=(layout.POOL,))
        except InvalidKey as exc:
            out.add(key, 400, message=str(exc))
            continue
        target = image.moved_to(layout.GARDEN)
        try:
            store.copy(image.key, target)
        except ObjectNotFound:
            if store.exists(target):   # published before (a retried request)
                out.add(key, 200, publishedAs=target, url=store.url(target), already=True)
            else:
                out.add(key, 404, message=f"no pool image {image.key!r}")
            continue
        store.delete(image.key)
        out.add(key, 200, publishedAs=target, url=store.url(target))
    return out.to_json()


def remove(store: ObjectStore, keys: Iterable[object]) -> dict[str, Any]:
    """Delete garden or pool images; a key naming no image is a 404 entry, not an error."""
    out = KeyResults()
    for key in keys:
        try:
            image = layout.parse_key(key, areas=(layout.GARDEN, layout.POOL))
        except InvalidKey as exc:
            out.add(key, 400, message=str(exc))
            continue
        if not store.exists(image.key):
            out.add(key, 404, message=f"no image {image.key!r}")
            continue
        store.delete(image.key)
        out.add(key, 200, removed=True)
    return out.to_json()


# --- overview --------------------------------------------------------------------------------
def overview(catalog: Catalog, thin_below: int = THIN_BELOW) -> dict[str, Any]:
    """Per emotion: published and pool counts and likes; which emotions are empty or thin.
    Index reads per emotion only (never a scan of the catalog): it is polled by the desk."""
    rows = []
    for emotion in EMOTIONS:
        published = catalog.count(layout.GARDEN, emotion)
        rows.append({"emotion": emotion, "published": published,
                     "pool": catalog.count(layout.POOL, emotion),
                     "likes": catalog.likes_total(layout.GARDEN, emotion),
                     "empty": published == 0, "thin": 0 < published < thin_below})
    return {"emotions": rows, "empty": [r["emotion"] for r in rows if r["empty"]],
            "thin": [r["emotion"] for r in rows if r["thin"]], "thinBelow": thin_below}
