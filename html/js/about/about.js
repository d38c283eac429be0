// @ts-check
// The about page reads the same without this script (both languages side by side); with it,
// the visitor's language (?lang=, else the browser's) comes first and names the page, and the
// way back to the kiosk keeps a language chosen with ?lang=.
import { chosenLanguage, keepLanguageInLinks, language, localize, withLang } from "../shared/i18n.js";
import strings from "../shared/strings/about.js";

// the page's <meta refresh> (two minutes) goes back to the plain kiosk; a little earlier,
// this goes back to it in the chosen language
const BACK_AFTER_MS = 115 * 1000;

localize(strings);
document.body.dataset.first = language();
keepLanguageInLinks();
if (chosenLanguage()) setTimeout(() => window.location.assign(withLang("./")), BACK_AFTER_MS);
