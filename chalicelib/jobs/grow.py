"""A visitor's own flower (``POST /grow``): one image grown for the visitor's emotion, made
ahead of any bulk work on the same endpoints.

The flower is a text-to-image job in all but its origin: the same machine, plan and workers,
its image checked as a text-to-image result (held when flagged or unchecked: the job's image
says ``held`` and the kiosk shows a garden image instead), with the priority of a visitor
(``rules/scheduling.VISITOR``: a bulk job's claims yield to it). Its prompt is the operator's
recipe for the emotion (and favorite) — ``recipe`` — never anything read from the photo: no
age, gender or face data reaches it. Its image lives under ``grown/`` in the garden's shape
(``layout.grown_key``), so its take-home page reads it as a garden image's.

What it may cost is counted in the catalog (``JobStore.spend``), so the counts hold across
processes and Lambdas: one flower per visit, and at most ``per_day`` per installation per UTC
day (429 with Retry-After until midnight when spent). The per-kiosk rate limit is the edge's.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..catalog import JobStore
from ..errors import InvalidRequest, ServiceUnavailable, TooManyRequests
from ..moderation import Moderation
from ..rules import prompts
from ..rules.emotions import parse_emotion
from ..rules.favorites import favorite_words, parse_favorite
from ..rules.scheduling import VISITOR
from ..workflow import WorkflowEngine
from . import text2image
from .lifecycle import Outcome, launch, outcome, wait_for_job
from .record import new_job_id

# One image in the garden's proportions (16:10, as its 1280x800 flowers), small enough to be
# quick: a visitor waits for it.
SIZES = {"landscape": (768, 480), "portrait": (480, 768)}
DEFAULT_WAIT = 5.0         # seconds POST /grow holds its answer unless told ("wait")
MAX_VISIT_ID = 128         # as the garden's visitor ids
LANGUAGES = ("en", "ko")
FIELDS = ("id", "emotion", "favorite", "lang", "orientation", "wait")
PER_VISIT = 1              # flowers per visit
VISIT_KEEP = 24 * 3600     # seconds a visit's count is kept
DAY_KEEP = 2 * 24 * 3600   # seconds a day's count is kept (past its day, whatever the zone)


class GrowingOff(ServiceUnavailable):
    """This installation grows no flowers for visitors (GARDEN_GROW off): 503, nothing to
    retry soon (``retry_after``: an hour)."""
    retry_after = 3600.0


class BudgetSpent(TooManyRequests):
    """429 with when to ask again (``retry_after`` seconds)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class GrowRequest:
    visit: str
    emotion: str
    favorite: str | None
    orientation: str
    language: str


Recipe = Callable[[str, str | None], tuple[str, str]]   # (emotion, favorite) → (prompt, negative)


def recipe(emotion: str, favorite: str | None) -> tuple[str, str]:
    """The operator's recipe for the emotion and favorite: the bulk prompt's words
    (``rules/prompts.py``) and its negative prompt. The one place a flower's prompt is made:
    point it at saved recipes when there are some."""
    words = favorite_words(favorite) if favorite else None
    return prompts.build_prompt(emotion, words), prompts.negative_prompt()


def parse_grow(body: object) -> GrowRequest:
    """``{"id": visit id, "emotion", "favorite"?, "lang"?, "orientation"?, "wait"?}`` or
    InvalidRequest saying what to fix (any other field — a prompt, the original's shapes — is
    refused: the prompt is the operator's)."""
    if not isinstance(body, Mapping):
        raise InvalidRequest('the body must be a JSON object such as '
                             '{"id": "<visit id>", "emotion": "HAPPY"}')
    unknown = sorted(str(name)[:40] for name in body if name not in FIELDS)
    if unknown:
        raise InvalidRequest(f"unknown field(s) {', '.join(unknown)}: a flower is grown from "
                             f"{{{', '.join(FIELDS)}}} (its prompt is the garden's recipe)")
    visit = body.get("id")
    if not isinstance(visit, str) or not 1 <= len(visit.strip()) <= MAX_VISIT_ID:
        raise InvalidRequest(f"id must be the visit's id (1–{MAX_VISIT_ID} characters)")
    orientation = body.get("orientation", "landscape")
    if orientation not in SIZES:
        raise InvalidRequest("orientation must be landscape or portrait")
    language = body.get("lang", "en")
    if language not in LANGUAGES:
        raise InvalidRequest(f"lang must be one of {', '.join(LANGUAGES)}")
    return GrowRequest(visit=visit.strip(), emotion=parse_emotion(body.get("emotion")),
                       favorite=parse_favorite(body.get("favorite")),
                       orientation=str(orientation), language=str(language))


def until_midnight(now: datetime) -> float:
    """Seconds until the next UTC day, when a spent daily budget comes back."""
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (tomorrow - now).total_seconds())


def _visit_allowance(visit: str) -> str:
    # the visit's id is not kept: only a digest of it, for a day
    return "grow-visit#" + hashlib.sha256(visit.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def grow(body: object, *, jobs: JobStore, engine: WorkflowEngine, endpoints: tuple[str, ...],
         favorites: Callable[[str], Collection[str]], per_day: int, enabled: bool,
         wait_seconds: float, moderation: Moderation | None = None,
         make_recipe: Recipe = recipe,
         now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Outcome:
    """Check the request, spend the visit's and the day's allowance, start the flower's job
    and wait up to ``"wait"`` seconds (DEFAULT_WAIT, at most ``wait_seconds``): Finished when
    it ended in time, else Running. ``favorites(emotion)``: the favorites the garden has
    (a favorite it has not is refused)."""
    started = time.monotonic()
    request = parse_grow(body)
    assert isinstance(body, Mapping)
    budget = text2image.wait_budget({"wait": body.get("wait", min(DEFAULT_WAIT, wait_seconds))},
                                    wait_seconds)
    if not enabled:
        raise GrowingOff("this garden grows no flowers for visitors (GARDEN_GROW is off)")
    if not endpoints:
        raise GrowingOff("no inference endpoints are configured")
    if request.favorite is not None and request.favorite not in favorites(request.emotion):
        raise InvalidRequest(f"favorite {request.favorite!r} is not one of the garden's for "
                             f"{request.emotion}")
    prompt, negative = make_recipe(request.emotion, request.favorite)
    width, height = SIZES[request.orientation]
    t2i = text2image.Text2ImageRequest(text=prompt, width=width, height=height, count=1,
                                       negative=negative)
    text2image.check(t2i, moderation)
    if not jobs.spend(_visit_allowance(request.visit), PER_VISIT, VISIT_KEEP):
        raise BudgetSpent("this visit's flower has been grown already", until_midnight(now()))
    moment = now()
    if not jobs.spend(f"grow-day#{moment:%Y-%m-%d}", per_day, DAY_KEEP):
        raise BudgetSpent(f"today's {per_day} flowers for visitors have all been grown; more "
                          "tomorrow (UTC)", until_midnight(moment))
    job_id = start(t2i, request, jobs=jobs, engine=engine, endpoints=endpoints)
    view = wait_for_job(job_id, budget, jobs=jobs, engine=engine)
    return outcome(job_id, view, time.monotonic() - started)


def start(t2i: text2image.Text2ImageRequest, request: GrowRequest, *, jobs: JobStore,
          engine: WorkflowEngine, endpoints: tuple[str, ...]) -> str:
    """The flower's job on the text-to-image machine, at a visitor's priority; its execution
    input says where its image goes (``grown``: read by ``text2image.plan``)."""
    job_id = new_job_id()
    grown = grown_field(request)
    record = text2image.job_record(job_id, t2i, endpoints)
    record["request"] = {**record["request"], "grown": grown}
    record["priority"] = VISITOR
    return launch(record, text2image.MACHINE, {"jobId": job_id, **t2i.to_dict(), "grown": grown},
                  jobs=jobs, engine=engine)


def grown_field(request: GrowRequest) -> dict[str, Any]:
    """What the job keeps of the visit: the emotion, favorite, orientation and language (never
    the visit's id)."""
    return {"emotion": request.emotion, "favorite": request.favorite,
            "orientation": request.orientation, "lang": request.language}

