"""The block list: the shipped entries in English and Korean, the tricks that must not slip
past them, the innocent prompts they must let through, and the lists' own format."""
from __future__ import annotations

import pytest

from chalicelib.errors import ConfigError
from chalicelib.rules import blocklist
from chalicelib.rules.blocklist import compose_hangul, normalize, parse

SHIPPED = blocklist.shipped()


def entries(prompt: str) -> list[str]:
    return [m.entry for m in SHIPPED.matches(prompt)]


@pytest.mark.parametrize("prompt, entry", [
    ("a nude woman among roses", "nude"),
    ("NUDE", "nude"),
    ("Nudes in the garden", "nude"),
    ("ｎｕｄｅ　ｆｉｇｕｒｅ", "nude"),                 # fullwidth letters and space
    ("n u d e", "nude"),                             # spaced letters
    ("n.u.d.e", "nude"),
    ("n-u-d-e", "nude"),
    ("nu de", "nude"),                               # split in two
    ("nüde", "nude"),                                # accents
    ("n\u200bu\u200cd\u200de\ufeff", "nude"),          # zero-width characters
    ("n\u00adude", "nude"),                           # soft hyphen
    ("nud\u0435", "nude"),                           # Cyrillic е
    ("ⓝⓤⓓⓔ", "nude"),                                # circled letters
    ("nuuuude", "nude"),                             # letters repeated
    ("p0rn", "porn*"),
    ("pornographic flowers", "porn*"),
    ("$exy", "sex"),
    ("raping", "rape"),
    ("gory scene", "gore"),
    ("shitty", "shit"),
    ("self-harm", "self harm"),
    ("blowjob", "blow job"),
    ("섹스", "섹스"),
    ("섹스를 하는", "섹스"),                          # a particle attached
    ("ㅅㅔㄱㅅㅡ", "섹스"),                            # typed letter by letter
    ("섹ㅅㅡ", "섹스"),                               # half composed
    ("섹 스", "섹스"),                                # one syllable at a time
    ("섹.스", "섹스"),
    ("섹\u200b스", "섹스"),
    ("\uff7e\uff6f\uff78\uff7d", None),               # halfwidth katakana: not on the list
    ("ﾡ", None),
    ("야 동", "야동"),
    ("ㅇㅑㄷㅗㅇ", "야동"),
    ("알몸의 여인", "알몸"),
    ("ㅅㅂ", "ㅅㅂ"),
])
def test_tricks_do_not_slip_past(prompt: str, entry: str | None) -> None:
    if entry is None:
        assert entries(prompt) == []
    else:
        assert entry in entries(prompt)


@pytest.mark.parametrize("prompt", [
    "a field of red roses at dawn, oil painting",
    "blood-red poppies", "a robin's breast", "a murder of crows over tulips",
    "Sussex countryside", "grapes and drapes", "therapist's office plants",
    "a rapeseed field in May", "shiitake mushrooms", "a heroine with sunflowers",
    "method in the madness", "go red, autumn leaves", "the rapist",   # joined, not a form
    "nudibranch in coral", "cocktail of colors",
    "만개한 벚꽃", "사자 해변", "여자 살아 있는 정원", "칼로리", "시발점에서 출발", "보존나무",
    "해야 한다", "참수리 한 마리",
])
def test_innocent_prompts_pass(prompt: str) -> None:
    assert entries(prompt) == []


def test_categories_are_reported() -> None:
    found = SHIPPED.matches("nude gore 마약")
    assert blocklist.categories(found) == ("drugs", "sexual", "violence")


def test_hangul_is_composed_as_an_input_method_does() -> None:
    assert compose_hangul("ㅅㅔㄱㅅㅡ") == "섹스"
    assert compose_hangul("ㄷㅏㄹㄱㅇㅣ") == "닭이"          # compound final ㄺ
    assert compose_hangul("ㄷㅏㄹㄱㅏ") == "달가"            # ㄱ begins the next syllable
    assert compose_hangul("ㄱㅗㅏㅇ") == "광"               # compound vowel ㅘ
    assert compose_hangul("ㅅㅂ") == "ㅅㅂ"                 # consonants alone stay letters
    assert compose_hangul(normalize("닭갈비")) == "닭갈비"   # decompose, recompose: the same


def test_normalize_drops_invisibles_and_folds_forms() -> None:
    assert normalize("A\u200bB\x00C\ud800D\ufe0f") == "abcd"
    assert normalize("Ｒｏｓｅ") == "rose"
    assert normalize("\u3164") == ""                    # the Hangul filler is invisible


def test_operator_list_format() -> None:
    extra = parse("# comment\nbadword\n[rude]\nrudeword  # trailing comment\n전정국\nfoo*\n", "x")
    assert [(m.entry, m.category) for m in extra.matches("badwords rudeword 전정국이 foobar")] == [
        ("badword", "operator"), ("rudeword", "rude"), ("foo*", "rude"), ("전정국", "rude")]
    combined = SHIPPED + extra
    assert len(combined) == len(SHIPPED) + 4
    assert {m.entry for m in combined.matches("nude badword")} == {"nude", "badword"}


@pytest.mark.parametrize("text, problem", [
    ("", "has no entries"),
    ("# only a comment\n\n[section]\n", "has no entries"),
    ("!!!\n", "no letters"),
    ("nude섹스\n", "mixes"),
    ("x" * 101 + "\n", "at most"),
])
def test_a_broken_list_names_itself(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as err:
        parse(text, "the list /data/blocklist.txt")
    assert "the list /data/blocklist.txt" in str(err.value)
