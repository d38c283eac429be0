"""Demo content: on first start with an empty store, plant a few painted flowers per emotion
so the garden is never blank. Made locally by the painter; nothing is downloaded.
Turn it off with GARDEN_DEMO=0."""
from __future__ import annotations

from .generators import GenerationRequest
from .rules import provenance
from .rules.emotions import EMOTIONS
from .rules.layout import GARDEN, IMAGE_PREFIXES, SIZES, garden_key
from .rules.times import utc_now
from .storage import ObjectStore

PER_ORIENTATION = 2
WORDS = {
    "HAPPY": "happy, joyful", "SAD": "sad, melancholic", "ANGRY": "angry, fierce",
    "CONFUSED": "confused, puzzled", "DISGUSTED": "disgusted", "SURPRISED": "surprised, amazed",
    "CALM": "calm, serene", "FEAR": "fearful, dark",
}


def demo_prompt(emotion: str) -> str:
    return f"A flower, fantasy, {WORDS[emotion]}, concept art, highly detailed, digital art"


def is_empty(store: ObjectStore) -> bool:
    return not any(True for prefix in IMAGE_PREFIXES for _ in store.list(prefix))


def plant(store: ObjectStore, per_orientation: int = PER_ORIENTATION) -> list[str]:
    """Paint and store demo images; the store's events index them like any other image."""
    from .generators.painter import PainterGenerator
    painter = PainterGenerator()
    keys = []
    for emotion in EMOTIONS:
        for orientation, (width, height) in SIZES.items():
            for n in range(per_orientation):
                seed = 1000 * EMOTIONS.index(emotion) + 10 * n + (orientation == "portrait")
                request = GenerationRequest(prompt=demo_prompt(emotion), width=width, height=height, seed=seed)
                jpeg = painter.generate(request)
                key = garden_key(GARDEN, emotion, f"demo-{n + 1}", orientation)
                store.put(key, provenance.embed(jpeg, {
                    "prompt": request.prompt, "seed": seed, "width": width, "height": height,
                    "endpoint": painter.uri, "demo": True,
                    "createdAt": utc_now(),
                }))
                keys.append(key)
    return keys
