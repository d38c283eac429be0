"""The object store on S3, with URLs through CloudFront (the bucket stays private)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from ..errors import ObjectNotFound, ServiceUnavailable, UpstreamFailed
from ..rules.layout import check_safe
from . import ObjectStore, StoredObject, signing

_MISSING = {"NoSuchKey", "404", "NotFound"}
# A day, not "immutable": a removed or unpublished image must leave CloudFront's caches soon.
CACHE_CONTROL = "public, max-age=86400"
_BUSY = {"SlowDown", "ServiceUnavailable", "RequestTimeout", "Throttling"}


def _translate(exc: ClientError, key: str) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in _MISSING:
        return ObjectNotFound(key)
    if code in _BUSY:
        return ServiceUnavailable(f"S3 is busy ({code}); try again")
    return UpstreamFailed(f"S3 {code or 'error'} on {key}")


@contextmanager
def _translated(key: str) -> Iterator[None]:
    """S3's ClientError raised inside the block becomes the domain error for ``key``."""
    try:
        yield
    except ClientError as exc:
        raise _translate(exc, key) from exc


def client_config() -> Any:
    """The S3 client's settings: Signature Version 4 (presigned links included; S3 no longer
    accepts version 2 in newer regions) and virtual-hosted addressing."""
    from botocore.config import Config
    return Config(signature_version="s3v4", s3={"addressing_style": "virtual"})


class S3ObjectStore:
    def __init__(self, client: Any, bucket: str, public_url: str) -> None:
        self._s3 = client                 # a boto3 S3 client (untyped)
        self._bucket = bucket
        self._public_url = public_url.rstrip("/")

    def put(self, key: str, data: bytes, content_type: str = "image/jpeg",
            metadata: Mapping[str, str] | None = None) -> None:
        with _translated(key):
            self._s3.put_object(Bucket=self._bucket, Key=check_safe(key), Body=data,
                                ContentType=content_type, Metadata=dict(metadata or {}),
                                CacheControl=CACHE_CONTROL)

    def get(self, key: str) -> bytes:
        with _translated(key):
            data: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return data

    def head(self, key: str, length: int) -> bytes:
        try:
            data: bytes = self._s3.get_object(Bucket=self._bucket, Key=key,
                                              Range=f"bytes=0-{length - 1}")["Body"].read()
            return data
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # empty object
                return b""
            raise _translate(exc, key) from exc

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
            return True
        except ClientError as exc:
            error = _translate(exc, key)
            if isinstance(error, ObjectNotFound):
                return False
            raise error from exc

    def delete(self, key: str) -> None:
        with _translated(key):
            self._s3.delete_object(Bucket=self._bucket, Key=check_safe(key))

    def copy(self, source: str, destination: str) -> None:
        with _translated(source):
            self._s3.copy_object(Bucket=self._bucket, Key=check_safe(destination),
                                 CopySource={"Bucket": self._bucket, "Key": source},
                                 MetadataDirective="COPY")

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
        with _translated(prefix):
            for page in pages:
                for obj in page.get("Contents", []):
                    yield StoredObject(obj["Key"], obj["Size"], obj["LastModified"].isoformat())

    def url(self, key: str) -> str:
        return f"{self._public_url}/{quote(key)}"

    def presigned_url(self, key: str, expires_in: int) -> str:
        if not 1 <= expires_in <= signing.MAX_SECONDS:
            raise ValueError(f"expires_in must be 1…{signing.MAX_SECONDS} seconds")
        with _translated(key):
            url: str = self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": check_safe(key)},
                ExpiresIn=expires_in)
        return url


_check: type[ObjectStore] = S3ObjectStore  # mypy holds the adapter to the port
