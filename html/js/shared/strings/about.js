// @ts-check
// The about page's frame in English and Korean (its two texts are in the markup, side by side).
/** @type {import("../i18n.js").Strings} */
export default {
  en: {
    pageTitle: "About the reading · Emotion Garden",
    title: "About the reading",
  },
  ko: {
    pageTitle: "표정 읽기에 대하여 · 감정 정원",
    title: "표정 읽기에 대하여",
  },
};
