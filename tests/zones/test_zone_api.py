"""The display-zone routes through the app: GET /zones/{n} (public, ETag → 304), GET /zones,
PUT and DELETE /zones/{n}, the original's POST /updateDisplay (admin), and follow-the-kiosk
after POST /emotion."""
from __future__ import annotations

import json

import pytest

from chalicelib.web import context
from chalicelib.rules.emotions import EMOTIONS
from tests.zones.conftest import ADMIN_KEY, call, plant, reading

HAPPY_H = "emotions/HAPPY/rose h.jpeg"
HAPPY_V = "emotions/HAPPY/tulip v.jpeg"
SAD_H = "emotions/SAD/rain h.jpeg"
OLD_H = "emotions/happy/spring,cloudy,day/img_1h.jpeg"   # the original's spelling
POOL_H = "pool/HAPPY/waiting h.jpeg"
JSON = "application/json; charset=utf-8"


def keys(images: list[dict]) -> list[str]:
    return [image["key"] for image in images]


@pytest.fixture
def garden(client):
    """A small garden (newest last), one pool image, and the likes that order it."""
    plant(HAPPY_H, "2026-01-01T00:00:00Z")
    plant(HAPPY_V, "2026-01-02T00:00:00Z")
    plant(SAD_H, "2026-01-03T00:00:00Z")
    plant(OLD_H, "2023-03-19T13:10:15Z")
    plant(POOL_H, "2026-01-09T00:00:00Z")
    context.current().engagement.like(OLD_H, "visitor-1")
    return client


# --- GET /zones/{n} ------------------------------------------------------------------------------
def test_a_zone_never_configured_shows_the_newest_of_every_emotion(garden):
    status, body, headers = call(garden, "GET", "/zones/1", key=None)
    assert status == 200 and headers["content-type"] == JSON
    assert headers["cache-control"] == "no-cache" and headers["etag"] == f'"{body["version"]}"'
    assert {k: body[k] for k in ("zone", "mode", "emotion", "caption", "interval", "poll")} == {
        "zone": 1, "mode": "newest", "emotion": None, "caption": None, "interval": 8, "poll": 30}
    assert keys(body["landscape"]) == [SAD_H, HAPPY_H, OLD_H]      # newest first; no pool image
    assert keys(body["portrait"]) == [HAPPY_V]
    url = context.current().store.url
    assert body["landscape"][0] == {"key": SAD_H, "url": url(SAD_H)}
    assert list(body) == ["zone", "mode", "emotion", "caption", "interval", "poll", "version",
                          "landscape", "portrait"]


def test_an_empty_garden_still_answers(client):
    status, body, _ = call(client, "GET", "/zones/99", key=None)
    assert status == 200 and body["landscape"] == [] and body["portrait"] == []


@pytest.mark.parametrize("zone", ["0", "100", "abc", "1.5", "-1", "1e1", "%31", "999999999999999999999",
                                  "01", "007", "+1", "zone1"])
def test_zone_numbers_outside_1_to_99_are_404(client, zone):
    for method, key in (("GET", None), ("PUT", ADMIN_KEY), ("DELETE", ADMIN_KEY)):
        status, body, _ = call(client, method, f"/zones/{zone}", {"mode": "rotate"}
                               if method == "PUT" else None, key=key)
        assert status == 404 and "1 to 99" in body["message"], (method, zone)


def test_if_none_match_with_the_version_is_304_and_a_change_is_a_new_version(garden):
    _, body, headers = call(garden, "GET", "/zones/3", key=None)
    tag = headers["etag"]
    for given in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        status, again, head = call(garden, "GET", "/zones/3", key=None,
                                   headers={"If-None-Match": given})
        assert status == 304 and again is None and head["etag"] == tag, given
    status, _, _ = call(garden, "GET", "/zones/3", key=None, headers={"If-None-Match": '"stale"'})
    assert status == 200
    plant("emotions/CALM/lake h.jpeg", "2026-02-01T00:00:00Z")       # the answer's content changes
    status, changed, head = call(garden, "GET", "/zones/3", key=None,
                                 headers={"If-None-Match": tag})
    assert status == 200 and changed["version"] != body["version"] and head["etag"] != tag
    assert keys(changed["landscape"])[0] == "emotions/CALM/lake h.jpeg"
    assert call(garden, "GET", "/zones/3", key=None)[1]["version"] == changed["version"]  # stable


def test_head_answers_with_the_same_etag(garden):
    response = garden.http.head("/zones/2")   # the servers drop a HEAD's body (test_zone_http.py)
    assert response.status_code == 200
    assert response.headers["ETag"] == call(garden, "GET", "/zones/2", key=None)[2]["etag"]


# --- PUT, GET /zones, DELETE ---------------------------------------------------------------------
def test_a_chosen_zone_shows_the_operators_images_by_orientation(garden):
    status, stored, _ = call(garden, "PUT", "/zones/2", {
        "mode": "chosen", "images": [HAPPY_V, SAD_H, HAPPY_H, SAD_H], "caption": "  The hall\n garden ",
        "interval": 12})
    assert status == 200
    assert stored == {"zone": 2, "mode": "chosen", "emotion": None, "images": [HAPPY_V, SAD_H, HAPPY_H],
                      "caption": "The hall garden", "interval": 12, "updated": stored["updated"]}
    assert stored["updated"].endswith("Z")
    _, body, _ = call(garden, "GET", "/zones/2", key=None)
    assert body["mode"] == "chosen" and body["emotion"] is None and body["poll"] == 30
    assert body["caption"] == "The hall garden" and body["interval"] == 12
    assert keys(body["landscape"]) == [SAD_H, HAPPY_H] and keys(body["portrait"]) == [HAPPY_V]
    # an image since removed from the garden is left out of the answer, not out of the zone
    context.current().store.delete(SAD_H)
    _, after, _ = call(garden, "GET", "/zones/2", key=None)
    assert keys(after["landscape"]) == [HAPPY_H] and after["version"] != body["version"]
    assert call(garden, "GET", "/zones")[1]["zones"][0]["images"] == [HAPPY_V, SAD_H, HAPPY_H]


def test_loved_newest_and_rotate_zones(garden):
    context.current().engagement.like(HAPPY_H, "visitor-1")
    context.current().engagement.like(HAPPY_H, "visitor-2")
    assert call(garden, "PUT", "/zones/1", {"mode": "loved", "emotion": "happy"})[0] == 200
    _, loved, _ = call(garden, "GET", "/zones/1", key=None)
    assert loved["emotion"] == "HAPPY" and keys(loved["landscape"]) == [HAPPY_H, OLD_H]
    assert call(garden, "PUT", "/zones/1", {"mode": "newest", "emotion": "HAPPY"})[0] == 200
    _, newest, _ = call(garden, "GET", "/zones/1", key=None)
    assert newest["emotion"] == "HAPPY" and keys(newest["landscape"]) == [HAPPY_H, OLD_H]
    assert call(garden, "PUT", "/zones/1", {"mode": "newest", "emotion": None})[0] == 200
    assert keys(call(garden, "GET", "/zones/1", key=None)[1]["landscape"]) == [SAD_H, HAPPY_H, OLD_H]
    assert call(garden, "PUT", "/zones/1", {"mode": "rotate"})[0] == 200
    _, rotate, _ = call(garden, "GET", "/zones/1", key=None)
    assert rotate["emotion"] is None and rotate["poll"] == 30
    assert keys(rotate["landscape"]) == [HAPPY_H, SAD_H, OLD_H]      # HAPPY, SAD, then HAPPY again


def test_rotate_takes_every_emotion_in_turn_up_to_two_hundred(client):
    from chalicelib.catalog import ImageRecord
    index = context.current().image_index
    made = 0   # catalogued directly: 30 each of SAD and CALM, 300 of HAPPY
    for emotion, count in (("SAD", 30), ("CALM", 30), ("HAPPY", 300)):
        for n in range(count):
            key = f"emotions/{emotion}/r{n:03d}h.jpeg"
            index.apply_created(ImageRecord(key, "emotions", emotion, None, "landscape",
                                            1_700_000_000_000 + n, 10), f"{made + 1:020X}")
            made += 1
    call(client, "PUT", "/zones/4", {"mode": "rotate"})
    _, body, _ = call(client, "GET", "/zones/4", key=None)
    shown = keys(body["landscape"])
    assert len(shown) == 200 and len(set(shown)) == 200
    order = [k.split("/")[1] for k in shown]
    assert order[:6] == ["HAPPY", "SAD", "CALM"] * 2               # EMOTIONS order, one each
    assert order[90:] == ["HAPPY"] * 110                           # the others ran out
    assert order.count("SAD") == order.count("CALM") == 30


def test_the_newest_of_every_emotion_merges_them_and_stops_at_two_hundred(client):
    from chalicelib.catalog import ImageRecord
    index = context.current().image_index
    n = 0
    for emotion in EMOTIONS:
        for i in range(40):
            n += 1
            index.apply_created(ImageRecord(f"emotions/{emotion}/n{i:03d}v.jpeg", "emotions", emotion,
                                            None, "portrait", 1_700_000_000_000 + n, 10), f"{n:020X}")
    _, body, _ = call(client, "GET", "/zones/5", key=None)
    shown = keys(body["portrait"])
    assert len(shown) == 200
    assert shown[0] == "emotions/FEAR/n039v.jpeg" and shown[-1] == "emotions/CONFUSED/n000v.jpeg"


def test_zones_are_listed_and_a_deleted_zone_goes_back_to_the_default(garden):
    assert call(garden, "GET", "/zones")[1] == {"zones": []}
    call(garden, "PUT", "/zones/7", {"mode": "follow", "caption": "Follow me"})
    call(garden, "PUT", "/zones/3", {"mode": "loved", "emotion": "SAD"})
    _, listed, _ = call(garden, "GET", "/zones")
    assert [(z["zone"], z["mode"], z["caption"]) for z in listed["zones"]] == [
        (3, "loved", None), (7, "follow", "Follow me")]
    assert call(garden, "DELETE", "/zones/7")[:2] == (200, {"zone": 7, "deleted": True})
    assert call(garden, "DELETE", "/zones/7")[:2] == (200, {"zone": 7, "deleted": True})
    assert [z["zone"] for z in call(garden, "GET", "/zones")[1]["zones"]] == [3]
    assert call(garden, "GET", "/zones/7", key=None)[1]["mode"] == "newest"


def test_zones_survive_a_restart_of_the_server(garden):
    call(garden, "PUT", "/zones/8", {"mode": "loved", "emotion": "SAD", "interval": 20})
    context.rebuild()   # every adapter built anew from the data directory
    _, body, _ = call(garden, "GET", "/zones/8", key=None)
    assert body["mode"] == "loved" and body["interval"] == 20 and keys(body["landscape"]) == [SAD_H]


# --- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("body, words", [
    ({"mode": "chosen", "images": [HAPPY_H], "colour": "red"}, "unknown field 'colour'"),
    ({"emotion": "HAPPY"}, "mode must be one of"),
    ({"mode": "dance"}, "mode must be one of"),
    ({"mode": ["loved"]}, "mode must be one of"),
    ({"mode": "loved"}, "emotion is required in mode loved"),
    ({"mode": "loved", "emotion": "BORED"}, "unknown emotion"),
    ({"mode": "loved", "emotion": 7}, "unknown emotion"),
    ({"mode": "rotate", "emotion": "HAPPY"}, "emotion is only for modes loved and newest"),
    ({"mode": "follow", "emotion": "HAPPY"}, "emotion is only for modes loved and newest"),
    ({"mode": "chosen"}, "images is required in mode chosen"),
    ({"mode": "loved", "emotion": "SAD", "images": [SAD_H]}, "images is only for mode chosen"),
    ({"mode": "chosen", "images": []}, "1 to 200"),
    ({"mode": "chosen", "images": HAPPY_H}, "1 to 200"),
    ({"mode": "chosen", "images": [HAPPY_H] * 201}, "(got 201)"),
    ({"mode": "chosen", "images": [7]}, "(strings) only"),
    ({"mode": "chosen", "images": [POOL_H]}, "expected a key under emotions/"),
    ({"mode": "chosen", "images": ["text2image/j-1/0.jpeg"]}, "expected a key under emotions/"),
    ({"mode": "chosen", "images": ["emotions/HAPPY/../../etc/passwdh.jpeg"]}, "'..' path segments"),
    ({"mode": "chosen", "images": [HAPPY_H, "emotions/SAD/nowhere h.jpeg"]},
     "not in the garden (publish them first): 'emotions/SAD/nowhere h.jpeg'"),
    ({"mode": "rotate", "caption": "c" * 201}, "caption is 201 characters; at most 200"),
    ({"mode": "rotate", "caption": 5}, "caption must be text"),
    ({"mode": "rotate", "caption": "bell\u0007"}, "control characters"),
    ({"mode": "rotate", "interval": 1}, "interval=1 is out of range"),
    ({"mode": "rotate", "interval": 3601}, "interval=3601 is out of range"),
    ({"mode": "rotate", "interval": "8"}, "interval must be a whole number"),
    ({"mode": "rotate", "interval": 8.5}, "interval must be a whole number"),
    ({"mode": "rotate", "interval": True}, "interval must be a whole number"),
    ({"mode": "rotate", "interval": 10**39}, "interval is out of range"),
])
def test_bad_configurations_are_400_with_a_message(garden, body, words):
    status, answer, _ = call(garden, "PUT", "/zones/1", body)
    assert status == 400 and words in answer["message"], answer
    assert call(garden, "GET", "/zones")[1] == {"zones": []}       # nothing was stored


@pytest.mark.parametrize("raw, status", [
    (b"", 400), (b"[1, 2]", 400), (b"{\"mode\": ", 400), (b"\xff\xfe", 400),
])
def test_bodies_that_are_not_a_json_object_are_400(client, raw, status):
    got, body, _ = call(client, "PUT", "/zones/1", raw)
    assert got == status and body["message"]


def test_a_body_that_is_not_json_is_415(client):
    got, body, _ = call(client, "PUT", "/zones/1", b"mode=rotate",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert got == 415 and body["message"]


# --- the admin key ------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path, body", [
    ("GET", "/zones", None), ("PUT", "/zones/1", {"mode": "rotate"}), ("DELETE", "/zones/1", None),
    ("POST", "/updateDisplay", {"zone": 1, "landscape": [HAPPY_H]}),
])
def test_admin_routes_need_the_admin_key(garden, method, path, body):
    status, answer, _ = call(garden, method, path, body, key=None)
    assert status == 401 and answer["message"]
    status, answer, _ = call(garden, method, path, body, key="not-the-key")
    assert status == 403 and answer["message"]
    assert call(garden, "GET", "/zones")[1] == {"zones": []}
    assert call(garden, "GET", "/zones/1", key=None)[0] == 200      # the screens need none


# --- the original's POST /updateDisplay -------------------------------------------------------
def test_update_display_takes_keys_and_our_own_urls(garden):
    url = context.current().store.url
    call(garden, "PUT", "/zones/1", {"mode": "rotate", "caption": "Kept", "interval": 30})
    status, stored, _ = call(garden, "POST", "/updateDisplay", {
        "zone": 1, "landscape": [url(SAD_H), "/" + HAPPY_H], "portrait": [HAPPY_V]})
    assert status == 200
    assert stored["mode"] == "chosen" and stored["images"] == [SAD_H, HAPPY_H, HAPPY_V]
    assert stored["caption"] == "Kept" and stored["interval"] == 30   # what the operator set stays
    _, body, _ = call(garden, "GET", "/zones/1", key=None)
    assert keys(body["landscape"]) == [SAD_H, HAPPY_H] and keys(body["portrait"]) == [HAPPY_V]


def test_update_display_accepts_the_originals_spelling_as_the_garden_indexes_it(garden):
    # the garden holds emotions/happy/…; the original's page may say HAPPY or happy
    upper = OLD_H.replace("/happy/", "/HAPPY/")
    status, stored, _ = call(garden, "POST", "/updateDisplay", {"zone": "2", "landscape": [upper]})
    assert status == 200 and stored["zone"] == 2 and stored["images"] == [OLD_H]
    lower = HAPPY_H.replace("/HAPPY/", "/happy/")
    status, stored, _ = call(garden, "POST", "/updateDisplay", {"zone": 2, "landscape": [lower],
                                                               "portrait": []})
    assert status == 200 and stored["images"] == [HAPPY_H]


@pytest.mark.parametrize("body, status, words", [
    ({"zone": 0, "landscape": [HAPPY_H]}, 400, "zone must be a whole number from 1 to 99"),
    ({"zone": "x", "landscape": [HAPPY_H]}, 400, "zone must be a whole number"),
    ({"zone": True, "landscape": [HAPPY_H]}, 400, "zone must be a whole number"),
    ({"landscape": [HAPPY_H]}, 400, "zone must be a whole number"),
    ({"zone": 1}, 400, "at least one image"),
    ({"zone": 1, "landscape": [], "portrait": []}, 400, "at least one image"),
    ({"zone": 1, "landscape": HAPPY_H}, 400, "landscape must be a list"),
    ({"zone": 1, "landscape": [3]}, 400, "keys or URLs"),
    ({"zone": 1, "landscape": ["https://elsewhere.example/emotions/HAPPY/rose%20h.jpeg"]}, 400,
     "not an image of this garden"),
    ({"zone": 1, "landscape": ["ftp://127.0.0.1:8000/emotions/HAPPY/rose%20h.jpeg"]}, 400,
     "not an image of this garden"),
    ({"zone": 1, "landscape": ["emotions/SAD/never h.jpeg"]}, 400, "not in the garden"),
    ({"zone": 1, "landscape": [POOL_H]}, 400, "expected a key under emotions/"),
    ({"zone": 1, "landscape": [HAPPY_H], "rotate": True}, 400, "unknown field 'rotate'"),
])
def test_bad_update_display_bodies_are_400(garden, body, status, words):
    got, answer, _ = call(garden, "POST", "/updateDisplay", body)
    assert got == status and words in answer["message"], answer


# --- follow the kiosk -------------------------------------------------------------------------
def test_a_follow_zone_shows_the_garden_of_the_last_reading(garden, rekognition, face_photo):
    call(garden, "PUT", "/zones/6", {"mode": "follow"})
    _, before, _ = call(garden, "GET", "/zones/6", key=None)
    assert before["mode"] == "follow" and before["emotion"] is None and before["poll"] == 3
    assert keys(before["landscape"]) == [SAD_H, HAPPY_H, OLD_H]      # newest of all, before any reading

    rekognition.add_response("detect_faces", reading("SAD"))
    response = garden.http.post("/emotion", body=face_photo, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 200 and json.loads(response.body)["emotions"] == "SAD"
    status, sad, _ = call(garden, "GET", "/zones/6", key=None,
                          headers={"If-None-Match": f'"{before["version"]}"'})
    assert status == 200 and sad["emotion"] == "SAD" and keys(sad["landscape"]) == [SAD_H]
    assert sad["portrait"] == []

    rekognition.add_response("detect_faces", reading("HAPPY"))
    garden.http.post("/emotion", body=face_photo, headers={"Content-Type": "image/jpeg"})
    _, happy, _ = call(garden, "GET", "/zones/6", key=None)
    assert happy["emotion"] == "HAPPY" and keys(happy["landscape"]) == [OLD_H, HAPPY_H]  # most liked first
    assert keys(happy["portrait"]) == [HAPPY_V] and happy["version"] != sad["version"]
    # only the emotion and the time were kept: nothing of the visitor
    from chalicelib.catalog import Reading
    kept = context.current().zone_store.last_reading()
    assert isinstance(kept, Reading) and kept.emotion == "HAPPY"
    # a zone in another mode is not moved by readings
    call(garden, "PUT", "/zones/6", {"mode": "loved", "emotion": "SAD"})
    assert call(garden, "GET", "/zones/6", key=None)[1]["emotion"] == "SAD"


def test_a_reading_that_cannot_be_recorded_never_fails_the_visitor(garden, rekognition, face_photo,
                                                                  monkeypatch):
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("the catalog is on fire")
    context.override(zone_store=Broken())
    rekognition.add_response("detect_faces", reading("ANGRY"))
    response = garden.http.post("/emotion", body=face_photo, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 200 and json.loads(response.body)["emotions"] == "ANGRY"


def test_no_face_records_nothing(garden, rekognition, face_photo):
    rekognition.add_response("detect_faces", {"FaceDetails": []})
    response = garden.http.post("/emotion", body=face_photo, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 404
    assert context.current().zone_store.last_reading() is None


# --- what a chosen zone may show: published garden images only ----------------------------------
def test_the_originals_zone_names_are_zone_numbers(garden):
    # the original's documents and pages name zones "zone1", "zone2"…
    for given, number in (("zone1", 1), ("zone2", 2), ("Zone12", 12)):
        status, stored, _ = call(garden, "POST", "/updateDisplay", {"zone": given, "landscape": [HAPPY_H]})
        assert status == 200 and stored["zone"] == number and stored["images"] == [HAPPY_H], stored
    _, body, _ = call(garden, "GET", "/zones/12", key=None)
    assert keys(body["landscape"]) == [HAPPY_H]


def test_an_image_only_in_the_pool_is_refused_by_its_garden_key_or_its_pool_link(garden):
    waiting = POOL_H.replace("pool/", "emotions/", 1)   # not published yet: no such garden image
    for body in ({"mode": "chosen", "images": [waiting]}, {"mode": "chosen", "images": [POOL_H]}):
        status, answer, _ = call(garden, "PUT", "/zones/5", body)
        assert status == 400, answer
    status, answer, _ = call(garden, "POST", "/updateDisplay", {"zone": 5, "landscape": [waiting]})
    assert status == 400 and "publish them first" in answer["message"], answer
    status, listed, _ = call(garden, "GET", "/zones")
    assert all(z["zone"] != 5 for z in listed["zones"])


def test_the_use_case_refuses_pool_keys_whatever_the_rules_let_through():
    from chalicelib import zones
    from chalicelib.catalog import ImageRecord
    from chalicelib.catalog.memory import MemoryImageIndex
    from chalicelib.errors import InvalidRequest
    index = MemoryImageIndex()
    for key, area in ((HAPPY_H, "emotions"), (POOL_H, "pool")):
        index.apply_created(ImageRecord(key=key, area=area, emotion="HAPPY", favorite=None,
                                        orientation="landscape", created_ms=1, size=1), "01")
    with pytest.raises(InvalidRequest, match="publish them first"):
        zones.garden_keys(index, [HAPPY_H, POOL_H])
    assert zones.garden_keys(index, [HAPPY_H]) == [HAPPY_H]


def test_a_stored_chosen_zone_never_shows_a_pool_image(garden):
    # a configuration that names one (written by an older version, restored by hand) shows
    # the garden images it names and nothing else
    context.current().zone_store.put_zone({"zone": 8, "mode": "chosen", "images": [POOL_H, HAPPY_H],
                                     "emotion": None, "caption": None, "interval": 8,
                                     "updated": "2026-01-01T00:00:00Z"})
    status, body, _ = call(garden, "GET", "/zones/8", key=None)
    assert status == 200 and keys(body["landscape"]) == [HAPPY_H] and body["portrait"] == []
