from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from chalicelib.errors import BadImage, InvalidRequest
from chalicelib.generators.checks import (
    check_request_size,
    decode_base64_image,
    encode_jpeg,
    ensure_jpeg,
    to_jpeg,
)


def _jpeg(w: int = 64, h: int = 48) -> bytes:
    return encode_jpeg(Image.new("RGB", (w, h), (10, 200, 30)))


def _png(w: int = 64, h: int = 48, mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (w, h), (10, 200, 30, 0) if mode == "RGBA" else (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_jpeg_of_the_requested_size_passes_unchanged():
    data = _jpeg()
    assert ensure_jpeg(data, 64, 48, source="e") == data


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\xff\xd8\xff" + b"\x00" * 50])
def test_garbage_is_a_bad_image(data):
    with pytest.raises(BadImage):
        ensure_jpeg(data, 64, 48, source="endpoint x")


def test_a_png_is_not_accepted_as_a_jpeg():
    with pytest.raises(BadImage, match="not a JPEG"):
        ensure_jpeg(_png(), 64, 48, source="e")


def test_the_wrong_size_is_a_bad_image_naming_both_sizes():
    with pytest.raises(BadImage, match="64x48.*64x56"):
        ensure_jpeg(_jpeg(), 64, 56, source="e")


def test_a_truncated_jpeg_is_a_bad_image():
    noisy = Image.effect_noise((256, 256), 60).convert("RGB")
    data = encode_jpeg(noisy)
    with pytest.raises(BadImage, match="broken"):
        ensure_jpeg(data[: len(data) // 2], 256, 256, source="e")


def test_png_converts_to_jpeg_over_white():
    out = to_jpeg(_png(), 64, 48, source="e")
    image = Image.open(io.BytesIO(out))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert min(image.getpixel((5, 5))) > 240  # type: ignore[arg-type]  # transparent → white, not black


def test_png_of_the_wrong_size_is_a_bad_image():
    with pytest.raises(BadImage):
        to_jpeg(_png(32, 32, "RGB"), 64, 48, source="e")


def test_base64_decoding_tolerates_data_urls_and_rejects_junk():
    raw = _jpeg()
    assert decode_base64_image(base64.b64encode(raw).decode(), source="e") == raw
    assert decode_base64_image("data:image/jpeg;base64," + base64.b64encode(raw).decode(), source="e") == raw
    for junk in (None, "", "!!!not base64!!!", 12):
        with pytest.raises(BadImage):
            decode_base64_image(junk, source="e")


@pytest.mark.parametrize("w,h", [(0, 64), (63, 64), (64, 4104), (True, 64), ("64", 64), (64.0, 64)])
def test_request_sizes_must_be_multiples_of_8(w, h):
    with pytest.raises(InvalidRequest):
        check_request_size(w, h)
