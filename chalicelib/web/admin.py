"""Admin authentication and the local per-client rate limit.

In AWS, API Gateway enforces the admin routes' API key (``api_key_required=True`` with a usage
plan) and throttles; a request without a valid key never reaches the Lambda, so the app does
not check again there. Locally the app is its own gateway: it compares the ``x-api-key``
header with ``GARDEN_ADMIN_KEY`` in constant time, and keeps a token bucket per client for
the public route that costs GPU time (``/text2image``).
"""
from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from .. import config
from ..config import Settings
from ..errors import Forbidden, TooManyRequests, Unauthorized

HEADER = "x-api-key"


def behind_api_gateway() -> bool:
    """True inside a deployed Lambda, where API Gateway checked the key and throttled. Not the
    backend setting: the local server may run against AWS resources, and then it is its own
    gateway."""
    return config.runtime().in_lambda


def require_admin(headers: Mapping[str, str] | None, settings: Settings) -> None:
    """Raise Unauthorized (no key) or Forbidden (wrong key, or no key configured locally)."""
    if behind_api_gateway():
        return  # API Gateway has already refused requests without a valid key
    given = None
    for name, value in (headers or {}).items():
        if name.lower() == HEADER:
            given = value
            break
    if not given:
        raise Unauthorized(f"this is an admin route: send the admin key in the {HEADER} header")
    if not settings.admin_key:
        # nothing can match: the local server always sets one (`emotion-garden serve` prints it)
        raise Forbidden("no admin key is configured on this server (set GARDEN_ADMIN_KEY)")
    if not matches_admin_key(given, settings):
        raise Forbidden("the admin key is wrong")


def matches_admin_key(given: str, settings: Settings) -> bool:
    """``given`` is the configured admin key (compared in constant time)."""
    expected = settings.admin_key
    return bool(expected) and hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                                  (expected or "").encode("utf-8"))


class RateLimited(TooManyRequests):
    """429 with when to retry (``retry_after`` seconds: the Retry-After header)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket per client: ``burst`` requests at once, refilled at ``rate`` per second.
    Bounded memory: the least recently seen clients are forgotten beyond ``max_clients``."""

    def __init__(self, rate: float, burst: int, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst, self._max = rate, burst, max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client → (tokens, at)
        self._lock = threading.Lock()

    def take(self, client_id: str) -> None:
        """Spend one token for ``client_id`` or raise TooManyRequests saying when to retry."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(client_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[client_id] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise RateLimited(f"too many requests from this client; try again in {wait:.0f} s"
                                  if wait >= 1 else "too many requests from this client; try again in a moment",
                                  retry_after=wait)
            self._buckets[client_id] = (tokens - 1.0, now)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


# /text2image locally: a burst of 10, then one request every 3 s per client (each request
# occupies every GPU endpoint for seconds; API Gateway's stage throttling does this in AWS).
TEXT2IMAGE_LIMIT = RateLimiter(rate=1 / 3, burst=10)
# /grow locally: a kiosk asks once per visit; a burst of 3, then one every 10 s per client
# (the catalog's counts hold one flower per visit and the day's budget everywhere).
GROW_LIMIT = RateLimiter(rate=1 / 10, burst=3)


CLIENT_HEADER = "x-garden-client-ip"


def client_id(request: Any) -> str:
    """The caller's address. Chalice's local gateway reports every caller as 127.0.0.1, so the
    local server passes the socket's peer address in CLIENT_HEADER (replacing any such header a
    client sent); without it — and always inside a Lambda, where nothing replaces a header the
    client made up — API Gateway's sourceIp from the request context."""
    if not behind_api_gateway():
        for name, value in (getattr(request, "headers", None) or {}).items():
            if name.lower() == CLIENT_HEADER and value:
                return str(value)
    context = getattr(request, "context", None) or {}
    identity = context.get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def rate_limit(client: str, settings: Settings, limiter: RateLimiter = TEXT2IMAGE_LIMIT) -> None:
    """Count one /text2image request for ``client``; a no-op behind API Gateway, which
    throttles the route itself."""
    if not behind_api_gateway():
        limiter.take(client)
