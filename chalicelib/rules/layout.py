"""Object keys: the store's layout (docs/architecture.md) parsed and built in one place.

- garden (served):       emotions/{EMOTION}/[{favorite}/]{name}{h|v}.jpeg
- pool (under review):   pool/{EMOTION}/[{favorite}/]{name}{h|v}.jpeg
- text-to-image results: text2image/{job id}/{n}.jpeg
- grown for a visitor:   grown/{EMOTION}/[{favorite}/]{job id}{h|v}.jpeg — a visitor's own
                         flower (POST /grow): garden-shaped, so its page and a later publish
                         read it as a garden image's, but never in the garden's queries; kept
                         for a set time (infra/template.yaml's lifecycle rule)
- held (private):        held/text2image/{job id}/{n}.jpeg — a text-to-image result the
                         moderation flagged or could not check. Outside the image areas:
                         never indexed, never served by the local server, denied to CloudFront
                         (infra/template.yaml); the operator opens it through a presigned link.

Backups made by the original system may spell the emotion in lower case; such keys parse,
keep their spelling in the store, and are catalogued under the upper-case emotion (and the
favorite, the optional third segment, in its catalogued spelling: lower case, see
chalicelib/rules/favorites.py). The original's pool prefix was ``imgPool/``: ``from_original``
maps such a key to ours (``pool/``), for restores and object events.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidKey
from .emotions import EMOTIONS
from .favorites import normalize as normalize_favorite

GARDEN = "emotions"
POOL = "pool"
ORIGINAL_POOL = "imgPool"      # the original system's pool prefix (its backups use it)
TEXT2IMAGE = "text2image"
GROWN = "grown"                # a visitor's own flower (jobs/grow.py)
HELD = "held"                  # private: images the moderation held (not an image area)
AREAS = (GARDEN, POOL, TEXT2IMAGE, GROWN)
IMAGE_PREFIXES = tuple(f"{area}/" for area in AREAS)
SUFFIX = ".jpeg"
ORIENTATIONS = {"h": "landscape", "v": "portrait"}
ORIENTATION_NAMES = ("landscape", "portrait")
SIZES = {"landscape": (1280, 800), "portrait": (800, 1280)}  # the original's …h / …v images
MAX_KEY_BYTES = 1024

MAX_SEGMENT_BYTES = 255     # a file name on every common filesystem (the folder store)

_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\\ud800-\udfff]")


@dataclass(frozen=True)
class ImageKey:
    """What a key says about its image."""

    key: str
    area: str                     # emotions | pool | text2image | grown
    emotion: str | None           # upper case; None for text2image
    favorite: str | None          # e.g. "rose"; None when absent
    name: str                     # file name without the orientation letter and suffix
    orientation: str | None       # landscape | portrait; None for text2image
    job_id: str | None = None     # text2image only

    def moved_to(self, area: str) -> str:
        """The same image's key in another area (pool → garden on publish)."""
        if self.area == TEXT2IMAGE or area == TEXT2IMAGE:
            raise InvalidKey(f"{self.key!r}: only garden and pool images move between areas")
        return self.key.replace(f"{self.area}/", f"{area}/", 1)


def check_safe(key: object) -> str:
    """Reject keys that could escape the layout or the data directory, whatever the area."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("a key must be a non-empty string")
    if key.startswith("/") or _FORBIDDEN.search(key):
        raise InvalidKey(f"{_shown(key)}: keys are relative and hold no control characters, "
                         f"backslashes or lone surrogates")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(f"key longer than {MAX_KEY_BYTES} bytes")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidKey(f"{_shown(key)}: empty, '.' or '..' path segments are not allowed")
    if any(len(part.encode("utf-8")) > MAX_SEGMENT_BYTES for part in parts):
        raise InvalidKey(f"{_shown(key)}: a name between slashes is longer than "
                         f"{MAX_SEGMENT_BYTES} bytes")
    return key


def _shown(key: str, limit: int = 80) -> str:
    """A key quoted back in a message, cut short: a client's own 1 KB key need not return."""
    return repr(key) if len(key) <= limit else repr(key[:limit - 1] + "…")


def parse_key(key: object, areas: tuple[str, ...] = AREAS) -> ImageKey:
    """Parse an image key or raise InvalidKey saying what is wrong with it."""
    key = check_safe(key)
    parts = key.split("/")
    area = parts[0]
    if area not in areas:
        raise InvalidKey(f"{_shown(key)}: expected a key under {', '.join(a + '/' for a in areas)}")
    if not key.endswith(SUFFIX):
        raise InvalidKey(f"{_shown(key)}: image keys end in {SUFFIX}")
    if area == TEXT2IMAGE:
        if len(parts) != 3:
            raise InvalidKey(f"{_shown(key)}: expected text2image/{{job id}}/{{n}}{SUFFIX}")
        return ImageKey(key, area, None, None, parts[2][: -len(SUFFIX)], None, parts[1])
    if len(parts) not in (3, 4):
        raise InvalidKey(f"{_shown(key)}: expected "
                         f"{area}/{{EMOTION}}/[{{favorite}}/]{{name}}{{h|v}}{SUFFIX}")
    emotion = parts[1].upper()
    if emotion not in EMOTIONS:
        raise InvalidKey(f"{_shown(key)}: {parts[1]!r} is not one of {', '.join(EMOTIONS)}")
    stem = parts[-1][: -len(SUFFIX)]
    if len(stem) < 2 or stem[-1] not in ORIENTATIONS:
        raise InvalidKey(f"{_shown(key)}: the file name must end in h (landscape) or v "
                         f"(portrait) before {SUFFIX}")
    favorite = normalize_favorite(parts[2]) if len(parts) == 4 else None
    return ImageKey(key, area, emotion, favorite, stem[:-1], ORIENTATIONS[stem[-1]])


def from_original(key: str) -> str:
    """The original system's pool key (``imgPool/happy/…``) as ours (``pool/happy/…``);
    any other key unchanged."""
    prefix = f"{ORIGINAL_POOL}/"
    return f"{POOL}/{key[len(prefix):]}" if key.startswith(prefix) else key


def emotion_spellings(key: str) -> list[str]:
    """The spellings an image key may be indexed under, as given first: its emotion segment as
    written, in upper case (ours) and in lower case (the original system's ``emotions/happy/…``)."""
    parts = key.split("/")
    if len(parts) < 2:
        return [key]
    return list(dict.fromkeys("/".join([parts[0], emotion, *parts[2:]])
                              for emotion in (parts[1], parts[1].upper(), parts[1].lower())))


def garden_key(area: str, emotion: str, name: str, orientation: str, favorite: str | None = None) -> str:
    """Build a garden or pool key; the result always parses."""
    letter = {v: k for k, v in ORIENTATIONS.items()}[orientation]
    middle = f"{favorite}/" if favorite else ""
    return parse_key(f"{area}/{emotion}/{middle}{name}{letter}{SUFFIX}").key


def grown_key(job_id: str, emotion: str, orientation: str, favorite: str | None = None) -> str:
    """Where a visitor's grown flower is stored: the garden's shape under ``grown/``, named
    after its job (one image per job)."""
    return garden_key(GROWN, emotion, job_id, orientation, favorite)


def text2image_key(job_id: str, n: int) -> str:
    return parse_key(f"{TEXT2IMAGE}/{job_id}/{n}{SUFFIX}").key


def held_key(key: str) -> str:
    """Where an image the moderation held is kept: under ``held/``, outside every public
    prefix (``held/text2image/{job id}/{n}.jpeg``)."""
    return check_safe(f"{HELD}/{parse_key(key).key}")


def parse_held(key: object) -> ImageKey:
    """A held image's key (``held/`` + an image key), or InvalidKey."""
    key = check_safe(key)
    if not key.startswith(f"{HELD}/"):
        raise InvalidKey(f"{_shown(key)}: expected a key under {HELD}/")
    return parse_key(key[len(HELD) + 1:])
