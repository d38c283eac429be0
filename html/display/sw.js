// @ts-check
// The wall screen's service worker (scope /display/): a screen that runs for days keeps showing
// its zone when the network or the server goes away, even across a reload.
//
// - The page, its script and style: kept at install; network first (a deploy shows at the
//   next load), the kept copy when the network fails.
// - The zone's answer (GET /zones/{n}): network first; the kept copy when the network fails,
//   marked with the X-Display-Copy header so the page knows to retry with backoff.
// - Garden images of the site's own origin: cache first. Each new zone answer prunes the
//   images no kept answer names (the cache never grows without bound) and fetches, two at a
//   time, those it lacks. Images on another origin (a CDN) are left to the browser: the
//   worker's own policy (connect-src 'self') would refuse them, and a cross-origin answer the
//   page may not read would take megabytes of quota each.
"use strict";

const VERSION = "2";   // the shell's files: a new version drops the old shell (2: the pages' folders)
const PREFIX = "display-";
const SHELL = `${PREFIX}shell-${VERSION}`;
const ZONES = `${PREFIX}zones`;
const IMAGES = `${PREFIX}images`;
const SHELL_FILES = ["./", "../css/display.css", "../js/display/display.js", "../js/display/display-plan.js",
  "../js/shared/api.js", "../js/shared/settings.js", "../config.js", "../favicon.svg"];
const NETWORK_MS = 8000;      // a network that neither answers nor fails: use the kept copy
const COPY_HEADER = "X-Display-Copy";
const ZONE_PATH = /\/zones\/\d{1,2}$/;
const IMAGE_PATH = /\/emotions\/[^?#]+\.jpe?g$/i;
const WARM_AT_ONCE = 2;
// self, as TypeScript knows a service worker's scope (make lint)
const scope = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

self.addEventListener("install", /** @param {ExtendableEvent} event */ (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(SHELL_FILES.map((file) => new Request(new URL(file, self.location.href), { cache: "no-cache" })));
    await scope.skipWaiting();
  })());
});

self.addEventListener("activate", /** @param {ExtendableEvent} event */ (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(`${PREFIX}shell-`) && name !== SHELL) await caches.delete(name);
    }
    await scope.clients.claim();
  })());
});

self.addEventListener("fetch", /** @param {FetchEvent} event */ (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, SHELL, { ignoreSearch: true }));
  } else if (ZONE_PATH.test(url.pathname)) {
    event.respondWith(zoneAnswer(event));
  } else if (IMAGE_PATH.test(url.pathname) && url.origin === self.location.origin) {
    event.respondWith(image(request));
  } else if (url.origin === self.location.origin && isShellFile(url)) {
    event.respondWith(networkFirst(request, SHELL, { ignoreSearch: true }));
  }
});

/** @param {URL} url */
function isShellFile(url) {
  return SHELL_FILES.some((file) => new URL(file, self.location.href).pathname === url.pathname);
}

// fetch that gives up after NETWORK_MS (a navigation's Request takes no AbortSignal)
/**
 * @param {Request} request
 * @returns {Promise<Response>}
 */
function network(request) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the network is too slow")), NETWORK_MS);
    fetch(request).then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * @param {Request} request
 * @param {string} cacheName
 * @param {CacheQueryOptions} matchOptions
 * @returns {Promise<Response>}
 */
async function networkFirst(request, cacheName, matchOptions) {
  try {
    const response = await network(request);
    if (response.ok && response.type === "basic") {
      const copy = response.clone();
      caches.open(cacheName).then((cache) => cache.put(stripped(request), copy)).catch(() => {});
    }
    return response;
  } catch (error) {
    const kept = await caches.match(stripped(request), { cacheName, ...matchOptions });
    if (kept) return kept;
    throw error;
  }
}

// the page's own files are kept under their plain URL (a navigation's query is the screen's)
/** @param {Request} request */
function stripped(request) {
  const url = new URL(request.url);
  url.search = "";
  url.hash = "";
  return url.href;
}

/**
 * @param {FetchEvent} event
 * @returns {Promise<Response>}
 */
async function zoneAnswer(event) {
  const request = event.request;
  const key = stripped(request);
  /** @type {Response | null} */
  let response = null;
  try {
    response = await network(request);
  } catch {
    response = null;
  }
  if (response && response.status === 200) {
    const copy = response.clone();
    event.waitUntil(keep(key, copy));
    return response;
  }
  if (response && response.status < 500) return response;     // 304, 404…: the server's word
  const kept = await (await caches.open(ZONES)).match(key);
  if (!kept) return response || Response.error();
  const headers = new Headers(kept.headers);
  headers.set(COPY_HEADER, "cached");
  return new Response(kept.body, { status: kept.status, statusText: kept.statusText, headers });
}

/**
 * @param {Request} request
 * @returns {Promise<Response>}
 */
async function image(request) {
  const cache = await caches.open(IMAGES);
  const kept = await cache.match(request.url);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) {
    try {
      await cache.put(request.url, response.clone());
    } catch {
      // storage full: shown now, fetched again next time
    }
  }
  return response;
}

// --- the image cache follows the kept zone answers ---------------------------------------------
let upkeep = Promise.resolve();
let generation = 0;

/**
 * @param {string} key
 * @param {Response} response
 */
function keep(key, response) {
  const run = ++generation;
  upkeep = upkeep.then(async () => {
    const body = await response.text();
    await (await caches.open(ZONES)).put(key, new Response(body, { status: 200, headers: response.headers }));
    if (run !== generation) return;   // a newer answer came meanwhile: it does the rest
    const wanted = await wantedImages();
    await prune(wanted);
    await warm(wanted, run);
  }).catch(() => {});
  return upkeep;
}

/** @returns {Promise<Set<string>>} */
async function wantedImages() {
  const zones = await caches.open(ZONES);
  /** @type {Set<string>} */
  const wanted = new Set();
  for (const request of await zones.keys()) {
    const response = await zones.match(request);
    let data = null;
    try {
      data = await /** @type {Response} */ (response).json();
    } catch {
      data = null;
    }
    for (const list of [data && data.landscape, data && data.portrait]) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (!item || typeof item.url !== "string") continue;
        try {
          const url = new URL(item.url, request.url);
          if (IMAGE_PATH.test(url.pathname) && url.origin === self.location.origin) wanted.add(url.href);
        } catch {
          // not a URL: nothing to keep
        }
      }
    }
  }
  return wanted;
}

/** @param {Set<string>} wanted */
async function prune(wanted) {
  const cache = await caches.open(IMAGES);
  for (const request of await cache.keys()) {
    if (!wanted.has(request.url)) await cache.delete(request);
  }
}

/**
 * @param {Set<string>} wanted
 * @param {number} run
 */
async function warm(wanted, run) {
  const cache = await caches.open(IMAGES);
  const kept = new Set((await cache.keys()).map((request) => request.url));
  const missing = [...wanted].filter((url) => !kept.has(url));
  const worker = async () => {
    while (missing.length && run === generation) {
      const url = /** @type {string} */ (missing.shift());
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.ok && run === generation) await cache.put(url, response);
      } catch {
        // offline or gone: fetched when the page shows it
      }
    }
  };
  await Promise.all(Array.from({ length: WARM_AT_ONCE }, worker));
}
