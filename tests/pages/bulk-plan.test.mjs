// The bulk form's preview (html/js/desk/bulk-plan.js): the server's dry-run plan as the
// desk's table rows and sums.
import { test } from "node:test";
import assert from "node:assert/strict";
import { planTable } from "../../html/js/desk/bulk-plan.js";

test("a matrix's plan: a row per favorite with its prompt, folder and images, and the sums", () => {
  const plan = {
    dryRun: true, emotion: "CALM", requested: 8,
    plan: [
      { favorite: "spring,cloudy", prompt: "A flower, spring, cloudy, calm", folder: "pool/CALM/spring,cloudy/",
        images: { landscape: 2, portrait: 2 }, total: 4 },
      { favorite: "winter,cloudy", prompt: "A flower, winter, cloudy, calm", folder: "pool/CALM/winter,cloudy/",
        images: { landscape: 2, portrait: 2 }, total: 4 },
    ],
  };
  const table = planTable(plan);
  assert.deepEqual(table.rows[0], { favorite: "spring,cloudy", prompt: "A flower, spring, cloudy, calm",
    folder: "pool/CALM/spring,cloudy/", landscape: 2, portrait: 2, total: 4 });
  assert.deepEqual([table.landscape, table.portrait, table.total, table.favorites], [4, 4, 8, 2]);
});

test("the emotion's own pool, one orientation: no favorite, nothing in the other column", () => {
  const table = planTable({ plan: [{ favorite: null, prompt: "A flower, happy", folder: "pool/HAPPY/",
    images: { portrait: 5 }, total: 5 }] });
  assert.deepEqual(table.rows, [{ favorite: null, prompt: "A flower, happy", folder: "pool/HAPPY/",
    landscape: 0, portrait: 5, total: 5 }]);
  assert.equal(table.total, 5);
});

test("an answer without a plan, or with odd numbers, is an empty or a zero row, never NaN", () => {
  assert.deepEqual(planTable(null), { rows: [], landscape: 0, portrait: 0, total: 0, favorites: 0 });
  const table = planTable({ plan: [{ favorite: "", prompt: 3, images: { landscape: -1, portrait: "2" }, total: 1.5 }] });
  assert.deepEqual(table.rows, [{ favorite: null, prompt: "3", folder: "", landscape: 0, portrait: 0, total: 0 }]);
});
