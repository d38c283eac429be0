// Reads html/config.js (a classic script that sets window.GARDEN_CONFIG) once, with safe
// defaults, and lets a page URL override the kiosk's pacing for one visit (?idle=20).
const defaults = { apiBase: "", countdownSeconds: 3, rotateSeconds: 9, idleSeconds: 75 };
const limits = { countdownSeconds: [0, 10], rotateSeconds: [1, 120], idleSeconds: [2, 3600] };
const urlNames = { countdown: "countdownSeconds", rotate: "rotateSeconds", idle: "idleSeconds" };

function clamp(value, [low, high], fallback) {
  const number = Number(value);
  return Number.isFinite(number) ? Math.min(high, Math.max(low, number)) : fallback;
}

function load() {
  const merged = { ...defaults, ...(window.GARDEN_CONFIG || {}) };
  const params = new URLSearchParams(window.location.search);
  for (const [param, name] of Object.entries(urlNames)) {
    if (params.has(param)) merged[name] = params.get(param);
  }
  for (const [name, range] of Object.entries(limits)) {
    merged[name] = clamp(merged[name], range, defaults[name]);
  }
  merged.apiBase = String(merged.apiBase || "").replace(/\/+$/, "");
  return Object.freeze(merged);
}

export const settings = load();
