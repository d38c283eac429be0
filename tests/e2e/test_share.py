"""Take it home, in a real browser: a visitor likes a flower in the kiosk, "Take it home" shows
its QR code, the code read back from a screenshot (Debian's zbarimg) is the flower's share URL,
and that page shows the image in English and in Korean. The overlay closes on a tap, after its
timeout, and when the kiosk goes idle."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from chalicelib.rules.share import share_path
from tests.timing import scaled

from .conftest import phone

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 60):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def decode_qr(path) -> list[str]:
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is missing: run tools/install-browser.sh as root (Debian's zbar-tools)")
    result = subprocess.run([zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    return [line for line in result.stdout.splitlines() if line]


def overlay_open(page) -> bool:
    return page.js("const o = document.getElementById('take-home'); return !!o && !o.hidden")


def test_a_liked_flower_goes_home_by_qr_code(page):
    page.open("/?countdown=1&rotate=600&idle=15")
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    page.driver.find_element(By.ID, "begin").click()
    wait(page).until(lambda d: page.js("return document.querySelectorAll('#garden-grid figure.bloom.loaded').length") > 0)
    figure = page.driver.find_element(By.CSS_SELECTOR, "#garden-grid figure.bloom.loaded")
    key = figure.get_attribute("data-key")
    assert figure.find_elements(By.CSS_SELECTOR, ".take-home-open") == []     # only once liked
    figure.find_element(By.CSS_SELECTOR, "button.like").click()
    take_home = wait(page, 10).until(lambda d: figure.find_element(By.CSS_SELECTOR, ".take-home-open"))
    wait(page, 5).until(lambda d: take_home.is_displayed() and take_home.text == "Take it home")
    page.shot("share-0-kiosk-liked")
    take_home.click()
    wait(page, 10).until(lambda d: overlay_open(page) and page.js(
        "const i = document.querySelector('#take-home img'); return i.complete && i.naturalWidth > 0"))
    assert page.js("return document.getElementById('take-home-line').textContent") == "Scan to take this flower home"
    box = page.js("return document.querySelector('#take-home img').getBoundingClientRect().toJSON()")
    assert box["width"] >= 400 and box["height"] >= 400         # scannable from a step away
    shot = page.shot("share-1-kiosk-take-it-home")

    expected = page.origin + share_path(key)
    assert decode_qr(shot) == [expected]

    # a tap closes it; the button opens it again
    page.driver.find_element(By.ID, "take-home").click()
    wait(page, 5).until(lambda d: not overlay_open(page))
    take_home.click()
    wait(page, 5).until(lambda d: overlay_open(page))
    # the kiosk's idle reset closes it, and the visit with it
    wait(page, 40).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    assert not overlay_open(page)

    # the phone opens the decoded link: the flower, in English and in Korean
    phone(page)
    page.driver.get(expected)
    wait(page, 10).until(lambda d: page.js(
        "const i = document.getElementById('flower'); return i.complete && i.naturalWidth > 0"))
    assert page.js("return document.documentElement.lang") == "en"
    assert page.js("return document.querySelector('meta[property=\"og:url\"]').content") == expected
    assert page.js("return document.querySelector('[data-field=emotion]').textContent") == \
        key.split("/")[1].capitalize()
    assert page.js("return document.scripts.length") == 0
    page.shot("share-2-page-en")
    page.driver.find_element(By.ID, "other-language").click()
    wait(page, 10).until(lambda d: page.js("return document.documentElement.lang") == "ko")
    wait(page, 10).until(lambda d: page.js(
        "const i = document.getElementById('flower'); return i.complete && i.naturalWidth > 0"))
    assert page.js("return document.getElementById('download').textContent") == "이미지 내려받기"
    page.shot("share-3-page-ko")


def test_the_overlay_closes_by_itself(page):
    page.open("/?idle=600")
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    # a flower the garden has now (earlier tests may have removed some)
    opened = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all([import('/js/kiosk/take-home.js'), fetch('/garden?emotion=HAPPY').then(r => r.json())])"
        ".then(([m, garden]) => {"
        " const key = [...garden.landscape, ...garden.portrait][0].key;"
        " const take = new m.TakeHome({ closeSeconds: 0.3 });"
        " window.__take = take;"
        " take.open(key);"
        " done([key, take.isOpen, take.qr.getAttribute('src')]); },"
        " e => done(String(e)));")
    key = opened[0]
    assert opened == [key, True, share_path(key) + "/qr.svg"]
    # it closes by itself (0.3 s here); the deadline only bounds the wait
    wait(page, 10).until(lambda d: page.js("return window.__take.isOpen") is False)
