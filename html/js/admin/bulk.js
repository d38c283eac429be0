// Bulk generation: the form posts /bulk; the new job then shows in Recent jobs (jobs.js),
// which follows it from the server.
import { startBulk } from "../api.js";
import { $ } from "../dom.js";

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

export function setupBulk({ form, error, adminKey, onStarted, onAuthError }) {
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
    try {
      onStarted(await startBulk(adminKey(), body), body);
    } catch (failure) {
      if (onAuthError(failure)) return;
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}
