// @ts-check
// Held by the moderation: the recent text-to-image jobs with images the moderation held
// (flagged, or unchecked when the check could not answer), each behind "Show". The images
// come blurred, with their labels; a second click on one shows it plainly, so an operator
// opening them at an exhibition flashes nothing unfit. A dropped image (never kept) shows its
// labels only. GET /held's links are short-lived: asked again on each Show, never kept.
import { ApiError, heldImages, listJobs } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatDate, formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";

const t = translator(strings);

/** @typedef {import("../shared/api.js").Json} Job  a job as GET /jobs lists it */
/** @typedef {import("../shared/api.js").HeldImage} HeldImage */

const LIMIT = 20;   // the recent text-to-image jobs looked at

export class HeldByModeration {
  /**
   * @param {{list: HTMLElement, message: HTMLElement, again: HTMLButtonElement}} parts
   * @param {{adminKey: import("./key.js").AdminKey, onAuthError: import("./key.js").OnAuthError}} options
   */
  constructor({ list, message, again }, { adminKey, onAuthError }) {
    this.list = list;
    this.message = message;
    this.adminKey = adminKey;
    this.onAuthError = onAuthError;
    again.addEventListener("click", () => this.load());
  }

  /** @param {unknown} failure */
  failed(failure) {
    if (!this.adminKey() || this.onAuthError(failure)) return;   // locked meanwhile, or the key refused
    this.message.textContent = t("heldFailed", { message: /** @type {Error} */ (failure).message });
  }

  async load() {
    const key = this.adminKey();
    if (!key) return;
    /** @type {{job: Job, count: number}[]} */
    let found;
    try {
      /** @type {Job[]} */
      const jobs = (await listJobs(key, { kind: "text2image", limit: LIMIT })).jobs || [];
      // a listed job may not say how many it held: that one's held images are asked for
      const counts = await Promise.all(jobs.map((job) => typeof job.held === "number" ? job.held : heldCount(key, job.jobId)));
      found = jobs.map((job, i) => ({ job, count: counts[i] })).filter(({ count }) => count > 0);
    } catch (failure) {
      this.failed(failure);
      return;
    }
    if (!this.adminKey()) return;
    this.message.textContent = found.length ? "" : t("heldNone");
    this.list.replaceChildren(...found.map(({ job, count }) => this.row(job, count)));
  }

  /**
   * @param {Job} job
   * @param {number} count
   */
  row(job, count) {
    const prompt = String((job.request || {}).text || job.jobId);
    const images = h("ul", { class: "held-images", hidden: true, "aria-label": prompt });
    const note = h("p", { class: "held-note", role: "status" });
    const show = h("button", { type: "button", class: "button quiet held-show", text: t("heldShow"), "aria-expanded": "false" });
    show.addEventListener("click", () => this.toggle(job.jobId, show, images, note));
    return h("li", { class: "held-job", dataset: { job: job.jobId } },
      h("span", { class: "held-prompt", text: prompt, title: prompt }),
      h("span", { class: "held-count", text: t("heldCount", { count: formatNumber(count), date: formatDate(job.createdAt) }) }),
      show, note, images);
  }

  /**
   * Show a job's held images (fresh links, blurred), or hide them again (the pictures let go).
   * @param {string} jobId
   * @param {HTMLButtonElement} show
   * @param {HTMLUListElement} images
   * @param {HTMLElement} note
   */
  async toggle(jobId, show, images, note) {
    if (show.getAttribute("aria-expanded") === "true") {
      images.hidden = true;
      images.replaceChildren();
      show.setAttribute("aria-expanded", "false");
      show.textContent = t("heldShow");
      return;
    }
    show.disabled = true;
    note.textContent = "";
    try {
      const { held } = await heldImages(this.adminKey(), jobId);
      images.replaceChildren(...held.map(item));
      images.hidden = false;
      show.setAttribute("aria-expanded", "true");
      show.textContent = t("heldHide");
    } catch (failure) {
      if (this.onAuthError(failure)) return;
      note.textContent = t("heldFailed", { message: /** @type {Error} */ (failure).message });
    } finally {
      show.disabled = false;
    }
  }
}

/**
 * How many images a job held (GET /held); none for a job gone meanwhile.
 * @param {string} adminKey
 * @param {string} jobId
 */
async function heldCount(adminKey, jobId) {
  try {
    return (await heldImages(adminKey, jobId)).held.length;
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 404) return 0;
    throw failure;
  }
}

/**
 * One held image: blurred behind a button that shows it plainly (and blurs it again), with
 * whether it was flagged or unchecked and its labels; a dropped one, its labels only.
 * @param {HeldImage} image
 * @returns {HTMLLIElement}
 */
function item(image) {
  const n = formatNumber(Number(image.n) + 1);
  const status = t(image.moderation === "unchecked" ? "unchecked" : "flagged");
  const labels = (image.labels || []).join(", ");
  const mark = h("p", { class: "held-mark", text: labels ? t("heldMark", { status, labels }) : status });
  const dataset = { n: String(image.n), moderation: image.moderation };
  if (image.dropped || !image.url) {
    return h("li", { class: "held-image dropped", dataset }, h("p", { class: "held-dropped", text: t("heldDropped") }), mark);
  }
  const veil = h("button", { type: "button", class: "held-veil", "aria-pressed": "false", "aria-label": t("heldReveal", { n }) },
    h("img", { src: image.url, alt: t("heldImage", { n }), width: image.width, height: image.height }));
  const card = h("li", { class: "held-image veiled", dataset }, veil, mark);
  veil.addEventListener("click", () => {
    const plain = veil.getAttribute("aria-pressed") !== "true";
    veil.setAttribute("aria-pressed", String(plain));
    veil.setAttribute("aria-label", t(plain ? "heldVeil" : "heldReveal", { n }));
    card.classList.toggle("veiled", !plain);
  });
  return card;
}
