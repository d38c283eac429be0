"""The operator's screens in a real browser: the admin key gate; clear an emotion's garden,
see it flagged empty, grow a pool with a progress bar, review it (select all, publish, remove),
and the kiosk's garden for that emotion shows exactly the new flowers; recent jobs survive a
reload and a running one is cancelled from the desk."""
from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.timing import scaled

from . import media, watch
from .conftest import ADMIN_KEY, desktop, phone

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 60):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def js_text(page, selector: str) -> str:
    return page.js("const n = document.querySelector(arguments[0]); return n ? n.textContent.trim() : null", selector)


def cards(page) -> list[str]:
    return page.js("return [...document.querySelectorAll('#pool .pool-card')].map(c => c.dataset.key)")


def state_of(page, emotion: str) -> str:
    return page.js("const r = document.querySelector(`#overview-rows tr[data-emotion='${arguments[0]}']`);"
                   "return r ? r.dataset.state : null", emotion)


def face_emotion(origin: str, tmp_path) -> str:
    """What the analyzer makes of the astronaut: the emotion whose garden the kiosk will show."""
    photo = media.write_jpeg(media.astronaut(), tmp_path / "face.jpg").read_bytes()
    request = urllib.request.Request(origin + "/emotion", data=photo, method="POST",
                                     headers={"Content-Type": "image/jpeg"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["emotions"]


def unlock(page) -> None:
    page.open("/admin/")
    wait(page).until(lambda d: d.find_element(By.ID, "admin-key").is_displayed())
    page.driver.find_element(By.ID, "admin-key").send_keys(ADMIN_KEY + "\n")
    wait(page).until(lambda d: page.js("return document.body.dataset.ready") == "true")
    assert not page.driver.find_element(By.ID, "lock").is_displayed()


def test_a_wrong_key_is_refused_and_asked_again(page):
    page.allow_error("/admin/overview - Failed to load resource: the server responded with a status of 403")
    page.open("/admin/")
    wait(page).until(lambda d: d.find_element(By.ID, "admin-key").is_displayed())
    page.shot("operator-1-gate")
    page.driver.find_element(By.ID, "admin-key").send_keys("not-the-key\n")
    wait(page, 10).until(lambda d: d.find_element(By.ID, "lock-error").is_displayed())
    assert "not accepted" in js_text(page, "#lock-error")
    assert page.js("return sessionStorage.getItem('garden.adminKey')") is None
    assert not page.driver.find_element(By.ID, "desk").is_displayed()


def test_grow_review_publish_and_the_kiosk_shows_the_new_flowers(page, photos, tmp_path):
    emotion = face_emotion(page.origin, tmp_path)
    unlock(page)
    assert page.js("return sessionStorage.getItem('garden.adminKey')") == ADMIN_KEY  # asked once
    assert len(page.driver.find_elements(By.CSS_SELECTOR, "#overview-rows tr")) == 8

    # clear this emotion's garden from the review grid: select all, remove (pressed twice)
    Select(page.driver.find_element(By.ID, "bulk-emotion")).select_by_value(emotion)
    Select(page.driver.find_element(By.ID, "review-area")).select_by_value("garden")
    wait(page).until(lambda d: len(cards(page)) > 0 and all(k.startswith(f"emotions/{emotion}/") for k in cards(page)))
    page.driver.find_element(By.ID, "select-all").click()
    remove = page.driver.find_element(By.ID, "remove")
    remove.click()
    assert js_text(page, "#remove").startswith("Really remove")
    remove.click()
    wait(page).until(lambda d: js_text(page, "#review-message").startswith("Removed"))
    wait(page).until(lambda d: state_of(page, emotion) == "empty")
    assert cards(page) == []

    # grow a pool: 3 per orientation with a favorite, progress bar to the end
    Select(page.driver.find_element(By.ID, "review-area")).select_by_value("pool")
    count = page.driver.find_element(By.ID, "bulk-count")
    count.clear()
    count.send_keys("3")
    page.driver.find_element(By.ID, "bulk-favorite").send_keys("tulip")
    page.driver.find_element(By.ID, "bulk-others").send_keys("watercolor")
    page.driver.find_element(By.ID, "bulk-start").click()
    # the newest job is this one (jobs of earlier tests on the shared server are listed below it)
    wait(page).until(lambda d: "tulip" in (js_text(page, "#jobs .job") or "")
                     and page.js("return document.querySelector('#jobs .job')?.dataset.status") in ("SUCCEEDED", "PARTIAL", "FAILED"), message=str(page.js("return document.getElementById('bulk').textContent")))
    assert page.js("return document.querySelector('#jobs .job').dataset.status") == "SUCCEEDED", js_text(page, "#jobs")
    assert page.js("const p = document.querySelector('#jobs progress'); return [p.value, p.max]") == [6, 6]
    wait(page).until(lambda d: len(cards(page)) == 6)
    pool_keys = cards(page)
    assert all(k.startswith(f"pool/{emotion}/tulip/") for k in pool_keys), pool_keys
    wait(page).until(lambda d: page.js("return [...document.querySelectorAll('#pool img')].every(i => i.complete && i.naturalWidth > 0)"))
    page.shot("operator-2-review")

    # publish all but one; remove that one
    page.driver.find_element(By.ID, "select-all").click()
    kept_back = page.driver.find_elements(By.CSS_SELECTOR, "#pool .pool-card input")[0]
    kept_back.click()
    assert page.js("return document.getElementById('select-all').indeterminate") is True
    page.driver.find_element(By.ID, "publish").click()
    wait(page).until(lambda d: js_text(page, "#review-message").startswith("Published 5 of 5"))
    assert len(cards(page)) == 1
    wait(page).until(lambda d: state_of(page, emotion) in ("thin", "ok"))
    page.driver.find_element(By.ID, "select-all").click()
    page.driver.find_element(By.ID, "remove").click()
    page.driver.find_element(By.ID, "remove").click()
    wait(page).until(lambda d: js_text(page, "#review-message").startswith("Removed 1 of 1"))
    assert cards(page) == []
    page.js("window.scrollTo(0, 0)")
    page.shot("operator-3-published")
    phone(page)
    # the overview's State column (the flags) fits a phone's width, nothing cut off
    wait(page).until(lambda d: page.js(
        "const box = document.querySelector('.overview-table').parentElement;"
        "return box.scrollWidth <= box.clientWidth"))
    flags_right = page.js("return [...document.querySelectorAll('#overview-rows .flag')]"
                          ".map(f => f.getBoundingClientRect().right)")
    assert flags_right and max(flags_right) <= 390, flags_right
    page.shot("operator-4-phone")

    # the kiosk's garden for that emotion now holds exactly the published tulips
    desktop(page.driver)
    page.open("/?rotate=60")
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "welcome")
    page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]").send_keys(str(photos["face"]))
    wait(page).until(lambda d: page.js("return document.body.dataset.screen") == "garden")
    assert page.js("return document.body.dataset.emotion") == emotion
    shown_keys = "return [...document.querySelectorAll('#garden-grid figure:not(.leaving)')].map(f => f.dataset.key)"
    wait(page, 20).until(lambda d: len(page.js(shown_keys)) == 4)
    shown = page.js(shown_keys)
    published = {k.replace("pool/", "emotions/", 1) for k in pool_keys}
    assert set(shown) <= published, shown


def _wrap_gateway(server, monkeypatch, wrapper):
    """Puts wrapper(real, method, path, headers, body) around the server's API gateway, in
    this test process, for one test."""
    real = server.gateway.handle_request
    monkeypatch.setattr(server.gateway, "handle_request",
                        lambda method, path, headers, body: wrapper(real, method, path, headers, body))


def test_a_slow_answer_for_the_previous_emotion_never_lands_in_the_review_grid(page, server, monkeypatch):
    slow, fast = "ANGRY", "CALM"
    release = threading.Event()
    answered = threading.Event()

    def hold_slow(real, method, path, headers, body):
        # the desk lists the published garden through GET /pool?area=garden (with provenance)
        if path.startswith("/pool?") and "area=garden" in path and f"emotion={slow}" in path:
            release.wait(scaled(30))
            answered.set()
        return real(method, path, headers, body)
    _wrap_gateway(server, monkeypatch, hold_slow)
    with watch.watching(page.driver):   # before the desk's page opens
        try:
            unlock(page)
            Select(page.driver.find_element(By.ID, "review-emotion")).select_by_value(slow)
            Select(page.driver.find_element(By.ID, "review-area")).select_by_value("garden")  # the slow load
            Select(page.driver.find_element(By.ID, "review-emotion")).select_by_value(fast)   # then this one
            wait(page).until(lambda d: js_text(page, "#review-message").endswith("garden for Calm."))
            shown = cards(page)
            assert shown and all(k.startswith(f"emotions/{fast}/") for k in shown), shown
        finally:
            release.set()
        assert answered.wait(scaled(30))
        # the slow answer has reached the page, been read, and what the page does with it has
        # run (its short timers included; not the desk's slow refresh of the jobs)
        assert watch.calls(page, f"/pool\\?emotion={slow}&area=garden")
        watch.settled(page, r"/pool\?.*area=garden", timers_up_to_ms=1000)
        assert cards(page) == shown
        assert js_text(page, "#review-message").endswith("garden for Calm.")


def test_locking_the_desk_stops_following_jobs_without_a_key_error(page, server, monkeypatch):
    locked = threading.Event()
    polls_after_lock = []

    def never_done(real, method, path, headers, body):
        response = real(method, path, headers, body)
        if method == "GET" and path.startswith("/jobs?"):
            if locked.is_set():
                polls_after_lock.append(path)
            if response["statusCode"] == 200:  # the jobs never seem to finish
                raw = response.get("body") or b"{}"
                page_ = json.loads(raw if isinstance(raw, str) else raw.decode())
                page_["jobs"] = [{**job, "status": "RUNNING"} for job in page_["jobs"]]
                response = {**response, "body": json.dumps(page_)}
        return response
    _wrap_gateway(server, monkeypatch, never_done)

    with watch.watching(page.driver):   # before the desk's page opens
        unlock(page)
        Select(page.driver.find_element(By.ID, "bulk-emotion")).select_by_value("FEAR")
        count = page.driver.find_element(By.ID, "bulk-count")
        count.clear()
        count.send_keys("1")
        page.driver.find_element(By.ID, "bulk-start").click()
        wait(page).until(lambda d: "growing" in (js_text(page, "#jobs .job-status") or ""))
        page.driver.find_element(By.ID, "lock-again").click()
        locked.set()
        wait(page).until(lambda d: d.find_element(By.ID, "admin-key").is_displayed())
        wait(page).until(lambda d: js_text(page, "#jobs .job-status") == "not followed while locked")
        # whatever the desk was about to do has been done: a list call on its way answered and
        # read, every timer it had pending (a next poll among them) run or cleared
        watch.settled(page, r"/jobs\?")
        assert len(polls_after_lock) <= 1, polls_after_lock  # at most the one already on its way
        assert not page.driver.find_element(By.ID, "lock-error").is_displayed()


def test_a_reload_keeps_a_running_job_and_its_cancel_button_stops_it(page):
    unlock(page)
    Select(page.driver.find_element(By.ID, "bulk-emotion")).select_by_value("SURPRISED")
    count = page.driver.find_element(By.ID, "bulk-count")
    count.clear()
    count.send_keys("400")    # 800 images: minutes of painting, cancelled long before
    page.driver.find_element(By.ID, "bulk-start").click()
    first_row = "return document.querySelector('#jobs .job')?.dataset.job"
    wait(page).until(lambda d: page.js("return document.querySelector('#jobs .job')?.dataset.status") == "RUNNING")
    job_id = page.js(first_row)
    wait(page).until(lambda d: page.js("return document.querySelector('#jobs progress').value") >= 2)

    page.driver.refresh()     # the page forgets everything but the key in this tab
    wait(page).until(lambda d: page.js("return document.body.dataset.ready") == "true")
    assert page.js(first_row) == job_id
    assert page.js("return document.querySelector('#jobs .job').dataset.status") == "RUNNING"
    wait(page).until(lambda d: page.js("return document.querySelector('#jobs progress').value") >= 3)
    page.shot("operator-5-running-job")

    cancel = page.driver.find_element(By.CSS_SELECTOR, "#jobs .job .job-cancel")
    assert cancel.is_displayed() and cancel.text == "Cancel"
    cancel.click()
    wait(page).until(lambda d: page.js("return document.querySelector('#jobs .job').dataset.status") == "CANCELLED")
    assert "cancelled" in js_text(page, "#jobs .job-status")
    assert not page.driver.find_element(By.CSS_SELECTOR, "#jobs .job .job-cancel").is_displayed()
    with urllib.request.urlopen(urllib.request.Request(
            f"{page.origin}/jobs/{job_id}", headers={"x-api-key": ADMIN_KEY}), timeout=10) as response:
        job = json.load(response)
    assert job["status"] == "CANCELLED" and 2 <= job["completed"] < 800
    page.shot("operator-6-cancelled")


def test_the_bulk_preview_shows_the_exact_prompts_and_counts_and_starts_nothing(page):
    """Preview (POST /bulk {"dryRun": true}): a row per favorite of the matrix with its prompt,
    pool folder and images per orientation, the total; no job is listed; a change to the form
    hides the plan it no longer describes."""
    unlock(page)
    jobs_before = page.js("return document.querySelectorAll('#jobs .job').length")
    Select(page.driver.find_element(By.ID, "bulk-emotion")).select_by_value("CALM")
    count = page.driver.find_element(By.ID, "bulk-count")
    count.clear()
    count.send_keys("2")
    page.driver.find_element(By.ID, "bulk-season").send_keys("spring, winter")
    page.driver.find_element(By.ID, "bulk-weather").send_keys("cloudy")
    page.driver.find_element(By.ID, "bulk-preview").click()
    wait(page).until(lambda d: d.find_element(By.ID, "bulk-plan").is_displayed())
    rows = page.js("return [...document.querySelectorAll('#bulk-plan tbody tr')]"
                   ".map(r => [...r.children].map(c => c.textContent))")
    assert [row[0] for row in rows] == ["spring,cloudy", "winter,cloudy"]
    assert rows[0][1].startswith("A flower, spring, cloudy, ") and rows[0][2] == "pool/CALM/spring,cloudy/"
    assert [row[3:] for row in rows] == [["2", "2", "4"], ["2", "2", "4"]]
    assert js_text(page, "#bulk-plan tfoot").endswith("448")
    assert js_text(page, "#bulk-plan p").startswith("8 images in 2 pool folders")
    page.shot("operator-7-bulk-preview")
    assert page.js("return document.querySelectorAll('#jobs .job').length") == jobs_before
    count.send_keys("0")      # 20 now: the plan on the screen is no longer this form's
    assert not page.driver.find_element(By.ID, "bulk-plan").is_displayed()
