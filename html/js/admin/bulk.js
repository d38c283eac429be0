// Bulk generation: the form posts /bulk; each job gets a row with a progress bar that follows
// /jobs/{id} until the job settles.
import { followJob, startBulk } from "../api.js";
import { $, h } from "../dom.js";
import { titleCase } from "../words.js";

export function bulkBody(form) {
  const data = new FormData(form);
  const body = { emotion: data.get("emotion"), count: Number(data.get("count")) };
  for (const name of ["favorite", "emotionText", "others"]) {
    const value = String(data.get(name) || "").trim();
    if (value) body[name] = value;
  }
  body.orientations = data.getAll("orientations");
  return body;
}

function check(body) {
  if (!Number.isInteger(body.count) || body.count < 1 || body.count > 500) return "Ask for 1 to 500 images.";
  if (!body.orientations.length) return "Choose at least one orientation.";
  return "";
}

function jobRow(answer, body) {
  const label = `${titleCase(body.emotion)}${body.favorite ? ` · ${body.favorite}` : ""} · ${body.count}×${body.orientations.length}`;
  const progress = h("progress", { max: String(answer.requested || 1), value: "0", "aria-label": `Progress of ${label}` });
  const status = h("span", { class: "job-status", text: "starting…" });
  const errors = h("p", { class: "job-errors", hidden: true });
  const row = h("li", { class: "job", dataset: { job: answer.jobId, status: "RUNNING" } },
    h("span", { class: "job-name", text: label, title: answer.prompt || "" }), progress, status, errors);
  return { row, progress, status, errors };
}

export function setupBulk({ form, jobs, error, adminKey, onSettled, onAuthError }) {
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
    const button = $("button[type=submit]", form);
    button.disabled = true;
    let answer;
    try {
      answer = await startBulk(adminKey(), body);
    } catch (failure) {
      if (onAuthError(failure)) return;
      error.textContent = failure.message;
      error.hidden = false;
      return;
    } finally {
      button.disabled = false;
    }
    const view = jobRow(answer, body);
    jobs.prepend(view.row);
    const update = (job) => {
      const requested = job.requested || answer.requested || 1;
      const done = (job.completed || 0) + (job.failed || 0);
      view.progress.max = requested;
      view.progress.value = Math.min(done, requested);
      view.row.dataset.status = job.status;
      const word = { RUNNING: "growing", SUCCEEDED: "done", PARTIAL: "partly done", FAILED: "failed" }[job.status] || job.status;
      view.status.textContent = `${job.completed || 0} of ${requested} · ${word}`;
      const errors = job.errors || [];
      view.errors.hidden = errors.length === 0;
      view.errors.textContent = errors.slice(0, 3).map((e) => `${e.endpoint || "endpoint"}: ${e.error || "Error"} — ${e.message || ""}`).join("  ·  ")
        + (errors.length > 3 ? `  (+${errors.length - 3} more)` : "");
    };
    // "Lock" forgets the key: polling stops with it, and the row just says so
    const locked = () => !adminKey();
    try {
      const final = await followJob(answer.jobId, update, { adminKey: adminKey(), isCancelled: locked });
      if (final === null) {
        view.status.textContent = "not followed while locked";
        return;
      }
      onSettled(final, body);
    } catch (failure) {
      if (locked()) return;  // the desk was locked on purpose: no key error to show
      if (onAuthError(failure)) return;
      view.row.dataset.status = "FAILED";
      view.status.textContent = `lost track: ${failure.message}`;
    }
  });
}
