"""A flower of the visitor's own in a real browser: after the reading the garden appears at
once, one slot shows the flower growing, and it blooms there marked "grown for you" with its
take-home code — at the kiosk's three sizes (1920×1080, upright 1080×1920 with a portrait
flower, a phone's 390×844), in English and Korean, a screenshot of each moment; turned off,
the kiosk shows the garden alone, no error."""
from __future__ import annotations

import threading
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from chalicelib.jobs import grow
from chalicelib.web import admin, context
from tests.timing import scaled

from .conftest import DESKTOP, phone

pytestmark = pytest.mark.slow

SCREENS = {"1920x1080": DESKTOP, "1080x1920": (1080, 1920), "390x844": (390, 844)}
STATE = "return [...document.querySelectorAll('#garden-grid .slot[data-grow]')].map(s => s.dataset.grow)"


def wait(page, seconds: float = 60):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.05)


@pytest.fixture
def growing():
    """POST /grow on for this test (the e2e server has it off for the others)."""
    context.reconfigure(grow=True)
    admin.GROW_LIMIT.reset()
    yield
    context.reconfigure(grow=False)


@pytest.fixture
def held_flower(growing, monkeypatch):
    """The painter holds a flower's image, painted, until the test has seen its slot growing
    (set the event it yields: the image comes at once, well within the kiosk's 20 s); the
    garden's other images are not held."""
    release = threading.Event()
    for generator in context.current().generators:
        def held(request, real=generator.generate):
            image = real(request)
            if (request.width, request.height) in grow.SIZES.values():
                release.wait(scaled(30))
            return image
        monkeypatch.setattr(generator, "generate", held)
    yield release
    release.set()


def screen(page, name: str) -> None:
    """The kiosk's screen for the visit: a phone's (touch, 2x) or a big screen's."""
    if name == "390x844":
        phone(page)
        return
    width, height = SCREENS[name]
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def visit(page, lang: str = "en") -> None:
    page.open(f"/?countdown=1&rotate=600&lang={lang}")
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    page.driver.find_element(By.ID, "begin").click()
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "garden")


@pytest.mark.parametrize("size", list(SCREENS))
@pytest.mark.parametrize("lang, words", [("en", "Grown for you"), ("ko", "당신을 위해 피어난 꽃")],
                         ids=["en", "ko"])
def test_the_visitors_flower_grows_in_a_slot_and_blooms_there(page, held_flower, lang, words, size):
    screen(page, size)
    visit(page, lang)
    # the garden is there at once; one slot grows the flower (its image held meanwhile)
    wait(page).until(lambda d: page.js(STATE) == ["growing"])
    assert page.js("return document.querySelectorAll('#garden-grid figure[data-key]').length") >= 1
    page.js("document.querySelector('#garden-grid .slot[data-grow]').scrollIntoView({block: 'center'})")
    page.shot(f"grow-1-growing-{lang}-{size}")
    held_flower.set()
    wait(page).until(lambda d: page.js(STATE) == ["bloomed"])
    grown = page.driver.find_element(By.CSS_SELECTOR, "#garden-grid figure.grown")
    key = grown.get_attribute("data-grown")
    # the kiosk's orientation: portrait on the upright screen, landscape elsewhere
    suffix = "v.jpeg" if size == "1080x1920" else "h.jpeg"
    assert key.startswith("grown/") and key.endswith(suffix), (size, key)
    assert grown.find_element(By.CSS_SELECTOR, ".grow-note").get_attribute("textContent") == words
    wait(page).until(lambda d: page.js(
        "const i = document.querySelector('figure.grown img'); return i.complete && i.naturalWidth > 0"))
    page.js("arguments[0].scrollIntoView({block: 'center'})", grown)
    page.shot(f"grow-2-bloomed-{lang}-{size}")
    # the take-home code offers it: its own page, which says it was grown for the visitor
    job = key.rsplit("/", 1)[1][:-len(suffix)]
    grown.find_element(By.CSS_SELECTOR, ".take-home-open").click()
    wait(page).until(lambda d: page.js("return !document.getElementById('take-home').hidden"))
    if size == "390x844":   # a phone is offered the page's link (and a download)
        link = page.driver.find_element(By.ID, "take-home-link").get_attribute("href")
        assert link == f"{page.origin}/share/grown/{job}"
    else:
        qr = page.driver.find_element(By.CSS_SELECTOR, "#take-home .take-home-qr").get_attribute("src")
        assert qr.endswith(f"/share/grown/{job}/qr.svg")
    page.shot(f"grow-3-take-home-{lang}-{size}")
    with urllib.request.urlopen(f"{page.origin}/share/grown/{job}?lang={lang}", timeout=30) as answer:
        assert words.lower() in answer.read().decode().lower()
    # it stays in place: a rotation never takes it, and only one slot is the visitor's
    assert page.js(STATE) == ["bloomed"]


def test_turned_off_the_kiosk_shows_the_garden_alone(page):
    visit(page)
    wait(page).until(lambda d: page.js("return document.querySelectorAll('#garden-grid figure[data-key]').length") >= 1)
    # the kiosk asked (the page's own resource timing), was answered 503, and shows no slot of it
    wait(page).until(lambda d: page.js(
        "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/grow') && e.responseEnd > 0)"))
    assert page.js(STATE) == []
    assert page.js("return document.body.dataset.screen") == "garden"
    # (its 503 is the console's alone: the page fixture allows it)
