// Keyboard review on the desk (html/js/desk/review-plan.js): the keys, the walk, undo before a
// decision is sent, and an operator's run through a pool on a pretend clock.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { commandOf, deck, due, step, UNDO_MS, verdictOf } from "../../html/js/desk/review-plan.js";

const cards = ["a", "b", "c", "d"].map((key) => ({ key, marked: key === "c" }));

describe("keys", () => {
  test("arrows, letters and the usual keys name the commands", () => {
    const of = (key, more = {}) => commandOf({ key, ...more });
    assert.deepEqual(["ArrowRight", "j", "J", " ", "ArrowLeft", "k"].map((k) => of(k)),
      ["next", "next", "next", "next", "previous", "previous"]);
    assert.deepEqual(["p", "P", "Enter", "x", "Delete", "Backspace", "u"].map((k) => of(k)),
      ["publish", "publish", "publish", "remove", "remove", "remove", "undo"]);
    assert.equal(of("z", { ctrlKey: true }), "undo");
    assert.equal(of("Z", { metaKey: true }), "undo");
  });

  test("nothing is taken while typing, with Alt, or for other shortcuts", () => {
    assert.equal(commandOf({ key: "p", editing: true }), null);
    assert.equal(commandOf({ key: "ArrowRight", altKey: true }), null);
    assert.equal(commandOf({ key: "p", ctrlKey: true }), null);         // print stays the browser's
    assert.equal(commandOf({ key: "z", ctrlKey: true, shiftKey: true }), null);
    assert.equal(commandOf({ key: "q" }), null);
    assert.equal(commandOf({ key: "Escape" }), null);                    // the dialog closes itself
  });
});

describe("the walk", () => {
  test("next and previous stop at the ends and say so", () => {
    let d = deck(cards, 3);
    assert.equal(step(d, "next", 0).note, "end");
    d = step(d, "previous", 0).deck;
    assert.equal(d.at, 2);
    assert.equal(step(deck(cards), "previous", 0).note, "start");
    assert.equal(deck(cards, 99).at, 3);
    assert.deepEqual(step(deck([]), "publish", 0).note, "end");
  });

  test("a decision moves on to the next image without one", () => {
    let d = deck(cards);
    d = step(d, "publish", 0).deck;               // a
    assert.equal(d.at, 1);
    d = step(step(d, "next", 0).deck, "remove", 1).deck;   // c removed, b skipped
    assert.equal(d.at, 3);
    d = step(step(d, "previous", 0).deck, "previous", 0).deck;  // back to b
    d = step(d, "remove", 2).deck;                 // b: the next undecided is d
    assert.equal(d.at, 3);
    assert.deepEqual(d.pending.map((p) => `${p.key}:${p.what}`), ["a:publish", "c:remove", "b:remove"]);
    const last = step(d, "publish", 3);
    assert.equal(last.note, "end");
    assert.equal(last.deck.at, 3);
  });

  test("deciding again replaces the verdict; the garden's images are not published again", () => {
    let d = step(deck(cards), "publish", 0).deck;
    d = step(step(d, "previous", 0).deck, "remove", 5).deck;
    assert.deepEqual(d.pending, [{ key: "a", what: "remove", marked: false, at: 5 }]);
    const garden = deck(cards, 0, false);
    assert.equal(step(garden, "publish", 0).note, "published");
    assert.equal(step(garden, "remove", 0).deck.pending.length, 1);
  });
});

describe("undo", () => {
  test("takes back the newest waiting decision and shows its image again", () => {
    let d = step(step(deck(cards), "publish", 0).deck, "remove", 1).deck;
    const undone = step(d, "undo", 2);
    assert.equal(undone.note, "undone");
    assert.equal(undone.deck.at, 1);
    assert.deepEqual(undone.deck.pending.map((p) => p.key), ["a"]);
    d = step(undone.deck, "undo", 3).deck;
    assert.equal(d.at, 0);
    assert.equal(step(d, "undo", 4).note, "nothingToUndo");
  });

  test("cannot take back what was sent", () => {
    let d = step(deck(cards), "remove", 0).deck;
    d = due(d, UNDO_MS).deck;
    assert.equal(step(d, "undo", UNDO_MS).note, "nothingToUndo");
    assert.deepEqual(verdictOf(d, "a"), { what: "remove", sent: true });
    assert.equal(step(step(d, "previous", 0).deck, "publish", 0).note, "sent");
  });
});

describe("sending", () => {
  test("a decision is sent once it waited UNDO_MS; a marked image is named in flagged", () => {
    let d = deck(cards, 2);
    d = step(d, "publish", 1000).deck;             // c, marked
    d = step(step(deck(cards), "publish", 0).deck, "publish", 0).deck;  // a, b (another walk)
    assert.equal(due(d, UNDO_MS - 1).batch, null);
    const { deck: after, batch } = due(d, UNDO_MS);
    assert.deepEqual(batch, { publish: ["a", "b"], flagged: [], remove: [] });
    assert.deepEqual(after.pending, []);
    let marked = step(deck(cards, 2), "publish", 1000).deck;
    const sent = due(marked, 1000 + UNDO_MS);
    assert.deepEqual(sent.batch, { publish: ["c"], flagged: ["c"], remove: [] });
    marked = sent.deck;
    assert.deepEqual(verdictOf(marked, "c"), { what: "publish", sent: true });
    assert.equal(verdictOf(marked, "a"), null);
  });

  test("closing sends everything waiting (grace 0)", () => {
    const d = step(step(deck(cards), "publish", 100).deck, "remove", 200).deck;
    assert.deepEqual(due(d, 200, 0).batch, { publish: ["a"], flagged: [], remove: ["b"] });
  });

  test("an operator's run: decide, undo one, decide again, and only the final verdicts are sent", () => {
    const pool = Array.from({ length: 30 }, (_, n) => ({ key: `k${n}`, marked: n % 10 === 9 }));
    let d = deck(pool);
    let clock = 0;
    /** @type {string[]} */
    const published = [];
    /** @type {string[]} */
    const removed = [];
    const send = (grace) => {
      const out = due(d, clock, grace);
      d = out.deck;
      if (out.batch) {
        published.push(...out.batch.publish);
        removed.push(...out.batch.remove);
      }
    };
    for (let n = 0; n < 30; n += 1) {
      clock += 700;
      d = step(d, n % 3 === 0 ? "remove" : "publish", clock).deck;
      if (n === 9) {
        d = step(d, "undo", clock).deck;          // k9 (a remove) taken back...
        d = step(d, "publish", clock).deck;       // ...and published instead
      }
      send(UNDO_MS);
    }
    send(0);
    assert.equal(published.length + removed.length, 30);
    assert.equal(new Set([...published, ...removed]).size, 30);
    assert.ok(published.includes("k9") && !removed.includes("k9"));
    assert.deepEqual(removed, pool.map((c) => c.key).filter((_, n) => n % 3 === 0 && n !== 9));
  });
});
