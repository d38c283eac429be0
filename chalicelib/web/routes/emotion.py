"""Emotion analysis: ``POST /emotion`` with a photo."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ... import photos
from .. import admin
from ..context import current
from ..edge import header
from . import route

routes = Blueprint(__name__)

PHOTO_TYPES = ["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"]


@route(routes, "/emotion", methods=["POST"], content_types=PHOTO_TYPES)
def emotion() -> dict[str, Any]:
    # The photo is analyzed and forgotten: it reaches no store, file or log — unless an
    # operator turned on the debug setting GARDEN_KEEP_PHOTOS_DAYS (see chalicelib/photos.py).
    request: Any = routes.current_request   # its raw_body is bytes here: a binary type
    g = current()
    settings = g.settings
    keep = photos.keeper(g.store, settings.keep_photos_days, settings.bucket or "local") \
        if settings.keep_photos_days else None
    # at most two photos in flight per client address, and a bounded queue for them all:
    # the garden's other routes keep the server's threads while photos wait
    from ...faces.service import analyze_photo   # Pillow and the readers: for photos only
    reading = analyze_photo(request.raw_body or b"", header(request, "content-type"),
                            g.analyzer, header(request, "x-user-id"), keep,
                            client=admin.client_id(request))
    # zones that follow the kiosk: the emotion and the time only; never fails the reading
    from ... import zones   # the zones use case: loaded by the first reading
    zones.record_reading(lambda: g.zone_store, reading.get("emotions"))
    return reading
