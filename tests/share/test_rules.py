"""The take-home page's pure rules: share paths (one per key, never needing percent-encoding),
the original's /image?content= keys, the language, the words, and the credit lines."""
from __future__ import annotations

import pytest

from chalicelib import config
from chalicelib.errors import ConfigError, ImageNotFound
from chalicelib.rules import credits, share


@pytest.mark.parametrize("key, path", [
    ("emotions/HAPPY/demo-1h.jpeg", "/share/HAPPY/demo-1h"),
    ("emotions/HAPPY/spring,cloudy,day/img_3h.jpeg", "/share/HAPPY/spring,cloudy,day/img_3h"),
    ("emotions/happy/img_1v.jpeg", "/share/happy/img_1v"),        # the original's spelling kept
])
def test_plain_keys_become_readable_paths_and_back(key, path):
    assert share.share_path(key) == path
    assert share.key_from_share(path.split("/")[2:]) == key
    assert share.qr_path(key) == path + "/qr.svg"


@pytest.mark.parametrize("key", ["emotions/CALM/with cat/꽃 한 송이h.jpeg",
                                 "emotions/SAD/100%25 blue~h.jpeg",
                                 "emotions/FEAR/it's mine/a b?c#dv.jpeg"])
def test_other_segments_are_base64url_and_need_no_percent_encoding(key):
    path = share.share_path(key)
    assert all(c.isalnum() or c in "/._,-~" for c in path) and path.isascii()
    assert share.key_from_share(path.split("/")[2:]) == key


@pytest.mark.parametrize("key", ["pool/HAPPY/ah.jpeg", "text2image/job-1/0.jpeg",
                                 "debug-photos/2026-01-01/v1-abc.jpeg", "emotions/HAPPY/a.jpeg",
                                 "emotions/NOPE/ah.jpeg", "imgPool/happy/ah.jpeg"])
def test_only_garden_keys_have_a_share_path(key):
    with pytest.raises(ImageNotFound):
        share.share_path(key)


@pytest.mark.parametrize("segments", [
    ["HAPPY"], ["HAPPY", "a", "b", "c"], ["HAPPY", "~ZGVtby0xaA"],     # "demo-1h" encoded: not its path
    ["HAPPY", "demo-1h.jpeg"], ["HAPPY", "%2e%2e"], ["HAPPY", ".."], ["HAPPY", "~"], ["HAPPY", "~!!"],
    ["HAPPY", "~" + "A" * 5000], ["HAPPY", "a\x00h"], ["HAPPY", "\ud800h"], ["POOL", "ah"],
    ["HAPPY", "~wA"],                                                   # not UTF-8
    ["HAPPY", "~" + "Li4"],                                             # ".."
])
def test_anything_else_is_not_found(segments):
    with pytest.raises(ImageNotFound):
        share.key_from_share(segments)


@pytest.mark.parametrize("content, keys", [
    ("emotions/HAPPY/ah.jpeg", ["emotions/HAPPY/ah.jpeg"]),
    ("/emotions/HAPPY/rose/ah", ["emotions/HAPPY/rose/ah.jpeg"]),
    ("emotions/happy/ah.jpeg", ["emotions/happy/ah.jpeg", "emotions/HAPPY/ah.jpeg"]),
    ("https://garden.example/emotions/CALM/with%20cat/bv.jpeg", ["emotions/CALM/with cat/bv.jpeg"]),
])
def test_the_originals_content_names_a_garden_key(content, keys):
    assert share.keys_from_content(content) == keys


@pytest.mark.parametrize("content", [None, "", "   ", "imgPool/happy/ah.jpeg", "pool/HAPPY/ah.jpeg",
                                     "text2image/j/0.jpeg", "debug-photos/x/y.jpeg", "../etc/passwd",
                                     "emotions/HAPPY/../ah.jpeg", "emotions/HAPPY/a\x00h.jpeg",
                                     "emotions/HAPPY/\udc00h.jpeg", "emotions/HAPPY/" + "a" * 5000 + "h",
                                     "https://x/emotions/HAPPY/%ff%fe.jpeg", ["emotions/HAPPY/ah.jpeg"]])
def test_other_contents_are_not_found(content):
    with pytest.raises(ImageNotFound):
        share.keys_from_content(content)


@pytest.mark.parametrize("lang, accept, expected", [
    ("ko", "en-US,en;q=0.9", "ko"), ("en", "ko-KR", "en"), ("KO-kr", None, "ko"),
    (None, "ko-KR,ko;q=0.9,en;q=0.8", "ko"), (None, "fr-FR,en;q=0.5,ko;q=0.7", "ko"),
    (None, "de, en-GB;q=0.8", "en"), (None, "fr", "en"), (None, None, "en"), ("xx", "ko", "ko"),
    (None, "ko;q=0, en;q=0.1", "en"), (None, "ko;q=abc, en", "en"), (None, "," * 10000 + "ko", "en"),
    # q=0 means "not acceptable" (RFC 9110 12.4.2): a Korean refused is never chosen
    (None, "ko;q=0", "en"), (None, "ko-KR;q=0.0", "en"), (None, "fr, ko;Q=0.000", "en"),
    ("xx", "ko;q=0", "en"), (None, "ko;q=0, ko-KR;q=0.5", "ko"),
    (None, "en;q=1, ko;q=1", "en"), (None, "ko\x00;q=1", "en"),
])
def test_the_language_is_chosen_by_lang_then_accept_language(lang, accept, expected):
    assert share.choose_language(lang, accept) == expected


def test_both_languages_have_every_word_and_dates_read_naturally():
    assert set(share.TEXT["en"]) == set(share.TEXT["ko"])
    assert set(share.EMOTION_NAMES["ko"]) == set(share.EMOTION_NAMES["en"])
    assert share.date_text("en", "2026-03-01T10:00:00.000Z") == "1 March 2026"
    assert share.date_text("ko", "2026-03-01T10:00:00.000Z") == "2026년 3월 1일"
    assert share.text("ko", "heading") == "감정 정원의 꽃"
    assert not any("prompt" in words for words in share.TEXT.values())    # craft words stay off the page
    assert share.favorite_text("en", "spring,cloudy,day") == "Spring · cloudy · day"
    assert share.favorite_text("ko", "spring,cloudy,day") == "봄 · 흐림 · 낮"
    assert share.favorite_text("ko", "with cat,night") == "고양이와 함께 · 밤"
    assert share.favorite_text("ko", "moon garden") == "moon garden"     # a word the garden does not know
    assert share.favorite_text("en", None) is None and share.favorite_text("en", " , ") is None


def test_the_favorite_words_are_the_kiosks():
    """The take-home page says a favorite as the kiosk's chips do (word.* in its strings)."""
    import re
    from pathlib import Path
    kiosk = (Path(__file__).resolve().parents[2] / "html/js/shared/strings/kiosk.js").read_text("utf-8")
    said = dict(re.findall(r'"word\.([^"]+)": "([^"]+)"', kiosk))
    assert said == share.FAVORITE_WORDS_KO


def test_one_korean_name_for_the_installation():
    """감정 정원 on every page a visitor or an operator reads, the take-home page and its credit
    line included; the English credit line with typographic apostrophes."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    texts = {p: p.read_text("utf-8") for p in [*root.glob("html/**/*.html"), *root.glob("html/js/**/*.js"),
                                               root / "chalicelib/rules/share.py",
                                               root / "chalicelib/rules/credits.py"]}
    assert not [p for p, t in texts.items() if "이모션 가든" in t]
    korean = [credits.default_credit(e, "", "ko") for e in ("painter:",)]
    assert all(c is not None and "감정 정원" in c.line for c in korean)
    for endpoint in ("painter:", "sagemaker:sd", "bedrock:stability.sd3-5-large-v1:0"):
        english = credits.default_credit(endpoint, "", "en")
        assert english is not None and "'" not in english.line
    assert "행복" in share.text("ko", "description", emotion=share.emotion_name("ko", "HAPPY"))


@pytest.mark.parametrize("endpoint, model, expected, url", [
    ("painter:", "", "procedural painter", None),
    ("sagemaker:sd-endpoint", "", "Open RAIL-M licence for 1.x", credits.RAIL_M_URL),
    ("sagemaker:sdxl-1", "", "Stable Diffusion XL (CreativeML Open RAIL++-M", credits.RAIL_PP_M_URL),
    ("sagemaker:jumpstart-stable-diffusion-v2-1-base", "", "Stable Diffusion 2.x (CreativeML Open RAIL++-M",
     credits.RAIL_PP_M_URL),
    ("http://127.0.0.1:8081/invocations", "stable-diffusion-v1-5", "Stable Diffusion 1.x (CreativeML Open RAIL-M",
     credits.RAIL_M_URL),
    ("a1111://127.0.0.1:7860", "sd_xl_base_1.0", "Stable Diffusion XL", credits.RAIL_PP_M_URL),
    ("bedrock:stability.sd3-5-large-v1:0", "", "Stability AI’s Stable Diffusion 3.5 Large on Amazon Bedrock",
     credits.STABILITY_URL),
    ("bedrock:amazon.nova-canvas-v1:0?concurrency=2", "", "Amazon Nova Canvas on Amazon Bedrock",
     credits.AWS_TERMS_URL),
])
def test_default_credit_per_endpoint(endpoint, model, expected, url):
    credit = credits.credit_for({"endpoint": endpoint, "model": model}, (), "en")
    assert credit is not None and expected in credit.line and credit.url == url
    if endpoint.startswith(("sagemaker:", "http", "a1111")):
        assert "use-based restrictions" in credit.line and "yours" in credit.line
    korean = credits.credit_for({"endpoint": endpoint, "model": model}, (), "ko")
    assert korean is not None and korean.line != credit.line and korean.url == url


def test_configured_credits_win_longest_prefix_first():
    configured = config.parse_credits(
        '{"sagemaker:": "All SageMaker", "sagemaker:garden-sdxl": {"en": "Our SDXL", "ko": "우리 SDXL", '
        '"url": "https://example.org/licence"}, "": "Anything else"}')
    assert credits.credit_for({"endpoint": "sagemaker:garden-sdxl-2"}, configured, "ko") == \
        credits.Credit("우리 SDXL", "https://example.org/licence")
    assert credits.credit_for({"endpoint": "sagemaker:garden-sdxl-2"}, configured, "en").line == "Our SDXL"
    assert credits.credit_for({"endpoint": "sagemaker:other"}, configured, "ko").line == "All SageMaker"
    assert credits.credit_for({"endpoint": "painter:"}, configured, "en").line == "Anything else"
    assert credits.credit_for({}, (), "en") is None       # no endpoint, nothing configured


def test_garden_credits_setting_is_read_in_config():
    settings = config.load({"GARDEN_CREDITS": '{"painter:": "Painted here"}'})
    assert settings.credits == (config.CreditLine("painter:", "Painted here"),)
    assert config.load({}).credits == ()


@pytest.mark.parametrize("raw", ["not json", "[]", '{"a": 1}', '{"a": ""}', '{"a": {"ko": "x"}}',
                                 '{"a": {"en": "x", "nope": "y"}}', '{"a": {"en": "x", "url": "javascript:alert(1)"}}',
                                 '{"a": "' + "x" * 700 + '"}'])
def test_bad_garden_credits_name_the_setting(raw):
    with pytest.raises(ConfigError, match="GARDEN_CREDITS"):
        config.load({"GARDEN_CREDITS": raw})
