// When the kiosk goes back to its start (html/js/kiosk/idle-plan.js): the idle watch's steps,
// and a kiosk's day driven through them on a pretend clock.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { IDLE_EVENTS, idleStep, isAtRest } from "../../html/js/kiosk/idle-plan.js";

/**
 * A watch as idle.js keeps it, on a pretend clock: `events` are [time in ms, event] in time
 * order; returns the times at which the kiosk was reset.
 */
function run(seconds, events, until) {
  let armed = false;
  let due = null;   // when the running wait runs out
  const resets = [];
  const apply = (event, now) => {
    const next = idleStep(armed, event, seconds);
    armed = next.armed;
    due = next.waitMs === null ? null : now + next.waitMs;
    if (next.reset) {
      resets.push(now);
      apply("disarm", now);   // the reset shows the welcome screen, which disarms the watch
    }
  };
  for (const [at, event] of [...events, [until, null]]) {
    while (due !== null && due <= at) apply("due", due);
    if (event) apply(event, at);
  }
  return resets;
}

describe("the idle watch's steps", () => {
  test("arming starts the wait: the idle seconds, in milliseconds", () => {
    assert.deepEqual(idleStep(false, "arm", 75), { armed: true, waitMs: 75000, reset: false });
    assert.deepEqual(idleStep(true, "arm", 2.5), { armed: true, waitMs: 2500, reset: false });
  });

  test("a sign of someone starts the wait again only while armed", () => {
    assert.deepEqual(idleStep(true, "poke", 20), { armed: true, waitMs: 20000, reset: false });
    assert.deepEqual(idleStep(false, "poke", 20), { armed: false, waitMs: null, reset: false });
  });

  test("disarming cancels the wait", () => {
    assert.deepEqual(idleStep(true, "disarm", 20), { armed: false, waitMs: null, reset: false });
    assert.deepEqual(idleStep(false, "disarm", 20), { armed: false, waitMs: null, reset: false });
  });

  test("a wait that runs out resets the kiosk only when still armed", () => {
    assert.deepEqual(idleStep(true, "due", 20), { armed: true, waitMs: null, reset: true });
    assert.deepEqual(idleStep(false, "due", 20), { armed: false, waitMs: null, reset: false });
  });

  test("an unknown event is a mistake, not a silent no-op", () => {
    assert.throws(() => idleStep(true, /** @type {any} */ ("nap"), 20), /unknown idle event/);
  });
});

describe("a kiosk's day on a pretend clock", () => {
  test("nobody touches it after the garden appears: reset exactly the idle seconds later", () => {
    assert.deepEqual(run(75, [[1000, "arm"]], 500000), [76000]);
  });

  test("each touch starts the wait again from that touch", () => {
    const resets = run(75, [[0, "arm"], [30000, "poke"], [100000, "poke"], [174999, "poke"]], 400000);
    assert.deepEqual(resets, [249999]);
  });

  test("a touch one millisecond before the wait runs out keeps the visit", () => {
    assert.deepEqual(run(20, [[0, "arm"], [19999, "poke"]], 39998), []);
    assert.deepEqual(run(20, [[0, "arm"], [19999, "poke"]], 39999), [39999]);
  });

  test("moving between screens (each arms again) counts as someone being there", () => {
    assert.deepEqual(run(10, [[0, "arm"], [8000, "arm"], [16000, "arm"]], 100000), [26000]);
  });

  test("back on the welcome screen (disarmed) nothing resets, however long, and touches do not arm it", () => {
    assert.deepEqual(run(10, [[0, "arm"], [5000, "disarm"], [20000, "poke"], [40000, "poke"]], 1000000), []);
  });

  test("after a reset the watch waits for the next visit: one reset, not one every idle period", () => {
    assert.deepEqual(run(10, [[0, "arm"], [30000, "poke"]], 1000000), [10000]);
  });

  test("a second visit is watched again from its own start", () => {
    assert.deepEqual(run(10, [[0, "arm"], [50000, "arm"], [55000, "poke"]], 1000000), [10000, 65000]);
  });
});

test("the welcome screen is the kiosk at rest; every other screen is watched", () => {
  assert.equal(isAtRest("welcome"), true);
  for (const screen of ["camera", "reading", "garden", "problem", undefined]) assert.equal(isAtRest(screen), false);
});

test("touching, moving, typing, scrolling all count as someone at the kiosk", () => {
  assert.deepEqual([...IDLE_EVENTS].sort(), ["keydown", "pointerdown", "pointermove", "touchstart", "wheel"]);
  assert.ok(Object.isFrozen(IDLE_EVENTS));
});
