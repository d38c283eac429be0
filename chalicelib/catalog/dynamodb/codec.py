"""Values between JSON-like Python and what boto3's DynamoDB resource takes and gives."""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from ...errors import InvalidRequest


def to_dynamo(value: Any) -> Any:
    """Python (JSON-like) values as boto3 takes them: floats become Decimals."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequest("numbers must be finite")
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(v) for v in value]
    raise InvalidRequest(f"cannot store a {type(value).__name__} in the catalog")


def from_dynamo(value: Any) -> Any:
    """boto3's values back to JSON-like Python: Decimals become ints or floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value
