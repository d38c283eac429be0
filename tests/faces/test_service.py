"""analyze_photo with a fake analyzer: the response, the opt-in keeping, the logs' privacy."""
from __future__ import annotations

import base64
import json
import logging
import uuid

import pytest
from PIL import Image

from chalicelib import config
from chalicelib.errors import (
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    UpstreamFailed,
)
from chalicelib.bootstrap import build_analyzer
from chalicelib.faces import AgeRange, BoundingBox, Face
from chalicelib.faces.rekognition import RekognitionAnalyzer
from chalicelib.faces.service import analyze_photo
from chalicelib.rules.emotions import EMOTIONS

from .conftest import jpeg


def _scores(**given: float) -> dict[str, float | None]:
    return {name: given.get(name, 0.0) for name in EMOTIONS}


SMILING = Face(box=BoundingBox(0.1, 0.1, 0.5, 0.6), emotions=_scores(HAPPY=88.0, CALM=10.0),
               age_range=AgeRange(8, 12), gender="Female", smile=True)
FRAMED = Face(box=BoundingBox(0.7, 0.1, 0.1, 0.1), emotions=_scores(ANGRY=99.0))


class FakeAnalyzer:
    name = "fake"

    def __init__(self, faces=(), error: Exception | None = None) -> None:
        self.faces, self.error = list(faces), error
        self.seen: list[object] = []

    def analyze(self, image):
        self.seen.append(image)
        if self.error:
            raise self.error
        return self.faces


@pytest.fixture(scope="module")
def photo() -> bytes:
    # Noise makes the bytes distinctive, so a leak into the logs could not go unnoticed.
    return jpeg(Image.effect_noise((96, 96), 64).convert("RGB"), quality=95)


@pytest.fixture
def log_lines():
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())
    logger = logging.getLogger("emotion_garden")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_largest_face_answers_and_the_count_is_reported(photo):
    result = analyze_photo(photo, "image/jpeg", FakeAnalyzer([FRAMED, SMILING]))
    assert result["emotions"] == "HAPPY" and result["faces"] == 2
    assert result["ageRange"] == {"Low": 8, "High": 12} and result["generation"] == "child"
    assert result["analyzer"] == "fake"


def test_unknown_age_gives_null_generation(photo):
    result = analyze_photo(photo, "image/jpeg", FakeAnalyzer([FRAMED]))
    assert result["ageRange"] is None and result["generation"] is None
    assert result["smile"] is None and result["gender"] is None


def test_no_face(photo):
    with pytest.raises(NotFound) as caught:
        analyze_photo(photo, "image/jpeg", FakeAnalyzer([]))
    assert str(caught.value) == "No Face"


def test_a_new_id_unless_the_kiosk_sends_one(photo):
    first = analyze_photo(photo, "image/jpeg", FakeAnalyzer([SMILING]))
    uuid.UUID(first["id"])
    sent = analyze_photo(photo, None, FakeAnalyzer([SMILING]), user_id=" kiosk-1 ")
    assert sent["id"] == "kiosk-1"


@pytest.mark.parametrize("user_id", ["../../etc", "a" * 129, "x y", "<script>"])
def test_a_hostile_user_id_is_refused(photo, user_id):
    with pytest.raises(InvalidRequest, match="X-user-id"):
        analyze_photo(photo, "image/jpeg", FakeAnalyzer([SMILING]), user_id=user_id)


def test_bad_input_never_reaches_the_analyzer():
    analyzer = FakeAnalyzer([SMILING])
    with pytest.raises(UnsupportedMediaType):
        analyze_photo(b"GIF89a...", "image/gif", analyzer)
    assert analyzer.seen == []


def test_the_photo_is_kept_nowhere_by_default(photo):
    result = analyze_photo(photo, "image/jpeg", FakeAnalyzer([SMILING]))
    assert result["bucket"] is None and result["key"] is None


def test_debug_keeping_is_an_explicit_opt_in(photo):
    kept = []

    def keep(visitor: str, data: bytes) -> tuple[str, str]:
        kept.append((visitor, data))
        return "debug-bucket", f"debug/{visitor}.jpeg"
    result = analyze_photo(photo, "image/jpeg", FakeAnalyzer([SMILING]), "kiosk-2", keep)
    assert kept == [("kiosk-2", photo)]
    assert (result["bucket"], result["key"]) == ("debug-bucket", "debug/kiosk-2.jpeg")


def test_no_face_keeps_nothing(photo):
    kept = []
    with pytest.raises(NotFound):
        analyze_photo(photo, "image/jpeg", FakeAnalyzer([]), None,
                      lambda v, d: kept.append(d) or ("b", "k"))
    assert kept == []


def test_one_log_line_per_analysis_without_photo_or_face_data(photo, log_lines):
    analyze_photo(photo, "image/jpeg", FakeAnalyzer([SMILING]), user_id="kiosk-3")
    with pytest.raises(NotFound):
        analyze_photo(photo, "image/jpeg", FakeAnalyzer([]))
    with pytest.raises(UpstreamFailed):
        analyze_photo(photo, "image/jpeg", FakeAnalyzer(error=UpstreamFailed("model crashed")))
    records = [json.loads(line) for line in log_lines if '"face_analysis"' in line]
    assert [r["outcome"] for r in records] == ["ok", "NotFound", "UpstreamFailed"]
    assert records[0]["faces"] == 1 and records[0]["bytes"] == len(photo)
    text = "\n".join(log_lines)
    for leak in (photo[:64].hex(), base64.b64encode(photo[:48]).decode(),
                 photo[100:140].decode("latin-1"), "kiosk-3", "HAPPY", "Female", "ageRange"):
        assert leak not in text


def test_build_analyzer_picks_by_setting():
    import boto3
    client = boto3.client("rekognition", region_name="us-east-1")
    aws = build_analyzer(config.load({"GARDEN_ANALYZER": "rekognition"}), rekognition_client=client)
    assert isinstance(aws, RekognitionAnalyzer) and aws.name == "rekognition"
    built = build_analyzer(config.load({"GARDEN_ANALYZER": "rekognition"}))
    assert built.name == "rekognition"
    first = build_analyzer(config.load({"GARDEN_ANALYZER": "local"}))
    assert first.name == "local"
    assert build_analyzer(config.load({})) is first  # one per process, models loaded lazily


def test_face_needs_all_eight_scores():
    with pytest.raises(ValueError, match="CONFUSED"):
        Face(box=BoundingBox(0, 0, 1, 1), emotions={k: 1.0 for k in EMOTIONS if k != "CONFUSED"})


def test_a_photo_too_large_to_decode_never_waits_for_a_slot():
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 4000, 4000, 16, 6, 0, 0, 0)   # 16 MP of 16-bit RGBA
    body = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))  # never read

    class NoSlot:
        def run(self, work, client=None):
            raise AssertionError("the photo waited for an analysis slot")

    analyzer = FakeAnalyzer([SMILING])
    with pytest.raises(PayloadTooLarge, match="once decoded"):
        analyze_photo(body, "image/png", analyzer, gate=NoSlot())  # type: ignore[arg-type]
    assert analyzer.seen == []
