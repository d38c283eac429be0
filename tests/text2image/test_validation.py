"""The one whole-number check every entry point uses (chalicelib.validation)."""
from __future__ import annotations

import pytest

from chalicelib.errors import InvalidRequest
from chalicelib.rules.validation import MAX_DIGITS, whole_number


@pytest.mark.parametrize("value, expected", [(0, 0), (768, 768), (10, 10)])
def test_ints_in_range_are_taken_as_they_are(value, expected):
    assert whole_number(value, "n", 0, 1000) == expected


@pytest.mark.parametrize("value", ["768", " 768 ", "0768"])
def test_ascii_digit_strings_are_numbers_when_allowed(value):
    assert whole_number(value, "width", 1, 2000, digits=True) == 768
    with pytest.raises(InvalidRequest, match="width must be a whole number"):
        whole_number(value, "width", 1, 2000)


@pytest.mark.parametrize("value", [
    True, False, 1.0, 2.5, None, [], {}, "", "  ", "-1", "+5", "1e3", "12a", "0x10",
    "²", "٣", "１２",                 # Unicode digits: isdigit() is true, but not ours
    "9" * 5000,                       # past Python's int-string limit: never reaches int()
    "1" * (MAX_DIGITS + 1),
])
def test_anything_else_is_an_invalid_request_naming_the_field(value):
    with pytest.raises(InvalidRequest, match="count must be a whole number from 1 to 16") as err:
        whole_number(value, "count", 1, 16, digits=True)
    assert len(str(err.value)) < 120   # a huge value is not echoed back whole


@pytest.mark.parametrize("value", [0, 17, "17", 10**30])
def test_out_of_range_says_the_range(value):
    with pytest.raises(InvalidRequest, match="out of range: use a whole number from 1 to 16; see"):
        whole_number(value, "count", 1, 16, digits=True, hint="see the docs")
