"""CloudWatch metrics in the embedded metric format (EMF), written by Powertools for AWS
Lambda's ``Metrics`` (from the Powertools layer): one JSON line on stdout per measurement,
which Lambda ships to CloudWatch Logs and CloudWatch turns into metrics — no API call, no
added latency.

Namespace ``EmotionGarden``; every metric has a ``Stage`` dimension (GARDEN_STAGE, set per
stage by make deploy) and, where it says so, an ``Endpoint``, ``Emotion`` or ``Kind`` one.
Locally nothing is printed and Powertools is not even imported (the lines would only clutter
the server's output) unless GARDEN_METRICS=1; tests and the bench use ``capture()``. Never put
face data, image bytes or a prompt in a property.

    metrics.image_generated("sagemaker:sd-1", 7.2)
    metrics.image_failed("sagemaker:sd-1", "EndpointTimeout")
    metrics.emotion_analyzed("HAPPY")
"""
from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from . import config

NAMESPACE = "EmotionGarden"
SECONDS, COUNT, MILLISECONDS = "Seconds", "Count", "Milliseconds"
Sink = Callable[[str], None]

_lock = threading.Lock()
_sinks: list[Sink] = []


def enabled() -> bool:
    """On inside Lambda, or when GARDEN_METRICS says so."""
    return config.runtime().metrics


def document(metrics: Mapping[str, tuple[float, str]], dimensions: Mapping[str, str],
             properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One EMF document made by Powertools: ``metrics`` name → (value, unit), all under one
    dimension set (``Stage`` and ``dimensions``), ``properties`` as searchable keys (Logs
    Insights, not metrics: no cost per value). Powertools' ``EphemeralMetrics`` keeps nothing
    between documents (``Metrics`` shares its set across instances and invocations)."""
    from aws_lambda_powertools.metrics import EphemeralMetrics
    emf = EphemeralMetrics(namespace=NAMESPACE)
    dims = {"Stage": config.runtime().stage, **{k: str(v) for k, v in dimensions.items()}}
    for name in sorted(dims):
        emf.add_dimension(name=name, value=dims[name])
    for name, (value, unit) in metrics.items():
        emf.add_metric(name=name, unit=unit, value=value)
    for key, value in (properties or {}).items():
        emf.add_metadata(key=key, value=value)
    return dict(emf.serialize_metric_set())


def emit(metrics: Mapping[str, tuple[float, str]], dimensions: Mapping[str, str] | None = None,
         correlate: bool = True, **properties: Any) -> None:
    """Print one EMF line (or hand it to the capturing sinks). Never raises: a metric must not
    fail the request or the image it measures."""
    with _lock:
        sinks = list(_sinks)
    if not sinks and not enabled():
        return
    try:
        from . import logs
        correlation = logs.correlation_id() if correlate else None
        if correlation:
            properties.setdefault("correlationId", correlation)
        line = json.dumps(document(metrics, dimensions or {}, properties), default=str,
                          ensure_ascii=False, separators=(",", ":"))
    except Exception:  # noqa: BLE001 - see docstring
        return
    if sinks:
        for sink in sinks:
            sink(line)
    else:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@contextmanager
def capture() -> Iterator[list[dict[str, Any]]]:
    """Collect the documents emitted inside the block (tests; the bench)."""
    seen: list[dict[str, Any]] = []

    def sink(line: str) -> None:
        seen.append(json.loads(line))
    with _lock:
        _sinks.append(sink)
    try:
        yield seen
    finally:
        with _lock:
            _sinks.remove(sink)


# --- what the garden measures ----------------------------------------------------------------
def image_generated(endpoint: str, seconds: float, **properties: Any) -> None:
    """One image made and stored by ``endpoint`` in ``seconds`` (the endpoint call's latency)."""
    emit({"ImagesGenerated": (1, COUNT), "GenerationLatency": (float(seconds), SECONDS)},
         {"Endpoint": endpoint}, **properties)


def image_failed(endpoint: str, error: str, **properties: Any) -> None:
    """One image that ``endpoint`` did not deliver; ``error`` is the domain error's name
    (EndpointTimeout, EndpointThrottled, EndpointFailed, BadImage…), kept as a property so
    error names do not multiply metrics."""
    emit({"ImagesFailed": (1, COUNT)}, {"Endpoint": endpoint}, error=error, **properties)


def emotion_analyzed(emotion: str, seconds: float | None = None, **properties: Any) -> None:
    """One photo read; ``emotion`` the dominant one (or NO_FACE). No other face data, and no
    correlation id: a count per emotion must not be traceable to one visitor's request."""
    metrics: dict[str, tuple[float, str]] = {"EmotionsAnalyzed": (1, COUNT)}
    if seconds is not None:
        metrics["AnalysisLatency"] = (float(seconds), SECONDS)
    emit(metrics, {"Emotion": emotion}, correlate=False, **properties)


def job_finished(kind: str, status: str, seconds: float | None, images: int, failed: int,
                 **properties: Any) -> None:
    """A workflow run settled (text2image or bulk): its wall time and outcome."""
    metrics: dict[str, tuple[float, str]] = {"JobsFinished": (1, COUNT),
                                             "JobImages": (images, COUNT),
                                             "JobFailures": (failed, COUNT)}
    if seconds is not None:
        metrics["JobSeconds"] = (float(seconds), SECONDS)
    emit(metrics, {"Kind": kind}, status=status, **properties)
