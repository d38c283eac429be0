"""Korean and English on every page, in a real browser: the language chosen by ?lang= or by the
browser's own language; the visible words in that language, <html lang> set, links keeping a
chosen language, and nothing overflowing at the kiosk's 1920×1080 and 1080×1920 screens."""
from __future__ import annotations

import re
import shutil
import tempfile

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.timing import scaled

from .conftest import ADMIN_KEY, DESKTOP, _require_browser, chromium, desktop

pytestmark = pytest.mark.slow

HANGUL = re.compile("[\uac00-\ud7a3]")
PORTRAIT = (1080, 1920)
LANGUAGES = ("en", "ko")

# Everything laid out that could be cut: buttons (and button-like labels and links), headings,
# ledes and the garden's words. Returns what overflows, and whether the page scrolls sideways.
LAYOUT = """
const cut = [];
for (const el of document.querySelectorAll('button, .button, .chip, h1, h2, h3, .lede, .hint, #garden-line, .lang-switch a')) {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || el.closest('[hidden]') || getComputedStyle(el).visibility === 'hidden') continue;
  if (el.classList.contains('visually-hidden')) continue;
  if (el.scrollWidth > el.clientWidth + 1 || r.left < -1 || r.right > innerWidth + 1) {
    cut.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${el.textContent.trim().slice(0, 40)}`
      + ` (${el.scrollWidth} > ${el.clientWidth}, ${Math.round(r.left)}..${Math.round(r.right)})`);
  }
}
return {sideways: document.documentElement.scrollWidth > innerWidth, cut};
"""


def wait(page, seconds: float = 20):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def screen_size(driver, size: tuple[int, int]) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})


def name(size: tuple[int, int]) -> str:
    return "desktop" if size == DESKTOP else "portrait"


def text_of(page, selector: str) -> str:
    return page.js("const n = document.querySelector(arguments[0]); return n ? n.textContent.trim() : null", selector)


def in_language(text: str, lang: str) -> bool:
    """Korean text has Hangul; English text has none (and has Latin letters)."""
    if lang == "ko":
        return bool(HANGUL.search(text))
    return not HANGUL.search(text) and bool(re.search("[A-Za-z]", text))


def fits_at_both_sizes(page, where: str, shot: str, lang: str) -> None:
    """The page fits at the desktop and the portrait kiosk size; a screenshot of each."""
    for size in (DESKTOP, PORTRAIT):
        screen_size(page.driver, size)
        settle(page)
        assert_fits(page, f"{where} {lang} {size}")
        page.shot(f"languages-{shot}-{lang}-{name(size)}")


def assert_fits(page, where: str) -> None:
    layout = page.js(LAYOUT)
    assert not layout["sideways"], f"{where}: the page scrolls sideways"
    assert layout["cut"] == [], f"{where}: text overflows its box: {layout['cut']}"


def settle(page) -> None:
    """Web fonts and the screens' fade-ins done: what is measured is what is seen."""
    page.driver.execute_async_script("const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done())")
    wait(page).until(lambda d: d.execute_script(
        "return document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect.getComputedTiming().iterations === Infinity)"))


def module(page, script: str):
    """Runs `script` (an async function body, given `m` = the i18n module) in the page."""
    return page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('/js/shared/i18n.js').then(async m => done(await (async (m) => {" + script + "})(m)))"
        ".catch(e => done('error: ' + e))")


# --- the mechanism --------------------------------------------------------------------------
def test_the_i18n_module_chooses_translates_and_keeps_the_choice(page):
    page.open("/about.html?lang=ko&x=1")
    result = module(page, """
        const strings = {en: {hi: "Hello, {name}", only: "Only English", label: "Name"},
                         ko: {hi: "{name}님, 안녕하세요", label: "이름"}};
        const root = document.createElement('div');
        root.innerHTML = '<p data-i18n="hi">x</p><p data-i18n="unknown">kept</p>'
          + '<input data-i18n-attr="aria-label:label;placeholder:only">';
        const t = m.localize(strings, root);
        return {lang: m.language(), chosen: m.chosenLanguage(), html: document.documentElement.lang,
                hi: t('hi', {name: '민지'}), fallback: t('only'), missing: t('nothing.here'),
                unfilled: t('hi'), marked: root.querySelector('[data-i18n=hi]').textContent,
                unknown: root.querySelector('[data-i18n=unknown]').textContent,
                aria: root.querySelector('input').getAttribute('aria-label'),
                placeholder: root.querySelector('input').getAttribute('placeholder'),
                links: [m.withLang('about.html'), m.withLang('/admin/?k=1#top'), m.withLang('./?lang=en'),
                        m.withLang('text2image.html#x')],
                other: m.languageHref('en'),
                number: m.formatNumber(1234567.5), date: m.formatDate('2026-01-02T03:04:05Z', {year: 'numeric', month: 'long', timeZone: 'UTC'})};
    """)
    assert result["lang"] == result["chosen"] == result["html"] == "ko", result
    assert result["hi"] == "민지님, 안녕하세요" and result["unfilled"] == "{name}님, 안녕하세요"
    assert result["fallback"] == "Only English" and result["missing"] == "nothing.here"
    assert result["marked"] == "{name}님, 안녕하세요" and result["unknown"] == "kept"
    assert result["aria"] == "이름" and result["placeholder"] == "Only English"
    assert result["links"] == ["about.html?lang=ko", "/admin/?k=1&lang=ko#top", "./?lang=ko", "text2image.html?lang=ko#x"]
    assert result["other"] == "/about.html?lang=en&x=1"
    assert result["number"] == "1,234,567.5" and result["date"] == "2026년 1월"

    # no ?lang= (or one this product does not speak): the browser's language, and links stay as they are
    for path in ("/about.html", "/about.html?lang=de"):
        page.open(path)
        plain = module(page, "return {lang: m.language(), chosen: m.chosenLanguage(), link: m.withLang('about.html'),"
                             " browser: navigator.languages[0], date: m.formatDate('2026-01-02T03:04:05Z',"
                             " {year: 'numeric', month: 'long', timeZone: 'UTC'})}")
        assert plain["browser"].startswith("en") and plain["lang"] == "en" and plain["chosen"] is None, plain
        assert plain["link"] == "about.html" and plain["date"] == "January 2026"


# --- the kiosk ------------------------------------------------------------------------------
def kiosk_words(page, lang: str) -> None:
    assert page.js("return document.documentElement.lang") == lang
    for selector in ("#welcome-title", "#welcome .lede", "#consent", "#begin", "#welcome .file-button span"):
        assert in_language(text_of(page, selector), lang), (selector, text_of(page, selector))
    assert page.driver.title == ("감정 정원" if lang == "ko" else "Emotion Garden")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_kiosk_speaks_the_chosen_language_on_every_screen(page, photos, lang):
    page.open(f"/?lang={lang}&rotate=60")
    wait(page).until(lambda d: "ready" in d.find_element(By.TAG_NAME, "body").get_attribute("class"))
    kiosk_words(page, lang)
    # the links keep the choice; the switch offers the other language with the same settings
    assert page.driver.find_element(By.ID, "about-link").get_attribute("href").endswith(f"about.html?lang={lang}")
    switch = {a.get_attribute("data-lang"): a for a in page.driver.find_elements(By.CSS_SELECTOR, ".lang-switch a")}
    other = "en" if lang == "ko" else "ko"
    assert switch[other].get_attribute("href").endswith(f"/?lang={other}&rotate=60")
    assert switch[lang].get_attribute("aria-current") == "true" and switch[other].get_attribute("aria-current") is None
    fits_at_both_sizes(page, "welcome", "kiosk-welcome", lang)

    # the garden, grown from a chosen photo: its headline and words in the language
    page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]").send_keys(str(photos["face"]))
    wait(page, 60).until(lambda d: page.js("return document.body.dataset.screen") == "garden")
    wait(page).until(lambda d: page.js("return document.querySelectorAll('#garden-grid figure.bloom.loaded').length") >= 3)
    emotion = page.js("return document.body.dataset.emotion")
    headline = text_of(page, "#garden-title")
    expected = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('/js/shared/words.js').then(m => done(m.wordsFor(arguments[0], arguments[1]).headline))", emotion, lang)
    assert headline == expected and in_language(headline, lang), (emotion, headline)
    # the emotion's own word above it: the original kiosk's 행복, 슬픔, 놀람… in Korean
    names = {"HAPPY": "행복", "SAD": "슬픔", "ANGRY": "분노", "CONFUSED": "혼란", "DISGUSTED": "혐오",
             "SURPRISED": "놀람", "CALM": "평온", "FEAR": "두려움"}
    word = text_of(page, "#garden-emotion")
    assert word == (names[emotion] if lang == "ko" else emotion.capitalize()), (emotion, word)
    for selector in ("#garden-line", "#garden-hint", "#again"):
        assert in_language(text_of(page, selector), lang), (selector, text_of(page, selector))
    like = page.driver.find_element(By.CSS_SELECTOR, "#garden-grid .like").get_attribute("aria-label")
    alt = page.driver.find_element(By.CSS_SELECTOR, "#garden-grid figure.bloom img:not(.backdrop)").get_attribute("alt")
    assert in_language(like, lang) and in_language(alt, lang), (like, alt)
    for size in (PORTRAIT, DESKTOP):
        screen_size(page.driver, size)
        wait(page).until(lambda d: page.js("const f = [...document.querySelectorAll('#garden-grid figure.bloom')];"
                                           " return f.length >= 3 && f.every(b => b.classList.contains('loaded'))"))
        settle(page)
        assert_fits(page, f"garden {lang} {size}")
        page.shot(f"languages-kiosk-garden-{lang}-{name(size)}")
    # a problem's words too (the server's own message stays as it was sent)
    page.driver.find_element(By.ID, "again").click()
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    page.allow_error("/emotion")   # the 404 the kiosk answers kindly
    page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]").send_keys(str(photos["no_face"]))
    wait(page, 60).until(lambda d: page.js("return document.body.dataset.screen") == "problem")
    for selector in ("#problem-title", "#problem-text", "#problem-home"):
        assert in_language(text_of(page, selector), lang), (selector, text_of(page, selector))
    settle(page)
    assert_fits(page, f"problem {lang}")
    page.shot(f"languages-kiosk-problem-{lang}-desktop")


# --- text to image --------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_text_to_image_speaks_the_chosen_language(page, lang):
    page.open(f"/text2image.html?lang={lang}")
    wait(page).until(lambda d: page.js("return document.documentElement.lang") == lang)
    for selector in (".intro h1", ".intro .lede", "label[for=prompt]", "#grow", "nav[aria-label] a"):
        assert in_language(text_of(page, selector), lang), (selector, text_of(page, selector))
    # the page's own messages, made in JS
    page.driver.find_element(By.ID, "grow").click()
    assert in_language(text_of(page, "#form-error"), lang)
    # every link to another page of the garden keeps the language
    hrefs = page.js("return [...document.querySelectorAll('nav[aria-label=Pages] a, .brand')].map(a => a.getAttribute('href'))")
    assert hrefs and all(href.endswith(f"lang={lang}") for href in hrefs), hrefs
    fits_at_both_sizes(page, "text2image", "text2image", lang)


# --- the operator's desk --------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_desk_speaks_the_chosen_language(page, lang):
    page.open(f"/admin/?lang={lang}")
    wait(page).until(lambda d: d.find_element(By.ID, "lock").is_displayed())
    assert page.js("return document.documentElement.lang") == lang
    for selector in ("#lock-title", "#key-where", "label[for=admin-key]", "#lock-form button"):
        assert in_language(text_of(page, selector), lang), (selector, text_of(page, selector))
    assert "GARDEN_ADMIN_KEY" in text_of(page, "#key-where")   # the names to look for stay as they are
    page.shot(f"languages-desk-lock-{lang}")
    page.driver.find_element(By.ID, "admin-key").send_keys(ADMIN_KEY + Keys.ENTER)
    wait(page, 60).until(lambda d: page.js("return document.body.dataset.ready") == "true")
    for selector in ("#desk h1", "#overview-title", "#bulk-title", "#bulk-start", "#recent-title", "#held-title", "#review-title",
                     "#review-message", "label[for=review-area]"):
        assert in_language(text_of(page, selector), lang), (selector, text_of(page, selector))
    names = page.js("return [...document.querySelectorAll('#overview-rows th')].map(th => th.textContent)")
    assert ("행복" in names) if lang == "ko" else ("Happy" in names), names
    options = page.js("return [...document.querySelectorAll('#bulk-emotion option')].map(o => [o.value, o.textContent])")
    assert ["HAPPY", "행복" if lang == "ko" else "Happy"] in options   # the value sent stays the API's
    fits_at_both_sizes(page, "desk", "desk", lang)


# --- the about page -------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_about_page_puts_the_chosen_language_first(page, lang):
    page.open(f"/about.html?lang={lang}")
    wait(page).until(lambda d: page.js("return document.body.dataset.first") == lang)
    assert page.js("return document.documentElement.lang") == lang
    assert in_language(text_of(page, "h1"), lang) and in_language(page.driver.title, lang)
    first, second = (page.driver.find_element(By.ID, f"about-{code}").rect for code in (lang, "ko" if lang == "en" else "en"))
    assert first["x"] + first["width"] <= second["x"], (first, second)   # side by side, the chosen one first
    back = page.driver.find_element(By.CSS_SELECTOR, ".actions a")
    assert back.get_attribute("href").endswith(f"/?lang={lang}")
    settle(page)
    assert_fits(page, f"about {lang}")
    page.shot(f"languages-about-{lang}")


# --- the browser's own language -------------------------------------------------------------
@pytest.fixture(scope="module")
def korean_browser(server):
    """A second, short-lived Chromium whose language is Korean (the shared one speaks English)."""
    _require_browser()
    profile = tempfile.mkdtemp(prefix="e2e-chromium-ko-")
    driver = chromium(profile, "ko-KR")
    driver.set_page_load_timeout(30)
    desktop(driver)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_a_korean_browser_gets_korean_unless_the_address_says_otherwise(server, korean_browser):
    driver = korean_browser
    assert driver.execute_script("return navigator.languages[0]").startswith("ko")
    driver.get(server.url + "/")
    WebDriverWait(driver, scaled(20)).until(lambda d: d.execute_script("return document.body.classList.contains('ready')"))
    assert driver.execute_script("return document.documentElement.lang") == "ko"
    assert HANGUL.search(driver.execute_script("return document.getElementById('welcome-title').textContent"))
    # chosen by the browser, not by the address: links stay plain
    assert driver.find_element(By.ID, "about-link").get_attribute("href").endswith("/about.html")
    driver.get(server.url + "/about.html")
    WebDriverWait(driver, scaled(20)).until(lambda d: d.execute_script("return document.body.dataset.first") == "ko")
    ko, en = (driver.find_element(By.ID, f"about-{code}").rect for code in ("ko", "en"))
    assert ko["x"] + ko["width"] <= en["x"]
    driver.get(server.url + "/?lang=en")
    WebDriverWait(driver, scaled(20)).until(lambda d: d.execute_script("return document.body.classList.contains('ready')"))
    assert driver.execute_script("return document.documentElement.lang") == "en"
    assert driver.execute_script("return document.getElementById('welcome-title').textContent") == "Emotion Garden"
    driver.get(server.url + "/admin/")
    WebDriverWait(driver, scaled(20)).until(lambda d: d.find_element(By.ID, "lock").is_displayed())
    assert HANGUL.search(driver.execute_script("return document.getElementById('lock-title').textContent"))
    driver.save_screenshot(str(_artifact("languages-browser-ko-desk-lock")))


def _artifact(name: str):
    from .conftest import ARTIFACTS
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
