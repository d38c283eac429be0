"""Hostile prompts against the block list: empty, very long, mixed-script, zero-width-laden,
lone surrogates, NULs, every kind of whitespace. Each is answered (never an exception) and
in time; the tricks still match."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.moderation.blocklist import BlockListCheck
from chalicelib.rules import blocklist

CHECK = BlockListCheck(blocklist.shipped())
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u034f\ufe0f\u3164\u115f\u1160"


@pytest.mark.parametrize("prompt", ["", " ", "\x00", "\ud800", "\udfff\ud800", ZERO_WIDTH,
                                    "\u3164" * 50, "\t\n\r\x0b\x0c", "🌸" * 100])
def test_empty_and_invisible_prompts_are_clean(prompt: str) -> None:
    assert CHECK.check_prompt(prompt).kind == "clean"


def test_zero_width_laden_prompts_still_match() -> None:
    laden = ZERO_WIDTH.join("nude") + " " + ZERO_WIDTH.join("섹스")
    assert set(CHECK.check_prompt(laden).terms) == {"nude", "섹스"}


def test_nuls_and_lone_surrogates_do_not_hide_a_word() -> None:
    assert CHECK.check_prompt("nu\x00de").terms == ("nude",)
    assert CHECK.check_prompt("nu\ud800de").terms == ("nude",)
    assert CHECK.check_prompt("섹\udc00스").terms == ("섹스",)


def test_mixed_script_prompts() -> None:
    assert set(CHECK.check_prompt("a 벚꽃 garden with ｐｏｒｎ and 마약 and 薔薇").terms) == {
        "porn*", "마약"}
    assert CHECK.check_prompt("장미 rose ローズ 玫瑰 розa").kind == "clean"
    assert CHECK.check_prompt("ｎｕｄｅ секс").terms == ("nude",)


def test_a_very_long_prompt_is_answered_quickly() -> None:
    clean = ("a field of red tulips under a pale spring sky, 벚꽃 흩날리는 정원, " * 2000)[:100_000]
    started = time.perf_counter()
    assert CHECK.check_prompt(clean).kind == "clean"
    assert CHECK.check_prompt(clean + " nude").terms == ("nude",)
    assert CHECK.check_prompt(("n " * 20_000) + "u d e").terms == ("nude",)
    assert time.perf_counter() - started < 5.0        # linear, not quadratic (about 0.3 s)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=300))
def test_any_text_is_answered(prompt: str) -> None:
    verdict = CHECK.check_prompt(prompt)
    assert verdict.kind in ("clean", "blocked-words")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(ZERO_WIDTH) + ["", "\x00", "\ud800"]),
                min_size=4, max_size=4),
       st.sampled_from(["nude", "porn", "섹스", "야동", "마약"]))
def test_invisible_characters_between_letters_never_hide_a_word(gaps: list[str], word: str) -> None:
    spliced = "".join(letter + gap for letter, gap in zip(word, gaps, strict=False))
    assert CHECK.check_prompt(f"roses {spliced} tulips").flagged
