"""The moderation's settings: ``ModerationSettings`` and the one pure function that parses
them from the environment's values, kept in the base layer (``chalicelib/config.py``, where
every setting is read, and where ``Settings.moderation`` holds them) and named here for the
package's own modules and its tests. The settings table is in ``config.py`` and the README."""
from __future__ import annotations

from ..config import (
    BULK_FLAGGED,
    DEFAULT_BLOCKLIST,
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_MODE,
    IMAGE_CHECKS,
    MODES,
    ModerationSettings,
)
from ..config import parse_moderation as parse_settings

__all__ = ["BULK_FLAGGED", "DEFAULT_BLOCKLIST", "DEFAULT_MIN_CONFIDENCE", "DEFAULT_MODE",
           "IMAGE_CHECKS", "MODES", "ModerationSettings", "parse_settings"]
