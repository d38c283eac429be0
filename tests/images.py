"""Small JPEGs for tests, made on the fly (no binary fixtures in the repository)."""
from __future__ import annotations

import io

from PIL import Image

from chalicelib.rules import provenance


def jpeg(width: int = 64, height: int = 40, color=(200, 80, 120), prov: dict | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG", quality=80)
    data = out.getvalue()
    return provenance.embed(data, prov) if prov else data
