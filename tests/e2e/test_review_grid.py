"""The operator's desk, polished: the lock screen says where the key is, the review grid keeps
each thumbnail's aspect, opens an image large with what made it, never cuts an endpoint's
name, and the bulk form's examples fit their fields."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.timing import scaled

from .conftest import ADMIN_KEY

pytestmark = pytest.mark.slow


def wait(page, seconds: float = 20):
    return WebDriverWait(page.driver, scaled(seconds), poll_frequency=0.1)


def test_the_lock_screen_says_where_to_find_the_key(page):
    page.open("/admin/")
    wait(page).until(lambda d: d.find_element(By.ID, "lock").is_displayed())
    where = page.js("return document.getElementById('key-where').textContent").split()
    where = " ".join(where)
    assert "prints it when it starts" in where and "admin-key" in where and "GARDEN_ADMIN_KEY" in where
    page.shot("operator-lock-where-is-the-key")


def _desk(page, emotion: str | None = None, area: str = "pool") -> None:
    page.open("/admin/")
    wait(page).until(lambda d: d.find_element(By.ID, "lock").is_displayed())
    page.driver.find_element(By.ID, "admin-key").send_keys(ADMIN_KEY + Keys.ENTER)
    wait(page).until(lambda d: d.find_element(By.ID, "desk").is_displayed())
    if emotion is None:
        return
    Select(page.driver.find_element(By.ID, "review-area")).select_by_value(area)
    Select(page.driver.find_element(By.ID, "review-emotion")).select_by_value(emotion)
    page.driver.find_element(By.ID, "pool").location_once_scrolled_into_view
    wait(page).until(lambda d: page.js(
        "return [...document.querySelectorAll('#pool .pool-card img')].length > 0 &&"
        " [...document.querySelectorAll('#pool .pool-card img')].every(i => i.complete && i.naturalWidth > 0)"))


@pytest.fixture
def pool_pair(server):
    """A landscape and a portrait in FEAR's pool, painted and carrying their provenance as a
    generation job writes it; gone afterwards."""
    from chalicelib.web import context
    from chalicelib.generators import GenerationRequest
    from chalicelib.generators.painter import PainterGenerator
    from chalicelib.rules import provenance
    store, keys = context.current().store, []
    for n, (width, height, mark) in enumerate(((1280, 800, "h"), (800, 1280, "v"))):
        prompt = "A flower, fear, frightened, dark, haunted, shadows"
        jpeg = PainterGenerator().generate(GenerationRequest(prompt, width, height, seed=40 + n))
        key = f"pool/FEAR/review-{n}{mark}.jpeg"
        store.put(key, provenance.embed(jpeg, {"prompt": prompt, "seed": 40 + n, "width": width, "height": height,
                                               "endpoint": "painter:", "createdAt": "2026-01-02T03:04:05.000Z"}),
                  "image/jpeg")
        keys.append(key)
    yield keys
    for key in keys:
        store.delete(key)


def test_thumbnails_keep_their_aspect_and_open_large_with_their_provenance(page, pool_pair):
    _desk(page, "FEAR")
    # every thumbnail shown whole: the drawn picture has the file's own aspect
    shapes = page.js("""return [...document.querySelectorAll('#pool .pool-card')].map(card => {
        const img = card.querySelector('.peek img');
        const box = img.getBoundingClientRect();
        const scale = Math.min(box.width / img.naturalWidth, box.height / img.naturalHeight);
        return {orientation: card.dataset.orientation, fit: getComputedStyle(img).objectFit,
                drawn: (img.naturalWidth * scale) / (img.naturalHeight * scale),
                natural: img.naturalWidth / img.naturalHeight, box: box.width / box.height};
    })""")
    assert {s["orientation"] for s in shapes} == {"landscape", "portrait"}, shapes
    assert all(s["fit"] == "contain" for s in shapes), shapes
    page.shot("operator-review-aspect")

    # this test's own portrait (other tests may have left FEAR images in the pool)
    portrait = page.driver.find_element(By.CSS_SELECTOR, f'#pool .pool-card[data-key="{pool_pair[1]}"] .peek')
    selected_before = page.js("return document.querySelectorAll('#pool input:checked').length")
    portrait.click()
    wait(page).until(lambda d: page.js("return document.getElementById('viewer').open"))
    assert page.js("return document.querySelectorAll('#pool input:checked').length") == selected_before
    facts = page.js("""return Object.fromEntries([...document.querySelectorAll('#viewer dt')]
        .map(dt => [dt.textContent, dt.nextElementSibling.textContent]))""")
    assert {"Prompt", "Seed", "Endpoint", "Size"} <= set(facts), facts
    assert facts["Size"] == "800 × 1280" and facts["Endpoint"] == "painter" and facts["Seed"] == "41"
    assert facts["Prompt"].startswith("A flower, fear")
    large = page.js("const r = document.querySelector('#viewer img').getBoundingClientRect(); return r.height")
    assert large > 500, large
    page.shot("operator-review-large")
    page.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(page).until(lambda d: not page.js("return document.getElementById('viewer').open"))


def test_a_long_endpoint_name_is_not_cut(page, pool_pair):
    _desk(page, "FEAR")
    name = "sagemaker:emotion-garden-stable-diffusion-xl-endpoint-number-two"
    page.js("""const meta = document.querySelector('#pool .pool-card .meta');
        const span = document.createElement('span'); span.className = 'endpoint'; span.textContent = arguments[0];
        meta.append(span);""", name)
    fits = page.js("""const e = document.querySelector('#pool .pool-card .endpoint:last-child');
        const card = e.closest('.pool-card').getBoundingClientRect(), r = e.getBoundingClientRect();
        return [e.scrollWidth <= e.clientWidth + 1, r.right <= card.right + 1, e.textContent]""")
    assert fits == [True, True, name], fits


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800), (390, 844)])
def test_the_bulk_forms_examples_fit_their_fields(page, size):
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 500})
    _desk(page)
    cut = page.js("""const canvas = document.createElement('canvas').getContext('2d');
        return [...document.querySelectorAll('#bulk-form input[placeholder]')].flatMap(input => {
            const style = getComputedStyle(input);
            canvas.font = `${style.fontSize} ${style.fontFamily}`;
            const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return canvas.measureText(input.placeholder).width > room ? [[input.id, input.placeholder, room]] : [];
        })""")
    assert cut == [], cut
    page.driver.find_element(By.ID, "bulk").location_once_scrolled_into_view
    page.shot(f"operator-bulk-form-{size[0]}x{size[1]}")
