"""The moderation port: is a prompt, is an image, fit for a public room?

Two checks, each a Protocol: a prompt check (``check_prompt``) and an image check
(``check_image``). Both answer a ``Verdict``: ``clean`` or flagged with a ``kind``, the
``labels`` that flagged it and a ``confidence`` (0..100). A check that cannot answer — the
service is down, throttled past its retries, times out, or answers something malformed —
raises ``ModerationUnavailable``: never a clean verdict, never a refusal. What an outage means
is the caller's rule (``chalicelib/rules/moderation.py``: public text-to-image fails closed,
bulk fails open into review).

Adapters:

- ``blocklist.BlockListCheck``: the curated English and Korean block list with the
  operator's own lists (``chalicelib/rules/blocklist.py``); offline, everywhere.
- ``guardrails.GuardrailsPromptCheck``: Amazon Bedrock Guardrails ``ApplyGuardrail`` on the
  prompt (when ``GARDEN_GUARDRAIL`` names a guardrail), after the block list.
- ``rekognition.RekognitionImageCheck``: Amazon Rekognition ``DetectModerationLabels`` on
  the image's bytes (``GARDEN_IMAGE_CHECK=rekognition``: the default in AWS; locally with AWS
  credentials).

``build_moderation`` is the only place that picks them (as ``faces.build_analyzer`` does for
the face analyzer); boto3 is imported only when an AWS check is built. The settings are
parsed by ``settings.parse_settings``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import InvalidRequest, ServiceUnavailable

if TYPE_CHECKING:
    from .settings import ModerationSettings

__all__ = [
    "CLEAN", "ImageCheck", "Moderation", "ModerationUnavailable", "PromptCheck", "PromptChecks",
    "PromptRefused", "Verdict", "VerdictKind", "build_moderation",
]

# clean: nothing found. blocked-words: the block list. harmful-text: the managed prompt check.
# unsafe-image: the image check.
VerdictKind = Literal["clean", "blocked-words", "harmful-text", "unsafe-image"]


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    labels: tuple[str, ...] = ()        # categories or moderation labels that flagged it
    confidence: float = 0.0             # 0..100: the highest among the labels (the list: 100)
    source: str = ""                    # which check answered: blocklist | guardrails | rekognition
    terms: tuple[str, ...] = field(default=(), compare=False)
    # ^ the block-list entries matched: for the operator's desk and logs, never for a visitor

    @property
    def flagged(self) -> bool:
        return self.kind != "clean"

    def to_json(self) -> dict[str, Any]:
        """For the job record and the desk (``terms`` included: the operator's view)."""
        return {"kind": self.kind, "labels": list(self.labels),
                "confidence": round(self.confidence, 1), "source": self.source,
                "terms": list(self.terms)}


CLEAN = Verdict("clean")


class ModerationUnavailable(ServiceUnavailable):
    """A moderation check could not answer (down, throttled past its retries, timed out, or
    answered something malformed). Distinct from a refusal: what it means is the caller's
    rule (public text-to-image holds the image; bulk marks it for review)."""

    def __init__(self, message: str, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class PromptRefused(InvalidRequest):
    """A prompt the moderation refused (HTTP 400, no job). ``str()`` is the bilingual
    message; ``to_json`` the body's extra fields (the visitor never sees matched words)."""

    MESSAGE_EN = "This prompt can't be used here. Please try other words."
    MESSAGE_KO = "이 프롬프트는 여기에서 사용할 수 없어요. 다른 단어로 써 주세요."

    def __init__(self, verdict: Verdict, where: str | None = None) -> None:
        super().__init__(f"{self.MESSAGE_EN} / {self.MESSAGE_KO}")
        self.verdict = verdict
        self.where = where          # bulk: which template, favorite or word was refused

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": self.verdict.kind, "labels": list(self.verdict.labels),
                                "messages": {"en": self.MESSAGE_EN, "ko": self.MESSAGE_KO}}
        if self.where:
            body["field"] = self.where
        return body


class PromptCheck(Protocol):
    name: str

    def check_prompt(self, text: str) -> Verdict:
        """The prompt's verdict; ModerationUnavailable when the check cannot answer."""
        ...


class ImageCheck(Protocol):
    name: str

    def check_image(self, data: bytes) -> Verdict:
        """The image's (JPEG or PNG bytes) verdict; ModerationUnavailable when the check
        cannot answer."""
        ...


class PromptChecks:
    """Several prompt checks in order (the block list first: free and offline); the first
    flagged verdict is the answer, so a managed check is asked only about prompts the list
    let through. An unavailable check raises: the list's refusal still stands before it."""

    def __init__(self, checks: Sequence[PromptCheck]) -> None:
        self.checks = tuple(checks)
        self.name = "+".join(check.name for check in self.checks)

    def check_prompt(self, text: str) -> Verdict:
        for check in self.checks:
            verdict = check.check_prompt(text)
            if verdict.flagged:
                return verdict
        return CLEAN


@dataclass(frozen=True)
class Moderation:
    """What the composition root hands the use cases: the checks that are on (None: off)
    and the policy's one choice, what becomes of a flagged bulk image."""
    prompt: PromptCheck | None
    image: ImageCheck | None
    bulk_flagged: Literal["review", "drop"] = "review"

    def check_prompt(self, text: str, where: str | None = None) -> Verdict:
        """The prompt's verdict (CLEAN when prompts are not checked); PromptRefused when it
        is flagged. ModerationUnavailable passes through: the caller's rule decides."""
        verdict = self.prompt.check_prompt(text) if self.prompt else CLEAN
        if verdict.flagged:
            raise PromptRefused(verdict, where)
        return verdict


def build_moderation(settings: ModerationSettings, *, bedrock_client: Any = None,
                     rekognition_client: Any = None) -> Moderation:
    """The checks ``settings`` ask for. Block lists are read here, so a missing, empty or
    unreadable list is a ConfigError at start-up naming its setting. Clients are made (with
    their retry configuration) when not given."""
    prompt: PromptCheck | None = None
    image: ImageCheck | None = None
    if settings.prompts:
        from .blocklist import BlockListCheck
        checks: list[PromptCheck] = [BlockListCheck.from_settings(settings)]
        if settings.guardrail_id:
            from .guardrails import GuardrailsPromptCheck, make_client
            checks.append(GuardrailsPromptCheck(
                bedrock_client if bedrock_client is not None else make_client(),
                settings.guardrail_id, settings.guardrail_version))
        prompt = checks[0] if len(checks) == 1 else PromptChecks(checks)
    if settings.images:
        from .rekognition import RekognitionImageCheck
        from .rekognition import make_client as rekognition
        image = RekognitionImageCheck(
            rekognition_client if rekognition_client is not None else rekognition(),
            min_confidence=settings.min_confidence, labels=settings.labels)
    return Moderation(prompt=prompt, image=image, bulk_flagged=settings.bulk_flagged)
