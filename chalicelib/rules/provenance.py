"""Provenance inside the JPEG itself (a COM segment holding JSON), so a file restored from a
backup — by any tool — can be re-indexed with nothing lost."""
from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Mapping
from typing import Any

MARKER = b"emotion-garden/provenance:"
HEAD_BYTES = 65536  # provenance sits right after SOI; this much of the file always holds it
GENERATOR = "generator"  # the key under which a generator describes the image it made


def embed(jpeg: bytes, provenance: Mapping[str, Any]) -> bytes:
    """Return the JPEG with a provenance segment right after its SOI marker (replacing any).
    What a generator recorded about itself under ``generator`` (a Bedrock model's native size)
    is kept unless ``provenance`` sets it."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    earlier = read(jpeg[:HEAD_BYTES]) or {}
    if GENERATOR in earlier and GENERATOR not in provenance:
        provenance = {**provenance, GENERATOR: earlier[GENERATOR]}
    payload = MARKER + json.dumps(dict(provenance), ensure_ascii=False, separators=(",", ":"),
                                  sort_keys=True).encode("utf-8")
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("provenance too large for one JPEG segment")
    body = _strip(jpeg)
    return b"\xff\xd8" + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + body[2:]


def read(data: bytes) -> dict[str, Any] | None:
    """The provenance in a JPEG (or its first HEAD_BYTES), or None when it carries none."""
    for start, end in _com_segments(data):
        payload = data[start:end]
        if payload.startswith(MARKER):
            try:
                value = json.loads(payload[len(MARKER):].decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                return None
            return value if isinstance(value, dict) else None
    return None


def _com_segments(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each COM payload before the image data; tolerant of truncated input."""
    if data[:2] != b"\xff\xd8":
        return
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):  # EOI, start of scan: no more headers
            return
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2:
            return
        if marker == 0xFE:
            yield pos + 4, min(pos + 2 + length, len(data))
        pos += 2 + length


def _strip(jpeg: bytes) -> bytes:
    """The JPEG without our provenance segments."""
    out = bytearray(jpeg)
    for start, end in reversed(list(_com_segments(jpeg))):
        if jpeg[start:end].startswith(MARKER):
            del out[start - 4:end]
    return bytes(out)
