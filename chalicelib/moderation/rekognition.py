"""Images checked by Amazon Rekognition ``DetectModerationLabels`` on the image's own bytes
(no S3 round trip: the image is checked before it is stored where anyone can reach it).

An image is flagged when a moderation label at or above the minimum confidence
(``GARDEN_MODERATION_MIN_CONFIDENCE``, sent as ``MinConfidence``) is one of the configured
labels (``GARDEN_MODERATION_LABELS``; a label matches by its name or its parent's, so a
top-level category such as ``Explicit`` or ``Violence`` covers everything under it), or any
label when none are configured.

Price (US East list price at the time of writing; check the Rekognition pricing page): image
APIs of group 1, DetectModerationLabels among them, $0.001 per image for the first million
images a month, less beyond — **$0.001 per generated image**.

Throttling is retried inside botocore (standard mode, with backoff and jitter); what is left
after the retries — an error, a timeout, an image Rekognition cannot take, or an answer that
is not a list of labels with confidences — is ``ModerationUnavailable``, never a clean verdict.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import CLEAN, ModerationUnavailable, Verdict

NAME = "rekognition"
# Three attempts in all (botocore's ``max_attempts`` would count retries only), inside a
# job's turn: the worst case, every attempt timing out, is about 30 s.
RETRY_CONFIG = Config(retries={"total_max_attempts": 3, "mode": "standard"},
                      connect_timeout=3, read_timeout=6)
MAX_IMAGE_BYTES = 5 * 1024 * 1024       # Rekognition's limit for image bytes in the request


def make_client(region: str | None = None) -> Any:
    import boto3
    return boto3.client("rekognition", region_name=region, config=RETRY_CONFIG)


class RekognitionImageCheck:
    name = NAME

    def __init__(self, client: Any, min_confidence: float = 50.0,
                 labels: Iterable[str] = ()) -> None:
        self._client = client
        self.min_confidence = float(min_confidence)
        self.labels = frozenset(label.strip().casefold() for label in labels if label.strip())

    def check_image(self, data: bytes) -> Verdict:
        if len(data) > MAX_IMAGE_BYTES:
            raise ModerationUnavailable(
                f"the image ({len(data)} bytes) is over Rekognition's {MAX_IMAGE_BYTES} bytes",
                NAME)
        try:
            answer = self._client.detect_moderation_labels(
                Image={"Bytes": data}, MinConfidence=self.min_confidence)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "") or "unknown error"
            raise ModerationUnavailable(f"Rekognition moderation failed ({code})", NAME) from exc
        except BotoCoreError as exc:        # timeouts and connection errors after the retries
            raise ModerationUnavailable(f"Rekognition moderation failed: {type(exc).__name__}",
                                        NAME) from exc
        return self.verdict_of(answer)

    def verdict_of(self, answer: Any) -> Verdict:
        """A DetectModerationLabels response → the verdict; ModerationUnavailable when it is
        malformed (no label list, a label without a name or a confidence in 0..100)."""
        labels = answer.get("ModerationLabels") if isinstance(answer, Mapping) else None
        if not isinstance(labels, list):
            raise ModerationUnavailable("Rekognition answered without a label list", NAME)
        found: dict[str, float] = {}
        for label in labels:
            name = label.get("Name") if isinstance(label, Mapping) else None
            confidence = label.get("Confidence") if isinstance(label, Mapping) else None
            parent = label.get("ParentName", "") if isinstance(label, Mapping) else ""
            if (not isinstance(name, str) or not name or isinstance(confidence, bool)
                    or not isinstance(confidence, int | float) or not isinstance(parent, str)
                    or not math.isfinite(confidence) or not 0 <= confidence <= 100):
                raise ModerationUnavailable("Rekognition answered a malformed label", NAME)
            if confidence < self.min_confidence:
                continue
            if self.labels and not {name.casefold(), parent.casefold()} & self.labels:
                continue
            found[name] = max(found.get(name, 0.0), float(confidence))
        if not found:
            return CLEAN
        return Verdict("unsafe-image", labels=tuple(sorted(found)),
                       confidence=max(found.values()), source=NAME)
