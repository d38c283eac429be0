"""End-to-end fixtures: one local server (its own data directory, demo garden planted) and one
headless Chromium for the whole package (set up once, gone before other test folders run) — Debian's chromium and chromedriver, a fake camera
playing a public-domain face, every host but 127.0.0.1 unresolvable."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

from tests.timing import scaled

from . import media

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
ADMIN_KEY = "e2e-admin-key-not-secret"
DESKTOP = (1920, 1080)

_SETTINGS = ("GARDEN_BACKEND", "GARDEN_ENDPOINTS", "GARDEN_BUCKET", "GARDEN_TABLE", "GARDEN_CDN_DOMAIN",
             "GARDEN_ANALYZER", "GARDEN_PUBLIC_URL", "GARDEN_WAIT_SECONDS", "AWS_PROFILE")


@pytest.fixture(autouse=True)
def _isolated_environment() -> Iterator[None]:
    """Overrides tests/conftest.py's per-test data directory: the e2e tests share one server
    and its garden for the session (set up by e2e_environment below)."""
    yield


@pytest.fixture(scope="package")
def e2e_environment(tmp_path_factory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("e2e-garden")
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
            env.setenv(name, "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        for name in _SETTINGS:
            env.delenv(name, raising=False)
        # blank: image URLs point at the e2e server's own address (make_server sets it)
        env.setenv("GARDEN_PUBLIC_URL", "")
        env.setenv("GARDEN_DATA_DIR", str(data_dir))
        env.setenv("GARDEN_DEMO", "0")
        env.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
        # a visitor's own flower takes a slot of the garden: off but for the tests of it
        # (test_grow.py turns it on), so the others see the garden they planted
        env.setenv("GARDEN_GROW", "0")
        from chalicelib.web import context
        context.forget()
        yield data_dir
        context.forget()


def _plant(store) -> None:
    """The demo garden (painted flowers for every emotion), through the store so object events
    index it like any other image."""
    from chalicelib import demo
    demo.plant(store, per_orientation=3)  # 6 per emotion: more than one screen holds, so it rotates


@pytest.fixture(scope="package")
def server(e2e_environment):
    from app import app
    from chalicelib.web import context
    from chalicelib.web.local_server import make_server
    srv = make_server(app, "127.0.0.1", 0)
    _plant(context.current().store)
    thread = threading.Thread(target=srv.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="package")
def camera_file(tmp_path_factory) -> Path:
    return media.write_y4m(media.astronaut(), tmp_path_factory.mktemp("camera") / "astronaut.y4m")


@pytest.fixture(scope="package")
def photos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    return {"face": media.write_jpeg(media.astronaut(), folder / "astronaut.jpg"),
            "no_face": media.write_jpeg(media.coffee(), folder / "coffee.jpg")}


def _require_browser() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    message = (f"headless Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}): "
               "run tools/install-browser.sh (as root) first")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def chromium(profile: str, language: str, *extra: str, logs: bool = False):
    """Debian's headless Chromium through its chromedriver, speaking ``language`` (e.g.
    "en-US"), with its own profile folder; nothing but this machine can be reached."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
                 "--force-device-scale-factor=1", f"--lang={language}",
                 f"--window-size={DESKTOP[0]},{DESKTOP[1]}", f"--user-data-dir={profile}",
                 # nothing but this machine can be reached, whatever a page asks for
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", *extra):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": f"{language},{language[:2]}"})
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    # Service with an explicit path: selenium-manager never tries to download a driver.
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="package")
def browser(camera_file, server):
    _require_browser()
    profile = tempfile.mkdtemp(prefix="e2e-chromium-")
    # an English browser, whatever this machine's locale: the pages speak the browser's language
    # (tests/e2e/test_languages.py checks Korean with ?lang= and with a Korean browser of its own)
    driver = chromium(profile, "en-US", "--disable-quic", "--disable-default-apps", "--mute-audio",
                      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-video-capture={camera_file}", logs=True)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Page:
    """One test's view of the shared browser: the server's origin, screenshots, and what the
    browser logged (checked after the test)."""
    driver: object
    origin: str
    allowed_errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.driver.get(self.origin + path)

    def shot(self, name: str, settle: bool = True) -> Path:
        """A screenshot once the page's finite transitions (screens fading in) have ended
        (settle=False: right now, for a moment that does not wait, like a countdown)."""
        try:
            if not settle:
                raise TimeoutException()
            WebDriverWait(self.driver, scaled(3), poll_frequency=0.1).until(lambda d: d.execute_script(
                "return document.getAnimations().every(a => a.playState !== 'running'"
                " || a.effect.getComputedTiming().iterations === Infinity)"))
        except TimeoutException:
            pass  # a picture mid-fade is still worth keeping
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def allow_error(self, fragment: str) -> None:
        """A console error this test expects (a 404 the page answers kindly, say)."""
        self.allowed_errors.append(fragment)

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)


def _requests(performance_log: list[dict]) -> list[str]:
    urls = []
    for entry in performance_log:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.fixture
def page(browser, server) -> Iterator[Page]:
    browser.get_log("browser")       # start each test with empty logs
    browser.get_log("performance")
    desktop(browser)
    current = Page(browser, server.url)
    # the kiosk asks POST /grow after each reading; off on this server (e2e_environment), its
    # 503 is the console's alone — the kiosk shows its garden (tests/e2e/test_grow.py); so is a
    # 429 once the kiosk has asked often (this one browser is every test's kiosk)
    current.allow_error("/grow - Failed to load resource: the server responded with a status of 503")
    current.allow_error("/grow - Failed to load resource: the server responded with a status of 429")
    yield current
    console = browser.get_log("browser")
    requests = _requests(browser.get_log("performance"))
    # Leave a blank page behind: no timers or camera of this test run into the next.
    browser.get("about:blank")
    _forget(browser, server.url)
    errors = [e["message"] for e in console if e["level"] == "SEVERE"
              and not any(fragment in e["message"] for fragment in current.allowed_errors)]
    assert errors == [], f"console errors: {errors}"
    origin = urlsplit(server.url)
    # chrome:// and data: never touch the network; everything else must go to our server
    outside = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss", "ftp")
               and (urlsplit(u).hostname, urlsplit(u).port) != (origin.hostname, origin.port)]
    assert outside == [], f"requests that left {server.url}: {outside}"
    assert any(u.startswith(server.url) for u in requests), \
        "the performance log saw no request to the server: the network check is not working"


def _forget(driver, origin: str) -> None:
    """Nothing one test did is seen by the next: the origin's storage (the visitor id and
    likes, the admin key — "local_storage" clears the tab's sessionStorage too in Chromium)
    is wiped and the virtual mouse is put back in the top-left corner, hovering nothing."""
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "local_storage"})
    park_mouse(driver)


def park_mouse(driver) -> None:
    """The virtual mouse to the top-left corner and every button and key released: a pointer
    left over a garden slot would hold that slot still (the kiosk never rotates a hovered one)."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(0, 0)
    actions.perform()
    actions.clear_actions()  # W3C "release actions": nothing stays pressed


def desktop(driver) -> None:
    """The kiosk's screen: 1920x1080 CSS pixels, whatever the headless window's frame takes."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": DESKTOP[0], "height": DESKTOP[1], "deviceScaleFactor": 1, "mobile": False})


def phone(page: Page) -> None:
    """A phone's screen (390x844 CSS pixels, touch) for the next screenshots."""
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
