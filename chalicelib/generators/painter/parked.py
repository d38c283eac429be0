"""``painter:?async=1``: the procedural painter answering as an asynchronous endpoint does, so
the local server and the tests run the path a ``sagemaker-async:`` endpoint takes — the worker
queues the image and parks, the answer arrives later as a notification of SageMaker's shape,
and the callback stores it and answers the workflow's task token.

The requests wait in a queue and one painter thread works through it, one image at a time, as
an endpoint instance does. Each answer is kept in memory until it is read (``read_output``) or
discarded; a notification goes to ``notify`` (the composition root's callback), from the
painter's thread.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from ... import logs
from ...errors import BadImage
from .. import GenerationRequest
from ..sagemaker_async import Submitted, check_inference_id
from . import PainterGenerator

Notify = Callable[[dict[str, Any]], object]
_BUCKET = "painter"   # the answers' s3:// locations name no real bucket: they are kept here


class ParkedPainter:
    """Paints queued requests on a thread of its own and notifies ``notify`` of each."""

    def __init__(self, uri: str, notify: Notify, *, painter: PainterGenerator | None = None,
                 ) -> None:
        self.uri = uri
        self._notify = notify
        self._painter = painter or PainterGenerator(uri)
        self._queue: queue.Queue[tuple[str, GenerationRequest]] = queue.Queue()
        self._answers: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, request: GenerationRequest, inference_id: str) -> Submitted:
        check_inference_id(inference_id)
        self._queue.put((inference_id, request))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=f"endpoint {self.uri}")
                self._thread.start()
        return Submitted(uri=self.uri, inference_id=inference_id,
                         input_location=self._location("input", inference_id),
                         output_location=self._location("output", inference_id))

    def read_output(self, location: str, request: GenerationRequest) -> bytes:
        with self._lock:
            data = self._answers.pop(location, None)
        if data is None:
            raise BadImage(f"endpoint {self.uri}'s answer {location} does not exist")
        return data

    def discard(self, *locations: str | None) -> None:
        with self._lock:
            for location in locations:
                if location:
                    self._answers.pop(location, None)

    def _location(self, part: str, inference_id: str) -> str:
        return f"s3://{_BUCKET}/async-inference/{part}/{inference_id}.out"

    def _run(self) -> None:
        while True:
            try:
                inference_id, request = self._queue.get(timeout=5.0)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            self._answer(inference_id, request)

    def _answer(self, inference_id: str, request: GenerationRequest) -> None:
        message: dict[str, Any] = {
            "inferenceId": inference_id, "eventSource": "painter",
            "requestParameters": {"endpointName": "painter",
                                  "inputLocation": self._location("input", inference_id)}}
        try:
            data = self._painter.generate(request)
        except Exception as exc:   # noqa: BLE001 - whatever failed is the notification's reason
            message.update(invocationStatus="Failed", failureReason=str(exc) or type(exc).__name__)
        else:
            output = self._location("output", inference_id)
            with self._lock:
                self._answers[output] = data
            message.update(invocationStatus="Completed",
                           responseParameters={"outputLocation": output})
        try:
            self._notify(message)
        except Exception as exc:   # noqa: BLE001 - one lost notification must not stop the queue
            logs.event("painter.notify_failed", logging.ERROR, inferenceId=inference_id,
                       error=type(exc).__name__, reason=str(exc))

    def __repr__(self) -> str:
        return f"ParkedPainter({self.uri!r})"
