"""The garden and like routes, through Chalice's test client, on the local stack."""
from __future__ import annotations

import json

import pytest

from chalicelib.web import context
from tests.images import jpeg


def plant(key: str, created: str = "2026-01-01T00:00:00Z") -> None:
    context.current().store.put(key, jpeg(prov={"prompt": "p", "createdAt": created}))


def get(client, path: str):
    response = client.http.get(path)
    return response.status_code, json.loads(response.body or b"null")


def post(client, path: str, body, content_type="application/json"):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    response = client.http.post(path, body=raw, headers={"Content-Type": content_type})
    return response.status_code, json.loads(response.body or b"null")


def test_images_written_to_the_store_appear_in_the_garden(client):
    plant("emotions/HAPPY/rose/ah.jpeg")
    plant("emotions/HAPPY/bv.jpeg")
    plant("pool/HAPPY/ch.jpeg")      # awaiting review: not in the garden
    plant("emotions/SAD/dh.jpeg")
    status, body = get(client, "/garden?emotion=happy")
    assert status == 200 and body["emotion"] == "HAPPY"
    assert [i["key"] for i in body["landscape"]] == ["emotions/HAPPY/rose/ah.jpeg"]
    assert [i["key"] for i in body["portrait"]] == ["emotions/HAPPY/bv.jpeg"]
    item = body["landscape"][0]
    assert item["url"] == "http://127.0.0.1:8000/emotions/HAPPY/rose/ah.jpeg"
    assert item["favorite"] == "rose" and item["likes"] == 0 and item["createdAt"] == "2026-01-01T00:00:00.000Z"
    assert "cursor" not in body


def test_the_original_kiosk_post_gets_the_same_answer(client):
    plant("emotions/CALM/ah.jpeg")
    status, body = post(client, "/garden", {"id": "v1", "emotion": "CALM", "generation": "adult", "gender": "Female"})
    assert status == 200 and [i["key"] for i in body["landscape"]] == ["emotions/CALM/ah.jpeg"]


def test_deleted_images_disappear(client):
    plant("emotions/HAPPY/ah.jpeg")
    context.current().store.delete("emotions/HAPPY/ah.jpeg")
    status, body = get(client, "/garden?emotion=HAPPY")
    assert body["landscape"] == [] and body["empty"] is True and "HAPPY" in body["message"]


def test_most_liked_and_freshest_first_in_rank_order(client):
    plant("emotions/FEAR/oldh.jpeg", "2026-01-01T00:00:00Z")
    plant("emotions/FEAR/newh.jpeg", "2026-03-01T00:00:00Z")
    plant("emotions/FEAR/lovedh.jpeg", "2025-01-01T00:00:00Z")
    post(client, "/like", {"id": "v1", "itemId": "emotions/FEAR/lovedh.jpeg"})
    _, body = get(client, "/garden?emotion=FEAR&order=rank")
    assert [i["key"] for i in body["landscape"]] == [
        "emotions/FEAR/lovedh.jpeg", "emotions/FEAR/newh.jpeg", "emotions/FEAR/oldh.jpeg"]


def test_mixed_order_varies_between_calls_but_keeps_the_set(client):
    for n in range(12):
        plant(f"emotions/HAPPY/f{n:02d}h.jpeg", f"2026-01-{n + 1:02d}T00:00:00Z")
    firsts, sets = set(), set()
    for _ in range(30):
        _, body = get(client, "/garden?emotion=HAPPY&limit=12")
        keys = [i["key"] for i in body["landscape"]]
        firsts.add(tuple(keys[:3]))
        sets.add(frozenset(keys))
    assert len(sets) == 1 and len(firsts) > 1


def test_paging_visits_every_image_once(client):
    for n in range(9):
        plant(f"emotions/SAD/p{n}h.jpeg")
    for n in range(4):
        plant(f"emotions/SAD/p{n}v.jpeg")
    seen_h, seen_v, cursor = [], [], None
    for _ in range(5 + 2):       # 9 landscape images, 2 a page: 5 pages; a few more fail
        _, body = get(client, "/garden?emotion=SAD&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen_h += [i["key"] for i in body["landscape"]]
        seen_v += [i["key"] for i in body["portrait"]]
        cursor = body.get("cursor")
        if not cursor:
            break
    else:
        raise AssertionError(f"the pages never end: {len(seen_h)} landscape images seen")
    assert len(seen_h) == 9 == len(set(seen_h)) and len(seen_v) == 4 == len(set(seen_v))


@pytest.mark.parametrize("query, message", [
    ("/garden?emotion=bliss", "HAPPY, SAD, ANGRY, CONFUSED, DISGUSTED, SURPRISED, CALM, FEAR"),
    ("/garden", "emotion is required"),
    ("/garden?emotion=", "emotion is required"),
    ("/garden?emotion=HAPPY&limit=0", "limit"),
    ("/garden?emotion=HAPPY&limit=x", "limit"),
    ("/garden?emotion=HAPPY&cursor=garbage!!", "cursor"),
    ("/garden?emotion=HAPPY&order=random", "order"),
    ("/garden?emotion=HAPPY&limit=²", "limit"),
    ("/garden?emotion=HAPPY&limit=" + "9" * 5000, "limit"),
])
def test_bad_garden_queries_get_400_with_a_message(client, query, message):
    status, body = get(client, query)
    assert status == 400 and message in body["message"]


def test_like_counts_once_per_visitor(client):
    plant("emotions/HAPPY/ah.jpeg")
    assert post(client, "/like", {"id": "v1", "itemId": "emotions/HAPPY/ah.jpeg"}) == (
        200, {"itemId": "emotions/HAPPY/ah.jpeg", "likes": 1, "counted": True})
    assert post(client, "/like", {"id": "v1", "itemId": "emotions/HAPPY/ah.jpeg"})[1]["likes"] == 1
    url = "http://127.0.0.1:8000/emotions/HAPPY/ah.jpeg"
    assert post(client, "/like", {"id": "v2", "itemId": url})[1]["likes"] == 2


@pytest.mark.parametrize("body, status, message", [
    ({"id": "v1", "itemId": "emotions/HAPPY/nothingh.jpeg"}, 404, ""),
    ({"id": "v1", "itemId": "../../etc/passwd"}, 400, ".."),
    ({"id": "v1", "itemId": "/emotions/HAPPY/ah.jpeg"}, 404, ""),   # a URL path: no such image
    ({"id": "v1", "itemId": "pool/HAPPY/ah.jpeg"}, 400, "not a garden image"),
    ({"itemId": "emotions/HAPPY/ah.jpeg"}, 400, "id"),
    ({"id": "v1"}, 400, "itemId"),
    ([1, 2], 400, "JSON object"),
])
def test_bad_likes_get_clear_errors(client, body, status, message):
    got_status, got = post(client, "/like", body)
    assert got_status == status and message in got["message"]


def test_malformed_json_is_400_and_wrong_type_is_415(client):
    assert post(client, "/like", "{not json")[0] == 400
    assert post(client, "/like", "id=1", content_type="application/x-www-form-urlencoded")[0] == 415


def test_an_oversize_json_body_is_413(client):
    status, body = post(client, "/like", {"id": "v", "itemId": "x" * 70_000})
    assert status == 413


@pytest.mark.parametrize("limit", [1e400, True, 2.9, "Infinity", [3]])
def test_the_original_post_with_a_strange_limit_is_400(client, limit):
    status, body = post(client, "/garden", {"emotion": "HAPPY", "limit": limit})
    # 1e400 travels as Infinity, which is not JSON: the whole body is refused, saying why
    assert status == 400 and ("limit" in body["message"] or "finite number" in body["message"])


# --- the learned order: impressions and likes move it ------------------------------------------
def impressions(client, visit, keys, **context):
    return post(client, "/impressions", {"id": visit, "itemIds": keys, "context": {"emotion": "HAPPY", **context}})


def firsts(client, query, n=20):
    return [get(client, query)[1]["landscape"][0]["key"] for _ in range(n)]


def test_impressions_and_likes_move_the_learned_order(client):
    keys = [f"emotions/HAPPY/l{n}h.jpeg" for n in range(6)]
    for n, key in enumerate(keys):
        plant(key, f"2026-01-0{n + 1}T00:00:00Z")
    star, dud = keys[0], keys[5]      # the oldest and the newest
    # before anything is known, the newest is not always first: the order explores
    assert len(set(firsts(client, "/garden?emotion=HAPPY"))) > 1
    for v in range(40):
        status, body = impressions(client, f"visit-{v}", keys)
        assert status == 200 and body["counted"] == 6
        assert post(client, "/like", {"id": f"visit-{v}", "itemId": star})[0] == 200
    assert impressions(client, "visit-0", keys)[1] == {"counted": 0, "itemIds": []}  # once per visit
    seen = firsts(client, "/garden?emotion=HAPPY")
    assert seen.count(star) >= 19
    # rank order knows likes but not impressions; fresh order knows neither
    assert get(client, "/garden?emotion=HAPPY&order=rank")[1]["landscape"][0]["key"] == star
    fresh = get(client, "/garden?emotion=HAPPY&order=fresh")[1]
    assert fresh["order"] == "fresh" and [i["key"] for i in fresh["landscape"]] == keys[::-1]
    assert dud not in seen


def test_a_generation_learns_its_own_favourite(client):
    teen, elder = "emotions/CALM/teenh.jpeg", "emotions/CALM/elderh.jpeg"
    plant(teen)
    plant(elder)
    for v in range(30):
        for generation, loved in (("teenager", teen), ("elder", elder)):
            visit = f"{generation}-{v}"
            post(client, "/impressions", {"id": visit, "itemIds": [teen, elder],
                                          "context": {"emotion": "CALM", "generation": generation}})
            post(client, "/like", {"id": visit, "itemId": loved, "context": {"generation": generation}})
    assert firsts(client, "/garden?emotion=CALM&generation=teenager").count(teen) >= 19
    assert firsts(client, "/garden?emotion=CALM&generation=elder").count(elder) >= 19
    status, body = post(client, "/garden", {"id": "v", "emotion": "CALM", "generation": "elder",
                                            "gender": "Female"})
    assert status == 200 and len(body["landscape"]) == 2


def test_the_learned_pages_of_a_visit_never_repeat_an_image(client):
    for n in range(23):
        plant(f"emotions/SAD/r{n:02d}h.jpeg")
    for n in range(5):
        plant(f"emotions/SAD/r{n:02d}v.jpeg")
    impressions(client, "v", ["emotions/SAD/r01h.jpeg"], generation="adult")
    seen_h, seen_v, cursor, pages = [], [], None, 0
    while True:
        _, body = get(client, "/garden?emotion=SAD&limit=4&generation=adult"
                      + (f"&cursor={cursor}" if cursor else ""))
        seen_h += [i["key"] for i in body["landscape"]]
        seen_v += [i["key"] for i in body["portrait"]]
        cursor, pages = body.get("cursor"), pages + 1
        if not cursor:
            break
    assert pages == 6
    assert len(seen_h) == 23 == len(set(seen_h)) and len(seen_v) == 5 == len(set(seen_v))


def test_a_like_counts_its_image_and_the_originals_impression_list_as_seen(client):
    from chalicelib.rules.bandit import Counts
    keys = [f"emotions/FEAR/i{n}h.jpeg" for n in range(3)]
    for key in keys:
        plant(key)
    status, body = post(client, "/like", {"id": "v1", "itemId": keys[0], "impression": keys[1:],
                                          "context": {"emotion": "FEAR", "generation": "child"}})
    assert status == 200 and body["counted"] is True
    got = context.current().engagement.counters(keys, ["*", "g=child"])
    assert got[keys[0]] == {"*": Counts(1, 1), "g=child": Counts(1, 1)}
    assert got[keys[1]] == got[keys[2]] == {"*": Counts(1, 0), "g=child": Counts(1, 0)}
    # the same like again counts nothing more
    post(client, "/like", {"id": "v1", "itemId": keys[0], "context": {"generation": "child"}})
    assert context.current().engagement.counters(keys[:1], ["*"])[keys[0]] == {"*": Counts(1, 1)}


def test_gender_is_a_segment_only_when_the_operator_allows_it(client, monkeypatch):
    from chalicelib.rules.bandit import Counts
    key = "emotions/HAPPY/gh.jpeg"
    plant(key)
    impressions(client, "v1", [key], generation="adult", gender="Female")
    index = context.current().engagement
    assert index.counters([key], ["*", "g=adult", "g=adult|s=female"])[key] == {
        "*": Counts(1, 0), "g=adult": Counts(1, 0)}
    monkeypatch.setenv("GARDEN_CONTEXT_GENDER", "1")
    context.forget()
    impressions(client, "v2", [key], generation="adult", gender="Female")
    assert context.current().engagement.counters([key], ["g=adult|s=female"])[key] == {
        "g=adult|s=female": Counts(1, 0)}


def test_impressions_of_images_no_longer_in_the_garden_count_nothing(client):
    plant("emotions/HAPPY/goneh.jpeg")
    context.current().store.delete("emotions/HAPPY/goneh.jpeg")
    assert impressions(client, "v", ["emotions/HAPPY/goneh.jpeg", "emotions/HAPPY/neverh.jpeg"]) == (
        200, {"counted": 0, "itemIds": []})


@pytest.mark.parametrize("body, message", [
    ({"itemIds": ["emotions/HAPPY/ah.jpeg"]}, "id"),
    ({"id": "", "itemIds": ["emotions/HAPPY/ah.jpeg"]}, "id"),
    ({"id": "v" * 129, "itemIds": ["emotions/HAPPY/ah.jpeg"]}, "id"),
    ({"id": "v"}, "itemIds"),
    ({"id": "v", "itemIds": []}, "itemIds"),
    ({"id": "v", "itemIds": "emotions/HAPPY/ah.jpeg"}, "itemIds"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"] * 51}, "itemIds"),
    ({"id": "v", "itemIds": [7]}, "itemId"),
    ({"id": "v", "itemIds": ["../etc/passwd"]}, ".."),
    ({"id": "v", "itemIds": ["pool/HAPPY/ah.jpeg"]}, "not a garden image"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/a\u0000h.jpeg"]}, ""),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": "adult"}, "context"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"generation": "ancient"}}, "generation"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"generation": 40}}, "generation"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"emotion": "bliss"}}, "HAPPY"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"favorite": "a rose!"}}, "favorite"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"favorite": "r" * 65}}, "favorite"),
    ({"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"gender": "robot"}}, "gender"),
    ([["v"]], "JSON object"),
])
def test_bad_impressions_get_400_with_a_message(client, body, message):
    plant("emotions/HAPPY/ah.jpeg")
    status, got = post(client, "/impressions", body)
    assert status == 400 and message in got["message"]
    assert context.current().engagement.counters(["emotions/HAPPY/ah.jpeg"], ["*"]) == {}


@pytest.mark.parametrize("raw", [
    '{"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"favorite": "\\ud800"}}',
    '{"id": "\\ud800", "itemIds": ["emotions/HAPPY/ah.jpeg"]}',
    '{"id": "v", "itemIds": ' + "[" * 5000 + "]" * 5000 + '}',
    '{"id": "v", "itemIds": ["emotions/HAPPY/ah.jpeg"], "context": {"generation": 1' + "0" * 5000 + '}}',
])
def test_hostile_impressions_are_refused_cleanly(client, raw):
    plant("emotions/HAPPY/ah.jpeg")
    status, got = post(client, "/impressions", raw)
    assert status == 400 and got["message"]


@pytest.mark.parametrize("query, message", [
    ("/garden?emotion=HAPPY&generation=old", "generation"),
    ("/garden?emotion=HAPPY&favorite=%00", "favorite"),
    ("/garden?emotion=HAPPY&order=rank&cursor=" + "eyJsZWFybiI6e319", "cursor"),
    ("/garden?emotion=HAPPY&cursor=eyJsYW5kc2NhcGUiOiIifQ", "cursor"),
])
def test_bad_learned_queries_get_400(client, query, message):
    status, body = get(client, query)
    assert status == 400 and message in body["message"]


def test_a_learned_cursor_stays_within_bounds_over_many_pages(client):
    for n in range(130):
        plant(f"emotions/DISGUSTED/m{n:03d}h.jpeg")
    cursor, seen, pages = None, [], 0
    while True:
        status, body = get(client, "/garden?emotion=DISGUSTED&limit=7" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200
        seen += [i["key"] for i in body["landscape"]]
        cursor, pages = body.get("cursor"), pages + 1
        if not cursor:
            break
        assert len(cursor) < 4096
    assert len(seen) == 130 == len(set(seen))
