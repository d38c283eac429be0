// @ts-check
// The admin key: asked once, kept in sessionStorage (this tab only, gone when it closes).
const NAME = "garden.adminKey";

/** What the desk's panels are given: the key as it is now.
 * @typedef {() => string} AdminKey */
/** A 401/403 forgets the key and asks for it again: true when the error was one of those.
 * @typedef {(error: unknown) => boolean} OnAuthError */

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
