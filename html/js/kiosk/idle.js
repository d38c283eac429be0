// @ts-check
// Notices when nobody has touched the kiosk for a while (idle-plan.js decides; this keeps the
// timer and listens for the visitor).
import { IDLE_EVENTS, idleStep } from "./idle-plan.js";

/**
 * @typedef {object} IdleWatch
 * @property {() => void} arm     start counting (again) from now
 * @property {() => void} disarm  stop counting
 * @property {() => void} poke    someone is here: count from now
 */

/**
 * @param {number} seconds
 * @param {() => void} onIdle
 * @returns {IdleWatch}
 */
export function watchIdle(seconds, onIdle) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let armed = false;
  /** @param {import("./idle-plan.js").IdleEvent} event */
  const step = (event) => {
    const next = idleStep(armed, event, seconds);
    armed = next.armed;
    clearTimeout(timer ?? undefined);   // (when not armed, no wait is running)
    timer = next.waitMs === null ? null : setTimeout(() => step("due"), next.waitMs);
    if (next.reset) onIdle();
  };
  const poke = () => step("poke");
  for (const name of IDLE_EVENTS) window.addEventListener(name, poke, { passive: true });
  return {
    arm() { step("arm"); },
    disarm() { step("disarm"); },
    poke,
  };
}
