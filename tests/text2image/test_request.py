"""What POST /text2image accepts, and the messages for what it does not."""
from __future__ import annotations

import pytest

from chalicelib.errors import InvalidRequest
from chalicelib.jobs.text2image import PRESETS, parse_request


def test_defaults_are_the_originals_768x512_one_image_per_endpoint():
    request = parse_request({"text": "  A flower, happy  "}, endpoint_count=2)
    assert (request.text, request.width, request.height, request.count) == ("A flower, happy", 768, 512, 2)
    assert (request.seed, request.negative, request.steps) == (None, "", 30)


@pytest.mark.parametrize("size", PRESETS + ((256, 256), (1280, 1280), (800, 1280), (520, 264)))
def test_presets_and_multiples_of_8_from_256_to_1280_are_accepted(size):
    request = parse_request({"text": "x", "width": size[0], "height": size[1]}, 1)
    assert (request.width, request.height) == size


def test_the_original_forms_string_sizes_are_accepted():
    request = parse_request({"text": "x", "width": "1024", "height": "576", "count": "3"}, 1)
    assert (request.width, request.height, request.count) == (1024, 576, 3)


@pytest.mark.parametrize("width, height", [(770, 512), (248, 512), (1288, 800), (0, 512),
                                           (-768, 512), (768.0, 512), ("big", 512), (True, 512)])
def test_other_sizes_are_refused_naming_the_allowed_ones(width, height):
    with pytest.raises(InvalidRequest) as err:
        parse_request({"text": "x", "width": width, "height": height}, 1)
    assert "768x512" in str(err.value) and "multiple of 8" in str(err.value)


@pytest.mark.parametrize("body, fragment", [
    ({}, "text"), ({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": 5}, "text"),
    ({"text": "x" * 1001}, "1000"), ({"text": "x", "count": 0}, "count"),
    ({"text": "x", "count": 17}, "count"), ({"text": "x", "count": "many"}, "count"),
    ({"text": "x", "seed": -1}, "seed"), ({"text": "x", "seed": 2**32}, "seed"),
    ({"text": "x", "steps": 0}, "steps"), ({"text": "x", "negative": ["no"]}, "negative"),
])
def test_bad_fields_are_refused_with_a_message_naming_them(body, fragment):
    with pytest.raises(InvalidRequest, match=fragment):
        parse_request(body, 2)


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_the_body_must_be_an_object(body):
    with pytest.raises(InvalidRequest, match="JSON object"):
        parse_request(body, 1)


def test_the_limits_themselves_are_allowed():
    request = parse_request({"text": "x" * 1000, "count": 16, "seed": 2**32 - 1}, 2)
    assert (len(request.text), request.count, request.seed) == (1000, 16, 2**32 - 1)
    assert parse_request({"text": "x"}, 40).count == 16   # one per endpoint, at most 16
