// @ts-check
// Notices when nobody has touched the kiosk for a while.
const EVENTS = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"];

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
  const fire = () => {
    timer = null;
    if (armed) onIdle();
  };
  const poke = () => {
    if (!armed) return;
    clearTimeout(timer ?? undefined);
    timer = setTimeout(fire, seconds * 1000);
  };
  for (const name of EVENTS) window.addEventListener(name, poke, { passive: true });
  return {
    arm() { armed = true; poke(); },
    disarm() { armed = false; clearTimeout(timer ?? undefined); timer = null; },
    poke,
  };
}
