// A flower of the visitor's own (html/js/kiosk/grow-plan.js): which way up, what each answer
// means for its slot, which slot, and its take-home path; a visit's wait driven on a pretend clock.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  GROW_LIMIT_MS, GROW_POLL_MS, flowerOrientation, growSlot, growStep, grownSharePath,
} from "../../html/js/kiosk/grow-plan.js";

const KEY = "grown/HAPPY/20261208T010203-0a1b2c3d4eh.jpeg";
const running = { jobId: "j", status: "RUNNING", images: [], held: 0 };
const bloomed = { jobId: "j", status: "SUCCEEDED", images: [{ key: KEY, url: `/${KEY}` }], held: 0 };

describe("growStep", () => {
  test("a running job keeps growing until the limit, then the slot is the garden's", () => {
    assert.equal(growStep(running, 0, "landscape").state, "growing");
    assert.equal(growStep(running, GROW_LIMIT_MS - 1, "landscape").state, "growing");
    assert.deepEqual(growStep(running, GROW_LIMIT_MS, "landscape"), { state: "garden", flower: null });
  });
  test("an image with its link blooms, even late", () => {
    assert.deepEqual(growStep(bloomed, GROW_LIMIT_MS + 5, "portrait"),
      { state: "bloomed", flower: { key: KEY, url: `/${KEY}`, orientation: "portrait" } });
  });
  test("held, failed or cancelled: quietly the garden", () => {
    assert.equal(growStep({ ...running, status: "SUCCEEDED", held: 1 }, 10, "landscape").state, "garden");
    assert.equal(growStep({ ...running, held: 1 }, 10, "landscape").state, "garden");
    for (const status of ["FAILED", "CANCELLED", "PARTIAL"]) {
      assert.equal(growStep({ ...running, status }, 10, "landscape").state, "garden");
    }
  });
  test("a 202's answer (no images yet) is growing; garbage is growing until the limit", () => {
    assert.equal(growStep({ jobId: "j", status: "RUNNING", statusUrl: "/jobs/j" }, 0, "landscape").state, "growing");
    assert.equal(growStep(null, 0, "landscape").state, "growing");
    assert.equal(growStep(null, GROW_LIMIT_MS, "landscape").state, "garden");
    assert.equal(growStep({ images: [{ key: KEY }] }, 0, "landscape").state, "growing");   // no link yet
  });
});

test("the flower is grown the kiosk's way up", () => {
  assert.equal(flowerOrientation({ upright: false }), "landscape");
  assert.equal(flowerOrientation({ upright: true }), "portrait");
});

test("the slot: the first of the flower's orientation, else the first, else none", () => {
  assert.equal(growSlot(["portrait", "landscape", "landscape"], "landscape"), 1);
  assert.equal(growSlot(["portrait", "portrait"], "landscape"), 0);
  assert.equal(growSlot([], "portrait"), -1);
});

test("a grown flower's take-home path is its job's", () => {
  assert.equal(grownSharePath(KEY), "/share/grown/20261208T010203-0a1b2c3d4e");
  assert.equal(grownSharePath("grown/SAD/spring,cloudy,day/20261208T010203-0a1b2c3d4ev.jpeg"),
    "/share/grown/20261208T010203-0a1b2c3d4e");
  assert.equal(grownSharePath("emotions/HAPPY/ah.jpeg"), null);
  assert.equal(grownSharePath("grown/HAPPY/x.jpeg"), null);
  assert.equal(grownSharePath(null), null);
});

test("a visit's wait on a pretend clock: polled every GROW_POLL_MS, bloomed or given back", () => {
  /** the views a job shows at each poll; returns the step the slot ends in and when */
  const wait = (viewAt) => {
    for (let at = 0; ; at += GROW_POLL_MS) {
      const step = growStep(viewAt(at), at, "landscape");
      if (step.state !== "growing") return [step.state, at];
    }
  };
  assert.deepEqual(wait((at) => (at >= 6000 ? bloomed : running)), ["bloomed", 6000]);
  const [state, at] = wait(() => running);
  assert.equal(state, "garden");
  assert.ok(at >= GROW_LIMIT_MS && at < GROW_LIMIT_MS + GROW_POLL_MS);
});
