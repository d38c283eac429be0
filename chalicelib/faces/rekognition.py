"""The face analyzer in AWS: Rekognition DetectFaces on the photo's own bytes (no S3 round
trip, so the photo is never stored). A full reading asks for every attribute (``ALL``); an
emotion-only one asks for ``EMOTIONS`` alone (DetectFaces adds its default box, confidence,
landmarks, pose and quality) and passes nothing else on, whatever the answer holds."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from ..errors import InvalidRequest, PayloadTooLarge, ServiceUnavailable, UpstreamFailed
from ..rules.emotions import EMOTIONS
from . import AgeRange, BoundingBox, Face
from .images import PreparedImage

# Throttling is retried inside botocore with exponential backoff and jitter ("standard" mode
# retries ThrottlingException and ProvisionedThroughputExceededException); the timeouts keep
# one request well inside API Gateway's 29 s even after every retry.
RETRY_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"},
                      connect_timeout=3, read_timeout=8)

_THROTTLED = {"ThrottlingException", "ProvisionedThroughputExceededException",
              "LimitExceededException", "ServiceUnavailableException"}
_BAD_IMAGE = {"InvalidImageFormatException": InvalidRequest,
              "InvalidParameterException": InvalidRequest,
              "ImageTooLargeException": PayloadTooLarge}
_MESSAGES = {"InvalidImageFormatException": "Rekognition cannot read this image format",
             "InvalidParameterException": "Rekognition refused the image (too small or invalid)",
             "ImageTooLargeException": "the photo is too large for Rekognition"}
ALL_ATTRIBUTES, EMOTION_ATTRIBUTES = ["ALL"], ["EMOTIONS"]
_FLAGS = {"smile": "Smile", "eyeglasses": "Eyeglasses", "sunglasses": "Sunglasses",
          "beard": "Beard", "mustache": "Mustache", "eyes_open": "EyesOpen",
          "mouth_open": "MouthOpen"}


def make_client(region: str | None = None) -> Any:
    import boto3
    return boto3.client("rekognition", region_name=region, config=RETRY_CONFIG)


class RekognitionAnalyzer:
    name = "rekognition"

    def __init__(self, client: Any, emotion_only: bool = False) -> None:
        self._client = client
        self.emotion_only = emotion_only
        self.attributes = EMOTION_ATTRIBUTES if emotion_only else ALL_ATTRIBUTES

    def analyze(self, image: PreparedImage) -> list[Face]:
        try:
            response = self._client.detect_faces(Image={"Bytes": image.data},
                                                 Attributes=list(self.attributes))
        except ClientError as exc:
            raise _domain_error(exc) from exc
        except EndpointConnectionError as exc:
            raise UpstreamFailed("Rekognition cannot be reached") from exc
        except BotoCoreError as exc:  # timeouts after retries, connection resets
            raise UpstreamFailed(f"Rekognition failed: {type(exc).__name__}") from exc
        faces = [face_from_detail(detail) for detail in response.get("FaceDetails", [])]
        return [face.emotion_only() for face in faces] if self.emotion_only else faces


def _domain_error(exc: ClientError) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in _BAD_IMAGE:
        return _BAD_IMAGE[code](_MESSAGES[code])
    if code in _THROTTLED:
        return ServiceUnavailable("Rekognition is busy; try again in a moment")
    if code in ("AccessDeniedException", "UnrecognizedClientException"):
        return UpstreamFailed("Rekognition refused access (check the function's IAM role)")
    return UpstreamFailed(f"Rekognition failed ({code or 'unknown error'})")


def face_from_detail(detail: Mapping[str, Any]) -> Face:
    """One FaceDetail → the domain's Face. Rekognition does not promise the emotions' order,
    so scores are keyed by type; a type it did not return stays None."""
    box = detail.get("BoundingBox", {})
    scores: dict[str, float | None] = {name: None for name in EMOTIONS}
    for emotion in detail.get("Emotions", []):
        if emotion.get("Type") in scores:
            scores[emotion["Type"]] = float(emotion["Confidence"])
    age = detail.get("AgeRange")
    gender = detail.get("Gender", {}).get("Value")
    return Face(
        box=BoundingBox.clamped(box.get("Left", 0.0), box.get("Top", 0.0),
                                box.get("Width", 0.0), box.get("Height", 0.0)),
        emotions=scores,
        age_range=AgeRange(int(age["Low"]), int(age["High"])) if age else None,
        gender=gender if gender in ("Male", "Female") else None,
        **{field: _flag(detail, key) for field, key in _FLAGS.items()},
        extra={"confidence": detail.get("Confidence")},
    )


def _flag(detail: Mapping[str, Any], key: str) -> bool | None:
    value = detail.get(key, {}).get("Value")
    return value if isinstance(value, bool) else None
