// What visitors love: per emotion, the best and the least liked flowers by like-rate (likes per
// time seen), with how often each was seen — what to make more of, and what to remove. A flower
// is judged once it has been seen `judgedAfter` times (the overview's `loved`).
import { h } from "../dom.js";
import { titleCase } from "../words.js";

function percent(rate) {
  return `${Math.round(Number(rate) * 100)}%`;
}

function flower(item) {
  const name = item.key.split("/").pop();
  const label = `${name}: ${percent(item.likeRate)} liked (${item.likes} likes in ${item.impressions} times seen)`;
  return h("li", { class: "loved-item", dataset: { key: item.key }, title: label },
    item.url ? h("img", { src: item.url, alt: "", width: "64", height: "64", loading: "lazy" }) : null,
    h("span", { text: `${percent(item.likeRate)} · ${item.likes}/${item.impressions} seen` }));
}

function list(title, items, kind) {
  return h("div", { class: `loved-${kind}` },
    h("h4", { text: title }),
    h("ul", {},
      ...items.map(flower)));
}

export function renderLoved(container, data) {
  if (!container) return;
  const rows = (data.emotions || []).filter((row) => row.loved && row.loved.best.length);
  const after = (data.emotions || []).map((row) => row.loved && row.loved.judgedAfter).find(Boolean) || 10;
  if (!rows.length) {
    container.replaceChildren(h("p", { class: "hint", text: `Not enough seen yet to say what visitors love: a flower is judged once it has been on a kiosk screen ${after} times.` }));
    return;
  }
  container.replaceChildren(
    h("h3", { text: "What visitors love" }),
    h("p", { class: "hint", text: `By like-rate: likes per time a flower was seen on a kiosk (judged after ${after} times seen).` }),
    ...rows.map((row) => h("section", { class: "loved-emotion", dataset: { emotion: row.emotion } },
      h("h4", { text: `${titleCase(row.emotion)} (${row.loved.judged} judged)` }),
      list("Most loved — make more like these", row.loved.best, "best"),
      row.loved.least.length ? list("Least loved — consider removing", row.loved.least, "least") : null)));
}
