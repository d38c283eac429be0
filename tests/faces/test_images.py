"""The photo gate: what the analyzers may see, and the errors a client gets otherwise."""
from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from chalicelib.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from chalicelib.faces.images import ANALYSIS_MAX_SIDE, MAX_BYTES, prepare_image

from .conftest import jpeg, png


def _marked(size=(200, 100)) -> Image.Image:
    """A landscape picture whose left half is red: where red ends up tells the rotation."""
    picture = Image.new("RGB", size, (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return picture


def test_jpeg_is_decoded_to_rgb_and_keeps_its_bytes():
    body = jpeg(_marked())
    image = prepare_image(body, "image/jpeg")
    assert image.media_type == "image/jpeg"
    assert (image.width, image.height) == (200, 100)
    assert image.picture.mode == "RGB" and image.picture.size == (200, 100)
    assert image.data is body  # Rekognition gets exactly what the kiosk sent


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    image = prepare_image(jpeg(_marked(), exif=exif.tobytes()), "image/jpeg")
    assert (image.width, image.height) == (100, 200)
    assert image.picture.size == (100, 200)
    red_top: Any = image.picture.getpixel((50, 20))
    assert red_top[0] > 200 and red_top[2] < 60  # the red left half is now on top


def test_png_with_transparency_is_flattened_on_white():
    picture = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    picture.paste((0, 128, 0, 255), (0, 0, 20, 30))
    image = prepare_image(png(picture), "image/png")
    assert image.media_type == "image/png"
    assert image.picture.mode == "RGB"
    assert image.picture.getpixel((30, 10)) == (255, 255, 255)
    assert image.picture.getpixel((5, 10)) == (0, 128, 0)


def test_sixteen_bit_png_is_scaled_not_clipped():
    picture = Image.new("I;16", (20, 20), 32768)
    image = prepare_image(png(picture), "image/png")
    assert 120 <= image.picture.getpixel((0, 0))[0] <= 136  # type: ignore[index]


@pytest.mark.parametrize("content_type", [
    "application/octet-stream", None, "", "image/jpeg; charset=binary", "IMAGE/JPEG",
    "image/png",  # mislabelled: the bytes decide
])
def test_type_is_sniffed_from_the_bytes(content_type):
    image = prepare_image(jpeg(_marked()), content_type)
    assert image.media_type == "image/jpeg"


def test_octet_stream_png_is_sniffed():
    assert prepare_image(png(_marked()), "application/octet-stream").media_type == "image/png"


@pytest.mark.parametrize("content_type", ["image/gif", "text/plain", "image/webp",
                                          "multipart/form-data; boundary=x"])
def test_other_declared_types_are_415(content_type):
    with pytest.raises(UnsupportedMediaType):
        prepare_image(jpeg(_marked()), content_type)


def test_octet_stream_that_is_not_jpeg_or_png_is_415():
    buffer = io.BytesIO()
    _marked().save(buffer, "GIF")
    with pytest.raises(UnsupportedMediaType):
        prepare_image(buffer.getvalue(), "application/octet-stream")


def test_declared_jpeg_that_is_not_an_image_is_400():
    with pytest.raises(InvalidRequest, match="not a valid image/jpeg"):
        prepare_image(b"hello, this is text", "image/jpeg")


def test_truncated_jpeg_is_400():
    body = jpeg(_marked((640, 480)))
    with pytest.raises(InvalidRequest, match="could not be decoded"):
        prepare_image(body[: len(body) // 2], "image/jpeg")


def test_garbage_after_a_png_signature_is_400():
    with pytest.raises(InvalidRequest):
        prepare_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image/png")


def test_empty_body_is_400():
    with pytest.raises(InvalidRequest, match="empty"):
        prepare_image(b"", "image/jpeg")


def test_more_than_five_megabytes_is_413():
    body = jpeg(_marked()) + b"\x00" * MAX_BYTES
    with pytest.raises(PayloadTooLarge, match="5 MB"):
        prepare_image(body, "image/jpeg")


def test_decompression_bomb_is_refused_from_its_header():
    # 8000 x 6000 of one colour: a few kilobytes of PNG, 48 megapixels decoded.
    body = png(Image.new("L", (8000, 6000), 0))
    assert len(body) < 100_000
    with pytest.raises(PayloadTooLarge, match="megapixels"):
        prepare_image(body, "image/png")


def test_bomb_beyond_pillows_own_limit_is_413_not_400():
    # A PNG header claiming 30000 x 30000 (900 MP); Pillow itself refuses it at open.
    import struct
    import zlib
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    body = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
    with pytest.raises(PayloadTooLarge):
        prepare_image(body, "image/png")


def test_large_photo_is_downscaled_for_analysis():
    image = prepare_image(jpeg(_marked((4000, 3000)), quality=70), "image/jpeg")
    assert (image.width, image.height) == (4000, 3000)
    assert max(image.picture.size) == ANALYSIS_MAX_SIDE
    assert image.picture.size[0] / image.picture.size[1] == pytest.approx(4 / 3, rel=0.01)


def test_repr_never_shows_the_bytes():
    image = prepare_image(jpeg(_marked()), "image/jpeg")
    assert "\\x" not in repr(image) and "bytes" in repr(image)


def _png(width: int, height: int, depth: int, color_type: int, channels: int) -> bytes:
    """A blank PNG written by hand (Pillow writes no 16-bit colour): its rows compress to
    almost nothing whatever they decode to."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" * (1 + width * channels * depth // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))


def test_a_sixteen_bit_png_too_large_to_decode_is_refused_from_its_header(monkeypatch):
    # the photo: 16 MP of 16-bit RGBA in 124 KB — 128 MB once inflated, seconds of CPU
    body = _png(4000, 4000, 16, 6, 4)
    assert len(body) < 130_000
    from chalicelib.faces import images
    from PIL import ImageFile
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self))
    with pytest.raises(PayloadTooLarge, match="128 MB once decoded"):
        images.check_header(body)
    with pytest.raises(PayloadTooLarge, match="the limit is 48 MB"):
        prepare_image(body, "image/png")
    assert loads == []     # refused from the header: not one pixel decoded


@pytest.mark.parametrize("depth, color_type, channels, megabytes", [
    (16, 2, 3, 96), (16, 4, 2, 64), (8, 6, 4, 64)])
def test_decoded_size_counts_channels_and_bit_depth(depth, color_type, channels, megabytes):
    with pytest.raises(PayloadTooLarge, match=f"{megabytes} MB once decoded"):
        prepare_image(_png(4000, 4000, depth, color_type, channels), "image/png")


@pytest.mark.parametrize("depth, color_type, channels", [(8, 2, 3), (16, 0, 1), (8, 6, 4)])
def test_pngs_within_the_decoded_size_are_read(depth, color_type, channels):
    # 16 MP of 8-bit RGB (48 MB), of 16-bit grey (32 MB); 12 MP of RGBA (48 MB)
    width, height = (4000, 3000) if channels == 4 else (4000, 4000)
    image = prepare_image(_png(width, height, depth, color_type, channels), "image/png")
    assert (image.width, image.height) == (width, height)
    assert max(image.picture.size) == ANALYSIS_MAX_SIDE
