"""The take-home page (pure): its stable path, the keys it accepts, the language it speaks and
its words.

Paths. A visitor's grown flower (``grown/…``, one per job) is shared at ``/share/grown/{job
id}`` (``grown_path``). A garden image ``emotions/{EMOTION}/[{favorite}/]{name}.jpeg`` is shared at
``/share/{EMOTION}/[{favorite}/]{name}`` (its QR code at that path + ``/qr.svg``). API Gateway
and Chalice route one segment per parameter (no greedy ``{key+}`` in Chalice's router), so the
key's segments become path segments. A segment made of ``A-Z a-z 0-9 . _ , -`` is written as
it is (``demo-1h``, ``spring,cloudy,day``); any other (a space, Hangul, ``%``…) is written
``~`` + its UTF-8 in unpadded base64url, so a share path never needs percent-encoding — API
Gateway decodes path parameters, Chalice's local gateway does not, and neither matters. Each
key has exactly one path: any other spelling of it is not found.

The original's ``GET /image?content=KEY`` takes a key as its links spelled it: with or without
a leading ``/`` or ``.jpeg``, its emotion in lower case, or a whole URL of the image.

Language: ``?lang=ko|en`` first, then the ``Accept-Language`` header (its highest-weighted
Korean or English), else English.
"""
from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote, urlsplit

from ..errors import ImageNotFound, InvalidKey
from .emotions import EMOTIONS
from .layout import GARDEN, GROWN, SUFFIX, from_original, parse_key

SHARE_PREFIX = "/share"
QR_NAME = "qr.svg"
ENCODED = "~"
_PLAIN = re.compile(r"[A-Za-z0-9._,-]+")
MAX_SEGMENT = 400          # an encoded segment of a 255-byte name is 340 characters
MAX_CONTENT = 2048         # the original's ?content= (a key of 1 KB, or its URL)

LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"
MAX_ACCEPT_LANGUAGE = 1024
MAX_LANGUAGE_RANGES = 32


def _not_shareable(what: str) -> ImageNotFound:
    return ImageNotFound(f"{what}: no garden image to take home here")


# --- paths -----------------------------------------------------------------------------------
def encode_segment(segment: str) -> str:
    if _PLAIN.fullmatch(segment):
        return segment
    raw = base64.urlsafe_b64encode(segment.encode("utf-8")).decode("ascii").rstrip("=")
    return ENCODED + raw


def decode_segment(segment: str) -> str:
    """A path segment back into the key's segment; ImageNotFound when it is no segment of ours."""
    if not isinstance(segment, str) or not segment or len(segment) > MAX_SEGMENT:
        raise _not_shareable("this address")
    if _PLAIN.fullmatch(segment):
        return segment
    body = segment[len(ENCODED):]
    if not segment.startswith(ENCODED) or not body or not _PLAIN.fullmatch(body):
        raise _not_shareable("this address")
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise _not_shareable("this address") from None
    return text


def share_path(key: str) -> str:
    """The garden image's take-home path (a visitor's grown flower's: ``grown_path``);
    ImageNotFound for any other key (pool, text2image, outside the layout)."""
    try:
        image = parse_key(key, (GARDEN, GROWN))
    except InvalidKey:
        raise _not_shareable("this image") from None
    if image.area == GROWN:
        return grown_path(image.name)
    parts = key[: -len(SUFFIX)].split("/")[1:]
    return "/".join([SHARE_PREFIX, *(encode_segment(p) for p in parts)])


def grown_path(job_id: str) -> str:
    """A visitor's grown flower's take-home path, named after its job (``/share/grown/{job}``:
    short, for its QR code; the job says which image)."""
    return f"{SHARE_PREFIX}/{GROWN}/{encode_segment(job_id)}"


def grown_job(segments: list[str]) -> str | None:
    """The job a take-home path of a grown flower names (``["grown", job]``), else None."""
    if len(segments) != 2 or segments[0] != GROWN:
        return None
    job_id = decode_segment(segments[1])
    if grown_path(job_id) != "/".join([SHARE_PREFIX, *segments]):
        raise _not_shareable("this address")
    return job_id


def qr_path(key: str) -> str:
    return f"{share_path(key)}/{QR_NAME}"


def key_from_share(segments: list[str]) -> str:
    """The garden key a take-home path names (``[EMOTION, (favorite,) name]``), or
    ImageNotFound. Only the key's own spelling of its path is accepted."""
    if len(segments) not in (2, 3):
        raise _not_shareable("this address")
    decoded = [decode_segment(s) for s in segments]
    key = "/".join([GARDEN, *decoded]) + SUFFIX
    try:
        canonical = share_path(key)
    except ImageNotFound:
        raise _not_shareable("this address") from None
    if canonical != "/".join([SHARE_PREFIX, *segments]):
        raise _not_shareable("this address")
    return key


def keys_from_content(content: object) -> list[str]:
    """The keys the original's ``/image?content=…`` may mean, most likely first: the key as
    given, then with its emotion in upper case (the original spelled it in lower case; today's
    images spell it in upper case). ImageNotFound when it names no garden image."""
    if not isinstance(content, str) or not content.strip() or len(content) > MAX_CONTENT:
        raise _not_shareable("content")
    text = content.strip()
    if text.lower().startswith(("http://", "https://")):
        try:
            text = unquote(urlsplit(text).path, errors="strict")
        except (ValueError, UnicodeDecodeError):
            raise _not_shareable("content") from None
    text = from_original(text.lstrip("/"))
    if not text.endswith(SUFFIX):
        text += SUFFIX
    try:
        image = parse_key(text, (GARDEN,))
    except InvalidKey:
        raise _not_shareable("content") from None
    parts = image.key.split("/")
    upper = "/".join([parts[0], parts[1].upper(), *parts[2:]])
    return [image.key] if upper == image.key else [image.key, upper]


# --- language ----------------------------------------------------------------------------------
def _supported(tag: str) -> str | None:
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def choose_language(lang: object, accept_language: object) -> str:
    """``ko`` or ``en``: the ``lang`` query parameter when it names one, then the best of the
    Accept-Language header's Korean and English (by weight, then order), else English."""
    if isinstance(lang, str):
        chosen = _supported(lang[:16])
        if chosen:
            return chosen
    if not isinstance(accept_language, str):
        return DEFAULT_LANGUAGE
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(accept_language[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_LANGUAGE_RANGES]):
        tag, _, params = item.partition(";")
        language = _supported(tag)
        if language is None:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip()[:5])
                except ValueError:
                    weight = 0.0
        if not 0.0 < weight <= 1.0:
            continue
        candidate = (-weight, position, language)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else DEFAULT_LANGUAGE


# --- words -------------------------------------------------------------------------------------
EMOTION_NAMES: dict[str, dict[str, str]] = {
    "en": {e: e.capitalize() for e in EMOTIONS},
    # the emotions' own names, as the original kiosk in Korea called them (html/js/words.js)
    "ko": {"HAPPY": "행복", "SAD": "슬픔", "ANGRY": "분노", "CONFUSED": "혼란", "DISGUSTED": "혐오",
           "SURPRISED": "놀람", "CALM": "평온", "FEAR": "두려움"},
}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "{emotion} — a flower from the Emotion Garden",
        "heading": "A flower from the Emotion Garden",
        "description": "A flower the Emotion Garden grew for the feeling “{emotion}”.",
        "alt": "A flower the Emotion Garden grew for the feeling “{emotion}”",
        "emotion": "Emotion",
        "made": "Made",
        "favorite": "Favorite",
        "credit": "Credit and licence",
        "download": "Download the image",
        "other": "한국어",
        "not_found_title": "Not found — Emotion Garden",
        "not_found": "This flower is not in the garden (any more).",
        "not_found_hint": "It may have been removed, or the link is incomplete.",
        "site": "Emotion Garden",
        "grown": "A flower grown for you in the Emotion Garden",
    },
    "ko": {
        "title": "{emotion} — 감정 정원의 꽃",
        "heading": "감정 정원의 꽃",
        "description": "감정 정원이 ‘{emotion}’의 마음으로 피운 꽃입니다.",
        "alt": "감정 정원이 ‘{emotion}’의 마음으로 피운 꽃",
        "emotion": "감정",
        "made": "만든 날",
        "favorite": "좋아하는 것",
        "credit": "출처와 라이선스",
        "download": "이미지 내려받기",
        "other": "English",
        "not_found_title": "찾을 수 없음 — 감정 정원",
        "not_found": "이 꽃은 (더 이상) 정원에 없습니다.",
        "not_found_hint": "지워졌거나 링크가 잘렸을 수 있습니다.",
        "site": "감정 정원",
        "grown": "감정 정원에서 당신을 위해 피어난 꽃",
    },
}

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
LOCALES = {"en": "en_US", "ko": "ko_KR"}


def text(language: str, name: str, **values: str) -> str:
    words = TEXT.get(language, TEXT[DEFAULT_LANGUAGE])
    return words.get(name, TEXT[DEFAULT_LANGUAGE][name]).format(**values)


# The favorite's words a visitor may meet (the kiosk's chips say the same: word.* in
# html/js/shared/strings/kiosk.js): said in Korean on the Korean page; any other word as the
# operator wrote it.
FAVORITE_WORDS_KO: dict[str, str] = {
    "spring": "봄", "summer": "여름", "autumn": "가을", "fall": "가을", "winter": "겨울",
    "sunny": "맑음", "cloudy": "흐림", "rainy": "비", "snowy": "눈", "windy": "바람",
    "foggy": "안개", "day": "낮", "night": "밤", "morning": "아침", "evening": "저녁",
    "dawn": "새벽", "sunset": "노을", "rose": "장미", "tulip": "튤립", "lily": "백합",
    "with cat": "고양이와 함께", "with dog": "강아지와 함께",
}


def favorite_text(language: str, favorite: str | None) -> str | None:
    """A favorite as a visitor reads it: ``spring,cloudy,day`` → ``Spring · cloudy · day``
    (``봄 · 흐림 · 낮`` in Korean); None when there is none."""
    parts = [" ".join(p.split()) for p in (favorite or "").split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return None
    if language == "ko":
        return " · ".join(FAVORITE_WORDS_KO.get(p.lower(), p) for p in parts)
    first = parts[0]
    return " · ".join([first[:1].upper() + first[1:], *parts[1:]])


def emotion_name(language: str, emotion: str) -> str:
    names = EMOTION_NAMES.get(language, EMOTION_NAMES[DEFAULT_LANGUAGE])
    return names.get(emotion, emotion.capitalize())


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def date_text(language: str, created_at: str) -> str:
    """The day an image was made, as the page's language writes it (UTC):
    ``1 March 2026`` or ``2026년 3월 1일``; the text itself when it is no ISO date."""
    found = _ISO_DATE.match(created_at or "")
    if not found:
        return created_at or ""
    year, month, day = (int(g) for g in found.groups())
    if not 1 <= month <= 12:
        return created_at
    if language == "ko":
        return f"{year}년 {month}월 {day}일"
    return f"{day} {MONTHS_EN[month - 1]} {year}"

