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
