"""Clients for the moderation adapters under botocore's Stubber (no network: the Stubber
answers before anything is sent), and a fake Rekognition/Bedrock for answers the Stubber's
validation would not let through (malformed ones)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.moderation.guardrails import RETRY_CONFIG as GUARDRAILS_RETRY
from chalicelib.moderation.rekognition import RETRY_CONFIG as REKOGNITION_RETRY


def _session() -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1")


@pytest.fixture
def rekognition() -> Iterator[tuple[Any, Stubber]]:
    client = _session().client("rekognition", config=REKOGNITION_RETRY)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def bedrock() -> Iterator[tuple[Any, Stubber]]:
    client = _session().client("bedrock-runtime", config=GUARDRAILS_RETRY)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


class Answers:
    """A client whose one operation answers (or raises) what it is given, in turn."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def _next(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    detect_moderation_labels = apply_guardrail = _next
