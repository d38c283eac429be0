"""The face analyzer port: what one face in a visitor's photo tells the garden.

Two adapters implement it: Rekognition DetectFaces in AWS (``rekognition.py``) and an offline
analyzer built from models that ship inside PyPI wheels (``local.py``). The composition root
is the only place that picks one; heavy imports (numpy, MediaPipe, ONNX Runtime) happen only when
the local analyzer is actually used, so Lambda never loads them.

An operator may have the garden read less (``GARDEN_FACE_READING=emotion``): then an analyzer
reads the face's box and its emotion and nothing else — age range, gender and every other
attribute are ``None`` — and loads or asks for no more than that.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..rules.emotions import EMOTIONS, dominant
from .images import PreparedImage, prepare_image

__all__ = [
    "AgeRange", "BoundingBox", "Face", "FaceAnalyzer", "PreparedImage",
    "prepare_image",
]


@dataclass(frozen=True)
class BoundingBox:
    """Relative to the (orientation-corrected) photo: every value in 0..1."""
    left: float
    top: float
    width: float
    height: float

    @classmethod
    def clamped(cls, left: float, top: float, width: float, height: float) -> BoundingBox:
        # Both analyzers may report a face that runs off the edge of the frame (negative Left,
        # Left + Width > 1); the contract promises 0..1, so cut the box at the frame.
        x0, y0 = min(max(left, 0.0), 1.0), min(max(top, 0.0), 1.0)
        x1, y1 = min(max(left + width, 0.0), 1.0), min(max(top + height, 0.0), 1.0)
        return cls(x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0))

    @property
    def area(self) -> float:
        return self.width * self.height

    def to_json(self) -> dict[str, float]:
        # Rekognition's casing, like ageRange's Low/High: the kiosk already reads it.
        return {"Width": round(self.width, 4), "Height": round(self.height, 4),
                "Left": round(self.left, 4), "Top": round(self.top, 4)}


@dataclass(frozen=True)
class AgeRange:
    low: int
    high: int


@dataclass(frozen=True)
class Face:
    """One face's analysis. ``None`` means "this analyzer cannot tell", never a default."""
    box: BoundingBox
    emotions: Mapping[str, float | None]        # all eight of EMOTIONS, 0..100 or None
    age_range: AgeRange | None = None
    gender: str | None = None                   # "Male" | "Female" | None
    smile: bool | None = None
    eyeglasses: bool | None = None
    sunglasses: bool | None = None
    beard: bool | None = None
    mustache: bool | None = None
    eyes_open: bool | None = None
    mouth_open: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # analyzer-specific, never logged

    def __post_init__(self) -> None:
        missing = set(EMOTIONS) - set(self.emotions)
        if missing:
            raise ValueError(f"emotion scores missing for {sorted(missing)}")

    def emotion_only(self) -> Face:
        """This face with nothing but its box and emotion scores: what an analyzer answers
        when the operator has it read the emotion only, whatever its model returned."""
        return Face(box=self.box, emotions=self.emotions)

    @property
    def dominant_emotion(self) -> str:
        """The highest-scoring emotion (never the first one listed)."""
        return dominant({name: self.emotions[name] for name in EMOTIONS})


class FaceAnalyzer(Protocol):
    name: str  # "rekognition" | "local"

    def analyze(self, image: PreparedImage) -> list[Face]:
        """Every face found in the photo (an empty list when there is none). Raises only
        domain errors: InvalidRequest, PayloadTooLarge, ServiceUnavailable, UpstreamFailed."""
        ...
