"""A job's plan, shared by every workflow of the generate shape (text-to-image, bulk): the
images to make become the job's units of work in the JobStore, and each worker (one per
endpoint slot, ``Settings.workers``) pulls them until none is left for it — so a fast
endpoint makes more, a slow one fewer, and a dead one's images go to the others."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..catalog import JobStore, SharedWork, WorkItem
from ..config import parks
from ..errors import InvalidRequest


def make_plan(job_id: str, kind: str, shared: Mapping[str, Any], items: Sequence[WorkItem],
              workers: Sequence[str], *, jobs: JobStore) -> dict[str, Any]:
    """Record ``items`` as the job's work and what every image shares (``shared``: prompt,
    negative, steps, provenance extras) in its record; a job that has work already (a
    retried or resumed Plan) keeps it. Each item holds what is its own (n, seed, width,
    height, and optionally key, prompt, provenance).

    The workflow's payload: the job id and the workers, ``{"worker": index, "uri", "parks"}`` — never
    the items, so it stays small however many images the job has."""
    if not workers:
        raise InvalidRequest("no inference endpoints are configured")
    jobs.update_job(job_id, {"shared": cast(SharedWork, dict(shared))})
    jobs.add_work(job_id, [item.copy() for item in items])
    return {"jobId": job_id, "kind": kind, "requested": len(items),
            "workers": [_worker(i, uri) for i, uri in enumerate(workers)]}


def _worker(index: int, uri: str) -> dict[str, Any]:
    """A worker of the payload; one of an asynchronous endpoint parks (``config.parks``): the
    state machine waits for its image on a task token instead of in a Lambda. Always said
    (Step Functions' Choice fails on a path that is not there)."""
    return {"worker": index, "uri": uri, "parks": parks(uri)}


def seeds(first: int | None, count: int, rng: random.Random | None = None) -> list[int]:
    """Consecutive seeds from a given one, else random ones (kept in provenance either way)."""
    if first is not None:
        return [(first + n) % 2**32 for n in range(count)]
    rng = rng or random.SystemRandom()
    return [rng.randrange(2**31) for _ in range(count)]
