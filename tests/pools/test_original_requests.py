"""The original system's pages and operator scripts, as they send their requests (the exact
bodies), against ours: favorite-first gardens, likes by URL path, bulk and remove in the
original's shapes, and favorites as a dimension (GET /garden?favorite=, GET /favorites)."""
from __future__ import annotations

import json

import pytest

from chalicelib.web import context
from tests.pools.conftest import call, plant, wait_for_job

FAV = "spring,cloudy,day"


def keys(answer: dict, orientation: str = "landscape") -> list[str]:
    return [i["key"] for i in answer[orientation]]


@pytest.fixture
def garden():
    """A happy garden of three favorite images (two landscape, one portrait) and four others."""
    fav = [f"emotions/happy/{FAV}/img_1h.jpeg", f"emotions/happy/{FAV}/img_2h.jpeg",
           f"emotions/happy/{FAV}/img_3v.jpeg"]
    rest = ["emotions/HAPPY/img_4h.jpeg", "emotions/HAPPY/cat/img_5h.jpeg",
            "emotions/HAPPY/img_6v.jpeg", "emotions/HAPPY/img_7h.jpeg"]
    for key in fav + rest:
        plant(key)
    plant("emotions/SAD/img_8h.jpeg")
    return fav, rest


@pytest.mark.parametrize("emotion", [f"happy/{FAV}", f"HAPPY/{FAV}", f"Happy/{FAV.upper()}"])
def test_the_original_kiosk_post_with_a_favorite_gets_it_first_then_the_rest(client, garden, emotion):
    fav, rest = garden
    body = {"id": "c3f1a2b4-visitor", "emotion": emotion, "generation": "adult", "gender": "Female"}
    status, answer = call(client, "POST", "/garden", body, key=None)
    assert status == 200 and answer["emotion"] == "HAPPY" and answer["favorite"] == FAV
    for orientation in ("landscape", "portrait"):
        items = answer[orientation]
        flags = [i["favorite"] == FAV for i in items]
        assert flags == sorted(flags, reverse=True)        # the favorite's images first
        shown = [i["key"] for i in items]
        assert len(shown) == len(set(shown))               # none twice
    assert set(keys(answer)) == {fav[0], fav[1], rest[0], rest[1], rest[3]}
    assert set(keys(answer, "portrait")) == {fav[2], rest[2]}
    assert "SAD" not in json.dumps(answer)


@pytest.mark.parametrize("emotion", ["happy", "HAPPY", "happy/", "Happy/"])
def test_the_original_kiosk_post_without_a_favorite_gets_the_whole_garden(client, garden, emotion):
    status, answer = call(client, "POST", "/garden", {"id": "v", "emotion": emotion,
                                                      "generation": "teenager", "gender": "Male"},
                          key=None)
    assert status == 200 and "favorite" not in answer
    assert len(answer["landscape"]) == 5 and len(answer["portrait"]) == 2


def test_garden_from_db_answers_the_same_shape(client, garden):
    fav, _ = garden
    status, answer = call(client, "POST", "/gardenfromDB", {"emotion": f"happy/{FAV}"}, key=None)
    assert status == 200 and set(answer) >= {"landscape", "portrait"}
    assert set(keys(answer)[:2]) == set(fav[:2])
    assert {i["favorite"] for i in answer["landscape"][:2]} == {FAV}
    status, plain = call(client, "POST", "/gardenfromDB", {"emotion": "happy"}, key=None)
    assert status == 200 and len(plain["landscape"]) == 5


def test_a_favorite_with_no_images_still_fills_the_screen(client, garden):
    status, answer = call(client, "POST", "/garden", {"id": "v", "emotion": "happy/winter,snowy,night"},
                          key=None)
    assert status == 200 and len(answer["landscape"]) == 5 and "empty" not in answer
    assert all(i["favorite"] != "winter,snowy,night" for i in answer["landscape"])


@pytest.mark.parametrize("order", ["learned", "rank", "fresh"])
def test_favorite_first_pages_show_every_image_once(client, garden, order):
    fav, rest = garden
    seen, cursor, pages = [], None, 0
    while True:
        path = f"/garden?emotion=HAPPY&favorite={FAV.replace(',', '%2C')}&limit=1&order={order}"
        status, answer = call(client, "GET", path + (f"&cursor={cursor}" if cursor else ""), key=None)
        assert status == 200 and len(answer["landscape"]) <= 1 and len(answer["portrait"]) <= 1
        seen += keys(answer) + keys(answer, "portrait")
        pages += 1
        cursor = answer.get("cursor")
        if not cursor or pages > 20:
            break
    assert sorted(seen) == sorted(fav + rest)
    landscape = [k for k in seen if k.endswith("h.jpeg")]
    assert set(landscape[:2]) == set(fav[:2])              # favorite first, then the rest


@pytest.mark.parametrize("favorite", ["a/b", "x" * 65, "rose!", ",spring", "%00", "\u00a0"])
def test_a_bad_favorite_is_a_clear_400(client, favorite):
    from urllib.parse import quote
    status, answer = call(client, "GET", f"/garden?emotion=HAPPY&favorite={quote(favorite)}", key=None)
    assert status == (200 if favorite == "\u00a0" else 400), answer   # blank: no favorite
    if status == 400:
        assert "favorite" in answer["message"]
    status, answer = call(client, "POST", "/garden", {"id": "v", "emotion": f"happy/{favorite}"}, key=None)
    assert status == (200 if favorite == "\u00a0" else 400), answer


def test_two_different_favorites_in_one_request_are_refused(client):
    status, answer = call(client, "POST", "/garden", {"id": "v", "emotion": "happy/cat", "favorite": "dog"},
                          key=None)
    assert status == 400 and "favorite" in answer["message"]


def test_favorites_lists_an_emotions_favorites_with_counts(client, garden):
    status, answer = call(client, "GET", "/favorites?emotion=happy", key=None)
    assert status == 200 and answer == {"emotion": "HAPPY", "favorites": [
        {"favorite": FAV, "images": 3}, {"favorite": "cat", "images": 1}]}
    assert call(client, "GET", "/favorites?emotion=FEAR", key=None)[1]["favorites"] == []
    assert call(client, "GET", "/favorites?emotion=BORED", key=None)[0] == 400
    assert call(client, "GET", "/favorites", key=None)[0] == 400


@pytest.mark.parametrize("form", [
    "/emotions/happy/spring%2Ccloudy%2Cday/img_1h.jpeg",      # URL-encoded path (the pages')
    "/emotions/happy/spring,cloudy,day/img_1h.jpeg",          # decoded path
    "emotions/happy/spring%2Ccloudy%2Cday/img_1h.jpeg",
    "http://127.0.0.1:8000/emotions/happy/spring%2Ccloudy%2Cday/img_1h.jpeg",
])
def test_the_original_like_finds_the_image_by_its_url_path(client, garden, form):
    fav, rest = garden
    body = {"id": "c3f1a2b4-visitor", "itemId": form,
            "impression": ["/emotions/HAPPY/img_4h.jpeg", "/emotions/happy/spring%2Ccloudy%2Cday/img_2h.jpeg"]}
    status, answer = call(client, "POST", "/like", body, key=None)
    assert status == 200 and answer == {"itemId": fav[0], "likes": 1, "counted": True}
    assert context.current().image_index.get_image(fav[0]).likes == 1


@pytest.mark.parametrize("item", ["/emotions/happy/%E9%FF/img_1h.jpeg", "/pool/HAPPY/img_1h.jpeg", "/%2e%2e/x.jpeg"])
def test_an_original_like_of_no_garden_image_is_a_400(client, garden, item):
    status, answer = call(client, "POST", "/like", {"id": "v", "itemId": item}, key=None)
    assert status == 400 and "message" in answer


def test_the_original_bulk_request_makes_its_image_in_the_pool(client):
    prompt = json.dumps({"emotion": "happy", "favorite": FAV, "emotionText": "joyful", "others": "soft light"})
    body = {"index": 3, "prompt": prompt, "fname": f"imgPool/happy/{FAV}/img_20230301_3h"}
    status, started = call(client, "POST", "/bulk", body)
    assert status == 202 and started["requested"] == 1
    assert "spring, cloudy, day" in started["prompt"] and "soft light" in started["prompt"]
    job = wait_for_job(client, started["jobId"])
    assert job["status"] == "SUCCEEDED"
    made = job["images"][0]["key"]
    assert made.startswith(f"pool/HAPPY/{FAV}/") and made.endswith("h.jpeg")
    # the emotion and favorite may come from fname alone
    status, started = call(client, "POST", "/bulk", {"index": 0, "prompt": "{}", "fname": "imgPool/sad/rose/img_0"})
    assert status == 202 and started["requested"] == 2


@pytest.mark.parametrize("body, word", [
    ({"index": 0, "prompt": "not json", "fname": "imgPool/happy/x"}, "prompt"),
    ({"index": 0, "prompt": "[1]", "fname": "imgPool/happy/x"}, "prompt"),
    ({"index": 0, "prompt": "{}", "fname": "imgPool/bored/x"}, "emotion"),
    ({"index": -1, "prompt": "{}", "fname": "imgPool/happy/x"}, "index"),
    ({"index": 0, "prompt": "{}", "fname": "imgPool/happy/a!b/x"}, "favorite"),
    ({"index": 0, "prompt": "{}", "fname": "a/b/c/d/e"}, "fname"),
    ({"index": 0, "prompt": "[" * 100 + "]" * 100, "fname": "imgPool/happy/x"}, "prompt"),
])
def test_an_original_bulk_request_that_cannot_be_translated_is_a_clear_400(client, body, word):
    status, answer = call(client, "POST", "/bulk", body)
    assert status == 400 and word in answer["message"], answer


def test_the_original_bulk_and_remove_need_the_admin_key(client):
    assert call(client, "POST", "/bulk", {"index": 0, "prompt": "{}", "fname": "imgPool/happy/x"}, key=None)[0] == 401
    assert call(client, "POST", "/remove", {"objName": ["imgPool/happy/x.jpeg"]}, key=None)[0] == 401


@pytest.mark.parametrize("as_string", [False, True])
def test_the_original_remove_takes_a_list_or_its_json_string(client, as_string):
    plant("pool/HAPPY/img_1h.jpeg")
    plant(f"emotions/happy/{FAV}/img_2v.jpeg")
    names = ["imgPool/HAPPY/img_1h.jpeg", f"emotions/happy/{FAV}/img_2v.jpeg", "imgPool/HAPPY/none_h.jpeg"]
    status, answer = call(client, "POST", "/remove", {"objName": json.dumps(names) if as_string else names})
    assert answer["succeeded"] == 2 and answer["failed"] == 1
    assert [(r["key"], r["status"]) for r in answer["results"]] == [
        ("pool/HAPPY/img_1h.jpeg", 200), (names[1], 200), ("pool/HAPPY/none_h.jpeg", 404)]
    assert not context.current().store.exists("pool/HAPPY/img_1h.jpeg")
    assert not context.current().store.exists(f"emotions/happy/{FAV}/img_2v.jpeg")


@pytest.mark.parametrize("body", [{"objName": 7}, {"objName": "[1, "}, {"objName": {"a": 1}}])
def test_an_original_remove_that_cannot_be_read_is_a_400(client, body):
    status, answer = call(client, "POST", "/remove", body)
    assert status == 400 and "objName" in answer["message"]


def test_bulk_makes_count_images_per_favorite_of_a_matrix(client):
    body = {"emotion": "CALM", "count": 1, "orientations": ["landscape"],
            "matrix": {"season": ["spring", "winter"], "weather": ["cloudy"], "time": ["day", "night"]}}
    status, started = call(client, "POST", "/bulk", body)
    assert status == 202 and started["requested"] == 4
    job = wait_for_job(client, started["jobId"])
    assert job["status"] == "SUCCEEDED"
    made = sorted(i["key"].split("/")[2] for i in job["images"])
    assert made == ["spring,cloudy,day", "spring,cloudy,night", "winter,cloudy,day", "winter,cloudy,night"]
    for image in job["images"]:
        record = context.current().image_index.get_image(image["key"])
        words = record.favorite.replace(",", ", ")
        assert words in record.provenance["prompt"] and record.provenance["favorite"] == record.favorite
    _, overview = call(client, "GET", "/admin/overview")
    calm = next(r for r in overview["emotions"] if r["emotion"] == "CALM")
    assert {f["favorite"]: f["pool"] for f in calm["favorites"]} == {m: 1 for m in made}


@pytest.mark.parametrize("body, word", [
    ({"emotion": "CALM", "count": 1, "favorites": []}, "favorites"),
    ({"emotion": "CALM", "count": 1, "favorites": ["ok", "bad/one"]}, "favorite"),
    ({"emotion": "CALM", "count": 1, "favorites": ["a"], "matrix": {"season": ["b"]}}, "not both"),
    ({"emotion": "CALM", "count": 1, "favorite": "a", "favorites": ["b"]}, "not both"),
    ({"emotion": "CALM", "count": 1, "matrix": {"mood": ["x"]}}, "matrix"),
    ({"emotion": "CALM", "count": 1, "matrix": {"season": "spring"}}, "matrix.season"),
    ({"emotion": "CALM", "count": 1, "matrix": {"season": ["a,b"]}}, "matrix.season"),
    ({"emotion": "CALM", "count": 1, "matrix": {"season": [f"s{i}" for i in range(11)],
                                               "time": [f"t{i}" for i in range(10)]}}, "more than"),
    ({"emotion": "CALM", "count": 500, "favorites": ["a", "b"]}, "at most 1000"),
])
def test_bad_favorites_or_matrices_are_clear_400s(client, body, word):
    status, answer = call(client, "POST", "/bulk", body)
    assert status == 400 and word in answer["message"], answer


def test_a_favorite_with_commas_is_a_learning_segment_too(client, garden):
    fav, _ = garden
    body = {"id": "v9", "itemIds": [fav[0], fav[2]], "context": {"generation": "adult", "favorite": FAV}}
    assert call(client, "POST", "/impressions", body, key=None)[1]["counted"] == 2
    status, liked = call(client, "POST", "/like", {"id": "v9", "itemId": fav[0], "context": body["context"]},
                         key=None)
    assert status == 200 and liked["counted"] is True
    counts = context.current().engagement.counters([fav[0]], [f"g=adult|f={FAV}"])
    assert counts[fav[0]][f"g=adult|f={FAV}"].likes == 1


# --- the original's pool page: /retrieve, /removePool, /clearIndex; its bulk page's names -------
def _parsed(answer: dict):
    """What the original's pages read: ``JSON.parse(response.body)``."""
    assert answer["statusCode"] == 200
    return json.loads(answer["body"])


@pytest.mark.parametrize("emotion", [json.dumps("happy"), "happy", "HAPPY", json.dumps(f"happy/{FAV}")])
def test_retrieve_lists_the_pool_as_the_pool_page_asks(client, emotion):
    plant("pool/HAPPY/img_1h.jpeg")
    plant(f"pool/happy/{FAV}/img_2v.jpeg")
    plant("pool/SAD/img_3h.jpeg")
    plant("emotions/HAPPY/img_4h.jpeg")                      # published: not in the pool
    status, answer = call(client, "POST", "/retrieve", {"emotion": emotion})
    assert status == 200, answer
    urls = _parsed(answer)
    # a favorite names its own pool folder, as the original's listing of its prefix did
    wanted = {"img_2v.jpeg"} if FAV in emotion else {"img_1h.jpeg", "img_2v.jpeg"}
    assert urls == answer["urls"] and answer["total"] == len(urls) == len(wanted)
    assert {u.split("?")[0].rsplit("/", 1)[1] for u in urls} == wanted
    assert all("signature=" in u for u in urls)              # the pool's links expire
    assert [i["key"] for i in answer["landscape"]] == ([] if FAV in emotion else ["pool/HAPPY/img_1h.jpeg"])


@pytest.mark.parametrize("body", [{}, {"emotion": ""}, {"emotion": 3}, {"emotion": "bored"},
                                  {"emotion": json.dumps(["happy"])}, {"emotion": '"happy'}])
def test_a_retrieve_that_cannot_be_read_is_a_400(client, body):
    status, answer = call(client, "POST", "/retrieve", body)
    assert status == 400 and answer["message"], answer


@pytest.mark.parametrize("route, body", [
    ("/retrieve", {"emotion": "happy"}), ("/removePool", {"objName": ["imgPool/happy/a_1h.jpeg"]}),
    ("/clearIndex", {"objName": "imgPool/happy/a_1h.jpeg"})])
def test_the_pool_pages_routes_need_the_admin_key(client, route, body):
    assert call(client, "POST", route, body, key=None)[0] == 401
    assert call(client, "POST", route, body, key="wrong-key-0123456789")[0] == 403


@pytest.mark.parametrize("as_string", [False, True])
def test_remove_pool_removes_pool_images_only(client, as_string):
    plant("pool/HAPPY/img_1h.jpeg")
    plant("emotions/HAPPY/img_2h.jpeg")
    names = ["imgPool/HAPPY/img_1h.jpeg", "emotions/HAPPY/img_2h.jpeg", "imgPool/HAPPY/none_1h.jpeg"]
    status, answer = call(client, "POST", "/removePool", {"objName": json.dumps(names) if as_string else names})
    assert status == 200 and answer["succeeded"] == 1 and answer["failed"] == 2
    assert [(r["key"], r["status"]) for r in _parsed(answer)] == [
        ("pool/HAPPY/img_1h.jpeg", 200), ("emotions/HAPPY/img_2h.jpeg", 400),
        ("pool/HAPPY/none_1h.jpeg", 404)]
    assert not context.current().store.exists("pool/HAPPY/img_1h.jpeg")
    assert context.current().store.exists("emotions/HAPPY/img_2h.jpeg")   # a published image stays


@pytest.mark.parametrize("spelling", ["plain", "json", "list"])
def test_clear_index_brings_the_named_entries_back_in_line_with_the_store(client, spelling):
    plant("pool/HAPPY/img_1h.jpeg")
    plant("pool/HAPPY/img_2h.jpeg")
    # the store changed behind the index's back (an event lost): one file gone, one entry gone
    (context.current().settings.data_dir / "objects" / "pool/HAPPY/img_1h.jpeg").unlink()
    context.current().image_index.forget("pool/HAPPY/img_2h.jpeg")
    listed = lambda: [i["key"] for i in call(client, "GET", "/pool?emotion=HAPPY")[1]["landscape"]]  # noqa: E731
    assert listed() == ["pool/HAPPY/img_1h.jpeg"]
    for name, outcome in (("imgPool/HAPPY/img_1h.jpeg", {"indexed": None, "forgotten": True}),
                          ("imgPool/HAPPY/img_2h.jpeg", {"indexed": "added"})):
        sent = {"plain": name, "json": json.dumps(name), "list": [name]}[spelling]
        status, answer = call(client, "POST", "/clearIndex", {"objName": sent})
        assert status == 200 and answer["succeeded"] == 1, answer
        [result] = _parsed(answer)
        assert result == {"key": name.replace("imgPool/", "pool/"), "status": 200, **outcome}
    assert listed() == ["pool/HAPPY/img_2h.jpeg"]


def test_clear_index_refuses_what_is_no_image_key(client):
    status, answer = call(client, "POST", "/clearIndex", {"objName": ["a/b", "text2image/j/0.jpeg"]})
    assert status == 200 and answer["failed"] == 2
    assert [r["status"] for r in answer["results"]] == [400, 400]


@pytest.mark.parametrize("fname, index, name, orientations", [
    # the bulk page: fname is a prefix; its Update view looks for {fname}_{index}h|v.jpeg
    ("imgPool/calm/img_20230301-120000", 3, "img_20230301-120000_3", None),
    (f"imgPool/happy/{FAV}/img_20230319-131015", 0, "img_20230319-131015_0", None),
    ("imgPool/calm/img_20230301-120000.jpeg", 7, "img_20230301-120000_7", None),
    # an fname ending in h or v names its one image
    (f"imgPool/happy/{FAV}/img_3h", 5, "img_3", ["landscape"]),
    ("imgPool/happy/img_3v.jpeg", 5, "img_3", ["portrait"]),
    ("emotions/happy/img_3h.jpeg", 0, "img_3", ["landscape"]),
])
def test_the_original_bulk_body_names_its_images_as_the_original_did(fname, index, name, orientations):
    from chalicelib.rules import original
    prompt = json.dumps({"emotion": "calm", "favorite": "", "others": "soft light"})
    body = original.bulk_body({"index": index, "prompt": prompt, "fname": fname})
    assert body["name"] == name and body["count"] == 1
    assert body.get("orientations") == orientations


def test_the_bulk_pages_update_view_finds_its_images(client):
    prompt = json.dumps({"emotion": "calm", "favorite": "", "others": "soft light"})
    status, started = call(client, "POST", "/bulk", {"index": 3, "prompt": prompt,
                                                      "fname": "imgPool/calm/img_20230301-120000"})
    assert status == 202 and started["requested"] == 2
    job = wait_for_job(client, started["jobId"])
    assert sorted(i["key"] for i in job["images"]) == [
        "pool/CALM/img_20230301-120000_3h.jpeg", "pool/CALM/img_20230301-120000_3v.jpeg"]
