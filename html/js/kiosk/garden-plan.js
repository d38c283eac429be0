// @ts-check
// The garden's decisions, free of the DOM and of timers (tests run them in Node): which
// composition fits the screen, which flower fills a slot next (paging through the answer's two
// lists, never one already on screen), whether the garden rotates and which slot gives way
// next, the page a visitor's "Next" brings, whether a flower is shown whole, and whether an
// answer has anything to show at all.

/** @typedef {"landscape" | "portrait"} Orientation */
/**
 * A flower of the garden as GET /garden lists it (orientation: the list it came in).
 * @typedef {object} GardenItem
 * @property {string} key
 * @property {string} url
 * @property {number} [likes]
 * @property {string} [favorite]
 * @property {Orientation} [orientation]
 */
/** A garden answer's lists (GET /garden). @typedef {{landscape?: GardenItem[], portrait?: GardenItem[], empty?: boolean}} GardenAnswer */
/** A composition: its name (a class of the grid), its slots' orientations and grid areas. @typedef {{name: string, slots: Orientation[], names: string[]}} Plan */
/**
 * The answer's two lists and, for each, where the next look starts (the lists are never
 * reordered: a cursor walks round each one).
 * @typedef {object} Deck
 * @property {Record<Orientation, GardenItem[]>} lists
 * @property {Record<Orientation, number>} cursor
 */
/** @typedef {{orientation: Orientation, area: string, item: GardenItem}} Placed */
/**
 * What a composition shows: the slots that have a flower, in the plan's order, and whether the
 * garden is sparse (fewer flowers than slots: the slots are not pinned to the plan's areas).
 * @typedef {object} Composition
 * @property {Plan} plan
 * @property {boolean} sparse
 * @property {string} className
 * @property {Placed[]} slots
 * @property {Deck} deck
 */

export const WIDE = Object.freeze(/** @type {Plan} */ ({ name: "wide", slots: ["portrait", "landscape", "landscape", "portrait"], names: ["p1", "l1", "l2", "p2"] }));
// a portrait kiosk (1080×1920): two tall portraits side by side, a landscape below, filling it
export const UPRIGHT = Object.freeze(/** @type {Plan} */ ({ name: "upright", slots: ["portrait", "portrait", "landscape"], names: ["p1", "p2", "l1"] }));
export const TALL = Object.freeze(/** @type {Plan} */ ({ name: "tall", slots: ["landscape", "portrait", "portrait"], names: ["l1", "p1", "p2"] }));

/**
 * @param {Orientation} orientation
 * @returns {Orientation}
 */
function otherOf(orientation) {
  return orientation === "landscape" ? "portrait" : "landscape";
}

// The wide plan needs height as well as width (a landscape phone, 844×390, gets the tall plan,
// which scrolls, instead of a postage-stamp garden); a big portrait screen gets the upright
// plan, which fills it. `wide` and `upright`: whether kiosk.css's two queries match.
/**
 * @param {{wide: boolean, upright: boolean}} screen
 * @returns {Plan}
 */
export function planFor({ wide, upright }) {
  if (wide) return WIDE;
  return upright ? UPRIGHT : TALL;
}

// An answer's lists, each item tagged with the orientation it was listed under (a slot of the
// other one shows it whole), the cursors at their start.
/**
 * @param {GardenAnswer | null | undefined} body
 * @returns {Deck}
 */
export function newDeck(body) {
  /** @type {(items: GardenItem[] | undefined, orientation: Orientation) => GardenItem[]} */
  const tagged = (items, orientation) => (items || []).map((item) => ({ ...item, orientation }));
  return {
    lists: { landscape: tagged(body?.landscape, "landscape"), portrait: tagged(body?.portrait, "portrait") },
    cursor: { landscape: 0, portrait: 0 },
  };
}

/** @param {Deck} deck */
export function flowerCount(deck) {
  return deck.lists.landscape.length + deck.lists.portrait.length;
}

// Nothing to show: the server says so, or neither list has a flower.
/** @param {GardenAnswer | null | undefined} body */
export function isEmptyGarden(body) {
  return Boolean(!body || body.empty || (!(body.landscape || []).length && !(body.portrait || []).length));
}

// The next flower for a slot: its own orientation first, the other one when that runs dry,
// never one in `shown` (already on screen); null when every flower is. Each look moves that
// list's cursor on, so the flowers come round in turn. The deck given is left as it was.
/**
 * @param {Deck} deck
 * @param {Orientation} orientation
 * @param {ReadonlySet<string>} shown
 * @returns {{item: GardenItem | null, deck: Deck}}
 */
export function takeNext(deck, orientation, shown) {
  const cursor = { ...deck.cursor };
  for (const name of [orientation, otherOf(orientation)]) {
    const list = deck.lists[name];
    for (let i = 0; i < list.length; i += 1) {
      const item = list[cursor[name]];
      cursor[name] = (cursor[name] + 1) % list.length;
      if (!shown.has(item.key)) return { item, deck: { lists: deck.lists, cursor } };
    }
  }
  return { item: null, deck: { lists: deck.lists, cursor } };
}

// A fresh composition: each of the plan's slots in order takes the next flower not yet placed;
// a slot left without one is left out.
/**
 * @param {Deck} deck
 * @param {Plan} plan
 * @returns {Composition}
 */
export function compose(deck, plan) {
  const sparse = flowerCount(deck) < plan.slots.length;
  /** @type {Set<string>} */
  const shown = new Set();
  /** @type {Placed[]} */
  const slots = [];
  let next = deck;
  plan.slots.forEach((orientation, index) => {
    const taken = takeNext(next, orientation, shown);
    next = taken.deck;
    if (!taken.item) return;
    shown.add(taken.item.key);
    slots.push({ orientation, area: plan.names[index], item: taken.item });
  });
  return { plan, sparse, className: `garden-grid ${plan.name}${sparse ? " sparse" : ""}`, slots, deck: next };
}

// Rotation runs only when there is something to rotate in: with no more flowers than slots
// every one is already on screen, and the garden stays still rather than pretend.
/**
 * @param {Deck} deck
 * @param {Plan} plan
 */
export function canRotate(deck, plan) {
  return flowerCount(deck) > plan.slots.length;
}

// Which slot gives way at this tick: one at a time, in turn; none while the page is hidden or
// has no slot (and then the turn does not move on).
/**
 * @param {number} turn
 * @param {number} slotCount
 * @param {boolean} hidden
 * @returns {{slot: number, turn: number} | null}
 */
export function nextTurn(turn, slotCount, hidden) {
  if (!slotCount || hidden) return null;
  return { slot: turn % slotCount, turn: turn + 1 };
}

// A flower in a slot of the other orientation is shown whole, letterboxed, never cropped.
/**
 * @param {Orientation | undefined} itemOrientation
 * @param {Orientation | undefined} slotOrientation
 */
export function isLetterboxed(itemOrientation, slotOrientation) {
  return Boolean(itemOrientation && slotOrientation && itemOrientation !== slotOrientation);
}

// A visitor's "Next": only when there are flowers not yet on screen (as rotation).
/**
 * @param {Deck} deck
 * @param {Plan} plan
 */
export function hasNextPage(deck, plan) {
  return canRotate(deck, plan);
}

// The next page for the visitor's "Next": every slot of the plan, in order, takes the next
// flower that is neither on screen now (`onScreen`) nor already placed on this page, so the
// page is new wherever the garden has enough flowers; when it runs short a slot takes the
// next one not yet placed (a flower may come back, never twice on one page). The deck given
// is left as it was.
/**
 * @param {Deck} deck
 * @param {Plan} plan
 * @param {ReadonlySet<string>} onScreen
 * @returns {Composition}
 */
export function nextPage(deck, plan, onScreen) {
  const sparse = flowerCount(deck) < plan.slots.length;
  /** @type {Set<string>} */
  const placed = new Set();
  /** @type {Placed[]} */
  const slots = [];
  let next = deck;
  plan.slots.forEach((orientation, index) => {
    let taken = takeNext(next, orientation, new Set([...onScreen, ...placed]));
    if (!taken.item) taken = takeNext(taken.deck, orientation, placed);
    next = taken.deck;
    if (!taken.item) return;
    placed.add(taken.item.key);
    slots.push({ orientation, area: plan.names[index], item: taken.item });
  });
  return { plan, sparse, className: `garden-grid ${plan.name}${sparse ? " sparse" : ""}`, slots, deck: next };
}
