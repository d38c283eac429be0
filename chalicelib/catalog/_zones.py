"""What the zone-store adapters share: the checks on what is stored."""
from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidRequest
from ..rules.zones import MAX_ZONE, MIN_ZONE


def check_zone(zone: object) -> int:
    if type(zone) is not int or not MIN_ZONE <= zone <= MAX_ZONE:
        raise InvalidRequest(f"zone must be a whole number from {MIN_ZONE} to {MAX_ZONE}")
    return zone


def zone_doc(config: dict[str, Any]) -> tuple[int, str]:
    """The configuration's zone number and its JSON text; InvalidRequest when it has no valid
    ``zone`` or JSON cannot hold it."""
    if not isinstance(config, dict):
        raise InvalidRequest("a zone configuration must be an object")
    zone = check_zone(config.get("zone"))
    try:
        return zone, json.dumps(config, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"cannot store this zone configuration: {exc}") from exc


def check_reading(emotion: object, at_ms: object) -> tuple[str, int]:
    if not isinstance(emotion, str) or not emotion or len(emotion) > 32:
        raise InvalidRequest("a reading's emotion must be a short name such as HAPPY")
    if type(at_ms) is not int or not 0 <= at_ms < 2**53:
        raise InvalidRequest("a reading's time must be epoch milliseconds")
    return emotion, at_ms
