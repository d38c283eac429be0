"""The outcome rule: public text-to-image fails closed, bulk fails open into review."""
from __future__ import annotations

import pytest

from chalicelib.rules.moderation import image_outcome, prompt_outcome


@pytest.mark.parametrize("kind, flagged, bulk_flagged, action, reason", [
    ("text2image", False, "review", "keep", "clean"),
    ("text2image", True, "review", "hold", "flagged"),
    ("text2image", None, "review", "hold", "unavailable"),       # outage: fails closed
    ("text2image", True, "drop", "hold", "flagged"),             # the bulk setting is bulk's
    ("bulk", False, "review", "keep", "clean"),
    ("bulk", True, "review", "review", "flagged"),
    ("bulk", True, "drop", "drop", "flagged"),
    ("bulk", None, "review", "review", "unavailable"),           # outage: fails open, marked
    ("bulk", None, "drop", "review", "unavailable"),             # an outage never destroys work
])
def test_image_outcome(kind: str, flagged: bool | None, bulk_flagged, action: str,
                       reason: str) -> None:
    decision = image_outcome(kind, flagged, bulk_flagged)
    assert (decision.action, decision.reason) == (action, reason)
    assert decision.public == (action == "keep")


@pytest.mark.parametrize("kind, flagged, action", [
    ("text2image", False, "run"), ("text2image", True, "refuse"),
    ("text2image", None, "retry-later"),
    ("bulk", False, "run"), ("bulk", True, "refuse"), ("bulk", None, "run"),
])
def test_prompt_outcome(kind: str, flagged: bool | None, action: str) -> None:
    assert prompt_outcome(kind, flagged).action == action


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown job kind"):
        image_outcome("garden", True)
    with pytest.raises(ValueError):
        prompt_outcome("garden", None)
