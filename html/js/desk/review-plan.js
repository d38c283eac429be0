// @ts-check
// Keyboard review (the original's preview2): the desk's large view walks the images shown,
// one key per decision — next, previous, publish, remove, undo. The decisions, free of the
// DOM, of timers and of the clock (tests run them in Node; the time is handed in): a decision
// waits UNDO_MS before it is sent, so undo takes it back without asking the server anything;
// closing the view sends what waits.

export const UNDO_MS = 8000;

/** @typedef {"next" | "previous" | "publish" | "remove" | "undo"} Command */
/** @typedef {"publish" | "remove"} Verdict */
/**
 * An image of the walk: its key, and whether the moderation marked it (published only when
 * named on its own: the operator is looking at it, large).
 * @typedef {{key: string, marked: boolean}} Card
 */
/** @typedef {{key: string, what: Verdict, marked: boolean, at: number}} Decision */
/**
 * @typedef {object} Deck
 * @property {Card[]} cards
 * @property {number} at                 the card shown
 * @property {boolean} canPublish         false in the garden: its images are published
 * @property {Decision[]} pending         oldest first; undo takes the newest back
 * @property {Record<string, Verdict>} sent
 */
/**
 * What a step says to the operator: "" (nothing), "end" / "start" (no card further that
 * way), "undone", "nothingToUndo", "sent" (decided and sent already), "published" (the
 * garden's images cannot be published again).
 * @typedef {"" | "end" | "start" | "undone" | "nothingToUndo" | "sent" | "published"} Note
 */
/** @typedef {{publish: string[], flagged: string[], remove: string[]}} Batch */

// Keys: arrows or J/K (and space) move; P or Enter publishes; X, Delete or Backspace
// removes; U or Ctrl/⌘+Z undoes. Nothing is taken while a field has the focus, nor with Alt.
/** @type {Readonly<Record<string, Command>>} */
export const KEYS = Object.freeze({
  ArrowRight: "next", j: "next", " ": "next", ArrowLeft: "previous", k: "previous",
  p: "publish", Enter: "publish", x: "remove", Delete: "remove", Backspace: "remove", u: "undo",
});

/**
 * The command of a key press, or null.
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, altKey?: boolean, shiftKey?: boolean, editing?: boolean}} press
 * @returns {Command | null}
 */
export function commandOf(press) {
  if (press.editing || press.altKey) return null;
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  if (press.ctrlKey || press.metaKey) return key === "z" && !press.shiftKey ? "undo" : null;
  return Object.hasOwn(KEYS, key) ? KEYS[key] : null;
}

/**
 * A walk over the images shown, from the one opened.
 * @param {Card[]} cards
 * @param {number} [at]
 * @param {boolean} [canPublish]
 * @returns {Deck}
 */
export function deck(cards, at = 0, canPublish = true) {
  return { cards: [...cards], at: Math.min(Math.max(at, 0), Math.max(cards.length - 1, 0)), canPublish, pending: [], sent: {} };
}

/**
 * The verdict waiting or sent for a card, if any.
 * @param {Deck} d
 * @param {string} key
 * @returns {{what: Verdict, sent: boolean} | null}
 */
export function verdictOf(d, key) {
  if (Object.hasOwn(d.sent, key)) return { what: d.sent[key], sent: true };
  const waiting = d.pending.find((p) => p.key === key);
  return waiting ? { what: waiting.what, sent: false } : null;
}

/**
 * The next card after `from` with no verdict, else -1.
 * @param {Deck} d
 * @param {number} from
 * @param {Decision[]} pending
 */
function undecidedAfter(d, from, pending) {
  for (let i = from + 1; i < d.cards.length; i += 1) {
    const key = d.cards[i].key;
    if (!Object.hasOwn(d.sent, key) && !pending.some((p) => p.key === key)) return i;
  }
  return -1;
}

/**
 * One command at time `now` (ms): the walk after it and what to say.
 * @param {Deck} d
 * @param {Command} command
 * @param {number} now
 * @returns {{deck: Deck, note: Note}}
 */
export function step(d, command, now) {
  if (!d.cards.length) return { deck: d, note: "end" };
  switch (command) {
    case "next":
      return d.at + 1 < d.cards.length ? { deck: { ...d, at: d.at + 1 }, note: "" } : { deck: d, note: "end" };
    case "previous":
      return d.at > 0 ? { deck: { ...d, at: d.at - 1 }, note: "" } : { deck: d, note: "start" };
    case "undo": {
      const last = d.pending[d.pending.length - 1];
      if (!last) return { deck: d, note: "nothingToUndo" };
      const at = d.cards.findIndex((c) => c.key === last.key);
      return { deck: { ...d, pending: d.pending.slice(0, -1), at: at < 0 ? d.at : at }, note: "undone" };
    }
    case "publish":
    case "remove": {
      const card = d.cards[d.at];
      if (Object.hasOwn(d.sent, card.key)) return { deck: d, note: "sent" };
      if (command === "publish" && !d.canPublish) return { deck: d, note: "published" };
      // deciding again replaces the card's waiting verdict
      const pending = [...d.pending.filter((p) => p.key !== card.key), { key: card.key, what: command, marked: card.marked, at: now }];
      const next = undecidedAfter(d, d.at, pending);
      return next < 0 ? { deck: { ...d, pending }, note: "end" } : { deck: { ...d, pending, at: next }, note: "" };
    }
    default:
      throw new Error(`unknown review command: ${command}`);
  }
}

/**
 * The decisions due at `now` (waiting `graceMs` or more; all of them with `graceMs` 0 —
 * when the view closes), as one batch to send, and the walk with them sent.
 * @param {Deck} d
 * @param {number} now
 * @param {number} [graceMs]
 * @returns {{deck: Deck, batch: Batch | null}}
 */
export function due(d, now, graceMs = UNDO_MS) {
  const ready = d.pending.filter((p) => now - p.at >= graceMs);
  if (!ready.length) return { deck: d, batch: null };
  const publish = ready.filter((p) => p.what === "publish");
  const batch = {
    publish: publish.map((p) => p.key),
    flagged: publish.filter((p) => p.marked).map((p) => p.key),
    remove: ready.filter((p) => p.what === "remove").map((p) => p.key),
  };
  const sent = { ...d.sent };
  for (const p of ready) sent[p.key] = p.what;
  return { deck: { ...d, pending: d.pending.filter((p) => !ready.includes(p)), sent }, batch };
}
