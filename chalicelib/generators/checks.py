"""Checks shared by every adapter: what an endpoint hands back is a decodable JPEG of exactly
the requested size, or BadImage — so the workflow never stores garbage."""
from __future__ import annotations

import base64
import binascii
import io
import json
import warnings

from PIL import Image, UnidentifiedImageError

from ..errors import BadImage, InvalidRequest

JPEG_QUALITY = 88
MAX_SIDE = 4096                  # no endpoint we speak to makes larger images; stops bombs early
MAX_ENCODED_BYTES = 32 << 20     # a hostile endpoint cannot make us buffer more than this


def check_request_size(width: object, height: object, *, low: int = 8, high: int = MAX_SIDE,
                       multiple: int = 8) -> None:
    """Stable Diffusion works in 8-pixel latents: sizes are positive multiples of 8."""
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequest(f"{name} must be an integer, not {value!r}")
        if not low <= value <= high or value % multiple:
            raise InvalidRequest(f"{name}={value} must be a multiple of {multiple} "
                                 f"between {low} and {high}")


def _open(data: bytes, source: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise BadImage(f"{source} answered with bytes that are not an image ({exc})") from None
    if max(image.size) > MAX_SIDE:
        raise BadImage(f"{source} answered with a {image.width}x{image.height} image, "
                       f"larger than any we accept")
    return image


def open_image(data: bytes, *, source: str) -> Image.Image:
    """An image of any size up to MAX_SIDE a side (not yet decoded), or BadImage: for adapters
    whose model answers its own native size."""
    return _open(data, source)


def _require_size(image: Image.Image, width: int, height: int, source: str) -> None:
    if image.size != (width, height):
        raise BadImage(f"{source} answered with a {image.width}x{image.height} image, "
                       f"not the requested {width}x{height}")


def ensure_jpeg(data: bytes, width: int, height: int, *, source: str) -> bytes:
    """Return ``data`` unchanged when it is a complete JPEG of width × height, else BadImage."""
    if not isinstance(data, (bytes, bytearray)) or data[:3] != b"\xff\xd8\xff":
        raise BadImage(f"{source} answered with bytes that are not a JPEG")
    image = _open(bytes(data), source)
    if image.format != "JPEG":
        raise BadImage(f"{source} answered with a {image.format} image, not a JPEG")
    _require_size(image, width, height, source)
    try:
        # Decoding at 1/8 scale still walks the whole entropy-coded stream (so a truncated or
        # corrupt file fails here) at a fraction of the cost of a full decode.
        image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage(f"{source} answered with a broken JPEG ({exc})") from None
    return bytes(data)


def to_jpeg(data: bytes, width: int, height: int, *, source: str,
            quality: int = JPEG_QUALITY) -> bytes:
    """Any decodable image (A1111 answers PNG) of width × height, re-encoded as a JPEG."""
    image = _open(data, source)
    _require_size(image, width, height, source)
    if image.format == "JPEG":
        return ensure_jpeg(data, width, height, source=source)
    try:
        image.load()
        rgb = _flatten(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage(f"{source} answered with a broken image ({exc})") from None
    return encode_jpeg(rgb, quality=quality)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white (the way a browser shows it)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def encode_jpeg(image: Image.Image, *, quality: int = JPEG_QUALITY) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=False, progressive=False)
    return buffer.getvalue()


def decode_base64_image(value: object, *, source: str) -> bytes:
    """The bytes of a base64 image field (a ``data:`` URL prefix is tolerated), or BadImage."""
    if not isinstance(value, str) or not value:
        raise BadImage(f"{source} answered without an image")
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    if len(value) > MAX_ENCODED_BYTES * 4 // 3 + 4:
        raise BadImage(f"{source} answered with an image larger than {MAX_ENCODED_BYTES} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadImage(f"{source} answered with an image that is not valid base64") from None


def first_image(payload: bytes, field: str, *, source: str) -> bytes:
    """The first base64 image of a JSON answer's ``field`` list (JumpStart's
    ``generated_images``, AUTOMATIC1111's ``images``), or BadImage saying what was wrong."""
    try:
        answer = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadImage(f"{source} answered with something that is not JSON") from None
    images = answer.get(field) if isinstance(answer, dict) else None
    if not isinstance(images, list) or not images:
        raise BadImage(f"{source} answered without {field}")
    return decode_base64_image(images[0], source=source)
