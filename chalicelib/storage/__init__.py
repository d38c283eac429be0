"""The object store port: where image bytes live (S3 in AWS, a folder locally).

Every write or delete in the store produces an S3-shaped notification event
(``{"Records": [...]}``). In AWS, S3 itself sends it to the ``index_objects`` Lambda; the
folder store calls the same handler in-process after each write or delete.

The adapters are ``s3.S3ObjectStore`` and ``folder.FolderObjectStore``; each module ends with
a ``type[ObjectStore]`` assignment so that mypy holds the class to this protocol.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: str  # ISO-8601, UTC


class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "image/jpeg",
            metadata: Mapping[str, str] | None = None) -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; raises ObjectNotFound."""

    def head(self, key: str, length: int) -> bytes:
        """The object's first ``length`` bytes (a ranged GET); raises ObjectNotFound."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""

    def copy(self, source: str, destination: str) -> None:
        """Server-side copy; raises ObjectNotFound when the source is missing."""

    def list(self, prefix: str = "") -> Iterator[StoredObject]: ...

    def url(self, key: str) -> str:
        """Where a browser fetches the object (CloudFront in AWS, the local server locally)."""

    def presigned_url(self, key: str, expires_in: int) -> str:
        """A link to a private object (one awaiting review) that works without credentials for
        ``expires_in`` seconds: S3's presigned GET in AWS, an HMAC-signed link to the local
        server locally. Raises ValueError for a lifetime outside 1 s…7 days."""
