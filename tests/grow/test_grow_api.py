"""POST /grow end to end on the local stack (the real state machine under moto's
interpreter, a folder store and SQLite catalog, the painter): a visitor's own flower, its
job's priority, where it lives, its take-home page, the limits and the budget."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from chalicelib.jobs import grow
from chalicelib.rules import prompts, provenance
from chalicelib.rules.scheduling import VISITOR
from chalicelib.web import admin, context


def post(client, body, content_type="application/json"):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    response = client.http.post("/grow", body=raw, headers={"Content-Type": content_type})
    return response.status_code, json.loads(response.body or b"null"), response.headers


def finished(client, body):
    """The flower's answer once its job ended (a 202 is polled through GET /jobs/{id})."""
    status, answer, _ = post(client, {"wait": 25, **body})
    assert status in (200, 202), answer
    if status == 202:
        context.current().workflow.wait(
            context.current().job_store.job_summary(answer["jobId"])["executionId"], 30)
    return {**answer, **json.loads(client.http.get(f"/jobs/{answer['jobId']}").body)}


def test_a_flower_is_grown_from_the_recipe_at_a_visitors_priority(client):
    answer = finished(client, {"id": "visit-1", "emotion": "happy"})
    assert answer["status"] == "SUCCEEDED" and len(answer["images"]) == 1
    key = answer["images"][0]["key"]
    assert key == f"grown/HAPPY/{answer['jobId']}h.jpeg"
    data = context.current().store.get(key)
    assert Image.open(io.BytesIO(data)).size == grow.SIZES["landscape"]
    # the operator's recipe, never anything of the photo
    assert provenance.read(data)["prompt"] == prompts.build_prompt("HAPPY")
    job = context.current().job_store.job_summary(answer["jobId"])
    assert (job["kind"], job["priority"]) == ("text2image", VISITOR)
    assert job["request"]["grown"] == {"emotion": "HAPPY", "favorite": None,
                                       "orientation": "landscape", "lang": "en"}
    assert "visit-1" not in json.dumps(job)          # the visit's id is not kept
    assert answer["shareUrl"] == f"/share/grown/{answer['jobId']}"
    # indexed in its own area: never one of the garden's flowers
    assert context.current().image_index.get_image(key).area == "grown"
    garden = json.loads(client.http.post("/garden", body=json.dumps({"emotion": "HAPPY"}),
                                         headers={"Content-Type": "application/json"}).body)
    assert key not in json.dumps(garden)


def test_its_take_home_page_says_it_was_grown_for_the_visitor(client):
    answer = finished(client, {"id": "visit-2", "emotion": "SAD", "orientation": "portrait",
                               "lang": "ko"})
    assert answer["images"][0]["key"].endswith("v.jpeg")
    page = client.http.get(answer["shareUrl"] + "?lang=ko")
    assert page.status_code == 200
    text = page.body.decode()
    assert "당신을 위해 피어난 꽃" in text and answer["images"][0]["key"] in text
    english = client.http.get(answer["shareUrl"] + "?lang=en").body.decode()
    assert "A flower grown for you" in english
    qr = client.http.get(answer["shareUrl"] + "/qr.svg")
    assert qr.status_code == 200 and b"<svg" in qr.body
    assert client.http.get("/share/grown/20990101T000000-0000000000").status_code == 404


def test_a_favorite_the_garden_has_goes_into_the_prompt_and_the_key(client):
    from tests.images import jpeg   # noqa: PLC0415 - a garden image with that favorite
    context.current().store.put("emotions/HAPPY/spring,cloudy,day/ah.jpeg", jpeg(),
                                "image/jpeg")
    answer = finished(client, {"id": "visit-3", "emotion": "HAPPY",
                               "favorite": "spring,cloudy,day"})
    key = answer["images"][0]["key"]
    assert key.startswith("grown/HAPPY/spring,cloudy,day/")
    assert provenance.read(context.current().store.get(key))["prompt"] == \
        prompts.build_prompt("HAPPY", "spring, cloudy, day")


@pytest.mark.parametrize("body, message", [
    ({"emotion": "HAPPY"}, "id must be the visit's id"),
    ({"id": "v", "emotion": "ELATED"}, "unknown emotion"),
    ({"id": "v"}, "emotion is required"),
    ({"id": "v", "emotion": "HAPPY", "favorite": "winter"}, "is not one of the garden's"),
    ({"id": "v", "emotion": "HAPPY", "text": "a castle"}, "unknown field(s) text"),
    ({"index": "happy", "prompt": "x", "fname": "a"}, "unknown field(s)"),   # the original's bulk
    ({"id": "v", "emotion": "HAPPY", "orientation": "square"}, "orientation must be"),
    ({"id": "v", "emotion": "HAPPY", "lang": "fr"}, "lang must be one of"),
    ({"id": "v", "emotion": "HAPPY", "wait": 99}, "wait must be"),
])
def test_bad_requests_are_400_with_a_message_and_spend_nothing(client, body, message):
    status, answer, _ = post(client, body)
    assert status == 400 and message in answer["message"], answer
    assert context.current().job_store.list_jobs().jobs == []


def test_one_flower_per_visit_then_429(client):
    status, first, _ = post(client, {"id": "visit-4", "emotion": "HAPPY", "wait": 0})
    assert status == 202 and first["statusUrl"] == f"/jobs/{first['jobId']}"
    status, again, headers = post(client, {"id": "visit-4", "emotion": "HAPPY", "wait": 0})
    assert status == 429 and "this visit's flower" in again["message"]
    assert int(headers["Retry-After"]) >= 1


def test_the_days_budget_holds_across_processes_then_429_until_midnight(client, monkeypatch):
    monkeypatch.setenv("GARDEN_GROW_PER_DAY", "2")
    context.rebuild()
    for n in range(2):
        assert post(client, {"id": f"v{n}", "emotion": "HAPPY", "wait": 0})[0] == 202
    admin.GROW_LIMIT.reset()
    # another process on the same catalog: the count is the catalog's
    context.rebuild()
    status, answer, headers = post(client, {"id": "v9", "emotion": "HAPPY", "wait": 0})
    assert status == 429 and "today's 2 flowers" in answer["message"]
    assert 1 <= int(headers["Retry-After"]) <= 24 * 3600


def test_a_kiosk_asking_too_often_is_429_with_retry_after(client):
    answers = [post(client, {"id": f"k{n}", "emotion": "HAPPY", "wait": 0}) for n in range(4)]
    assert [status for status, _, _ in answers] == [202, 202, 202, 429]
    assert int(answers[-1][2]["Retry-After"]) >= 1


def test_off_by_setting_and_by_default_where_every_endpoint_parks(client, monkeypatch):
    monkeypatch.setenv("GARDEN_GROW", "off")
    context.rebuild()
    status, answer, _ = post(client, {"id": "v", "emotion": "HAPPY"})
    assert status == 503 and "GARDEN_GROW is off" in answer["message"]
    monkeypatch.delenv("GARDEN_GROW")
    monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps(["painter:?async=1"]))
    context.rebuild()
    assert not context.current().settings.grows
    assert post(client, {"id": "v", "emotion": "HAPPY"})[0] == 503
    monkeypatch.setenv("GARDEN_GROW", "on")
    context.rebuild()
    assert context.current().settings.grows


def test_a_held_flower_says_so_and_is_never_public(client):
    from chalicelib.moderation import Moderation, Verdict

    class FlagsAll:
        name = "flags-all"

        def check_image(self, data):
            return Verdict("unsafe-image", labels=("Explicit",), confidence=90.0, source="fake")

    context.override(moderation=Moderation(prompt=None, image=FlagsAll()))
    answer = finished(client, {"id": "visit-5", "emotion": "HAPPY"})
    assert answer["images"] == [] and answer["held"] == 1     # the kiosk shows a garden image
    assert answer["heldImages"][0]["moderation"] == "flagged"
    held = context.current().job_store.get_job(answer["jobId"])["images"][0]["key"]
    assert held.startswith("held/grown/HAPPY/")
    assert client.http.get(answer["shareUrl"]).status_code == 404
