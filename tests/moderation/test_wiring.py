"""Moderation wired into the garden: prompts refused on /text2image (its original body too) and
bulk (the original's body, each favorite) with no job made; the Bedrock guardrail and
Rekognition under botocore's Stubber, handed to the garden as its AWS client factory; flagged
or unchecked images held (text-to-image) or marked for review (bulk) and never reachable from a
public URL, the garden or a zone; outages closed for text-to-image, open for bulk."""
from __future__ import annotations

import io
import json
from urllib.parse import urlsplit
import time
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from chalice.test import Client

from chalicelib import bootstrap, config
from chalicelib.moderation import Moderation, Verdict
from chalicelib.rules import provenance
from chalicelib.web import context
from chalicelib.web.wsgi import GardenSite

from .conftest import _session

ADMIN_KEY = "test-admin-key-0123456789"
GUARDRAIL = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123:1"
FLAGGED = {"ModerationLabels": [{"Name": "Explicit Nudity", "ParentName": "",
                                 "Confidence": 97.5}], "ModerationModelVersion": "7.0"}
CLEAN = {"ModerationLabels": [], "ModerationModelVersion": "7.0"}
USAGE = {name: 0 for name in ("topicPolicyUnits", "contentPolicyUnits", "wordPolicyUnits",
                              "sensitiveInformationPolicyUnits",
                              "sensitiveInformationPolicyFreeUnits",
                              "contextualGroundingPolicyUnits")}
INTERVENED = {"usage": USAGE, "action": "GUARDRAIL_INTERVENED", "outputs": [],
              "assessments": [{"contentPolicy": {"filters": [
                  {"type": "VIOLENCE", "confidence": "HIGH", "action": "BLOCKED"}]}}]}


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps(["painter:"]))
    monkeypatch.setenv("GARDEN_WAIT_SECONDS", "20")
    context.forget()
    from app import app
    with Client(app) as c:
        yield c


@pytest.fixture
def aws(monkeypatch):
    """Stubbed bedrock-runtime and rekognition clients, handed to every garden as its AWS client
    factory; the garden's moderation settings from the environment set by the test."""
    clients = {name: _session().client(name) for name in ("bedrock-runtime", "rekognition")}
    stubs = {name: Stubber(client) for name, client in clients.items()}
    for stub in stubs.values():
        stub.activate()

    def factory(service: str, **options: Any) -> Any:
        return clients[service]
    context.override(boto=factory)
    yield stubs
    for stub in stubs.values():
        stub.deactivate()


def call(client, method: str, path: str, body=None, key: str | None = ADMIN_KEY):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["x-api-key"] = key
    kwargs = {"body": json.dumps(body)} if body is not None else {}
    response = getattr(client.http, method.lower())(path, headers=headers, **kwargs)
    return response.status_code, json.loads(response.body) if response.body else None


def jobs_made() -> int:
    return len(context.current().job_store.list_jobs(limit=50).jobs)


def settled(client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        status, job = call(client, "GET", f"/jobs/{job_id}", key=None)
        assert status == 200, job
        if job["status"] != "RUNNING" or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


def site_get(path: str, headers: dict[str, str] | None = None) -> int:
    """The local site's answer to a GET (what a visitor's browser would get)."""
    from app import app
    seen: dict[str, Any] = {}

    def start_response(status: str, head: list[tuple[str, str]]) -> None:
        seen["status"] = int(status.split()[0])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "wsgi.input": io.BytesIO(),
               **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()}}
    b"".join(GardenSite(app)(environ, start_response))
    return int(seen["status"])


# --- prompts ------------------------------------------------------------------------------
REFUSED = ["a nude woman among roses", "ｎｕｄｅ　ｆｉｇｕｒｅ", "n\u200bu\u200cd\u200de roses",
           "p0rn garden", "nud\u0435 flowers", "섹스를 하는 꽃", "ㅅㅔㄱㅅㅡ 정원", "섹 스 장미",
           "알몸의 여인과 튤립"]


@pytest.mark.parametrize("prompt", REFUSED)
def test_text2image_refuses_a_blocked_prompt_with_no_job(client, prompt):
    status, body = call(client, "POST", "/text2image", {"text": prompt}, key=None)
    assert status == 400, body
    assert body["kind"] == "blocked-words" and body["field"] == "text"
    assert body["messages"]["en"] and body["messages"]["ko"]
    assert body["messages"]["en"] in body["message"] and body["messages"]["ko"] in body["message"]
    assert "terms" not in body                       # the matched words are the operator's
    # the original's clients read the envelope
    assert body["statusCode"] == 400 and json.loads(body["body"])["kind"] == "blocked-words"
    assert jobs_made() == 0


def test_the_originals_text2image_body_is_refused_in_its_envelope(client):
    status, body = call(client, "POST", "/text2image",
                        {"text": "n u d e garden", "width": "768", "height": "512"}, key=None)
    assert status == 400 and body["statusCode"] == 400
    assert json.loads(body["body"])["messages"]["ko"] == body["messages"]["ko"]
    assert jobs_made() == 0


def test_a_clean_prompt_still_runs(client):
    status, body = call(client, "POST", "/text2image",
                        {"text": "a rapeseed field in May", "count": 1, "width": 256,
                         "height": 256}, key=None)
    assert status == 200 and body["status"] == "SUCCEEDED" and len(body["urls"]) == 1


@pytest.mark.parametrize("body, field", [
    ({"emotion": "HAPPY", "count": 1, "emotionText": "very happy, nude"}, "emotionText"),
    ({"emotion": "HAPPY", "count": 1, "others": "ㅅㅔㄱㅅㅡ"}, "others"),
    ({"emotion": "CALM", "count": 1, "favorites": ["rose", "p0rn"]}, "favorite:p0rn"),
])
def test_bulk_names_the_refused_field_and_makes_no_job(client, body, field):
    status, answer = call(client, "POST", "/bulk", body)
    assert status == 400, answer
    assert answer["kind"] == "blocked-words" and answer["field"] == field
    assert "statusCode" not in answer
    assert jobs_made() == 0


def test_the_originals_bulk_body_is_refused_in_its_envelope(client):
    prompt = json.dumps({"emotion": "happy", "favorite": "rose", "emotionText": "알몸"})
    status, answer = call(client, "POST", "/bulk",
                          {"index": 1, "prompt": prompt, "fname": "imgPool/happy/rose/img_1"})
    assert status == 400 and answer["field"] == "emotionText"
    assert answer["statusCode"] == 400 and json.loads(answer["body"])["field"] == "emotionText"
    assert jobs_made() == 0


def test_the_guardrail_refuses_what_the_list_lets_through(client, aws, monkeypatch):
    monkeypatch.setenv("GARDEN_GUARDRAIL", GUARDRAIL)
    aws["bedrock-runtime"].add_response("apply_guardrail", INTERVENED, {
        "guardrailIdentifier": GUARDRAIL.rsplit(":", 1)[0], "guardrailVersion": "1",
        "source": "INPUT", "content": [{"text": {"text": "a knife fight among tulips"}}]})
    status, body = call(client, "POST", "/text2image", {"text": "a knife fight among tulips"},
                        key=None)
    assert status == 400 and body["kind"] == "harmful-text" and body["labels"] == ["VIOLENCE"]
    assert jobs_made() == 0
    aws["bedrock-runtime"].assert_no_pending_responses()


def test_a_guardrail_outage_closes_text2image_and_leaves_bulk_open(client, aws, monkeypatch):
    monkeypatch.setenv("GARDEN_GUARDRAIL", GUARDRAIL)
    stub = aws["bedrock-runtime"]
    stub.add_client_error("apply_guardrail", "ServiceUnavailableException", http_status_code=503)
    status, body = call(client, "POST", "/text2image", {"text": "tulips at dawn"}, key=None)
    assert status == 503 and jobs_made() == 0
    # bulk asks about its whole prompt (no emotionText or others given): the outage lets it run
    stub.add_client_error("apply_guardrail", "ServiceUnavailableException", http_status_code=503)
    status, started = call(client, "POST", "/bulk", {"emotion": "HAPPY", "count": 1,
                                                     "orientations": ["landscape"]})
    assert status == 202, started
    # ...while the block list still refuses in bulk during the outage
    status, answer = call(client, "POST", "/bulk", {"emotion": "HAPPY", "count": 1,
                                                    "others": "nude"})
    assert status == 400 and answer["field"] == "others"
    stub.assert_no_pending_responses()


# --- images -------------------------------------------------------------------------------
def _images_checked(monkeypatch, **more: str) -> None:
    monkeypatch.setenv("GARDEN_MODERATION", "both")
    monkeypatch.setenv("GARDEN_IMAGE_CHECK", "rekognition")
    for name, value in more.items():
        monkeypatch.setenv(name, value)


def _one_flagged_image(client, aws, monkeypatch) -> dict[str, Any]:
    """A text-to-image request of one image that Rekognition flags; its answer."""
    _images_checked(monkeypatch)
    aws["rekognition"].add_response("detect_moderation_labels", FLAGGED,
                                    {"Image": {"Bytes": ANY}, "MinConfidence": 50.0})
    status, body = call(client, "POST", "/text2image",
                        {"text": "tulips", "count": 1, "width": 256, "height": 256}, key=None)
    assert status == 200, body
    return body


def test_a_flagged_text2image_result_is_held_and_reachable_from_no_public_url(client, aws,
                                                                              monkeypatch):
    body = _one_flagged_image(client, aws, monkeypatch)
    assert body["urls"] == [] and body["images"] == [] and json.loads(body["body"]) == []
    job = settled(client, body["jobId"])
    assert (job["status"], job["completed"], job["held"], job["failed"]) == ("SUCCEEDED", 0, 1, 0)
    assert job["heldImages"] == [{"n": 0, "width": 256, "height": 256, "moderation": "flagged",
                                  "labels": ["Explicit Nudity"]}]
    g = context.current()
    key = f"held/text2image/{body['jobId']}/0.jpeg"
    data = g.store.get(key)                          # kept for the operator
    assert provenance.read(data)["moderation"] == {"status": "flagged",
                                                   "labels": ["Explicit Nudity"]}
    assert not g.store.exists(f"text2image/{body['jobId']}/0.jpeg")
    assert g.image_index.get_image(key) is None      # never indexed: no garden, no zone
    assert site_get("/" + key) == 403                # the local site: the operator's only
    assert site_get("/" + key, {"x-api-key": ADMIN_KEY}) == 200
    assert site_get(f"/text2image/{body['jobId']}/0.jpeg") == 404
    for path in ("/garden?emotion=HAPPY", "/zones/1"):
        status, answer = call(client, "GET", path, key=None)
        assert key not in json.dumps(answer)
    aws["rekognition"].assert_no_pending_responses()


def test_the_operator_sees_a_jobs_held_images_behind_short_lived_links(client, aws,
                                                                       monkeypatch):
    body = _one_flagged_image(client, aws, monkeypatch)
    settled(client, body["jobId"])
    assert call(client, "GET", f"/held?job={body['jobId']}", key=None)[0] == 401
    status, held = call(client, "GET", f"/held?job={body['jobId']}")
    assert status == 200, held
    [image] = held["held"]
    assert (image["n"], image["moderation"], image["labels"]) == (0, "flagged", ["Explicit Nudity"])
    link = urlsplit(image["url"])   # signed for the operator: opens without the key, briefly
    assert link.path == f"/held/text2image/{body['jobId']}/0.jpeg" and "signature" in link.query
    assert call(client, "GET", "/held?job=no-such-job")[0] == 404
    assert call(client, "GET", "/held")[0] == 404


def test_a_rekognition_outage_holds_text2image_and_sends_bulk_to_review(client, aws,
                                                                        monkeypatch):
    _images_checked(monkeypatch)
    for _ in range(2):
        aws["rekognition"].add_client_error("detect_moderation_labels",
                                            "ProvisionedThroughputExceededException")
    status, body = call(client, "POST", "/text2image",
                        {"text": "tulips", "count": 1, "width": 256, "height": 256}, key=None)
    job = settled(client, body["jobId"])
    assert (job["held"], job["heldImages"][0]["moderation"], job["urls"]) == (1, "unchecked", [])
    status, started = call(client, "POST", "/bulk", {"emotion": "HAPPY", "count": 1,
                                                     "orientations": ["landscape"]})
    job = settled(client, started["jobId"])
    assert (job["status"], job["completed"], job["held"]) == ("SUCCEEDED", 1, 0)
    image = job["images"][0]
    assert image["review"] and image["moderation"] == "unchecked"
    origin = provenance.read(context.current().store.get(image["key"]))
    assert origin["moderation"]["status"] == "unchecked"


def test_a_flagged_bulk_image_is_marked_in_the_pool_and_select_all_skips_it(client, aws,
                                                                            monkeypatch):
    _images_checked(monkeypatch)
    stub = aws["rekognition"]
    stub.add_response("detect_moderation_labels", FLAGGED)
    stub.add_response("detect_moderation_labels", CLEAN)
    status, started = call(client, "POST", "/bulk", {"emotion": "HAPPY", "count": 2,
                                                     "orientations": ["landscape"]})
    job = settled(client, started["jobId"])
    flagged = [i for i in job["images"] if i.get("review")]
    clean = [i for i in job["images"] if not i.get("review")]
    assert len(flagged) == 1 and len(clean) == 1 and flagged[0]["labels"] == ["Explicit Nudity"]
    status, pool = call(client, "GET", "/pool?emotion=HAPPY")
    marks = {item["key"]: item["provenance"].get("moderation") for item in pool["landscape"]}
    assert marks[flagged[0]["key"]]["status"] == "flagged" and marks[clean[0]["key"]] is None
    # "select all": every pool key; the flagged one is refused, the clean one published
    status, answer = call(client, "POST", "/pool/publish",
                          {"keys": [flagged[0]["key"], clean[0]["key"]]})
    outcome = {r["key"]: r["status"] for r in answer["results"]}
    assert outcome == {flagged[0]["key"]: 409, clean[0]["key"]: 200}
    # published on its own after the operator looked at it
    status, answer = call(client, "POST", "/pool/publish",
                          {"keys": [flagged[0]["key"]], "flagged": [flagged[0]["key"]]})
    assert answer["results"][0]["status"] == 200


def test_drop_leaves_a_flagged_bulk_image_out_of_the_store(client, aws, monkeypatch):
    _images_checked(monkeypatch, GARDEN_BULK_FLAGGED="drop")
    aws["rekognition"].add_response("detect_moderation_labels", FLAGGED)
    status, started = call(client, "POST", "/bulk", {"emotion": "HAPPY", "count": 1,
                                                     "orientations": ["landscape"]})
    job = settled(client, started["jobId"])
    assert (job["completed"], job["held"], job["heldImages"][0]["dropped"]) == (0, 1, True)
    assert not any(True for _ in context.current().store.list("pool/"))


def test_a_fake_image_check_handed_to_the_garden_is_the_one_used(tmp_path):
    class Flags:
        name = "fake"

        def check_image(self, data: bytes) -> Verdict:
            return Verdict("unsafe-image", labels=("Violence",), confidence=88.0, source="fake")
    settings = config.load({"GARDEN_DATA_DIR": str(tmp_path), "GARDEN_DEMO": "0"})
    garden = bootstrap.build(settings, moderation=Moderation(prompt=None, image=Flags()))
    try:
        from chalicelib.jobs import text2image
        outcome = text2image.run({"text": "tulips", "count": 1, "width": 256, "height": 256},
                                 jobs=garden.job_store, engine=garden.workflow,
                                 endpoints=settings.endpoints, wait_seconds=20,
                                 moderation=garden.moderation)
        view = getattr(outcome, "view")
        assert view["held"] == 1 and view["urls"] == []
        assert view["heldImages"][0]["labels"] == ["Violence"]
    finally:
        garden.close()


def test_a_broken_block_list_stops_the_garden_at_its_first_use(tmp_path):
    (tmp_path / "blocklist.txt").write_bytes(b"\xff\xfe not utf-8")
    settings = config.load({"GARDEN_DATA_DIR": str(tmp_path)})
    with pytest.raises(Exception, match="GARDEN_BLOCKLIST"):
        bootstrap.build(settings).moderation
