"""A visitor's photo, checked and decoded once, before any analyzer sees it.

Limits: 5 MB of body (Rekognition's Image.Bytes limit, applied to both analyzers so they
answer alike), JPEG or PNG only (sniffed from the bytes, not trusted from the header), and a
pixel cap read from the header, before any pixel is decoded (a decompression bomb costs
nothing). The cap depends on what a decode costs in memory:

- a baseline JPEG is decoded straight to the analysis size (libjpeg scales by 1/2, 1/4 or
  1/8 while decoding, ``draft``): 40 megapixels cost a few MB, so the cap is 40 MP;
- a PNG cannot be decoded reduced, and a progressive JPEG keeps every coefficient of the full
  frame while it decodes: either costs 3–5 bytes per pixel at full size (a 40 MP PNG of 155 KB
  would take 0.5 GB), so their cap is ``MAX_FULL_DECODE_PIXELS`` (16 MP: a 16 MP phone
  photo, or a 4K frame twice over);
- a PNG's samples are also capped by what they decode to (``MAX_DECODED_BYTES``: pixels ×
  channels × bit depth, from the header): a 16 MP PNG of 16-bit RGBA compresses a blank frame
  to 124 KB yet inflates 128 MB and costs seconds of CPU before it can say "no face".

The full frame is dropped as soon as it is reduced: the picture analyzers look at is
at most ``ANALYSIS_MAX_SIDE`` pixels on its long side (faces at kiosk distance need far less),
RGB, and orientation-corrected after the reduction (phone photos carry their rotation in
EXIF). How many photos are decoded at once is bounded by the service (``service.Gate``).
Only Pillow is needed here, so this module also runs inside Lambda.
"""
from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from ..errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000              # decoded reduced (baseline JPEG)
MAX_FULL_DECODE_PIXELS = 16_000_000  # decoded at full size (PNG, progressive JPEG)
MAX_DECODED_BYTES = 48_000_000       # a PNG's samples: 16 MP of 8-bit RGB
ANALYSIS_MAX_SIDE = 960
# EXIF orientation → the transpose that makes the picture upright (as ImageOps.exif_transpose)
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
            4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
            6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}
_RESIZABLE = {"RGB", "RGBA", "L", "LA", "I", "F", "CMYK"}  # resized with interpolation as they are

JPEG, PNG = "image/jpeg", "image/png"
_SIGNATURES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
# What a client may declare: JPEG and PNG by name, or "some bytes" (then the bytes decide).
_DECLARED = {"image/jpeg": JPEG, "image/jpg": JPEG, "image/pjpeg": JPEG, "image/png": PNG,
             "application/octet-stream": None, "": None}


@dataclass(frozen=True)
class PreparedImage:
    data: bytes              # the body as received (Rekognition's Image.Bytes); never stored
    media_type: str          # sniffed: image/jpeg | image/png
    width: int               # of the photo, after EXIF orientation
    height: int
    picture: Image.Image     # RGB, upright, long side <= ANALYSIS_MAX_SIDE

    def __repr__(self) -> str:  # keep photo bytes out of tracebacks and logs
        return (f"PreparedImage({self.media_type}, {self.width}x{self.height}, "
                f"{len(self.data)} bytes)")


def sniff(data: bytes) -> str | None:
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


def _declared(content_type: str | None) -> str | None:
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base not in _DECLARED:
        raise UnsupportedMediaType(
            f"unsupported content type {base!r}: send image/jpeg or image/png")
    return base


def prepare_image(body: bytes | None, content_type: str | None = None) -> PreparedImage:
    """Check and decode a photo. Raises UnsupportedMediaType (415), PayloadTooLarge (413) or
    InvalidRequest (400) with a message a client can act on."""
    media_type = check_upload(body, content_type)
    assert body is not None  # checked
    return PreparedImage(body, media_type, *_decode(body))


def check_upload(body: bytes | None, content_type: str | None = None) -> str:
    """The checks that cost nothing — declared type, size, signature — without decoding:
    the sniffed media type, or the error prepare_image would raise."""
    declared = _declared(content_type)
    if not body:
        raise InvalidRequest("empty body: send the photo's bytes (JPEG or PNG)")
    if len(body) > MAX_BYTES:
        raise PayloadTooLarge(f"photo is {len(body) / 1e6:.1f} MB; the limit is 5 MB")
    media_type = sniff(body)
    if media_type is None:
        if declared in ("", "application/octet-stream"):
            raise UnsupportedMediaType("body is neither JPEG nor PNG")
        raise InvalidRequest(f"body is not a valid {declared} image")
    return media_type


def check_header(body: bytes) -> None:
    """PayloadTooLarge for a picture with more pixels, or more decoded bytes, than its format
    may have, and InvalidRequest for one whose header cannot be read — from the header alone
    (Pillow reads no pixel until asked), so such a photo costs no decode and no wait."""
    with _opened(body) as im:
        _check_pixels(im, *im.size)


@contextlib.contextmanager
def _opened(body: bytes) -> Iterator[Image.Image]:
    """The picture, opened lazily; Pillow's own errors as PayloadTooLarge or InvalidRequest."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; refuse those as well.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as im:
                yield im
    except (PayloadTooLarge, InvalidRequest):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge(f"photo has too many pixels; the limit is "
                              f"{MAX_PIXELS // 1_000_000} megapixels") from None
    except Exception:
        # Corrupt, truncated or hostile input: the client gets a message, never a trace.
        raise InvalidRequest("photo could not be decoded (corrupt or truncated image)") from None


def _decode(body: bytes) -> tuple[int, int, Image.Image]:
    with _opened(body) as im:
        width, height = im.size
        _check_pixels(im, width, height)
        orientation = _orientation(im)
        scale = max(width, height) / ANALYSIS_MAX_SIDE
        if scale > 1:  # JPEG: decode at 1/2, 1/4 or 1/8 scale directly
            im.draft("RGB", (int(width / scale), int(height / scale)))
        im.load()
        picture = _reduced(im)    # the full frame is freed when ``im`` closes
    if orientation in _UPRIGHT:
        picture = picture.transpose(_UPRIGHT[orientation])
        if orientation >= 5:  # a quarter turn: the photo's sides swap
            width, height = height, width
    return width, height, picture


def _check_pixels(im: Image.Image, width: int, height: int) -> None:
    """PayloadTooLarge, from the header alone, for more pixels than this format may have, or
    (a PNG) more decoded bytes."""
    reduced = im.format == "JPEG" and not im.info.get("progressive")
    limit = MAX_PIXELS if reduced else MAX_FULL_DECODE_PIXELS
    if width * height <= limit:
        if im.format == "PNG":
            _check_decoded_size(im, width, height)
        return
    kind = ("a baseline JPEG" if reduced
            else "a progressive JPEG" if im.format == "JPEG" else f"a {im.format}")
    hint = "" if reduced else "; send a (baseline) JPEG or a smaller picture"
    raise PayloadTooLarge(
        f"photo is {width}x{height} ({width * height / 1e6:.0f} megapixels); the limit for "
        f"{kind} is {limit // 1_000_000} megapixels{hint}")


def sample_layout(im: Image.Image) -> tuple[int, int]:
    """(channels, bits per sample) of a lazily opened PNG, from its header: the raw mode
    Pillow will decode with (``RGBA;16B``: 4 channels of 16 bits; ``P;4``: 1 of 4)."""
    tiles = getattr(im, "tile", None) or ()   # an ImageFile opened lazily: what it will decode
    raw = next((t.args for t in tiles if isinstance(t.args, str)), None) or im.mode
    base, _, depth = raw.partition(";")
    digits = "".join(c for c in depth if c.isdigit())
    bits = int(digits) if digits else (1 if base == "1" else 8)
    return max(1, len(base)), bits


def _check_decoded_size(im: Image.Image, width: int, height: int) -> None:
    channels, bits = sample_layout(im)
    decoded = width * height * channels * -(-bits // 8)
    if decoded <= MAX_DECODED_BYTES:
        return
    raise PayloadTooLarge(
        f"photo is a {width}x{height} PNG of {channels} channel{'s' if channels > 1 else ''} "
        f"at {bits} bits: {decoded / 1e6:.0f} MB once decoded; the limit is "
        f"{MAX_DECODED_BYTES // 1_000_000} MB (16 megapixels of 8-bit RGB); send a JPEG or a "
        f"smaller picture")


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112) or 1)
    except Exception:  # noqa: BLE001 — a broken EXIF block: the picture as it is stored
        return 1


def _reduced(im: Image.Image) -> Image.Image:
    """RGB, at most ANALYSIS_MAX_SIDE on its long side: reduced first where the mode allows
    (so conversions work on the small picture), converted first where it does not."""
    picture = im if im.mode in _RESIZABLE else _rgb(im)
    if max(picture.size) > ANALYSIS_MAX_SIDE:
        ratio = ANALYSIS_MAX_SIDE / max(picture.size)
        size = (max(1, round(picture.width * ratio)), max(1, round(picture.height * ratio)))
        picture = picture.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return _rgb(picture)


def _rgb(picture: Image.Image) -> Image.Image:
    if picture.mode == "RGB":
        return picture
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and
                                                 "transparency" in picture.info):
        # A transparent PNG: put it on white, as a browser would show it.
        rgba = picture.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if picture.mode.startswith("I;16") or picture.mode == "I":
        # 16-bit greyscale: scale to 8 bits instead of clipping everything to white.
        picture = picture.point(lambda v: v / 256).convert("L")
    return picture.convert("RGB")
