"""The pages' language mechanism (html/js/shared/i18n.js) and dictionaries (html/js/shared/strings/*.js),
run in Node as the browser loads them: which language a visitor gets, how text is filled in
and falls back, how links keep a chosen language, and that both languages say every thing."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HTML = Path(__file__).resolve().parents[2] / "html"
I18N = HTML / "js" / "shared" / "i18n.js"
STRINGS = sorted(p.stem for p in (HTML / "js" / "shared" / "strings").glob("*.js"))

CHOOSE = """
const [search, languages] = JSON.parse(process.argv[1]);
globalThis.window = { location: new URL("https://garden.example/kiosk/" + search) };
Object.defineProperty(globalThis, "navigator", { value: { languages, language: languages[0] }, configurable: true });
const m = await import(process.argv[2]);
console.log(JSON.stringify({ lang: m.language(), chosen: m.chosenLanguage(),
  links: ["about.html", "/admin/?k=1#top", "./?lang=xx", "text2image.html#x", ""].map(m.withLang),
  other: m.languageHref("en") }));
"""

TRANSLATE = """
globalThis.window = { location: new URL("https://garden.example/?lang=" + process.argv[1]) };
const m = await import(process.argv[2]);
const t = m.translator({ en: { hi: "Hello, {name}", only: "Only English", twice: "{n} and {n}" },
                         ko: { hi: "{name}님, 안녕하세요", twice: "{n}, {n}" } });
console.log(JSON.stringify({ hi: t("hi", { name: "민지" }), unfilled: t("hi"), nulls: t("hi", { name: null }),
  fallback: t("only"), missing: t("no.such.key"), twice: t("twice", { n: 2 }), markup: t("hi", { name: "<b>x</b>" }),
  number: m.formatNumber(1234567.5), date: m.formatDate("2026-01-02T03:04:05Z", { year: "numeric", month: "long", timeZone: "UTC" }),
  badDate: m.formatDate("not a date") }));
"""

DICTIONARIES = """
globalThis.window = { location: new URL("https://garden.example/") };
const base = process.argv[2];
const { LANGUAGES } = await import(new URL("i18n.js", base));
const out = { LANGUAGES };
for (const name of JSON.parse(process.argv[1])) {
  const s = (await import(new URL(`strings/${name}.js`, base))).default;
  out[name] = { languages: Object.keys(s).sort(), en: Object.keys(s.en).length,
    missing: LANGUAGES.flatMap((lang) => Object.keys(s.en).filter((k) => !(s[lang] && k in s[lang])).map((k) => `${lang}:${k}`)),
    extra: Object.keys(s.ko).filter((k) => !(k in s.en) && !k.startsWith("word.")),
    blank: Object.entries(s.ko).filter(([, v]) => typeof v !== "string" || !v.trim()).map(([k]) => k),
    // Korean may leave out what only English needs (a plural's "s"), never fill in one English lacks
    placeholders: Object.keys(s.en).filter((k) => k in s.ko
      && (s.ko[k].match(/\\{\\w+\\}/g) || []).some((p) => !s.en[k].includes(p))),
    untranslated: Object.keys(s.en).filter((k) => /[A-Za-z]{4,}/.test(s.en[k]) && s.ko[k] === s.en[k]) };
}
const words = await import(new URL("words.js", base));
out.words = words.EMOTIONS.map((e) => [words.emotionName(e, "ko"), words.wordsFor(e, "ko"), words.wordsFor(e, "en")]);
console.log(JSON.stringify(out));
"""


def _node(script: str, *args: str) -> dict:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is needed to check html/js/shared/i18n.js")
        pytest.skip("node is not installed")
    proc = subprocess.run([node, "--input-type=module", "-e", script, *args], capture_output=True, text=True,
                          timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _choose(search: str, languages: list[str]) -> dict:
    return _node(CHOOSE, json.dumps([search, languages]), I18N.as_uri())


@pytest.mark.parametrize(("search", "languages", "expected"), [
    ("?lang=ko", ["en-US", "en"], "ko"),          # the address first
    ("?lang=EN&x=1", ["ko-KR"], "en"),
    ("?lang=ko-KR", ["en"], "ko"),
    ("", ["ko-KR", "en-US"], "ko"),               # else the browser's first Korean or English
    ("", ["fr-FR", "ko", "en"], "ko"),
    ("", ["fr-FR", "en-GB", "ko"], "en"),
    ("", ["fr-FR", "de"], "en"),                  # else English
    ("", [], "en"),
    ("?lang=de", ["ko"], "ko"),                   # a language this garden does not speak is no choice
    ("?lang=" + "k" * 5000, ["en"], "en"),
    ("?lang=%00ko", ["en"], "en"),
])
def test_the_language_is_the_address_then_the_browser_then_english(search, languages, expected):
    assert _choose(search, languages)["lang"] == expected


def test_links_keep_only_a_language_chosen_in_the_address():
    chosen = _choose("?lang=ko&countdown=2", ["en"])
    assert chosen["chosen"] == "ko"
    assert chosen["links"] == ["about.html?lang=ko", "/admin/?k=1&lang=ko#top", "./?lang=ko",
                               "text2image.html?lang=ko#x", "?lang=ko"]
    assert chosen["other"] == "/kiosk/?lang=en&countdown=2"   # the switch keeps the page's other settings
    browser = _choose("", ["ko-KR"])
    assert browser["chosen"] is None
    assert browser["links"] == ["about.html", "/admin/?k=1#top", "./?lang=xx", "text2image.html#x", ""]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_text_is_filled_in_and_falls_back_to_english_then_the_key(lang):
    out = _node(TRANSLATE, lang, I18N.as_uri())
    assert out["hi"] == ("민지님, 안녕하세요" if lang == "ko" else "Hello, 민지")
    assert out["unfilled"] == out["nulls"] == ("{name}님, 안녕하세요" if lang == "ko" else "Hello, {name}")
    assert out["fallback"] == "Only English" and out["missing"] == "no.such.key"
    assert out["twice"] == ("2, 2" if lang == "ko" else "2 and 2")
    assert out["markup"].count("<b>x</b>") == 1   # text, set as textContent by the pages, never parsed
    assert out["number"] == "1,234,567.5"
    assert out["date"] == ("2026년 1월" if lang == "ko" else "January 2026")
    assert out["badDate"] == "not a date"


def test_every_dictionary_says_everything_in_both_languages():
    assert {"kiosk", "text2image", "desk", "about"} <= set(STRINGS)
    out = _node(DICTIONARIES, json.dumps(STRINGS), (HTML / "js" / "shared").as_uri() + "/")
    for name in STRINGS:
        found = out[name]
        assert found["languages"] == sorted(out["LANGUAGES"]) and found["en"] >= 2, (name, found)
        for problem in ("missing", "extra", "blank", "placeholders"):
            assert found[problem] == [], (name, problem, found[problem])
    # a sentence left in English in the Korean dictionary (a name and an example prompt may be)
    for name in ("kiosk", "text2image", "desk", "about"):
        assert set(out[name]["untranslated"]) <= {"promptPlaceholder", "insecureSection"}, (name, out[name]["untranslated"])


def test_the_emotion_words_speak_korean_with_the_originals_names():
    words = _node(DICTIONARIES, "[]", (HTML / "js" / "shared").as_uri() + "/")["words"]
    assert [name for name, _, _ in words] == ["행복", "슬픔", "분노", "혼란", "혐오", "놀람", "평온", "두려움"]
    for _, korean, english in words:
        for field in ("headline", "line", "noun", "adjective"):
            assert any("\uac00" <= c <= "\ud7a3" for c in korean[field]), (field, korean)
            assert not any("\uac00" <= c <= "\ud7a3" for c in english[field]), (field, english)
        assert korean["accent"] == english["accent"]
