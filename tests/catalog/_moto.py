"""moto's backends are not thread-safe (TransactWriteItems copies a table while other threads
update it; Step Functions runs its tasks on threads of its own): tests that call moto from
several threads serialize every mocked request. The product never needs this — DynamoDB
and the other services are safe to call concurrently — so it is done here, in the tests."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber

_lock = threading.RLock()   # re-entrant: a mocked request may make another on its own thread


@contextlib.contextmanager
def serialized_moto() -> Iterator[None]:
    """While inside, moto answers one request at a time (botocore's and ``requests``')."""
    original = BotocoreStubber.process_request

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with _lock:
            return original(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.process_request = original  # type: ignore[method-assign]
