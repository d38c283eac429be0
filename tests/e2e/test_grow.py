"""A flower of the visitor's own in a real browser: after the reading the garden appears at
once, one slot shows the flower growing, and it blooms there marked "grown for you" with its
take-home code; in Korean too; turned off, the kiosk shows the garden alone, no error."""
from __future__ import annotations

import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from chalicelib.web import admin, context
from tests.timing import scaled

pytestmark = pytest.mark.slow

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


def visit(page, lang: str = "en") -> None:
    page.open(f"/?countdown=1&rotate=600&lang={lang}")
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    page.driver.find_element(By.ID, "begin").click()
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "garden")


@pytest.mark.parametrize("lang, words", [("en", "Grown for you"), ("ko", "당신을 위해 피어난 꽃")])
def test_the_visitors_flower_grows_in_a_slot_and_blooms_there(page, growing, lang, words):
    visit(page, lang)
    # the garden is there at once; one slot grows the flower
    wait(page).until(lambda d: page.js(STATE) in (["growing"], ["bloomed"]))
    assert page.js("return document.querySelectorAll('#garden-grid figure[data-key]').length") >= 1
    if page.js(STATE) == ["growing"]:
        page.shot(f"grow-1-growing-{lang}", settle=False)
    wait(page).until(lambda d: page.js(STATE) == ["bloomed"])
    grown = page.driver.find_element(By.CSS_SELECTOR, "#garden-grid figure.grown")
    key = grown.get_attribute("data-grown")
    assert key.startswith("grown/") and key.endswith("h.jpeg")
    assert grown.find_element(By.CSS_SELECTOR, ".grow-note").get_attribute("textContent") == words
    wait(page).until(lambda d: page.js(
        "const i = document.querySelector('figure.grown img'); return i.complete && i.naturalWidth > 0"))
    page.shot(f"grow-2-bloomed-{lang}")
    # the take-home code offers it: its own page, which says it was grown for the visitor
    grown.find_element(By.CSS_SELECTOR, ".take-home-open").click()
    wait(page).until(lambda d: page.driver.find_element(By.ID, "take-home").is_displayed())
    qr = page.driver.find_element(By.CSS_SELECTOR, "#take-home .take-home-qr").get_attribute("src")
    job = key.rsplit("/", 1)[1][:-len("h.jpeg")]
    assert qr.endswith(f"/share/grown/{job}/qr.svg")
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
