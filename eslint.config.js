// ESLint over the pages (make lint): the recommended rules, browser globals (the wall screen's
// service worker gets a worker's), and the import boundaries between the pages' folders.
import js from "@eslint/js";
import globals from "globals";

// The desk (html/js/admin/) may import its own modules and the shared ones beside it
// (html/js/*.js); a shared module never imports the desk's.
const boundaries = [
  {
    files: ["html/js/*.js", "html/js/strings/**/*.js"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ regex: "(^|/)admin/", message: "Shared modules may not import the desk's (html/js/admin/)." }],
      }],
    },
  },
  {
    files: ["html/js/admin/**/*.js"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ regex: "^(?!\\./|\\.\\./(?!\\.\\./|admin/)).*", message: "The desk imports only its own modules (./) and the shared ones (../)." }],
      }],
    },
  },
];

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
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
    },
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
