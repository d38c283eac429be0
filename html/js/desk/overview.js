// @ts-check
// The overview: per emotion, what is published, what waits in the pool, how loved it is.
import { h } from "../shared/dom.js";
import { formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";
import { emotionName } from "../shared/words.js";
import { renderLoved } from "./loved.js";

const t = translator(strings);

/** @typedef {import("../shared/api.js").Json} Json */

// "spring · cloudy · day 3 (+1 in pool), cat 1": images per favorite, most published first
/**
 * @param {{favorite: string, published: number, pool?: number}[] | undefined} favorites
 * @returns {string}
 */
export function favoritesText(favorites) {
  if (!favorites || !favorites.length) return "—";
  return favorites.map((f) => `${f.favorite.split(",").join(" · ")} ${formatNumber(f.published)}`
    + (f.pool ? ` ${t("inPool", { count: formatNumber(f.pool) })}` : "")).join(t("listJoin"));
}

/**
 * @param {HTMLElement} tbody
 * @param {HTMLElement} summary
 * @param {Json} data  GET /admin/overview's answer
 */
export function renderOverview(tbody, summary, data) {
  const rows = data.emotions || [];
  tbody.replaceChildren(...rows.map((/** @type {Json} */ row) => {
    const state = row.empty ? h("span", { class: "flag empty", text: t("stateEmpty") })
      : row.thin ? h("span", { class: "flag thin", text: t("stateThin") })
        : h("span", { class: "flag ok", text: t("stateOk") });
    return h("tr", { dataset: { emotion: row.emotion, state: row.empty ? "empty" : row.thin ? "thin" : "ok" } },
      h("th", { scope: "row", text: emotionName(row.emotion) }),
      h("td", { class: "num", text: formatNumber(row.published) }),
      h("td", { class: "num", text: formatNumber(row.pool) }),
      h("td", { class: "num", text: formatNumber(row.likes) }),
      h("td", { class: "favorites" }, favoritesText(row.favorites)),
      h("td", {}, state));
  }));
  const empty = (data.empty || []).map((/** @type {string} */ e) => emotionName(e));
  const thin = (data.thin || []).map((/** @type {string} */ e) => emotionName(e));
  const parts = [];
  if (empty.length) parts.push(t("nothingFor", { emotions: empty.join(t("listJoin")) }));
  if (thin.length) {
    parts.push(t("thinList", { below: data.thinBelow ?? t("aFew"), emotions: thin.join(t("listJoin")) }));
  }
  summary.textContent = parts.length ? parts.join(" ") : t("allBlooming");
  renderLoved(document.getElementById("loved"), data);
}
