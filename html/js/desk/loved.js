// @ts-check
// What visitors love: per emotion, the best and the least liked flowers by like-rate (likes per
// time seen), with how often each was seen — what to make more of, and what to remove. A flower
// is judged once it has been seen `judgedAfter` times (the overview's `loved`).
import { h } from "../shared/dom.js";
import { formatNumber, translator } from "../shared/i18n.js";
import strings from "../shared/strings/desk.js";
import { emotionName } from "../shared/words.js";

const t = translator(strings);

/** @typedef {import("../shared/api.js").Json} Json */
/** @typedef {{key: string, url?: string, likeRate: number, likes: number, impressions: number}} LovedItem */

/** @param {unknown} rate */
function percent(rate) {
  return `${formatNumber(Math.round(Number(rate) * 100))}%`;   // "50%" in both languages
}

/** @param {LovedItem} item */
function flower(item) {
  const name = item.key.split("/").pop();
  const label = t("lovedItem", { name, rate: percent(item.likeRate), likes: formatNumber(item.likes), seen: formatNumber(item.impressions) });
  return h("li", { class: "loved-item", dataset: { key: item.key }, title: label },
    item.url ? h("img", { src: item.url, alt: "", width: "64", height: "64", loading: "lazy" }) : null,
    h("span", { text: t("lovedShort", { rate: percent(item.likeRate), likes: formatNumber(item.likes), seen: formatNumber(item.impressions) }) }));
}

/**
 * @param {string} title
 * @param {LovedItem[]} items
 * @param {"best" | "least"} kind
 */
function list(title, items, kind) {
  return h("div", { class: `loved-${kind}` },
    h("h4", { text: title }),
    h("ul", {},
      ...items.map(flower)));
}

/**
 * @param {HTMLElement | null} container
 * @param {Json} data  GET /admin/overview's answer
 */
export function renderLoved(container, data) {
  if (!container) return;
  /** @type {Json[]} */
  const emotions = data.emotions || [];
  const rows = emotions.filter((row) => row.loved && row.loved.best.length);
  const after = emotions.map((row) => row.loved && row.loved.judgedAfter).find(Boolean) || 10;
  if (!rows.length) {
    container.replaceChildren(h("p", { class: "hint", text: t("lovedNotYet", { after: formatNumber(after) }) }));
    return;
  }
  container.replaceChildren(
    h("h3", { text: t("lovedTitle") }),
    h("p", { class: "hint", text: t("lovedHow", { after: formatNumber(after) }) }),
    ...rows.map((row) => h("section", { class: "loved-emotion", dataset: { emotion: row.emotion } },
      h("h4", { text: t("lovedJudged", { emotion: emotionName(row.emotion), count: formatNumber(row.loved.judged) }) }),
      list(t("lovedBest"), row.loved.best, "best"),
      row.loved.least.length ? list(t("lovedLeast"), row.loved.least, "least") : null)));
}
