"""Cursors: the opaque page tokens of the API and the catalog — base64url (unpadded) of
compact JSON. Whoever issues one checks, on the way back, that it holds what it issued."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import InvalidRequest
from . import jsontext

BAD_CURSOR = "the cursor is not one this server issued for this query"
MAX_CURSOR_LENGTH = 4096


def encode_cursor(data: dict[str, Any]) -> str:
    """Opaque to clients: base64url (unpadded) of compact JSON."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: object) -> dict[str, Any]:
    """The JSON object inside a cursor; InvalidRequest for anything else."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidRequest(BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # limits on depth and numbers; no lone surrogates, which no database accepts
        data = jsontext.loads(raw, "the cursor")
    except (binascii.Error, ValueError, TypeError, InvalidRequest) as exc:
        raise InvalidRequest(BAD_CURSOR) from exc
    if not isinstance(data, dict):
        raise InvalidRequest(BAD_CURSOR)
    return data
