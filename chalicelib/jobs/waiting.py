"""What a running job waits for, when it is not the images themselves: an asynchronous endpoint
scaled to zero instances needs minutes to start one (SageMaker's cold start), and a job whose
every endpoint is in that state says so — ``{"for": "capacity", "since", "seconds"}`` on
``GET /jobs/{id}`` and in the operator's list — instead of looking stuck.

Only while nothing has been made yet and the job is older than ``AFTER`` seconds (a warm
endpoint answers well before), and only when every endpoint the job still has can tell
(``generators.CapacityProbe``) and tells 0: one synchronous endpoint, or one that cannot
answer, and the job is not said to wait. The probe's answers are cached by the adapter
(``sagemaker_async.CAPACITY_TTL``); the kiosk never asks.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ..generators import CapacityProbe, Endpoint
from .record import RUNNING

AFTER = 20.0   # seconds without an image before a job is said to wait for capacity


def for_capacity(view: dict[str, Any], generators: Sequence[Endpoint],
                 now: Callable[[], float]) -> dict[str, Any] | None:
    """``{"for": "capacity", "since", "seconds"}`` when ``view`` (a job's view or summary)
    waits for an endpoint to start an instance, else None."""
    if view.get("status") != RUNNING or _made(view):
        return None
    since = _seconds(view.get("createdAt"))
    if since is None or now() - since < AFTER:
        return None
    dead = set(view.get("deadEndpoints") or [])
    live = [g for g in generators if g.uri not in dead]
    if not live or not all(isinstance(g, CapacityProbe) for g in live):
        return None
    if any(g.capacity() != 0 for g in live if isinstance(g, CapacityProbe)):
        return None
    return {"for": "capacity", "since": view["createdAt"], "seconds": int(now() - since)}


def annotate(view: dict[str, Any], generators: Callable[[], Sequence[Endpoint]],
             now: Callable[[], float]) -> dict[str, Any]:
    """``view`` with ``waiting`` when it waits for capacity; ``generators`` is called only for
    a job that might (running, nothing made, old enough)."""
    if view.get("status") != RUNNING or _made(view):
        return view
    since = _seconds(view.get("createdAt"))
    if since is None or now() - since < AFTER:
        return view
    waiting = for_capacity(view, generators(), now)
    return {**view, "waiting": waiting} if waiting else view


def _made(view: dict[str, Any]) -> bool:
    counts = view.get("counts") or {}
    return bool(view.get("completed") or view.get("failed") or counts.get("images")
                or counts.get("errors"))


def _seconds(stamp: object) -> float | None:
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
