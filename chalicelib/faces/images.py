"""A visitor's photo, checked and decoded once, before any analyzer sees it.

Limits: 5 MB of body (Rekognition's Image.Bytes limit, applied to both analyzers so they
answer alike), 40 megapixels decoded (a decompression bomb is refused from its header, before
any pixel is decoded), JPEG or PNG only (sniffed from the bytes, not trusted from the header).
The picture analyzers look at is orientation-corrected (phone photos carry their rotation in
EXIF) and at most ``ANALYSIS_MAX_SIDE`` pixels on its long side: faces at kiosk distance need
far less, and decoding a 12 MP photo at full size would cost more than the analysis itself.
Only Pillow is needed here, so this module also runs inside Lambda.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from ..errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
ANALYSIS_MAX_SIDE = 960

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
    return PreparedImage(body, media_type, *_decode(body))


def _decode(body: bytes) -> tuple[int, int, Image.Image]:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; refuse those as well.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as im:
                width, height = im.size
                if width * height > MAX_PIXELS:
                    raise PayloadTooLarge(
                        f"photo is {width}x{height} ({width * height / 1e6:.0f} megapixels); "
                        f"the limit is {MAX_PIXELS // 1_000_000} megapixels")
                # JPEG can decode at 1/2, 1/4, 1/8 scale directly: much cheaper than
                # decoding everything and throwing most of it away.
                scale = max(width, height) / ANALYSIS_MAX_SIDE
                if scale > 1:
                    im.draft("RGB", (int(width / scale), int(height / scale)))
                im.load()
                picture = ImageOps.exif_transpose(im) or im
                if picture.size != im.size and picture.size == (im.size[1], im.size[0]):
                    width, height = height, width
                picture = _rgb(picture)
    except (PayloadTooLarge, InvalidRequest):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge(f"photo has too many pixels; the limit is "
                              f"{MAX_PIXELS // 1_000_000} megapixels") from None
    except Exception:
        # Corrupt, truncated or hostile input: the client gets a message, never a trace.
        raise InvalidRequest("photo could not be decoded (corrupt or truncated image)") from None
    picture.thumbnail((ANALYSIS_MAX_SIDE, ANALYSIS_MAX_SIDE), Image.Resampling.BILINEAR,
                      reducing_gap=2.0)
    return width, height, picture


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
