"""The desk's "Held by the moderation": a text-to-image job whose images the moderation held
(one flagged, one unchecked while the check was down) is listed; Show brings its images
blurred with their marks, a click on one shows it plainly and another blurs it again, Hide lets
them go."""
from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from chalicelib.web import context
from tests.timing import scaled, wait_until

from .conftest import ADMIN_KEY

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 30):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def call(origin: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(origin + path, data=data, method="POST" if body else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def _held_job(origin: str) -> str:
    """A text-to-image job of two images: the first flagged (Violence), the second unchecked."""
    from chalicelib.moderation import Moderation, ModerationUnavailable, Verdict

    class FlagsThenFails:
        name = "fake"

        def __init__(self) -> None:
            self.seen = 0
            self.lock = threading.Lock()

        def check_image(self, data: bytes) -> Verdict:
            with self.lock:
                self.seen += 1
                first = self.seen == 1
            if first:
                return Verdict("unsafe-image", labels=("Violence",), confidence=90.0, source="fake")
            raise ModerationUnavailable("the check is down", source="fake")
    before = context.current().moderation
    context.override(moderation=Moderation(prompt=None, image=FlagsThenFails()))
    try:
        job_id = call(origin, "/text2image", {"text": "A lily held back", "count": 2,
                                              "width": 256, "height": 256, "wait": 0})["jobId"]
        job = wait_until(lambda: (j := call(origin, f"/jobs/{job_id}"))["status"] != "RUNNING" and j,
                         60, "the text-to-image job to end", interval=0.1)
        assert (job["status"], job["held"]) == ("SUCCEEDED", 2), job
        return job_id
    finally:
        context.override(moderation=before)   # the server's own checks again, its address kept


def test_the_desk_shows_held_images_blurred_until_a_second_click(page):
    job_id = _held_job(page.origin)
    page.open("/admin/")
    wait(page).until(lambda d: d.find_element(By.ID, "admin-key").is_displayed())
    page.driver.find_element(By.ID, "admin-key").send_keys(ADMIN_KEY + "\n")
    wait(page).until(lambda d: page.js("return document.body.dataset.ready") == "true")
    row = f"#held-jobs .held-job[data-job='{job_id}']"
    wait(page).until(lambda d: page.js("return !!document.querySelector(arguments[0])", row))
    assert page.js("return document.querySelector(arguments[0]).textContent", row).startswith("A lily held back")
    assert page.js("return document.querySelectorAll('#held img').length") == 0   # nothing before Show

    page.driver.find_element(By.CSS_SELECTOR, f"{row} .held-show").click()
    cards = f"{row} .held-image"
    wait(page).until(lambda d: page.js("return [...document.querySelectorAll(arguments[0] + ' img')]"
                                       ".filter(i => i.complete && i.naturalWidth > 0).length", cards) == 2)
    marks = page.js("return [...document.querySelectorAll(arguments[0])].map(c => [c.dataset.moderation,"
                    " c.classList.contains('veiled'), c.querySelector('.held-mark').textContent])", cards)
    # the cards follow the images' order; which image was checked first is the endpoints' race
    assert sorted(marks) == [["flagged", True, "flagged: Violence"],
                             ["unchecked", True, "not checked (the check was down)"]]
    srcs = page.js("return [...document.querySelectorAll(arguments[0] + ' img')].map(i => i.src)", cards)
    assert all(f"/held/text2image/{job_id}/" in s and "signature" in s for s in srcs), srcs
    blur = "return getComputedStyle(document.querySelector(arguments[0] + ' img')).filter"
    assert "blur" in page.js(blur, cards)
    page.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", row)
    page.shot("desk-held-blurred")

    # the second click shows it plainly; another blurs it again
    veil = page.driver.find_element(By.CSS_SELECTOR, f"{cards} .held-veil")
    veil.click()
    assert page.js(blur, cards) == "none"
    assert veil.get_attribute("aria-pressed") == "true"
    page.shot("desk-held-plain")
    veil.click()
    assert "blur" in page.js(blur, cards)

    hide = page.driver.find_element(By.CSS_SELECTOR, f"{row} .held-show")
    assert hide.text == "Hide" and hide.get_attribute("aria-expanded") == "true"
    hide.click()
    assert page.js("return document.querySelectorAll(arguments[0]).length", cards) == 0
