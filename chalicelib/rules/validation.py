"""Checks on request fields that every entry point shares (text-to-image, bulk, garden
queries), so one rule answers "is this a whole number in range?" everywhere."""
from __future__ import annotations

from ..errors import InvalidRequest

MAX_SEED = 2**32 - 1   # Stable Diffusion pipelines take an unsigned 32-bit seed
MAX_DIGITS = 20        # longer digit strings are refused before int() sees them (Python caps
                       # int() at 4300 digits and the work grows with the length)
_SHOWN = 40            # characters of a refused value quoted back in the message


def whole_number(value: object, name: str, low: int, high: int, *, digits: bool = False,
                 hint: str | None = None) -> int:
    """``value`` as an int in ``low..high``, else InvalidRequest naming ``name`` and the range.

    Accepts ints, never bools or floats. With ``digits=True`` also a string of ASCII digits
    (spaces around it ignored) as HTML forms and query strings send numbers ("768"); other
    Unicode digits ("²", "٣") are refused, as int() would choke on some of them."""
    suffix = f"; {hint}" if hint else ""
    number = value
    if digits and isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
            number = int(text)
    if isinstance(number, bool) or not isinstance(number, int):
        shown = repr(value)
        if len(shown) > _SHOWN:
            shown = shown[:_SHOWN - 1] + "…"
        raise InvalidRequest(f"{name} must be a whole number from {low} to {high}, "
                             f"not {shown}{suffix}")
    if not low <= number <= high:
        raise InvalidRequest(f"{name}={number} is out of range: use a whole number from "
                             f"{low} to {high}{suffix}")
    return number
