// @ts-check
// Every call the pages make to the Emotion Garden API, in one place. Same origin by default
// (config.js's apiBase). Errors come back as ApiError with the server's message.
import { settings } from "./settings.js";

/** A JSON object as the server answers it (read by the caller, field by field).
 * @typedef {Record<string, any>} Json */
/** A job as GET /jobs/{id} shows it.
 * @typedef {Json & {jobId: string, status: string}} JobView */
/**
 * @typedef {object} RequestOptions
 * @property {string} [method]
 * @property {unknown} [json]          sent as JSON
 * @property {BodyInit} [body]         sent as it is
 * @property {Record<string, string>} [headers]
 * @property {string} [adminKey]       the desk's x-api-key
 * @property {number} [timeoutMs]
 */
/** @typedef {{status: number, data: Json}} Answer */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {Json | null} [body]
   */
  constructor(status, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;   // 0 = the network or a timeout, never reached the server
    this.body = body;
  }
}

/**
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<Answer>}
 */
async function request(path, { method = "GET", json, body, headers = {}, adminKey, timeoutMs = 30000 } = {}) {
  /** @type {Record<string, string>} */
  const sent = { Accept: "application/json", ...headers };
  /** @type {RequestInit} */
  const init = { method, headers: sent, cache: "no-store" };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    sent["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  if (adminKey) sent["x-api-key"] = adminKey;
  init.signal = AbortSignal.timeout(timeoutMs);
  /** @type {Response} */
  let response;
  try {
    response = await fetch(settings.apiBase + path, init);
  } catch (error) {
    const timedOut = Boolean(error) && /** @type {{name?: unknown}} */ (error).name === "TimeoutError";
    throw new ApiError(0, timedOut ? "The garden took too long to answer." : "The garden could not be reached.");
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = data && typeof data.message === "string" ? data.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, data);
  }
  return { status: response.status, data: data ?? {} };
}

/** @param {Record<string, unknown>} params */
const query = (params) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
};

// --- public -------------------------------------------------------------------------------
/**
 * @param {Blob} blob
 * @param {string} [userId]
 * @returns {Promise<Json>}
 */
export async function analyzeEmotion(blob, userId) {
  /** @type {Record<string, string>} */
  const headers = { "Content-Type": blob.type || "image/jpeg" };
  if (userId) headers["X-user-id"] = userId;
  return (await request("/emotion", { method: "POST", body: blob, headers, timeoutMs: 20000 })).data;
}

/**
 * @param {string | null | undefined} emotion
 * @param {{limit?: number, cursor?: string | null, generation?: string | null, favorite?: string | null}} [options]
 * @returns {Promise<Json>}
 */
export async function fetchGarden(emotion, { limit = 24, cursor, generation, favorite } = {}) {
  return (await request(`/garden${query({ emotion, limit, cursor, generation, favorite })}`)).data;
}

// {emotion, favorites: [{favorite, images}]}, most images first
/**
 * @param {string} emotion
 * @returns {Promise<Json>}
 */
export async function fetchFavorites(emotion) {
  return (await request(`/favorites${query({ emotion })}`)).data;
}

// A like is one per visitor per image, so asking again is safe: a 503 (the catalog busy, e.g.
// many visitors liking one image at once) is retried once after a short random pause.
export const LIKE_RETRY_PAUSE_MS = [300, 1200];

/**
 * @param {string} visitorId
 * @param {string} itemId
 * @param {{pause?: (range: number[]) => Promise<unknown>, context?: Json}} [options]
 * @returns {Promise<Json>}
 */
export async function like(visitorId, itemId, { pause = randomPause, context } = {}) {
  const send = () => request("/like", { method: "POST", json: { id: visitorId, itemId, context } });
  try {
    return (await send()).data;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 503) throw error;
    await pause(LIKE_RETRY_PAUSE_MS);
    return (await send()).data;
  }
}

/**
 * @param {number[]} range
 * @returns {Promise<void>}
 */
function randomPause([low, high]) {
  return new Promise((resolve) => setTimeout(resolve, low + Math.random() * (high - low)));
}

// The flowers a visit saw (POST /impressions), sent and forgotten: keepalive, so that a batch
// sent as the page goes away still arrives; a lost one is only a count, so nothing is thrown.
/**
 * @param {string} visitorId
 * @param {string[]} itemIds
 * @param {Json} context
 * @returns {Promise<void>}
 */
export function reportImpressions(visitorId, itemIds, context) {
  const body = JSON.stringify({ id: visitorId, itemIds, context });
  return fetch(`${settings.apiBase}/impressions`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body, keepalive: true,
  }).then(() => {}, () => {});
}

// The wall screen's zone (GET /zones/{n}), asked with If-None-Match when the screen has an
// answer: the Response as it comes (a 304 when unchanged, an error status as it is), for the
// screen reads its headers (ETag, and X-Display-Copy, the service worker's mark on its copy).
/**
 * @param {number} zone
 * @param {string | null} etag
 * @param {{timeoutMs?: number}} [options]
 * @returns {Promise<Response>}
 */
export function fetchZone(zone, etag, { timeoutMs = 15000 } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (etag) headers["If-None-Match"] = etag;
  return fetch(`${settings.apiBase}/zones/${zone}`, {
    headers, cache: "no-store", signal: AbortSignal.timeout(timeoutMs),
  });
}

// 200 {urls, images, errors, jobId, ...} when the job finished in the server's wait budget,
// 202 {jobId, status: "RUNNING", statusUrl} when it did not: the caller polls getJob.
/**
 * @param {{text: string, width?: number, height?: number, count?: number}} request
 * @returns {Promise<Answer>}
 */
export async function startText2Image({ text, width, height, count }) {
  // wait: 0 — answer 202 at once, so the page can show each image as soon as it lands
  return request("/text2image", { method: "POST", json: { text, width, height, count, wait: 0 }, timeoutMs: 35000 });
}

/**
 * @param {string} jobId
 * @param {string} [adminKey]
 * @returns {Promise<JobView>}
 */
export async function getJob(jobId, adminKey) {
  return /** @type {JobView} */ ((await request(`/jobs/${encodeURIComponent(jobId)}`, { adminKey })).data);
}

// A flower of the visitor's own (POST /grow): 202 {jobId, status, statusUrl, shareUrl} at
// once (wait: 0), the kiosk then following getJob; 200 with it when the server had it at once.
// Its prompt is the garden's recipe for the emotion: nothing of the photo is sent.
/**
 * @param {string} visitorId
 * @param {string} emotion
 * @param {{favorite?: string, lang?: string, orientation?: string}} [options]
 * @returns {Promise<Json>}
 */
export async function growFlower(visitorId, emotion, { favorite, lang, orientation } = {}) {
  const json = { id: visitorId, emotion, favorite, lang, orientation, wait: 0 };
  return (await request("/grow", { method: "POST", json, timeoutMs: 15000 })).data;
}

// --- admin (x-api-key) ----------------------------------------------------------------------
/**
 * @param {string} adminKey
 * @param {Json} body
 * @returns {Promise<Json>}
 */
export async function startBulk(adminKey, body) {
  return (await request("/bulk", { method: "POST", json: body, adminKey })).data;
}

// The same body's plan, nothing started (POST /bulk {"dryRun": true}): {requested, negative,
// plan: [{favorite, prompt, folder, images: {landscape?, portrait?}, total}], …}; the same 400s
/**
 * @param {string} adminKey
 * @param {Json} body
 * @returns {Promise<Json>}
 */
export async function previewBulk(adminKey, body) {
  return (await request("/bulk", { method: "POST", json: { ...body, dryRun: true }, adminKey })).data;
}

// {emotion, area, total, favorite?, landscape, portrait, cursor?}: with provenance; area
// "garden" lists the published images the same way (the operator's view, never the visitors')
/**
 * @param {string} adminKey
 * @param {{emotion?: string, favorite?: string, area?: "pool" | "garden", cursor?: string | null, limit?: number}} [options]
 * @returns {Promise<Json>}
 */
export async function listPool(adminKey, { emotion, favorite, area, cursor, limit } = {}) {
  return (await request(`/pool${query({ emotion, favorite, area, cursor, limit })}`, { adminKey })).data;
}

// {keys, count, marked, truncated}: the whole pool of an emotion (and favorite), the images
// the moderation marked left out and counted
/**
 * @param {string} adminKey
 * @param {{emotion: string, favorite?: string}} options
 * @returns {Promise<Json>}
 */
export async function poolKeys(adminKey, { emotion, favorite }) {
  return (await request(`/admin/whole-pool${query({ emotion, favorite })}`, { adminKey })).data;
}

/**
 * @param {string} adminKey
 * @param {string[]} keys
 * @param {string[]} [flagged]   images the moderation marked, viewed and chosen one by one
 * @returns {Promise<Json>}
 */
export async function publish(adminKey, keys, flagged = []) {
  const json = flagged.length ? { keys, flagged } : { keys };
  return (await request("/pool/publish", { method: "POST", json, adminKey })).data;
}

/**
 * @param {string} adminKey
 * @param {string[]} keys
 * @returns {Promise<Json>}
 */
export async function remove(adminKey, keys) {
  return (await request("/remove", { method: "POST", json: { keys }, adminKey })).data;
}

// {jobs: [{jobId, kind, status, requested, completed, failed, retried, ...}], cursor?}, newest first
/**
 * @param {string} adminKey
 * @param {{kind?: string, status?: string, limit?: number, cursor?: string | null}} [options]
 * @returns {Promise<Json>}
 */
export async function listJobs(adminKey, { kind, status, limit, cursor } = {}) {
  return (await request(`/jobs${query({ kind, status, limit, cursor })}`, { adminKey })).data;
}

/**
 * An image of a job that the moderation held (GET /held): flagged, or "unchecked" when the
 * check could not answer; a short-lived signed link, none for a dropped one (never kept).
 * @typedef {object} HeldImage
 * @property {number} n
 * @property {string} moderation        "flagged" | "unchecked"
 * @property {string[]} labels
 * @property {number} [width]
 * @property {number} [height]
 * @property {string} [endpoint]
 * @property {string} [url]
 * @property {boolean} [dropped]
 */
// {jobId, kind, held: [HeldImage]}: a job's held images, for the operator's eyes only (the
// links expire within minutes: ask again rather than keep them)
/**
 * @param {string} adminKey
 * @param {string} jobId
 * @returns {Promise<{jobId: string, kind: string, held: HeldImage[]}>}
 */
export async function heldImages(adminKey, jobId) {
  const { data } = await request(`/held${query({ job: jobId })}`, { adminKey });
  return { jobId: data.jobId, kind: data.kind, held: Array.isArray(data.held) ? data.held : [] };
}

/**
 * @param {string} adminKey
 * @param {string} jobId
 * @returns {Promise<Json>}
 */
export async function cancelJob(adminKey, jobId) {
  return (await request(`/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST", adminKey })).data;
}

/**
 * A running job: no new images until resumed (POST /jobs/{id}/pause), or again (…/resume).
 * @param {string} adminKey
 * @param {string} jobId
 * @param {"pause" | "resume"} action
 * @returns {Promise<Json>}
 */
export async function pauseJob(adminKey, jobId, action) {
  return (await request(`/jobs/${encodeURIComponent(jobId)}/${action}`, { method: "POST", adminKey })).data;
}

/**
 * A running bulk job's priority, 0 (the default) to 9 (POST /jobs/{id}/priority).
 * @param {string} adminKey
 * @param {string} jobId
 * @param {number} priority
 * @returns {Promise<Json>}
 */
export async function setJobPriority(adminKey, jobId, priority) {
  return (await request(`/jobs/${encodeURIComponent(jobId)}/priority`,
    { method: "POST", adminKey, json: { priority } })).data;
}

/**
 * @param {string} adminKey
 * @returns {Promise<Json>}
 */
export async function overview(adminKey) {
  return (await request("/admin/overview", { adminKey })).data;
}

// Display zones: {zones: [{zone, mode, emotion, images, caption, interval, updated}]}, by number
/**
 * @param {string} adminKey
 * @returns {Promise<Json>}
 */
export async function listZones(adminKey) {
  return (await request("/zones", { adminKey })).data;
}

/**
 * @param {string} adminKey
 * @param {number | string} zone
 * @param {Json} body
 * @returns {Promise<Json>}
 */
export async function putZone(adminKey, zone, body) {
  return (await request(`/zones/${encodeURIComponent(zone)}`, { method: "PUT", json: body, adminKey })).data;
}

/**
 * @param {string} adminKey
 * @param {number | string} zone
 * @returns {Promise<Json>}
 */
export async function deleteZone(adminKey, zone) {
  return (await request(`/zones/${encodeURIComponent(zone)}`, { method: "DELETE", adminKey })).data;
}

export const FINAL_STATUSES = new Set(["SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"]);

// A poll that may succeed if asked again: no answer at all, the server busy or failing
// for a moment (5xx), or asked to slow down (429). The job goes on server-side meanwhile.
/** @param {unknown} error */
function transient(error) {
  return error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500);
}

// Polls a job until it settles, calling onUpdate with each view; gentle backoff. Transient
// failures are retried with a longer backoff, up to maxFailures in a row; then, or on any
// other error, it throws — what onUpdate already showed stays the caller's to keep.
/**
 * @param {string} jobId
 * @param {(view: JobView) => void} onUpdate
 * @param {{adminKey?: string, firstDelayMs?: number, maxDelayMs?: number, maxFailures?: number,
 *          isCancelled?: () => boolean}} [options]
 * @returns {Promise<JobView | null>}  the settled view; null when the caller cancelled
 */
export async function followJob(jobId, onUpdate, {
  adminKey, firstDelayMs = 400, maxDelayMs = 2000, maxFailures = 6, isCancelled = () => false,
} = {}) {
  let delay = firstDelayMs;
  let failures = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (isCancelled()) return null;
    /** @type {JobView} */
    let view;
    try {
      view = await getJob(jobId, adminKey);
    } catch (error) {
      if (!transient(error) || ++failures >= maxFailures) throw error;
      delay = Math.min(4 * maxDelayMs, Math.max(firstDelayMs, delay) * 2);
      continue;
    }
    failures = 0;
    if (isCancelled()) return null;
    onUpdate(view);
    if (FINAL_STATUSES.has(view.status)) return view;
    delay = Math.min(maxDelayMs, Math.round(delay * 1.3));
  }
}
