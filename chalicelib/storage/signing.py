"""Short-lived signed links for the folder store: what S3's presigned URLs are in AWS. A link
carries its expiry and an HMAC-SHA256 of the key and that expiry under a secret only the
server holds, so a browser's <img> can show a private image (one awaiting review) without
sending the admin key, and only until the link expires."""
from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode

MAX_SECONDS = 7 * 24 * 3600   # S3's own limit for a presigned URL


def _signature(secret: bytes, key: str, expires: int) -> str:
    message = f"{key}\n{expires}".encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signed_query(secret: bytes, key: str, expires_in: int,
                 clock: Callable[[], float] | None = None) -> str:
    """``expires=…&signature=…`` for ``key``, valid for ``expires_in`` seconds."""
    if not 1 <= expires_in <= MAX_SECONDS:
        raise ValueError(f"expires_in must be 1…{MAX_SECONDS} seconds")
    expires = int((clock or time.time)()) + expires_in
    return urlencode({"expires": expires, "signature": _signature(secret, key, expires)})


def verify(secret: bytes, key: str, query: str, clock: Callable[[], float] | None = None) -> bool:
    """Whether ``query`` (a URL's query string) signs ``key`` and has not expired."""
    try:
        fields = parse_qs(query, strict_parsing=False, max_num_fields=8)
    except ValueError:
        return False
    expires_raw, signature = fields.get("expires", [""])[-1], fields.get("signature", [""])[-1]
    if not (expires_raw.isascii() and expires_raw.isdigit()) or len(expires_raw) > 12:
        return False
    expires = int(expires_raw)
    if expires < (clock or time.time)():
        return False
    return hmac.compare_digest(signature.encode("ascii", "replace"),
                               _signature(secret, key, expires).encode("ascii"))
