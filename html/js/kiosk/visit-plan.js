// @ts-check
// A visit's decisions, free of the DOM, of timers and of the clock (tests run them in Node):
// the countdown, how long "Reading your expression…" stays, which kind message follows a
// failure (and whether choosing a photo becomes the main button), which favorites are offered,
// the visitor's liked flowers as kept in the tab, and which flowers count as seen and how they
// are sent.

export const FAVORITES_SHOWN = 8;     // favorites offered at most (most flowers first)
export const SEEN_MS = 2000;          // a flower on screen this long …
export const SEEN_RATIO = 0.5;        // … at least this much of it, counts as seen
export const SEEN_BATCH = 20;         // seen flowers per request (the server takes up to 50)

/**
 * A kind message: its title's and text's keys in the kiosk's dictionary, what its detail line
 * says (nothing, the error's message, or the page's origin), and whether choosing a photo
 * becomes the main button (trying the camera again would not help: it is denied, missing, or
 * the photo was the problem), "Try again" stepping aside.
 * @typedef {object} Problem
 * @property {string} title
 * @property {string} text
 * @property {"none" | "error" | "origin"} detail
 * @property {boolean} photoFirst
 */

// The numbers the camera's countdown shows, one a second (none when it is 0).
/**
 * @param {number} seconds
 * @returns {number[]}
 */
export function countdownSteps(seconds) {
  const steps = [];
  for (let n = seconds; n > 0; n -= 1) steps.push(n);
  return steps;
}

// How much longer "Reading your expression…" stays to have stayed `minimum` in all, shown at
// `shownAt` and answered at `now` (milliseconds on one clock).
/**
 * @param {number} shownAt
 * @param {number} now
 * @param {number} minimum
 */
export function readingWaitMs(shownAt, now, minimum) {
  return Math.max(0, minimum - (now - shownAt));
}

// Why the camera did not open (a CameraUnavailable's reason), and what to do instead.
/**
 * @param {string} reason
 * @returns {Problem}
 */
export function cameraProblem(reason) {
  if (reason === "insecure") return { title: "insecureTitle", text: "insecureText", detail: "origin", photoFirst: true };
  if (reason === "denied") return { title: "deniedTitle", text: "deniedText", detail: "error", photoFirst: true };
  return { title: "noCameraTitle", text: "noCameraText", detail: "error", photoFirst: reason === "missing" || reason === "unsupported" };
}

// The message when reading a photo failed: `status` is the API's answer (null: no answer, or
// not the API's error), `source` where the photo came from.
/**
 * @param {number | null} status
 * @param {"camera" | "upload"} source
 * @returns {Problem}
 */
export function readingProblem(status, source) {
  const upload = source === "upload";
  if (status === 404) {   // no face in the photo
    return upload
      ? { title: "noFaceUploadTitle", text: "noFaceUploadText", detail: "none", photoFirst: true }
      : { title: "noFaceCameraTitle", text: "noFaceCameraText", detail: "none", photoFirst: false };
  }
  if (status === 413 || status === 415 || status === 400) {   // the photo itself
    return { title: "badPhotoTitle", text: upload ? "badPhotoUploadText" : "badPhotoCameraText", detail: "error", photoFirst: upload };
  }
  return { title: "restingTitle", text: "restingText", detail: "error", photoFirst: false };
}

// The emotion an analysis names, as the garden and the words know it ("HAPPY"; "" for none).
/** @param {{emotions?: unknown}} analysis */
export function emotionOf(analysis) {
  return String(analysis.emotions || "").toUpperCase();
}

// The chooser's choices for a favorites answer: "every flower" (null) first, then up to
// FAVORITES_SHOWN favorites; none at all when the garden has no favorites for the emotion.
/**
 * @param {{favorites?: {favorite: string}[]} | null | undefined} answer
 * @returns {(string | null)[]}
 */
export function favoriteChoices(answer) {
  const favorites = ((answer && answer.favorites) || []).slice(0, FAVORITES_SHOWN);
  return favorites.length ? [null, ...favorites.map((f) => f.favorite)] : [];
}

// A visitor id when the browser has no crypto.randomUUID: the time and a random draw.
/**
 * @param {number} now      milliseconds since the epoch
 * @param {number} random   a draw in [0, 1)
 */
export function fallbackVisitorId(now, random) {
  return `v-${now.toString(36)}-${random.toString(36).slice(2)}`;
}

// The visitor's liked flowers as the tab keeps them (a JSON list); nothing when unreadable.
/**
 * @param {string | null} text
 * @returns {Set<string>}
 */
export function readLiked(text) {
  try {
    return new Set(JSON.parse(text || "[]"));
  } catch {
    return new Set();
  }
}

/**
 * @param {string | null} text
 * @param {string} key
 * @returns {string}
 */
export function withLiked(text, key) {
  const keys = readLiked(text);
  keys.add(key);
  return JSON.stringify([...keys]);
}

// Whether a flower is in sight: at least SEEN_RATIO of it on screen.
/** @param {{isIntersecting: boolean, intersectionRatio: number}} entry */
export function inSight(entry) {
  return entry.isIntersecting && entry.intersectionRatio >= SEEN_RATIO;
}

// Whether a flower that stayed in sight SEEN_MS counts as seen now: still on the page, not
// giving way to the next, the page visible, and not already counted in this visit.
/**
 * @param {{key: string | undefined, connected: boolean, leaving: boolean, visible: boolean}} flower
 * @param {ReadonlySet<string>} reported
 * @returns {boolean}
 */
export function countsAsSeen({ key, connected, leaving, visible }, reported) {
  return Boolean(connected && !leaving && visible && key && !reported.has(key));
}

// The requests that send `pending` (SEEN_BATCH keys each, in order).
/**
 * @param {readonly string[]} pending
 * @param {number} [size]
 * @returns {string[][]}
 */
export function batches(pending, size = SEEN_BATCH) {
  const out = [];
  for (let i = 0; i < pending.length; i += size) out.push(pending.slice(i, i + size));
  return out;
}
