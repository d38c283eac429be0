// The overview: per emotion, what is published, what waits in the pool, how loved it is.
import { h } from "../dom.js";
import { titleCase } from "../words.js";
import { renderLoved } from "./loved.js";

// "spring · cloudy · day 3 (+1 in pool), cat 1": images per favorite, most published first
export function favoritesText(favorites) {
  if (!favorites || !favorites.length) return "—";
  return favorites.map((f) => `${f.favorite.split(",").join(" · ")} ${f.published}`
    + (f.pool ? ` (+${f.pool} in pool)` : "")).join(", ");
}

export function renderOverview(tbody, summary, data) {
  const rows = data.emotions || [];
  tbody.replaceChildren(...rows.map((row) => {
    const state = row.empty ? h("span", { class: "flag empty", text: "empty" })
      : row.thin ? h("span", { class: "flag thin", text: "thin" })
        : h("span", { class: "flag ok", text: "blooming" });
    return h("tr", { dataset: { emotion: row.emotion, state: row.empty ? "empty" : row.thin ? "thin" : "ok" } },
      h("th", { scope: "row", text: titleCase(row.emotion) }),
      h("td", { class: "num", text: String(row.published) }),
      h("td", { class: "num", text: String(row.pool) }),
      h("td", { class: "num", text: String(row.likes) }),
      h("td", { class: "favorites" }, favoritesText(row.favorites)),
      h("td", {}, state));
  }));
  const empty = (data.empty || []).map(titleCase);
  const thin = (data.thin || []).map(titleCase);
  const parts = [];
  if (empty.length) parts.push(`Nothing published for ${empty.join(", ")}.`);
  if (thin.length) parts.push(`Thin (under ${data.thinBelow ?? "a few"}): ${thin.join(", ")}.`);
  summary.textContent = parts.length ? parts.join(" ") : "Every emotion has flowers.";
  renderLoved(document.getElementById("loved"), data);
}
