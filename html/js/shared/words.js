// @ts-check
// Friendly words for Rekognition's eight emotions: what the kiosk says back to a visitor,
// and the colour the page takes on for them, in English and Korean (the page's language).
import { language } from "./i18n.js";

/**
 * @typedef {object} Words
 * @property {string} noun
 * @property {string} adjective
 * @property {string} headline
 * @property {string} line
 * @property {string} accent  the page's colour for the emotion (CSS)
 */

export const EMOTIONS = ["HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR"];

/** @type {Record<string, Words>} */
const WORDS = {
  HAPPY: { noun: "joy", adjective: "joyful", headline: "You’re glowing with joy", line: "Here is a garden in full, warm bloom for you.", accent: "#ffc36b" },
  SAD: { noun: "tenderness", adjective: "a little blue", headline: "You seem a little blue", line: "These flowers lean in quietly, to keep you company.", accent: "#8fb3ff" },
  ANGRY: { noun: "fire", adjective: "fiery", headline: "There’s fire in you today", line: "A bold, bright garden, with room for all of it.", accent: "#ff7a6b" },
  CONFUSED: { noun: "wonder", adjective: "puzzled", headline: "You look deep in thought", line: "A garden of winding stems and open questions.", accent: "#c7a6ff" },
  DISGUSTED: { noun: "honesty", adjective: "unimpressed", headline: "Not quite impressed?", line: "Perhaps these wilder blooms will change your mind.", accent: "#a8d08d" },
  SURPRISED: { noun: "wonder", adjective: "amazed", headline: "Oh — you look amazed", line: "A garden that opens all at once, just for you.", accent: "#ffd86b" },
  CALM: { noun: "calm", adjective: "serene", headline: "You seem calm and serene", line: "Soft colours and slow petals, to match your stillness.", accent: "#8fe0c8" },
  FEAR: { noun: "courage", adjective: "uneasy", headline: "You seem a little uneasy", line: "Gentle flowers, growing toward the light with you.", accent: "#b9a3e3" },
};

/** @type {Words} */
const FALLBACK = { noun: "feeling", adjective: "thoughtful", headline: "Here is your garden", line: "Flowers grown from the way you look today.", accent: "#f3d9b1" };

// Korean: said to a visitor, warmly (the accent colours are the English table's)
/** @type {Record<string, Omit<Words, "accent">>} */
const KOREAN = {
  HAPPY: { noun: "기쁨", adjective: "기쁜", headline: "기쁨으로 환하게 빛나고 있어요", line: "당신을 위해 따뜻하게 활짝 핀 정원이에요." },
  SAD: { noun: "다정함", adjective: "조금 울적한", headline: "조금 울적해 보여요", line: "꽃들이 조용히 곁에 다가와 함께 있어 줄 거예요." },
  ANGRY: { noun: "열정", adjective: "뜨거운", headline: "오늘 당신 안에 불꽃이 일고 있네요", line: "그 마음을 다 품을 만큼 크고 선명한 정원이에요." },
  CONFUSED: { noun: "호기심", adjective: "골똘한", headline: "깊은 생각에 잠겨 있군요", line: "구불구불한 줄기와 열린 물음들이 자라는 정원이에요." },
  DISGUSTED: { noun: "솔직함", adjective: "시큰둥한", headline: "별로 마음에 들지 않나요?", line: "이 들꽃들이라면 마음이 조금 달라질지도 몰라요." },
  SURPRISED: { noun: "설렘", adjective: "깜짝 놀란", headline: "어머, 깜짝 놀랐군요", line: "당신만을 위해 한꺼번에 활짝 피어나는 정원이에요." },
  CALM: { noun: "평온", adjective: "평온한", headline: "고요하고 평온해 보여요", line: "당신의 고요함을 닮은 부드러운 빛깔과 느린 꽃잎이에요." },
  FEAR: { noun: "용기", adjective: "조금 불안한", headline: "조금 불안해 보여요", line: "당신과 함께 빛을 향해 자라나는 다정한 꽃들이에요." },
};
const KOREAN_FALLBACK = { noun: "마음", adjective: "생각에 잠긴", headline: "당신의 정원이에요", line: "오늘 당신의 표정에서 자라난 꽃들이에요." };

// The emotions' own names, as the original kiosk in Korea called them.
/** @type {Record<string, string>} */
const NAMES_KO = {
  HAPPY: "행복", SAD: "슬픔", ANGRY: "분노", CONFUSED: "혼란", DISGUSTED: "혐오", SURPRISED: "놀람", CALM: "평온", FEAR: "두려움",
};

/**
 * @param {unknown} emotion
 * @param {string} [lang]
 * @returns {Words}
 */
export function wordsFor(emotion, lang = language()) {
  const name = String(emotion || "").toUpperCase();
  const english = WORDS[name] || FALLBACK;
  if (lang !== "ko") return english;
  return { ...(KOREAN[name] || KOREAN_FALLBACK), accent: english.accent };
}

// An emotion's name for the operator's desk: "Happy" in English, "행복" in Korean.
/**
 * @param {unknown} emotion
 * @param {string} [lang]
 * @returns {string}
 */
export function emotionName(emotion, lang = language()) {
  const name = String(emotion || "").toUpperCase();
  return lang === "ko" && NAMES_KO[name] ? NAMES_KO[name] : titleCase(emotion);
}

/**
 * @param {unknown} emotion
 * @returns {string}
 */
export function titleCase(emotion) {
  const text = String(emotion || "").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
