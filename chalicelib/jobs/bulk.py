"""Bulk jobs: an operator fills an emotion's pool with many images at once (``POST /bulk``,
``emotion-garden bulk``). Same workflow shape as text-to-image, with its own Plan step: each
image gets its pool key, seed, size and provenance.

One job may make ``count`` images per orientation for each of several favorites
(``favorites``, or a ``matrix`` of season × weather × time of day): each image goes to its
favorite's pool folder with the favorite's words in its prompt.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..catalog import JobStore, SharedWork, WorkItem
from ..errors import InvalidRequest
from ..moderation import Moderation
from ..rules import layout, prompts
from ..rules.favorites import favorite_words, parse_favorite, parse_favorites
from ..rules.scheduling import BULK_DEFAULT, MAX_OPERATOR
from ..rules.emotions import parse_emotion
from ..rules.validation import MAX_SEED, int_field, text_field
from ..workflow import WorkflowEngine
from .lifecycle import ensure_job, launch
from .moderated import check_prompt
from .plan import make_plan, seeds
from .record import RUNNING, Job, new_job, new_job_id

KIND = "bulk"
MACHINE = KIND   # its state machine is named after it (jobs.kinds)
MIN_PER_ORIENTATION, MAX_PER_ORIENTATION = 1, 500
ORIENTATIONS = layout.ORIENTATION_NAMES
DEFAULT_BULK_STEPS, MAX_STEPS = 50, 150   # the original's bulk Lambda ran 50 steps
MAX_WORDS = 300                           # emotionText / others
MAX_IMAGES = MAX_PER_ORIENTATION * len(ORIENTATIONS)   # per job, favorites included


@dataclass(frozen=True)
class BulkRequest:
    emotion: str
    count: int                                  # images per orientation (the original's repeatCount)
    favorite: str | None = None
    emotion_text: str | None = None
    others: str | None = None
    orientations: tuple[str, ...] = ORIENTATIONS
    seed: int | None = None                     # first seed; consecutive ones follow
    steps: int = DEFAULT_BULK_STEPS
    favorites: tuple[str, ...] = ()             # several favorites in one job (or a matrix's)
    name: str | None = None                     # the one image's name (the original's fname)

    @property
    def each_favorite(self) -> tuple[str | None, ...]:
        return self.favorites or (self.favorite,)

    @property
    def total(self) -> int:
        return self.count * len(self.orientations) * len(self.each_favorite)

    @property
    def prompt(self) -> str:
        """The prompt of the first favorite's images (each favorite's: ``prompt_for``)."""
        return self.prompt_for(self.each_favorite[0])

    def prompt_for(self, favorite: str | None) -> str:
        words = favorite_words(favorite) if favorite else None
        return prompts.build_prompt(self.emotion, words, self.emotion_text, self.others)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["orientations"] = list(self.orientations)
        data["favorites"] = list(self.favorites)
        return {k: v for k, v in data.items() if v is not None and v != []}

    def to_input(self) -> dict[str, Any]:
        """The workflow's input, in the API's own field names (a console start uses the same)."""
        body: dict[str, Any] = {"emotion": self.emotion, "count": self.count,
                                "orientations": list(self.orientations), "steps": self.steps}
        for name, value in (("favorite", self.favorite), ("emotionText", self.emotion_text),
                            ("others", self.others), ("seed", self.seed), ("name", self.name)):
            if value is not None:
                body[name] = value
        if self.favorites:
            body["favorites"] = list(self.favorites)
        return body


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
        if name not in layout.SIZES:
            raise InvalidRequest(f"unknown orientation {item!r}: use {', '.join(ORIENTATIONS)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(o for o in ORIENTATIONS if o in chosen)


def parse_bulk(body: object) -> BulkRequest:
    """``{"emotion", "count", "favorite"?, "emotionText"?, "others"?, "orientations"?, "seed"?,
    "steps"?, "name"?}`` (``priority``, 0–9, is the job's: ``start_bulk`` reads it) or InvalidRequest with a message saying what to fix. Numbers are JSON
    numbers (the operator desk and the CLI send them as such). ``name`` (one image per
    orientation, one favorite) is the original bulk page's: its images are ``{name}h|v.jpeg``."""
    if not isinstance(body, Mapping):
        raise InvalidRequest('the body must be a JSON object such as {"emotion": "HAPPY", "count": 20}')
    emotion = parse_emotion(body.get("emotion"))
    count = int_field(body, "count", None, MIN_PER_ORIENTATION, MAX_PER_ORIENTATION, required=True)
    steps = int_field(body, "steps", DEFAULT_BULK_STEPS, 1, MAX_STEPS)
    seed = int_field(body, "seed", None, 0, MAX_SEED)
    assert count is not None and steps is not None
    favorite, favorites = parse_favorite(body.get("favorite")), parse_favorites(body)
    if favorite is not None and favorites:
        raise InvalidRequest("send favorite (one) or favorites/matrix (several), not both")
    request = BulkRequest(emotion=emotion, count=count, favorite=favorite,
                          emotion_text=text_field(body, "emotionText", MAX_WORDS, collapse=True),
                          others=text_field(body, "others", MAX_WORDS, collapse=True),
                          orientations=_orientations(body), seed=seed, steps=steps,
                          favorites=favorites, name=_name(body, emotion, count, favorite, favorites))
    if request.total > MAX_IMAGES:
        raise InvalidRequest(f"{request.total} images (count × orientations × favorites) in "
                             f"one job; at most {MAX_IMAGES}: lower count or choose fewer favorites")
    return request


def _name(body: Mapping[str, Any], emotion: str, count: int, favorite: str | None,
          favorites: tuple[str, ...]) -> str | None:
    name = body.get("name")
    if name is None:
        return None
    if count != 1 or favorites:
        raise InvalidRequest("name names one image per orientation: send count 1 and at most "
                             "one favorite with it")
    if not isinstance(name, str) or not name or "/" in name:
        raise InvalidRequest("name must be an image name such as img_20230301-120000_3")
    layout.garden_key(layout.POOL, emotion, name, ORIENTATIONS[0], favorite)  # InvalidKey if not
    return name


def image_name(job_id: str, index: int) -> str:
    """The original's file names (``img_{time}_{i}`` + h|v); the job id keeps them unique."""
    return f"img_{job_id}_{index}"


def plan_items(job_id: str, request: BulkRequest, image_seeds: list[int]) -> list[WorkItem]:
    """Every image of the job, orientations interleaved so both fill up together; with
    several favorites, round by round (every favorite's first images, then the second…), each
    image with its favorite's prompt and provenance."""
    items: list[WorkItem] = []
    several = bool(request.favorites)
    for index in range(request.count):
        for favorite in request.each_favorite:
            for orientation in request.orientations:
                width, height = layout.SIZES[orientation]
                n = len(items)
                item: WorkItem = {
                    "n": n, "seed": image_seeds[n], "width": width, "height": height,
                    "key": layout.garden_key(layout.POOL, request.emotion,
                                             request.name or image_name(job_id, index),
                                             orientation, favorite)}
                if several:
                    item["prompt"] = request.prompt_for(favorite)
                    item["provenance"] = {"favorite": favorite}
                items.append(item)
    return items


def job_record(job_id: str, request: BulkRequest, endpoints: Iterable[str]) -> Job:
    return new_job(job_id, KIND, {**request.to_dict(), "prompt": request.prompt}, request.total,
                   endpoints)


def plan(event: Mapping[str, Any], *, jobs: JobStore, endpoints: Sequence[str]) -> dict[str, Any]:
    """The workflow's Plan step, same event shape as text-to-image's: the execution's input
    under ``request``, plus its ``executionId``. The request is checked again (a console start
    skips the API), the job record made when there is none, the images added as the job's
    work for the endpoints' workers to pull."""
    body = event.get("request") or {}
    request = parse_bulk(body)
    job_id = str(body.get("jobId") or new_job_id())
    job = ensure_job(jobs, job_record(job_id, request, endpoints))
    if event.get("executionId") and not job.get("executionId"):
        jobs.update_job(job_id, {"executionId": event["executionId"]})
    items = plan_items(job_id, request, seeds(request.seed, request.total))
    shared: SharedWork = {
        "prompt": request.prompt, "negative": prompts.negative_prompt(), "steps": request.steps,
        "provenance": {"kind": KIND, "emotion": request.emotion,
                       **({"favorite": request.favorite} if request.favorite else {})}}
    return make_plan(job_id, KIND, shared, items, endpoints, jobs=jobs)


def check(request: BulkRequest, moderation: Moderation | None) -> None:
    """The recipe's words, then each favorite's whole prompt, checked before a job exists: the
    first refused is PromptRefused (400) naming it in ``field`` (``emotionText``, ``others``,
    or ``favorite:<favorite>`` / ``prompt`` for the prompt built from the templates), so the
    desk can say which. A managed check that could not answer lets the job run on the block
    list's word (its images are reviewed in the pool, as every pool image is)."""
    check_prompt(moderation, KIND, request.emotion_text, "emotionText")
    check_prompt(moderation, KIND, request.others, "others")
    for favorite in request.each_favorite:
        check_prompt(moderation, KIND, request.prompt_for(favorite),
                     f"favorite:{favorite}" if favorite else "prompt")


def _checked(body: object, endpoints: tuple[str, ...],
             moderation: Moderation | None) -> tuple[BulkRequest, int]:
    """The request and its priority, checked as a start checks them: the fields, the prompts
    (by ``moderation``), endpoints configured. InvalidRequest / PromptRefused otherwise."""
    request = parse_bulk(body)
    assert isinstance(body, Mapping)   # parse_bulk said so
    is_dry_run(body)                   # a dryRun that is not a boolean is refused, even here
    # the operator's priority: a claim yields to a job of higher (rules/scheduling.py)
    priority = int_field(body, "priority", BULK_DEFAULT, BULK_DEFAULT, MAX_OPERATOR)
    assert priority is not None
    check(request, moderation)
    if not endpoints:
        raise InvalidRequest("no inference endpoints are configured")
    return request, priority


def is_dry_run(body: object) -> bool:
    """Whether ``POST /bulk`` asks for its plan only (``"dryRun": true``); a dryRun that is
    not a boolean is refused (a mistyped one must not start a job)."""
    if not isinstance(body, Mapping) or body.get("dryRun") is None:
        return False
    value = body["dryRun"]
    if not isinstance(value, bool):
        raise InvalidRequest("dryRun must be true (the plan only) or false")
    return value


def dry_run(body: object, *, endpoints: tuple[str, ...],
            moderation: Moderation | None = None) -> dict[str, Any]:
    """What ``start_bulk`` would start, without starting it: checked as a start is (so a plan
    answered is a job that would start), then per favorite its exact prompt, its pool folder
    and its images per orientation; the negative prompt, steps, sizes and the total.
    Nothing is written."""
    request, priority = _checked(body, endpoints, moderation)
    per_orientation = {o: request.count for o in request.orientations}
    plan = []
    for favorite in request.each_favorite:
        key = layout.garden_key(layout.POOL, request.emotion, request.name or "img",
                                request.orientations[0], favorite)
        plan.append({"favorite": favorite, "prompt": request.prompt_for(favorite),
                     "folder": key.rsplit("/", 1)[0] + "/", "images": dict(per_orientation),
                     "total": request.count * len(request.orientations)})
    return {"dryRun": True, "emotion": request.emotion, "count": request.count,
            "orientations": list(request.orientations),
            "sizes": {o: "{}x{}".format(*layout.SIZES[o]) for o in request.orientations},
            "negative": prompts.negative_prompt(), "steps": request.steps,
            "seed": request.seed, "priority": priority, "endpoints": len(endpoints),
            "requested": request.total, "plan": plan}


def start_bulk(body: object, *, jobs: JobStore, engine: WorkflowEngine,
               endpoints: tuple[str, ...], moderation: Moderation | None = None
               ) -> dict[str, Any]:
    """Check the request (its prompts by ``moderation``), create the job record (pollable at
    once), start the workflow with an execution named after the job.
    ``{"jobId", "status", "statusUrl", "requested", "prompt"}``. (``dry_run`` answers the
    plan of the same body without starting anything.)"""
    request, priority = _checked(body, endpoints, moderation)
    job_id = new_job_id()
    record = job_record(job_id, request, endpoints)
    if priority != BULK_DEFAULT:
        record["priority"] = priority
    launch(record, MACHINE,
           {"jobId": job_id, **request.to_input()}, jobs=jobs, engine=engine)
    return {"jobId": job_id, "status": RUNNING, "statusUrl": f"/jobs/{job_id}",
            "requested": request.total, "prompt": request.prompt}
