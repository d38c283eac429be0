from __future__ import annotations

import colorsys
import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageStat

from chalicelib.errors import InvalidRequest
from chalicelib.generators import GenerationRequest
from chalicelib.generators.checks import ensure_jpeg
from chalicelib.generators.painter import PainterGenerator, derive_seed, paint
from chalicelib.generators.painter.mood import read_prompt
from chalicelib.rules.emotions import EMOTIONS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _gen(prompt: str, w: int = 320, h: int = 200, seed: int | None = 3) -> bytes:
    return PainterGenerator().generate(GenerationRequest(prompt, w, h, seed=seed))


def test_same_prompt_seed_and_size_give_the_same_bytes():
    assert _gen("happy flower") == _gen("happy flower")


def test_another_seed_or_prompt_gives_another_picture():
    base = _gen("happy flower", seed=1)
    assert _gen("happy flower", seed=2) != base
    assert _gen("happy flowers", seed=1) != base


def test_without_a_seed_the_prompt_picks_it():
    assert _gen("calm lotus", seed=None) == _gen("calm lotus", seed=derive_seed("calm lotus"))
    assert derive_seed("a") != derive_seed("b")


@pytest.mark.parametrize("w,h", [(64, 64), (1280, 1280), (1280, 800), (768, 512), (512, 768), (72, 1280)])
def test_any_multiple_of_8_up_to_1280_is_a_jpeg_of_exactly_that_size(w, h):
    data = _gen("A flower with cat, fantasy, very happy, immature, smile", w, h)
    assert ensure_jpeg(data, w, h, source="painter:") == data


@pytest.mark.parametrize("w,h", [(56, 64), (64, 1288), (100, 64), (0, 0), (-8, 64)])
def test_other_sizes_are_refused(w, h):
    with pytest.raises(InvalidRequest):
        _gen("happy", w, h)


def _mean_hsv(prompt: str) -> tuple[float, float, float, tuple[float, ...]]:
    image = paint(prompt, 256, 160, seed=5)
    r, g, b = (c / 255 for c in ImageStat.Stat(image).mean)
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    return h, s, v, (r, g, b)


def test_happy_is_warmer_and_brighter_than_sad():
    *_, v_happy, (rh, _, bh) = _mean_hsv("happy flower")
    *_, v_sad, (rs, _, bs) = _mean_hsv("sad flower")
    assert v_happy > v_sad + 0.15
    assert (rh - bh) > (rs - bs) + 0.1       # happy leans red/yellow, sad leans blue


def test_angry_is_red_and_dark():
    *_, v, (r, g, b) = _mean_hsv("angry flower")
    assert r > 1.5 * g and r > 1.5 * b and v < 0.5


def test_the_eight_emotions_look_different_from_each_other():
    means = {e: _mean_hsv(f"{e.lower()} flower")[3] for e in EMOTIONS}
    for i, a in enumerate(EMOTIONS):
        for b in EMOTIONS[i + 1:]:
            distance = sum((x - y) ** 2 for x, y in zip(means[a], means[b])) ** 0.5
            assert distance > 0.03, (a, b, means[a], means[b])


def test_synonyms_paint_like_their_emotion():
    assert paint("joyful garden", 128, 96, 1).tobytes() != paint("gloomy garden", 128, 96, 1).tobytes()
    assert read_prompt("joyful garden").emotion == "HAPPY"
    assert read_prompt("a scared rose").emotion == "FEAR"


def test_a_favourite_word_changes_the_picture():
    plain = paint("happy flower", 320, 200, 4)
    with_cat = paint("happy flower with cat", 320, 200, 4)
    assert plain.tobytes() != with_cat.tobytes()


@pytest.mark.parametrize("prompt,emotion", [
    ("A flower, fantasy, happy, young, smile, concept art", "HAPPY"),
    ("A flower, fantasy, unhappy, young, smile, concept art", "SAD"),    # the seed's own prompts
    ("very happy, immature", "HAPPY"),
    ("furious red", "ANGRY"), ("puzzled", "CONFUSED"), ("disgusting", "DISGUSTED"),
    ("astonished", "SURPRISED"), ("serene lake", "CALM"), ("fear", "FEAR"), ("afraid", "FEAR"),
    ("행복한 꽃", "HAPPY"), ("불행한 꽃", "SAD"), ("not happy", None), ("a flower", None),
])
def test_the_prompt_names_the_emotion(prompt, emotion):
    assert read_prompt(prompt).emotion == emotion


def test_very_raises_the_intensity_and_motifs_are_read():
    mood = read_prompt("A flower with cat, fantasy, very happy, immature, smile")
    assert mood.intensity > 1
    assert {"cat", "young", "fantasy"} <= mood.motifs
    assert read_prompt("red roses").species == "rose"


def test_unicode_and_odd_prompts_do_not_break_it():
    for prompt in ("🌸🌸🌸", "x" * 1000, "   ", "\n\t", "SAD SAD ANGRY"):
        image = Image.open(io.BytesIO(_gen(prompt, 64, 64)))
        assert image.size == (64, 64)


def test_a_rose_has_layered_petals_not_rings():
    from chalicelib.generators.painter.shapes import Flower, paint_flower
    canvas = Image.new("RGB", (200, 200))
    rose = Flower(x=100, y=100, radius=80, petals=5, width=1.0, tip=0.45, layers=4, spin=0.3,
                  face=-math.pi / 2, squash=1.0, inner=(0.7, 0.1, 0.2), outer=(1.0, 0.5, 0.6),
                  centre=(0.5, 0.1, 0.1), centre_frac=0.0, wilt=0.0, rose=True)
    paint_flower(canvas, rose)
    grey = canvas.convert("L")
    # round the outer ring, petal edges overlap and shade one another: sharp steps of light
    # every few degrees (a ring of one piece, as roses were, changes smoothly all the way round)
    around: list[Any] = [grey.getpixel((int(100 + 70 * math.cos(a)), int(100 + 70 * math.sin(a))))
                         for a in (2 * math.pi * i / 360 for i in range(360))]
    steps = sum(1 for i in range(360) if abs(around[i] - around[i - 3]) > 25)
    assert steps >= 10, around
    # and from the rim to the heart, ring after ring of petal edges
    ray: list[Any] = [grey.getpixel((100, 100 - d)) for d in range(0, 80)]
    rims = sum(1 for d in range(2, 78) if ray[d] > ray[d - 2] + 6 and ray[d] >= ray[d + 2])
    assert rims >= 3, ray


def _saturated_share(image: Image.Image, low: float, high: float) -> float:
    small = image.resize((96, 60))
    pixels: list[Any] = [small.getpixel((x, y)) for y in range(60) for x in range(96)]
    hits = 0
    for r, g, b in pixels:
        h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
        hits += low <= h <= high and s > 0.35 and v > 0.3
    return hits / len(pixels)


def test_disgusted_is_acid_green_and_bruised_plum_not_murky_olive():
    image = paint("A flower, disgusted, revolted, wilted, decaying leaves, sickly colours", 768, 480, seed=2)
    shares = [_saturated_share(paint(f"disgusted flower {n}", 384, 240, seed=n), 0.75, 0.95)
              for n in range(4)]
    assert max(shares) > 0.004, shares                  # plum petals in the bed
    assert _saturated_share(image, 0.17, 0.3) > 0.02     # acid yellow-green, saturated and bright


@pytest.mark.parametrize("prompt,motifs", [
    ("A flower, lotus, pond", {"pond"}), ("A flower with dog", {"dog"}),
    ("A flower, spring, cloudy, day", {"spring", "clouds", "day"}),
    ("autumn evening", {"autumn", "sunset"}), ("winter morning", {"winter", "morning"}),
    ("summer, sunny", {"summer", "sun"}), ("강아지와 연못", {"dog", "pond"}),
])
def test_the_originals_favourite_words_are_read(prompt, motifs):
    assert motifs <= read_prompt(prompt).motifs


@pytest.mark.parametrize("word", ["pond", "dog", "spring", "summer", "autumn", "winter", "cloudy",
                                  "morning", "day", "evening"])
def test_each_favourite_word_changes_the_picture(word):
    plain = paint("sad flower", 256, 160, 4)
    assert paint(f"sad flower, {word}", 256, 160, 4).tobytes() != plain.tobytes()


def test_day_lights_a_dark_moods_sky_and_clouds_grey_it():
    *_, v_night, _ = _mean_hsv("fear flower")
    *_, v_day, _ = _mean_hsv("fear flower, day")
    assert v_day > v_night + 0.1
    *_, s_clear, _ = ImageStat.Stat(paint("happy flower", 256, 160, 5).convert("HSV")).mean
    *_, s_cloudy, _ = ImageStat.Stat(paint("happy flower, cloudy", 256, 160, 5).convert("HSV")).mean
    assert s_cloudy < s_clear - 5                        # overcast: less vivid


SHOWCASE = [*(f"A flower, {e.lower()}" for e in EMOTIONS),
            "A flower, rose, very happy", "A flower, red rose, love", "A flower, lotus, pond, calm",
            "A flower with cat, happy", "A flower with dog, happy", "A flower, spring, cloudy, day",
            "A flower, summer, sunny", "A flower, autumn, evening", "A flower, winter, morning",
            "A flower, butterfly, surprised", "A flower, moon, stars, calm", "A flower, rain, sad",
            "A flower, sunflower, happy", "A flower, daisy, calm", "A flower, cherry blossom, happy",
            "A flower, poppy, angry"]


def test_screenshots_of_one_image_per_emotion_and_motif():
    folder = ARTIFACTS / "painter"
    folder.mkdir(parents=True, exist_ok=True)
    tiles = []
    for n, prompt in enumerate(SHOWCASE):
        image = paint(prompt, 640, 400, seed=7)
        name = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")
        image.save(folder / f"{n:02d}-{name}.jpeg", quality=88)
        tiles.append(image.resize((320, 200)))
    sheet = Image.new("RGB", (320 * 4, 200 * -(-len(tiles) // 4)))
    for n, tile in enumerate(tiles):
        sheet.paste(tile, ((n % 4) * 320, (n // 4) * 200))
    sheet.save(folder / "contact-sheet.jpeg", quality=85)
    assert len(list(folder.glob("[0-9][0-9]-*.jpeg"))) >= len(SHOWCASE)
    # every picture its own: no two prompts painted alike
    assert len({tile.tobytes() for tile in tiles}) == len(tiles)
