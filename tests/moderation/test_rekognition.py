"""The Rekognition image check: DetectModerationLabels under botocore's Stubber, malformed
answers and timeouts as "unavailable", and throttling retried by botocore itself against a
local HTTP stand-in (127.0.0.1: no network)."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from chalicelib.moderation import ModerationUnavailable
from chalicelib.moderation.rekognition import (
    MAX_IMAGE_BYTES,
    RETRY_CONFIG,
    RekognitionImageCheck,
)

from chalicelib.moderation.guardrails import RETRY_CONFIG as GUARDRAILS_RETRY

from .conftest import Answers

IMAGE = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


def label(name: str, confidence: float, parent: str = "", level: int = 1) -> dict[str, Any]:
    return {"Name": name, "Confidence": confidence, "ParentName": parent,
            "TaxonomyLevel": level}


def expect(stubber, labels: list[dict[str, Any]], min_confidence: float = 50.0) -> None:
    stubber.add_response("detect_moderation_labels",
                         {"ModerationLabels": labels, "ModerationModelVersion": "7.0"},
                         {"Image": {"Bytes": IMAGE}, "MinConfidence": min_confidence})


def test_a_clean_image(rekognition) -> None:
    client, stubber = rekognition
    expect(stubber, [])
    verdict = RekognitionImageCheck(client).check_image(IMAGE)
    assert verdict.kind == "clean" and not verdict.flagged


def test_any_label_flags_when_none_are_configured(rekognition) -> None:
    client, stubber = rekognition
    expect(stubber, [label("Explicit", 97.1), label("Explicit Nudity", 97.1, "Explicit", 2)])
    verdict = RekognitionImageCheck(client).check_image(IMAGE)
    assert (verdict.kind, verdict.labels, verdict.source) == (
        "unsafe-image", ("Explicit", "Explicit Nudity"), "rekognition")
    assert verdict.confidence == pytest.approx(97.1)


def test_configured_labels_match_a_label_or_its_parent(rekognition) -> None:
    client, stubber = rekognition
    check = RekognitionImageCheck(client, min_confidence=60, labels=["violence"])
    expect(stubber, [label("Alcohol", 90.0), label("Alcoholic Beverages", 90.0, "Alcohol", 2)], 60)
    assert check.check_image(IMAGE).kind == "clean"
    expect(stubber, [label("Weapon Violence", 88.0, "Violence", 2)], 60)
    verdict = check.check_image(IMAGE)
    assert verdict.labels == ("Weapon Violence",) and verdict.flagged


def test_labels_below_the_minimum_confidence_do_not_flag(rekognition) -> None:
    client, stubber = rekognition
    expect(stubber, [label("Suggestive", 71.0)], 80.0)
    assert RekognitionImageCheck(client, min_confidence=80).check_image(IMAGE).kind == "clean"


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException",
                                  "InvalidImageFormatException", "AccessDeniedException",
                                  "InternalServerError"])
def test_service_errors_are_unavailable(rekognition, code: str) -> None:
    client, stubber = rekognition
    stubber.add_client_error("detect_moderation_labels", service_error_code=code,
                             http_status_code=400)
    with pytest.raises(ModerationUnavailable, match=code) as err:
        RekognitionImageCheck(client).check_image(IMAGE)
    assert err.value.source == "rekognition"


@pytest.mark.parametrize("error", [
    ReadTimeoutError(endpoint_url="https://rekognition.us-east-1.amazonaws.com"),
    EndpointConnectionError(endpoint_url="https://rekognition.us-east-1.amazonaws.com"),
])
def test_timeouts_and_connection_errors_are_unavailable(error: Exception) -> None:
    with pytest.raises(ModerationUnavailable):
        RekognitionImageCheck(Answers(error)).check_image(IMAGE)


@pytest.mark.parametrize("answer", [
    None, [], {}, {"ModerationLabels": None}, {"ModerationLabels": "Explicit"},
    {"ModerationLabels": [None]}, {"ModerationLabels": [{"Confidence": 99.0}]},
    {"ModerationLabels": [{"Name": "", "Confidence": 99.0}]},
    {"ModerationLabels": [{"Name": "Explicit"}]},
    {"ModerationLabels": [{"Name": "Explicit", "Confidence": "99"}]},
    {"ModerationLabels": [{"Name": "Explicit", "Confidence": True}]},
    {"ModerationLabels": [{"Name": "Explicit", "Confidence": float("nan")}]},
    {"ModerationLabels": [{"Name": "Explicit", "Confidence": 250.0}]},
    {"ModerationLabels": [{"Name": "Explicit", "Confidence": 99.0, "ParentName": 3}]},
])
def test_a_malformed_answer_is_unavailable_never_clean(answer: Any) -> None:
    with pytest.raises(ModerationUnavailable, match="Rekognition answered"):
        RekognitionImageCheck(Answers(answer)).check_image(IMAGE)


def test_an_image_over_rekognitions_limit_is_unavailable_without_a_call() -> None:
    client = Answers()
    with pytest.raises(ModerationUnavailable, match="over Rekognition"):
        RekognitionImageCheck(client).check_image(b"\xff" * (MAX_IMAGE_BYTES + 1))
    assert client.calls == []


# --- botocore's own retries, against a local stand-in of the service -------------------------
class _Scripted(BaseHTTPRequestHandler):
    script: list[tuple[int, dict[str, Any]]] = []
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(self.headers.get("X-Amz-Target", ""))
        status, body = self.script.pop(0) if self.script else (500, {"__type": "Exhausted"})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[tuple[str, type[_Scripted]]]:
    handler = type("Handler", (_Scripted,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _real_client(url: str, config: Config) -> Any:
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1").client(
        "rekognition", endpoint_url=url, config=config)


THROTTLED = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
FLAGGED = (200, {"ModerationLabels": [label("Violence", 91.0)]})


def test_the_clients_retry_throttling_three_attempts_in_all() -> None:
    for config in (RETRY_CONFIG, GUARDRAILS_RETRY):
        assert getattr(config, "retries") == {"total_max_attempts": 3, "mode": "standard"}


def test_throttling_is_retried_by_botocore(stand_in) -> None:
    url, handler = stand_in
    handler.script += [THROTTLED, FLAGGED]
    verdict = RekognitionImageCheck(_real_client(url, RETRY_CONFIG)).check_image(IMAGE)
    assert verdict.labels == ("Violence",)
    assert handler.seen == ["RekognitionService.DetectModerationLabels"] * 2


def test_throttling_past_the_retries_is_unavailable(stand_in) -> None:
    url, handler = stand_in
    handler.script += [THROTTLED, THROTTLED]
    config = Config(retries={"total_max_attempts": 2, "mode": "standard"}, read_timeout=8)
    with pytest.raises(ModerationUnavailable, match="ThrottlingException"):
        RekognitionImageCheck(_real_client(url, config)).check_image(IMAGE)
    assert len(handler.seen) == 2
