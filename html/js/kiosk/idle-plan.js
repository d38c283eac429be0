// @ts-check
// When the kiosk goes back to its start: the idle watch's decisions, free of the DOM and of
// timers (tests run them in Node). The watch is armed on every screen but the welcome one;
// while armed, each sign of someone at the kiosk starts the wait again from the start, and a
// wait that runs out resets the kiosk (kiosk.js's restart: a new visit on the welcome screen).

// the signs that someone is at the kiosk (window events)
export const IDLE_EVENTS = Object.freeze(["pointerdown", "pointermove", "keydown", "wheel", "touchstart"]);

/** @typedef {"arm" | "disarm" | "poke" | "due"} IdleEvent */
/**
 * What follows an event: whether the watch is armed, the wait to start from now (in
 * milliseconds; null: no wait runs, any running one is cancelled), and whether to reset now.
 * @typedef {object} IdleStep
 * @property {boolean} armed
 * @property {number | null} waitMs
 * @property {boolean} reset
 */

// The watch's next step. arm: count from now; disarm: stop counting; poke (someone is here):
// count from now when armed, nothing otherwise; due (the wait ran out): reset when still armed.
/**
 * @param {boolean} armed
 * @param {IdleEvent} event
 * @param {number} seconds  how long nobody may touch the kiosk
 * @returns {IdleStep}
 */
export function idleStep(armed, event, seconds) {
  const wait = seconds * 1000;
  switch (event) {
    case "arm":
      return { armed: true, waitMs: wait, reset: false };
    case "disarm":
      return { armed: false, waitMs: null, reset: false };
    case "poke":
      return { armed, waitMs: armed ? wait : null, reset: false };
    case "due":
      return { armed, waitMs: null, reset: armed };
    default:
      throw new Error(`unknown idle event: ${event}`);
  }
}

// The idle watch runs on every screen but the welcome one (where Escape does nothing either).
/** @param {string | undefined} screen */
export function isAtRest(screen) {
  return screen === "welcome";
}
