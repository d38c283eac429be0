"""Checks on request fields that every entry point shares (text-to-image, bulk, garden
queries), so one rule answers "is this a whole number in range?" everywhere."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequest, JobNotFound

MAX_SEED = 2**32 - 1   # Stable Diffusion pipelines take an unsigned 32-bit seed
MAX_DIGITS = 20        # longer digit strings are refused before int() sees them (Python caps
                       # int() at 4300 digits and the work grows with the length)
_SHOWN = 40            # characters of a refused value quoted back in the message
# Job ids as this server makes them (20261130T032840-e8cfbe9ead), with room to spare; anything
# else cannot name a job, and must not reach a database key (DynamoDB's are ≤ 1 KB).
_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


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


def int_field(body: Mapping[str, Any], name: str, default: int | None, low: int, high: int, *,
              digits: bool = False, required: bool = False, hint: str | None = None) -> int | None:
    """The body's ``name`` checked by ``whole_number``; ``default`` when absent (and, for
    form-style fields with ``digits=True``, when empty). ``required``: absent is an error."""
    value = body.get(name)
    if value is None or (digits and value == ""):
        if required:
            raise InvalidRequest(f"{name} is required: a whole number from {low} to {high}")
        return default
    return whole_number(value, name, low, high, digits=digits, hint=hint)


def text_field(body: Mapping[str, Any], name: str, max_chars: int, *, required: bool = False,
               collapse: bool = False) -> str | None:
    """The body's ``name`` as trimmed text (``collapse``: runs of white space become one
    space) of at most ``max_chars``; None when absent or blank and not ``required``."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string of {'1' if required else 'up'} to "
                             f"{max_chars} characters")
    value = " ".join(value.split()) if collapse else value.strip()
    if len(value) > max_chars:
        raise InvalidRequest(f"{name} is {len(value)} characters; at most {max_chars}")
    if not value:
        if required:
            raise InvalidRequest(f"{name} must be 1 to {max_chars} characters, not empty")
        return None
    return value


def job_id(value: str) -> str:
    """A job id from a URL; JobNotFound (404) for one that no job can have."""
    if not _JOB_ID.fullmatch(value):
        raise JobNotFound("no such job: job ids are 1 to 128 letters, digits, '.', '_' or '-'")
    return value
