"""The pure rules of display zones: zone numbers from URLs and bodies, image URLs on this
garden's origin read back as keys, and the version that follows an answer's content."""
from __future__ import annotations

import pytest

from chalicelib import zones
from chalicelib.errors import InvalidRequest, NotFound
from chalicelib.rules.zones import body_zone, key_of, parse_config, zone_number


@pytest.mark.parametrize("text, number", [("1", 1), ("7", 7), ("42", 42), ("99", 99)])
def test_zone_numbers_from_a_url(text, number):
    assert zone_number(text) == number


@pytest.mark.parametrize("text", ["0", "100", "", "a", "1.0", "+1", "٣", "１", "001", None, True, 1.0,
                                  "07", "01", " 5 ", "5 ", " 5", "zone1", "9\n"])
def test_anything_else_is_no_zone(text):
    # one spelling per zone: /zones/07 is not zone 7 (nor a second cache entry of it)
    with pytest.raises(NotFound):
        zone_number(text)


@pytest.mark.parametrize("value, number", [
    (1, 1), ("42", 42), (99, 99), ("07", 7), (" 5 ", 5),
    ("zone1", 1), ("zone2", 2), ("Zone12", 12), ("ZONE 3", 3), ("zone_4", 4)])
def test_zone_numbers_in_a_body(value, number):
    # the original's documents name zones "zone1", "zone2"…
    assert body_zone(value) == number


@pytest.mark.parametrize("value", [0, 100, True, 1.5, "x", None, [1], 10**30, "zone", "zone0",
                                   "zone100", "zone1x", "zone-1", "1zone", "zone٣", "zonezone1"])
def test_bad_zone_numbers_in_a_body_are_400(value):
    with pytest.raises(InvalidRequest):
        body_zone(value)


@pytest.mark.parametrize("entry, origin, key", [
    ("emotions/HAPPY/ah.jpeg", "https://d1.cloudfront.net/", "emotions/HAPPY/ah.jpeg"),
    ("/emotions/HAPPY/ah.jpeg", "https://d1.cloudfront.net/", "emotions/HAPPY/ah.jpeg"),
    ("https://d1.cloudfront.net/emotions/happy/spring%2Ccloudy%2Cday/img_1h.jpeg",
     "https://d1.cloudfront.net/", "emotions/happy/spring,cloudy,day/img_1h.jpeg"),
    ("HTTP://D1.CloudFront.net/emotions/HAPPY/a%20b%20h.jpeg", "https://d1.cloudfront.net/",
     "emotions/HAPPY/a b h.jpeg"),
    ("https://garden.example/site/emotions/SAD/xh.jpeg", "https://garden.example/site/",
     "emotions/SAD/xh.jpeg"),
])
def test_keys_and_our_own_urls_become_keys(entry, origin, key):
    assert key_of(entry, origin) == key


@pytest.mark.parametrize("entry", ["https://elsewhere.example/emotions/HAPPY/ah.jpeg",
                                   "https://garden.example/other/emotions/HAPPY/ah.jpeg",
                                   "file://garden.example/site/emotions/HAPPY/ah.jpeg",
                                   "https://garden.example/site/emotions/HAPPY/%ff.jpeg"])
def test_foreign_urls_are_refused(entry):
    with pytest.raises(InvalidRequest):
        key_of(entry, "https://garden.example/site/")


def test_null_fields_count_as_absent():
    assert parse_config({"mode": "rotate", "emotion": None, "images": None, "caption": None,
                         "interval": None}) == {
        "mode": "rotate", "emotion": None, "images": [], "caption": None, "interval": 8}
    assert parse_config({"mode": "newest", "caption": "   "})["caption"] is None


def test_the_version_follows_the_content_only():
    body = {"zone": 1, "mode": "newest", "landscape": [{"key": "k", "url": "u"}], "portrait": []}
    assert zones.version(body) == zones.version({**body, "version": "anything"})
    assert zones.version(body) != zones.version({**body, "caption": "x"})
    assert zones.version(body) != zones.version({**body, "landscape": []})


def test_a_reading_is_recorded_and_a_failing_store_never_raises():
    from chalicelib.catalog.memory import MemoryZoneStore
    from chalicelib.errors import ServiceUnavailable
    store = MemoryZoneStore()
    assert zones.record_reading(lambda: store, "CALM", clock=lambda: 1_700_000_000.5) is True
    assert store.last_reading().emotion == "CALM" and store.last_reading().at_ms == 1_700_000_000_500
    assert zones.record_reading(lambda: store, None) is False          # no face, no emotion
    assert zones.record_reading(lambda: store, "BORED") is False
    assert store.last_reading().emotion == "CALM"

    class Failing(MemoryZoneStore):
        def record_reading(self, emotion, at_ms):
            raise ServiceUnavailable("the catalog is busy; try again")
    assert zones.record_reading(Failing, "SAD") is False
