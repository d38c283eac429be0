// ESLint over the pages (make lint): the recommended rules, browser globals (the wall screen's
// service worker gets a worker's), and the import boundaries between the pages' folders; and
// over the pages' Node tests (tests/pages/), with Node's globals.
import js from "@eslint/js";
import globals from "globals";

// Import boundaries: each page's modules (html/js/<page>/) import only their own folder's and
// the shared ones (html/js/shared/); a shared module imports no page's.
const PAGES = ["kiosk", "display", "desk", "text2image", "about"];
const pageOnly = (page) => ({
  files: [`html/js/${page}/**/*.js`],
  rules: {
    "no-restricted-imports": ["error", {
      patterns: [{
        // ./x.js, or ../shared/…, and nothing else (no other page, nothing above html/js/)
        regex: "^(?!\\./(?!\\.)|\\.\\./shared/).*",
        message: `The ${page} page imports only its own modules (./) and the shared ones (../shared/).`,
      }],
    }],
  },
});
const boundaries = [
  ...PAGES.map(pageOnly),
  {
    files: ["html/js/shared/**/*.js"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{
          regex: `(^|/)(${PAGES.join("|")})/`,
          message: "Shared modules import no page's modules.",
        }],
      }],
    },
  },
];

const rules = {
  "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
  eqeqeq: ["error", "always", { null: "ignore" }],
  "no-var": "error",
  "prefer-const": "error",
};

export default [
  { ignores: ["node_modules/**", ".venv/**", "test-artifacts/**"] },
  js.configs.recommended,
  {
    files: ["html/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules,
  },
  {
    files: ["tests/pages/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules,
  },
  {
    files: ["html/config.js"],
    languageOptions: { sourceType: "script" },
  },
  {
    files: ["html/display/sw.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.serviceworker } },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
  ...boundaries,
];
