// @ts-check
// Reads html/config.js (a classic script that sets window.GARDEN_CONFIG) once, with safe
// defaults, and lets a page URL override the kiosk's pacing for one visit (?idle=20).
/**
 * @typedef {object} Settings
 * @property {string} apiBase           where the API answers ("" = this origin)
 * @property {number} countdownSeconds
 * @property {number} rotateSeconds
 * @property {number} idleSeconds
 */
/** @typedef {"countdownSeconds" | "rotateSeconds" | "idleSeconds"} Pacing */

/** @type {Settings} */
const defaults = { apiBase: "", countdownSeconds: 3, rotateSeconds: 9, idleSeconds: 75 };
/** @type {Record<Pacing, [number, number]>} */
const limits = { countdownSeconds: [0, 10], rotateSeconds: [1, 120], idleSeconds: [2, 3600] };
/** @type {Record<string, Pacing>} */
const urlNames = { countdown: "countdownSeconds", rotate: "rotateSeconds", idle: "idleSeconds" };

/**
 * @param {unknown} value
 * @param {[number, number]} range
 * @param {number} fallback
 * @returns {number}
 */
function clamp(value, [low, high], fallback) {
  const number = Number(value);
  return Number.isFinite(number) ? Math.min(high, Math.max(low, number)) : fallback;
}

/** @returns {Readonly<Settings>} */
function load() {
  /** @type {Record<string, unknown>} */
  const merged = { ...defaults, .../** @type {any} */ (window).GARDEN_CONFIG || {} };
  const params = new URLSearchParams(window.location.search);
  for (const [param, name] of Object.entries(urlNames)) {
    if (params.has(param)) merged[name] = params.get(param);
  }
  for (const [name, range] of /** @type {[Pacing, [number, number]][]} */ (Object.entries(limits))) {
    merged[name] = clamp(merged[name], range, defaults[name]);
  }
  merged.apiBase = String(merged.apiBase || "").replace(/\/+$/, "");
  return Object.freeze(/** @type {Settings} */ (/** @type {unknown} */ (merged)));
}

export const settings = load();
