"""The about page in a real browser: reached from the kiosk's consent line, it says in English
and Korean what the reading is and is not, runs no script, and leads back to the kiosk."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.timing import scaled

from .conftest import phone

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 20):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def section_text(page, section_id: str) -> str:
    return page.js("return document.getElementById(arguments[0]).textContent", section_id)


def test_the_consent_line_leads_to_the_about_page_and_back(page):
    page.open("/")
    wait(page).until(lambda d: "ready" in d.find_element(By.TAG_NAME, "body").get_attribute("class"))
    link = page.driver.find_element(By.CSS_SELECTOR, "#consent a")
    wait(page).until(lambda d: link.is_displayed())  # once the welcome screen has faded in
    page.shot("about-0-kiosk-consent-link")
    link.click()
    wait(page).until(lambda d: d.current_url.endswith("/about.html"))
    assert page.driver.title.startswith("About the reading")
    english, korean = section_text(page, "about-en"), section_text(page, "about-ko")
    assert "a guess from how a face looks, not a reading of how you" in " ".join(english.split())
    assert "not stored" in english and "age range" in english and "gender" in english
    assert "anonymous counts" in english   # what the learning garden keeps, said plainly
    assert "추측" in korean and "저장되지 않" in korean and "성별" in korean and "익명" in korean
    assert page.js("return document.getElementById('about-ko').lang") == "ko"
    # nothing inline: its one script is a file of this site (the language, about.js), no inline
    # style (the pages get a strict CSP); the page reads the same without it
    assert page.js("return [...document.scripts].map(s => s.getAttribute('src'))") == ["js/about/about.js"]
    assert page.js("return document.querySelectorAll('[style]').length") == 0
    # both languages side by side on the kiosk's screen, inside it, nothing cut off
    en, ko = (page.driver.find_element(By.ID, f"about-{lang}").rect for lang in ("en", "ko"))
    assert en["y"] == ko["y"] and en["x"] + en["width"] <= ko["x"]
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    page.shot("about-1-desktop")
    page.driver.find_element(By.LINK_TEXT, "Back to the garden · 정원으로 돌아가기").click()
    wait(page).until(lambda d: d.execute_script("return document.body.dataset.screen") == "welcome")


def test_the_about_page_on_a_phone_stacks_the_languages(page):
    phone(page)
    page.open("/about.html")
    en, ko = (page.driver.find_element(By.ID, f"about-{lang}").rect for lang in ("en", "ko"))
    assert ko["y"] >= en["y"] + en["height"]
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    page.shot("about-2-phone")
