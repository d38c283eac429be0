"""The moderation's settings, parsed by one pure function from the environment's values.

=============================  ==================================================================
``GARDEN_MODERATION``          ``off`` | ``prompts`` | ``images`` | ``both`` (default ``both``)
``GARDEN_IMAGE_CHECK``         ``rekognition`` | ``none``; default ``rekognition`` in AWS,
                               ``none`` locally (offline there is no image check: a local
                               installation asks for Rekognition with AWS credentials)
``GARDEN_MODERATION_MIN_CONFIDENCE``  0–100: a moderation label at or above it flags an image
                               (default 50, Rekognition's own default)
``GARDEN_MODERATION_LABELS``   the Rekognition labels that flag an image, comma-separated or a
                               JSON list, matched against a label and its parent
                               (``Explicit,Violence``); default: every label
``GARDEN_BLOCKLIST``           the operator's block lists: paths separated by commas (relative
                               to the data directory); default ``blocklist.txt`` in the data
                               directory when there is one. A named list that is missing,
                               empty or not UTF-8 stops the start with the setting's name
``GARDEN_BLOCKLIST_WORDS``     more entries as a stage setting: a JSON list of strings
``GARDEN_GUARDRAIL``           a Bedrock guardrail checks prompts too: ``ID`` or ``ID:VERSION``
                               (``ID`` an identifier or ARN; version a number or ``DRAFT``,
                               default ``DRAFT``)
``GARDEN_BULK_FLAGGED``        ``review`` (default: to the pool, marked) | ``drop``
=============================  ==================================================================

Defaults make a public installation safe: prompts are always checked against the block list,
and in AWS every generated image goes through Rekognition. Asking for image checks where no
image check can run (``GARDEN_MODERATION=images`` or ``both`` set explicitly, locally, without
``GARDEN_IMAGE_CHECK=rekognition``) is a ConfigError, never a silent pass.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from ..errors import ConfigError

MODES = ("off", "prompts", "images", "both")
IMAGE_CHECKS = ("rekognition", "none")
BULK_FLAGGED = ("review", "drop")
DEFAULT_MODE = "both"
DEFAULT_MIN_CONFIDENCE = 50.0
DEFAULT_BLOCKLIST = "blocklist.txt"
_GUARDRAIL = re.compile(r"^(?P<id>[a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:"
                        r"guardrail/[a-z0-9]+)(:(?P<version>[1-9][0-9]{0,7}|DRAFT))?$")


@dataclass(frozen=True)
class ModerationSettings:
    mode: str                                   # GARDEN_MODERATION
    image_check: str                            # GARDEN_IMAGE_CHECK: rekognition | none
    min_confidence: float                       # GARDEN_MODERATION_MIN_CONFIDENCE: 0..100
    labels: tuple[str, ...]                     # GARDEN_MODERATION_LABELS: () = every label
    blocklists: tuple[Path, ...]                # GARDEN_BLOCKLIST (absolute paths)
    blocklists_named: bool                      # GARDEN_BLOCKLIST was set: each must exist
    extra_words: tuple[str, ...]                # GARDEN_BLOCKLIST_WORDS
    guardrail_id: str | None                    # GARDEN_GUARDRAIL
    guardrail_version: str                      # its version (DRAFT when not given)
    bulk_flagged: Literal["review", "drop"]     # GARDEN_BULK_FLAGGED

    @property
    def prompts(self) -> bool:
        """Prompts are checked (the block list, and the guardrail when one is named)."""
        return self.mode in ("prompts", "both")

    @property
    def images(self) -> bool:
        """Generated images are checked before anyone may see them."""
        return self.mode in ("images", "both") and self.image_check != "none"


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value and value.strip() else None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (_value(env, name) or default).lower()
    if value not in choices:
        raise ConfigError(f"{name}={value[:40]!r} must be one of: {', '.join(choices)}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list, or a JSON list of strings."""
    value = _value(env, name)
    if value is None:
        return ()
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError as exc:
            raise ConfigError(f"{name} is not a valid JSON list: {exc}") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{name} must be a JSON list of strings")
    else:
        items = value.split(",")
    cleaned = tuple(item.strip() for item in items if item.strip())
    if not cleaned:
        raise ConfigError(f"{name} is set but lists nothing; unset it for the default")
    return cleaned


def _confidence(env: Mapping[str, str]) -> float:
    name = "GARDEN_MODERATION_MIN_CONFIDENCE"
    value = _value(env, name)
    if value is None:
        return DEFAULT_MIN_CONFIDENCE
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0.0 <= number <= 100.0:       # NaN fails this too
        raise ConfigError(f"{name}={value[:40]!r} must be a number from 0 to 100")
    return number


def parse_settings(env: Mapping[str, str], *, backend: str, data_dir: Path) -> ModerationSettings:
    """The moderation's settings from ``env``; ``backend`` (``local`` | ``aws``) picks the
    defaults, ``data_dir`` anchors relative block-list paths. Reads no file: the lists are
    read when the checks are built (``build_moderation``)."""
    aws = backend == "aws"
    mode = _choice(env, "GARDEN_MODERATION", MODES, DEFAULT_MODE)
    image_check = _choice(env, "GARDEN_IMAGE_CHECK", IMAGE_CHECKS,
                          "rekognition" if aws else "none")
    if _value(env, "GARDEN_MODERATION") and mode in ("images", "both") and image_check == "none":
        raise ConfigError(
            f"GARDEN_MODERATION={mode} asks for image checks, but GARDEN_IMAGE_CHECK is none "
            "(offline there is no image check): set GARDEN_IMAGE_CHECK=rekognition (with AWS "
            "credentials) or GARDEN_MODERATION=prompts")
    named = _list(env, "GARDEN_BLOCKLIST")
    paths = tuple(path if path.is_absolute() else data_dir / path
                  for path in (Path(item).expanduser() for item in named))
    words_raw = _value(env, "GARDEN_BLOCKLIST_WORDS")
    if words_raw is not None and not words_raw.startswith("["):
        raise ConfigError("GARDEN_BLOCKLIST_WORDS must be a JSON list of strings, "
                          'e.g. ["word", "two words"]')
    guardrail = _value(env, "GARDEN_GUARDRAIL")
    guardrail_id, version = None, "DRAFT"
    if guardrail is not None:
        found = _GUARDRAIL.match(guardrail)
        if not found:
            raise ConfigError(f"GARDEN_GUARDRAIL={guardrail[:80]!r} must be a guardrail ID or "
                              "ARN, optionally with :VERSION (a number or DRAFT)")
        guardrail_id, version = found["id"], found["version"] or "DRAFT"
    return ModerationSettings(
        mode=mode,
        image_check=image_check,
        min_confidence=_confidence(env),
        labels=_list(env, "GARDEN_MODERATION_LABELS"),
        blocklists=paths or (data_dir / DEFAULT_BLOCKLIST,),
        blocklists_named=bool(paths),
        extra_words=_list(env, "GARDEN_BLOCKLIST_WORDS"),
        guardrail_id=guardrail_id,
        guardrail_version=version,
        bulk_flagged=cast(Literal["review", "drop"],
                          _choice(env, "GARDEN_BULK_FLAGGED", BULK_FLAGGED, "review")),
    )
