// @ts-check
// Tiny DOM helpers. Text always goes in through textContent, never innerHTML, so nothing a
// server says can become markup.
/** What h() takes as children (also in arrays, one level): nodes, text, numbers; nothing for
 * null, undefined and false.
 * @typedef {Node | string | number | boolean | null | undefined} Child */

/**
 * An element with its attributes (`text`, `class`, `dataset` and `on…` listeners are special).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of /** @type {Child[]} */ (children.flat())) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The pages look up their own markup: what a selector names is there, of the type asked for
// (`/** @type {HTMLInputElement} */ ($("#text"))`; HTMLElement otherwise).
/**
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {T}
 */
export const $ = (selector, root = document) => /** @type {T} */ (root.querySelector(selector));
/**
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {T[]}
 */
export const $$ = (selector, root = document) => /** @type {T[]} */ ([...root.querySelectorAll(selector)]);

/**
 * @param {Node} node
 * @param {string | null | undefined} text
 */
export function setText(node, text) {
  node.textContent = text ?? "";
}

// A small inline icon (SVG path data is ours, never the server's).
/**
 * @param {string} pathData
 * @param {string} [label]
 * @returns {SVGSVGElement}
 */
export function icon(pathData, label) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", pathData);
  svg.append(path);
  if (label) svg.dataset.label = label;
  return svg;
}

export const HEART = "M12 21s-7.5-4.6-9.6-9.3C1 8.4 3 5 6.4 5c2 0 3.6 1.1 4.6 2.7h2C14 6.1 15.6 5 17.6 5 21 5 23 8.4 21.6 11.7 19.5 16.4 12 21 12 21z";

/** @type {(ms: number) => Promise<void>} */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
