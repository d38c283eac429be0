"""X-Ray subsegments around endpoint calls — in AWS only, through Powertools for AWS Lambda's
``Tracer`` (from the Powertools layer, which carries the X-Ray SDK; the package does not).

Locally there is no segment to attach to, and the X-Ray SDK then logs "cannot find the current
segment" or raises SegmentNotFoundException. So tracing is on only inside a Lambda invocation
that carries a trace header; Powertools (and the SDK) are imported only then, and a missing
segment is ignored.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .. import config

SERVICE = "emotion-garden"
_lock = threading.Lock()
_tracer: Any = None


def enabled() -> bool:
    """True inside a Lambda invocation with X-Ray active (the runtime sets both variables)."""
    return config.runtime().traced


def tracer() -> Any:
    """The process's Powertools ``Tracer`` (made on first use, inside Lambda only)."""
    global _tracer
    with _lock:
        if _tracer is None:
            from aws_lambda_powertools import Tracer
            # no patching: the garden's own subsegments are the endpoint calls
            made = Tracer(service=SERVICE, disabled=False, auto_patch=False)
            # A missing segment must never fail (or spam) an image generation. Lambda decides
            # sampling from the trace header, so the SDK's own sampler — a thread polling the
            # X-Ray daemon for rules — is never wanted here.
            recorder: Any = made.provider        # the X-Ray SDK's recorder
            recorder.configure(context_missing="IGNORE_ERROR", sampling=False)
            _tracer = made
        return _tracer


class _NoSubsegment:
    """What ``traced`` yields when tracing is off: the subsegment calls, doing nothing."""

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass


_NOTHING = _NoSubsegment()


@contextmanager
def traced(name: str, **annotations: str | float | bool) -> Iterator[Any]:
    """``with traced("endpoint painter:", endpoint=uri) as sub:`` — an X-Ray subsegment in AWS
    (annotations are indexed, so traces can be filtered by endpoint), nothing locally."""
    if not enabled():
        yield _NOTHING
        return
    active = tracer()
    # No segment (a test, a local run with Lambda's variables set): begin_subsegment would log
    # a warning even with context_missing ignored, so look first — quietly.
    if active.provider.current_segment() is None:
        yield _NOTHING
        return
    with active.provider.in_subsegment(name[:200]) as subsegment:
        if subsegment is None:
            yield _NOTHING
            return
        for key, value in annotations.items():
            active.put_annotation(key=key, value=value)   # on the subsegment just opened
        yield subsegment
