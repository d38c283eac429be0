"""Fixtures for the zone routes: the app's test client with an admin key, a garden planted
through the store (so the object events index it, as in production), and a scripted
Rekognition analyzer for the kiosk's readings."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib.web import context
from tests.images import jpeg
from tests.pools.conftest import ADMIN_KEY, client  # noqa: F401 - the fixture, shared
from tests.pools.conftest import respond as call  # noqa: F401 - (status, body, headers)

EVENTS = Path(__file__).resolve().parent.parent / "faces" / "events"


def plant(key: str, created: str = "2026-01-01T00:00:00Z") -> str:
    context.current().store.put(key, jpeg(prov={"prompt": "A flower, test", "createdAt": created,
                                          "seed": 7}))
    return key


def reading(emotion: str) -> dict:
    """Rekognition's DetectFaces answer for one face whose strongest emotion is ``emotion``."""
    answer = json.loads((EVENTS / "detect_faces_one.json").read_text())
    answer = copy.deepcopy(answer)
    for entry in answer["FaceDetails"][0]["Emotions"]:
        entry["Confidence"] = 95.0 if entry["Type"] == emotion else 0.5
    return answer


@pytest.fixture(scope="session")
def face_photo() -> bytes:
    import io

    import skimage.data
    from PIL import Image
    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(out, "JPEG")
    return out.getvalue()
