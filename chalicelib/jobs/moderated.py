"""A job's moderation: its prompts checked before a job exists, each image checked after it is
made and before it is stored where anyone can reach it. What a verdict (or a check that could
not answer) means for each kind of job is one pure rule, ``rules/moderation.py``: public
text-to-image fails closed, the operator's bulk jobs fail open into review."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import logs
from ..moderation import Moderation, ModerationUnavailable, Verdict
from ..rules.moderation import ImageDecision, image_outcome, prompt_outcome


def check_prompt(moderation: Moderation | None, kind: str, text: str | None,
                 where: str | None = None) -> None:
    """Nothing when ``text`` may run; PromptRefused (400, no job) when it was flagged;
    ModerationUnavailable (503) when the check could not answer and ``kind`` fails closed.
    A bulk prompt whose managed check was down runs on the block list's word alone (the
    block list answers before the managed check: a refusal of the list stands)."""
    if moderation is None or not text:
        return
    try:
        moderation.check_prompt(text, where)       # PromptRefused when flagged
    except ModerationUnavailable as exc:
        if prompt_outcome(kind, None).action == "retry-later":
            raise
        logs.event("moderation.prompt_unchecked", kind=kind, field=where, source=exc.source,
                   error=str(exc)[:200])


@dataclass(frozen=True)
class ImageCheck:
    """An image's moderation: what becomes of it, and why (``verdict`` None: not checked
    because the check could not answer, or no image check is on)."""
    decision: ImageDecision
    verdict: Verdict | None
    error: str | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.verdict.labels) if self.verdict else []

    @property
    def status(self) -> Literal["clean", "flagged", "unchecked"]:
        reason = self.decision.reason
        return "unchecked" if reason == "unavailable" else reason


def check_image(moderation: Moderation | None, kind: str, data: bytes) -> ImageCheck | None:
    """The image's fate, or None when no image check is on (the image goes on as before)."""
    if moderation is None or moderation.image is None:
        return None
    try:
        verdict: Verdict | None = moderation.image.check_image(data)
    except ModerationUnavailable as exc:
        decision = image_outcome(kind, None, moderation.bulk_flagged)
        logs.event("moderation.image_unchecked", kind=kind, source=exc.source,
                   action=decision.action, error=str(exc)[:200])
        return ImageCheck(decision, None, str(exc)[:200])
    assert verdict is not None
    return ImageCheck(image_outcome(kind, verdict.flagged, moderation.bulk_flagged), verdict)
