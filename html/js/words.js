// Friendly words for Rekognition's eight emotions: what the kiosk says back to a visitor,
// and the colour the page takes on for them.
export const EMOTIONS = ["HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR"];

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

const FALLBACK = { noun: "feeling", adjective: "thoughtful", headline: "Here is your garden", line: "Flowers grown from the way you look today.", accent: "#f3d9b1" };

export function wordsFor(emotion) {
  return WORDS[String(emotion || "").toUpperCase()] || FALLBACK;
}

export function titleCase(emotion) {
  const text = String(emotion || "").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
