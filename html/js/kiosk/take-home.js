// @ts-check
// "Take it home": once a visitor has liked a flower, a button on it opens an overlay with the
// QR code of the flower's take-home page (/share/…, made by the server as SVG), large enough
// to scan from a phone. On a phone (the kiosk's page opened on one) a code to scan with the
// same phone is no use: the overlay leads with the page's link and a download of the image, the
// code below them for a friend. The overlay closes on a tap, on Escape, after CLOSE_SECONDS, and
// when the kiosk starts over (kiosk.js calls close() on its idle reset).
import { h } from "../shared/dom.js";
import { grownSharePath } from "./grow-plan.js";
import { translator } from "../shared/i18n.js";
import { settings } from "../shared/settings.js";
import strings from "../shared/strings/take-home.js";

const t = translator(strings);
export const CLOSE_SECONDS = 60;
const PLAIN = /^[A-Za-z0-9._,-]+$/;
// a phone's screen, either way up (a kiosk's screen, even a touch one, is neither)
export const PHONE_QUERY = "(max-width: 600px), (max-height: 500px)";

/** @param {string} text */
function base64url(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// The take-home path of a garden key (chalicelib/rules/share.py's share_path): each segment
// as it is when plain, else "~" + its UTF-8 in base64url; null for any other key.
/**
 * @param {unknown} key
 * @returns {string | null}
 */
export function sharePath(key) {
  const grown = grownSharePath(key);   // a visitor's own flower: its job's page
  if (grown) return grown;
  const match = /^emotions\/(.+)\.jpeg$/.exec(String(key || ""));
  if (!match) return null;
  const parts = match[1].split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !part)) return null;
  return `/share/${parts.map((part) => (PLAIN.test(part) ? part : `~${base64url(part)}`)).join("/")}`;
}

export class TakeHome {
  /** @param {{closeSeconds?: number, parent?: HTMLElement}} [options] */
  constructor({ closeSeconds = CLOSE_SECONDS, parent = document.body } = {}) {
    this.closeMs = closeSeconds * 1000;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    /** @type {HTMLElement | null} */
    this.returnFocus = null;
    this.qr = h("img", { class: "take-home-qr", alt: t("qrAlt"), width: "512", height: "512", draggable: "false" });
    this.line = h("p", { id: "take-home-line", class: "take-home-line", text: t("scan") });
    this.hint = h("p", { class: "take-home-hint", text: t("scanHint") });
    this.closeButton = h("button", { type: "button", class: "button quiet take-home-close", text: t("close") });
    // on a phone: the flower's page and its image, at a tap
    this.link = /** @type {HTMLAnchorElement} */ (h("a", { id: "take-home-link", class: "button primary", text: t("openPage") }));
    this.download = /** @type {HTMLAnchorElement} */ (h("a", { id: "take-home-download", class: "button quiet", text: t("download") }));
    this.phoneActions = h("div", { class: "take-home-phone" }, this.link, this.download);
    // a tap on them does what it says, and leaves the overlay open for the other
    this.phoneActions.addEventListener("click", (event) => event.stopPropagation());
    this.overlay = h("div", {
      id: "take-home", class: "take-home", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "take-home-line", hidden: true,
    }, h("div", { class: "take-home-card" },
      this.line, this.phoneActions, this.qr, this.hint, this.closeButton));
    // a tap anywhere closes it (the code itself included: scanning needs no touch)
    this.overlay.addEventListener("click", () => this.close());
    this.overlay.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();   // Escape closes the overlay, not the visit
      this.close();
    });
    parent.append(this.overlay);
  }

  get isOpen() {
    return !this.overlay.hidden;
  }

  // Adds the "Take it home" button to a liked flower's figure (once).
  /**
   * @param {HTMLElement} figure
   * @param {{key: string, url?: string}} item
   */
  offer(figure, item) {
    const path = sharePath(item && item.key);
    if (!path || figure.querySelector(".take-home-open")) return;
    const button = h("button", {
      type: "button", class: "take-home-open", "aria-label": t("takeHomeLabel"), text: t("takeHome"),
    });
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      this.open(item.key, button, item.url);
    });
    figure.append(button);
  }

  /**
   * @param {string} key
   * @param {HTMLElement | null} [opener]  focused again when the overlay closes
   * @param {string} [imageUrl]  the image itself, for a phone's download
   */
  open(key, opener = null, imageUrl = "") {
    const path = sharePath(key);
    if (!path) return;
    this.returnFocus = opener;
    this.qr.src = `${settings.apiBase}${path}/qr.svg`;
    const onPhone = window.matchMedia(PHONE_QUERY).matches;
    this.overlay.classList.toggle("on-phone", onPhone);
    this.line.textContent = onPhone ? t("keep") : t("scan");
    this.hint.textContent = onPhone ? t("phoneHint") : t("scanHint");
    this.link.href = new URL(`${settings.apiBase}${path}`, window.location.href).href;
    this.download.hidden = !imageUrl;
    if (imageUrl) {
      this.download.href = imageUrl;
      this.download.download = `emotion-garden-${key.split("/").pop() || "flower.jpeg"}`;
    }
    this.overlay.dataset.key = key;
    this.overlay.hidden = false;
    document.body.classList.add("taking-home");
    clearTimeout(this.timer ?? undefined);
    this.timer = setTimeout(() => this.close(), this.closeMs);
    (onPhone ? this.link : this.closeButton).focus({ preventScroll: true });
  }

  close() {
    clearTimeout(this.timer ?? undefined);
    this.timer = null;
    if (this.overlay.hidden) return;
    this.overlay.hidden = true;
    delete this.overlay.dataset.key;
    document.body.classList.remove("taking-home");
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && back.isConnected) back.focus({ preventScroll: true });
  }
}
