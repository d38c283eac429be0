// @ts-check
// The garden: a few images at a time in a calm composition that follows the screen's shape,
// one of them slowly giving way to the next every few seconds; a visitor's "Next" brings a new
// page of flowers at once. Each image has a like button.
import { h, icon, HEART } from "../shared/dom.js";
import { formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/kiosk.js";
import {
  canRotate, compose, hasNextPage, isLetterboxed, newDeck, nextPage, nextTurn, planFor, takeNext,
} from "./garden-plan.js";
import { flowerOrientation, growSlot } from "./grow-plan.js";

const t = translator(strings);

/** @typedef {import("./garden-plan.js").Orientation} Orientation */
/** @typedef {import("./garden-plan.js").GardenItem} GardenItem */
/** @typedef {import("./garden-plan.js").Plan} Plan */
/** @typedef {{key: string, url: string, orientation: Orientation}} Flower  the visitor's own */
/**
 * @typedef {object} GardenOptions
 * @property {number} rotateSeconds
 * @property {(item: GardenItem) => Promise<{likes: number}>} onLike
 * @property {(key: string) => boolean} isLiked
 * @property {(figure: HTMLElement, item: GardenItem) => void} [onLoved]
 * @property {(more: boolean) => void} [onPaging]  whether a "Next" has new flowers to bring
 * @property {string} [noun]
 */

// kiosk.css uses the same queries (garden-plan.js's planFor picks the composition from them)
const WIDE_QUERY = "(min-aspect-ratio: 1/1) and (min-height: 560px)";
const UPRIGHT_QUERY = "(max-aspect-ratio: 1/1) and (min-width: 700px) and (min-height: 1000px)";
const FADE_MS = 1800;

/**
 * @param {GardenItem} item
 * @param {string} noun
 */
function imageAlt(item, noun) {
  return item.favorite ? t("favoriteAlt", { favorite: item.favorite, noun }) : t("flowerAlt", { noun });
}

// The button's name carries the count too: an aria-label replaces the visible text, and a
// screen reader user should hear how loved a flower is, as a sighted one sees it.
/**
 * @param {boolean} liked
 * @param {number | undefined} likes
 */
function likeLabel(liked, likes) {
  const n = Number(likes ?? 0);
  const count = t(n === 1 ? "likeCountOne" : "likeCountMany", { count: formatNumber(n) });
  return liked ? t("likedLabel", { count }) : t("likeLabel", { count });
}

export class GardenView {
  /**
   * @param {HTMLElement} root
   * @param {GardenOptions} options
   */
  constructor(root, { rotateSeconds, onLike, isLiked, onLoved = () => {}, onPaging = () => {}, noun = t("yourMood") }) {
    this.root = root;
    this.rotateMs = rotateSeconds * 1000;
    this.onLike = onLike;
    this.onLoved = onLoved;   // a liked flower's figure: take-home.js adds "Take it home" to it
    this.isLiked = isLiked;
    this.onPaging = onPaging;
    this.noun = noun;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.timer = null;
    this.turn = 0;
    /** the answer's flowers and where each list's next look starts */
    this.deck = newDeck(null);
    /** @type {Set<string>} */
    this.shown = new Set();
    // the wide plan needs height as well as width: a landscape phone (844×390) gets the
    // tall plan, which scrolls, instead of a postage-stamp garden; a big portrait screen gets
    // the upright plan, which fills it
    this.media = window.matchMedia(WIDE_QUERY);
    this.upright = window.matchMedia(UPRIGHT_QUERY);
    this.onShape = () => { this.layout(); this.rotateFromNow(); };
    /** the visitor's own flower: growing in one slot (flower null), or bloomed there
     * @type {{orientation: Orientation, flower: Flower | null} | null} */
    this.growing = null;
  }

  /**
   * @param {{landscape?: GardenItem[], portrait?: GardenItem[]}} body  a garden answer
   * @param {string} [noun]
   */
  show(body, noun) {
    this.stop();
    this.noun = noun || this.noun;
    this.deck = newDeck(body);
    this.media.addEventListener("change", this.onShape);
    this.upright.addEventListener("change", this.onShape);
    this.layout();
    this.rotateFromNow();
  }

  // (Re)starts the rotation's clock: a fresh page stays its full time before a slot changes.
  rotateFromNow() {
    clearInterval(this.timer ?? undefined);
    this.timer = this.canRotate() ? setInterval(() => this.rotate(), this.rotateMs) : null;
  }

  stop() {
    clearInterval(this.timer ?? undefined);
    this.timer = null;
    this.onPaging(false);
    this.media.removeEventListener("change", this.onShape);
    this.upright.removeEventListener("change", this.onShape);
    this.root.replaceChildren();
    this.shown.clear();
  }

  /** @returns {Plan} */
  plan() {
    return planFor({ wide: this.media.matches, upright: this.upright.matches });
  }

  // The next image for a slot (garden-plan.js's takeNext: never one already on screen).
  /**
   * @param {Orientation} orientation
   * @returns {GardenItem | null}
   */
  take(orientation) {
    const { item, deck } = takeNext(this.deck, orientation, this.shown);
    this.deck = deck;
    return item;
  }

  layout() {
    this.render(compose(this.deck, this.plan()));
  }

  // A visitor's "Next": a new page of flowers, none of those on screen where the garden has
  // enough (garden-plan.js's nextPage), and the rotation's clock from now.
  next() {
    if (!this.hasNext()) return;
    this.render(nextPage(this.deck, this.plan(), new Set(this.shown)));
    this.rotateFromNow();
  }

  hasNext() {
    return hasNextPage(this.deck, this.plan());
  }

  /** @param {import("./garden-plan.js").Composition} composition */
  render(composition) {
    this.root.replaceChildren();
    this.shown.clear();
    this.deck = composition.deck;
    this.root.className = composition.className;
    for (const { orientation, area, item } of composition.slots) {
      const slot = h("div", { class: `slot ${orientation}`, dataset: { area, orientation } });
      slot.style.gridArea = composition.sparse ? "" : area;
      this.root.append(slot);
      this.fill(slot, item, false);
    }
    this.applyGrowing(false);   // the visitor's own flower keeps its place on every page
    this.onPaging(this.hasNext());
  }

  // --- the visitor's own flower (grow-plan.js; kiosk.js follows its job) ---------------------
  /** @returns {Orientation} the way up this screen grows it */
  flowerOrientation() {
    return flowerOrientation({ upright: this.upright.matches });
  }

  // One slot shows the flower growing (calm: a slow breath, no spinner) until bloom or let go.
  /** @param {Orientation} orientation */
  startGrowing(orientation) {
    this.growing = { orientation, flower: null };
    this.applyGrowing(true);
  }

  // The flower blooms in its slot once its image has loaded (one that cannot: let go).
  /** @param {Flower} flower */
  async bloom(flower) {
    if (!this.growing) return;
    const probe = new Image();
    probe.src = flower.url;
    try {
      await probe.decode();
    } catch {
      this.letGo();
      return;
    }
    if (!this.growing) return;
    this.growing.flower = flower;
    this.applyGrowing(true);
  }

  // Not ready in time, held, refused: the slot quietly becomes a garden flower again.
  letGo() {
    const slot = this.growSlotElement();
    this.growing = null;
    if (!slot) return;
    delete slot.dataset.grow;
    const item = this.take(/** @type {Orientation} */ (slot.dataset.orientation));
    if (item) this.fill(slot, item, true);
    else slot.querySelector("figure")?.remove();
  }

  // The next visitor starts without it (kiosk.js's reset).
  forgetGrowing() {
    this.growing = null;
  }

  /** @returns {HTMLElement | null} */
  growSlotElement() {
    return this.root.querySelector(".slot[data-grow]");
  }

  /** @param {boolean} fade */
  applyGrowing(fade) {
    if (!this.growing) return;
    let slot = this.growSlotElement();
    if (!slot) {
      const slots = [.../** @type {NodeListOf<HTMLElement>} */ (this.root.querySelectorAll(".slot"))];
      const at = growSlot(slots.map((s) => String(s.dataset.orientation)), this.growing.orientation);
      if (at < 0) return;
      slot = slots[at];
    }
    const { flower } = this.growing;
    if (slot.dataset.grow === (flower ? "bloomed" : "growing")) return;
    slot.dataset.grow = flower ? "bloomed" : "growing";
    this.place(slot, flower ? this.grownFigure(flower) : h("figure", { class: "bloom growing" },
      h("div", { class: "bud", "aria-hidden": "true" }),
      h("figcaption", { class: "grow-note", text: t("growing") })), fade);
  }

  /**
   * @param {Flower} flower
   * @returns {HTMLElement}
   */
  grownFigure(flower) {
    const img = h("img", { src: flower.url, alt: t("grownAlt", { noun: this.noun }), decoding: "async", draggable: "false" });
    // data-grown, not data-key: it is the visitor's, not one of the garden's flowers
    const figure = h("figure", { class: "bloom grown loaded", dataset: { grown: flower.key, orientation: flower.orientation } },
      img, h("figcaption", { class: "grow-note", text: t("grownForYou") }));
    this.onLoved(figure, flower);   // the take-home code offers it at once
    return figure;
  }

  canRotate() {
    return canRotate(this.deck, this.plan());
  }

  /**
   * @param {HTMLElement} slot
   * @param {GardenItem} item
   * @param {boolean} fade
   */
  fill(slot, item, fade) {
    this.shown.add(item.key);
    this.place(slot, this.figure(item, /** @type {Orientation | undefined} */ (slot.dataset.orientation)), fade);
  }

  // A figure takes the slot's place, fading in over the one it replaces when ``fade``.
  /**
   * @param {HTMLElement} slot
   * @param {HTMLElement} figure
   * @param {boolean} fade
   */
  place(slot, figure, fade) {
    const previous = /** @type {HTMLElement | null} */ (slot.querySelector("figure:not(.leaving)"));
    if (previous?.dataset.key) this.shown.delete(previous.dataset.key);
    if (fade) figure.classList.add("arriving");
    slot.append(figure);
    if (fade) {
      requestAnimationFrame(() => requestAnimationFrame(() => figure.classList.remove("arriving")));
      if (previous) {
        previous.classList.add("leaving");
        previous.inert = true;
        setTimeout(() => previous.remove(), FADE_MS);
      }
    } else if (previous) {
      previous.remove();
    }
  }

  // An image in a slot of its own orientation fills it; in the other one it is shown whole,
  // letterboxed on a blurred copy of itself, never cropped.
  /**
   * @param {GardenItem} item
   * @param {Orientation | undefined} slotOrientation
   * @returns {HTMLElement}
   */
  figure(item, slotOrientation) {
    const liked = this.isLiked(item.key);
    const count = h("span", { class: "like-count", text: String(item.likes ?? 0) });
    const button = h("button", {
      type: "button", class: "like", "aria-pressed": liked ? "true" : "false",
      "aria-label": likeLabel(liked, item.likes),
    }, icon(HEART), count);
    const img = h("img", { src: item.url, alt: imageAlt(item, this.noun), decoding: "async", draggable: "false" });
    const whole = isLetterboxed(item.orientation, slotOrientation);
    const backdrop = whole ? h("img", { class: "backdrop", src: item.url, alt: "", "aria-hidden": "true", draggable: "false" }) : null;
    const figure = h("figure", { class: whole ? "bloom letterboxed" : "bloom", dataset: { key: item.key, orientation: item.orientation || "" } },
      backdrop, img, button);
    if (liked) this.onLoved(figure, item);
    const loaded = () => figure.classList.add("loaded");
    if (img.complete && img.naturalWidth) loaded();
    else img.addEventListener("load", loaded, { once: true });
    button.addEventListener("click", async () => {
      if (button.getAttribute("aria-pressed") === "true" || button.disabled) return;
      button.disabled = true;
      try {
        const answer = await this.onLike(item);
        item.likes = answer.likes;
        count.textContent = String(answer.likes);
        button.setAttribute("aria-pressed", "true");
        button.setAttribute("aria-label", likeLabel(true, answer.likes));
        figure.classList.add("loved");
        this.onLoved(figure, item);
      } catch {
        figure.classList.add("like-failed");
        setTimeout(() => figure.classList.remove("like-failed"), 1200);
      } finally {
        button.disabled = false;
      }
    });
    return figure;
  }

  // One slot at a time, in turn, gives way to an image not yet on screen — after it loads.
  async rotate() {
    const slots = [.../** @type {NodeListOf<HTMLElement>} */ (this.root.querySelectorAll(".slot"))];
    const next = nextTurn(this.turn, slots.length, document.hidden);
    if (!next) return;
    const slot = slots[next.slot];
    this.turn = next.turn;
    if (slot.matches(":focus-within, :hover")) return;  // never pull an image from under a visitor's hand
    if (slot.dataset.grow) return;   // the visitor's own flower, growing or bloomed, stays
    const item = this.take(/** @type {Orientation} */ (slot.dataset.orientation));
    if (!item) return;
    const probe = new Image();
    probe.src = item.url;
    try {
      await probe.decode();
    } catch {
      return;
    }
    if (slot.isConnected) this.fill(slot, item, true);
  }
}
