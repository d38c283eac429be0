// @ts-check
// Review: the pool (or the published garden) of one emotion, and of one favorite when chosen,
// as a grid of selectable images, with select-all, publish and remove; and the whole pool at
// once, after its count is shown. Remove, and the whole pool, ask for a second press, never a
// dialog. Select-all and the whole pool never take an image the moderation marked.
import { listPool, poolKeys, publish, remove } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatDate, formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";
import { emotionName } from "../shared/words.js";
import { commandOf, deck, due, step, verdictOf } from "./review-plan.js";

const t = translator(strings);

const CONFIRM_MS = 5000;
const WHOLE_CONFIRM_MS = 10000;   // time to read the whole pool's count before the second press
const WHOLE_BATCH = 50;           // keys per request when the whole pool is acted on
const DUE_POLL_MS = 500;          // how often the keyboard review sends the decisions due

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
 * @property {HTMLSelectElement} favorite   every favorite ("") or one
 * @property {HTMLButtonElement} publishAll
 * @property {HTMLButtonElement} removeAll
 * @property {HTMLElement} wholeNote
 * @property {HTMLInputElement} selectAll
 * @property {HTMLButtonElement} publishButton
 * @property {HTMLButtonElement} removeButton
 * @property {HTMLElement} message
 * @property {HTMLButtonElement} more
 * @property {HTMLDialogElement} [viewer]
 * @property {HTMLButtonElement} [keysButton]   starts the keyboard review at the first image
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
    this.favorite = els.favorite;
    this.publishAll = els.publishAll;
    this.removeAll = els.removeAll;
    this.wholeNote = els.wholeNote;
    /** @type {Record<string, {favorite: string, published: number, pool: number}[]>} */
    this.favoriteRows = {};
    /** @type {{what: "publish" | "remove", keys: string[], scope: string} | null} */
    this.whole = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.wholeTimer = null;
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
    this.emotion.addEventListener("change", () => { this.fillFavorites(); this.load(); });
    this.area.addEventListener("change", () => { this.fillFavorites(); this.load(); });
    this.favorite.addEventListener("change", () => this.load());
    this.publishAll.addEventListener("click", () => this.wholePool("publish"));
    this.removeAll.addEventListener("click", () => this.wholePool("remove"));
    this.more.addEventListener("click", () => this.load(true));
    // keyboard review: the large view walks the images shown (review-plan.js decides)
    /** @type {PoolItem[]} */
    this.items = [];
    /** @type {import("./review-plan.js").Deck | null} */
    this.walk = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.duePoll = null;
    this.walkChanged = false;
    this.sending = Promise.resolve();
    this.viewer.addEventListener("keydown", (event) => this.onKey(event));
    this.viewer.addEventListener("close", () => this.endWalk());
    els.keysButton?.addEventListener("click", () => { if (this.items.length) this.open(this.items[0]); });
    this.publishButton.addEventListener("click", () => this.act("publish"));
    this.removeButton.addEventListener("click", () => this.confirmRemove());
  }

  // The favorites of each emotion (from the overview), offered in the favorite filter with
  // their counts in the area shown; the one chosen stays chosen while it is offered.
  /** @param {Json} overviewData  GET /admin/overview's answer */
  knowFavorites(overviewData) {
    for (const row of overviewData.emotions || []) this.favoriteRows[row.emotion] = row.favorites || [];
    this.fillFavorites();
  }

  fillFavorites() {
    const chosen = this.favorite.value;
    const inPool = this.area.value === "pool";
    const rows = (this.favoriteRows[this.emotion.value] || []).filter((r) => (inPool ? r.pool : r.published) > 0 || r.favorite === chosen);
    const first = this.favorite.options[0] || h("option", { value: "", text: t("everyFavorite") });
    this.favorite.replaceChildren(first, ...rows.map((r) => h("option", { value: r.favorite,
      text: `${r.favorite} (${formatNumber(inPool ? r.pool : r.published)})` })));
    this.favorite.value = rows.some((r) => r.favorite === chosen) ? chosen : "";
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
    this.resetWhole();
  }

  // --- the whole pool --------------------------------------------------------------------
  scope() {
    return `${this.emotion.value}/${this.favorite.value}`;
  }

  resetWhole() {
    clearTimeout(this.wholeTimer ?? undefined);
    this.whole = null;
    const inPool = this.area.value === "pool";
    for (const [button, name] of /** @type {const} */ ([[this.publishAll, "publishAll"], [this.removeAll, "removeAll"]])) {
      button.hidden = !inPool;
      button.disabled = inPool && this.grid.children.length === 0;
      button.dataset.confirm = "";
      button.textContent = t(name);
    }
    this.wholeNote.textContent = "";
  }

  // First press: count the whole pool of this emotion (and favorite) and say what the second
  // press will do; second press (within WHOLE_CONFIRM_MS, same pool): do it to those keys —
  // the ones counted, never an image that landed since.
  /** @param {"publish" | "remove"} what */
  async wholePool(what) {
    const button = what === "publish" ? this.publishAll : this.removeAll;
    if (this.whole && this.whole.what === what && this.whole.scope === this.scope() && button.dataset.confirm === "yes") {
      const keys = this.whole.keys;
      this.resetWhole();
      await this.actOnWhole(what, keys);
      return;
    }
    this.resetWhole();
    const scope = this.scope();
    button.disabled = true;
    /** @type {Json} */
    let whole;
    try {
      whole = await poolKeys(this.adminKey(), { emotion: this.emotion.value, favorite: this.favorite.value || undefined });
    } catch (failure) {
      this.resetWhole();
      if (!this.onAuthError(failure)) this.say(/** @type {Error} */ (failure).message, "bad");
      return;
    }
    if (scope !== this.scope()) return;   // the emotion or favorite changed meanwhile
    button.disabled = false;
    /** @type {string[]} */
    const keys = whole.keys || [];
    const note = [whole.marked ? t("wholeMarked", { count: formatNumber(whole.marked) }) : "",
      whole.truncated ? t("wholeTruncated", { count: formatNumber(keys.length) }) : ""].filter(Boolean).join(" ");
    this.wholeNote.textContent = note;
    if (!keys.length) {
      this.say(t("wholeNothing"));
      return;
    }
    this.whole = { what, keys, scope };
    button.dataset.confirm = "yes";
    button.textContent = t(what === "publish" ? "reallyPublishAll" : "reallyRemoveAll", { count: formatNumber(keys.length) });
    this.wholeTimer = setTimeout(() => this.resetWhole(), WHOLE_CONFIRM_MS);
  }

  /**
   * @param {"publish" | "remove"} what
   * @param {string[]} keys
   */
  async actOnWhole(what, keys) {
    for (const button of [this.publishButton, this.removeButton, this.publishAll, this.removeAll]) button.disabled = true;
    let done = 0;
    /** @type {Json[]} */
    const failed = [];
    for (let at = 0; at < keys.length; at += WHOLE_BATCH) {
      this.say(t(what === "publish" ? "publishingAll" : "removingAll", { done: formatNumber(at), total: formatNumber(keys.length) }));
      const batch = keys.slice(at, at + WHOLE_BATCH);
      /** @type {Json} */
      let answer;
      try {
        answer = what === "publish" ? await publish(this.adminKey(), batch) : await remove(this.adminKey(), batch);
      } catch (failure) {
        if (!this.onAuthError(failure)) {
          await this.load();
          this.say(t(what === "publish" ? "published" : "removed", { done: formatNumber(done), total: formatNumber(keys.length) })
            + t("notDone", { list: /** @type {Error} */ (failure).message }), "bad");
          this.onChanged();
        }
        return;
      }
      const results = answer.results || [];
      failed.push(...results.filter((/** @type {Json} */ r) => r.status !== 200));
      done += answer.succeeded ?? results.filter((/** @type {Json} */ r) => r.status === 200).length;
    }
    await this.load();
    this.say(t(what === "publish" ? "published" : "removed", { done: formatNumber(done), total: formatNumber(keys.length) })
      + (failed.length ? t("notDone", { list: failed.slice(0, 10).map((r) => `${r.key} (${r.message || r.status})`).join("; ") }) : ""),
    failed.length ? "bad" : "good");
    this.onChanged();
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
    const favorite = this.favorite.value || undefined;
    const cursor = append ? this.cursor : null;
    this.more.hidden = true;
    /** @type {Json} */
    let page;
    try {
      page = await listPool(this.adminKey(), { emotion, favorite, area: area === "pool" ? undefined : "garden",
        cursor: cursor || undefined, limit: 48 });
    } catch (failure) {
      if (token !== this.loads) return;
      if (!append) {  // never leave another emotion's images under this one's name
        this.cursor = null;
        this.items = [];
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
    const name = [emotionName(emotion), favorite].filter(Boolean).join(" · ");
    const cards = items.map((item) => this.card(item));
    this.items = append ? [...this.items, ...items] : items;
    if (append) this.grid.append(...cards);
    else this.grid.replaceChildren(...cards);
    const count = formatNumber(typeof page.total === "number" ? page.total : this.grid.children.length);
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

  // The image large, with what made it: prompt, seed, endpoint and size; from there the
  // keyboard walks the images shown (the keys are listed under the image).
  /** @param {PoolItem} item */
  open(item) {
    const at = Math.max(this.items.findIndex((i) => i.key === item.key), 0);
    const items = this.items.length ? this.items : [item];
    if (!this.walk) {
      this.walk = deck(items.map((i) => ({ key: i.key, marked: Boolean(moderationOf(i)) })), at, this.area.value === "pool");
      this.walkChanged = false;
      this.duePoll = setInterval(() => this.send(), DUE_POLL_MS);
    } else {
      this.walk = { ...this.walk, at };
    }
    this.show("");
    if (!this.viewer.open) this.viewer.showModal();
  }

  /** @param {import("./review-plan.js").Note} note */
  show(note) {
    if (!this.walk) return;
    const item = this.items.find((i) => i.key === this.walk?.cards[this.walk.at].key) || this.items[0];
    if (!item) return;
    const p = item.provenance || {};
    const made = p.createdAt || item.createdAt;
    const rows = [[t("rowPrompt"), p.prompt], [t("rowSeed"), p.seed], [t("rowEndpoint"), endpointOf(item)], [t("rowSize"), sizeOf(item)],
      [t("rowKey"), item.key], [t("rowMade"), made ? formatDate(made) : made]];
    const mark = moderationOf(item);
    if (mark) rows.unshift([t("rowModeration"), `${t(mark.status === "unchecked" ? "unchecked" : "flagged")}${mark.labels.length ? `: ${mark.labels.join(", ")}` : ""}`]);
    const verdict = verdictOf(this.walk, item.key);
    const publishThis = mark && this.area.value === "pool" && !verdict
      ? h("button", { type: "button", class: "button", text: t("publishFlagged"), onclick: () => this.command("publish") })
      : null;
    const state = verdict ? t(`${verdict.what}${verdict.sent ? "Sent" : "Waiting"}`) : "";
    this.viewer.replaceChildren(
      h("figure", { class: "viewer-figure", tabindex: "-1", autofocus: true },
        h("img", { src: imageUrl(item), alt: p.prompt ? t("poolImage", { prompt: p.prompt }) : t("poolImageKey", { key: item.key }) }),
        h("figcaption", {},
          h("p", { class: "walk-position", text: t("walkPosition", { n: formatNumber(this.walk.at + 1), total: formatNumber(this.walk.cards.length) }) }),
          h("p", { class: `walk-verdict${verdict ? ` ${verdict.what}` : ""}`, role: "status", text: [state, note ? t(`walk_${note}`) : ""].filter(Boolean).join(" ") }),
          h("dl", { class: "provenance" }, rows.filter(([, value]) => value !== undefined && value !== null && value !== "")
            .flatMap(([name, value]) => [h("dt", { text: name }), h("dd", { text: String(value) })])),
          h("p", { class: "keys-help status", text: t(this.walk.canPublish ? "keysHelp" : "keysHelpGarden") }))),
      h("form", { method: "dialog", class: "viewer-actions" },
        publishThis,
        h("button", { type: "submit", class: "button quiet", text: t("close") })));
    /** @type {HTMLElement | null} */ (this.viewer.querySelector(".viewer-figure"))?.focus();
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const field = ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
    const onButton = target.tagName === "BUTTON" && (event.key === "Enter" || event.key === " ");
    const command = commandOf({ key: event.key, ctrlKey: event.ctrlKey, metaKey: event.metaKey, altKey: event.altKey,
      shiftKey: event.shiftKey, editing: field || onButton });
    if (!command || !this.walk) return;
    event.preventDefault();
    this.command(command);
  }

  /** @param {import("./review-plan.js").Command} command */
  command(command) {
    if (!this.walk) return;
    const { deck: next, note } = step(this.walk, command, Date.now());
    this.walk = next;
    this.show(note);
  }

  // Send the decisions that waited long enough (all of them when the view closes): one
  // publish and one remove request at most, one after another; the images sent leave the grid.
  /** @param {number} [graceMs] */
  send(graceMs) {
    if (!this.walk) return this.sending;
    const { deck: next, batch } = due(this.walk, Date.now(), graceMs);
    this.walk = next;
    if (!batch) return this.sending;
    this.walkChanged = true;
    this.sending = this.sending.then(async () => {
      /** @type {string[]} */
      const failed = [];
      try {
        for (const [keys, call] of /** @type {const} */ ([[batch.publish, () => publish(this.adminKey(), batch.publish, batch.flagged)],
          [batch.remove, () => remove(this.adminKey(), batch.remove)]])) {
          if (!keys.length) continue;
          const answer = await call();
          for (const r of answer.results || []) {
            if (r.status === 200) this.grid.querySelector(`li[data-key="${CSS.escape(String(r.key))}"]`)?.remove();
            else failed.push(`${r.key} (${r.message || r.status})`);
          }
        }
      } catch (failure) {
        if (!this.onAuthError(failure)) this.say(/** @type {Error} */ (failure).message, "bad");
        return;
      }
      if (failed.length) this.say(t("notDone", { list: failed.join("; ") }).trim(), "bad");
      this.show("");
    });
    return this.sending;
  }

  // The view closed: what waits is sent, and the grid and the overview catch up.
  async endWalk() {
    if (!this.walk) return;
    clearInterval(this.duePoll ?? undefined);
    this.duePoll = null;
    await this.send(0);
    this.walk = null;
    if (this.walkChanged) {
      this.walkChanged = false;
      await this.load();
      this.onChanged();
    }
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
