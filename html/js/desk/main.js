// @ts-check
// The operator's desk: unlock with the admin key, then overview, bulk growing, review and
// the display zones.
import { ApiError, overview } from "../shared/api.js";
import { $, $$, h } from "../shared/dom.js";
import { keepLanguageInLinks, language, languageHref, localize } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";
import { emotionName, EMOTIONS } from "../shared/words.js";
import { setupBulk } from "./bulk.js";
import { HeldByModeration } from "./held.js";
import { RecentJobs } from "./jobs.js";
import { clearKey, getKey, setKey } from "./key.js";
import { renderOverview } from "./overview.js";
import { Review } from "./review.js";
import { Zones } from "./zones.js";

// the desk in the operator's language (?lang=, else the browser's), its links keeping the choice
const t = localize(strings);
keepLanguageInLinks();
for (const link of /** @type {HTMLAnchorElement[]} */ ($$(".lang-switch a[data-lang]"))) {
  link.href = languageHref(/** @type {string} */ (link.dataset.lang));
  if (link.dataset.lang === language()) link.setAttribute("aria-current", "true");
}

const lock = $("#lock");
const desk = $("#desk");
const lockError = $("#lock-error");
const adminKeyInput = () => /** @type {HTMLInputElement} */ ($("#admin-key"));
/** @param {string} selector  a <select> of the desk's own markup */
const select = (selector) => /** @type {HTMLSelectElement} */ ($(selector));


for (const select of $$("select[data-emotions]")) {
  select.replaceChildren(...EMOTIONS.map((e) => h("option", { value: e, text: emotionName(e) })));
}

/** @param {string} message */
function showLock(message) {
  desk.hidden = true;
  lock.hidden = false;
  lockError.textContent = message || "";
  lockError.hidden = !message;
  adminKeyInput().value = "";
  adminKeyInput().focus();
}

// A 401/403 anywhere means the key is missing or wrong: forget it and ask again.
/** @type {import("./key.js").OnAuthError} */
function onAuthError(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    clearKey();
    showLock(t("keyRejectedAgain"));
    return true;
  }
  return false;
}

async function refreshOverview() {
  try {
    const data = await overview(getKey());
    renderOverview($("#overview-rows"), $("#overview-summary"), data);
    review.knowFavorites(data);
  } catch (error) {
    if (!onAuthError(error)) $("#overview-summary").textContent = t("overviewFailed", { message: /** @type {Error} */ (error).message });
  }
}

const review = new Review({
  grid: $("#pool"), emotion: $("#review-emotion"), area: $("#review-area"), selectAll: $("#select-all"),
  publishButton: $("#publish"), removeButton: $("#remove"), message: $("#review-message"), more: $("#more"),
  favorite: $("#review-favorite"), publishAll: $("#publish-all"), removeAll: $("#remove-all"), wholeNote: $("#whole-pool-note"),
  keysButton: /** @type {HTMLButtonElement} */ ($("#review-keys")),
}, { adminKey: getKey, onChanged: refreshOverview, onAuthError });

// Recent jobs come from the server: a reload, or a second desk, loses none of them
const recent = new RecentJobs({
  list: $("#jobs"), message: $("#jobs-message"), adminKey: getKey, onAuthError,
  onSettled: (/** @type {import("../shared/api.js").Json} */ job) => {
    refreshOverview();
    const emotion = (job.request || {}).emotion;
    if (select("#review-emotion").value === emotion && select("#review-area").value === "pool") review.load();
  },
});
// text-to-image images the moderation held, blurred until the operator looks
const held = new HeldByModeration({ list: $("#held-jobs"), message: $("#held-message"),
  again: /** @type {HTMLButtonElement} */ ($("#held-again")) }, { adminKey: getKey, onAuthError });
// what each wall screen shows
const zones = new Zones({ panel: $("#zones"), list: $("#zone-list"), message: $("#zones-message"), add: $("#zone-add") },
  { adminKey: getKey, onAuthError });
setupBulk({
  form: $("#bulk-form"), error: $("#bulk-error"), adminKey: getKey, onAuthError, plan: /** @type {HTMLElement} */ ($("#bulk-plan")),
  onStarted: () => recent.refresh(),
});
// the review follows the emotion being grown, so new images are where the operator looks next
$("#bulk-emotion").addEventListener("change", () => {
  select("#review-emotion").value = select("#bulk-emotion").value;
  review.load();
});

/** @param {string} key */
async function enter(key) {
  /** @type {import("../shared/api.js").Json} */
  let data;
  try {
    data = await overview(key);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      clearKey();
      showLock(t("keyRejected"));
    } else {
      showLock(t("unreachable", { message: /** @type {Error} */ (error).message }));
    }
    return;
  }
  setKey(key);
  lock.hidden = true;
  desk.hidden = false;
  renderOverview($("#overview-rows"), $("#overview-summary"), data);
  select("#review-emotion").value = select("#bulk-emotion").value;
  review.knowFavorites(data);
  review.load();
  await Promise.all([recent.refresh(), zones.load(), held.load()]);
  document.body.dataset.ready = "true";
}

$("#lock-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = adminKeyInput().value.trim();
  if (!key) {
    showLock(t("enterKey"));
    return;
  }
  enter(key);
});
$("#lock-again").addEventListener("click", () => {
  clearKey();
  recent.stop(t("notFollowed"));
  showLock("");
});

if (getKey()) enter(getKey());
else showLock("");
