// @ts-check
// The bulk form's preview (POST /bulk {"dryRun": true}): the server's plan made into the rows
// of the desk's table — one per favorite, with its exact prompt, its pool folder and its
// images per orientation — and the sums the caption says. Pure: the plan is handed to it.

/**
 * One row of the preview table.
 * @typedef {object} PlanRow
 * @property {string | null} favorite  null: the emotion's own pool
 * @property {string} prompt
 * @property {string} folder
 * @property {number} landscape
 * @property {number} portrait
 * @property {number} total
 */

/**
 * The table's rows and sums; anything the server left out counts as nothing.
 * @param {any} plan  POST /bulk's dry-run answer
 * @returns {{rows: PlanRow[], landscape: number, portrait: number, total: number, favorites: number}}
 */
export function planTable(plan) {
  const count = (/** @type {unknown} */ n) => (Number.isInteger(n) && Number(n) > 0 ? Number(n) : 0);
  /** @type {PlanRow[]} */
  const rows = (Array.isArray(plan?.plan) ? plan.plan : []).map((/** @type {any} */ row) => ({
    favorite: typeof row?.favorite === "string" && row.favorite ? row.favorite : null,
    prompt: String(row?.prompt ?? ""),
    folder: String(row?.folder ?? ""),
    landscape: count(row?.images?.landscape),
    portrait: count(row?.images?.portrait),
    total: count(row?.total),
  }));
  const sum = (/** @type {"landscape" | "portrait" | "total"} */ field) =>
    rows.reduce((/** @type {number} */ n, /** @type {PlanRow} */ row) => n + row[field], 0);
  return { rows, landscape: sum("landscape"), portrait: sum("portrait"), total: sum("total"), favorites: rows.length };
}
