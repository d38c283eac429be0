"""JSON from outside — request bodies and the cursors clients hand back — parsed with limits,
so that hostile input is a clear InvalidRequest and never an error deep inside the server.

Python's parser alone would accept things that fail later, far from the request: nesting
thousands deep (RecursionError), integers longer than 4,300 digits (ValueError), ``NaN`` and
``1e999`` (no JSON can carry them back out), lone surrogates such as ``"\\ud800"`` (no UTF-8
encoder, database or log line takes them) and NUL characters (C strings end there).
None of the API's bodies needs more than a few levels or numbers beyond 64 bits.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from ..errors import InvalidRequest

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40          # a 64-bit integer has 20 digits; a double 17 plus exponent
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


def loads(raw: bytes | str, what: str = "the body") -> Any:
    """The JSON value in ``raw``; InvalidRequest naming ``what`` and the problem."""
    try:
        value = json.loads(raw, parse_int=_integer, parse_float=_float,
                           parse_constant=_constant)
    except RecursionError:
        raise InvalidRequest(f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise InvalidRequest(f"{what} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"{what} is not valid JSON: {exc}") from None
    check(value, what)
    return value


def check(value: Any, what: str = "the body") -> None:
    """Walk a parsed value (without recursion): nesting within MAX_DEPTH, and every string
    and key free of lone surrogates and NUL characters."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _text(item, what)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            raise InvalidRequest(f"{what} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key in item:
                _text(key, what)
            pending.extend((v, depth + 1) for v in item.values())
        else:
            pending.extend((v, depth + 1) for v in item)


def _text(text: str, what: str) -> None:
    found = _UNSAFE_TEXT.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise InvalidRequest(f"{what} holds a NUL character (\\u0000) in a string")
    raise InvalidRequest(f"{what} holds a lone surrogate ({found.group()!a}) in a "
                         f"string: send valid Unicode text")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise InvalidRequest(f"a number in the request has {len(text)} digits; at most "
                             f"{MAX_NUMBER_CHARS}")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise InvalidRequest(f"a number in the request is {len(text)} characters long; at "
                             f"most {MAX_NUMBER_CHARS}")
    value = float(text)
    if not math.isfinite(value):
        raise InvalidRequest(f"the number {text} is too large")
    return value


def _constant(name: str) -> Any:
    raise InvalidRequest(f"{name} is not a JSON number; send a finite number")
