"""The kiosk in a real browser: fake camera → /emotion → the garden for that emotion → a like;
the "No Face" path through the photo fallback; back to the start when nobody is there."""
from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.timing import scaled

from .conftest import ROOT, park_mouse, phone

pytestmark = pytest.mark.slow

EMOTIONS = {"HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR"}
# the least time "Reading your expression…" stays on screen (html/js/kiosk/kiosk.js)
MIN_READING_MS = int(re.search(r"const MIN_READING_MS = (\d+);",
                               (ROOT / "html" / "js" / "kiosk" / "kiosk.js").read_text(encoding="utf-8")).group(1))

# Each change of screen, as the page makes it: [screen, the page's clock, for the reading screen
# the end times of its own animations (its arrival)]. Page time, so a slow machine changes nothing.
SCREEN_LOG = """
const log = window.__screens = [];
const note = () => log.push([document.body.dataset.screen, performance.now(),
  document.body.dataset.screen === "reading"
    ? document.getElementById("reading").getAnimations().map(a => a.effect.getComputedTiming().endTime) : []]);
new MutationObserver(note).observe(document.body, { attributes: true, attributeFilter: ["data-screen"] });
"""


def wait(page, seconds: float = 20):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def screen(page) -> str:
    return page.js("return document.body.dataset.screen")


def text(page, element_id: str) -> str:
    # textContent: Selenium's .text is empty while a screen is still fading in
    return page.js("return document.getElementById(arguments[0]).textContent", element_id).strip()


def headline(page, emotion: str) -> str:
    """The friendly headline the kiosk's own words.js has for an emotion."""
    return page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('/js/shared/words.js').then(m => done(m.wordsFor(arguments[0]).headline), e => done(String(e)));", emotion)


def still_here(page) -> None:
    """Someone is at the screen: a pointer moves, which restarts the kiosk's idle clock (a
    synthetic event: the virtual mouse itself stays parked in its corner, over no image)."""
    page.js("window.dispatchEvent(new PointerEvent('pointermove'))")


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
    assert text(page, "garden-title") == headline(page, emotion)  # friendly words, not the API's enum
    assert text(page, "garden-title") not in ("", emotion)
    assert page.js("return document.getElementById('garden-grid').getAttribute('role')") == "group"
    wait(page).until(lambda d: page.js(
        "return [...document.querySelectorAll('#garden-grid figure')].every(f => f.classList.contains('loaded'))"))
    alts = page.js("return [...document.querySelectorAll('#garden-grid img:not(.backdrop)')].map(i => i.alt)")
    assert all(alt.startswith("A painted") for alt in alts), alts
    page.shot("kiosk-3-garden")

    figure = page.driver.find_element(By.CSS_SELECTOR, "#garden-grid figure.bloom")
    key = figure.get_attribute("data-key")
    before = int(figure.find_element(By.CLASS_NAME, "like-count").get_attribute("textContent"))
    button = figure.find_element(By.CSS_SELECTOR, "button.like")
    assert button.get_attribute("aria-pressed") == "false"
    # the button's name carries the count a sighted visitor sees next to the heart
    assert str(before) in button.get_attribute("aria-label")
    button.click()
    wait(page).until(lambda d: button.get_attribute("aria-pressed") == "true")
    assert int(figure.find_element(By.CLASS_NAME, "like-count").get_attribute("textContent")) == before + 1
    assert f"({before + 1} like" in button.get_attribute("aria-label")
    page.shot("kiosk-4-liked")

    from chalicelib.web import context
    assert context.current().image_index.get_image(key).likes == before + 1  # the server counted it

    # the kiosk page loaded afresh in the same tab is a new visitor: nothing liked yet
    liker = page.js("return sessionStorage.getItem('garden.visitor')")
    assert key in page.js("return sessionStorage.getItem('garden.liked')")
    page.open("/?countdown=2&rotate=60")
    wait(page).until(lambda d: screen(page) == "welcome")
    assert page.js("return sessionStorage.getItem('garden.liked')") is None
    assert page.js("return sessionStorage.getItem('garden.visitor')") not in (None, liker)


def _record_streams(page) -> None:
    """Keeps every camera stream the page opens, so the test can see which still run."""
    page.js("window.__streams = [];"
            "const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);"
            "navigator.mediaDevices.getUserMedia = async (c) => { const s = await open(c); __streams.push(s); return s; };")


def _live_streams(page) -> list[bool]:
    return page.js("return __streams.map(s => s.getTracks().some(t => t.readyState === 'live'))")


def test_begin_escape_begin_leaves_only_the_new_visits_camera_running(page):
    page.open("/?countdown=10")
    wait(page).until(lambda d: screen(page) == "welcome")
    _record_streams(page)
    # all in one task: the first visit is abandoned while its camera is still starting
    page.js("document.getElementById('begin').click();"
            "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));"
            "document.getElementById('begin').click();")
    wait(page).until(lambda d: text(page, "countdown") != "" and len(_live_streams(page)) == 2)
    # the abandoned visit's stream was stopped and never shown; the new one is on screen
    assert sorted(_live_streams(page)) == [False, True]
    assert page.js("return document.getElementById('camera-video').srcObject"
                   " === __streams.find(s => s.getTracks().some(t => t.readyState === 'live'))")
    page.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(page).until(lambda d: screen(page) == "welcome")
    wait(page, 10).until(lambda d: _live_streams(page) == [False, False])  # the camera light is off


def test_a_photo_that_cannot_be_taken_gets_a_kind_message(page):
    page.open("/?countdown=1")
    wait(page).until(lambda d: screen(page) == "welcome")
    _record_streams(page)
    # the browser cannot encode the frame (out of memory, say)
    page.js("HTMLCanvasElement.prototype.toBlob = function (done) { done(null); };")
    page.driver.find_element(By.ID, "begin").click()
    wait(page).until(lambda d: screen(page) == "problem")
    assert text(page, "problem-title") == "The photo didn’t take"
    wait(page).until(lambda d: d.find_element(By.ID, "retry").is_displayed())
    wait(page, 10).until(lambda d: not any(_live_streams(page)))


def test_an_uploaded_photo_with_no_face_gets_upload_advice_and_the_upload_button(page, photos):
    page.allow_error("/emotion - Failed to load resource: the server responded with a status of 404")
    page.open("/")
    wait(page).until(lambda d: screen(page) == "welcome")
    upload = page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]")
    page.js(SCREEN_LOG)
    upload.send_keys(str(photos["no_face"]))
    wait(page, 60).until(lambda d: screen(page) in ("reading", "problem"))
    if screen(page) == "reading":
        page.shot("kiosk-5-reading", settle=False)
    wait(page, 60).until(lambda d: screen(page) == "problem")
    # "Reading your expression…" was on screen long enough to be read, fully arrived: from the
    # page's own clock (the moment it showed it is noted a moment after, hence the margin)
    log = page.js("return window.__screens")
    assert [entry[0] for entry in log] == ["reading", "problem"], log
    (_, shown, arrivals), (_, left, _) = log
    assert left - shown >= MIN_READING_MS - 100, log
    assert arrivals and max(arrivals) < left - shown, log
    # advice for a photo, not for the camera ("step closer" means nothing to a file)
    assert text(page, "problem-title") == "We couldn’t find a face in that photo"
    assert "closer" not in text(page, "problem-text")
    _the_main_button_is_the_upload(page)
    page.shot("kiosk-5-no-face")


def _the_main_button_is_the_upload(page):
    wait(page).until(lambda d: d.find_element(By.ID, "problem-photo").is_displayed())
    assert not page.driver.find_element(By.ID, "retry").is_displayed()
    photo = page.driver.find_element(By.ID, "problem-photo")
    assert "primary" in photo.get_attribute("class") and photo.text == "Choose a photo"


def _on_every_new_page(page, script: str) -> str:
    return page.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": script})["identifier"]


def test_over_plain_http_from_another_machine_the_kiosk_says_why_and_what_to_do(page):
    # a kiosk opened as http://<LAN address>:8000 is not a secure context: the browser hides
    # the camera (here the page is told so; loopback itself is always secure)
    script = _on_every_new_page(page, "Object.defineProperty(window, 'isSecureContext', {get: () => false});")
    try:
        page.open("/")
        wait(page).until(lambda d: screen(page) == "welcome")
        page.driver.find_element(By.ID, "begin").click()
        wait(page).until(lambda d: screen(page) == "problem")
    finally:
        page.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})
    assert text(page, "problem-title") == "The camera needs a secure page"
    advice = text(page, "problem-text")
    assert "https://" in advice and "localhost" in advice and "“A kiosk on another machine”" in advice
    _the_main_button_is_the_upload(page)
    page.shot("kiosk-9-camera-needs-https")


def test_a_denied_camera_leads_to_the_upload_not_back_to_the_camera(page):
    page.open("/")
    wait(page).until(lambda d: screen(page) == "welcome")
    page.js("navigator.mediaDevices.getUserMedia = () => Promise.reject("
            "new DOMException('Permission denied', 'NotAllowedError'));")
    page.driver.find_element(By.ID, "begin").click()
    wait(page).until(lambda d: screen(page) == "problem")
    assert text(page, "problem-title") == "The camera is resting"
    _the_main_button_is_the_upload(page)
    page.shot("kiosk-10-camera-denied")


def test_the_words_use_typographic_apostrophes_and_capitals(page):
    page.open("/")
    wait(page).until(lambda d: screen(page) == "welcome")
    labels = page.js("return [...document.querySelectorAll('.button')].map(b => b.textContent.trim())")
    assert all(label[:1].isupper() for label in labels), labels
    words = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('/js/shared/words.js').then(m => done(m.EMOTIONS.map(e => Object.values(m.wordsFor(e)).join(' '))));")
    pages_text = page.js("return document.body.textContent") + " ".join(words)
    assert "'" not in pages_text and "’" in pages_text


def test_a_chosen_photo_works_without_the_camera_and_idle_returns_to_start(page, photos):
    # idle=10: while the test waits for anything, someone is at the screen (still_here, in
    # every wait and before every screenshot), so the idle clock only runs out once the test
    # stops touching it; nothing between two touches takes more than a screenshot
    page.open("/?idle=10&rotate=2")
    wait(page).until(lambda d: screen(page) == "welcome")
    first_visitor = page.js("return sessionStorage.getItem('garden.visitor')")
    assert first_visitor
    page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]").send_keys(str(photos["face"]))
    wait(page, 60).until(lambda d: still_here(page) or screen(page) == "garden")
    assert page.js("return document.body.dataset.emotion") in EMOTIONS
    wait(page).until(lambda d: still_here(page) or len(visible_keys(page)) == 4)
    first = set(visible_keys(page))
    # a few images at a time, slowly rotating: another image takes a slot's place (the mouse
    # waits in a corner: a hovered slot is never pulled from under a visitor's hand)
    park_mouse(page.driver)
    wait(page, 30).until(lambda d: still_here(page) or set(visible_keys(page)) - first)

    still_here(page)
    phone(page)
    wait(page).until(lambda d: still_here(page) or page.js("return document.querySelector('#garden-grid').classList.contains('tall')"))
    wait(page).until(lambda d: still_here(page) or page.js("return document.querySelectorAll('#garden-grid figure.loaded').length >= 3"))
    still_here(page)
    page.shot("kiosk-6-garden-phone")

    # a phone turned sideways is short: the tall plan again, flowers a visitor can see
    still_here(page)
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 844, "height": 390, "deviceScaleFactor": 2, "mobile": True})
    wait(page).until(lambda d: still_here(page) or page.js("return document.querySelector('#garden-grid').classList.contains('tall')"))
    wait(page).until(lambda d: still_here(page) or page.js("return document.querySelectorAll('#garden-grid figure.loaded').length >= 3"))
    width, height = page.js("const r = document.querySelector('#garden-grid .slot').getBoundingClientRect();"
                            "return [r.width, r.height]")
    assert width >= 300 and height >= 180, (width, height)
    still_here(page)
    page.shot("kiosk-7-garden-phone-landscape")

    # nobody touches the screen any more: back to the start, with a new visitor id for the
    # next person
    still_here(page)
    wait(page, 45).until(lambda d: screen(page) == "welcome")
    assert page.js("return sessionStorage.getItem('garden.visitor')") not in (None, first_visitor)
    assert page.js("return document.querySelectorAll('#garden-grid figure').length") == 0


def _upload_face(page, photos, path: str = "/?rotate=60") -> str:
    page.open(path)
    wait(page).until(lambda d: screen(page) == "welcome")
    page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]").send_keys(str(photos["face"]))
    wait(page, 60).until(lambda d: screen(page) == "garden")
    return page.js("return document.body.dataset.emotion")


def _box(page, selector: str) -> dict:
    return page.js("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                   "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}",
                   selector)


def test_a_portrait_kiosk_fills_its_screen(page, photos):
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1080, "height": 1920, "deviceScaleFactor": 1, "mobile": False})
    _upload_face(page, photos)
    wait(page).until(lambda d: page.js("return document.querySelector('#garden-grid').classList.contains('upright')"))
    wait(page).until(lambda d: page.js("return document.querySelectorAll('#garden-grid figure.loaded').length") == 3)
    grid = _box(page, "#garden-grid")
    # the garden spans the screen's width and most of its height; nothing scrolls
    assert grid["width"] >= 960 and grid["height"] >= 0.7 * 1920, grid
    assert page.js("const g = document.getElementById('garden'); return g.scrollHeight <= g.clientHeight")
    assert page.js("return getComputedStyle(document.body).overflowY") == "hidden"
    for selector in ("#garden-title", "#again", "#garden-grid .like"):
        box = _box(page, selector)
        assert 0 <= box["top"] and box["bottom"] <= 1920, (selector, box)
    # portraits in portrait slots, large: each over 450 px wide
    slots = page.js("return [...document.querySelectorAll('#garden-grid .slot')].map(s => "
                    "[s.dataset.orientation, s.querySelector('figure').dataset.orientation, s.getBoundingClientRect().width])")
    assert [s[0] for s in slots] == ["portrait", "portrait", "landscape"]
    assert all(slot == image for slot, image, _ in slots) and min(w for *_, w in slots) > 450, slots
    page.shot("kiosk-8-portrait-kiosk")


def _garden_view(page, landscapes: int, portraits: int, shape: str = "wide") -> dict:
    """A GardenView over the real garden's images (HAPPY's), with only so many of each."""
    return page.driver.execute_async_script("""
        const [landscapes, portraits, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
        Promise.all([import('/js/kiosk/garden-view.js'), fetch('/garden?emotion=HAPPY&limit=10').then(r => r.json())])
          .then(([m, body]) => {
            document.body.dataset.screen = 'garden';
            for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== 'garden';
            const root = document.getElementById('garden-grid');
            const view = new m.GardenView(root, {rotateSeconds: 60, isLiked: () => false, onLike: async () => ({})});
            window.__view = view;
            view.show({landscape: body.landscape.slice(0, landscapes), portrait: body.portrait.slice(0, portraits)}, 'joy');
            done({rotating: view.timer !== null, slots: root.querySelectorAll('.slot').length,
                  letterboxed: [...root.querySelectorAll('.slot')].map(s => [s.dataset.orientation,
                    s.querySelector('figure').dataset.orientation, s.querySelector('figure').classList.contains('letterboxed')])});
          }, e => done(String(e)));
    """, landscapes, portraits)


def test_an_image_is_never_cropped_into_a_slot_of_the_other_orientation(page):
    page.open("/")
    wait(page).until(lambda d: screen(page) == "welcome")
    # only landscapes: the wide plan's portrait slots show them whole, on a blurred copy
    view = _garden_view(page, 3, 0)
    assert view["slots"] == 3, view
    for slot, image, letterboxed in view["letterboxed"]:
        assert image == "landscape" and letterboxed == (slot == "portrait"), view
    fits = page.js("return [...document.querySelectorAll('#garden-grid figure.letterboxed')].map(f => "
                   "[getComputedStyle(f.querySelector('img:not(.backdrop)')).objectFit, !!f.querySelector('img.backdrop')])")
    assert fits and all(fit == ["contain", True] for fit in fits), fits
    wait(page).until(lambda d: page.js("return document.querySelectorAll('#garden-grid figure.loaded').length") == 3)
    page.shot("kiosk-11-letterboxed")


def test_a_garden_with_no_more_images_than_slots_stays_still_and_a_bigger_one_rotates(page):
    page.open("/")
    wait(page).until(lambda d: screen(page) == "welcome")
    assert _garden_view(page, 2, 2)["rotating"] is False       # every flower already on screen
    assert _garden_view(page, 3, 3)["rotating"] is True
    page.js("window.__view.stop()")


def test_an_empty_garden_has_one_kind_message_and_no_heart_hint(page, photos):
    page.open("/?rotate=60")
    wait(page).until(lambda d: screen(page) == "welcome")
    # what the server answers for an emotion with nothing published
    page.js("""const real = window.fetch;
        window.fetch = (url, init) => String(url).includes('/garden?') && !(init && init.method === 'POST')
          ? Promise.resolve(new Response(JSON.stringify({emotion: 'HAPPY', landscape: [], portrait: [], empty: true,
              message: 'Nothing has bloomed for HAPPY yet.'}), {headers: {'Content-Type': 'application/json'}}))
          : real(url, init);""")
    page.driver.find_element(By.CSS_SELECTOR, "#welcome input[type=file]").send_keys(str(photos["face"]))
    wait(page, 60).until(lambda d: screen(page) == "garden" and text(page, "garden-empty") != "")
    visible = page.js("return ['garden-line', 'garden-empty', 'garden-hint'].map(id => !document.getElementById(id).hidden)")
    assert visible == [False, True, False], visible
    assert "come back soon" in text(page, "garden-empty")
    assert page.js("return document.querySelectorAll('#garden-grid figure').length") == 0
    page.shot("kiosk-12-empty-garden")
