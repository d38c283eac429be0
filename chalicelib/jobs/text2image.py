"""Text-to-image jobs: validate a prompt request, plan its images, start its workflow, wait a
little for it (``POST /text2image``, ``emotion-garden generate``).

The job record is created before the workflow starts and appended to as each image lands, so
a client polling ``GET /jobs/{id}`` sees the first image before the last is done.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..catalog import JobStore, SharedWork, WorkItem
from ..errors import InvalidRequest
from ..moderation import Moderation
from ..rules import layout
from ..rules.emotions import parse_emotion
from ..rules.favorites import parse_favorite
from ..rules.validation import MAX_SEED, int_field, text_field
from ..workflow import WorkflowEngine
from .lifecycle import Outcome, ensure_job, launch, outcome, wait_for_job
from .moderated import check_prompt
from .plan import make_plan, seeds
from .record import Job, new_job, new_job_id

KIND = "text2image"
MACHINE = KIND   # its state machine is named after it (jobs.kinds)
PRESETS = ((640, 480), (768, 512), (800, 600), (960, 640), (1024, 576), (1024, 600), (1280, 800))
DEFAULT_WIDTH, DEFAULT_HEIGHT = 768, 512
MIN_SIDE, MAX_SIDE, MULTIPLE = 256, 1280, 8
MAX_TEXT = 1000
MAX_IMAGES = 16            # images in one text-to-image request
MAX_STEPS = 150
DEFAULT_STEPS = 30         # inference steps of a visitor's prompt (bulk uses its own default)
ALLOWED_SIZES = (", ".join(f"{w}x{h}" for w, h in PRESETS)
                 + f", or any multiple of {MULTIPLE} from {MIN_SIDE} to {MAX_SIDE} for each side")


@dataclass(frozen=True)
class Text2ImageRequest:
    text: str
    width: int
    height: int
    count: int
    seed: int | None = None
    negative: str = ""
    steps: int = DEFAULT_STEPS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _whole(body: dict[str, Any], name: str, default: int, low: int, high: int,
           hint: str | None = None) -> int:
    # The original's form posts sizes as strings ("768"): ASCII digit strings are accepted.
    value = int_field(body, name, default, low, high, digits=True, hint=hint)
    assert value is not None
    return value


def _size(body: dict[str, Any]) -> tuple[int, int]:
    hint = f"allowed sizes: {ALLOWED_SIZES}"
    width = _whole(body, "width", DEFAULT_WIDTH, 1, 100_000, hint)
    height = _whole(body, "height", DEFAULT_HEIGHT, 1, 100_000, hint)
    if (width, height) in PRESETS:
        return width, height
    for value in (width, height):
        if not MIN_SIDE <= value <= MAX_SIDE or value % MULTIPLE:
            raise InvalidRequest(f"size {width}x{height} is not allowed; {hint}")
    return width, height


def parse_request(body: object, endpoint_count: int) -> Text2ImageRequest:
    """``{"text", "width"?, "height"?, "count"?, "seed"?, "negative"?, "steps"?}`` or InvalidRequest
    (``"wait"`` is the HTTP request's own, see wait_budget).
    Default: 768x512, one image per endpoint (as the original did)."""
    if not isinstance(body, dict):
        raise InvalidRequest('the body must be a JSON object such as {"text": "A flower, happy"}')
    text = text_field(body, "text", MAX_TEXT, required=True)
    assert text is not None
    width, height = _size(body)
    count = _whole(body, "count", min(max(1, endpoint_count), MAX_IMAGES), 1, MAX_IMAGES)
    seed = int_field(body, "seed", None, 0, MAX_SEED, digits=True)
    steps = _whole(body, "steps", DEFAULT_STEPS, 1, MAX_STEPS)
    negative = text_field(body, "negative", MAX_TEXT) or ""
    return Text2ImageRequest(text=text, width=width, height=height, count=count, seed=seed,
                             negative=negative, steps=steps)


def wait_budget(body: dict[str, Any], ceiling: float) -> float:
    """How long the caller wants the request held: ``"wait"`` seconds (0 = answer 202 at once,
    for a page that shows each image as it lands), never more than the server's budget."""
    raw = body.get("wait")
    if raw is None:
        return ceiling
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= ceiling:
        raise InvalidRequest(f"wait must be a number of seconds from 0 to {ceiling:g}")
    return float(raw)


def job_record(job_id: str, request: Text2ImageRequest, endpoints: Iterable[str]) -> Job:
    return new_job(job_id, KIND, request.to_dict(), request.count, endpoints)


def start_job(request: Text2ImageRequest, *, jobs: JobStore, engine: WorkflowEngine,
              endpoints: tuple[str, ...], job_id: str | None = None) -> str:
    job_id = job_id or new_job_id()
    return launch(job_record(job_id, request, endpoints), MACHINE,
                  {"jobId": job_id, **request.to_dict()}, jobs=jobs, engine=engine)


def check(request: Text2ImageRequest, moderation: Moderation | None) -> None:
    """The prompt checked before a job exists: PromptRefused (400) when it was flagged,
    ModerationUnavailable (503, try again) when the check could not answer — the public page
    fails closed. The negative prompt names what to keep out of the image: not checked."""
    check_prompt(moderation, KIND, request.text, "text")


def run(body: object, *, jobs: JobStore, engine: WorkflowEngine, endpoints: tuple[str, ...],
        wait_seconds: float, moderation: Moderation | None = None) -> Outcome:
    """Check the request's prompt (``moderation``), start its job and wait up to its budget:
    Finished when it ended in time, else Running (the caller polls)."""
    started = time.monotonic()
    request = parse_request(body, len(endpoints))
    assert isinstance(body, dict)
    budget = wait_budget(body, wait_seconds)
    check(request, moderation)
    job_id = start_job(request, jobs=jobs, engine=engine, endpoints=endpoints)
    view = wait_for_job(job_id, budget, jobs=jobs, engine=engine)
    return outcome(job_id, view, time.monotonic() - started)


def plan(event: dict[str, Any], *, jobs: JobStore, endpoints: Sequence[str]) -> dict[str, Any]:
    """The workflow's Plan step. ``event``: ``{"request": <the execution's input>,
    "executionId": ...}`` (the state's Parameters), so a run started by hand in the console
    gets a job that knows its run."""
    body = event.get("request") or {}
    request = parse_request(body, len(endpoints))
    job_id = body.get("jobId") or new_job_id()
    job = job_record(job_id, request, tuple(endpoints))
    if event.get("executionId"):
        job["executionId"] = event["executionId"]
    ensure_job(jobs, job)
    grown = _grown_key(job_id, body.get("grown"))
    items: list[WorkItem] = [{"n": n, "seed": seed, "width": request.width,
                              "height": request.height,
                              "key": grown or layout.text2image_key(job_id, n)}
                             for n, seed in enumerate(seeds(request.seed, request.count))]
    shared: SharedWork = {"prompt": request.text, "negative": request.negative,
                          "steps": request.steps}
    return make_plan(job_id, KIND, shared, items, endpoints, jobs=jobs)


def _grown_key(job_id: str, grown: object) -> str | None:
    """A visitor's flower (``jobs/grow.py``: its input's ``grown``, one image) goes under
    ``grown/`` in the garden's shape; None for any other job."""
    if not isinstance(grown, dict):
        return None
    orientation = grown.get("orientation")
    if orientation not in layout.ORIENTATION_NAMES:
        raise InvalidRequest("grown.orientation must be landscape or portrait")
    return layout.grown_key(job_id, parse_emotion(grown.get("emotion")), str(orientation),
                            parse_favorite(grown.get("favorite")))
