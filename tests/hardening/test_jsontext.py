"""JSON from outside, parsed with limits (chalicelib/rules/jsontext.py): the edges of each."""
from __future__ import annotations

import pytest

from chalicelib.errors import InvalidRequest
from chalicelib.rules import jsontext
from chalicelib.rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor


def test_ordinary_bodies_pass_unchanged():
    body = '{"text": "A rosé, 🌹", "count": 4, "seed": 4294967295, "w": 1.5e3, "keys": ["a"]}'
    assert jsontext.loads(body) == {"text": "A rosé, 🌹", "count": 4, "seed": 4294967295,
                                    "w": 1500.0, "keys": ["a"]}


@pytest.mark.parametrize("depth, ok", [(jsontext.MAX_DEPTH, True), (jsontext.MAX_DEPTH + 1, False),
                                       (3000, False)])
def test_nesting_is_limited_at_max_depth(depth, ok):
    text = "[" * depth + "]" * depth
    if ok:
        assert jsontext.loads(text) is not None
    else:
        with pytest.raises(InvalidRequest, match=f"nested deeper than {jsontext.MAX_DEPTH}"):
            jsontext.loads(text)


@pytest.mark.parametrize("number, ok", [("9" * 40, True), ("9" * 41, False), ("9" * 5000, False),
                                        ("1e308", True), ("1e309", False), ("-1e999", False),
                                        ("NaN", False), ("Infinity", False)])
def test_numbers_are_limited_in_length_and_finite(number, ok):
    if ok:
        assert jsontext.loads(f'{{"n": {number}}}')["n"] > 0
    else:
        with pytest.raises(InvalidRequest):
            jsontext.loads(f'{{"n": {number}}}')


@pytest.mark.parametrize("text, says", [
    ('{"id": "\\ud800"}', "lone surrogate"), ('{"\\udfff": 1}', "lone surrogate"),
    ('[["x", {"k": ["\\udc00"]}]]', "lone surrogate"), ('{"id": "a\\u0000b"}', "NUL"),
    ('{"a\\u0000": 1}', "NUL"), (b'{"id": "\xff"}', "not UTF-8"), ("{nope", "not valid JSON"),
])
def test_unusable_text_is_refused_with_a_reason(text, says):
    with pytest.raises(InvalidRequest, match=says):
        jsontext.loads(text)


def test_a_valid_surrogate_pair_is_text_not_a_lone_surrogate():
    assert jsontext.loads('{"s": "\\ud83c\\udf39"}') == {"s": "🌹"}


def test_cursors_decoding_to_hostile_json_are_bad_cursors():
    import base64

    def cursor(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    assert decode_cursor(encode_cursor({"k": "a", "l": 1})) == {"k": "a", "l": 1}
    for raw in ("[" * 2000 + "]" * 2000, '{"a":' * 600 + "1" + "}" * 600,
                '{"l": ' + "9" * 3000 + "}", '{"k": "\\ud800"}', '{"l": NaN}'):
        with pytest.raises(InvalidRequest, match=BAD_CURSOR):
            decode_cursor(cursor(raw))


@pytest.mark.parametrize("depth, ok", [(jsontext.MAX_DEPTH, True), (jsontext.MAX_DEPTH + 1, False)])
def test_objects_and_mixed_nesting_count_every_level(depth, ok):
    objects = '{"a": ' * depth + "1" + "}" * depth
    opening = ["[" if n % 2 else '{"a": ' for n in range(depth)]
    mixed = "".join(opening) + "1" + "".join("]" if o == "[" else "}" for o in reversed(opening))
    for text in (objects, mixed):
        if ok:
            jsontext.loads(text)
        else:
            with pytest.raises(InvalidRequest, match=f"nested deeper than {jsontext.MAX_DEPTH}"):
                jsontext.loads(text)


def test_a_parsed_value_is_checked_whole_whatever_comes_before_the_bad_part():
    # a plain string or number met first must not end the walk (the walk takes a container's
    # items last to first): the NUL elsewhere is still found
    for value in ([["\x00"], 1, "fine"], [["\x00"], "fine", 1], {"c": {"d": "\x00"}, "a": "fine"},
                  [{"\x00key": 1}, None, True, "ok"]):
        with pytest.raises(InvalidRequest, match="NUL"):
            jsontext.check(value)
    deep: list = []
    inner = deep
    for _ in range(jsontext.MAX_DEPTH):
        inner.append("x")
        inner.append([])
        inner = inner[-1]
    with pytest.raises(InvalidRequest, match="nested deeper"):
        jsontext.check({"k": deep})
