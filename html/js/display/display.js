// @ts-check
// The wall screen (/display/?zone=N): a zone's images, full screen, cross-fading one into the
// next for days on end. No text but the zone's caption, no controls, never a broken image.
//
// Two <img> layers and a caption are the whole DOM: the next image is loaded and decoded on
// the hidden layer, then the layers swap (a CSS cross-fade). An image that fails is skipped
// and tried again on a later round. The zone is asked for every `poll` seconds with
// If-None-Match; a new answer whose images differ from those on screen takes over at once
// (display-plan.js takeOverMs: its first image cross-fades in as soon as it is decoded), one
// that only reorders them or changes the caption at the next transition. When the server
// cannot be reached the screen keeps what it has and asks again with exponential backoff and
// jitter; the service worker (display/sw.js) keeps the page, the answer and the images for a reload.
// For tests and for whoever looks at a screen's page: <html data-asked> counts the requests
// for the zone, data-version is the version of the answer on screen.
import { fetchZone } from "../shared/api.js";
import {
  fadeMs, intervalOf, listFor, orientationOf, pollOf, readAnswer, readOptions, retryDelayMs,
  takeOverMs,
} from "./display-plan.js";

/** @typedef {import("./display-plan.js").ZoneAnswer} ZoneAnswer */
/** @typedef {import("./display-plan.js").ZoneImage} ZoneImage */
/** @typedef {import("./display-plan.js").Orientation} Orientation */

const REQUEST_TIMEOUT_MS = 15000;
const COPY_HEADER = "X-Display-Copy";   // set by the service worker on its kept copy
const MAX_FAILURES = 64;                // enough for the longest backoff; the count stays small
const TRIES_PER_TRANSITION = 16;        // images tried for one transition before giving up till the next

const options = readOptions(window.location.search);
const root = document.documentElement;
const layers = [.../** @type {NodeListOf<HTMLImageElement>} */ (document.querySelectorAll(".display-layer"))];
const caption = /** @type {HTMLElement} */ (document.getElementById("caption"));

const state = {
  /** @type {ZoneAnswer | null} */
  answer: null,        // the zone answer on screen
  /** @type {ZoneAnswer | null} */
  pending: null,       // a newer answer, not on screen yet
  takeOver: false,     // the pending answer replaces the rotation now, not at the next transition
  fadeEndsAt: 0,       // when the last cross-fade ends (performance.now() time)
  asked: 0,            // requests for the zone so far
  /** @type {string | null} */
  etag: null,
  /** @type {Orientation | null} */
  orientation: null,
  /** @type {ZoneImage[]} */
  list: [],            // the images of the screen's orientation
  next: 0,             // where in the list the next image is looked for
  front: 0,            // the visible layer
  /** @type {string | null} */
  shownUrl: null,
  /** @type {Promise<ZoneImage | null> | null} */
  prepared: null,      // Promise of the next image decoded on the hidden layer (or null)
  preparation: 0,      // the latest preparation's number: older ones stop
  busy: false,         // a transition is under way
  asking: false,       // a request for the zone is under way
  failures: 0,
  /** @type {ReturnType<typeof setTimeout> | 0} */
  cycleTimer: 0,
  /** @type {ReturnType<typeof setTimeout> | 0} */
  prepareTimer: 0,
  /** @type {ReturnType<typeof setTimeout> | 0} */
  pollTimer: 0,
};

// --- showing -----------------------------------------------------------------------------------
/** @param {string | null} text */
function setCaption(text) {
  const value = text || "";
  if (caption.textContent !== value) caption.textContent = value;
  caption.hidden = !value;
}

/** @param {ZoneAnswer} answer */
function adopt(answer) {
  state.pending = null;
  state.takeOver = false;
  state.answer = answer;
  root.dataset.version = answer.version;
  state.orientation = orientationOf(options, window.innerWidth, window.innerHeight);
  state.list = listFor(answer, state.orientation);
  state.next = 0;
  discardPrepared();
  setCaption(answer.caption);
  root.style.setProperty("--fade", `${fadeMs(intervalOf(options, answer))}ms`);
}

// a screen turned on its side shows its own list from the next transition on
function followOrientation() {
  if (!state.answer) return;
  const orientation = orientationOf(options, window.innerWidth, window.innerHeight);
  if (orientation === state.orientation) return;
  state.orientation = orientation;
  state.list = listFor(state.answer, orientation);
  state.next = 0;
  discardPrepared();
}

function discardPrepared() {
  state.preparation += 1;
  state.prepared = null;
  clearTimeout(state.prepareTimer);
  state.prepareTimer = 0;
}

/**
 * @param {HTMLImageElement} layer
 * @param {string} url
 * @returns {Promise<boolean>}
 */
async function load(layer, url) {
  layer.src = url;
  try {
    await layer.decode();
  } catch {
    return false;
  }
  return layer.naturalWidth > 0;
}

// Loads and decodes the next image that works on the hidden layer; null when none of the
// list does this round (the screen keeps what it shows).
/** @returns {Promise<ZoneImage | null>} */
function prepare() {
  clearTimeout(state.prepareTimer);
  state.prepareTimer = 0;
  const number = ++state.preparation;
  const list = state.list;
  const layer = layers[1 - state.front];
  state.prepared = (async () => {
    for (let tries = 0; tries < Math.min(list.length, TRIES_PER_TRANSITION); tries += 1) {
      if (number !== state.preparation) return null;
      const item = list[state.next % list.length];
      state.next = (state.next + 1) % list.length;
      if (item.url === state.shownUrl) {
        if (list.length === 1) return item;   // the one image stays
        continue;
      }
      const ok = await load(layer, item.url);
      if (number !== state.preparation) return null;
      if (ok) return item;
      layer.removeAttribute("src");   // skipped: tried again on a later round
    }
    return null;
  })();
  return state.prepared;
}

/** @param {ZoneImage} item */
function swap(item) {
  const incoming = layers[1 - state.front];
  const outgoing = layers[state.front];
  incoming.dataset.key = item.key;
  incoming.classList.add("shown");
  outgoing.classList.remove("shown");
  state.front = 1 - state.front;
  state.shownUrl = item.url;
  state.fadeEndsAt = performance.now() + fadeMs(intervalOf(options, state.answer));
}

function showNothing() {
  for (const layer of layers) layer.classList.remove("shown");
  state.shownUrl = null;
}

async function transition() {
  clearTimeout(state.cycleTimer);
  state.cycleTimer = 0;
  if (state.busy) return;
  state.busy = true;
  try {
    if (state.pending) adopt(state.pending);
    else followOrientation();
    if (!state.list.length) {   // a calm dark screen until an answer with images comes
      showNothing();
      return;
    }
    const item = await (state.prepared || prepare());
    state.prepared = null;
    if (item && item.url !== state.shownUrl) swap(item);
  } finally {
    state.busy = false;
  }
  if (state.takeOver) {   // a new answer came during this transition: it goes on at once
    takeOverIn(state.fadeEndsAt - performance.now());
    return;
  }
  const interval = intervalOf(options, state.answer) * 1000;
  const fade = fadeMs(intervalOf(options, state.answer));
  // the hidden layer fades out first; then the next image loads on it, ready in time
  state.prepareTimer = setTimeout(prepare, Math.min(fade + 50, interval / 2));
  state.cycleTimer = setTimeout(transition, interval);
}

// the pending answer's first image, in `ms` (the cross-fade under way has ended by then)
/** @param {number} ms */
function takeOverIn(ms) {
  clearTimeout(state.cycleTimer);
  state.cycleTimer = 0;
  if (ms > 0) state.cycleTimer = setTimeout(transition, ms);
  else transition();
}

/** @param {ZoneAnswer} answer */
function receive(answer) {
  state.pending = answer;
  const orientation = orientationOf(options, window.innerWidth, window.innerHeight);
  const shown = state.shownUrl ? state.answer : null;   // nothing on screen: show it now
  const ms = takeOverMs(shown, answer, orientation, performance.now(), state.fadeEndsAt);
  if (ms === null) return;   // the same images: taken at the next transition
  state.takeOver = true;
  discardPrepared();   // an image of the old rotation being prepared is not shown
  if (!state.busy) takeOverIn(ms);   // else when that transition ends
}

// --- asking the server --------------------------------------------------------------------------
/** @returns {Promise<{kept: boolean, answer: ZoneAnswer | null}>} */
async function ask() {
  state.asked += 1;
  root.dataset.asked = String(state.asked);
  const response = await fetchZone(/** @type {number} */ (options.zone), state.etag, { timeoutMs: REQUEST_TIMEOUT_MS });
  const kept = response.headers.get(COPY_HEADER) === "cached";
  if (response.status === 304) return { kept, answer: null };
  if (!response.ok) throw new Error(`the zone answered ${response.status}`);
  const etag = response.headers.get("ETag");
  const answer = readAnswer(await response.json(), etag);
  if (!answer) throw new Error("not a zone answer");
  state.etag = etag;
  return { kept, answer };
}

async function poll() {
  clearTimeout(state.pollTimer);
  state.pollTimer = 0;
  if (state.asking) return;
  state.asking = true;
  let delay;
  try {
    const { kept, answer } = await ask();
    const latest = state.pending || state.answer;
    if (answer && (!latest || answer.version !== latest.version)) receive(answer);
    if (kept) {   // the service worker's copy: the network failed
      state.failures = Math.min(state.failures + 1, MAX_FAILURES);
      delay = retryDelayMs(state.failures, options.retryCap);
    } else {
      state.failures = 0;
      delay = pollOf(options, state.pending || state.answer) * 1000;
    }
  } catch {
    state.failures = Math.min(state.failures + 1, MAX_FAILURES);
    delay = retryDelayMs(state.failures, options.retryCap);
  } finally {
    state.asking = false;
  }
  state.pollTimer = setTimeout(poll, delay);
}

function askNow() {
  if (!state.asking) poll();
}

// --- start ----------------------------------------------------------------------------------------
function start() {
  if (options.lang) root.lang = options.lang;
  root.dataset.asked = "0";
  if (options.zone === null) return;   // an unreadable ?zone=: a dark screen, nothing asked
  window.addEventListener("online", () => { if (state.failures) askNow(); });
  if ("serviceWorker" in navigator) {
    // the first answer went past the worker: ask again in full so that it keeps a copy
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      state.etag = null;
      askNow();
    });
    const script = new URL("../../display/sw.js", import.meta.url);
    navigator.serviceWorker.register(script, { scope: new URL("./", script).pathname }).catch(() => {});
  }
  poll();
}

start();
