// @ts-check
// The operator's "Display zones" panel: what each wall screen (display/?zone=N) shows. One card
// per configured zone (plus any the operator adds): its mode, emotion, caption, seconds per
// image and — for chosen images — the keys, typed or picked from the garden; Save (PUT) and
// Reset (DELETE, back to the newest flowers). The server checks everything again.
import { ApiError, deleteZone, fetchGarden, listZones, putZone } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatDate, localize, translator, withLang } from "../shared/i18n.js";
import strings from "../shared/strings/zones.js";
import { emotionName, EMOTIONS } from "../shared/words.js";

const t = translator(strings);

/** @typedef {import("../shared/api.js").Json} Json */
/**
 * A zone as GET /zones lists it (and a new card's defaults).
 * @typedef {object} ZoneConfig
 * @property {number} zone
 * @property {string} mode
 * @property {string | null} emotion
 * @property {string[]} images
 * @property {string | null} caption
 * @property {number} interval
 * @property {string | null} updated
 */
/**
 * A zone card's controls.
 * @typedef {object} ZoneControls
 * @property {HTMLSelectElement} mode
 * @property {HTMLSelectElement} emotion
 * @property {HTMLInputElement} caption
 * @property {HTMLInputElement} interval
 * @property {HTMLTextAreaElement} images
 */

export const MODES = ["chosen", "loved", "newest", "rotate", "follow"];
/** @type {Record<string, string>} */
const MODE_WORDS = { chosen: "modeChosen", loved: "modeLoved", newest: "modeNewest", rotate: "modeRotate", follow: "modeFollow" };
/** @type {Record<string, string>} */
const MODE_HINTS = { chosen: "modeHintChosen", loved: "modeHintLoved", newest: "modeHintNewest", rotate: "modeHintRotate", follow: "modeHintFollow" };
const MAX_ZONE = 99;
const MAX_IMAGES = 200;
const MAX_CAPTION = 200;
const DEFAULT_INTERVAL = 8;
/** @type {Record<string, number>} */
const POLL = { follow: 3 };

/** @type {(zone: number) => ZoneConfig} */
const defaults = (zone) => ({ zone, mode: "newest", emotion: null, images: [], caption: null, interval: DEFAULT_INTERVAL, updated: null });

/**
 * @param {HTMLTextAreaElement} textarea
 * @returns {string[]}
 */
function keysOf(textarea) {
  return [...new Set(textarea.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean))];
}

/**
 * @param {string} id
 * @param {string} label
 * @param {HTMLElement} control
 * @param {{class?: string, after?: HTMLElement}} [extra]
 */
function field(id, label, control, extra = {}) {
  return h("div", { class: `field ${extra.class || ""}`.trim() }, h("label", { for: id, text: label }), control, extra.after || null);
}

export class Zones {
  /**
   * @param {{panel: HTMLElement, list: HTMLElement, message: HTMLElement, add: HTMLButtonElement}} parts
   * @param {{adminKey: import("./key.js").AdminKey, onAuthError: import("./key.js").OnAuthError}} hooks
   */
  constructor({ panel, list, message, add }, { adminKey, onAuthError }) {
    this.list = list;
    this.message = message;
    this.add = add;
    this.adminKey = adminKey;
    this.onAuthError = onAuthError;
    localize(strings, panel);
    add.addEventListener("click", () => this.addZone());
  }

  async load() {
    /** @type {Json} */
    let data;
    try {
      data = await listZones(this.adminKey());
    } catch (error) {
      if (!this.onAuthError(error)) this.say(t("zonesFailed", { message: /** @type {Error} */ (error).message }), "bad");
      return;
    }
    this.list.replaceChildren(...(data.zones || []).map((/** @type {ZoneConfig} */ config) => this.card(config, true)));
    this.say(this.list.children.length ? "" : t("zonesNone"));
    this.add.disabled = this.list.children.length >= MAX_ZONE;
  }

  /**
   * @param {string} text
   * @param {"" | "good" | "bad"} [kind]
   */
  say(text, kind = "") {
    this.message.textContent = text || "";
    this.message.className = `message ${kind}`.trim();
  }

  numbers() {
    return new Set([.../** @type {NodeListOf<HTMLElement>} */ (this.list.querySelectorAll(".zone-card"))].map((card) => Number(card.dataset.zone)));
  }

  addZone() {
    const taken = this.numbers();
    let zone = 1;
    while (taken.has(zone) && zone <= MAX_ZONE) zone += 1;
    if (zone > MAX_ZONE) {
      this.say(t("zoneAddFull"));
      return;
    }
    const card = this.card(defaults(zone), false);
    const after = [.../** @type {HTMLCollectionOf<HTMLElement>} */ (this.list.children)].find((other) => Number(other.dataset.zone) > zone);
    this.list.insertBefore(card, after || null);
    this.say("");
    this.add.disabled = this.numbers().size >= MAX_ZONE;
    /** @type {HTMLSelectElement} */ (card.querySelector("select[name=mode]")).focus();
  }

  /**
   * @param {ZoneConfig} config
   * @param {boolean} saved  the server keeps it (not a card just added)
   * @returns {HTMLFormElement}
   */
  card(config, saved) {
    const zone = config.zone;
    /** @param {string} name */
    const id = (name) => `zone-${zone}-${name}`;
    const mode = h("select", { id: id("mode"), name: "mode" },
      ...MODES.map((m) => h("option", { value: m, text: t(MODE_WORDS[m]) })));
    mode.value = config.mode;
    const hint = h("p", { class: "hint zone-hint" });
    const emotion = h("select", { id: id("emotion"), name: "emotion" },
      h("option", { value: "", text: t("zoneAllEmotions") }),
      ...EMOTIONS.map((e) => h("option", { value: e, text: emotionName(e) })));
    emotion.value = config.emotion || "";
    const caption = h("input", { id: id("caption"), name: "caption", type: "text", maxlength: String(MAX_CAPTION),
      placeholder: t("zoneCaptionPlaceholder") });
    caption.value = config.caption || "";
    const interval = h("input", { id: id("interval"), name: "interval", type: "number", min: "2", max: "3600",
      inputmode: "numeric", required: true });
    interval.value = String(config.interval || DEFAULT_INTERVAL);
    const images = h("textarea", { id: id("images"), name: "images", rows: "4", spellcheck: "false",
      placeholder: t("zoneImagesPlaceholder") });
    images.value = (config.images || []).join("\n");
    const count = h("p", { class: "hint zone-count", role: "status" });
    const pickEmotion = h("select", { id: id("pick"), name: "pick-emotion" },
      ...EMOTIONS.map((e) => h("option", { value: e, text: emotionName(e) })));
    const thumbs = h("ul", { class: "zone-thumbs" });
    const pickNote = h("p", { class: "hint zone-pick-note" });
    const status = h("p", { class: "message zone-message", role: "status" });
    const updated = h("span", { class: "zone-updated" });
    const emotionField = field(id("emotion"), t("zoneEmotion"), emotion, { class: "zone-emotion" });
    const chosen = h("div", { class: "zone-chosen" },
      field(id("images"), t("zoneImages"), images, { after: count }),
      h("div", { class: "zone-picker" },
        field(id("pick"), t("zonePickEmotion"), pickEmotion),
        h("button", { type: "button", class: "button quiet zone-pick", text: t("zonePick"),
          onclick: () => this.pick(pickEmotion.value, images, thumbs, pickNote, refresh) }),
        pickNote, thumbs));
    const form = h("form", { class: "zone-card", dataset: { zone: String(zone), saved: String(saved) }, novalidate: true },
      h("div", { class: "zone-head" },
        h("h3", { text: t("zoneTitle", { zone }) }), updated,
        h("a", { class: "zone-open", href: withLang(`../display/?zone=${zone}`), target: "_blank", rel: "noopener",
          text: t("zoneOpen") })),
      h("div", { class: "zone-fields" },
        field(id("mode"), t("zoneMode"), mode, { after: hint }), emotionField,
        field(id("caption"), t("zoneCaption"), caption),
        field(id("interval"), t("zoneInterval"), interval)),
      chosen,
      h("div", { class: "zone-actions" },
        h("button", { type: "submit", class: "button primary zone-save", text: t("zoneSave") }),
        h("button", { type: "button", class: "button quiet zone-reset", text: t("zoneReset"),
          onclick: () => this.reset(form, status) })),
      status);

    /** @param {string | null} when */
    const showUpdated = (when) => { updated.textContent = when ? t("zoneUpdated", { when: formatDate(when) }) : t("zoneUnsaved"); };
    function refresh() {
      const m = mode.value;
      hint.textContent = t(MODE_HINTS[m]);
      emotionField.hidden = !(m === "loved" || m === "newest");
      emotion.options[0].disabled = m === "loved";           // loved needs an emotion
      if (m === "loved" && !emotion.value) emotion.value = EMOTIONS[0];
      chosen.hidden = m !== "chosen";
      count.textContent = t("zoneCount", { count: keysOf(images).length });
      for (const box of /** @type {NodeListOf<HTMLInputElement>} */ (thumbs.querySelectorAll("input[type=checkbox]"))) {
        box.checked = keysOf(images).includes(/** @type {string} */ (box.dataset.key));
      }
    }
    mode.addEventListener("change", refresh);
    images.addEventListener("input", refresh);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save(form, { mode, emotion, caption, interval, images }, status, showUpdated);
    });
    showUpdated(saved ? config.updated : null);
    refresh();
    return form;
  }

  /**
   * PUT /zones/{n}'s body from a card's controls.
   * @param {ZoneControls} controls
   * @returns {Json}
   */
  body({ mode, emotion, caption, interval, images }) {
    /** @type {Json} */
    const body = { mode: mode.value, caption: caption.value.trim() || null };
    const seconds = Number(interval.value);
    body.interval = Number.isInteger(seconds) ? seconds : interval.value;   // the server says what is wrong
    if (mode.value === "loved") body.emotion = emotion.value;
    if (mode.value === "newest") body.emotion = emotion.value || null;
    if (mode.value === "chosen") body.images = keysOf(images).slice(0, MAX_IMAGES + 1);
    return body;
  }

  /**
   * @param {HTMLFormElement} form
   * @param {ZoneControls} controls
   * @param {HTMLElement} status
   * @param {(when: string | null) => void} showUpdated
   */
  async save(form, controls, status, showUpdated) {
    const zone = Number(form.dataset.zone);
    const button = /** @type {HTMLButtonElement} */ (form.querySelector(".zone-save"));
    button.disabled = true;
    status.className = "message zone-message";
    status.textContent = t("zoneSaving");
    try {
      const stored = await putZone(this.adminKey(), zone, this.body(controls));
      form.dataset.saved = "true";
      showUpdated(stored.updated);
      controls.images.value = (stored.images || []).join("\n");
      controls.images.dispatchEvent(new Event("input"));
      status.className = "message zone-message good";
      status.textContent = t("zoneSaved", { poll: POLL[stored.mode] || 30 });
    } catch (error) {
      if (!this.onAuthError(error)) {
        status.className = "message zone-message bad";
        status.textContent = t("zoneFailed", { message: /** @type {Error} */ (error).message });
      }
    } finally {
      button.disabled = false;
    }
  }

  /**
   * @param {HTMLFormElement} form
   * @param {HTMLElement} status
   */
  async reset(form, status) {
    const zone = Number(form.dataset.zone);
    try {
      await deleteZone(this.adminKey(), zone);
    } catch (error) {
      if (!this.onAuthError(error)) {
        status.className = "message zone-message bad";
        status.textContent = t("zoneFailed", { message: /** @type {Error} */ (error).message });
      }
      return;
    }
    const fresh = this.card(defaults(zone), false);
    form.replaceWith(fresh);
    const note = /** @type {HTMLElement} */ (fresh.querySelector(".zone-message"));
    note.className = "message zone-message good";
    note.textContent = t("zoneResetDone");
  }

  // The published flowers of an emotion as thumbnails: ticking one adds its key to the list.
  /**
   * @param {string} emotion
   * @param {HTMLTextAreaElement} images
   * @param {HTMLElement} thumbs
   * @param {HTMLElement} note
   * @param {() => void} refresh
   */
  async pick(emotion, images, thumbs, note, refresh) {
    /** @type {Json} */
    let garden;
    try {
      garden = await fetchGarden(emotion, { limit: 48 });
    } catch (error) {
      note.textContent = t("zonePickFailed", { message: error instanceof ApiError ? error.message : String(error) });
      return;
    }
    /** @type {{key: string, url: string}[]} */
    const items = [...(garden.landscape || []), ...(garden.portrait || [])];
    note.textContent = items.length ? "" : t("zonePickEmpty", { emotion: emotionName(emotion) });
    thumbs.replaceChildren(...items.map((item) => {
      const name = item.key.split("/").pop();
      const box = h("input", { type: "checkbox", dataset: { key: item.key }, "aria-label": t("zonePickToggle", { name }) });
      box.addEventListener("change", () => {
        const keys = keysOf(images).filter((key) => key !== item.key);
        if (box.checked) keys.push(item.key);
        images.value = keys.join("\n");
        refresh();
      });
      return h("li", { class: "zone-thumb" },
        h("label", { title: item.key }, box, h("img", { src: item.url, alt: "", loading: "lazy", width: "96", height: "96" })));
    }));
    refresh();
  }
}
