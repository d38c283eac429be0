// @ts-check
// The wall screen's decisions, free of the DOM and of timers (tests run them in Node):
// what the page URL asks for, which list of a zone's answer a screen shows, when a new answer
// takes over, how long to wait before asking the server again.

export const DEFAULT_INTERVAL = 8;      // seconds an image stays when the answer says nothing
export const DEFAULT_POLL = 30;         // seconds between two questions when the answer says nothing
export const RETRY_FIRST = 1;           // seconds before the first retry after a failure
export const RETRY_CAP = 60;            // the longest wait between two retries, in seconds
export const MAX_IMAGES = 200;          // per orientation (the zone answer's own limit)
export const ORIENTATIONS = ["landscape", "portrait"];

/** @typedef {{key: string, url: string}} ZoneImage */
/**
 * A zone answer as the page keeps it.
 * @typedef {object} ZoneAnswer
 * @property {string} version
 * @property {string | null} caption
 * @property {number} interval      seconds an image stays
 * @property {number} poll          seconds between two questions
 * @property {ZoneImage[]} landscape
 * @property {ZoneImage[]} portrait
 */
/** @typedef {"landscape" | "portrait"} Orientation */
/**
 * What the page URL asks for.
 * @typedef {object} DisplayOptions
 * @property {number | null} zone
 * @property {Orientation | null} orientation
 * @property {number | null} interval
 * @property {number | null} poll
 * @property {number} retryCap
 * @property {string | null} lang
 */

const LANG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;

/**
 * @param {unknown} text
 * @param {number} low
 * @param {number} high
 * @returns {number | null}
 */
function number(text, low, high) {
  if (text === null || text === undefined || String(text).trim() === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : null;
}

// ?zone=N (1..99; 1 when absent, none when unreadable: a dark screen), ?orientation=landscape|portrait, ?interval=SECONDS (fractions
// allowed), ?poll=SECONDS and ?retry=SECONDS (the longest wait between retries: for tests),
// ?lang=xx. Anything unreadable is ignored: a wall screen never shows an error.
/**
 * @param {string | null | undefined} search
 * @returns {DisplayOptions}
 */
export function readOptions(search) {
  const params = new URLSearchParams(search || "");
  const zoneText = params.get("zone");
  let zone = zoneText === null ? 1 : null;
  if (zoneText !== null && /^\s*\d{1,2}\s*$/.test(zoneText)) {
    const value = Number(zoneText);
    if (value >= 1 && value <= 99) zone = value;
  }
  const orientation = ORIENTATIONS.includes(/** @type {string} */ (params.get("orientation")))
    ? /** @type {Orientation} */ (params.get("orientation")) : null;
  const lang = params.get("lang");
  return {
    zone,
    orientation,
    interval: number(params.get("interval"), 0.05, 3600),
    poll: number(params.get("poll"), 0.2, 3600),
    retryCap: number(params.get("retry"), 0.2, RETRY_CAP) ?? RETRY_CAP,
    lang: lang && LANG.test(lang) ? lang : null,
  };
}

// The screen's orientation: the URL's, else landscape when wider than tall.
/**
 * @param {{orientation: Orientation | null}} options
 * @param {number} width
 * @param {number} height
 * @returns {Orientation}
 */
export function orientationOf(options, width, height) {
  if (options.orientation) return options.orientation;
  return width > height ? "landscape" : "portrait";
}

/**
 * @param {unknown} list
 * @returns {ZoneImage[]}
 */
function images(list) {
  if (!Array.isArray(list)) return [];
  /** @type {ZoneImage[]} */
  const out = [];
  const seen = new Set();
  for (const item of list) {
    if (out.length >= MAX_IMAGES) break;
    const url = item && typeof item.url === "string" ? item.url : null;
    if (!url || seen.has(url)) continue;
    seen.add(url);
    out.push({ key: typeof item.key === "string" ? item.key : url, url });
  }
  return out;
}

// A zone answer (GET /zones/{n}) as the page keeps it; null when it is not one.
/**
 * @param {any} data
 * @param {string | null} [etag]
 * @returns {ZoneAnswer | null}
 */
export function readAnswer(data, etag = null) {
  if (!data || typeof data !== "object" || Array.isArray(data)) return null;
  if (!Array.isArray(data.landscape) && !Array.isArray(data.portrait)) return null;
  const interval = number(data.interval, 0.05, 3600);
  const poll = number(data.poll, 1, 3600);
  const version = typeof data.version === "string" ? data.version : (etag || "");
  return {
    version,
    caption: typeof data.caption === "string" && data.caption.trim() ? data.caption : null,
    interval: interval ?? DEFAULT_INTERVAL,
    poll: poll ?? DEFAULT_POLL,
    landscape: images(data.landscape),
    portrait: images(data.portrait),
  };
}

// The images a screen shows: its orientation's, or the other's when a zone has none of its
// shape (a picture cropped to fit is better than a dark wall).
/**
 * @param {ZoneAnswer | null} answer
 * @param {Orientation | null} orientation
 * @returns {ZoneImage[]}
 */
export function listFor(answer, orientation) {
  if (!answer) return [];
  const own = answer[/** @type {Orientation} */ (orientation)] || [];
  if (own.length) return own;
  return answer[orientation === "landscape" ? "portrait" : "landscape"] || [];
}

// Seconds each image stays: the URL's override, else the zone's.
/**
 * @param {{interval: number | null}} options
 * @param {ZoneAnswer | null} answer
 * @returns {number}
 */
export function intervalOf(options, answer) {
  return options.interval ?? (answer ? answer.interval : DEFAULT_INTERVAL);
}

/**
 * @param {{poll: number | null}} options
 * @param {ZoneAnswer | null} answer
 * @returns {number}
 */
export function pollOf(options, answer) {
  return options.poll ?? (answer ? answer.poll : DEFAULT_POLL);
}

// The cross-fade: a calm second and a half, shorter when the images change faster.
/** @param {number} intervalSeconds */
export function fadeMs(intervalSeconds) {
  return Math.round(Math.min(1500, intervalSeconds * 1000 * 0.4));
}

// When a new zone answer takes over, in milliseconds from `now`: at once — a cross-fade to its
// first image as soon as that is decoded, once the cross-fade under way (ending at `fadeEndsAt`)
// is over — when the screen shows nothing yet or when the images of its orientation are not the
// ones on screen (a zone that follows the kiosk and a new emotion, an operator's new choice, a
// new image); null, the next transition, when only their order, the caption or the timing
// changed: the rotation goes on undisturbed.
/**
 * @param {ZoneAnswer | null} shown
 * @param {ZoneAnswer | null} incoming
 * @param {Orientation} orientation
 * @param {number} [now]
 * @param {number} [fadeEndsAt]
 * @returns {number | null}
 */
export function takeOverMs(shown, incoming, orientation, now = 0, fadeEndsAt = 0) {
  if (!incoming) return null;
  const delay = Math.max(0, Math.ceil(fadeEndsAt - now));
  if (!shown) return delay;
  const before = new Set(listFor(shown, orientation).map((item) => item.url));
  const after = listFor(incoming, orientation);
  const same = after.length === before.size && after.every((item) => before.has(item.url));
  return same ? null : delay;
}

// Milliseconds before retry number `failures` (1, 2, …): exponential from RETRY_FIRST up to
// `cap` seconds, with "equal jitter" (between half and all of it) so that many screens that
// lost the same server do not come back at the same instant.
/**
 * @param {number} failures
 * @param {number} [cap]
 * @param {() => number} [random]
 * @returns {number}
 */
export function retryDelayMs(failures, cap = RETRY_CAP, random = Math.random) {
  const exponent = Math.min(Math.max(failures, 1) - 1, 16);
  const ceiling = Math.min(cap, RETRY_FIRST * 2 ** exponent) * 1000;
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
