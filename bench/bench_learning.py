"""A simulated exhibition: does the learned garden order find what visitors love?

8 emotions × 4 generations; 400 images with hidden like-probabilities per generation (some
loved by one generation only); 80 of them published mid-run; 5,000 visits that each see one
page of their emotion's garden and like each image by its hidden probability. Every order
runs its own exhibition — its own catalog, fed only by its own visitors' impressions and likes
— through the real use case (``garden.garden``, ``garden.impressions``, ``garden.like``) on a
real ImageIndex (the in-memory adapter). All orders meet the same visitors in the same order
and the same hidden probabilities; the like draws come from one seeded stream per order.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from chalicelib import garden
from chalicelib.catalog import Catalog, ImageRecord
from chalicelib.catalog.memory import MemoryImageIndex
from chalicelib.rules.emotions import EMOTIONS

from .stats import table

GENERATIONS = ("teenager", "young-adult", "adult", "elder")
ORIENTATIONS = ("landscape", "portrait")
IMAGES, LATE_IMAGES = 400, 80
VISITS, TAIL, NEW_WINDOW = 5_000, 1_000, 500
PAGE = 6                       # images per orientation a visit sees
PUBLISH_AT = (1_500, 2_500)    # the late images arrive in two batches
LOVED_BY_ONE = 0.2             # share of images loved by one generation only
GOAL_ORACLE, GOAL_RANK, GOAL_NEW = 0.85, 1.3, 10
T0 = 1_700_000_000_000


@dataclass
class Image:
    record: ImageRecord
    p: dict[str, float]        # hidden like-probability per generation
    published_at: int          # visit number


def _world(seed: int = 13) -> list[Image]:
    rng = random.Random(seed)
    images = []
    late = set(rng.sample(range(IMAGES), LATE_IMAGES))
    for n in range(IMAGES):
        emotion = EMOTIONS[n % len(EMOTIONS)]
        orientation = ORIENTATIONS[(n // len(EMOTIONS)) % 2]
        key = f"emotions/{emotion}/sim{n:04d}{'h' if orientation == 'landscape' else 'v'}.jpeg"
        quality = rng.betavariate(2, 9)                     # mean ≈ 0.18
        if rng.random() < LOVED_BY_ONE:
            fan = rng.choice(GENERATIONS)
            p = {g: (0.45 + 0.3 * rng.random()) if g == fan else 0.3 * quality
                 for g in GENERATIONS}
        else:
            p = {g: min(0.95, quality * (0.7 + 0.6 * rng.random())) for g in GENERATIONS}
        published = PUBLISH_AT[n % 2] if n in late else 0
        record = ImageRecord(key, "emotions", emotion, None, orientation,
                             T0 + published * 60_000 + n, 1000, {})
        images.append(Image(record, p, published))
    return images


@dataclass
class Run:
    name: str
    index: Catalog = field(default_factory=MemoryImageIndex)
    impressions: list[int] = field(default_factory=list)   # per visit
    likes: list[int] = field(default_factory=list)
    seen_after_publish: dict[str, int] = field(default_factory=dict)


def _page(run: Run, visit: int, emotion: str, generation: str, live: list[Image],
          rng: random.Random) -> list[str]:
    """The keys a visit sees under the run's order."""
    if run.name in ("learned", "rank", "fresh"):
        query = garden.GardenQuery(emotion, PAGE, None, run.name, garden.Context(generation))
        body = garden.garden(run.index, run.index, lambda key: key, query, rng=rng)
        return [item["key"] for o in ORIENTATIONS for item in body[o]]
    keys = []
    for orientation in ORIENTATIONS:
        pool = [i for i in live if i.record.emotion == emotion
                and i.record.orientation == orientation]
        if run.name == "random":
            keys += [i.record.key for i in rng.sample(pool, min(PAGE, len(pool)))]
        else:  # oracle: the truly best for this generation
            best = sorted(pool, key=lambda i: -i.p[generation])[:PAGE]
            keys += [i.record.key for i in best]
    return keys


def simulate(names: tuple[str, ...] = ("learned", "rank", "fresh", "random", "oracle"),
             visits: int = VISITS, seed: int = 5) -> dict[str, Run]:
    world = _world()
    by_key = {i.record.key: i for i in world}
    runs = {name: Run(name) for name in names}
    rngs = {name: random.Random(f"{seed}-{name}") for name in names}
    visitors = random.Random(seed)
    live: list[Image] = []
    for visit in range(visits):
        arriving = [i for i in world if i.published_at == visit]
        for image in arriving:
            for run in runs.values():
                run.index.apply_created(image.record, f"{visit + 1:08X}")
        live += arriving
        emotion, generation = visitors.choice(EMOTIONS), visitors.choice(GENERATIONS)
        context = {"emotion": emotion, "generation": generation}
        for run in runs.values():
            rng = rngs[run.name]
            keys = _page(run, visit, emotion, generation, live, rng)
            visit_id = f"visit-{visit}"
            if keys:
                garden.impressions(run.index, {"id": visit_id, "itemIds": keys, "context": context})
            liked = [k for k in keys if rng.random() < by_key[k].p[generation]]
            for key in liked:
                garden.like(run.index, {"id": visit_id, "itemId": key, "context": context})
            run.impressions.append(len(keys))
            run.likes.append(len(liked))
            for key in keys:
                image = by_key[key]
                if image.published_at and visit < image.published_at + NEW_WINDOW:
                    run.seen_after_publish[key] = run.seen_after_publish.get(key, 0) + 1
    return runs


def _rate(run: Run, start: int = 0) -> float:
    shown = sum(run.impressions[start:])
    return sum(run.likes[start:]) / shown if shown else 0.0


def late_keys() -> list[str]:
    return [i.record.key for i in _world() if i.published_at]


def run() -> str:
    runs = simulate()
    tail = VISITS - TAIL
    oracle, rank = _rate(runs["oracle"], tail), _rate(runs["rank"], tail)
    late = late_keys()
    rows: list[list[Any]] = []
    for name, r in runs.items():
        new = [r.seen_after_publish.get(k, 0) for k in late]
        rows.append([f"`{name}`" if name in ("learned", "rank", "fresh") else name,
                     f"{_rate(r):.3f}", f"{_rate(r, tail):.3f}",
                     f"{_rate(r, tail) / oracle:.0%}", f"{_rate(r, tail) / rank:.2f}×",
                     f"{min(new)} / {sorted(new)[len(new) // 2]}"])
    learned = runs["learned"]
    new_min = min(learned.seen_after_publish.get(k, 0) for k in late)
    verdict = (f"learned order, last {TAIL:,} visits: {_rate(learned, tail) / oracle:.0%} of the "
               f"oracle (goal ≥ {GOAL_ORACLE:.0%}), {_rate(learned, tail) / rank:.2f}× `rank` "
               f"(goal ≥ {GOAL_RANK}×); every late image ≥ {new_min} impressions in its first "
               f"{NEW_WINDOW} visits (goal ≥ {GOAL_NEW})")
    header = ["order", "like-rate, all visits", f"like-rate, last {TAIL:,}", "of oracle",
              "of `rank`", f"late images' impressions in {NEW_WINDOW} visits (min / median)"]
    return "\n".join([
        "## The learned garden order (simulated exhibition)",
        "",
        table(header, rows),
        "",
        f"Result: {verdict}.",
        "",
        (f"Simulated: {len(EMOTIONS)} emotions × {len(GENERATIONS)} generations; {IMAGES} images "
        f"({LATE_IMAGES} published at visits {' and '.join(map(str, PUBLISH_AT))}), "
        f"{LOVED_BY_ONE:.0%} of them loved by one generation only; {VISITS:,} visits, each "
        f"seeing one page ({PAGE} images per orientation) of its emotion's garden and liking "
        "each image with its hidden probability for the visitor's generation. Every order runs "
        "its own exhibition through the real use case on the in-memory ImageIndex (impressions "
        "and likes reported as the kiosk reports them). `random` shows a random page; "
        "`oracle` the truly best images for the visitor's generation. Like-rate = likes / "
        "images shown."),
    ])


if __name__ == "__main__":
    print(run())
