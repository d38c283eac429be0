// @ts-check
// Recent jobs: the bulk jobs the server knows (GET /jobs), newest first, so a reload or a
// second desk loses nothing. Running ones show live progress, Pause/Resume and Cancel; a job that
// settles while watched calls onSettled. Polls every second while a job runs, rarely else.
import { ApiError, cancelJob, listJobs, pauseJob } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";
import { emotionName } from "../shared/words.js";

const t = translator(strings);

/** @typedef {import("../shared/api.js").Json} Job  a job as GET /jobs lists it */
/**
 * @typedef {object} JobRow  a job's row, kept while the job is listed
 * @property {HTMLProgressElement} progress
 * @property {HTMLSpanElement} status
 * @property {HTMLButtonElement} cancel
 * @property {HTMLButtonElement} pause    Pause, or Resume for a paused job
 * @property {HTMLParagraphElement} errors
 * @property {HTMLLIElement} [row]
 */
const STATUSES = new Set(["RUNNING", "SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"]);
const LIMIT = 10;
const BUSY_MS = 1000;
const IDLE_MS = 15000;

/** @param {Job} job */
function label(job) {
  const request = job.request || {};
  const orientations = (request.orientations || ["landscape", "portrait"]).length;
  const favorite = request.favorite ? ` · ${request.favorite}` : "";
  return `${emotionName(request.emotion || job.kind)}${favorite} · ${request.count || job.requested}×${orientations}`;
}

/** @param {Job} job */
function statusText(job) {
  const requested = job.requested || 0;
  const status = STATUSES.has(job.status) ? t(`job${job.status}`) : job.status;
  let text = t("jobProgress", { completed: formatNumber(job.completed || 0), requested: formatNumber(requested), status });
  if (job.failed) text += t("jobFailed", { count: formatNumber(job.failed) });
  if (job.retried) text += t("jobRetried", { count: formatNumber(job.retried) });
  if (job.resumed) text += t("jobResumed");
  if (job.status === "RUNNING" && job.paused) text += t("jobPaused");
  if (job.status === "RUNNING" && job.waiting && job.waiting.for === "capacity") {
    text += t("jobWaitingCapacity", { minutes: formatNumber(Math.max(1, Math.round(Number(job.waiting.seconds) / 60))) });
  }
  return text;
}

export class RecentJobs {
  /**
   * @param {{list: HTMLElement, message: HTMLElement, adminKey: import("./key.js").AdminKey,
   *          onSettled: (job: Job) => void, onAuthError: import("./key.js").OnAuthError}} parts
   */
  constructor({ list, message, adminKey, onSettled, onAuthError }) {
    this.list = list;
    this.message = message;
    this.adminKey = adminKey;
    this.onSettled = onSettled;
    this.onAuthError = onAuthError;
    /** @type {Map<string, JobRow>} */
    this.rows = new Map();        // job id → {row, progress, status, cancel, errors}
    /** @type {Map<string, string>} */
    this.statuses = new Map();    // job id → the status last shown
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    /** @type {Promise<void> | null} */
    this.loading = null;
  }

  // Fetch now (a job was just started, the desk was unlocked) and keep following.
  refresh() {
    clearTimeout(this.timer ?? undefined);
    this.loading = this.load().finally(() => { this.loading = null; });
    return this.loading;
  }

  /** @param {string} reason */
  stop(reason) {
    clearTimeout(this.timer ?? undefined);
    for (const [id, view] of this.rows) {
      if (this.statuses.get(id) === "RUNNING") view.status.textContent = reason;
    }
  }

  async load() {
    const key = this.adminKey();
    if (!key) return;
    /** @type {{jobs: Job[]}} */
    let page;
    try {
      page = /** @type {{jobs: Job[]}} */ (await listJobs(key, { kind: "bulk", limit: LIMIT }));
    } catch (failure) {
      if (!this.adminKey()) return;           // locked meanwhile: nothing to say
      if (this.onAuthError(failure)) return;
      this.message.textContent = t("jobsFailed", { message: /** @type {Error} */ (failure).message });
      this.schedule(IDLE_MS);
      return;
    }
    if (!this.adminKey()) return;
    this.message.textContent = page.jobs.length ? "" : t("noJobs");
    this.render(page.jobs);
    this.schedule(page.jobs.some((job) => job.status === "RUNNING") ? BUSY_MS : IDLE_MS);
  }

  /** @param {number} ms */
  schedule(ms) {
    clearTimeout(this.timer ?? undefined);
    this.timer = setTimeout(() => this.refresh(), ms);
  }

  /** @param {Job[]} jobs */
  render(jobs) {
    const rows = jobs.map((job) => this.row(job));
    this.list.replaceChildren(...rows);
    for (const job of jobs) {
      const before = this.statuses.get(job.jobId);
      this.statuses.set(job.jobId, job.status);
      if (before === "RUNNING" && job.status !== "RUNNING") this.onSettled(job);
    }
  }

  /**
   * @param {Job} job
   * @returns {HTMLLIElement}
   */
  row(job) {
    let view = this.rows.get(job.jobId);
    if (!view) {
      const name = label(job);
      /** @type {JobRow} */
      const made = {
        progress: h("progress", { max: "1", value: "0", "aria-label": t("jobProgressOf", { name }) }),
        status: h("span", { class: "job-status", role: "status" }),
        cancel: h("button", { type: "button", class: "button quiet job-cancel", text: t("cancel") }),
        pause: h("button", { type: "button", class: "button quiet job-pause", text: t("pause") }),
        errors: h("p", { class: "job-errors", hidden: true }),
      };
      view = made;
      made.cancel.addEventListener("click", () => this.cancel(job.jobId, made));
      made.pause.addEventListener("click", () => this.pause(job.jobId, made));
      made.row = h("li", { class: "job", dataset: { job: job.jobId } },
        h("span", { class: "job-name", text: name, title: (job.request || {}).prompt || "" }),
        made.progress, h("span", { class: "job-side" }, made.status, " ", made.pause, " ", made.cancel),
        made.errors);
      this.rows.set(job.jobId, made);
    }
    const row = /** @type {HTMLLIElement} */ (view.row);
    const requested = job.requested || 1;
    view.progress.max = requested;
    view.progress.value = Math.min((job.completed || 0) + (job.failed || 0), requested);
    row.dataset.status = job.status;
    view.status.textContent = statusText(job);
    view.cancel.hidden = job.status !== "RUNNING";
    view.pause.hidden = job.status !== "RUNNING";
    view.pause.textContent = job.paused ? t("resume") : t("pause");
    view.pause.dataset.action = job.paused ? "resume" : "pause";
    row.dataset.paused = job.paused ? "true" : "false";
    const dead = job.deadEndpoints || [];
    view.errors.hidden = dead.length === 0;
    view.errors.textContent = dead.length ? t("deadEndpoints", { endpoints: dead.join(", ") }) : "";
    return row;
  }

  /**
   * Pause a running job, or resume a paused one, as its button says.
   * @param {string} jobId
   * @param {JobRow} view
   */
  async pause(jobId, view) {
    const action = view.pause.dataset.action === "resume" ? "resume" : "pause";
    view.pause.disabled = true;
    try {
      this.row(await pauseJob(this.adminKey(), jobId, action));
    } catch (failure) {
      if (this.onAuthError(failure)) return;
      view.status.textContent = failure instanceof ApiError && failure.status === 409
        ? t("alreadyEnded") : t("couldNotChange", { message: /** @type {Error} */ (failure).message });
    } finally {
      view.pause.disabled = false;
    }
    this.refresh();
  }

  /**
   * @param {string} jobId
   * @param {JobRow} view
   */
  async cancel(jobId, view) {
    view.cancel.disabled = true;
    try {
      const job = await cancelJob(this.adminKey(), jobId);
      this.row(job);
      this.statuses.set(jobId, job.status);
      this.onSettled(job);
    } catch (failure) {
      if (this.onAuthError(failure)) return;
      // 409: it ended on its own meanwhile; the next refresh shows how
      view.status.textContent = failure instanceof ApiError && failure.status === 409
        ? t("alreadyEnded") : t("couldNotCancel", { message: /** @type {Error} */ (failure).message });
    } finally {
      view.cancel.disabled = false;
    }
    this.refresh();
  }
}
