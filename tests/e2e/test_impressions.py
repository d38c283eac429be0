"""The kiosk reports what a visitor saw: each flower on screen for 2 s counts one impression,
in the visit's segment, and a flower never on screen counts none."""
from __future__ import annotations

import json
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.timing import scaled, wait_until

from . import watch
from .conftest import ROOT

pytestmark = pytest.mark.slow

# how often the kiosk sends the flowers seen (html/js/kiosk/impressions.js)
FLUSH_MS = int(re.search(r"const FLUSH_MS = (\d+);",
                         (ROOT / "html" / "js" / "kiosk" / "impressions.js").read_text(encoding="utf-8")).group(1))


def _counts():
    from chalicelib.web import context
    return {(r.key, r.segment): r.counts.impressions for r in context.current().engagement.iter_counters()}


def test_the_flowers_on_screen_are_reported_as_seen_once(page):
    with watch.watching(page.driver):
        _reported_once(page)


def _reported_once(page) -> None:
    before = _counts()
    page.open("/?countdown=0&rotate=60")
    wait = WebDriverWait(page.driver, scaled(60), poll_frequency=0.2)
    wait.until(lambda d: d.execute_script("return document.body.dataset.screen") == "welcome")
    page.driver.find_element(By.ID, "begin").click()
    wait.until(lambda d: d.execute_script("return document.body.dataset.screen") == "garden")
    emotion = page.js("return document.body.dataset.emotion")
    # the garden screen shows before its answer has come: wait for the flowers themselves
    blooms = "return [...document.querySelectorAll('#garden-grid figure.bloom')].map(f => f.dataset.key)"
    wait.until(lambda d: len(d.execute_script(blooms)) >= 4)
    shown = set(page.js(blooms))
    assert len(shown) == 4

    def grown():
        after = _counts()
        return {k for k in shown if after.get((k, "*"), 0) - before.get((k, "*"), 0) == 1} == shown
    WebDriverWait(page.driver, scaled(15), poll_frequency=0.25).until(lambda d: grown())

    after = _counts()
    from chalicelib.web import context
    garden_keys = {r.key for r in context.current().image_index.iter_images(f"emotions/{emotion}/")}
    unseen = garden_keys - shown
    assert unseen, "the demo garden holds more flowers than one screen"
    assert all(after.get((k, "*"), 0) == before.get((k, "*"), 0) for k in unseen)
    # counted in the visit's segment too: the generation the face reading gave
    segments = {s for (k, s), n in after.items() if k in shown and n > before.get((k, s), 0)}
    assert "*" in segments and any(s.startswith("g=") for s in segments), segments
    # still on screen, never sent or counted twice for this visit: two more of the page's own
    # flushes have run, and a flower seen again (its 2 s are shorter than one flush) would have
    # been in the second one
    flushes = watch.ticks(page, FLUSH_MS)
    wait_until(lambda: watch.ticks(page, FLUSH_MS) >= flushes + 2, 30,
               "two more of the kiosk's impression flushes", interval=0.1)
    batches = [json.loads(c["body"])["itemIds"] for c in watch.calls(page, r"/impressions$")]
    sent = [key for batch in batches for key in batch]
    assert sorted(sent) == sorted(shown), batches
    assert _counts() == after
    page.shot("impressions-reported")


def test_the_desk_shows_what_visitors_love(page):
    from chalicelib import garden
    from chalicelib.web import context

    from .test_operator import unlock
    index, engagement = context.current().image_index, context.current().engagement
    keys = sorted(r.key for r in index.iter_images("emotions/CALM/"))[:2]
    for v in range(12):   # seen 12 times each; the first liked by all, the second by one
        garden.impressions(engagement, {"id": f"desk-{v}", "itemIds": keys})
        garden.like(engagement, {"id": f"desk-{v}", "itemId": keys[0]})
    garden.like(engagement, {"id": "desk-0", "itemId": keys[1]})
    unlock(page)
    wait = WebDriverWait(page.driver, scaled(20), poll_frequency=0.2)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#loved [data-emotion=CALM] .loved-best li"))
    best = page.js("return [...document.querySelectorAll('#loved [data-emotion=CALM] .loved-best li')]"
                   ".map(li => li.dataset.key)")
    assert best[0] == keys[0]
    assert "seen" in page.js("return document.querySelector('#loved [data-emotion=CALM] .loved-best li').textContent")
    page.shot("desk-what-visitors-love")
