"""The take-home page: what a visitor's phone shows for one garden image (the share link the
kiosk's QR code holds, and the original's ``GET /image?content=KEY``).

Only published garden images and visitors' grown flowers (``/share/grown/{job}``: the job
names its image) are shared, and only while the image index holds them: pool
images (awaiting review), text-to-image results, debug photos and keys outside the layout are
not found. The page's data — the image, its emotion, its favorite in words, the day it was
made, the credit and licence line of the model that made it (chalicelib/rules/credits.py), its
addresses on the site's public URL — is built here (the page speaks to a visitor: the prompt,
a model's craft words, is not shown); chalicelib/web/share_page.py writes it as HTML and the QR
code as SVG.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .catalog import ImageIndex, ImageRecord, JobStore
from .config import CreditLine
from .errors import ImageNotFound, InvalidKey
from .rules import share as rules
from .rules.credits import Credit, credit_for
from .rules.layout import GARDEN, GROWN, SIZES, parse_key

SHARED = (GARDEN, GROWN)   # a garden image, or a visitor's grown flower

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SharePage:
    """Everything the take-home page shows, in one language."""
    language: str                  # en | ko
    key: str
    emotion: str                   # upper case
    emotion_name: str              # in the page's language
    favorite: str | None           # as catalogued (spring,cloudy,day)
    favorite_text: str | None      # in words, in the page's language (봄 · 흐림 · 낮)
    made: str                      # the day it was made, as the page's language writes it
    created_at: str                # ISO 8601 (UTC)
    credit: Credit | None
    page_url: str                  # the canonical take-home URL
    image_url: str
    qr_url: str
    other_language: str            # the language the page's switch leads to
    other_url: str                 # the page in that language
    width: int
    height: int
    download_name: str
    words: dict[str, str]          # the page's own words in its language
    grown: bool = False            # a visitor's own flower (POST /grow), not a garden image


def find(index: ImageIndex, keys: Sequence[str]) -> ImageRecord:
    """The first of ``keys`` the image index holds as a garden image (or a grown flower);
    ImageNotFound else."""
    for key in keys:
        try:
            parse_key(key, SHARED)
        except InvalidKey:
            continue
        record = index.get_image(key)
        if record is not None and record.area in SHARED:
            return record
    raise ImageNotFound("no such flower in the garden")


def grown_keys(jobs: JobStore, job_id: str) -> list[str]:
    """The image of a visitor's grown flower's job (``/share/grown/{job}``): its key when the
    job made it and the moderation did not hold it; none else (the page is not found)."""
    job = jobs.get_job(job_id) if len(job_id) <= 64 else None
    if job is None:
        return []
    return [str(image["key"]) for image in job.get("images") or []
            if image.get("key") and not image.get("held")
            and str(image["key"]).startswith(f"{GROWN}/")]


def page_url(public_url: str, key: str) -> str:
    """The take-home page's absolute URL on the site's public URL."""
    return f"{public_url.rstrip('/')}{rules.share_path(key)}"


def qr_target(index: ImageIndex, keys: Sequence[str], public_url: str) -> str:
    """What the QR code of a garden image holds: its take-home page's absolute URL."""
    return page_url(public_url, find(index, keys).key)


def share_page(index: ImageIndex, url: Callable[[str], str], keys: Sequence[str], *,
               public_url: str, credits: Sequence[CreditLine], language: str) -> SharePage:
    """The take-home page of the first of ``keys`` that is a garden image, in ``language``."""
    record = find(index, keys)
    image = parse_key(record.key, SHARED)
    grown = image.area == GROWN
    provenance = record.provenance or {}
    emotion = record.emotion or image.emotion or ""
    name = rules.emotion_name(language, emotion)
    default_width, default_height = SIZES[image.orientation or "landscape"]
    width, height = (_dimension(provenance.get("width"), default_width),
                     _dimension(provenance.get("height"), default_height))
    canonical = page_url(public_url, record.key)
    other = "en" if language == "ko" else "ko"
    words = {k: rules.text(language, k, emotion=name) for k in rules.TEXT[rules.DEFAULT_LANGUAGE]}
    if grown:   # the page says whom it was grown for
        words["heading"] = words["grown"]
    stem = _UNSAFE_NAME.sub("-", f"{emotion.lower()}-{image.name}").strip("-.") or "flower"
    return SharePage(
        language=language, key=record.key, emotion=emotion, emotion_name=name,
        favorite=record.favorite, favorite_text=rules.favorite_text(language, record.favorite),
        made=rules.date_text(language, record.created_at), created_at=record.created_at,
        credit=credit_for(provenance, credits, language),
        page_url=canonical, image_url=url(record.key), qr_url=f"{canonical}/{rules.QR_NAME}",
        other_language=other, other_url=f"{canonical}?lang={other}",
        width=width, height=height, download_name=f"emotion-garden-{stem[:120]}.jpeg", words=words,
        grown=grown)


def _dimension(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 10000 else default
