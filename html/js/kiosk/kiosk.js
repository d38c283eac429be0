// @ts-check
// The kiosk: welcome → camera with a countdown (or a chosen photo) → reading → the garden for
// the visitor's emotion; kind words when something goes wrong; back to the start when idle.
import { analyzeEmotion, ApiError, fetchGarden, getJob, growFlower, like } from "../shared/api.js";
import { CameraUnavailable, captureFrame, closeCamera, openCamera, photoFromFile } from "./camera.js";
import { $, $$, sleep } from "../shared/dom.js";
import { FavoriteChooser } from "./favorites.js";
import { isEmptyGarden } from "./garden-plan.js";
import { GardenView } from "./garden-view.js";
import { GROW_POLL_MS, growStep } from "./grow-plan.js";
import { keepLanguageInLinks, language, languageHref, localize } from "../shared/i18n.js";
import { watchIdle } from "./idle.js";
import { isAtRest } from "./idle-plan.js";
import { visitContext, watchImpressions } from "./impressions.js";
import { settings } from "../shared/settings.js";
import { TakeHome } from "./take-home.js";
import { likedKeys, newVisitor, rememberLike, visitorId } from "./visitor.js";
import { cameraProblem as cameraProblemFor, countdownSteps, emotionOf, readingProblem, readingWaitMs } from "./visit-plan.js";
import strings from "../shared/strings/kiosk.js";
import { emotionName, wordsFor } from "../shared/words.js";

// the page in the visitor's language (?lang=, else the browser's), its links keeping the choice
const t = localize(strings);
keepLanguageInLinks();

/** @typedef {import("./garden-plan.js").GardenItem} GardenItem */
/** @typedef {import("./visit-plan.js").Problem} Problem */

const screens = $$(".screen");
const video = /** @type {HTMLVideoElement} */ ($("#camera-video"));
const countdown = $("#countdown");
const live = $("#live");
const problemTitle = $("#problem-title");
const problemText = $("#problem-text");
const problemDetail = $("#problem-detail");
const gardenGrid = $("#garden-grid");
let run = 0;   // each visit's number: late answers from an abandoned visit are dropped
// "Reading your expression…" stays long enough to be read, however fast the answer comes
const MIN_READING_MS = 1400;
const KIOSK_ELSEWHERE = t("insecureSection");   // the README's section

const takeHome = new TakeHome();   // "Take it home": a liked flower's QR code
const garden = new GardenView(gardenGrid, {
  rotateSeconds: settings.rotateSeconds,
  isLiked: (/** @type {string} */ key) => likedKeys().has(key),
  onLoved: (/** @type {HTMLElement} */ figure, /** @type {GardenItem} */ item) => takeHome.offer(figure, item),
  // "More flowers" (the original's "Next"): offered while the garden has flowers not on screen
  onPaging: (/** @type {boolean} */ more) => { $("#more").hidden = !more; },
  onLike: async (/** @type {GardenItem} */ item) => {
    const visit = run;   // a like answered after this visitor left is not the next one's
    const answer = await like(visitorId(), item.key, { context: visitContext() });
    if (visit === run) {
      rememberLike(item.key);
      announce(t("liked"));
    }
    return /** @type {{likes: number}} */ (answer);
  },
});

// optional: a favorite (season, weather, time of day) regrows the garden with it first
const chooser = new FavoriteChooser($("#favorite-chooser"), (/** @type {string | null} */ favorite) => {
  const emotion = document.body.dataset.emotion;
  if (emotion) grow(emotion, run, favorite ?? undefined);
});

const idle = watchIdle(settings.idleSeconds, () => restart());

/** @param {string} text */
function announce(text) {
  live.textContent = "";
  requestAnimationFrame(() => { live.textContent = text; });
}

/**
 * @param {string} name               the screen's id
 * @param {string} [focusSelector]    what takes the focus (the screen's heading otherwise)
 */
function show(name, focusSelector) {
  document.body.dataset.screen = name;
  for (const screen of screens) {
    const active = screen.id === name;
    screen.hidden = !active;
    screen.classList.toggle("active", active);
  }
  if (isAtRest(name)) idle.disarm();
  else idle.arm();
  const target = focusSelector ? $(focusSelector) : $(`#${name} h1, #${name} h2`);
  if (target) target.focus({ preventScroll: true });
}

function restart() {
  run += 1;
  takeHome.close();
  closeCamera(video);
  garden.stop();
  chooser.reset();
  garden.forgetGrowing();   // a flower still growing is left to finish unseen
  newVisitor();
  delete document.body.dataset.emotion;
  document.documentElement.style.removeProperty("--accent");
  show("welcome", "#begin");
}

// --- taking the photo ---------------------------------------------------------------------
async function begin() {
  const visit = ++run;
  show("camera");
  countdown.textContent = "";
  let stream;
  try {
    stream = await openCamera(video, { isCurrent: () => visit === run });
  } catch (error) {
    if (visit !== run) return;
    cameraProblem(error instanceof CameraUnavailable ? error.reason : "failed", /** @type {Error} */ (error).message);
    return;
  }
  if (!stream) return;  // abandoned while the camera was starting: openCamera let it go
  // a visit abandoned while counting lets go of its own stream
  const abandoned = () => {
    if (visit === run) return false;
    for (const track of stream.getTracks()) track.stop();
    if (video.srcObject === stream) video.srcObject = null;
    return true;
  };
  for (const n of countdownSteps(settings.countdownSeconds)) {
    if (abandoned()) return;
    countdown.textContent = String(n);
    countdown.classList.remove("tick");
    void countdown.offsetWidth;  // restart the ring's animation
    countdown.classList.add("tick");
    await sleep(1000);
  }
  if (abandoned()) return;
  countdown.textContent = "";
  $("#camera").classList.add("flash");
  let photo;
  try {
    photo = await captureFrame(video);
  } catch (error) {
    if (visit !== run) return;
    problem(t("photoFailedTitle"), t("photoFailedText"), /** @type {Error} */ (error).message);
    return;
  } finally {
    closeCamera(video);
    setTimeout(() => $("#camera").classList.remove("flash"), 500);
  }
  if (visit !== run) return;  // Escape or idle while the photo was being taken
  await read(photo, visit, "camera");
}

// Why the camera did not open, and what to do instead: the main button becomes the upload.
/**
 * @param {string} reason  a CameraUnavailable's reason
 * @param {string} detail
 */
function cameraProblem(reason, detail) {
  planned(cameraProblemFor(reason), detail);
}

// A kind message as visit-plan.js chose it, in the page's language.
/**
 * @param {Problem} chosen
 * @param {string} error  the error's message (the detail line, when the message shows it)
 */
function planned(chosen, error) {
  const detail = chosen.detail === "origin" ? t("insecureDetail", { origin: window.location.origin })
    : chosen.detail === "error" ? error : "";
  problem(t(chosen.title), t(chosen.text, { section: KIOSK_ELSEWHERE }), detail, { photoFirst: chosen.photoFirst });
}

/** @param {File | null} file */
async function fromFile(file) {
  if (!file) return;
  const visit = ++run;
  closeCamera(video);
  let photo;
  try {
    photo = await photoFromFile(file);
  } catch (error) {
    if (visit !== run) return;
    problem(t("badFileTitle"), t("badFileText"), /** @type {Error} */ (error).message, { photoFirst: true });
    return;
  }
  if (visit !== run) return;
  await read(photo, visit, "upload");
}

// --- reading the emotion and growing the garden --------------------------------------------
/**
 * @param {Blob} photo
 * @param {number} visit
 * @param {"camera" | "upload"} source
 */
async function read(photo, visit, source) {
  show("reading");
  const shown = performance.now();
  /** @type {import("../shared/api.js").Json} */
  let analysis = {};
  /** @type {any} */
  let error = null;
  try {
    analysis = await analyzeEmotion(photo, visitorId());
  } catch (failure) {
    error = failure;
  }
  if (visit !== run) return;
  await sleep(readingWaitMs(shown, performance.now(), MIN_READING_MS));
  if (visit !== run) return;
  if (error) {
    planned(readingProblem(error instanceof ApiError ? error.status : null, source), /** @type {Error} */ (error).message);
    return;
  }
  const emotion = emotionOf(analysis);
  watchImpressions(gardenGrid, { visitor: visitorId(), emotion, generation: analysis.generation });
  growOwn(emotion, visit);   // beside the garden, which appears at once as ever
  await grow(emotion, visit);
}

// A flower of the visitor's own (POST /grow): one slot shows it growing and it blooms there,
// "grown for you", its take-home code offered. Off, refused (429), no capacity, held, failed
// or not ready within grow-plan.js's limit: the slot quietly stays or becomes a garden
// flower — never an error. A visit that ends (idle, "Start again") simply stops waiting.
/**
 * @param {string} emotion
 * @param {number} visit
 */
async function growOwn(emotion, visit) {
  const orientation = garden.flowerOrientation();
  const asked = performance.now();
  /** @type {any} */
  let view;
  try {
    view = await growFlower(visitorId(), emotion, { lang: language(), orientation });
  } catch {
    return;   // the garden as it is
  }
  if (visit !== run) return;
  garden.startGrowing(orientation);
  for (;;) {
    const step = growStep(view, performance.now() - asked, orientation);
    if (step.state === "bloomed" && step.flower) {
      await garden.bloom(step.flower);
      if (visit === run && garden.growing) announce(t("grownForYou"));
      return;
    }
    if (step.state === "garden") {
      garden.letGo();
      return;
    }
    await sleep(GROW_POLL_MS);
    if (visit !== run) return;
    try {
      view = await getJob(String(view.jobId));
    } catch {
      // asked again at the next turn, until the limit
    }
    if (visit !== run) return;
  }
}

/**
 * @param {string} emotion
 * @param {number} visit
 * @param {string} [favorite]
 */
async function grow(emotion, visit, favorite) {
  const words = wordsFor(emotion);
  document.body.dataset.emotion = emotion;
  document.documentElement.style.setProperty("--accent", words.accent);
  $("#garden-emotion").textContent = emotionName(emotion);   // the original's word: 행복, 슬픔…
  $("#garden-title").textContent = words.headline;
  $("#garden-line").textContent = words.line;
  $("#garden-line").hidden = false;
  $("#garden-empty").hidden = true;
  $("#garden-hint").hidden = true;   // only once there is a flower to like
  garden.stop();
  show("garden");
  announce(words.headline);
  let body;
  try {
    body = await fetchGarden(emotion, { ...visitContext(), favorite });
  } catch (error) {
    if (visit !== run) return;
    problem(t("restingTitle"), t("fetchFailedText"), /** @type {Error} */ (error).message);
    return;
  }
  if (visit !== run) return;
  if (isEmptyGarden(body)) {
    // one kind message, and nothing that speaks of flowers that are not there
    $("#garden-line").hidden = true;
    const empty = $("#garden-empty");
    empty.textContent = t("noFlowers", { noun: words.noun });
    empty.hidden = false;
    announce(empty.textContent);
    return;
  }
  garden.show(body, words.noun);
  $("#garden-hint").hidden = false;
  announce(words.line);
  if (favorite === undefined && visit === run) chooser.offer(emotion);   // once per visit
}

// photoFirst: trying the camera again would not help (it is denied, missing, or the photo was
// the problem): choosing a photo becomes the main button, and "Try again" steps aside.
/**
 * @param {string} title
 * @param {string} text
 * @param {string} detail
 * @param {{photoFirst?: boolean}} [options]
 */
function problem(title, text, detail, { photoFirst = false } = {}) {
  closeCamera(video);
  problemTitle.textContent = title;
  problemText.textContent = text;
  problemDetail.textContent = detail || "";
  problemDetail.hidden = !detail;
  $("#retry").hidden = photoFirst;
  const photoButton = $("#problem-photo");
  photoButton.classList.toggle("primary", photoFirst);
  photoButton.classList.toggle("quiet", !photoFirst);
  show("problem", "#problem-title");
}

// --- wiring --------------------------------------------------------------------------------
$("#begin").addEventListener("click", begin);
$("#retry").addEventListener("click", begin);
$("#cancel").addEventListener("click", restart);
$("#again").addEventListener("click", restart);
$("#more").addEventListener("click", () => garden.next());
$("#problem-home").addEventListener("click", restart);
for (const input of /** @type {HTMLInputElement[]} */ ($$("input[type=file][data-photo]"))) {
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    input.value = "";
    fromFile(file);
  });
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !isAtRest(document.body.dataset.screen)) restart();
});

// the language switch on the welcome screen: this page, the other language, same settings
for (const link of /** @type {HTMLAnchorElement[]} */ ($$(".lang-switch a[data-lang]"))) {
  link.href = languageHref(/** @type {string} */ (link.dataset.lang));
  if (link.dataset.lang === language()) link.setAttribute("aria-current", "true");
}

newVisitor();  // a fresh page is a fresh visitor: no likes carried over from the tab's last one
show("welcome", "#begin");
document.body.classList.add("ready");
