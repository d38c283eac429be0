// Text to image: a prompt goes to POST /text2image; the job is polled at /jobs/{id} and
// each image is shown the moment it lands, each failure next to where its image would be.
import { ApiError, FINAL_STATUSES, followJob, startText2Image } from "./api.js";
import { $, h } from "./dom.js";

const form = $("#prompt-form");
const prompt = $("#prompt");
const size = $("#size");
const count = $("#count");
const grow = $("#grow");
const formError = $("#form-error");
const run = $("#run");
const runTitle = $("#run-title");
const runStatus = $("#run-status");
const progress = $("#run-progress");
const results = $("#results");
const errorsList = $("#run-errors");
let current = 0;   // the run on screen; answers for an older run are dropped

function showFormError(message) {
  formError.textContent = message;
  formError.hidden = !message;
}

function placeholders(total, width, height) {
  results.replaceChildren();
  for (let i = 0; i < total; i += 1) {
    const tile = h("li", { class: "tile waiting", dataset: { index: String(i) } },
      h("span", { class: "tile-note", text: "painting…" }));
    tile.style.aspectRatio = `${width} / ${height}`;
    results.append(tile);
  }
}

function render(view, words) {
  const requested = view.requested || results.children.length;
  const images = view.images || [];
  const errors = view.errors || [];
  const tiles = [...results.children];
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
    const img = h("img", { src: image.url, alt: `Painted from the prompt: ${words}`, width: image.width, height: image.height });
    img.addEventListener("load", () => tile.classList.add("loaded"), { once: true });
    const caption = h("p", { class: "tile-caption" },
      h("a", { href: image.url, target: "_blank", rel: "noopener", text: "open" }),
      h("span", { text: ` ${image.width}×${image.height} · ${String(image.endpoint || "painter").replace(/:$/, "")}${image.seconds != null ? ` · ${Number(image.seconds).toFixed(1)} s` : ""}` }));
    tile.replaceChildren(img, caption);
  }
  // failures take waiting tiles too and say why
  const shownFailures = tiles.filter((tile) => tile.classList.contains("failed")).length;
  for (const error of errors.slice(shownFailures)) {
    const tile = nextFree();
    if (!tile) break;
    tile.classList.remove("waiting");
    tile.classList.add("failed");
    tile.replaceChildren(h("span", { class: "tile-note", text: `${error.error || "Error"}: ${error.message || "this image could not be painted"}` }));
  }
  errorsList.replaceChildren(...errors.map((error) => h("li", {},
    h("strong", { text: error.endpoint || "endpoint" }), ` — ${error.error || "Error"}: ${error.message || ""}`)));
  errorsList.hidden = errors.length === 0;
  const done = images.length + errors.length;
  progress.max = Math.max(1, requested);
  progress.value = Math.min(done, requested);
  const final = FINAL_STATUSES.has(view.status);
  if (final) {
    for (const tile of tiles.filter((t) => t.classList.contains("waiting"))) {
      tile.classList.remove("waiting");
      tile.classList.add("failed");
      tile.replaceChildren(h("span", { class: "tile-note", text: "not painted" }));
    }
  }
  run.dataset.status = view.status || "RUNNING";
  runTitle.textContent = final ? ({ SUCCEEDED: "Done", PARTIAL: "Partly done", FAILED: "Nothing could be painted" })[view.status] : "Painting";
  runStatus.textContent = `${images.length} of ${requested} ready${errors.length ? `, ${errors.length} failed` : ""}`;
}

// The page stopped hearing from a job it started: what arrived stays on screen, the tiles
// still waiting say they are unknown, and the message says why.
function lostTrack(message) {
  run.dataset.status = "LOST";
  runTitle.textContent = "Lost track of the painters";
  const shown = results.querySelectorAll(".tile[data-key]").length;
  runStatus.textContent = `${shown} of ${results.children.length} shown before the garden stopped answering (${message}). Try again in a moment.`;
  for (const tile of results.querySelectorAll(".tile.waiting")) {
    tile.classList.remove("waiting");
    tile.classList.add("failed");
    tile.replaceChildren(h("span", { class: "tile-note", text: "not heard from" }));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showFormError("");
  const text = prompt.value.trim();
  if (!text) {
    showFormError("Write a few words for the painters first.");
    prompt.focus();
    return;
  }
  const number = Number(count.value);
  if (!Number.isInteger(number) || number < 1 || number > 16) {
    showFormError("Ask for 1 to 16 images.");
    count.focus();
    return;
  }
  const [width, height] = size.value.split("x").map(Number);
  const mine = ++current;
  grow.disabled = true;
  run.hidden = false;
  run.dataset.status = "RUNNING";
  runTitle.textContent = "Painting";
  runStatus.textContent = "Sending your words to the painters…";
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
    const message = error instanceof ApiError ? error.message : "Something went wrong; please try again.";
    if (jobId) {
      // the job was started and may still be painting: keep every image already shown
      lostTrack(message);
      return;
    }
    run.dataset.status = "FAILED";
    runTitle.textContent = "Nothing could be painted";
    runStatus.textContent = "";
    results.replaceChildren();
    showFormError(message);
  } finally {
    if (mine === current) grow.disabled = false;
  }
});
