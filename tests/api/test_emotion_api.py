"""POST /emotion through the app: every status the kiosk can meet, with the real analyzers
(the offline models locally; Rekognition with botocore's Stubber)."""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image

from chalicelib.web import context

EVENTS = Path(__file__).resolve().parent.parent / "faces" / "events"


def photo(array_or_image, fmt="JPEG", size=None) -> bytes:
    image = array_or_image if isinstance(array_or_image, Image.Image) else Image.fromarray(array_or_image)
    if size:
        image = image.resize(size)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def astronaut() -> bytes:
    import skimage.data
    return photo(skimage.data.astronaut())


def post(client, body: bytes, content_type="image/jpeg", **headers):
    response = client.http.post("/emotion", body=body, headers={"Content-Type": content_type, **headers})
    return response.status_code, json.loads(response.body)


@pytest.mark.slow
def test_a_smiling_face_is_happy_with_the_original_fields(client, astronaut):
    status, body = post(client, astronaut, **{"X-user-id": "visitor-7"})
    assert status == 200
    assert body["emotions"] == "HAPPY" and body["analyzer"] == "local" and body["id"] == "visitor-7"
    for field in ("id", "bucket", "key", "ageRange", "smile", "eyeglasses", "sunglasses", "gender", "beard",
                  "mustache", "eyesOpen", "mouthOpen", "emotions", "generation", "emotionScores", "faces",
                  "boundingBox"):
        assert field in body
    assert body["bucket"] is None and body["key"] is None  # the photo is kept nowhere
    assert body["faces"] == 1 and body["smile"] is True


@pytest.mark.slow
def test_no_face_is_404_no_face_as_the_original(client):
    import skimage.data
    assert post(client, photo(skimage.data.coffee())) == (404, {"message": "No Face"})


@pytest.mark.slow
def test_png_and_octet_stream_are_accepted(client, astronaut):
    import skimage.data
    png = photo(skimage.data.astronaut(), "PNG")
    assert post(client, png, "image/png")[0] == 200
    assert post(client, astronaut, "application/octet-stream")[0] == 200
    assert post(client, astronaut, "image/jpg")[0] == 200  # a common misspelling, as Rekognition takes it


@pytest.mark.parametrize("body, content_type, status", [
    (b"\xff\xd8\xff\xe0 truncated nonsense", "image/jpeg", 400),
    (b"", "image/jpeg", 400),
    (b"GIF89a....", "application/octet-stream", 415),
    (b"hello", "text/plain", 415),
])
def test_bad_photos_get_clear_errors(client, body, content_type, status):
    got_status, got = post(client, body, content_type)
    assert got_status == status and got["message"]


def test_more_than_five_megabytes_is_413(client):
    status, body = post(client, b"\xff\xd8" + b"\0" * (5 * 1024 * 1024 + 10))
    assert status == 413 and "MB" in body["message"]


def test_rekognition_answers_through_the_route(client, rekognition, astronaut):
    rekognition.add_response("detect_faces", json.loads((EVENTS / "detect_faces_one.json").read_text()))
    status, body = post(client, astronaut)
    assert status == 200 and body["analyzer"] == "rekognition"
    scores = body["emotionScores"]
    assert body["emotions"] == max(scores, key=lambda k: scores[k] or 0)


@pytest.mark.parametrize("code, status", [
    ("ThrottlingException", 503), ("ProvisionedThroughputExceededException", 503),
    ("AccessDeniedException", 502), ("InvalidImageFormatException", 400), ("ImageTooLargeException", 413),
])
def test_rekognition_failures_map_to_statuses(client, rekognition, astronaut, code, status):
    for _ in range(10):  # throttling is retried by botocore first
        rekognition.add_client_error("detect_faces", service_error_code=code, http_status_code=400)
    got_status, body = post(client, astronaut)
    assert got_status == status and body["message"]


@pytest.mark.slow
def test_no_photo_bytes_reach_the_store_or_the_logs(client, astronaut, caplog, capfd, tmp_path):
    caplog.set_level(logging.DEBUG)
    assert post(client, astronaut)[0] == 200  # the photo really went through the analyzer
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    for chunk in (astronaut[100:132], astronaut[2000:2032]):
        assert chunk.hex() not in logged and repr(chunk)[2:30] not in logged
    data_dir = Path(context.current().settings.data_dir)
    stored = [p for p in data_dir.rglob("*") if p.is_file()] if data_dir.exists() else []
    assert not any(astronaut[-64:] in p.read_bytes() for p in stored)


@pytest.mark.slow
def test_the_debug_setting_keeps_photos_out_of_the_garden_for_a_while(client, astronaut, monkeypatch):
    from datetime import UTC, datetime

    from chalicelib import photos
    monkeypatch.setenv("GARDEN_KEEP_PHOTOS_DAYS", "2")
    monkeypatch.setattr(photos, "_purged_on", set())  # this process has not purged today yet
    store = context.current().store
    store.put("debug-photos/2020-01-01/old-visitor.jpeg", b"old")
    status, body = post(client, astronaut, **{"X-user-id": "v9"})
    assert status == 200 and body["bucket"] == "local" and body["key"].startswith("debug-photos/")
    assert store.get(body["key"]) == astronaut
    assert not store.exists("debug-photos/2020-01-01/old-visitor.jpeg")  # past retention
    assert list(context.current().image_index.iter_images()) == []                  # never indexed
    assert photos.purge(store, 0, datetime(2999, 1, 1, tzinfo=UTC)) == 1


@pytest.mark.slow
def test_each_analysis_counts_its_emotion_without_tracing_the_visitor(client, astronaut):
    import skimage.data

    from chalicelib import metrics
    with metrics.capture() as seen:
        post(client, astronaut, **{"X-Correlation-Id": "kiosk-req-1"})
        post(client, photo(skimage.data.coffee()))
    assert [d["Emotion"] for d in seen] == ["HAPPY", "NO_FACE"]
    assert all("correlationId" not in d and "AnalysisLatency" in d for d in seen)


def test_responses_carry_the_correlation_id(client):
    response = client.http.get("/garden?emotion=HAPPY", headers={"X-Correlation-Id": "kiosk-42"})
    assert response.headers["X-Correlation-Id"] == "kiosk-42"
    assert client.http.get("/garden?emotion=HAPPY").headers["X-Correlation-Id"]


# --- reading the emotion only (GARDEN_FACE_READING=emotion) -----------------------------------
NOT_READ = ("ageRange", "generation", "gender", "smile", "eyeglasses", "sunglasses", "beard",
            "mustache", "eyesOpen", "mouthOpen")


@pytest.mark.slow
def test_emotion_reading_answers_the_emotion_with_null_demographics(client, astronaut, monkeypatch):
    monkeypatch.setenv("GARDEN_FACE_READING", "emotion")
    status, body = post(client, astronaut, **{"X-user-id": "visitor-8"})
    assert status == 200 and body["emotions"] == "HAPPY" and body["analyzer"] == "local"
    assert {k: body[k] for k in NOT_READ} == dict.fromkeys(NOT_READ)
    assert body["id"] == "visitor-8" and body["faces"] == 1 and body["emotionScores"]["HAPPY"] > 90
    assert context.current().analyzer.opened == ("landmarker", "emotion")  # type: ignore[attr-defined]


def test_emotion_reading_on_rekognition_asks_for_emotions_alone(client, astronaut, monkeypatch):
    monkeypatch.setenv("GARDEN_ANALYZER", "rekognition")
    monkeypatch.setenv("GARDEN_FACE_READING", "emotion")
    rek = boto3.client("rekognition", region_name="us-east-1")
    context.override(boto=lambda service, **kwargs: rek)  # the composition root's client
    with Stubber(rek) as stub:
        stub.add_response("detect_faces", json.loads((EVENTS / "detect_faces_one.json").read_text()),
                          {"Image": {"Bytes": astronaut}, "Attributes": ["EMOTIONS"]})
        status, body = post(client, astronaut)
        stub.assert_no_pending_responses()
    assert status == 200 and body["emotions"] == "HAPPY" and body["analyzer"] == "rekognition"
    assert {k: body[k] for k in NOT_READ} == dict.fromkeys(NOT_READ)


@pytest.mark.parametrize("context", [
    {"generation": None, "gender": None},   # what an emotion-only reading hands the kiosk
    {},                                     # a kiosk that sends no context at all
    {"generation": "adult", "gender": "Female"},
])
def test_the_garden_request_takes_the_original_body_with_or_without_demographics(client, context):
    response = client.http.post("/garden", headers={"Content-Type": "application/json"},
                                body=json.dumps({"id": "visitor-8", "emotion": "HAPPY", **context}))
    assert response.status_code == 200
    assert json.loads(response.body)["emotion"] == "HAPPY"
