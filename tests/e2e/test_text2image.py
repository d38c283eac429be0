"""Text to image in a real browser: a prompt, a preset size and a count; images appear as the
job reports them (polling /jobs/{id}); a dead endpoint's images fail with their reason."""
from __future__ import annotations

import json
import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from chalicelib.web import context
from tests.timing import scaled

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 60):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def loaded_sizes(page) -> list[list[int]]:
    return page.js("return [...document.querySelectorAll('#results .tile.loaded img')]"
                   ".map(i => [i.naturalWidth, i.naturalHeight])")


class ScriptedPolls:
    """Wraps the server's API gateway in this test process so that GET /jobs/{id} follows a
    script: the first answer holding an image is cut back to that one image, still RUNNING
    (the rest "still painting"); the next `failures` polls (None: all of them) answer
    `status`; later polls get the real answers again."""

    def __init__(self, server, monkeypatch, status: int, failures: int | None) -> None:
        self.real = server.gateway.handle_request
        self.status = status
        self.failures = failures
        self.failed = 0
        self.phase = "before"
        self.lock = threading.Lock()
        monkeypatch.setattr(server.gateway, "handle_request", self.handle)

    def handle(self, method, path, headers, body):
        if method != "GET" or not path.startswith("/jobs/"):
            return self.real(method, path, headers, body)
        with self.lock:
            if self.phase == "failing":
                if self.failures is None or self.failed < self.failures:
                    self.failed += 1
                    return {"statusCode": self.status, "headers": {"Content-Type": "application/json"},
                            "body": json.dumps({"message": f"scripted {self.status}"})}
                self.phase = "after"
            phase = self.phase
        response = self.real(method, path, headers, body)
        if phase == "before" and response["statusCode"] == 200:
            raw = response.get("body") or b"{}"
            view = json.loads(raw if isinstance(raw, str) else raw.decode())
            if view.get("images"):
                view.update(images=view["images"][:1], errors=[], status="RUNNING")
                response = {**response, "body": json.dumps(view)}
                with self.lock:
                    self.phase = "failing"
        return response


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


def test_images_arrive_through_the_job_and_a_dead_endpoints_share_is_made_by_the_other(page, monkeypatch):
    # the server answers 202 at once (no wait budget), so the page must poll /jobs/{id};
    # the second endpoint refuses connections (port 9 on this machine: nothing listens), leaves
    # the job, and the painter makes its images too
    monkeypatch.setenv("GARDEN_WAIT_SECONDS", "0")
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["painter:", "http://127.0.0.1:9/invocations"]')
    context.rebuild()
    try:
        ask(page, "A calm lily at dusk, serene, soft light", "1024x576", 4)
        wait(page).until(lambda d: page.js("return document.getElementById('run').dataset.status") == "SUCCEEDED")
        wait(page).until(lambda d: len(loaded_sizes(page)) == 4)
        assert loaded_sizes(page) == [[1024, 576]] * 4
        assert page.js("return document.querySelectorAll('#results .tile.failed').length") == 0
        page.shot("text2image-2-dead-endpoint")
    finally:
        monkeypatch.undo()
        context.rebuild()


def test_an_empty_prompt_is_answered_on_the_page(page):
    page.open("/text2image.html")
    wait(page).until(lambda d: d.find_element(By.ID, "grow").is_displayed())
    page.driver.find_element(By.ID, "grow").click()
    wait(page, 5).until(lambda d: d.find_element(By.ID, "form-error").is_displayed())
    assert page.driver.switch_to.active_element == page.driver.find_element(By.ID, "prompt")


def test_a_poll_that_fails_once_loses_nothing_and_the_run_finishes(page, server, monkeypatch):
    page.allow_error("the server responded with a status of 503")
    polls = ScriptedPolls(server, monkeypatch, 503, failures=1)
    ask(page, "A sunflower in the rain, hopeful", "640x480", 3)
    # one image shown, then a 503 from /jobs: retried, and the run goes on to the end
    wait(page).until(lambda d: page.js("return document.getElementById('run').dataset.status") == "SUCCEEDED")
    assert polls.failed == 1
    wait(page).until(lambda d: len(loaded_sizes(page)) == 3)
    assert page.js("return document.querySelectorAll('#results .tile.failed').length") == 0
    assert not page.driver.find_element(By.ID, "form-error").is_displayed()


def test_losing_the_job_keeps_the_images_already_shown(page, server, monkeypatch):
    page.allow_error("the server responded with a status of 404")
    polls = ScriptedPolls(server, monkeypatch, 404, failures=None)
    ask(page, "A peony under moonlight, quiet", "640x480", 3)
    wait(page).until(lambda d: page.js("return document.getElementById('run').dataset.status") == "LOST")
    assert polls.failed == 1  # a 404 is not retried
    wait(page).until(lambda d: len(loaded_sizes(page)) == 1)  # the image that had arrived stays
    notes = page.js("return [...document.querySelectorAll('#results .tile.failed')].map(t => t.textContent)")
    assert notes == ["not heard from", "not heard from"], notes
    status = page.js("return document.getElementById('run-status').textContent")
    assert status.startswith("1 of 3 shown") and "scripted 404" in status, status
    page.shot("text2image-3-lost-track")


def _refused_on_the_page(page, language: str, prompt: str) -> str:
    page.allow_error("the server responded with a status of 400")
    page.open(f"/text2image.html?lang={language}")
    wait(page).until(lambda d: d.find_element(By.ID, "prompt").is_displayed())
    page.driver.find_element(By.ID, "prompt").send_keys(prompt)
    page.driver.find_element(By.ID, "grow").click()
    wait(page).until(lambda d: d.find_element(By.ID, "form-error").is_displayed())
    assert page.js("return document.getElementById('run').dataset.status") == "REFUSED"
    assert page.js("return document.querySelectorAll('#results .tile').length") == 0
    return page.driver.find_element(By.ID, "form-error").text


@pytest.mark.parametrize("language, prompt, said", [
    ("en", "N U D E figure among roses", "This prompt can't be used here. Please try other words."),
    ("ko", "ㅅㅔㄱㅅㅡ 하는 꽃", "이 프롬프트는 여기에서 사용할 수 없어요. 다른 단어로 써 주세요."),
])
def test_a_refused_prompt_is_said_plainly_in_the_pages_language(page, language, prompt, said):
    before = len(context.current().job_store.list_jobs(limit=100).jobs)
    assert _refused_on_the_page(page, language, prompt) == said
    assert len(context.current().job_store.list_jobs(limit=100).jobs) == before   # no job
    page.shot(f"text2image-refused-{language}")


@pytest.mark.parametrize("language, said", [("en", "one image could not be shown"),
                                             ("ko", "그림 한 장을 보여 드릴 수 없어요")])
def test_an_image_the_moderation_held_is_never_shown(page, monkeypatch, language, said):
    from chalicelib.moderation import Moderation, Verdict

    class FlagsTheFirst:
        """An image check that flags the first image it sees."""
        name = "fake"

        def __init__(self) -> None:
            self.seen = 0
            self.lock = threading.Lock()

        def check_image(self, data: bytes) -> Verdict:
            with self.lock:
                self.seen += 1
                first = self.seen == 1
            return Verdict("unsafe-image", labels=("Violence",), confidence=90.0,
                           source="fake") if first else Verdict("clean")
    before = context.current().moderation
    context.override(moderation=Moderation(prompt=None, image=FlagsTheFirst()))
    try:
        page.open(f"/text2image.html?lang={language}")
        wait(page).until(lambda d: d.find_element(By.ID, "prompt").is_displayed())
        page.driver.find_element(By.ID, "prompt").send_keys("A calm lily at dusk")
        Select(page.driver.find_element(By.ID, "size")).select_by_value("640x480")
        count_input = page.driver.find_element(By.ID, "count")
        count_input.clear()
        count_input.send_keys("2")
        page.driver.find_element(By.ID, "grow").click()
        wait(page).until(lambda d: page.js("return document.getElementById('run').dataset.status") == "SUCCEEDED")
        wait(page).until(lambda d: len(loaded_sizes(page)) == 1)
        notes = page.js("return [...document.querySelectorAll('#results .tile.held')].map(t => t.textContent)")
        assert notes == [said]
        srcs = page.js("return [...document.querySelectorAll('#results img')].map(i => i.src)")
        assert len(srcs) == 1 and not any("held/" in s for s in srcs)
        page.shot(f"text2image-held-{language}")
    finally:
        context.override(moderation=before)   # the server's own checks again, its address kept
