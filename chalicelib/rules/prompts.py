"""The bulk prompt recipe (the original's): subject, favorite, emotion words, others, style.

The words live in ``prompts.json`` beside this module so an operator can edit them without
touching code; a bulk request may override the emotion's words (``emotionText``), add a
favorite (``favorite``: "rose", "with cat") and extra words (``others``), as the original's
bulk form did.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .emotions import EMOTIONS

TEMPLATES = Path(__file__).with_name("prompts.json")


@dataclass(frozen=True)
class Templates:
    subject: str
    style: str
    negative: str
    emotions: dict[str, str]


def _text(data: dict[str, Any], name: str, path: Path) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ConfigError(f"{path}: {name!r} must be a string")
    return value.strip()


def load_templates(path: Path = TEMPLATES) -> Templates:
    """Read and check the templates file; a broken file names itself and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"prompt templates {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("emotions"), dict):
        raise ConfigError(f"{path}: expected an object with an 'emotions' object")
    emotions = {str(k).upper(): v for k, v in data["emotions"].items()}
    missing = [e for e in EMOTIONS if not isinstance(emotions.get(e), str) or not emotions[e].strip()]
    if missing:
        raise ConfigError(f"{path}: no emotion words for {', '.join(missing)}")
    subject = _text(data, "subject", path)
    if not subject:
        raise ConfigError(f"{path}: 'subject' must not be empty")
    return Templates(subject=subject, style=_text(data, "style", path),
                     negative=_text(data, "negative", path),
                     emotions={e: emotions[e].strip() for e in EMOTIONS})


@lru_cache(maxsize=1)
def templates() -> Templates:
    return load_templates()


def _clean(words: str | None) -> str:
    """Collapse whitespace and stray commas so the joined prompt reads cleanly."""
    if not words:
        return ""
    parts = [" ".join(p.split()) for p in words.split(",")]
    return ", ".join(p for p in parts if p)


def build_prompt(emotion: str, favorite: str | None = None, emotion_text: str | None = None,
                 others: str | None = None, recipe: Templates | None = None) -> str:
    """e.g. "A flower with cat, very happy, immature, smile, …, fantasy, concept art, …".

    A favorite that starts with "with" reads as part of the subject ("A flower with cat");
    any other favorite is its own phrase ("A flower, rose, …").
    """
    recipe = recipe or templates()
    subject = recipe.subject
    favorite = _clean(favorite)
    parts: list[str] = []
    if favorite and favorite.lower().startswith("with "):
        subject = f"{subject} {favorite}"
        favorite = ""
    parts.append(subject)
    parts.append(favorite)
    override = _clean(emotion_text)
    parts.append(override or recipe.emotions[emotion.upper()])
    parts.append(_clean(others))
    parts.append(_clean(recipe.style))
    return ", ".join(p for p in parts if p)


def negative_prompt(recipe: Templates | None = None) -> str:
    return (recipe or templates()).negative
