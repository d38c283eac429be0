// @ts-check
// A flower of the visitor's own (POST /grow), as pure decisions: which way up it is grown, what
// a job's view means for the slot that waits for it (still growing, bloomed, or — not ready
// in time, held by the moderation, failed — quietly a garden flower again), and which slot
// grows it. No DOM, no timers, no clock of its own: kiosk.js and garden-view.js act on them.

/** @typedef {"landscape" | "portrait"} Orientation */
/**
 * @typedef {object} GrowStep
 * @property {"growing" | "bloomed" | "garden"} state   garden: the slot shows a garden flower
 * @property {{key: string, url: string, orientation: Orientation} | null} flower
 */

export const GROW_LIMIT_MS = 20000;   // a flower not bloomed by then gives its slot back
export const GROW_POLL_MS = 1500;     // how often the kiosk asks after it
const FINAL = new Set(["SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"]);

// The kiosk's orientation: portrait on a big upright screen, landscape everywhere else.
/**
 * @param {{upright: boolean}} shape
 * @returns {Orientation}
 */
export function flowerOrientation({ upright }) {
  return upright ? "portrait" : "landscape";
}

// What a /grow answer or a job view means for the waiting slot, ``elapsedMs`` after it asked.
/**
 * @param {any} view          POST /grow's answer or GET /jobs/{id}'s view
 * @param {number} elapsedMs
 * @param {Orientation} orientation
 * @returns {GrowStep}
 */
export function growStep(view, elapsedMs, orientation) {
  const image = Array.isArray(view?.images)
    ? view.images.find((/** @type {any} */ i) => i && typeof i.url === "string" && i.url && !i.held)
    : null;
  if (image && typeof image.key === "string") {
    return { state: "bloomed", flower: { key: image.key, url: image.url, orientation } };
  }
  if (FINAL.has(view?.status) || Number(view?.held) > 0 || elapsedMs >= GROW_LIMIT_MS) {
    return { state: "garden", flower: null };
  }
  return { state: "growing", flower: null };
}

// The slot that grows the flower: the first of its orientation, else the first of all; -1
// when the garden has no slot.
/**
 * @param {string[]} slotOrientations
 * @param {Orientation} orientation
 * @returns {number}
 */
export function growSlot(slotOrientations, orientation) {
  const same = slotOrientations.indexOf(orientation);
  return same >= 0 ? same : slotOrientations.length ? 0 : -1;
}

// The take-home path of a grown flower's key (chalicelib/rules/share.py's grown_path:
// /share/grown/{job id}, the key's name without its orientation letter); null for any other.
/**
 * @param {unknown} key
 * @returns {string | null}
 */
export function grownSharePath(key) {
  const match = /^grown\/(?:[^/]+\/){1,2}([A-Za-z0-9._-]+)[hv]\.jpeg$/.exec(String(key || ""));
  return match ? `/share/grown/${match[1]}` : null;
}
