"""X-Ray subsegments around endpoint calls — in AWS only.

Locally there is no segment to attach to, and aws-xray-sdk then logs "cannot find the current
segment" or raises SegmentNotFoundException. So tracing is on only inside a Lambda invocation
that carries a trace header, the SDK is imported only then, and a missing context is ignored.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .. import config

_lock = threading.Lock()
_recorder: Any = None


def enabled() -> bool:
    """True inside a Lambda invocation with X-Ray active (the runtime sets both variables)."""
    return config.runtime().traced


def _get_recorder() -> Any:
    global _recorder
    with _lock:
        if _recorder is None:
            from aws_xray_sdk.core import xray_recorder
            # A missing segment must never fail (or spam) an image generation. Lambda decides
            # sampling from the trace header, so the SDK's own sampler — a thread polling the
            # X-Ray daemon for rules — is never wanted here.
            xray_recorder.configure(context_missing="IGNORE_ERROR", sampling=False)
            _recorder = xray_recorder
        return _recorder


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
    recorder = _get_recorder()
    # No segment (a test, a local run with Lambda's variables set): begin_subsegment would log
    # a warning even with context_missing ignored, so look first — quietly.
    if recorder.current_segment() is None:
        yield _NOTHING
        return
    with recorder.in_subsegment(name[:200]) as subsegment:
        if subsegment is None:
            yield _NOTHING
            return
        for key, value in annotations.items():
            subsegment.put_annotation(key, value)
        yield subsegment
