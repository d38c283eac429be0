// Bulk generation: the form posts /bulk; the new job then shows in Recent jobs (jobs.js),
// which follows it from the server. The favorite matrix (season × weather × time of day, as
// the original's prompt generator did) makes "How many" images for every combination.
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
export function favoritesOf(body) {
  return body.matrix ? Object.values(body.matrix).reduce((n, words) => n * words.length, 1) : 1;
}

function check(body) {
  if (!Number.isInteger(body.count) || body.count < 1 || body.count > 500) return "Ask for 1 to 500 images.";
  if (!body.orientations.length) return "Choose at least one orientation.";
  if (body.matrix && body.favorite) return "Use the favorite or the matrix, not both.";
  const favorites = favoritesOf(body);
  if (favorites > MAX_FAVORITES) return `The matrix makes ${favorites} favorites; at most ${MAX_FAVORITES}.`;
  if (favorites * body.count * body.orientations.length > MAX_IMAGES) {
    return `That is ${favorites * body.count * body.orientations.length} images; one job makes at most ${MAX_IMAGES}.`;
  }
  return "";
}

// "2 favorites × 4 × 2 orientations = 16 images", updated as the operator types
function describe(form, output) {
  const body = bulkBody(form);
  const favorites = favoritesOf(body);
  const total = favorites * (body.count || 0) * body.orientations.length;
  output.textContent = body.matrix
    ? `${favorites} favorite${favorites === 1 ? "" : "s"} × ${body.count || 0} × ${body.orientations.length} orientation${body.orientations.length === 1 ? "" : "s"} = ${total} images`
    : "";
}

export function setupBulk({ form, error, adminKey, onStarted, onAuthError }) {
  const preview = $("#bulk-matrix-total", form);
  if (preview) form.addEventListener("input", () => describe(form, preview));
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
