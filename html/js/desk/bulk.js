// @ts-check
// Bulk generation: the form posts /bulk; the new job then shows in Recent jobs (jobs.js),
// which follows it from the server. The favorite matrix (season × weather × time of day, as
// the original's prompt generator did) makes "How many" images for every combination.
import { previewBulk, startBulk } from "../shared/api.js";
import { $, h } from "../shared/dom.js";
import { formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";
import { planTable } from "./bulk-plan.js";

const t = translator(strings);

/**
 * POST /bulk's body as the form makes it.
 * @typedef {object} BulkBody
 * @property {FormDataEntryValue | null} emotion
 * @property {number} count
 * @property {string} [favorite]
 * @property {string} [emotionText]
 * @property {string} [others]
 * @property {FormDataEntryValue[]} orientations
 * @property {Record<string, string[]>} [matrix]
 */

/**
 * @param {HTMLFormElement} form
 * @returns {BulkBody}
 */
export function bulkBody(form) {
  const data = new FormData(form);
  // (orientations follow the optional texts, as the server has always been sent them)
  const body = /** @type {BulkBody} */ ({ emotion: data.get("emotion"), count: Number(data.get("count")) });
  for (const name of /** @type {const} */ (["favorite", "emotionText", "others"])) {
    const value = String(data.get(name) || "").trim();
    if (value) body[name] = value;
  }
  body.orientations = data.getAll("orientations");
  /** @type {Record<string, string[]>} */
  const matrix = {};
  for (const axis of MATRIX_AXES) {
    const words = String(data.get(`matrix-${axis}`) || "").split(/[,;]/).map((w) => w.trim()).filter(Boolean);
    if (words.length) matrix[axis] = [...new Set(words)];
  }
  if (Object.keys(matrix).length) body.matrix = matrix;
  return body;
}

export const MATRIX_AXES = ["season", "weather", "time"];
const MAX_FAVORITES = 100;
const MAX_IMAGES = 1000;

// how many favorites the matrix makes (1 when there is none)
/**
 * @param {BulkBody} body
 * @returns {number}
 */
export function favoritesOf(body) {
  return body.matrix ? Object.values(body.matrix).reduce((n, words) => n * words.length, 1) : 1;
}

/**
 * @param {BulkBody} body
 * @returns {string}  what is wrong with it ("" when nothing)
 */
function check(body) {
  if (!Number.isInteger(body.count) || body.count < 1 || body.count > 500) return t("bulkCount");
  if (!body.orientations.length) return t("bulkOrientation");
  if (body.matrix && body.favorite) return t("bulkBoth");
  const favorites = favoritesOf(body);
  if (favorites > MAX_FAVORITES) return t("bulkTooManyFavorites", { favorites: formatNumber(favorites), max: formatNumber(MAX_FAVORITES) });
  if (favorites * body.count * body.orientations.length > MAX_IMAGES) {
    return t("bulkTooManyImages", { total: formatNumber(favorites * body.count * body.orientations.length), max: formatNumber(MAX_IMAGES) });
  }
  return "";
}

// "2 favorites × 4 × 2 orientations = 16 images", updated as the operator types
/**
 * @param {HTMLFormElement} form
 * @param {HTMLElement} output
 */
function describe(form, output) {
  const body = bulkBody(form);
  const favorites = favoritesOf(body);
  const total = favorites * (body.count || 0) * body.orientations.length;
  output.textContent = body.matrix
    ? t("matrixTotal", {
      favorites: formatNumber(favorites), favoritesS: favorites === 1 ? "" : "s", count: formatNumber(body.count || 0),
      orientations: formatNumber(body.orientations.length), orientationsS: body.orientations.length === 1 ? "" : "s",
      total: formatNumber(total),
    })
    : "";
}

// The preview's table (POST /bulk {"dryRun": true}): a row per favorite with its exact
// prompt, pool folder and images per orientation, the total and the negative prompt above
/**
 * @param {HTMLElement} container
 * @param {import("../shared/api.js").Json} plan
 */
function showPlan(container, plan) {
  const table = planTable(plan);
  const cell = (/** @type {number} */ n) => h("td", { class: "count", text: formatNumber(n) });
  container.replaceChildren(
    h("p", { class: "status", text: t("planCaption", {
      total: formatNumber(table.total), folders: formatNumber(table.favorites), foldersS: table.favorites === 1 ? "" : "s",
    }) }),
    h("table", { class: "overview-table" },
      h("thead", {}, h("tr", {}, ...["planFavorite", "planPrompt", "planFolder", "planLandscape", "planPortrait", "planImages"]
        .map((name) => h("th", { scope: "col", text: t(name) })))),
      h("tbody", {}, table.rows.map((row) => h("tr", {},
        h("th", { scope: "row", text: row.favorite ?? t("planOwn") }),
        h("td", { class: "prompt", text: row.prompt }),
        h("td", { text: row.folder }),
        cell(row.landscape), cell(row.portrait), cell(row.total)))),
      h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 3, text: t("planImages") }),
        cell(table.landscape), cell(table.portrait), cell(table.total)))),
    ...(plan.negative ? [h("p", { class: "status", text: t("planNegative", { negative: String(plan.negative) }) })] : []),
  );
  container.hidden = false;
}

/**
 * @param {{form: HTMLFormElement, error: HTMLElement, adminKey: import("./key.js").AdminKey,
 *          onStarted: (job: import("../shared/api.js").Json, body: BulkBody) => void,
 *          onAuthError: import("./key.js").OnAuthError, plan?: HTMLElement}} parts
 */
export function setupBulk({ form, error, adminKey, onStarted, onAuthError, plan }) {
  const preview = $("#bulk-matrix-total", form);
  if (preview) form.addEventListener("input", () => describe(form, preview));
  if (plan) form.addEventListener("input", () => { plan.hidden = true; });   // never a stale plan
  const previewButton = /** @type {HTMLButtonElement | null} */ ($("#bulk-preview", form));
  previewButton?.addEventListener("click", async () => {
    error.hidden = true;
    const body = bulkBody(form);
    const problem = check(body);
    if (problem || !plan) {
      error.textContent = problem;
      error.hidden = !problem;
      return;
    }
    previewButton.disabled = true;
    try {
      showPlan(plan, await previewBulk(adminKey(), body));
    } catch (failure) {
      if (onAuthError(failure)) return;
      plan.hidden = true;
      error.textContent = /** @type {Error} */ (failure).message;
      error.hidden = false;
    } finally {
      previewButton.disabled = false;
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = bulkBody(form);
    const problem = check(body);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      return;
    }
    const button = /** @type {HTMLButtonElement} */ ($("button[type=submit]", form));
    button.disabled = true;
    try {
      onStarted(await startBulk(adminKey(), body), body);
    } catch (failure) {
      if (onAuthError(failure)) return;
      error.textContent = /** @type {Error} */ (failure).message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}
