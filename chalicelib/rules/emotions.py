"""The garden's emotions (Rekognition's eight) and the visitor's age bucket."""
from __future__ import annotations

from collections.abc import Mapping

from ..errors import InvalidRequest

EMOTIONS: tuple[str, ...] = (
    "HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR",
)


def parse_emotion(value: object) -> str:
    """Normalise a client's emotion (case-insensitive) or raise InvalidRequest naming the valid ones."""
    if isinstance(value, str) and value.strip().upper() in EMOTIONS:
        return value.strip().upper()
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidRequest(f"emotion is required: use one of {', '.join(EMOTIONS)}")
    raise InvalidRequest(
        f"unknown emotion {value!r}: use one of {', '.join(EMOTIONS)}"
    )


def dominant(scores: Mapping[str, float | None]) -> str:
    """The emotion with the highest confidence — never 'the first in the list'."""
    known = {k: v for k, v in scores.items() if v is not None}
    if not known:
        raise ValueError("no emotion scores")
    return max(known, key=lambda k: (known[k], -EMOTIONS.index(k) if k in EMOTIONS else 0))


_GENERATIONS = ((5, "toddler"), (12, "child"), (18, "teenager"), (25, "young-adult"),
                (49, "adult"), (64, "middle-age"))
GENERATIONS: tuple[str, ...] = (*(name for _, name in _GENERATIONS), "elder")


def generation(age_low: float, age_high: float) -> str:
    """Age bucket from the middle of the age range (the original's generation field)."""
    middle = (age_low + age_high) / 2
    for limit, name in _GENERATIONS:
        if middle <= limit:
            return name
    return "elder"
