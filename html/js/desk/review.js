// @ts-check
// Review: the pool (or the published garden) of one emotion as a grid of selectable images,
// with select-all, publish and remove. Remove asks for a second press, never a dialog.
import { fetchGarden, listPool, publish, remove } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatDate, formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";
import { emotionName } from "../shared/words.js";

const t = translator(strings);

const CONFIRM_MS = 5000;

/** @typedef {import("../shared/api.js").Json} Json */
/**
 * An image of the pool or the garden as GET /pool and GET /garden list it.
 * @typedef {object} PoolItem
 * @property {string} key
 * @property {string} url
 * @property {string} [orientation]
 * @property {string} [favorite]
 * @property {string} [createdAt]
 * @property {Json} [provenance]   what made it: prompt, seed, endpoint, width, height, createdAt
 */
/**
 * The review's elements (the desk's own markup).
 * @typedef {object} ReviewParts
 * @property {HTMLElement} grid
 * @property {HTMLSelectElement} emotion
 * @property {HTMLSelectElement} area
 * @property {HTMLInputElement} selectAll
 * @property {HTMLButtonElement} publishButton
 * @property {HTMLButtonElement} removeButton
 * @property {HTMLElement} message
 * @property {HTMLButtonElement} more
 * @property {HTMLDialogElement} [viewer]
 */

// Where an image is shown from: the one place thumbnails and the large view get their URL.
/** @param {PoolItem} item */
export function imageUrl(item) {
  return item.url;
}

/** @param {PoolItem} item */
function orientationOf(item) {
  return item.orientation || (item.key.endsWith("v.jpeg") ? "portrait" : "landscape");
}

/** @param {PoolItem} item */
function endpointOf(item) {
  const endpoint = item.provenance && item.provenance.endpoint;
  return endpoint ? String(endpoint).replace(/:$/, "") : "";
}

/**
 * The moderation's mark on an image (from its provenance): flagged or unchecked, and its labels.
 * @param {PoolItem} item
 * @returns {{status: string, labels: string[]} | null}
 */
export function moderationOf(item) {
  const mark = item.provenance && item.provenance.moderation;
  if (!mark || typeof mark !== "object") return null;
  return { status: String(mark.status || "flagged"), labels: Array.isArray(mark.labels) ? mark.labels.map(String) : [] };
}

/** @param {PoolItem} item */
function describe(item) {
  return [t(orientationOf(item)), item.favorite].filter(Boolean).join(" · ");
}

/** @param {PoolItem} item */
function sizeOf(item) {
  const p = item.provenance || {};
  return p.width && p.height ? `${p.width} × ${p.height}` : "";
}

export class Review {
  /**
   * @param {ReviewParts} els
   * @param {{adminKey: import("./key.js").AdminKey, onChanged: () => void,
   *          onAuthError: import("./key.js").OnAuthError}} hooks
   */
  constructor(els, { adminKey, onChanged, onAuthError }) {
    this.grid = els.grid;
    this.emotion = els.emotion;
    this.area = els.area;
    this.selectAll = els.selectAll;
    this.publishButton = els.publishButton;
    this.removeButton = els.removeButton;
    this.message = els.message;
    this.more = els.more;
    this.viewer = els.viewer || /** @type {HTMLDialogElement} */ (document.getElementById("viewer"));   // the large view, a <dialog>
    this.adminKey = adminKey;
    this.onChanged = onChanged;
    this.onAuthError = onAuthError;
    /** @type {string | null} */
    this.cursor = null;
    this.loads = 0;   // the newest load's number
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.confirmTimer = null;
    this.selectAll.addEventListener("change", () => {
      // select-all never takes an image the moderation marked: each is chosen on its own
      for (const box of this.boxes()) box.checked = this.selectAll.checked && !box.dataset.flagged;
      this.sync();
    });
    this.grid.addEventListener("change", () => this.sync());
    this.emotion.addEventListener("change", () => this.load());
    this.area.addEventListener("change", () => this.load());
    this.more.addEventListener("click", () => this.load(true));
    this.publishButton.addEventListener("click", () => this.act("publish"));
    this.removeButton.addEventListener("click", () => this.confirmRemove());
  }

  /** @returns {HTMLInputElement[]} */
  boxes() {
    return [.../** @type {NodeListOf<HTMLInputElement>} */ (this.grid.querySelectorAll("input[type=checkbox]"))];
  }

  selected() {
    return this.boxes().filter((box) => box.checked).map((box) => box.value);
  }

  sync() {
    const boxes = this.boxes().filter((box) => !box.dataset.flagged);
    const chosen = this.selected().length;
    this.selectAll.checked = boxes.length > 0 && chosen === boxes.length;
    this.selectAll.indeterminate = chosen > 0 && chosen < boxes.length;
    this.selectAll.disabled = boxes.length === 0;
    const inPool = this.area.value === "pool";
    this.publishButton.hidden = !inPool;
    this.publishButton.disabled = chosen === 0;
    this.publishButton.textContent = chosen ? t("publishN", { count: formatNumber(chosen) }) : t("publish");
    this.resetRemove(chosen);
  }

  /** @param {number} [chosen] */
  resetRemove(chosen = this.selected().length) {
    clearTimeout(this.confirmTimer ?? undefined);
    this.removeButton.dataset.confirm = "";
    this.removeButton.disabled = chosen === 0;
    this.removeButton.textContent = chosen ? t("removeN", { count: formatNumber(chosen) }) : t("remove");
  }

  /**
   * @param {string} text
   * @param {"" | "good" | "bad"} [tone]
   */
  say(text, tone = "") {
    this.message.textContent = text;
    this.message.className = `message ${tone}`.trim();
  }

  // Loads overlap (the emotion changes while a page is on its way, a bulk job settles): only
  // the newest load's answer is shown, and the grid is cleared only when it arrives, so one
  // emotion's images never land among another's.
  /** @param {boolean} [append]  the next page after those shown */
  async load(append = false) {
    const token = ++this.loads;
    const emotion = this.emotion.value;
    const area = this.area.value;
    const cursor = append ? this.cursor : null;
    this.more.hidden = true;
    /** @type {Json} */
    let page;
    try {
      page = area === "pool"
        ? await listPool(this.adminKey(), { emotion, cursor: cursor || undefined, limit: 48 })
        : await fetchGarden(emotion, { limit: 48, cursor: cursor || undefined });
    } catch (failure) {
      if (token !== this.loads) return;
      if (!append) {  // never leave another emotion's images under this one's name
        this.cursor = null;
        this.grid.replaceChildren();
        this.sync();
      }
      this.more.hidden = !this.cursor;
      if (!this.onAuthError(failure)) this.say(/** @type {Error} */ (failure).message, "bad");
      return;
    }
    if (token !== this.loads) return;
    /** @type {PoolItem[]} */
    const items = [...(page.landscape || []), ...(page.portrait || [])];
    this.cursor = page.cursor || null;
    this.more.hidden = !this.cursor;
    const pool = area === "pool";
    const name = emotionName(emotion);
    const cards = items.map((item) => this.card(item));
    if (append) this.grid.append(...cards);
    else this.grid.replaceChildren(...cards);
    const count = `${formatNumber(this.grid.children.length)}${this.cursor ? "+" : ""}`;
    if (!this.grid.children.length) this.say(t(pool ? "emptyPool" : "emptyGarden", { emotion: name }));
    else this.say(t(pool ? "countPool" : "countGarden", { count, emotion: name }));
    this.sync();
  }

  // A card: the checkbox selects, the picture opens the large view; the endpoint's name is
  // shown whole (it wraps), never cut.
  /**
   * @param {PoolItem} item
   * @returns {HTMLLIElement}
   */
  card(item) {
    const label = describe(item);
    const prompt = item.provenance && item.provenance.prompt;
    const endpoint = endpointOf(item);
    const mark = moderationOf(item);
    // an image the moderation marked stays behind a click: its labels first, the picture on opening
    const face = mark
      ? h("span", { class: "flag-note", text: t("flaggedNote", { labels: mark.labels.join(", ") || t(mark.status === "unchecked" ? "unchecked" : "flagged") }) })
      : h("img", { src: imageUrl(item), alt: prompt ? t("poolImage", { prompt }) : t("poolImageKey", { key: item.key }), loading: "lazy" });
    return h("li", { class: mark ? "pool-card flagged" : "pool-card", dataset: { key: item.key, orientation: orientationOf(item) } },
      h("button", { type: "button", class: "peek", title: t("openLarge"), "aria-label": t("openLargeOf", { label }),
        onclick: () => this.open(item) }, face),
      h("label", { class: "pick" },
        h("input", { type: "checkbox", value: item.key, "aria-label": t("selectOf", { label }),
          dataset: mark ? { flagged: mark.status } : {} }),
        h("span", { class: "meta" }, h("span", { text: label }),
          endpoint ? h("span", { class: "endpoint", text: endpoint }) : null)));
  }

  // The image large, with what made it: prompt, seed, endpoint and size.
  /** @param {PoolItem} item */
  open(item) {
    const p = item.provenance || {};
    const made = p.createdAt || item.createdAt;
    const rows = [[t("rowPrompt"), p.prompt], [t("rowSeed"), p.seed], [t("rowEndpoint"), endpointOf(item)], [t("rowSize"), sizeOf(item)],
      [t("rowKey"), item.key], [t("rowMade"), made ? formatDate(made) : made]];
    const mark = moderationOf(item);
    if (mark) rows.unshift([t("rowModeration"), `${t(mark.status === "unchecked" ? "unchecked" : "flagged")}${mark.labels.length ? `: ${mark.labels.join(", ")}` : ""}`]);
    const publishThis = mark && this.area.value === "pool"
      ? h("button", { type: "button", class: "button", text: t("publishFlagged"), onclick: () => { this.viewer.close(); this.act("publish", [item.key]); } })
      : null;
    this.viewer.replaceChildren(
      h("figure", { class: "viewer-figure" },
        h("img", { src: imageUrl(item), alt: p.prompt ? t("poolImage", { prompt: p.prompt }) : t("poolImageKey", { key: item.key }) }),
        h("figcaption", {},
          h("dl", { class: "provenance" }, rows.filter(([, value]) => value !== undefined && value !== null && value !== "")
            .flatMap(([name, value]) => [h("dt", { text: name }), h("dd", { text: String(value) })])))),
      h("form", { method: "dialog", class: "viewer-actions" },
        publishThis,
        h("button", { type: "submit", class: "button quiet", text: t("close"), autofocus: true })));
    this.viewer.showModal();
  }

  confirmRemove() {
    if (this.removeButton.dataset.confirm !== "yes") {
      this.removeButton.dataset.confirm = "yes";
      this.removeButton.textContent = t("reallyRemove", { count: formatNumber(this.selected().length) });
      clearTimeout(this.confirmTimer ?? undefined);
      this.confirmTimer = setTimeout(() => this.resetRemove(), CONFIRM_MS);
      return;
    }
    this.act("remove");
  }

  /**
   * @param {"publish" | "remove"} what
   * @param {string[]} [flagged]   one marked image, published after it was viewed
   */
  async act(what, flagged = []) {
    const keys = flagged.length ? flagged : this.selected();
    if (!keys.length) return;
    this.publishButton.disabled = true;
    this.removeButton.disabled = true;
    /** @type {Json} */
    let answer;
    try {
      answer = what === "publish" ? await publish(this.adminKey(), keys, flagged) : await remove(this.adminKey(), keys);
    } catch (failure) {
      if (!this.onAuthError(failure)) this.say(/** @type {Error} */ (failure).message, "bad");
      this.sync();
      return;
    }
    /** @type {Json[]} */
    const failed = (answer.results || []).filter((/** @type {Json} */ r) => r.status !== 200);
    const done = formatNumber(answer.succeeded ?? keys.length - failed.length);
    const text = t(what === "publish" ? "published" : "removed", { done, total: formatNumber(keys.length) })
      + (failed.length ? t("notDone", { list: failed.map((r) => `${r.key} (${r.message || r.status})`).join("; ") }) : "");
    await this.load();
    this.say(text, failed.length ? "bad" : "good");
    this.onChanged();
  }
}
