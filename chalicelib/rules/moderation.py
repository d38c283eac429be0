"""What becomes of a prompt or a generated image after moderation: one pure rule.

The public text-to-image page fails **closed**: an image that was flagged, or that could not
be checked because the moderation service was down, is held (never stored where a visitor
can reach it, never returned), and a prompt that could not be checked is not run (503, try
again). The operator's bulk jobs fail **open** into review: an image that could not be
checked goes to the pool marked for the reviewer, as a flagged one does (or, when the
operator chose ``drop``, a flagged one is dropped — an unchecked one is still kept for
review: an outage never destroys work); a bulk prompt whose managed check was down runs on
the block list's word alone, its images reviewed in the pool as every pool image is.

``flagged`` is the check's answer: True (flagged), False (clean) or None (the check could
not answer). Kinds are the job kinds' names (``jobs/kinds.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TEXT2IMAGE, BULK = "text2image", "bulk"
KINDS = (TEXT2IMAGE, BULK)

ImageAction = Literal["keep", "hold", "review", "drop"]
PromptAction = Literal["run", "refuse", "retry-later"]
Reason = Literal["clean", "flagged", "unavailable"]


@dataclass(frozen=True)
class ImageDecision:
    action: ImageAction     # keep: as today; hold: never stored publicly nor returned;
                            # review: to the pool, marked; drop: not stored at all
    reason: Reason

    @property
    def public(self) -> bool:
        """The image may go where a visitor can reach it (the job's answer, the garden)."""
        return self.action == "keep"


@dataclass(frozen=True)
class PromptDecision:
    action: PromptAction    # run; refuse: 400 with the verdict, no job; retry-later: 503
    reason: Reason


def _reason(flagged: bool | None) -> Reason:
    return "unavailable" if flagged is None else "flagged" if flagged else "clean"


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def image_outcome(kind: str, flagged: bool | None,
                  bulk_flagged: Literal["review", "drop"] = "review") -> ImageDecision:
    """The image's fate: text-to-image holds what is flagged or unchecked; bulk sends both to
    review (or drops what is flagged, when the operator chose ``drop``)."""
    reason = _reason(flagged)
    if reason == "clean":
        return ImageDecision("keep", reason)
    if _kind(kind) == TEXT2IMAGE:
        return ImageDecision("hold", reason)
    if reason == "flagged" and bulk_flagged == "drop":
        return ImageDecision("drop", reason)
    return ImageDecision("review", reason)


def prompt_outcome(kind: str, flagged: bool | None) -> PromptDecision:
    """The prompt's fate: a flagged prompt is refused everywhere; one that could not be
    checked is not run on the public page (retry later) and runs in bulk (its images reviewed)."""
    reason = _reason(flagged)
    if reason == "clean":
        return PromptDecision("run", reason)
    if reason == "flagged":
        return PromptDecision("refuse", reason)
    return PromptDecision("retry-later" if _kind(kind) == TEXT2IMAGE else "run", reason)
