"""Bulk → pool → publish → garden → like → remove, through the routes, on the local stack with
the local workflow engine and the embedded painter endpoints; and every bad input."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib.web import context
from chalicelib.rules import provenance
from tests.pools.conftest import call, plant, wait_for_job


def test_the_full_local_flow(client):
    status, started = call(client, "POST", "/bulk", {"emotion": "happy", "count": 2, "favorite": "Rose",
                                                     "others": "morning dew"})
    assert status == 202 and started["statusUrl"] == f"/jobs/{started['jobId']}"
    job = wait_for_job(client, started["jobId"])
    assert job["status"] == "SUCCEEDED" and job["kind"] == "bulk"
    assert job["requested"] == job["completed"] == 4 and job["errors"] == []

    # the pool holds two landscape 1280x800 and two portrait 800x1280 images with provenance
    status, pool = call(client, "GET", "/pool?emotion=HAPPY")
    assert status == 200
    assert len(pool["landscape"]) == 2 and len(pool["portrait"]) == 2
    for orientation, size in (("landscape", (1280, 800)), ("portrait", (800, 1280))):
        for item in pool[orientation]:
            assert item["key"].startswith("pool/HAPPY/rose/img_" + started["jobId"])
            assert item["key"].endswith(("h" if orientation == "landscape" else "v") + ".jpeg")
            data = context.current().store.get(item["key"])
            assert Image.open(io.BytesIO(data)).size == size
            prov = item["provenance"]
            assert prov == provenance.read(data)
            assert prov["prompt"].startswith("A flower, rose, ") and "morning dew" in prov["prompt"]
            assert (prov["width"], prov["height"]) == size
            assert prov["emotion"] == "HAPPY" and prov["favorite"] == "rose" and prov["jobId"] == started["jobId"]
    seeds = [i["provenance"]["seed"] for o in ("landscape", "portrait") for i in pool[o]]
    assert len(set(seeds)) == 4                     # a different seed per image
    assert call(client, "GET", "/garden?emotion=HAPPY")[1]["empty"] is True

    # publish three, keep one in the pool
    chosen = [pool["landscape"][0]["key"], pool["landscape"][1]["key"], pool["portrait"][0]["key"]]
    status, published = call(client, "POST", "/pool/publish", {"keys": chosen})
    assert status == 200 and published["succeeded"] == 3 and published["failed"] == 0
    garden_keys = [r["publishedAs"] for r in published["results"]]
    assert garden_keys == [k.replace("pool/", "emotions/", 1) for k in chosen]
    _, garden = call(client, "GET", "/garden?emotion=HAPPY&order=rank")
    assert sorted(i["key"] for i in garden["landscape"] + garden["portrait"]) == sorted(garden_keys)
    _, pool = call(client, "GET", "/pool?emotion=HAPPY")
    assert pool["landscape"] == [] and len(pool["portrait"]) == 1
    assert pool["portrait"][0]["key"] not in chosen
    assert not any(context.current().store.exists(k) for k in chosen)
    moved = context.current().image_index.get_image(garden_keys[0])
    assert moved.provenance["jobId"] == started["jobId"]   # provenance travelled with the image

    # a visitor likes one; the overview counts it
    status, liked = call(client, "POST", "/like", {"id": "visitor-1", "itemId": garden_keys[0]}, key=None)
    assert status == 200 and liked["likes"] == 1
    _, overview = call(client, "GET", "/admin/overview")
    happy = next(r for r in overview["emotions"] if r["emotion"] == "HAPPY")
    assert happy == {"emotion": "HAPPY", "published": 3, "pool": 1, "likes": 1, "empty": False, "thin": True,
                     "favorites": [{"favorite": "rose", "published": 3, "pool": 1}],
                     "loved": {"best": [], "least": [], "judged": 0, "judgedAfter": 10}}  # seen too little
    assert "HAPPY" not in overview["empty"] and "SAD" in overview["empty"] and overview["thin"] == ["HAPPY"]

    # remove everything: the garden is empty again and says so
    leftover = [i["key"] for i in pool["portrait"]]
    status, removed = call(client, "POST", "/remove", {"keys": garden_keys + leftover})
    assert status == 200 and removed["succeeded"] == 4
    _, garden = call(client, "GET", "/garden?emotion=HAPPY")
    assert garden["empty"] is True and garden["landscape"] == garden["portrait"] == []
    assert call(client, "GET", "/pool?emotion=HAPPY")[1]["landscape"] == []
    assert call(client, "POST", "/like", {"id": "visitor-2", "itemId": garden_keys[0]}, key=None)[0] == 404


def test_bulk_with_one_orientation_and_the_emotion_words_overridden(client):
    _, started = call(client, "POST", "/bulk", {"emotion": "SAD", "count": 3, "orientations": ["portrait"],
                                                     "emotionText": "quietly weeping", "seed": 41})
    job = wait_for_job(client, started["jobId"])
    assert job["status"] == "SUCCEEDED" and job["completed"] == 3
    assert all(i["width"] == 800 and i["height"] == 1280 for i in job["images"])
    assert sorted(i["seed"] for i in job["images"]) == [41, 42, 43]
    prompt = context.current().image_index.get_image(job["images"][0]["key"]).provenance["prompt"]
    assert "quietly weeping" in prompt and "melancholy" not in prompt   # the template's words replaced


def test_a_bulk_job_whose_endpoints_all_fail_ends_failed_with_reasons(client, monkeypatch):
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["http://127.0.0.1:9/invocations", "a1111://127.0.0.1:9"]')
    status, started = call(client, "POST", "/bulk", {"emotion": "FEAR", "count": 1})
    assert status == 202
    job = wait_for_job(client, started["jobId"])
    assert job["status"] == "FAILED" and job["completed"] == 0 and job["failed"] == 2
    # both were tried, failed and left the job; every image's error says why
    assert job["deadEndpoints"] == sorted(["http://127.0.0.1:9/invocations", "a1111://127.0.0.1:9"])
    assert all(e["error"] and e["message"] for e in job["errors"])
    assert list(context.current().store.list("pool/")) == []


@pytest.mark.parametrize("body, message", [
    ({"emotion": "HAPPY", "count": 0}, "count"),
    ({"emotion": "HAPPY", "count": 501}, "count"),
    ({"emotion": "HAPPY", "count": "20"}, "count"),
    ({"emotion": "HAPPY", "count": 2.5}, "count"),
    ({"emotion": "HAPPY", "count": True}, "count"),
    ({"emotion": "HAPPY"}, "count is required"),
    ({"emotion": "BLISS", "count": 1}, "unknown emotion"),
    ({"count": 1}, "emotion is required"),
    ({"emotion": "HAPPY", "count": 1, "orientations": ["square"]}, "unknown orientation"),
    ({"emotion": "HAPPY", "count": 1, "orientations": []}, "orientations"),
    ({"emotion": "HAPPY", "count": 1, "orientations": "sideways"}, "unknown orientation"),
    ({"emotion": "HAPPY", "count": 1, "favorite": "../etc"}, "favorite"),
    ({"emotion": "HAPPY", "count": 1, "favorite": "a/b"}, "favorite"),
    ({"emotion": "HAPPY", "count": 1, "favorite": 3}, "favorite"),
    ({"emotion": "HAPPY", "count": 1, "others": "x" * 301}, "others"),
    ({"emotion": "HAPPY", "count": 1, "emotionText": ["happy"]}, "emotionText"),
    ({"emotion": "HAPPY", "count": 1, "steps": 0}, "steps"),
    ([1, 2], "JSON object"),
])
def test_bad_bulk_requests_get_400_with_a_message(client, body, message):
    status, answer = call(client, "POST", "/bulk", body)
    assert status == 400 and message in answer["message"]
    assert context.current().job_store.get_job("anything") is None


def test_a_malformed_bulk_body_is_400(client):
    assert call(client, "POST", "/bulk", "{not json")[0] == 400


def test_publish_reports_each_key_on_its_own(client):
    plant("pool/CALM/ah.jpeg")
    plant("pool/CALM/lotus/bv.jpeg")
    keys = ["pool/CALM/ah.jpeg", "pool/CALM/lotus/bv.jpeg", "pool/CALM/missingh.jpeg",
            "emotions/CALM/ah.jpeg", "../../etc/passwd", "/pool/CALM/ah.jpeg", "pool/CALM/x.png", 42]
    status, answer = call(client, "POST", "/pool/publish", {"keys": keys})
    assert status == 200
    by_key = {str(r["key"]): r for r in answer["results"]}
    assert [by_key[str(k)]["status"] for k in keys] == [200, 200, 404, 400, 400, 400, 400, 400]
    assert answer["succeeded"] == 2 and answer["failed"] == 6
    assert all(by_key[str(k)]["message"] for k in keys[2:])
    assert context.current().store.exists("emotions/CALM/lotus/bv.jpeg")
    assert context.current().image_index.get_image("emotions/CALM/lotus/bv.jpeg").favorite == "lotus"
    assert context.current().image_index.get_image("pool/CALM/lotus/bv.jpeg") is None
    # publishing again is harmless: already published
    again = call(client, "POST", "/pool/publish", {"keys": ["pool/CALM/ah.jpeg"]})[1]
    assert again["results"][0]["status"] == 200 and again["results"][0]["already"] is True


def test_remove_takes_garden_and_pool_keys_only(client):
    plant("pool/ANGRY/ah.jpeg")
    plant("emotions/ANGRY/bh.jpeg")
    plant("text2image/job1/0.jpeg")
    keys = ["pool/ANGRY/ah.jpeg", "emotions/ANGRY/bh.jpeg", "text2image/job1/0.jpeg",
            "emotions/ANGRY/bh.jpeg", "emotions/ANGRY/..%2f/x.jpeg", "emotions/NOPE/ah.jpeg"]
    answer = call(client, "POST", "/remove", {"keys": keys})[1]
    assert [r["status"] for r in answer["results"]] == [200, 200, 400, 400, 400]   # duplicates once
    assert context.current().store.exists("text2image/job1/0.jpeg")
    assert answer["results"][4]["message"]
    assert call(client, "POST", "/remove", {"keys": ["emotions/ANGRY/bh.jpeg"]})[1]["results"][0]["status"] == 404


@pytest.mark.parametrize("path", ["/pool/publish", "/remove"])
@pytest.mark.parametrize("body, message", [
    ({}, "keys"), ({"keys": "pool/HAPPY/ah.jpeg"}, "keys"), ({"keys": []}, "empty"),
    ({"keys": ["pool/HAPPY/ah.jpeg"] * 2 + [f"pool/HAPPY/{n}h.jpeg" for n in range(500)]}, "at most 500"),
    ([], "JSON object"),
])
def test_a_malformed_keys_body_is_400(client, path, body, message):
    status, answer = call(client, "POST", path, body)
    assert status == 400 and message in answer["message"]


def test_pool_listing_pages_and_rejects_bad_queries(client):
    for n in range(5):
        plant(f"pool/SURPRISED/p{n}h.jpeg", f"2026-01-0{n + 1}T00:00:00Z")
    seen, cursor = [], None
    while True:
        _, page = call(client, "GET", "/pool?emotion=surprised&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [i["key"] for i in page["landscape"]]
        cursor = page.get("cursor")
        if not cursor:
            break
    assert seen == [f"pool/SURPRISED/p{n}h.jpeg" for n in (4, 3, 2, 1, 0)]   # newest first
    for query in ("/pool", "/pool?emotion=x", "/pool?emotion=HAPPY&limit=0", "/pool?emotion=HAPPY&cursor=!!"):
        assert call(client, "GET", query)[0] == 400


def test_the_overview_lists_empty_and_thin_emotions(client):
    for n in range(10):
        plant(f"emotions/CALM/c{n}h.jpeg")
    plant("emotions/FEAR/fh.jpeg")
    plant("pool/FEAR/gh.jpeg")
    _, overview = call(client, "GET", "/admin/overview")
    rows = {r["emotion"]: r for r in overview["emotions"]}
    assert rows["CALM"]["published"] == 10 and not rows["CALM"]["thin"] and not rows["CALM"]["empty"]
    assert rows["FEAR"] == {"emotion": "FEAR", "published": 1, "pool": 1, "likes": 0, "empty": False, "thin": True,
                            "favorites": [], "loved": {"best": [], "least": [], "judged": 0, "judgedAfter": 10}}
    assert overview["empty"] == ["HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED"]
    assert overview["thin"] == ["FEAR"]
