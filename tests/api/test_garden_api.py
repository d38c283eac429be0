"""The garden and like routes, through Chalice's test client, on the local stack."""
from __future__ import annotations

import json

import pytest

from chalicelib import bootstrap
from tests.images import jpeg


def plant(key: str, created: str = "2026-01-01T00:00:00Z") -> None:
    bootstrap.store().put(key, jpeg(prov={"prompt": "p", "createdAt": created}))


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
    bootstrap.store().delete("emotions/HAPPY/ah.jpeg")
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
    while True:
        _, body = get(client, "/garden?emotion=SAD&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen_h += [i["key"] for i in body["landscape"]]
        seen_v += [i["key"] for i in body["portrait"]]
        cursor = body.get("cursor")
        if not cursor:
            break
    assert len(seen_h) == 9 == len(set(seen_h)) and len(seen_v) == 4 == len(set(seen_v))


@pytest.mark.parametrize("query, message", [
    ("/garden?emotion=bliss", "HAPPY, SAD, ANGRY, CONFUSED, DISGUSTED, SURPRISED, CALM, FEAR"),
    ("/garden", "unknown emotion"),
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
    ({"id": "v1", "itemId": "/emotions/HAPPY/ah.jpeg"}, 400, ""),
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
    assert status == 400 and "limit" in body["message"]
