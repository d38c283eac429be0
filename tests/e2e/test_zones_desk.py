"""The desk's "Display zones" panel in a real browser: add a zone, choose images from the
garden, a caption and a pace, save — and GET /zones/{n} (what the wall screen reads) shows
exactly that; reset puts the zone back to the newest flowers. The panel speaks Korean too."""
from __future__ import annotations

import json
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.timing import scaled

from .conftest import ADMIN_KEY

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 30):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def get(origin: str, path: str, key: str | None = None) -> dict:
    request = urllib.request.Request(origin + path, headers={"x-api-key": key} if key else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def unlock(page, path: str = "/admin/") -> None:
    page.open(path)
    wait(page).until(lambda d: d.find_element(By.ID, "admin-key").is_displayed())
    page.driver.find_element(By.ID, "admin-key").send_keys(ADMIN_KEY + "\n")
    wait(page).until(lambda d: page.js("return document.body.dataset.ready") == "true")


def test_a_zone_set_on_the_desk_is_what_its_screen_reads(page):
    unlock(page)
    before = {z["zone"] for z in get(page.origin, "/zones", ADMIN_KEY)["zones"]}
    page.driver.find_element(By.ID, "zone-add").click()
    card = wait(page).until(lambda d: d.find_element(By.CSS_SELECTOR, ".zone-card[data-saved='false']"))
    zone = int(card.get_attribute("data-zone"))
    assert zone not in before and 1 <= zone <= 99
    page.driver.execute_script("arguments[0].scrollIntoView()", card)

    Select(card.find_element(By.NAME, "mode")).select_by_value("chosen")
    assert card.find_element(By.CLASS_NAME, "zone-chosen").is_displayed()
    assert not card.find_element(By.CLASS_NAME, "zone-emotion").is_displayed()
    Select(card.find_element(By.NAME, "pick-emotion")).select_by_value("CALM")
    card.find_element(By.CLASS_NAME, "zone-pick").click()
    boxes = wait(page).until(lambda d: card.find_elements(By.CSS_SELECTOR, ".zone-thumbs input") or None)
    picked = [boxes[0].get_attribute("data-key"), boxes[-1].get_attribute("data-key")]
    boxes[0].click()
    boxes[-1].click()
    assert card.find_element(By.NAME, "images").get_attribute("value").split("\n") == picked
    caption = card.find_element(By.NAME, "caption")
    caption.send_keys("The quiet hall")
    interval = card.find_element(By.NAME, "interval")
    interval.clear()
    interval.send_keys("15")
    link = card.find_element(By.CLASS_NAME, "zone-open").get_attribute("href")
    assert link.endswith(f"/display/?zone={zone}")
    page.shot("zones-desk-1-chosen")
    card.find_element(By.CLASS_NAME, "zone-save").click()
    wait(page).until(lambda d: card.get_attribute("data-saved") == "true")
    assert "Saved" in card.find_element(By.CLASS_NAME, "zone-message").text

    screen = get(page.origin, f"/zones/{zone}")
    assert screen["mode"] == "chosen" and screen["caption"] == "The quiet hall"
    assert screen["interval"] == 15 and screen["poll"] == 30 and screen["emotion"] is None
    shown = [i["key"] for i in screen["landscape"]] + [i["key"] for i in screen["portrait"]]
    assert sorted(shown) == sorted(picked) and all(k.startswith("emotions/CALM/") for k in shown)

    # loved, then reset: each is what the screen reads next
    Select(card.find_element(By.NAME, "mode")).select_by_value("loved")
    assert card.find_element(By.CLASS_NAME, "zone-emotion").is_displayed()
    Select(card.find_element(By.NAME, "emotion")).select_by_value("SAD")
    card.find_element(By.CLASS_NAME, "zone-save").click()
    wait(page).until(lambda d: get(page.origin, f"/zones/{zone}")["mode"] == "loved")
    assert get(page.origin, f"/zones/{zone}")["emotion"] == "SAD"
    card.find_element(By.CLASS_NAME, "zone-reset").click()
    wait(page).until(lambda d: get(page.origin, f"/zones/{zone}")["mode"] == "newest")
    assert zone not in {z["zone"] for z in get(page.origin, "/zones", ADMIN_KEY)["zones"]}

    # the panel in Korean
    page.driver.execute_script("sessionStorage.clear(); localStorage.clear()")
    unlock(page, "/admin/?lang=ko")
    assert page.driver.find_element(By.ID, "zones-title").text == "디스플레이 구역"
    assert page.driver.find_element(By.ID, "zone-add").text == "구역 추가"
