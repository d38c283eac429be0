// The garden's decisions (html/js/kiosk/garden-plan.js): the composition for the screen,
// paging through the answer's lists, rotation, a visitor's "Next", letterboxing, and the empty
// garden.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  TALL, UPRIGHT, WIDE, canRotate, compose, flowerCount, hasNextPage, isEmptyGarden, isLetterboxed, newDeck,
  nextPage, nextTurn, planFor, takeNext,
} from "../../html/js/kiosk/garden-plan.js";

/** n flowers of one orientation: L0, L1, … or P0, P1, … */
const flowers = (prefix, n) => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, url: `http://x/${prefix}${i}.jpeg` }));
const answer = (landscapes, portraits) => ({ landscape: flowers("L", landscapes), portrait: flowers("P", portraits) });
const keys = (composition) => composition.slots.map((slot) => slot.item.key);

describe("the composition for the screen", () => {
  test("a wide screen gets the wide plan, a big portrait one the upright plan, any other the tall one", () => {
    assert.equal(planFor({ wide: true, upright: false }), WIDE);
    assert.equal(planFor({ wide: true, upright: true }), WIDE);
    assert.equal(planFor({ wide: false, upright: true }), UPRIGHT);
    assert.equal(planFor({ wide: false, upright: false }), TALL);
  });

  test("each plan names one grid area per slot", () => {
    for (const plan of [WIDE, UPRIGHT, TALL]) {
      assert.equal(plan.names.length, plan.slots.length, plan.name);
      assert.equal(new Set(plan.names).size, plan.names.length, plan.name);
      plan.slots.forEach((orientation, i) => assert.equal(plan.names[i][0], orientation[0], plan.name));
    }
  });
});

describe("a deck from a garden answer", () => {
  test("each flower is tagged with the list it came in, the answer left untouched", () => {
    const body = { landscape: [{ key: "a", url: "u", likes: 2 }], portrait: [{ key: "b", url: "v", orientation: "landscape" }] };
    const deck = newDeck(body);
    assert.deepEqual(deck.lists.landscape, [{ key: "a", url: "u", likes: 2, orientation: "landscape" }]);
    assert.deepEqual(deck.lists.portrait, [{ key: "b", url: "v", orientation: "portrait" }]);
    assert.equal(body.landscape[0].orientation, undefined);
    assert.deepEqual(deck.cursor, { landscape: 0, portrait: 0 });
    assert.equal(flowerCount(deck), 2);
  });

  test("missing lists and no answer are empty decks", () => {
    for (const body of [null, undefined, {}, { landscape: [] }, { portrait: null }]) {
      const deck = newDeck(body);
      assert.equal(flowerCount(deck), 0);
      assert.deepEqual(takeNext(deck, "landscape", new Set()).item, null);
    }
  });
});

describe("paging through the lists", () => {
  test("a slot's own orientation comes first, in the answer's order, round and round", () => {
    const deck = newDeck(answer(3, 3));
    const taken = [];
    let next = deck;
    for (let i = 0; i < 7; i += 1) {
      const step = takeNext(next, "landscape", new Set());
      next = step.deck;
      taken.push(step.item.key);
    }
    assert.deepEqual(taken, ["L0", "L1", "L2", "L0", "L1", "L2", "L0"]);
    assert.deepEqual(next.cursor, { landscape: 1, portrait: 0 });
  });

  test("a flower on screen is skipped, and the cursor moves past it", () => {
    const deck = newDeck(answer(4, 0));
    const step = takeNext(deck, "landscape", new Set(["L0", "L1"]));
    assert.equal(step.item.key, "L2");
    assert.equal(step.deck.cursor.landscape, 3);
  });

  test("the other orientation fills in when a slot's own has nothing left that is not on screen", () => {
    const deck = newDeck(answer(1, 2));
    const step = takeNext(deck, "landscape", new Set(["L0"]));
    assert.equal(step.item.key, "P0");
    assert.equal(step.item.orientation, "portrait");
    // the landscape list went once round (back where it was); the portrait one moved on
    assert.deepEqual(step.deck.cursor, { landscape: 0, portrait: 1 });
  });

  test("nothing when every flower is on screen, the cursors back where they were", () => {
    const deck = newDeck(answer(2, 2));
    const step = takeNext(deck, "portrait", new Set(["L0", "L1", "P0", "P1"]));
    assert.equal(step.item, null);
    assert.deepEqual(step.deck.cursor, { landscape: 0, portrait: 0 });
  });

  test("the deck given is not changed, and the flowers are the deck's own (a like's count stays with them)", () => {
    const deck = newDeck(answer(3, 0));
    const step = takeNext(deck, "landscape", new Set());
    assert.deepEqual(deck.cursor, { landscape: 0, portrait: 0 });
    assert.equal(step.item, deck.lists.landscape[0]);
    assert.equal(step.deck.lists, deck.lists);
  });

  test("no flower comes back while it is on screen: each is shown once before nothing is left", () => {
    const onScreen = new Set();
    let deck = newDeck(answer(3, 2));
    const out = [];
    for (let i = 0; i < 6; i += 1) {
      const step = takeNext(deck, "landscape", onScreen);
      deck = step.deck;
      out.push(step.item && step.item.key);
      if (step.item) onScreen.add(step.item.key);
    }
    assert.deepEqual(out, ["L0", "L1", "L2", "P0", "P1", null]);
  });

  test("once a flower leaves the screen it comes round again in its turn", () => {
    let deck = newDeck(answer(3, 0));
    const onScreen = new Set(["L0", "L1"]);
    let step = takeNext(deck, "landscape", onScreen);
    assert.equal(step.item.key, "L2");
    deck = step.deck;
    onScreen.delete("L0");
    step = takeNext(deck, "landscape", onScreen);
    assert.equal(step.item.key, "L0");
  });

  // The view's original paging: a queue per orientation, each look moving its head to its end.
  function queueModel(body) {
    const queues = newDeck(body).lists;
    const copy = { landscape: [...queues.landscape], portrait: [...queues.portrait] };
    return (orientation, shown) => {
      const other = orientation === "landscape" ? "portrait" : "landscape";
      for (const name of [orientation, other]) {
        const queue = copy[name];
        for (let i = 0; i < queue.length; i += 1) {
          const item = queue[0];
          queue.push(queue.shift());
          if (!shown.has(item.key)) return item.key;
        }
      }
      return null;
    };
  }

  test("the cursors page exactly as a queue per orientation does, over random rotations", () => {
    let seed = 7;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let round = 0; round < 200; round += 1) {
      const body = answer(Math.floor(random() * 6), Math.floor(random() * 6));
      const model = queueModel(body);
      let deck = newDeck(body);
      const shown = new Set();
      const screen = [];   // what four slots show, one giving way at a time
      for (let step = 0; step < 30; step += 1) {
        const orientation = random() < 0.5 ? "landscape" : "portrait";
        const expected = model(orientation, shown);
        const taken = takeNext(deck, orientation, shown);
        deck = taken.deck;
        assert.equal(taken.item ? taken.item.key : null, expected, `round ${round} step ${step}`);
        if (taken.item) {
          shown.add(taken.item.key);
          screen.push(taken.item.key);
          if (screen.length > 4) shown.delete(screen.shift());
        }
      }
    }
  });
});

describe("a fresh composition", () => {
  test("a full wide garden fills its four slots in the plan's order, no flower twice", () => {
    const composition = compose(newDeck(answer(5, 5)), WIDE);
    assert.deepEqual(keys(composition), ["P0", "L0", "L1", "P1"]);
    assert.deepEqual(composition.slots.map((s) => [s.orientation, s.area]),
      [["portrait", "p1"], ["landscape", "l1"], ["landscape", "l2"], ["portrait", "p2"]]);
    assert.equal(composition.sparse, false);
    assert.equal(composition.className, "garden-grid wide");
    assert.deepEqual(composition.deck.cursor, { landscape: 2, portrait: 2 });
  });

  test("the upright and tall plans take their own orientations first", () => {
    assert.deepEqual(keys(compose(newDeck(answer(3, 3)), UPRIGHT)), ["P0", "P1", "L0"]);
    assert.deepEqual(keys(compose(newDeck(answer(3, 3)), TALL)), ["L0", "P0", "P1"]);
  });

  test("a slot of a missing orientation is filled from the other list", () => {
    const composition = compose(newDeck(answer(4, 0)), WIDE);
    assert.deepEqual(keys(composition), ["L0", "L1", "L2", "L3"]);
    assert.deepEqual(composition.slots.map((s) => s.orientation), ["portrait", "landscape", "landscape", "portrait"]);
    assert.ok(composition.slots.every((s) => s.item.orientation === "landscape"));
  });

  test("fewer flowers than slots: only as many slots, marked sparse", () => {
    const composition = compose(newDeck(answer(1, 1)), WIDE);
    assert.deepEqual(keys(composition), ["P0", "L0"]);
    assert.equal(composition.sparse, true);
    assert.equal(composition.className, "garden-grid wide sparse");
    assert.deepEqual(composition.slots.map((s) => s.area), ["p1", "l1"]);
  });

  test("an empty deck composes nothing", () => {
    const composition = compose(newDeck(null), TALL);
    assert.deepEqual(composition.slots, []);
    assert.equal(composition.className, "garden-grid tall sparse");
  });

  test("exactly as many flowers as slots is not sparse", () => {
    const composition = compose(newDeck(answer(2, 1)), TALL);
    assert.equal(composition.sparse, false);
    assert.equal(composition.slots.length, 3);
  });

  test("a new composition of the same deck goes on where the last one stopped", () => {
    const first = compose(newDeck(answer(6, 6)), WIDE);
    const second = compose(first.deck, WIDE);
    assert.deepEqual(keys(second), ["P2", "L2", "L3", "P3"]);
  });
});

describe("rotation", () => {
  test("only when there are more flowers than slots", () => {
    assert.equal(canRotate(newDeck(answer(2, 2)), WIDE), false);
    assert.equal(canRotate(newDeck(answer(3, 2)), WIDE), true);
    assert.equal(canRotate(newDeck(answer(2, 1)), TALL), false);
    assert.equal(canRotate(newDeck(answer(2, 2)), TALL), true);
    assert.equal(canRotate(newDeck(null), TALL), false);
  });

  test("one slot at a time, in turn, round the slots", () => {
    const order = [];
    let turn = 0;
    for (let i = 0; i < 9; i += 1) {
      const next = nextTurn(turn, 4, false);
      order.push(next.slot);
      turn = next.turn;
    }
    assert.deepEqual(order, [0, 1, 2, 3, 0, 1, 2, 3, 0]);
    assert.equal(turn, 9);
    // the count of slots can change under it (a new shape): the turn goes on modulo the new one
    assert.deepEqual(nextTurn(9, 3, false), { slot: 0, turn: 10 });
  });

  test("nothing, and the turn stays, while the page is hidden or has no slot", () => {
    assert.equal(nextTurn(5, 4, true), null);
    assert.equal(nextTurn(5, 0, false), null);
  });
});

describe("a visitor's Next", () => {
  const onScreen = (composition) => new Set(keys(composition));

  test("offered only when there are flowers not yet on screen", () => {
    assert.equal(hasNextPage(newDeck(answer(2, 2)), WIDE), false);
    assert.equal(hasNextPage(newDeck(answer(3, 2)), WIDE), true);
    assert.equal(hasNextPage(newDeck(answer(2, 1)), UPRIGHT), false);
    assert.equal(hasNextPage(newDeck(null), TALL), false);
  });

  test("a whole new page of flowers when the garden has enough, in the plan's slots", () => {
    const first = compose(newDeck(answer(6, 6)), WIDE);
    assert.deepEqual(keys(first), ["P0", "L0", "L1", "P1"]);
    const second = nextPage(first.deck, WIDE, onScreen(first));
    assert.deepEqual(keys(second), ["P2", "L2", "L3", "P3"]);
    assert.deepEqual(second.slots.map((s) => s.area), WIDE.names);
    const third = nextPage(second.deck, WIDE, onScreen(second));
    assert.deepEqual(keys(third), ["P4", "L4", "L5", "P5"]);
    // and round again to the start: the lists are walked, never reshuffled
    assert.deepEqual(keys(nextPage(third.deck, WIDE, onScreen(third))), ["P0", "L0", "L1", "P1"]);
  });

  test("after a rotation, Next skips what rotation already brought to the screen", () => {
    const first = compose(newDeck(answer(8, 8)), WIDE);
    const rotated = takeNext(first.deck, "landscape", onScreen(first));   // L2 replaced L0
    const screen = new Set(["P0", rotated.item.key, "L1", "P1"]);
    const next = nextPage(rotated.deck, WIDE, screen);
    assert.deepEqual(keys(next), ["P2", "L3", "L4", "P3"]);
  });

  test("a garden a little bigger than the screen: new flowers first, then ones seen before, never one twice on a page", () => {
    const first = compose(newDeck(answer(3, 2)), WIDE);
    assert.deepEqual(keys(first), ["P0", "L0", "L1", "P1"]);
    const next = nextPage(first.deck, WIDE, onScreen(first));
    assert.equal(next.slots.length, 4);
    assert.equal(new Set(keys(next)).size, 4);
    assert.ok(keys(next).includes("L2"), keys(next));
    assert.equal(next.sparse, false);
  });

  test("the deck given is left as it was, and a sparse garden stays sparse", () => {
    const deck = newDeck(answer(1, 1));
    const before = JSON.stringify(deck);
    const page = nextPage(deck, WIDE, new Set(["L0", "P0"]));
    assert.equal(JSON.stringify(deck), before);
    assert.equal(page.sparse, true);
    assert.equal(page.className, "garden-grid wide sparse");
    assert.deepEqual(new Set(keys(page)), new Set(["L0", "P0"]));
  });
});

test("a flower in a slot of the other orientation is shown whole; of its own, or untagged, it fills it", () => {
  assert.equal(isLetterboxed("landscape", "portrait"), true);
  assert.equal(isLetterboxed("portrait", "landscape"), true);
  assert.equal(isLetterboxed("landscape", "landscape"), false);
  assert.equal(isLetterboxed(undefined, "portrait"), false);
  assert.equal(isLetterboxed("portrait", undefined), false);
});

test("an answer is empty when the server says so or when neither list has a flower", () => {
  assert.equal(isEmptyGarden({ landscape: [], portrait: [], empty: true }), true);
  assert.equal(isEmptyGarden({ landscape: flowers("L", 1), portrait: [], empty: true }), true);
  assert.equal(isEmptyGarden({ landscape: [], portrait: [] }), true);
  assert.equal(isEmptyGarden({}), true);
  assert.equal(isEmptyGarden(null), true);
  assert.equal(isEmptyGarden({ landscape: [], portrait: flowers("P", 1) }), false);
  assert.equal(isEmptyGarden({ landscape: flowers("L", 1) }), false);
});
