"""The prompt recipe: the original's shape, the editable file, per-request overrides."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.errors import ConfigError
from chalicelib.rules import prompts
from chalicelib.rules.emotions import EMOTIONS

STYLE = "fantasy, concept art, trending on artstation, highly detailed, intricate, sharp focus, digital art, 8 k"


def test_every_emotion_has_words_and_the_original_style():
    recipe = prompts.load_templates()
    assert recipe.subject == "A flower" and recipe.style == STYLE
    for emotion in EMOTIONS:
        prompt = prompts.build_prompt(emotion)
        assert prompt.startswith("A flower, ") and prompt.endswith(STYLE)
        assert recipe.emotions[emotion] in prompt


def test_favorite_emotion_text_and_others_override_and_extend():
    assert prompts.build_prompt("HAPPY", "with cat", "very happy, immature, smile", None) == (
        "A flower with cat, very happy, immature, smile, " + STYLE)
    assert prompts.build_prompt("SAD", "rose", None, "  rainy ,, night ") == (
        "A flower, rose, " + prompts.templates().emotions["SAD"] + ", rainy, night, " + STYLE)


def test_the_painter_reads_the_emotion_from_each_default_prompt():
    from chalicelib.generators.painter.mood import read_prompt
    for emotion in EMOTIONS:
        assert read_prompt(prompts.build_prompt(emotion)).emotion == emotion


def _write(tmp_path, data) -> Path:
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_an_edited_file_is_used(tmp_path):
    data = json.loads(prompts.TEMPLATES.read_text())
    data["subject"], data["style"] = "A tulip", "watercolour"
    recipe = prompts.load_templates(_write(tmp_path, data))
    assert prompts.build_prompt("CALM", recipe=recipe) == f"A tulip, {data['emotions']['CALM']}, watercolour"


@pytest.mark.parametrize("data, message", [
    ("{broken", "cannot be read"),
    ({"subject": "A flower"}, "'emotions'"),
    ({"subject": "A flower", "emotions": {"HAPPY": "happy"}}, "SAD"),
    ({"subject": "", "emotions": {e: "x" for e in EMOTIONS}}, "subject"),
    ({"subject": "A flower", "style": 3, "emotions": {e: "x" for e in EMOTIONS}}, "style"),
])
def test_a_broken_file_says_what_is_wrong(tmp_path, data, message):
    with pytest.raises(ConfigError, match=message):
        prompts.load_templates(_write(tmp_path, data))
