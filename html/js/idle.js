// Notices when nobody has touched the kiosk for a while.
const EVENTS = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"];

export function watchIdle(seconds, onIdle) {
  let timer = null;
  let armed = false;
  const fire = () => {
    timer = null;
    if (armed) onIdle();
  };
  const poke = () => {
    if (!armed) return;
    clearTimeout(timer);
    timer = setTimeout(fire, seconds * 1000);
  };
  for (const name of EVENTS) window.addEventListener(name, poke, { passive: true });
  return {
    arm() { armed = true; poke(); },
    disarm() { armed = false; clearTimeout(timer); timer = null; },
    poke,
  };
}
