// @ts-check
// The visitor's id: random, kept in sessionStorage (gone when the tab closes), renewed when
// the kiosk goes back to its start screen so the next visitor's likes count as their own.
import { fallbackVisitorId, readLiked, withLiked } from "./visit-plan.js";

const KEY = "garden.visitor";
const LIKED = "garden.liked";

function newId() {
  return crypto.randomUUID ? crypto.randomUUID() : fallbackVisitorId(Date.now(), Math.random());
}

/**
 * @param {string} name
 * @returns {string | null}
 */
function read(name) {
  try {
    return sessionStorage.getItem(name);
  } catch {
    return null;  // storage blocked: the id lives for this page only
  }
}

/**
 * @param {string} name
 * @param {string | null} value
 */
function write(name, value) {
  try {
    if (value === null) sessionStorage.removeItem(name);
    else sessionStorage.setItem(name, value);
  } catch {
    /* storage blocked */
  }
}

/** @type {string | null} */
let memoryId = null;

/** @returns {string} */
export function visitorId() {
  let id = read(KEY) || memoryId;
  if (!id) {
    id = newId();
    write(KEY, id);
  }
  memoryId = id;
  return id;
}

/** @returns {string} */
export function newVisitor() {
  memoryId = null;
  write(KEY, null);
  write(LIKED, null);
  return visitorId();
}

/** @returns {Set<string>} */
export function likedKeys() {
  return readLiked(read(LIKED));
}

/** @param {string} key */
export function rememberLike(key) {
  write(LIKED, withLiked(read(LIKED), key));
}
