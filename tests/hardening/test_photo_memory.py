"""Memory per photo: pixel caps by what a decode costs, and a bound on analyses at once.
(The peak RSS of 8 worst-case uploads at once is measured in ``bench/faces_memory.py``.)"""
from __future__ import annotations

import io
import struct
import threading
import zlib

import pytest
from PIL import Image

from chalicelib.errors import PayloadTooLarge
from chalicelib.faces import AgeRange, BoundingBox, Face
from chalicelib.faces.images import (
    ANALYSIS_MAX_SIDE,
    MAX_FULL_DECODE_PIXELS,
    MAX_PIXELS,
    prepare_image,
)
from chalicelib.faces.service import AnalysesBusy, Gate, analyze_photo
from chalicelib.web.edge import handled


def _png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height (its pixels never come): only the cap is tested."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _jpeg(width: int, height: int, progressive: bool) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 128).save(out, "JPEG", quality=50, progressive=progressive)
    return out.getvalue()


def test_a_png_over_the_full_decode_cap_is_refused_from_its_header():
    # 6320×6320 is under the 40 MP cap that still holds for baseline JPEGs, but a PNG that
    # size would be decoded whole: 120 MB of pixels from 155 KB of body
    with pytest.raises(PayloadTooLarge, match="limit for a PNG is 16 megapixels"):
        prepare_image(_png_header_claiming(6320, 6320), "image/png")


def test_a_progressive_jpeg_is_held_to_the_full_decode_cap_and_a_baseline_one_is_not():
    side = int((MAX_FULL_DECODE_PIXELS * 1.1) ** 0.5)   # just over 16 MP, well under 40 MP
    assert side * side < MAX_PIXELS
    with pytest.raises(PayloadTooLarge, match="progressive JPEG is 16 megapixels"):
        prepare_image(_jpeg(side, side, progressive=True), "image/jpeg")
    image = prepare_image(_jpeg(side, side, progressive=False), "image/jpeg")
    assert (image.width, image.height) == (side, side)
    assert max(image.picture.size) <= ANALYSIS_MAX_SIDE and image.picture.mode == "RGB"


def test_a_large_png_under_the_cap_is_reduced_and_turned_upright():
    picture = Image.new("RGBA", (3000, 1000), (255, 0, 0, 0))
    picture.paste((0, 0, 255, 255), (0, 0, 1500, 1000))     # left half opaque blue
    exif = Image.Exif()
    exif[0x0112] = 6                                        # stored on its side
    out = io.BytesIO()
    picture.save(out, "PNG", exif=exif)
    image = prepare_image(out.getvalue(), "image/png")
    assert (image.width, image.height) == (1000, 3000)      # the photo as seen, upright
    assert image.picture.size == (320, 960) and image.picture.mode == "RGB"
    # rotated a quarter turn clockwise: the left half is now the top; transparency is white
    assert image.picture.getpixel((160, 100)) == (0, 0, 255)
    assert image.picture.getpixel((160, 860)) == (255, 255, 255)


class _HeldAnalyzer:
    """Answers one face once released; records the threads it ran on."""
    name = "held"

    def __init__(self) -> None:
        self.release, self.entered = threading.Event(), threading.Event()
        self.threads: set[str] = set()

    def analyze(self, image):
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        assert self.release.wait(10)
        emotions = {"HAPPY": 90.0, "SAD": 1.0, "ANGRY": 1.0, "CONFUSED": 1.0, "DISGUSTED": 1.0,
                    "SURPRISED": 1.0, "CALM": 4.0, "FEAR": 1.0}
        return [Face(BoundingBox(0.1, 0.1, 0.5, 0.5), emotions, AgeRange(20, 30))]


def _photo() -> bytes:
    return _jpeg(64, 48, progressive=False)


def test_a_photo_finding_every_slot_taken_waits_then_is_busy_with_retry_after():
    analyzer, gate = _HeldAnalyzer(), Gate(1, 0.2)
    first: dict = {}
    holder = threading.Thread(target=lambda: first.update(
        analyze_photo(_photo(), "image/jpeg", analyzer, gate=gate)))
    holder.start()
    assert analyzer.entered.wait(10)
    with pytest.raises(AnalysesBusy) as busy:
        analyze_photo(_photo(), "image/jpeg", analyzer, gate=gate)
    analyzer.release.set()
    holder.join(10)
    assert first["emotions"] == "HAPPY"                     # the one inside finished
    assert analyze_photo(_photo(), "image/jpeg", analyzer, gate=gate)["emotions"] == "HAPPY"
    response = handled(lambda: (_ for _ in ()).throw(busy.value))()
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert "try again" in response.body["message"]


def test_analyses_run_on_the_gates_own_few_threads():
    # the C allocator keeps an arena per thread that decoded a large picture: decoding on the
    # requests' own threads would let every one of them keep a frame's worth of memory
    analyzer, gate = _HeldAnalyzer(), Gate(2, 10, waiters=12)
    analyzer.release.set()
    callers = [threading.Thread(target=analyze_photo, args=(_photo(), "image/jpeg", analyzer),
                                kwargs={"gate": gate}) for _ in range(12)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(10)
    assert 1 <= len(analyzer.threads) <= 2
    assert all(name.startswith("analysis") for name in analyzer.threads)


def test_an_oversize_or_foreign_body_is_refused_without_waiting_for_a_slot():
    analyzer, gate = _HeldAnalyzer(), Gate(1, 30)
    holder = threading.Thread(target=analyze_photo, args=(_photo(), "image/jpeg", analyzer),
                              kwargs={"gate": gate})
    holder.start()
    assert analyzer.entered.wait(10)                        # the one slot is taken
    from chalicelib.errors import UnsupportedMediaType
    with pytest.raises(PayloadTooLarge):                    # at once, not after 30 s
        analyze_photo(b"\xff\xd8\xff" + b"\0" * 6_000_000, "image/jpeg", analyzer, gate=gate)
    with pytest.raises(UnsupportedMediaType):
        analyze_photo(b"GIF89a....", "application/octet-stream", analyzer, gate=gate)
    analyzer.release.set()
    holder.join(10)
