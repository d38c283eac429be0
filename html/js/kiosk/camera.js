// @ts-check
// The camera: getUserMedia into a <video>, one still frame out as a JPEG. Photos are only
// held in memory long enough to send them; nothing is written anywhere.
import { translator } from "../shared/i18n.js";
import strings from "../shared/strings/kiosk.js";

const t = translator(strings);
const MAX_SIDE = 1280;   // plenty for a face; keeps uploads far under the API's 5 MB

/** @typedef {"insecure" | "unsupported" | "denied" | "missing" | "busy" | "failed"} CameraTrouble */

export class CameraUnavailable extends Error {
  /**
   * @param {CameraTrouble} reason
   * @param {string} message
   */
  constructor(reason, message) {
    super(message);
    this.name = "CameraUnavailable";
    this.reason = reason;   // "insecure" | "unsupported" | "denied" | "missing" | "busy" | "failed"
  }
}

export function cameraSupported() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

// isCurrent says whether the visit that asked still wants the camera: a stream that arrives
// for an abandoned visit is stopped at once and never attached (null comes back).
/**
 * @param {HTMLVideoElement} video
 * @param {{isCurrent?: () => boolean}} [options]
 * @returns {Promise<MediaStream | null>}
 */
export async function openCamera(video, { isCurrent = () => true } = {}) {
  // over plain http:// from another machine the browser hides the camera altogether
  if (!window.isSecureContext) throw new CameraUnavailable("insecure", t("cameraInsecure"));
  if (!cameraSupported()) throw new CameraUnavailable("unsupported", t("cameraUnsupported"));
  /** @type {MediaStream} */
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
  } catch (error) {
    const name = error && /** @type {{name?: unknown}} */ (error).name;
    if (name === "NotAllowedError" || name === "SecurityError") throw new CameraUnavailable("denied", t("cameraDenied"));
    if (name === "NotFoundError" || name === "OverconstrainedError") throw new CameraUnavailable("missing", t("cameraMissing"));
    if (name === "NotReadableError") throw new CameraUnavailable("busy", t("cameraBusy"));
    throw new CameraUnavailable("failed", t("cameraFailed"));
  }
  const release = () => {
    for (const track of stream.getTracks()) track.stop();
    if (video.srcObject === stream) video.srcObject = null;
  };
  if (!isCurrent()) {
    release();
    return null;
  }
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  await video.play().catch(() => {});
  try {
    await waitForFrames(video);
  } catch (error) {
    release();  // a camera that sends nothing is let go, its light off
    throw error;
  }
  if (!isCurrent()) {
    release();
    return null;
  }
  return stream;
}

/**
 * @param {HTMLVideoElement} video
 * @param {number} [timeoutMs]
 * @returns {Promise<void>}
 */
function waitForFrames(video, timeoutMs = 5000) {
  if (video.videoWidth > 0) return Promise.resolve();
  return new Promise(/** @type {(resolve: () => void, reject: (error: Error) => void) => void} */ ((resolve, reject) => {
    const timer = setTimeout(() => reject(new CameraUnavailable("failed", t("cameraSilent"))), timeoutMs);
    video.addEventListener("loadeddata", () => { clearTimeout(timer); resolve(); }, { once: true });
  }));
}

/** @param {HTMLVideoElement | null | undefined} video */
export function closeCamera(video) {
  const stream = /** @type {MediaStream | null} */ (video && video.srcObject);
  if (stream) for (const track of stream.getTracks()) track.stop();
  if (video) video.srcObject = null;
}

/**
 * @param {number} width
 * @param {number} height
 * @returns {[number, number]}
 */
function scaled(width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  return [Math.round(width * scale), Math.round(height * scale)];
}

/**
 * @param {HTMLCanvasElement} canvas
 * @returns {Promise<Blob>}
 */
function canvasToJpeg(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("could not encode the photo"))), "image/jpeg", 0.9);
  });
}

/**
 * @param {HTMLVideoElement} video
 * @returns {Promise<Blob>}
 */
export async function captureFrame(video) {
  const [width, height] = scaled(video.videoWidth, video.videoHeight);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).drawImage(video, 0, 0, width, height);
  return canvasToJpeg(canvas);
}

// A chosen file, re-encoded: EXIF rotation applied by the browser, size capped, any format
// the browser can read turned into a JPEG the API takes.
/**
 * @param {Blob} file
 * @returns {Promise<Blob>}
 */
export async function photoFromFile(file) {
  /** @type {ImageBitmap} */
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new Error(t("notAPhoto"));
  }
  const [width, height] = scaled(bitmap.width, bitmap.height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return canvasToJpeg(canvas);
}
