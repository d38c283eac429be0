// @ts-check
// The visitor's optional favorite — season, weather and time of day, as the original page
// offered (a favorite is the garden's third path segment, e.g. "spring,cloudy,day"). The
// chooser appears only when the garden has favorites for the visitor's emotion; choosing one
// grows the garden again with that favorite's flowers first (the rest follow, so the screen
// never empties). Nothing is kept: the choice lives as long as the visit.
import { fetchFavorites } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { translator } from "../shared/i18n.js";
import strings from "../shared/strings/kiosk.js";
import { FAVORITES_SHOWN, favoriteChoices } from "./visit-plan.js";

const t = translator(strings);

export const SHOWN = FAVORITES_SHOWN;   // favorites offered at most (most flowers first)

// "spring,cloudy,day" → "spring · cloudy · day" ("봄 · 흐림 · 낮" in Korean: the words the
// kiosk knows are said in the page's language, any other word as the operator wrote it)
/**
 * @param {string} favorite
 * @returns {string}
 */
export function favoriteLabel(favorite) {
  return favorite.split(",").map((word) => word.trim()).filter(Boolean).map(said).join(" · ");
}

/** @param {string} word */
function said(word) {
  const key = `word.${word.toLowerCase()}`;
  const text = t(key);
  return text === key ? word : text;
}

export class FavoriteChooser {
  /**
   * @param {HTMLElement} root
   * @param {(favorite: string | null) => void} onChoose
   */
  constructor(root, onChoose) {
    this.root = root;
    this.onChoose = onChoose;
    this.asked = 0;         // late answers for an earlier visit are dropped
  }

  reset() {
    this.asked += 1;
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  // Ask the garden for the emotion's favorites; show the chooser only when there are some.
  /** @param {string} emotion */
  async offer(emotion) {
    this.reset();
    const asked = this.asked;
    /** @type {(string | null)[]} */
    let choices;
    try {
      choices = favoriteChoices(/** @type {{favorites?: {favorite: string}[]}} */ (await fetchFavorites(emotion)));
    } catch {
      return;   // optional: the garden works without it
    }
    if (asked !== this.asked || !choices.length) return;
    const buttons = choices.map((favorite) => h("button", {
      type: "button", class: "chip", "aria-pressed": favorite === null ? "true" : "false",
      dataset: { favorite: favorite ?? "" },
      text: favorite === null ? t("everyFlower") : favoriteLabel(favorite),
      onclick: (/** @type {MouseEvent} */ event) => this.choose(/** @type {HTMLElement} */ (event.currentTarget), favorite),
    }));
    this.root.replaceChildren(h("span", { class: "chooser-label", text: t("yourFavorite") }), ...buttons);
    this.root.hidden = false;
  }

  /**
   * @param {HTMLElement} button
   * @param {string | null} favorite
   */
  choose(button, favorite) {
    for (const other of this.root.querySelectorAll("button")) other.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", "true");
    this.onChoose(favorite);
  }
}
