// @ts-check
// Korean and English on every page. The language is chosen by `?lang=ko|en` in the page's
// address first, else by the first of the browser's languages that is Korean or English, else
// English. Each page keeps its own dictionary in js/shared/strings/<name>.js:
//   export default { en: { key: "text" }, ko: { key: "텍스트" } };
// Markup keeps its English text (what shows before this runs) and names a key:
//   <h1 data-i18n="title">…</h1>
//   <input data-i18n-attr="placeholder:search;aria-label:searchLabel">
// Text is only ever set through textContent and setAttribute, never as markup.
/** A page's dictionary: language → key → text. @typedef {Record<string, Record<string, string>>} Strings */
/** Variables filled into a text's `{name}` places. @typedef {Record<string, unknown>} Vars */
/** `t(key, vars)`: the text in the page's language. @typedef {(key: string, vars?: Vars) => string} Translate */

export const LANGUAGES = ["en", "ko"];
const DEFAULT = "en";

/**
 * @param {unknown} tag
 * @returns {string | null}
 */
function supported(tag) {
  const primary = String(tag || "").trim().toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(primary) ? primary : null;
}

// the `?lang=` of the page's address, when it names a language this product speaks
/** @returns {string | null} */
export function chosenLanguage() {
  try {
    return supported(new URLSearchParams(window.location.search).get("lang"));
  } catch {
    return null;
  }
}

/** @returns {string} */
export function language() {
  const chosen = chosenLanguage();
  if (chosen) return chosen;
  const preferred = typeof navigator === "undefined"
    ? []
    : (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
  for (const tag of preferred) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return DEFAULT;
}

/**
 * @param {string} text
 * @param {Vars} [vars]
 * @returns {string}
 */
function fill(text, vars) {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (
    Object.prototype.hasOwnProperty.call(vars, name) && vars[name] !== undefined && vars[name] !== null
      ? String(vars[name])
      : whole));
}

// `t(key, vars)` for a dictionary in the given language: falls back to English, then the key.
/**
 * @param {Strings} strings
 * @param {string} [lang]
 * @returns {Translate}
 */
export function translator(strings, lang = language()) {
  const own = (strings && strings[lang]) || {};
  const english = (strings && strings[DEFAULT]) || {};
  /** @type {Translate} */
  return function t(key, vars) {
    const text = Object.prototype.hasOwnProperty.call(own, key) ? own[key]
      : Object.prototype.hasOwnProperty.call(english, key) ? english[key]
        : key;
    return fill(String(text), vars);
  };
}

// Translates the marked elements under `root`, sets <html lang>, and returns `t`.
/**
 * @param {Strings} strings
 * @param {Document | Element} [root]
 * @returns {Translate}
 */
export function localize(strings, root = document) {
  const lang = language();
  const t = translator(strings, lang);
  if (typeof document !== "undefined" && document.documentElement) {
    document.documentElement.lang = lang;
  }
  const scope = root && /** @type {Partial<ParentNode>} */ (root).querySelectorAll ? root : document;
  /** @param {string} selector */
  const marked = (selector) => {
    const found = [...scope.querySelectorAll(selector)];
    const element = /** @type {Partial<Element>} */ (scope);
    if (element.matches && element.matches(selector)) found.unshift(/** @type {Element} */ (scope));
    return found;
  };
  for (const node of marked("[data-i18n]")) {
    const key = node.getAttribute("data-i18n");
    if (key && hasKey(strings, key)) node.textContent = t(key);
  }
  for (const node of marked("[data-i18n-attr]")) {
    for (const pair of /** @type {string} */ (node.getAttribute("data-i18n-attr")).split(";")) {
      const at = pair.indexOf(":");
      if (at < 1) continue;
      const name = pair.slice(0, at).trim();
      const key = pair.slice(at + 1).trim();
      if (name && key && hasKey(strings, key)) node.setAttribute(name, t(key));
    }
  }
  return t;
}

// a key neither language knows leaves the markup's own text alone
/**
 * @param {Strings} strings
 * @param {string} key
 */
function hasKey(strings, key) {
  return LANGUAGES.some((lang) => strings && strings[lang]
    && Object.prototype.hasOwnProperty.call(strings[lang], key));
}

// The href with `lang=` added when the visitor chose the language by `?lang=`, so links
// between pages keep the choice. Fragments and other parameters are kept as they are.
/**
 * @template {string | null | undefined} T
 * @param {T} href
 * @returns {T | string}
 */
export function withLang(href) {
  const lang = chosenLanguage();
  if (!lang || href === undefined || href === null) return href;
  const text = String(href);
  const hashAt = text.indexOf("#");
  const hash = hashAt >= 0 ? text.slice(hashAt) : "";
  const rest = hashAt >= 0 ? text.slice(0, hashAt) : text;
  const queryAt = rest.indexOf("?");
  const path = queryAt >= 0 ? rest.slice(0, queryAt) : rest;
  const params = new URLSearchParams(queryAt >= 0 ? rest.slice(queryAt + 1) : "");
  params.set("lang", lang);
  return `${path}?${params.toString()}${hash}`;
}

// Intl formatting in the page's language.
/**
 * @param {number | bigint} value
 * @param {Intl.NumberFormatOptions} [options]
 */
export function formatNumber(value, options) {
  return new Intl.NumberFormat(language(), options).format(value);
}

/**
 * @param {unknown} value  a Date, or what `new Date()` reads (an ISO string, milliseconds)
 * @param {Intl.DateTimeFormatOptions} [options]
 */
export function formatDate(value, options = { dateStyle: "medium", timeStyle: "short" }) {
  const date = value instanceof Date ? value : new Date(/** @type {string | number} */ (value));
  if (Number.isNaN(date.getTime())) return String(value ?? "");
  return new Intl.DateTimeFormat(language(), options).format(date);
}

// Rewrites the page's own links (a[href] under `root`, same-site pages only) to keep `?lang=`.
/** @param {Document | Element} [root] */
export function keepLanguageInLinks(root = document) {
  if (!chosenLanguage()) return;
  for (const link of root.querySelectorAll("a[href]")) {
    const href = link.getAttribute("href");
    // a language switch's own links (hreflang) name their language themselves
    if (!href || link.hasAttribute("hreflang") || /^(?:[a-z][a-z0-9+.-]*:|\/\/|#)/i.test(href)) continue;
    if (/\.(?:json|png|jpe?g|webp|svg|txt|csv|zip)(?:[?#]|$)/i.test(href)) continue;
    link.setAttribute("href", withLang(href));
  }
}

// Link to this same page in the other language: used by the small EN / 한국어 switches.
/**
 * @param {string} lang
 * @param {{search: string, pathname: string, hash?: string}} [location]
 */
export function languageHref(lang, location = window.location) {
  const params = new URLSearchParams(location.search);
  params.set("lang", lang);
  return `${location.pathname}?${params.toString()}${location.hash || ""}`;
}
