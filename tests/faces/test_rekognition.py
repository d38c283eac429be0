"""The Rekognition adapter under botocore's Stubber, on full DetectFaces responses."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from PIL import Image

from chalicelib.errors import (
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UpstreamFailed,
)
from chalicelib.faces import prepare_image
from chalicelib.faces.rekognition import RekognitionAnalyzer, make_client
from chalicelib.faces.service import analyze_photo

from .conftest import EVENTS, jpeg

PHOTO = jpeg(Image.new("RGB", (64, 48), (200, 180, 160)))


def _event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def _expect(stubber, name: str) -> None:
    stubber.add_response("detect_faces", _event(name),
                         {"Image": {"Bytes": PHOTO}, "Attributes": ["ALL"]})


def test_one_face_maps_every_attribute(rekognition):
    client, stubber = rekognition
    _expect(stubber, "detect_faces_one")
    [face] = RekognitionAnalyzer(client).analyze(prepare_image(PHOTO, "image/jpeg"))
    assert face.dominant_emotion == "HAPPY"
    assert face.emotions["HAPPY"] == pytest.approx(91.2)
    assert face.emotions["CONFUSED"] == pytest.approx(0.37)
    assert (face.age_range.low, face.age_range.high) == (29, 37)
    assert face.gender == "Female"
    assert (face.smile, face.eyeglasses, face.sunglasses, face.beard, face.mustache,
            face.eyes_open, face.mouth_open) == (True, False, False, False, False, True, True)
    assert face.box.left == pytest.approx(0.3512) and face.box.width == pytest.approx(0.2791)


def test_response_has_the_original_fields_and_the_richer_ones(rekognition):
    client, stubber = rekognition
    _expect(stubber, "detect_faces_one")
    result = analyze_photo(PHOTO, "image/jpeg", RekognitionAnalyzer(client), user_id="kiosk-7")
    assert result == {
        "id": "kiosk-7", "bucket": None, "key": None,
        "ageRange": {"Low": 29, "High": 37}, "smile": True, "eyeglasses": False,
        "sunglasses": False, "gender": "Female", "beard": False, "mustache": False,
        "eyesOpen": True, "mouthOpen": True, "emotions": "HAPPY", "generation": "adult",
        "emotionScores": {"HAPPY": 91.2, "SAD": 0.11, "ANGRY": 0.34, "CONFUSED": 0.37,
                          "DISGUSTED": 0.07, "SURPRISED": 6.25, "CALM": 1.62, "FEAR": 0.04},
        "faces": 1,
        "boundingBox": {"Width": 0.2791, "Height": 0.4302, "Left": 0.3512, "Top": 0.1834},
        "analyzer": "rekognition",
    }


def test_several_faces_the_largest_is_the_visitor(rekognition):
    client, stubber = rekognition
    _expect(stubber, "detect_faces_two")
    result = analyze_photo(PHOTO, "image/jpeg", RekognitionAnalyzer(client))
    # The first FaceDetail is a small happy child; the visitor is the large calm adult.
    assert result["faces"] == 2
    assert result["emotions"] == "CALM"
    assert result["ageRange"] == {"Low": 52, "High": 60}
    assert result["generation"] == "middle-age"
    assert (result["eyeglasses"], result["beard"], result["mustache"]) == (True, True, True)


def test_a_box_running_off_the_frame_is_clamped(rekognition):
    client, stubber = rekognition
    _expect(stubber, "detect_faces_two")
    faces = RekognitionAnalyzer(client).analyze(prepare_image(PHOTO, "image/jpeg"))
    small = faces[0].box
    assert small.left == 0.0 and small.width == pytest.approx(0.101 - 0.021)


def test_no_face_is_not_found(rekognition):
    client, stubber = rekognition
    _expect(stubber, "detect_faces_none")
    with pytest.raises(NotFound, match="No Face"):
        analyze_photo(PHOTO, "image/jpeg", RekognitionAnalyzer(client))


def test_emotion_types_missing_from_the_answer_are_none(rekognition):
    client, stubber = rekognition
    event = _event("detect_faces_one")
    event["FaceDetails"][0]["Emotions"] = [{"Type": "SAD", "Confidence": 80.0},
                                           {"Type": "UNKNOWN", "Confidence": 20.0}]
    stubber.add_response("detect_faces", event)
    [face] = RekognitionAnalyzer(client).analyze(prepare_image(PHOTO, "image/jpeg"))
    assert face.dominant_emotion == "SAD"
    assert face.emotions["HAPPY"] is None and "UNKNOWN" not in face.emotions


@pytest.mark.parametrize("code, status, error", [
    ("InvalidImageFormatException", 400, InvalidRequest),
    ("InvalidParameterException", 400, InvalidRequest),
    ("ImageTooLargeException", 400, PayloadTooLarge),
    ("ThrottlingException", 400, ServiceUnavailable),
    ("ProvisionedThroughputExceededException", 400, ServiceUnavailable),
    ("AccessDeniedException", 403, UpstreamFailed),
    ("InternalServerError", 500, UpstreamFailed),
])
def test_client_errors_become_domain_errors(rekognition, code, status, error):
    client, stubber = rekognition
    stubber.add_client_error("detect_faces", service_error_code=code,
                             service_message="details for the log", http_status_code=status)
    with pytest.raises(error) as caught:
        RekognitionAnalyzer(client).analyze(prepare_image(PHOTO, "image/jpeg"))
    assert type(caught.value) is error
    assert "details for the log" not in str(caught.value)  # AWS's text stays server-side


class _Failing:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def detect_faces(self, **_):
        raise self.exc


@pytest.mark.parametrize("exc", [
    EndpointConnectionError(endpoint_url="https://rekognition.us-east-1.amazonaws.com"),
    ReadTimeoutError(endpoint_url="https://rekognition.us-east-1.amazonaws.com"),
])
def test_unreachable_rekognition_is_upstream_failed(exc):
    with pytest.raises(UpstreamFailed):
        RekognitionAnalyzer(_Failing(exc)).analyze(prepare_image(PHOTO, "image/jpeg"))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_):
        yield self.body


def _answer_with(statuses: list[tuple[int, dict]]):
    """A before-send hook: botocore's retry loop runs around it, as around the network."""
    from botocore.awsrequest import AWSResponse
    sent: list[object] = []

    def hook(request, **_):
        status, body = statuses[len(sent)]
        sent.append(request)
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"},  # type: ignore[arg-type]
                           _Raw(json.dumps(body).encode()))
    return hook, sent


THROTTLED = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})


def test_throttling_is_retried_then_succeeds(monkeypatch):
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda seconds: None)
    client = make_client("us-east-1")
    hook, sent = _answer_with([THROTTLED, THROTTLED, (200, _event("detect_faces_one"))])
    client.meta.events.register("before-send.rekognition.DetectFaces", hook)
    [face] = RekognitionAnalyzer(client).analyze(prepare_image(PHOTO, "image/jpeg"))
    assert face.dominant_emotion == "HAPPY" and len(sent) == 3


def test_throttling_after_every_retry_is_service_unavailable(monkeypatch):
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda seconds: None)
    client = make_client("us-east-1")
    hook, sent = _answer_with([THROTTLED] * 10)
    client.meta.events.register("before-send.rekognition.DetectFaces", hook)
    with pytest.raises(ServiceUnavailable):
        RekognitionAnalyzer(client).analyze(prepare_image(PHOTO, "image/jpeg"))
    assert len(sent) == 5  # the first try and four retries


def test_client_is_built_with_the_retry_configuration():
    client = make_client("eu-west-1")
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.region_name == "eu-west-1"
