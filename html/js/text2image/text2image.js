// @ts-check
// Text to image: a prompt goes to POST /text2image; the job is polled at /jobs/{id} and
// each image is shown the moment it lands, each failure next to where its image would be.
import { ApiError, FINAL_STATUSES, followJob, startText2Image } from "../shared/api.js";
import { $, $$, h } from "../shared/dom.js";
import { formatNumber, keepLanguageInLinks, language, languageHref, localize } from "../shared/i18n.js";
import strings from "../shared/strings/text2image.js";

const t = localize(strings);
keepLanguageInLinks();
for (const link of /** @type {HTMLAnchorElement[]} */ ($$(".lang-switch a[data-lang]"))) {
  link.href = languageHref(/** @type {string} */ (link.dataset.lang));
  if (link.dataset.lang === language()) link.setAttribute("aria-current", "true");
}

const form = $("#prompt-form");
const prompt = /** @type {HTMLTextAreaElement} */ ($("#prompt"));
const size = /** @type {HTMLSelectElement} */ ($("#size"));
const count = /** @type {HTMLInputElement} */ ($("#count"));
const grow = /** @type {HTMLButtonElement} */ ($("#grow"));
const formError = $("#form-error");
const run = $("#run");
const runTitle = $("#run-title");
const runStatus = $("#run-status");
const progress = /** @type {HTMLProgressElement} */ ($("#run-progress"));
const results = $("#results");
const errorsList = $("#run-errors");
/** @typedef {import("../shared/api.js").Json} Json */

let current = 0;   // the run on screen; answers for an older run are dropped

/** @param {string} message */
function showFormError(message) {
  formError.textContent = message;
  formError.hidden = !message;
}

/**
 * @param {number} total
 * @param {number} width
 * @param {number} height
 */
function placeholders(total, width, height) {
  results.replaceChildren();
  for (let i = 0; i < total; i += 1) {
    const tile = h("li", { class: "tile waiting", dataset: { index: String(i) } },
      h("span", { class: "tile-note", text: t("tilePainting") }));
    tile.style.aspectRatio = `${width} / ${height}`;
    results.append(tile);
  }
}

/**
 * @param {Json} view   the job as GET /jobs/{id} shows it
 * @param {string} words
 */
function render(view, words) {
  const requested = view.requested || results.children.length;
  const images = view.images || [];
  const errors = view.errors || [];
  const tiles = [.../** @type {HTMLCollectionOf<HTMLElement>} */ (results.children)];
  const placed = new Set(tiles.map((tile) => tile.dataset.key).filter(Boolean));
  const nextFree = () => tiles.find((tile) => tile.classList.contains("waiting"));
  // each image takes the first waiting tile when it lands, so nothing already shown moves
  for (const image of images) {
    if (placed.has(image.key)) continue;
    const tile = nextFree();
    if (!tile) break;
    placed.add(image.key);
    tile.dataset.key = image.key;
    tile.classList.remove("waiting");
    const img = h("img", { src: image.url, alt: t("alt", { prompt: words }), width: image.width, height: image.height });
    img.addEventListener("load", () => tile.classList.add("loaded"), { once: true });
    const caption = h("p", { class: "tile-caption" },
      h("a", { href: image.url, target: "_blank", rel: "noopener", text: t("open") }),
      h("span", { text: ` ${image.width}×${image.height} · ${String(image.endpoint || t("painter")).replace(/:$/, "")}${image.seconds != null
        ? ` · ${t("seconds", { seconds: formatNumber(Number(image.seconds), { minimumFractionDigits: 1, maximumFractionDigits: 1 }) })}` : ""}` }));
    tile.replaceChildren(img, caption);
  }
  // failures take waiting tiles too and say why
  const shownFailures = tiles.filter((tile) => tile.classList.contains("failed")).length;
  for (const error of /** @type {Json[]} */ (errors.slice(shownFailures))) {
    const tile = nextFree();
    if (!tile) break;
    tile.classList.remove("waiting");
    tile.classList.add("failed");
    tile.replaceChildren(h("span", { class: "tile-note", text: `${error.error || t("error")}: ${error.message || t("couldNotPaint")}` }));
  }
  // images the moderation held: counted apart, never shown, each one said plainly
  const held = /** @type {Json[]} */ (view.heldImages || []);
  const shownHeld = tiles.filter((tile) => tile.classList.contains("held")).length;
  for (let i = shownHeld; i < held.length; i += 1) {
    const tile = nextFree();
    if (!tile) break;
    tile.classList.remove("waiting");
    tile.classList.add("held");
    tile.replaceChildren(h("span", { class: "tile-note", text: t("notShown") }));
  }
  errorsList.replaceChildren(...errors.map((/** @type {Json} */ error) => h("li", {},
    h("strong", { text: error.endpoint || t("endpoint") }), ` — ${error.error || t("error")}: ${error.message || ""}`)));
  errorsList.hidden = errors.length === 0;
  const done = images.length + errors.length + held.length;
  progress.max = Math.max(1, requested);
  progress.value = Math.min(done, requested);
  const final = FINAL_STATUSES.has(view.status);
  if (final) {
    for (const tile of tiles.filter((t) => t.classList.contains("waiting"))) {
      tile.classList.remove("waiting");
      tile.classList.add("failed");
      tile.replaceChildren(h("span", { class: "tile-note", text: t("notPainted") }));
    }
  }
  run.dataset.status = view.status || "RUNNING";
  runTitle.textContent = final ? t((/** @type {Record<string, string>} */ ({ SUCCEEDED: "done", PARTIAL: "partlyDone", FAILED: "nothingPainted" }))[view.status] || "done")
    : t("painting");
  const counts = { done: formatNumber(images.length), requested: formatNumber(requested), failed: formatNumber(errors.length) };
  runStatus.textContent = t(errors.length ? "readyFailed" : "ready", counts)
    + (held.length ? ` ${t(held.length === 1 ? "heldOne" : "heldMany", { held: formatNumber(held.length) })}` : "")
    // an endpoint scaled to zero starts an instance (minutes): say so rather than look stuck
    + (!final && view.waiting && view.waiting.for === "capacity"
      ? ` ${t("waitingCapacity", { minutes: formatNumber(Math.max(1, Math.round(Number(view.waiting.seconds) / 60))) })}` : "");
}

// The page stopped hearing from a job it started: what arrived stays on screen, the tiles
// still waiting say they are unknown, and the message says why.
/** @param {string} message */
function lostTrack(message) {
  run.dataset.status = "LOST";
  runTitle.textContent = t("lostTitle");
  const shown = results.querySelectorAll(".tile[data-key]").length;
  runStatus.textContent = t("lostText", { shown: formatNumber(shown), total: formatNumber(results.children.length), message });
  for (const tile of /** @type {NodeListOf<HTMLElement>} */ (results.querySelectorAll(".tile.waiting"))) {
    tile.classList.remove("waiting");
    tile.classList.add("failed");
    tile.replaceChildren(h("span", { class: "tile-note", text: t("notHeard") }));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showFormError("");
  const text = prompt.value.trim();
  if (!text) {
    showFormError(t("needWords"));
    prompt.focus();
    return;
  }
  const number = Number(count.value);
  if (!Number.isInteger(number) || number < 1 || number > 16) {
    showFormError(t("countRange"));
    count.focus();
    return;
  }
  const [width, height] = size.value.split("x").map(Number);
  const mine = ++current;
  grow.disabled = true;
  run.hidden = false;
  run.dataset.status = "RUNNING";
  runTitle.textContent = t("painting");
  runStatus.textContent = t("sending");
  progress.max = number;
  progress.value = 0;
  errorsList.hidden = true;
  placeholders(number, width, height);
  let jobId = null;
  try {
    const { status, data } = await startText2Image({ text, width, height, count: number });
    if (mine !== current) return;
    if (status === 202) {
      jobId = data.jobId;
      render({ requested: number, status: "RUNNING", images: [], errors: [] }, text);
      await followJob(jobId, (view) => { if (mine === current) render(view, text); }, { isCancelled: () => mine !== current });
    } else {
      render({ requested: number, ...data, status: data.status || "SUCCEEDED" }, text);
    }
  } catch (error) {
    if (mine !== current) return;
    const refused = error instanceof ApiError && error.status === 400 && error.body
      && typeof error.body.kind === "string" && error.body.messages;
    // a prompt the moderation refused: said in the page's own words, no job was made
    const message = refused ? t("refused")
      : error instanceof ApiError ? error.message : t("wentWrong");
    if (jobId) {
      // the job was started and may still be painting: keep every image already shown
      lostTrack(message);
      return;
    }
    run.dataset.status = "FAILED";
    runTitle.textContent = t("nothingPainted");
    runStatus.textContent = "";
    results.replaceChildren();
    showFormError(message);
    if (refused) {
      run.dataset.status = "REFUSED";
      prompt.focus();
    }
  } finally {
    if (mine === current) grow.disabled = false;
  }
});
