// The kiosk: welcome → camera with a countdown (or a chosen photo) → reading → the garden for
// the visitor's emotion; kind words when something goes wrong; back to the start when idle.
import { analyzeEmotion, ApiError, fetchGarden, like } from "./api.js";
import { CameraUnavailable, captureFrame, closeCamera, openCamera, photoFromFile } from "./camera.js";
import { $, $$, sleep } from "./dom.js";
import { GardenView } from "./garden-view.js";
import { watchIdle } from "./idle.js";
import { settings } from "./settings.js";
import { likedKeys, newVisitor, rememberLike, visitorId } from "./visitor.js";
import { wordsFor } from "./words.js";

const screens = $$(".screen");
const video = $("#camera-video");
const countdown = $("#countdown");
const live = $("#live");
const problemTitle = $("#problem-title");
const problemText = $("#problem-text");
const problemDetail = $("#problem-detail");
const gardenGrid = $("#garden-grid");
let run = 0;   // each visit's number: late answers from an abandoned visit are dropped

const garden = new GardenView(gardenGrid, {
  rotateSeconds: settings.rotateSeconds,
  isLiked: (key) => likedKeys().has(key),
  onLike: async (item) => {
    const visit = run;   // a like answered after this visitor left is not the next one's
    const answer = await like(visitorId(), item.key);
    if (visit === run) {
      rememberLike(item.key);
      announce("Thank you — your like was planted.");
    }
    return answer;
  },
});

const idle = watchIdle(settings.idleSeconds, () => restart());

function announce(text) {
  live.textContent = "";
  requestAnimationFrame(() => { live.textContent = text; });
}

function show(name, focusSelector) {
  document.body.dataset.screen = name;
  for (const screen of screens) {
    const active = screen.id === name;
    screen.hidden = !active;
    screen.classList.toggle("active", active);
  }
  if (name === "welcome") idle.disarm();
  else idle.arm();
  const target = focusSelector ? $(focusSelector) : $(`#${name} h1, #${name} h2`);
  if (target) target.focus({ preventScroll: true });
}

function restart() {
  run += 1;
  closeCamera(video);
  garden.stop();
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
    const reason = error instanceof CameraUnavailable ? error.reason : "failed";
    problem(
      reason === "denied" ? "The camera is resting" : "No camera here just now",
      "You can still grow a garden: choose a photo of a face instead.",
      error.message,
    );
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
  for (let n = settings.countdownSeconds; n > 0; n -= 1) {
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
    problem("The photo didn't take", "The camera blinked at the wrong moment. Let's try once more.", error.message);
    return;
  } finally {
    closeCamera(video);
    setTimeout(() => $("#camera").classList.remove("flash"), 500);
  }
  if (visit !== run) return;  // Escape or idle while the photo was being taken
  await read(photo, visit);
}

async function fromFile(file) {
  if (!file) return;
  const visit = ++run;
  closeCamera(video);
  let photo;
  try {
    photo = await photoFromFile(file);
  } catch (error) {
    if (visit !== run) return;
    problem("That photo would not open", "Try another picture — a JPEG or PNG of a face works best.", error.message);
    return;
  }
  if (visit !== run) return;
  await read(photo, visit);
}

// --- reading the emotion and growing the garden --------------------------------------------
async function read(photo, visit) {
  show("reading");
  let analysis;
  try {
    analysis = await analyzeEmotion(photo, visitorId());
  } catch (error) {
    if (visit !== run) return;
    if (error instanceof ApiError && error.status === 404) {
      problem("We couldn't quite find your face",
        "Step a little closer, face the light, and let's try once more.", "");
    } else if (error instanceof ApiError && (error.status === 413 || error.status === 415 || error.status === 400)) {
      problem("That photo didn't work for us", "Let's take a fresh one with the camera, or choose another picture.", error.message);
    } else {
      problem("The garden is catching its breath", "Something went quiet on our side. Please try again in a moment.", error.message);
    }
    return;
  }
  if (visit !== run) return;
  const emotion = String(analysis.emotions || "").toUpperCase();
  await grow(emotion, visit);
}

async function grow(emotion, visit) {
  const words = wordsFor(emotion);
  document.body.dataset.emotion = emotion;
  document.documentElement.style.setProperty("--accent", words.accent);
  $("#garden-title").textContent = words.headline;
  $("#garden-line").textContent = words.line;
  $("#garden-empty").hidden = true;
  garden.stop();
  show("garden");
  announce(`${words.headline}. ${words.line}`);
  let body;
  try {
    body = await fetchGarden(emotion);
  } catch (error) {
    if (visit !== run) return;
    problem("The garden is catching its breath", "The flowers could not be fetched just now. Please try again.", error.message);
    return;
  }
  if (visit !== run) return;
  if (body.empty || (!(body.landscape || []).length && !(body.portrait || []).length)) {
    const empty = $("#garden-empty");
    empty.textContent = `Nothing has bloomed for ${words.noun} yet — the gardeners are planting. Please come back soon.`;
    empty.hidden = false;
    return;
  }
  garden.show(body, words.noun);
}

function problem(title, text, detail) {
  closeCamera(video);
  problemTitle.textContent = title;
  problemText.textContent = text;
  problemDetail.textContent = detail || "";
  problemDetail.hidden = !detail;
  show("problem", "#problem-title");
}

// --- wiring --------------------------------------------------------------------------------
$("#begin").addEventListener("click", begin);
$("#retry").addEventListener("click", begin);
$("#cancel").addEventListener("click", restart);
$("#again").addEventListener("click", restart);
$("#problem-home").addEventListener("click", restart);
for (const input of $$("input[type=file][data-photo]")) {
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    input.value = "";
    fromFile(file);
  });
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.dataset.screen !== "welcome") restart();
});

newVisitor();  // a fresh page is a fresh visitor: no likes carried over from the tab's last one
show("welcome", "#begin");
document.body.classList.add("ready");
