// A visit's decisions (html/js/kiosk/visit-plan.js): the countdown, the reading screen's wait,
// the kind messages after a failure, the favorites offered, the tab's liked flowers, and which
// flowers count as seen and how they are sent.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  FAVORITES_SHOWN, SEEN_BATCH, SEEN_RATIO, batches, cameraProblem, countdownSteps, countsAsSeen,
  emotionOf, fallbackVisitorId, favoriteChoices, inSight, readLiked, readingProblem, readingWaitMs, withLiked,
} from "../../html/js/kiosk/visit-plan.js";
import kiosk from "../../html/js/shared/strings/kiosk.js";

test("the countdown shows each second down to 1, and nothing at 0", () => {
  assert.deepEqual(countdownSteps(3), [3, 2, 1]);
  assert.deepEqual(countdownSteps(1), [1]);
  assert.deepEqual(countdownSteps(0), []);
  assert.deepEqual(countdownSteps(2.5), [2.5, 1.5, 0.5]);   // a URL's ?countdown=2.5 ticks as before
});

describe("the reading screen's wait", () => {
  test("stays the minimum in all, however fast the answer came", () => {
    assert.equal(readingWaitMs(1000, 1000, 1400), 1400);
    assert.equal(readingWaitMs(1000, 1900, 1400), 500);
    assert.equal(readingWaitMs(1000, 2399.5, 1400), 0.5);
    assert.equal(readingWaitMs(0, 100, 300), 200);
  });

  test("no wait once the answer took that long or longer", () => {
    assert.equal(readingWaitMs(1000, 2400, 1400), 0);
    assert.equal(readingWaitMs(1000, 60000, 1400), 0);
    assert.equal(readingWaitMs(0, 5, 0), 0);
  });
});

describe("kind messages", () => {
  const words = [...Object.keys(kiosk.en)];
  const known = (problem) => words.includes(problem.title) && words.includes(problem.text);

  test("a page not served over HTTPS says why, shows its origin, and offers the photo first", () => {
    assert.deepEqual(cameraProblem("insecure"), { title: "insecureTitle", text: "insecureText", detail: "origin", photoFirst: true });
  });

  test("a denied camera leads to the photo, with the browser's reason", () => {
    assert.deepEqual(cameraProblem("denied"), { title: "deniedTitle", text: "deniedText", detail: "error", photoFirst: true });
  });

  test("a missing or unsupported camera offers the photo first; any other failure keeps Try again first", () => {
    for (const reason of ["missing", "unsupported"]) {
      assert.deepEqual(cameraProblem(reason), { title: "noCameraTitle", text: "noCameraText", detail: "error", photoFirst: true });
    }
    for (const reason of ["busy", "failed", ""]) {
      assert.deepEqual(cameraProblem(reason), { title: "noCameraTitle", text: "noCameraText", detail: "error", photoFirst: false });
    }
  });

  test("no face: advice for where the photo came from, and no technical detail", () => {
    assert.deepEqual(readingProblem(404, "upload"), { title: "noFaceUploadTitle", text: "noFaceUploadText", detail: "none", photoFirst: true });
    assert.deepEqual(readingProblem(404, "camera"), { title: "noFaceCameraTitle", text: "noFaceCameraText", detail: "none", photoFirst: false });
  });

  test("a photo the server cannot take: the photo first only when it was an upload", () => {
    for (const status of [400, 413, 415]) {
      assert.deepEqual(readingProblem(status, "upload"), { title: "badPhotoTitle", text: "badPhotoUploadText", detail: "error", photoFirst: true });
      assert.deepEqual(readingProblem(status, "camera"), { title: "badPhotoTitle", text: "badPhotoCameraText", detail: "error", photoFirst: false });
    }
  });

  test("anything else (the network, the server resting, no API answer at all) is the resting message", () => {
    for (const status of [null, 0, 401, 429, 500, 503]) {
      for (const source of ["camera", "upload"]) {
        assert.deepEqual(readingProblem(status, source), { title: "restingTitle", text: "restingText", detail: "error", photoFirst: false });
      }
    }
  });

  test("every message names words the kiosk has", () => {
    const all = [
      ...["insecure", "denied", "missing", "failed"].map(cameraProblem),
      ...[404, 400, 500, null].flatMap((status) => [readingProblem(status, "camera"), readingProblem(status, "upload")]),
    ];
    for (const problem of all) assert.ok(known(problem), JSON.stringify(problem));
  });
});

test("the emotion an analysis names, as the garden knows it", () => {
  assert.equal(emotionOf({ emotions: "happy" }), "HAPPY");
  assert.equal(emotionOf({ emotions: "CALM" }), "CALM");
  assert.equal(emotionOf({}), "");
  assert.equal(emotionOf({ emotions: null }), "");
});

describe("the favorites offered", () => {
  const answer = (n) => ({ favorites: Array.from({ length: n }, (_, i) => ({ favorite: `f${i}`, count: 10 - i })) });

  test("every flower first, then the favorites in the answer's order", () => {
    assert.deepEqual(favoriteChoices(answer(2)), [null, "f0", "f1"]);
  });

  test("at most FAVORITES_SHOWN favorites", () => {
    assert.equal(FAVORITES_SHOWN, 8);
    const choices = favoriteChoices(answer(12));
    assert.equal(choices.length, FAVORITES_SHOWN + 1);
    assert.equal(choices.at(-1), "f7");
  });

  test("no chooser at all when there are none", () => {
    for (const none of [answer(0), {}, null, undefined]) assert.deepEqual(favoriteChoices(none), []);
  });
});

describe("the visitor in the tab", () => {
  test("a fallback id from the clock and a random draw, as the old browsers got", () => {
    assert.equal(fallbackVisitorId(1700000000000, 0.5), "v-loyw3v28-i");
    assert.notEqual(fallbackVisitorId(1, 0.25), fallbackVisitorId(1, 0.75));
  });

  test("liked flowers are read from the tab's JSON list; anything unreadable is none", () => {
    assert.deepEqual(readLiked('["a","b"]'), new Set(["a", "b"]));
    assert.deepEqual(readLiked(null), new Set());
    assert.deepEqual(readLiked(""), new Set());
    assert.deepEqual(readLiked("{not json"), new Set());
  });

  test("a like is added once, the earlier ones kept", () => {
    assert.equal(withLiked(null, "a"), '["a"]');
    assert.equal(withLiked('["a"]', "b"), '["a","b"]');
    assert.equal(withLiked('["a","b"]', "a"), '["a","b"]');
    assert.equal(withLiked("garbage", "c"), '["c"]');
  });
});

describe("what a visit saw", () => {
  test("in sight: intersecting, with at least half of it on screen", () => {
    assert.equal(SEEN_RATIO, 0.5);
    assert.equal(inSight({ isIntersecting: true, intersectionRatio: 0.5 }), true);
    assert.equal(inSight({ isIntersecting: true, intersectionRatio: 1 }), true);
    assert.equal(inSight({ isIntersecting: true, intersectionRatio: 0.49 }), false);
    assert.equal(inSight({ isIntersecting: false, intersectionRatio: 0.8 }), false);
  });

  test("a flower counts once per visit, and only while on the page, staying, and visible", () => {
    const here = { key: "k", connected: true, leaving: false, visible: true };
    assert.equal(countsAsSeen(here, new Set()), true);
    assert.equal(countsAsSeen(here, new Set(["k"])), false);
    assert.equal(countsAsSeen({ ...here, connected: false }, new Set()), false);
    assert.equal(countsAsSeen({ ...here, leaving: true }, new Set()), false);
    assert.equal(countsAsSeen({ ...here, visible: false }, new Set()), false);
    assert.equal(countsAsSeen({ ...here, key: undefined }, new Set()), false);
    assert.equal(countsAsSeen({ ...here, key: "" }, new Set()), false);
  });

  test("seen flowers go in batches of SEEN_BATCH, in order, none lost or sent twice", () => {
    assert.equal(SEEN_BATCH, 20);
    const keys = Array.from({ length: 45 }, (_, i) => `k${i}`);
    const sent = batches(keys);
    assert.deepEqual(sent.map((b) => b.length), [20, 20, 5]);
    assert.deepEqual(sent.flat(), keys);
    assert.deepEqual(batches([]), []);
    assert.deepEqual(batches(keys.slice(0, 20)).map((b) => b.length), [20]);
    assert.deepEqual(batches(["a", "b", "c"], 2), [["a", "b"], ["c"]]);
    assert.equal(keys.length, 45);   // the list given is left as it was
  });
});
