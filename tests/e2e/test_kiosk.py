"""The kiosk in a real browser: fake camera → /emotion → the garden for that emotion → a like;
the "No Face" path through the photo fallback; back to the start when nobody is there."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import phone

pytestmark = pytest.mark.slow

EMOTIONS = {"HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR"}


def wait(page, seconds: float = 20):
    return WebDriverWait(page.driver, seconds, poll_frequency=0.1)


def screen(page) -> str:
    return page.js("return document.body.dataset.screen")


def text(page, element_id: str) -> str:
    # textContent: Selenium's .text is empty while a screen is still fading in
    return page.js("return document.getElementById(arguments[0]).textContent", element_id).strip()


def visible_keys(page) -> list[str]:
    return page.js("return [...document.querySelectorAll('#garden-grid figure.bloom:not(.leaving)')]"
                   ".map(f => f.dataset.key)")


def test_the_welcome_screen_explains_what_happens_to_the_photo(page):
    page.open("/")
    wait(page).until(lambda d: "ready" in d.find_element(By.TAG_NAME, "body").get_attribute("class"))
    consent = text(page, "consent")
    assert "never kept" in consent
    begin = page.driver.find_element(By.ID, "begin")
    assert begin.get_attribute("aria-describedby") == "consent"
    assert page.driver.switch_to.active_element == begin  # keyboard users start on Begin
    page.shot("kiosk-1-welcome")
    # the keyboard alone: Enter starts the camera, Escape goes back to the start
    begin.send_keys(Keys.ENTER)
    wait(page).until(lambda d: screen(page) == "camera")
    page.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(page).until(lambda d: screen(page) == "welcome")
    wait(page, 10).until(lambda d: page.js("return document.getElementById('camera-video').srcObject") is None)
    phone(page)
    page.shot("kiosk-1-welcome-phone")


def test_camera_capture_grows_a_garden_for_the_emotion_and_a_like_counts(page):
    page.open("/?countdown=2&rotate=60")
    wait(page).until(lambda d: screen(page) == "welcome")
    page.driver.find_element(By.ID, "begin").click()
    wait(page).until(lambda d: text(page, "countdown") in ("1", "2"))
    assert page.js("return document.getElementById('camera-video').videoWidth") == 640  # the fake camera
    page.shot("kiosk-2-countdown", settle=False)
    wait(page, 60).until(lambda d: screen(page) == "garden")
    emotion = page.js("return document.body.dataset.emotion")
    assert emotion in EMOTIONS
    wait(page).until(lambda d: len(visible_keys(page)) == 4)
    keys = visible_keys(page)
    assert all(key.startswith(f"emotions/{emotion}/") for key in keys), keys
    assert text(page, "garden-title")  # friendly words, not the API's enum
    assert emotion.lower() not in text(page, "garden-title").lower()
    wait(page).until(lambda d: page.js(
        "return [...document.querySelectorAll('#garden-grid figure')].every(f => f.classList.contains('loaded'))"))
    alts = page.js("return [...document.querySelectorAll('#garden-grid img')].map(i => i.alt)")
    assert all(alt.startswith("A painted") for alt in alts), alts
    page.shot("kiosk-3-garden")

    figure = page.driver.find_element(By.CSS_SELECTOR, "#garden-grid figure.bloom")
    key = figure.get_attribute("data-key")
    before = int(figure.find_element(By.CLASS_NAME, "like-count").get_attribute("textContent"))
    button = figure.find_element(By.CSS_SELECTOR, "button.like")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    wait(page).until(lambda d: button.get_attribute("aria-pressed") == "true")
    assert int(figure.find_element(By.CLASS_NAME, "like-count").get_attribute("textContent")) == before + 1
    page.shot("kiosk-4-liked")

    from chalicelib import bootstrap
    assert bootstrap.catalog().get_image(key).likes == before + 1  # the server counted it


def test_no_face_gets_a_kind_retry_message(page, photos):
    page.allow_error("/emotion - Failed to load resource: the server responded with a status of 404")
    page.open("/")
    wait(page).until(lambda d: screen(page) == "welcome")
    upload = page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]")
    upload.send_keys(str(photos["no_face"]))
    wait(page, 60).until(lambda d: screen(page) == "problem")
    title = text(page, "problem-title")
    assert "face" in title.lower()
    wait(page).until(lambda d: d.find_element(By.ID, "retry").is_displayed())
    page.shot("kiosk-5-no-face")


def test_a_chosen_photo_works_without_the_camera_and_idle_returns_to_start(page, photos):
    page.open("/?idle=6&rotate=2")
    wait(page).until(lambda d: screen(page) == "welcome")
    first_visitor = page.js("return sessionStorage.getItem('garden.visitor')")
    assert first_visitor
    page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]").send_keys(str(photos["face"]))
    wait(page, 60).until(lambda d: screen(page) == "garden")
    assert page.js("return document.body.dataset.emotion") in EMOTIONS
    wait(page).until(lambda d: len(visible_keys(page)) == 4)
    first = set(visible_keys(page))
    # a few images at a time, slowly rotating: another image takes a slot's place
    wait(page, 5).until(lambda d: set(visible_keys(page)) - first)
    phone(page)
    wait(page).until(lambda d: page.js("return document.querySelector('#garden-grid').classList.contains('tall')"))
    wait(page).until(lambda d: page.js("return document.querySelectorAll('#garden-grid figure.loaded').length >= 3"))
    page.shot("kiosk-6-garden-phone")
    # nobody touches the screen: back to the start, with a new visitor id for the next person
    wait(page, 15).until(lambda d: screen(page) == "welcome")
    assert page.js("return sessionStorage.getItem('garden.visitor')") not in (None, first_visitor)
    assert page.js("return document.querySelectorAll('#garden-grid figure').length") == 0
