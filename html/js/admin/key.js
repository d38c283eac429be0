// @ts-check
// The admin key: asked once, kept in sessionStorage (this tab only, gone when it closes).
const NAME = "garden.adminKey";

/** @returns {string} */
export function getKey() {
  try {
    return sessionStorage.getItem(NAME) || "";
  } catch {
    return "";
  }
}

/** @param {string} key */
export function setKey(key) {
  try {
    sessionStorage.setItem(NAME, key);
  } catch {
    /* storage blocked: the key lives as long as the page */
  }
}

export function clearKey() {
  try {
    sessionStorage.removeItem(NAME);
  } catch {
    /* nothing kept */
  }
}
