"""Favorites in a real browser: the kiosk offers the visitor a favorite (season, weather, time
of day) only when the garden has some for their emotion, and choosing one brings its flowers
first; the desk's bulk form makes a season × weather × time matrix in one job, and the
overview counts images per favorite."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from chalicelib.web import context
from tests.images import jpeg
from tests.timing import scaled

from .test_operator import face_emotion, unlock

pytestmark = pytest.mark.slow
FAV = "spring,cloudy,day"


def wait(page, seconds: float = 60):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


@pytest.fixture
def planted():
    """Images planted for one test, removed after it (the e2e server's garden is shared)."""
    keys: list[str] = []

    def plant(key: str, color=(200, 170, 60)) -> str:
        width, height = (320, 200) if key.endswith("h.jpeg") else (200, 320)
        context.current().store.put(key, jpeg(width, height, color, prov={"prompt": f"A flower, {FAV}",
                                                                    "createdAt": "2020-01-01T00:00:00Z"}))
        keys.append(key)
        return key
    yield plant
    for key in keys:
        if context.current().store.exists(key):
            context.current().store.delete(key)


def chips(page) -> list[str]:
    return page.js("return [...document.querySelectorAll('#favorite-chooser button')].map(b => b.textContent)")


def test_the_kiosk_offers_the_gardens_favorites_and_brings_the_chosen_first(page, planted, tmp_path):
    emotion = face_emotion(page.origin, tmp_path)
    favorite_keys = [planted(f"emotions/{emotion.lower()}/{FAV}/fav_{n}{o}.jpeg", (40 * n, 160, 220))
                     for n in range(2) for o in ("h", "v")]
    page.open("/?countdown=1&rotate=600")
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    page.driver.find_element(By.ID, "begin").click()
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "garden")
    assert page.js("return document.body.dataset.emotion") == emotion
    wait(page).until(lambda d: page.driver.find_element(By.ID, "favorite-chooser").is_displayed())
    assert chips(page) == ["Every flower", "spring · cloudy · day"]
    page.shot("favorites-1-kiosk-chooser")

    page.driver.find_element(By.CSS_SELECTOR, f"#favorite-chooser button[data-favorite='{FAV}']").click()
    wait(page).until(lambda d: set(favorite_keys) <= set(page.js(
        "return [...document.querySelectorAll('#garden-grid figure.bloom:not(.leaving)')].map(f => f.dataset.key)")))
    pressed = page.js("return document.querySelector('#favorite-chooser [aria-pressed=true]').dataset.favorite")
    assert pressed == FAV
    page.shot("favorites-2-kiosk-chosen")

    # an emotion without favorites: the chooser stays hidden
    other = next(e for e in ("SAD", "CALM") if e != emotion)
    hidden = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('/js/kiosk/favorites.js').then(async m => { const div = document.createElement('div'); div.hidden = true;"
        " await new m.FavoriteChooser(div, () => {}).offer(arguments[0]); done(div.hidden); }, e => done(String(e)));",
        other)
    assert hidden is True


def test_the_desk_grows_a_favorite_matrix_and_counts_images_per_favorite(page):
    unlock(page)
    Select(page.driver.find_element(By.ID, "bulk-emotion")).select_by_value("DISGUSTED")
    count = page.driver.find_element(By.ID, "bulk-count")
    count.clear()
    count.send_keys("1")
    page.driver.find_element(By.CSS_SELECTOR, "input[name=orientations][value=portrait]").click()
    page.driver.find_element(By.ID, "bulk-season").send_keys("spring, winter")
    page.driver.find_element(By.ID, "bulk-weather").send_keys("cloudy")
    page.driver.find_element(By.ID, "bulk-time").send_keys("day")
    wait(page).until(lambda d: "= 2 images" in page.js("return document.getElementById('bulk-matrix-total').textContent"))
    page.driver.find_element(By.ID, "bulk").location_once_scrolled_into_view
    page.shot("favorites-3-matrix-form")
    try:
        page.driver.find_element(By.ID, "bulk-start").click()
        wait(page).until(lambda d: page.js("return document.querySelector('#jobs .job')?.dataset.status")
                         in ("SUCCEEDED", "PARTIAL", "FAILED"))
        assert page.js("return document.querySelector('#jobs .job').dataset.status") == "SUCCEEDED"
        made = sorted(r.favorite for r in context.current().image_index.iter_images("pool/DISGUSTED/"))
        assert made == ["spring,cloudy,day", "winter,cloudy,day"]
        page.open("/admin/")   # a fresh desk (the key remembered) reads the overview again
        wait(page).until(lambda d: page.js("return document.body.dataset.ready") == "true")
        cell = "return document.querySelector(\"#overview-rows tr[data-emotion='DISGUSTED'] td.favorites\").textContent"
        wait(page).until(lambda d: "winter · cloudy · day 0 (+1 in pool)" in page.js(cell))
        assert "spring · cloudy · day 0 (+1 in pool)" in page.js(cell)
        page.driver.find_element(By.ID, "overview").location_once_scrolled_into_view
        page.shot("favorites-4-overview")
    finally:
        for record in list(context.current().image_index.iter_images("pool/DISGUSTED/")):
            context.current().store.delete(record.key)
