"""The one time format of the API, the job records and the S3-shaped events: ISO 8601 in UTC
with milliseconds and a ``Z`` (``2026-05-01T12:00:00.000Z``)."""
from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    return iso_ms(datetime.now(UTC))


def from_epoch_ms(ms: int | float) -> str:
    return iso_ms(datetime.fromtimestamp(ms / 1000, UTC))


def from_epoch(seconds: float) -> str:
    return iso_ms(datetime.fromtimestamp(seconds, UTC))
