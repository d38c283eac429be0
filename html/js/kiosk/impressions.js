// @ts-check
// Which flowers a visitor actually saw, for the garden that learns (POST /impressions).
// A flower counts as seen once at least half of it has been on screen for 2 seconds without a
// break, with the page visible. Seen flowers are sent in batches — every few seconds, when a
// batch is full, when the page is hidden or left, and when the next visit starts — with the
// visit's random id and what the kiosk knows of the visit (emotion, generation). The server
// counts each (visit, flower) once and keeps only counts; nothing here is stored.
import { reportImpressions } from "../shared/api.js";
import { SEEN_BATCH, SEEN_MS, SEEN_RATIO, batches, countsAsSeen, inSight } from "./visit-plan.js";

/** What the kiosk knows of a visit. @typedef {{emotion: string | null, generation: string | null}} VisitContext */
/** @typedef {{visitor: string, emotion?: string | null, generation?: string | null}} Visit */

export { SEEN_MS, SEEN_RATIO };    // on screen this long, at least this much of it (visit-plan.js)
const FLUSH_MS = 4000;

/** @type {Watcher | null} */
let current = null;

class Watcher {
  /**
   * @param {Element} root
   * @param {Visit} visit
   */
  constructor(root, { visitor, emotion, generation }) {
    this.visitor = visitor;
    /** @type {VisitContext} */
    this.context = { emotion: emotion || null, generation: generation || null };
    /** @type {Set<string>} */
    this.reported = new Set();     // this visit's flowers already seen (never sent twice)
    /** @type {string[]} */
    this.pending = [];
    /** @type {Map<HTMLElement, ReturnType<typeof setTimeout>>} */
    this.timers = new Map();       // figure → timer of its 2 seconds
    /** @type {WeakSet<HTMLElement>} */
    this.watched = new WeakSet();
    this.sight = new IntersectionObserver((entries) => this.onSight(entries), { threshold: [0, SEEN_RATIO] });
    this.changes = new MutationObserver(() => this.scan(root));
    this.changes.observe(root, { childList: true, subtree: true });
    this.flusher = setInterval(() => this.flush(), FLUSH_MS);
    this.onHide = () => { if (document.visibilityState === "hidden") this.flush(); };
    document.addEventListener("visibilitychange", this.onHide);
    window.addEventListener("pagehide", this.onHide);
    this.scan(root);
  }

  /** @param {Element} root */
  scan(root) {
    for (const figure of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("figure[data-key]"))) {
      if (!this.watched.has(figure)) {
        this.watched.add(figure);
        this.sight.observe(figure);
      }
    }
    for (const [figure, timer] of this.timers) {
      if (!figure.isConnected) {
        clearTimeout(timer);
        this.timers.delete(figure);
        this.sight.unobserve(figure);
      }
    }
  }

  /** @param {IntersectionObserverEntry[]} entries */
  onSight(entries) {
    for (const entry of entries) {
      const figure = /** @type {HTMLElement} */ (entry.target);
      const inView = inSight(entry);
      if (inView && !this.timers.has(figure)) {
        this.timers.set(figure, setTimeout(() => this.seen(figure), SEEN_MS));
      } else if (!inView && this.timers.has(figure)) {
        clearTimeout(this.timers.get(figure));
        this.timers.delete(figure);
      }
    }
  }

  /** @param {HTMLElement} figure */
  seen(figure) {
    this.timers.delete(figure);
    const key = figure.dataset.key;
    const flower = { key, connected: figure.isConnected, leaving: figure.classList.contains("leaving"),
      visible: document.visibilityState === "visible" };
    if (!key || !countsAsSeen(flower, this.reported)) return;
    this.reported.add(key);
    this.pending.push(key);
    if (this.pending.length >= SEEN_BATCH) this.flush();
  }

  flush() {
    const requests = batches(this.pending);
    this.pending = [];
    // keepalive: a batch sent as the page goes away still arrives; a lost one is only a count
    for (const keys of requests) reportImpressions(this.visitor, keys, this.context);
  }

  stop() {
    this.flush();
    clearInterval(this.flusher);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.sight.disconnect();
    this.changes.disconnect();
    document.removeEventListener("visibilitychange", this.onHide);
    window.removeEventListener("pagehide", this.onHide);
  }
}

// Start reporting what this visit sees in the garden under root (ending the last visit's).
/**
 * @param {Element} root
 * @param {Visit} visit
 * @returns {Watcher}
 */
export function watchImpressions(root, visit) {
  if (current) current.stop();
  current = new Watcher(root, visit);
  return current;
}

// What the kiosk knows of the visit, for the garden and likes: {emotion, generation}.
/** @returns {Partial<VisitContext>} */
export function visitContext() {
  return current ? { ...current.context } : {};
}
