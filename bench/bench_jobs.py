"""Jobs that pull: heterogeneous endpoints (one refusing connections) against the static split
the workflow used before, and restart recovery after a kill at half of a job. Everything runs
the real local stack (moto's interpreter in process, SQLite, the folder store, object-event
indexing) against simulated HTTP endpoints (`serve_endpoint`) that serve a pre-encoded JPEG
after a fixed delay, one image at a time."""
from __future__ import annotations

import contextlib
import json
import tempfile
import time
from pathlib import Path

from chalicelib.web import context
from chalicelib.generators.endpoint_server import serve_endpoint
from chalicelib.jobs import bulk, lifecycle

from .bench_workflow import ConstantGenerator
from .environment import local_garden
from .stats import table

DELAYS = (1.0, 1.0, 2.0)          # seconds per image of the live endpoints
REFUSED = "http://127.0.0.1:9/invocations"
IMAGES = 48                       # a bulk of 24 per orientation
GOAL = 1.05                       # wall ≤ 1.05 × the ideal for the live capacity
RESUME_IMAGES, RESUME_DELAY, RESUME_ENDPOINTS = 24, 0.5, 2


def _bulk(count: int) -> tuple[float, dict]:
    """(wall seconds until the job settled, its view) for a bulk of ``count`` per orientation."""
    jobs, engine = context.current().job_store, context.current().workflow
    started = time.perf_counter()
    answer = bulk.start_bulk({"emotion": "HAPPY", "count": count}, jobs=jobs, engine=engine,
                             endpoints=context.current().settings.workers)
    engine.wait(jobs.job_summary(answer["jobId"])["executionId"], 600)
    return time.perf_counter() - started, lifecycle.get_job(answer["jobId"], jobs=jobs, engine=engine)


@contextlib.contextmanager
def _garden(delays: tuple[float, ...], refused: int):
    generator = ConstantGenerator()
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as data_dir:
        servers = [stack.enter_context(serve_endpoint(generator, delay=d)) for d in delays]
        stack.enter_context(local_garden(data_dir, [s.url for s in servers] + [REFUSED] * refused))
        yield [s.url for s in servers]


def pulling() -> tuple[float, dict, list[str]]:
    with _garden(DELAYS, 1) as urls:
        return (*_bulk(IMAGES // 2), urls)


def static_split() -> list[tuple[str, int, float, int]]:
    """Today's former plan: images dealt round-robin over the four endpoints up front, each
    endpoint making its own share and nothing else. Each share runs as a job on its own
    endpoint (one after the other: the endpoints are independent, so the split's wall time is
    the slowest share's). (endpoint, dealt, wall, made) per endpoint."""
    endpoints = [*DELAYS, None]
    shares = []
    for delay in endpoints:
        dealt = IMAGES // len(endpoints)
        if delay is None:
            with _garden((), 1):
                wall, view = _bulk(dealt // 2)
            shares.append(("refusing", dealt, wall, view["completed"]))
            continue
        with _garden((delay,), 0):
            wall, view = _bulk(dealt // 2)
        shares.append((f"L = {delay:g} s", dealt, wall, view["completed"]))
    return shares


def resume() -> tuple[dict, int, float]:
    """A server killed (SIGKILL) at half of a job, started again: (the settled job, images
    the endpoints were asked for, seconds from the restart to the settled job)."""
    from tests.jobs.test_restart import Server, poll
    generator = ConstantGenerator()
    calls = {"n": 0}
    real = generator.generate

    def counted(request):
        calls["n"] += 1
        return real(request)
    generator.generate = counted   # type: ignore[method-assign]
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as data_dir:
        urls = [stack.enter_context(serve_endpoint(generator, delay=RESUME_DELAY)).url
                for _ in range(RESUME_ENDPOINTS)]
        first = Server(Path(data_dir), urls)
        try:
            job_id = first.call("POST", "/bulk", {"emotion": "CALM", "count": RESUME_IMAGES // 2})["jobId"]
            poll(first, job_id, lambda v: v["completed"] >= RESUME_IMAGES // 2, time.monotonic() + 120)
        finally:
            first.kill()
        second = Server(Path(data_dir), urls)
        restarted = time.perf_counter()
        try:
            view = poll(second, job_id, lambda v: v["status"] != "RUNNING", time.monotonic() + 120)
        finally:
            second.kill()
        return view, calls["n"], time.perf_counter() - restarted


def best_whole_images(delays: tuple[float, ...], images: int) -> float:
    """The shortest possible wall for whole images: each image to the endpoint that would
    finish it first (no overhead at all)."""
    free = [0.0] * len(delays)
    for _ in range(images):
        i = min(range(len(delays)), key=lambda k: free[k] + delays[k])
        free[i] += delays[i]
    return max(free)


def run() -> str:
    wall, view, urls = pulling()
    live = sum(1 / d for d in DELAYS)
    ideal = IMAGES / live
    best = best_whole_images(DELAYS, IMAGES)
    per_endpoint = [[f"L = {d:g} s", sum(1 for i in view["images"] if i["endpoint"] == u)]
                    for d, u in zip(DELAYS, urls, strict=True)]
    per_endpoint.append(["refusing", sum(1 for i in view["images"] if i["endpoint"] == REFUSED)])
    shares = static_split()
    static_wall = max(s[2] for s in shares)
    static_made = sum(s[3] for s in shares)
    resumed, asked, after = resume()
    verdict = "meets" if wall <= GOAL * ideal and view["completed"] == IMAGES else "misses"
    total_ok = asked <= RESUME_IMAGES + RESUME_ENDPOINTS and resumed["completed"] == RESUME_IMAGES
    return "\n\n".join([
        "## Jobs: endpoints pull, restarts resume (local engine)",
        (f"### Heterogeneous endpoints: a bulk of {IMAGES} over L = "
         f"{', '.join(f'{d:g}' for d in DELAYS)} s and one endpoint refusing connections"),
        table(["plan", "images made", "wall (s)", "ideal for the live capacity (s)", "wall / ideal"],
              [["pulling (now)", f"{view['completed']} of {IMAGES}", f"{wall:.2f}", f"{ideal:.2f}",
                f"{wall / ideal:.3f}"],
               ["static split (before)", f"{static_made} of {IMAGES}", f"{static_wall:.2f}",
                f"{ideal:.2f}", f"{static_wall / ideal:.3f}"]]),
        "Images per endpoint when pulling:\n\n" + table(["endpoint", "images"], per_endpoint),
        "The static split's shares:\n\n" + table(
            ["endpoint", "dealt", "wall (s)", "made"],
            [[name, dealt, f"{w:.2f}", made] for name, dealt, w, made in shares]),
        (f"Goal: every image made, in ≤ {GOAL} × the ideal {IMAGES} / {live:g} images/s = "
         f"{ideal:.1f} s — **{verdict}** ({wall / ideal:.3f} ×). Status {view['status']}; the "
         f"refusing endpoint is {len(view['errorSummary'])} line(s) in the job's error summary. "
         f"With whole images no schedule can end before {best:.1f} s ({best / ideal:.3f} × the "
         f"ideal), so the goal leaves {GOAL * ideal - best:.2f} s for every cost of the job "
         f"together; pulling took {wall - best:.2f} s more than that best possible schedule "
         f"({wall / best:.3f} ×)."),
        f"### Resume: a server killed (SIGKILL) at half of a {RESUME_IMAGES}-image job",
        table(["images", "endpoints", "status after the restart", "images asked of the endpoints",
               "allowed (images + endpoints)", "restart → settled (s)"],
              [[RESUME_IMAGES, RESUME_ENDPOINTS, resumed["status"], asked,
                RESUME_IMAGES + RESUME_ENDPOINTS, f"{after:.1f}"]]),
        (f"Goal: the restarted server completes it, total work ≤ {RESUME_IMAGES} + "
         f"{RESUME_ENDPOINTS} — **{'meets' if total_ok else 'misses'}**."),
        ("Measured: `bulk.start_bulk()` until the execution ended (pulling: one job over all four "
         "endpoints; static split: each endpoint's round-robin share as a job on that endpoint "
         "alone — the endpoints are independent, so the split's wall is its slowest share). "
         "Resume: `emotion-garden serve` as a child process with its own data directory, "
         f"{RESUME_ENDPOINTS} endpoints at {RESUME_DELAY:g} s per image, POST /bulk, SIGKILL once "
         "half the images were made, the server started again; the endpoints count every image "
         "they are asked for, the one in flight at the kill included."),
    ])


if __name__ == "__main__":
    print(json.dumps(run()))
