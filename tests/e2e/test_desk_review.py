"""The desk's review at the original's speed: a favorite's pool, its real size, the whole pool
published after its count is confirmed (images the moderation marked left where they are)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .test_review_grid import _desk, wait

pytestmark = pytest.mark.slow

MARK = {"status": "flagged", "labels": ["Violence"]}


@pytest.fixture
def surprised_pool(server):
    """SURPRISED's pool: two rose images and a marked one, two without a favorite; every key it
    may leave (pool or garden) removed afterwards."""
    from chalicelib.generators import GenerationRequest
    from chalicelib.generators.painter import PainterGenerator
    from chalicelib.rules import provenance
    from chalicelib.web import context
    store = context.current().store
    planted = {"rose": [], "plain": [], "marked": []}
    for n, (group, folder) in enumerate((("rose", "rose/"), ("rose", "rose/"), ("marked", "rose/"),
                                         ("plain", ""), ("plain", ""))):
        prompt = f"A flower, surprised, amazed, {n}"
        jpeg = PainterGenerator().generate(GenerationRequest(prompt, 640, 400, seed=70 + n))
        prov = {"prompt": prompt, "seed": 70 + n, "width": 640, "height": 400, "endpoint": "painter:",
                "createdAt": f"2026-01-02T03:04:0{n}.000Z", **({"moderation": MARK} if group == "marked" else {})}
        key = f"pool/SURPRISED/{folder}desk-{n}h.jpeg"
        store.put(key, provenance.embed(jpeg, prov), "image/jpeg")
        planted[group].append(key)
    yield planted
    for key in [k for keys in planted.values() for k in keys]:
        for where in (key, key.replace("pool/", "emotions/", 1)):
            if store.exists(where):
                store.delete(where)


def _cards(page) -> list[str]:
    return page.js("return [...document.querySelectorAll('#pool .pool-card')].map(c => c.dataset.key)")


def test_a_favorite_s_whole_pool_is_published_after_its_count_is_confirmed(page, surprised_pool):
    from chalicelib.web import context
    _desk(page, "SURPRISED")
    wait(page).until(lambda d: "5 images in the pool" in d.find_element(By.ID, "review-message").text)
    favorite = Select(page.driver.find_element(By.ID, "review-favorite"))
    assert [o.get_attribute("value") for o in favorite.options] == ["", "rose"]
    assert favorite.options[1].text == "rose (3)"
    favorite.select_by_value("rose")
    wait(page).until(lambda d: sorted(_cards(page)) == sorted(surprised_pool["rose"] + surprised_pool["marked"]))
    assert "3 images in the pool" in page.driver.find_element(By.ID, "review-message").text

    publish_all = page.driver.find_element(By.ID, "publish-all")
    publish_all.click()
    wait(page).until(lambda d: publish_all.text == "Really publish all 2?")
    assert "1 images the moderation marked stay" in page.driver.find_element(By.ID, "whole-pool-note").text
    assert all(context.current().store.exists(k) for k in surprised_pool["rose"])   # nothing yet
    page.shot("desk-whole-pool-confirm")
    publish_all.click()
    wait(page).until(lambda d: "Published 2 of 2." in d.find_element(By.ID, "review-message").text)
    wait(page).until(lambda d: _cards(page) == surprised_pool["marked"])
    store = context.current().store
    assert all(store.exists(k.replace("pool/", "emotions/", 1)) and not store.exists(k) for k in surprised_pool["rose"])
    assert store.exists(surprised_pool["marked"][0])
    assert all(store.exists(k) for k in surprised_pool["plain"])          # other favorites untouched
    assert publish_all.text == "Publish the whole pool…"


def _viewer(page) -> dict:
    return page.js("""const v = document.getElementById('viewer');
        return {open: v.open, position: (v.querySelector('.walk-position') || {}).textContent,
                verdict: (v.querySelector('.walk-verdict') || {}).textContent,
                key: [...v.querySelectorAll('.provenance dd')].map(d => d.textContent).find(t => t.startsWith('pool/')),
                help: (v.querySelector('.keys-help') || {}).textContent}""")


def test_the_keyboard_walks_the_pool_publishes_removes_and_undoes(page, surprised_pool):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from chalicelib.web import context
    store = context.current().store
    _desk(page, "SURPRISED")
    wait(page).until(lambda d: len(_cards(page)) == 5)
    order = _cards(page)
    assert "P / Enter publish" in page.driver.find_element(By.CSS_SELECTOR, "#review [data-i18n=keysLede]").text
    page.driver.find_element(By.ID, "review-keys").click()
    wait(page).until(lambda d: _viewer(page)["open"] and _viewer(page)["key"] == order[0])
    assert _viewer(page)["position"] == "1 of 5" and "U / Ctrl+Z undo" in _viewer(page)["help"]

    def press(*keys):
        ActionChains(page.driver).send_keys(*keys).perform()

    press("p")                                        # the first: to be published, on to the second
    wait(page).until(lambda d: _viewer(page)["key"] == order[1])
    press(Keys.DELETE)                                # the second: to be removed
    wait(page).until(lambda d: _viewer(page)["key"] == order[2])
    press("u")                                        # taken back: the second again, undecided
    wait(page).until(lambda d: _viewer(page)["key"] == order[1] and "Undone." in _viewer(page)["verdict"])
    press(Keys.ARROW_LEFT)
    wait(page).until(lambda d: "To be published" in _viewer(page)["verdict"])
    page.shot("desk-keyboard-review")
    assert store.exists(order[0]) and store.exists(order[1])       # nothing sent yet: undo is free
    press(Keys.ESCAPE)                                # closing sends what waits
    wait(page).until(lambda d: not _viewer(page)["open"])
    wait(page).until(lambda d: not store.exists(order[0]) and store.exists(order[0].replace("pool/", "emotions/", 1)))
    wait(page).until(lambda d: order[0] not in _cards(page) and len(_cards(page)) == 4)
    assert store.exists(order[1])                     # the undone removal never happened


@pytest.fixture
def garden_image(server):
    from chalicelib.generators import GenerationRequest
    from chalicelib.generators.painter import PainterGenerator
    from chalicelib.rules import provenance
    from chalicelib.web import context
    store = context.current().store
    key = "emotions/DISGUSTED/desk-gh.jpeg"
    prompt = "A flower, disgusted, wilted, 81"
    jpeg = PainterGenerator().generate(GenerationRequest(prompt, 640, 400, seed=81))
    store.put(key, provenance.embed(jpeg, {"prompt": prompt, "seed": 81, "width": 640, "height": 400,
                                           "endpoint": "painter:", "createdAt": "2026-01-02T03:04:05.000Z"}), "image/jpeg")
    yield key, prompt
    if store.exists(key):
        store.delete(key)


def test_a_published_image_opens_with_its_provenance(page, garden_image):
    key, prompt = garden_image
    _desk(page, "DISGUSTED", area="garden")
    wait(page).until(lambda d: key in _cards(page))
    page.driver.find_element(By.CSS_SELECTOR, f'#pool li[data-key="{key}"] .peek').click()
    wait(page).until(lambda d: page.js("return document.getElementById('viewer').open"))
    shown = page.js("return [...document.querySelectorAll('#viewer .provenance dd')].map(d => d.textContent)")
    assert prompt in shown and "81" in shown and "painter" in shown and "640 × 400" in shown, shown
    assert "U / Ctrl+Z undo" in page.js("return document.querySelector('#viewer .keys-help').textContent")
    assert "publish" not in page.js("return document.querySelector('#viewer .keys-help').textContent")
