from __future__ import annotations

import colorsys
import io

import pytest
from PIL import Image, ImageStat

from chalicelib.errors import InvalidRequest
from chalicelib.generators import GenerationRequest
from chalicelib.generators.checks import ensure_jpeg
from chalicelib.generators.painter import PainterGenerator, derive_seed, paint
from chalicelib.generators.painter.mood import read_prompt
from chalicelib.rules.emotions import EMOTIONS


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
