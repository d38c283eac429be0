// The operator's desk: unlock with the admin key, then overview, bulk growing and review.
import { ApiError, overview } from "../api.js";
import { $, $$, h } from "../dom.js";
import { EMOTIONS, titleCase } from "../words.js";
import { setupBulk } from "./bulk.js";
import { RecentJobs } from "./jobs.js";
import { clearKey, getKey, setKey } from "./key.js";
import { renderOverview } from "./overview.js";
import { Review } from "./review.js";

const lock = $("#lock");
const desk = $("#desk");
const lockError = $("#lock-error");


for (const select of $$("select[data-emotions]")) {
  select.replaceChildren(...EMOTIONS.map((e) => h("option", { value: e, text: titleCase(e) })));
}

function showLock(message) {
  desk.hidden = true;
  lock.hidden = false;
  lockError.textContent = message || "";
  lockError.hidden = !message;
  $("#admin-key").value = "";
  $("#admin-key").focus();
}

// A 401/403 anywhere means the key is missing or wrong: forget it and ask again.
function onAuthError(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    clearKey();
    showLock("That key was not accepted. Please enter it again.");
    return true;
  }
  return false;
}

async function refreshOverview() {
  try {
    renderOverview($("#overview-rows"), $("#overview-summary"), await overview(getKey()));
  } catch (error) {
    if (!onAuthError(error)) $("#overview-summary").textContent = `The overview could not load: ${error.message}`;
  }
}

const review = new Review({
  grid: $("#pool"), emotion: $("#review-emotion"), area: $("#review-area"), selectAll: $("#select-all"),
  publishButton: $("#publish"), removeButton: $("#remove"), message: $("#review-message"), more: $("#more"),
}, { adminKey: getKey, onChanged: refreshOverview, onAuthError });

// Recent jobs come from the server: a reload, or a second desk, loses none of them
const recent = new RecentJobs({
  list: $("#jobs"), message: $("#jobs-message"), adminKey: getKey, onAuthError,
  onSettled: (job) => {
    refreshOverview();
    const emotion = (job.request || {}).emotion;
    if ($("#review-emotion").value === emotion && $("#review-area").value === "pool") review.load();
  },
});
setupBulk({
  form: $("#bulk-form"), error: $("#bulk-error"), adminKey: getKey, onAuthError,
  onStarted: () => recent.refresh(),
});
// the review follows the emotion being grown, so new images are where the operator looks next
$("#bulk-emotion").addEventListener("change", () => {
  $("#review-emotion").value = $("#bulk-emotion").value;
  review.load();
});

async function enter(key) {
  let data;
  try {
    data = await overview(key);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      clearKey();
      showLock("That key was not accepted.");
    } else {
      showLock(`The garden could not be reached: ${error.message}`);
    }
    return;
  }
  setKey(key);
  lock.hidden = true;
  desk.hidden = false;
  renderOverview($("#overview-rows"), $("#overview-summary"), data);
  $("#review-emotion").value = $("#bulk-emotion").value;
  review.load();
  await recent.refresh();
  document.body.dataset.ready = "true";
}

$("#lock-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("#admin-key").value.trim();
  if (!key) {
    showLock("Enter the admin key.");
    return;
  }
  enter(key);
});
$("#lock-again").addEventListener("click", () => {
  clearKey();
  recent.stop("not followed while locked");
  showLock("");
});

if (getKey()) enter(getKey());
else showLock("");
