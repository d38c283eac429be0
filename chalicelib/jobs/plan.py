"""A job's plan: which images to make and which endpoint makes each, shared by every workflow
of the generate shape (text-to-image, bulk)."""
from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidRequest


def make_plan(job_id: str, kind: str, request: dict[str, Any], items: Sequence[dict[str, Any]],
              endpoints: Sequence[str]) -> dict[str, Any]:
    """Split ``items`` round-robin over the endpoints: one branch per endpoint that has work.

    ``request`` holds what every image shares (prompt, negative, steps, provenance extras);
    each item holds what is its own (n, seed, width, height, and optionally key, prompt,
    provenance).
    """
    if not endpoints:
        raise InvalidRequest("no inference endpoints are configured")
    branches: list[dict[str, Any]] = [{"endpoint": i, "uri": uri, "items": []}
                                      for i, uri in enumerate(endpoints)]
    for index, item in enumerate(items):
        branches[index % len(endpoints)]["items"].append(dict(item))
    return {"jobId": job_id, "kind": kind, "request": dict(request), "requested": len(items),
            "branches": [b for b in branches if b["items"]]}


def seeds(first: int | None, count: int, rng: random.Random | None = None) -> list[int]:
    """Consecutive seeds from a given one, else random ones (kept in provenance either way)."""
    if first is not None:
        return [(first + n) % 2**32 for n in range(count)]
    rng = rng or random.SystemRandom()
    return [rng.randrange(2**31) for _ in range(count)]
