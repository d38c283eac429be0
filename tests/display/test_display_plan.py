"""The wall screen's decisions (html/js/display/display-plan.js), run in Node as the browser loads the
module: what the page URL asks for, which list of a zone answer a screen shows, and the wait
before asking a server that did not answer."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

PLAN = Path(__file__).resolve().parents[2] / "html" / "js" / "display" / "display-plan.js"

SCRIPT = """
const plan = await import(process.argv[1]);
const calls = JSON.parse(process.argv[2]);
const out = [];
for (const [name, args] of calls) {
  if (name === "retryDelayMs") {
    const [failures, cap, draw] = args;
    out.push(plan.retryDelayMs(failures, cap, () => draw));
  } else {
    out.push(plan[name](...args));
  }
}
console.log(JSON.stringify(out));
"""


def _call(*calls: tuple[str, list]) -> list:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is needed to check html/js/display/display-plan.js")
        pytest.skip("node is not installed")
    proc = subprocess.run([node, "--input-type=module", "-e", SCRIPT, PLAN.as_uri(), json.dumps(calls)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _answer(**fields) -> dict:
    base = {"zone": 1, "mode": "chosen", "emotion": None, "caption": None, "interval": 8, "poll": 3,
            "version": "v1",
            "landscape": [{"key": "emotions/HAPPY/ah.jpeg", "url": "http://x/emotions/HAPPY/ah.jpeg"}],
            "portrait": [{"key": "emotions/HAPPY/av.jpeg", "url": "http://x/emotions/HAPPY/av.jpeg"}]}
    base.update(fields)
    return base


def test_the_page_url_is_read_with_defaults_and_limits():
    (plain, full, wild, bad_zone, big_zone) = _call(
        ("readOptions", [""]),
        ("readOptions", ["?zone=7&orientation=portrait&interval=0.25&poll=0.5&retry=2&lang=ko"]),
        ("readOptions", ["?zone=3&orientation=sideways&interval=-4&poll=abc&retry=9999&lang=<b>"]),
        ("readOptions", ["?zone=abc"]),
        ("readOptions", ["?zone=100"]))
    assert plain == {"zone": 1, "orientation": None, "interval": None, "poll": None, "retryCap": 60, "lang": None}
    assert full == {"zone": 7, "orientation": "portrait", "interval": 0.25, "poll": 0.5, "retryCap": 2, "lang": "ko"}
    assert wild == {"zone": 3, "orientation": None, "interval": 0.05, "poll": None, "retryCap": 60, "lang": None}
    assert bad_zone["zone"] is None and big_zone["zone"] is None   # a dark screen, nothing asked


def test_the_screen_shape_chooses_the_list_and_the_url_overrides_it():
    wide, tall, square, forced = _call(
        ("orientationOf", [{"orientation": None}, 1920, 1080]),
        ("orientationOf", [{"orientation": None}, 1080, 1920]),
        ("orientationOf", [{"orientation": None}, 800, 800]),
        ("orientationOf", [{"orientation": "landscape"}, 1080, 1920]))
    assert (wide, tall, square, forced) == ("landscape", "portrait", "portrait", "landscape")


def test_a_zone_answer_is_read_and_its_lists_chosen():
    answer = _answer(caption="  ", interval=12, landscape=[
        {"key": "emotions/HAPPY/ah.jpeg", "url": "http://x/emotions/HAPPY/ah.jpeg"},
        {"key": "emotions/HAPPY/ah.jpeg", "url": "http://x/emotions/HAPPY/ah.jpeg"},   # twice: once
        {"key": "no url"}, None, "text"])
    (read, only_portrait, lists, fallback, none, not_answer, big) = _call(
        ("readAnswer", [answer, '"etag"']),
        ("readAnswer", [{"portrait": [], "version": 5}, '"etag"']),
        ("listFor", [{"landscape": [{"url": "a"}], "portrait": [{"url": "b"}]}, "portrait"]),
        ("listFor", [{"landscape": [{"url": "a"}], "portrait": []}, "portrait"]),
        ("listFor", [None, "portrait"]),
        ("readAnswer", [[1, 2], None]),
        ("readAnswer", [{"landscape": [{"url": f"u{i}"} for i in range(500)]}, None]))
    assert read == {"version": "v1", "caption": None, "interval": 12, "poll": 3,
                    "landscape": [{"key": "emotions/HAPPY/ah.jpeg", "url": "http://x/emotions/HAPPY/ah.jpeg"}],
                    "portrait": [{"key": "emotions/HAPPY/av.jpeg", "url": "http://x/emotions/HAPPY/av.jpeg"}]}
    assert only_portrait == {"version": '"etag"', "caption": None, "interval": 8, "poll": 30,
                             "landscape": [], "portrait": []}
    assert lists == [{"url": "b"}] and fallback == [{"url": "a"}] and none == []
    assert not_answer is None
    assert len(big["landscape"]) == 200


def test_interval_and_poll_come_from_the_url_or_the_zone():
    zone = {"interval": 12, "poll": 3}
    assert _call(("intervalOf", [{"interval": 0.25}, zone]), ("intervalOf", [{"interval": None}, zone]),
                 ("intervalOf", [{"interval": None}, None]), ("pollOf", [{"poll": None}, zone]),
                 ("pollOf", [{"poll": 0.5}, zone]), ("fadeMs", [8]), ("fadeMs", [0.25])) == [
        0.25, 12, 8, 3, 0.5, 1500, 100]


def test_retries_back_off_exponentially_with_jitter_up_to_the_cap():
    low = _call(*[("retryDelayMs", [n, 60, 0.0]) for n in (1, 2, 3, 4, 5, 6, 7, 8, 100)])
    high = _call(*[("retryDelayMs", [n, 60, 0.999999]) for n in (1, 2, 3, 4, 5, 6, 7, 8, 100)])
    assert low == [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    assert high == [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]
    capped = _call(("retryDelayMs", [10, 2, 0.5]), ("retryDelayMs", [0, 60, 0.0]))
    assert capped == [1500, 500]


def _images(emotion: str, *names: str) -> list[dict]:
    return [{"key": f"emotions/{emotion}/{n}.jpeg", "url": f"http://x/emotions/{emotion}/{n}.jpeg"} for n in names]


def test_a_new_answer_with_other_images_takes_over_at_once_not_at_the_next_transition():
    happy = _answer(version="h", landscape=_images("HAPPY", "a", "b", "c"))
    sad = _answer(version="s", landscape=_images("SAD", "d", "e"))
    reordered = _answer(version="r", landscape=_images("HAPPY", "c", "a", "b"))
    recaptioned = _answer(version="c", caption="East wall", interval=20, landscape=_images("HAPPY", "a", "b", "c"))
    one_more = _answer(version="m", landscape=_images("HAPPY", "a", "b", "c", "n"))
    portrait_only = _answer(version="p", landscape=_images("HAPPY", "a", "b", "c"), portrait=_images("SAD", "pv"))
    # (shown, incoming, orientation, now, the end of the cross-fade under way)
    got = _call(
        ("takeOverMs", [happy, sad, "landscape", 50_000, 0]),        # the kiosk read a new emotion
        ("takeOverMs", [happy, sad, "landscape", 50_000, 50_600]),   # mid-fade: once it has ended
        ("takeOverMs", [None, happy, "landscape", 50_000, 0]),       # nothing on screen yet
        ("takeOverMs", [happy, one_more, "landscape", 50_000, 0]),   # a new image
        ("takeOverMs", [happy, reordered, "landscape", 50_000, 0]),  # the same images: the rotation goes on
        ("takeOverMs", [happy, recaptioned, "landscape", 50_000, 0]),
        ("takeOverMs", [happy, portrait_only, "landscape", 50_000, 0]),   # not this screen's list
        ("takeOverMs", [happy, portrait_only, "portrait", 50_000, 0]),    # this one's (it showed landscape)
        ("takeOverMs", [happy, None, "landscape", 50_000, 0]))
    assert got == [0, 600, 0, 0, None, None, None, 0, None]
