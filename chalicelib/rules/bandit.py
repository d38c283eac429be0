"""The learned garden order: Thompson sampling over each image's like-rate, with back-off.

Pure rules (no I/O): the garden use case reads the counters and hands them here.

Counters are aggregates per (image, segment). A segment is what the kiosk knows of a visit
beyond the emotion (each image belongs to one emotion, so the emotion is the image's own):
the generation (age band) when the kiosk has one, the favorite when chosen, the gender only
when an operator turns it on. ``ALL`` is every visit together. Each impression and like is
counted twice: in ``ALL`` and in the visit's segment (when it has one).

The score of an image for a visit is one draw from

    Beta(likes_s + k·m_i, impressions_s − likes_s + k·(1 − m_i)),  k = min(K_SEGMENT, K_IMAGE + n_rest)

where ``_s`` are the image's counts in the visit's segment, n_rest its impressions in the other
segments and m_i its like-rate there, itself backed off to the emotion's prior m_e:

    m_i = (likes_rest + K_IMAGE·m_e) / (impressions_rest + K_IMAGE)
    m_e = (likes of the candidates + 1) / (impressions of the candidates + 2)

So an image nobody has seen draws around the emotion's rate with a wide spread (it gets
shown and learned), an image loved by one age group rises for that group only, and an image
seen often with no likes sinks. Images are ordered by their draws, highest first — except
that the least seen image with fewer than WARM_UP impressions in all takes the first place
(one per page and orientation): a new image is judged on at least WARM_UP impressions.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

ALL = "*"                 # the segment of every visit
K_IMAGE = 6.0             # pseudo-impressions the emotion's prior lends an image
K_SEGMENT = 20.0          # pseudo-impressions the image's rate lends a segment
WARM_UP = 10              # impressions before an image must win its place by its draws


@dataclass(frozen=True)
class Counts:
    impressions: int = 0
    likes: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.impressions + other.impressions, self.likes + other.likes)

    def __sub__(self, other: Counts) -> Counts:
        return Counts(max(0, self.impressions - other.impressions),
                      max(0, self.likes - other.likes))

    @property
    def seen(self) -> int:
        """Impressions, never fewer than likes (a like may arrive before its impression)."""
        return max(self.impressions, self.likes)

    def rate(self) -> float | None:
        return self.likes / self.seen if self.seen else None


NONE = Counts()


def segment_of(generation: str | None = None, favorite: str | None = None,
               gender: str | None = None) -> str | None:
    """The segment name of a visit's context (None: the visit tells nothing beyond its
    emotion, and counts only in ALL). Fields are already validated."""
    parts = [f"{tag}={value}" for tag, value in (("g", generation), ("f", favorite),
                                                  ("s", gender)) if value]
    return "|".join(parts) or None


def segments(segment: str | None) -> tuple[str, ...]:
    """The segments a visit's impressions and likes are counted in."""
    return (ALL,) if segment is None else (ALL, segment)


def emotion_prior(counts: Iterable[Counts]) -> float:
    """The like-rate of all the candidates together, under a uniform Beta(1, 1)."""
    total = sum(counts, NONE)
    return (total.likes + 1) / (total.seen + 2)


def image_rate(everyone: Counts, own: Counts, prior: float) -> float:
    """The image's like-rate outside the visit's segment, backed off to the emotion's."""
    rest = everyone - own
    return (rest.likes + K_IMAGE * prior) / (rest.seen + K_IMAGE)


def draw(everyone: Counts, own: Counts, prior: float, rng: random.Random) -> float:
    """One Thompson draw of an image's like-rate for a visit of the segment."""
    mean = image_rate(everyone, own, prior)
    # the back-off weighs what it knows: little for an image seen nowhere else yet
    strength = min(K_SEGMENT, K_IMAGE + (everyone - own).seen)
    alpha = own.likes + strength * mean
    beta = own.seen - own.likes + strength * (1.0 - mean)
    return rng.betavariate(max(alpha, 1e-6), max(beta, 1e-6))


def thompson_order(keys: Sequence[str], counters: Mapping[str, Mapping[str, Counts]],
                   segment: str | None, rng: random.Random) -> list[str]:
    """``keys`` ordered by one Thompson draw each, best first. ``counters[key][segment]`` are
    the image's counts (absent: none); with no segment the visit's counts are ALL's and the
    back-off goes straight to the emotion's prior."""
    everyone = {k: counters.get(k, {}).get(ALL, NONE) for k in keys}
    own = {k: counters.get(k, {}).get(segment, NONE) if segment else everyone[k] for k in keys}
    prior = emotion_prior(everyone.values())
    drawn = {k: draw(everyone[k], own[k], prior, rng) for k in keys}
    order = sorted(keys, key=lambda k: (-drawn[k], k))
    # the warm-up place: the least seen image still short of WARM_UP impressions leads, so
    # every new image is seen enough to be judged, whatever its first few visitors did
    cold = [k for k in order if everyone[k].seen < WARM_UP]
    if cold:
        first = min(cold, key=lambda k: everyone[k].seen)
        order.remove(first)
        order.insert(0, first)
    return order
