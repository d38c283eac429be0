"""Text to image in a real browser: a prompt, a preset size and a count; images appear as the
job reports them (polling /jobs/{id}); a dead endpoint's images fail with their reason."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from chalicelib import bootstrap

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 60):
    return WebDriverWait(page.driver, seconds, poll_frequency=0.1)


def loaded_sizes(page) -> list[list[int]]:
    return page.js("return [...document.querySelectorAll('#results .tile.loaded img')]"
                   ".map(i => [i.naturalWidth, i.naturalHeight])")


def ask(page, prompt: str, size: str, count: int) -> None:
    page.open("/text2image.html")
    wait(page).until(lambda d: d.find_element(By.ID, "prompt").is_displayed())
    assert Select(page.driver.find_element(By.ID, "size")).first_selected_option.get_attribute("value") == "768x512"
    page.driver.find_element(By.ID, "prompt").send_keys(prompt)
    Select(page.driver.find_element(By.ID, "size")).select_by_value(size)
    count_input = page.driver.find_element(By.ID, "count")
    count_input.clear()
    count_input.send_keys(str(count))
    page.driver.find_element(By.ID, "grow").click()


def test_a_prompt_becomes_images_of_the_chosen_size(page):
    ask(page, "A flower, fantasy, happy, young, smile, concept art", "640x480", 2)
    wait(page).until(lambda d: page.js("return document.getElementById('run').dataset.status") == "SUCCEEDED")
    wait(page).until(lambda d: len(loaded_sizes(page)) == 2)
    assert loaded_sizes(page) == [[640, 480], [640, 480]]
    alts = page.js("return [...document.querySelectorAll('#results img')].map(i => i.alt)")
    assert all("A flower, fantasy, happy" in alt for alt in alts)
    assert page.js("return document.getElementById('run-progress').value") == 2
    page.shot("text2image-1-done")


def test_images_arrive_through_the_job_and_a_dead_endpoint_fails_only_its_own(page, monkeypatch):
    # the server answers 202 at once (no wait budget), so the page must poll /jobs/{id};
    # the second endpoint refuses connections (port 9 on this machine: nothing listens)
    monkeypatch.setenv("GARDEN_WAIT_SECONDS", "0")
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["painter:", "http://127.0.0.1:9/invocations"]')
    bootstrap.reset()
    try:
        ask(page, "A calm lily at dusk, serene, soft light", "1024x576", 4)
        wait(page).until(lambda d: page.js("return document.getElementById('run').dataset.status") == "PARTIAL")
        wait(page).until(lambda d: len(loaded_sizes(page)) == 2)
        assert loaded_sizes(page) == [[1024, 576], [1024, 576]]
        failed = page.js("return [...document.querySelectorAll('#results .tile.failed')].map(t => t.textContent)")
        assert len(failed) == 2 and all(note.startswith("Endpoint") for note in failed), failed
        reasons = page.js("return [...document.querySelectorAll('#run-errors li')].map(li => li.textContent)")
        assert len(reasons) == 2 and all("127.0.0.1:9" in reason for reason in reasons), reasons
        assert "2 of 4 ready, 2 failed" in page.js("return document.getElementById('run-status').textContent")
        page.shot("text2image-2-partial")
    finally:
        monkeypatch.undo()
        bootstrap.reset()


def test_an_empty_prompt_is_answered_on_the_page(page):
    page.open("/text2image.html")
    wait(page).until(lambda d: d.find_element(By.ID, "grow").is_displayed())
    page.driver.find_element(By.ID, "grow").click()
    wait(page, 5).until(lambda d: d.find_element(By.ID, "form-error").is_displayed())
    assert page.driver.switch_to.active_element == page.driver.find_element(By.ID, "prompt")
