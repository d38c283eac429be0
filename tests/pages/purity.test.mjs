// The pages' decision modules (html/js/kiosk/*-plan.js, html/js/desk/*-plan.js) stay pure: no page, no network, no
// timers, no clock and no randomness of their own (what they need is handed to them), and no
// import but of each other. Each one has its tests here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

const KIOSK = new URL("../../html/js/kiosk/", import.meta.url);
const DESK = new URL("../../html/js/desk/", import.meta.url);
const plansOf = (folder) => readdirSync(folder).filter((name) => name.endsWith("-plan.js")).sort();
const PLANS = plansOf(KIOSK);
const DESK_PLANS = plansOf(DESK);
const FORBIDDEN = [
  "window", "document", "navigator", "globalThis", "self", "fetch", "XMLHttpRequest", "setTimeout", "setInterval",
  "requestAnimationFrame", "queueMicrotask", "performance", "Date", "crypto", "sessionStorage", "localStorage",
  "IntersectionObserver", "MutationObserver", "matchMedia", "Image",
];

/** The module's code without its comments (no URL or comment marker hides in their strings). */
const code = (name, folder = KIOSK) => strip(readFileSync(new URL(name, folder), "utf8"));
/** @param {string} text */
const strip = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");

/** What a module's code reaches for that a pure one must not. */
function impurities(source) {
  const found = FORBIDDEN.filter((word) => new RegExp(`(?<![\\w.$])${word}\\b`).test(source));
  if (/Math\.random/.test(source)) found.push("Math.random");
  for (const match of source.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g)) {
    const from = match[1] ?? match[2];
    if (!/^\.\/[\w-]+-plan\.js$/.test(from)) found.push(`import ${from}`);
  }
  return found;
}

test("the decision modules are there", () => {
  assert.deepEqual(PLANS, ["garden-plan.js", "grow-plan.js", "idle-plan.js", "visit-plan.js"]);
  assert.deepEqual(DESK_PLANS, ["bulk-plan.js", "review-plan.js"]);
});

for (const [name, folder] of [...PLANS.map((n) => [n, KIOSK]), ...DESK_PLANS.map((n) => [n, DESK])]) {
  test(`${name} reaches for nothing outside itself`, () => {
    assert.deepEqual(impurities(code(name, folder)), []);
  });

  test(`${name} has its tests`, () => {
    const tests = readdirSync(new URL(".", import.meta.url)).filter((file) => file.endsWith(".test.mjs"));
    assert.ok(tests.includes(name.replace(/\.js$/, ".test.mjs")), `tests/pages/ has no ${name.replace(/\.js$/, ".test.mjs")}`);
  });
}

test("the check itself finds a timer, the clock, a random draw and imports of a page's modules", () => {
  const sample = strip([
    'import { h } from "../shared/dom.js";',
    'import { WIDE } from "./garden-plan.js";',
    "const t = setTimeout(f, 1);   // a Date.now() in a comment is not counted",
    "const n = Date.now() + Math.random() + item.performance;",
    'const later = await import("./garden-view.js");',
  ].join("\n"));
  assert.deepEqual(impurities(sample), ["setTimeout", "Date", "Math.random", "import ../shared/dom.js", "import ./garden-view.js"]);
});
