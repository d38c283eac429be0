"""Reading less (GARDEN_FACE_READING=emotion): the emotion only, from both analyzers; the local
one never opens the age and gender graphs, Rekognition is asked for EMOTIONS alone."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from chalicelib import config
from chalicelib.errors import ConfigError
from chalicelib.bootstrap import build_analyzer
from chalicelib.faces import local, prepare_image
from chalicelib.faces.rekognition import RekognitionAnalyzer
from chalicelib.faces.service import analyze_photo

from .conftest import EVENTS, jpeg

ROOT = Path(__file__).resolve().parents[2]
PHOTO = jpeg(Image.new("RGB", (64, 48), (200, 180, 160)))
NOT_READ = ("ageRange", "generation", "gender", "smile", "eyeglasses", "sunglasses", "beard",
            "mustache", "eyesOpen", "mouthOpen")


def _settings(**env: str) -> config.Settings:
    return config.load({"GARDEN_DATA_DIR": "/nonexistent/garden", **env})


# --- the setting ------------------------------------------------------------------------------
def test_the_default_reads_every_attribute():
    assert _settings().face_reading == "full"


@pytest.mark.parametrize("raw", ["emotion", " Emotion ", "EMOTION"])
def test_emotion_reading_is_accepted_in_any_case(raw):
    assert _settings(GARDEN_FACE_READING=raw).face_reading == "emotion"


@pytest.mark.parametrize("raw", ["none", "0", "emotions", "full\x00", "emoción"])
def test_an_unknown_reading_is_refused_naming_the_setting_and_its_values(raw):
    with pytest.raises(ConfigError, match="GARDEN_FACE_READING=.*'full'.*'emotion'"):
        _settings(GARDEN_FACE_READING=raw)


# --- Rekognition ------------------------------------------------------------------------------
def _detail_event() -> dict:
    # A full answer (AgeRange, Gender, Smile...): what Rekognition would send to ALL. An
    # emotion-only analyzer must not pass those on even if an answer holds them.
    return json.loads((EVENTS / "detect_faces_one.json").read_text())


def test_rekognition_is_asked_for_emotions_alone(rekognition):
    client, stubber = rekognition
    stubber.add_response("detect_faces", _detail_event(),
                         {"Image": {"Bytes": PHOTO}, "Attributes": ["EMOTIONS"]})
    analyzer = build_analyzer(_settings(GARDEN_ANALYZER="rekognition",
                                        GARDEN_FACE_READING="emotion"), rekognition_client=client)
    result = analyze_photo(PHOTO, "image/jpeg", analyzer, user_id="kiosk-7")
    assert result["emotions"] == "HAPPY" and result["analyzer"] == "rekognition"
    assert result["emotionScores"]["HAPPY"] == pytest.approx(91.2)
    assert result["boundingBox"]["Left"] == pytest.approx(0.3512)
    assert {k: result[k] for k in NOT_READ} == dict.fromkeys(NOT_READ)


def test_rekognition_full_reading_still_asks_for_all(rekognition):
    client, stubber = rekognition
    stubber.add_response("detect_faces", _detail_event(),
                         {"Image": {"Bytes": PHOTO}, "Attributes": ["ALL"]})
    analyzer = build_analyzer(_settings(GARDEN_ANALYZER="rekognition"), rekognition_client=client)
    result = analyze_photo(PHOTO, "image/jpeg", analyzer)
    assert result["gender"] == "Female" and result["generation"] == "adult"


def test_the_answer_to_emotions_alone_maps_to_a_face(rekognition):
    """What DetectFaces really returns for ["EMOTIONS"]: the default attributes and Emotions."""
    client, stubber = rekognition
    event = _detail_event()
    keep = {"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality", "Emotions"}
    event["FaceDetails"] = [{k: v for k, v in d.items() if k in keep} for d in event["FaceDetails"]]
    stubber.add_response("detect_faces", event)
    [face] = RekognitionAnalyzer(client, emotion_only=True).analyze(
        prepare_image(PHOTO, "image/jpeg"))
    assert face.dominant_emotion == "HAPPY" and face.age_range is None and face.smile is None


# --- the local analyzer -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def emotion_analyzer():
    analyzer = local.shared_analyzer(emotion_only=True)
    analyzer.load()
    return analyzer


@pytest.mark.slow
def test_local_emotion_only_reads_the_emotion_and_nothing_else(emotion_analyzer, astronaut):
    result = analyze_photo(jpeg(astronaut), "image/jpeg", emotion_analyzer)
    assert result["emotions"] == "HAPPY" and result["emotionScores"]["HAPPY"] > 90
    assert result["faces"] == 1 and 0.25 < result["boundingBox"]["Left"] < 0.5
    assert {k: result[k] for k in NOT_READ} == dict.fromkeys(NOT_READ)


@pytest.mark.slow
def test_local_emotion_only_opens_two_model_files_the_full_one_five(emotion_analyzer,
                                                                    local_analyzer):
    assert emotion_analyzer.opened == ("landmarker", "emotion")
    assert local_analyzer.opened == ("landmarker", "emotion", "age", "gender", "shape")


@pytest.mark.slow
def test_the_same_emotion_from_either_reading(emotion_analyzer, local_analyzer, hopper_jpeg):
    full = analyze_photo(hopper_jpeg, "image/jpeg", local_analyzer)
    less = analyze_photo(hopper_jpeg, "image/jpeg", emotion_analyzer)
    assert less["emotionScores"] == full["emotionScores"] and less["emotions"] == "CALM"
    assert less["boundingBox"] == full["boundingBox"] and less["gender"] is None


def test_each_reading_has_its_own_shared_analyzer():
    emotion = build_analyzer(_settings(GARDEN_FACE_READING="emotion"))
    full = build_analyzer(_settings())
    assert emotion is local.shared_analyzer(emotion_only=True) and emotion.emotion_only
    assert full is local.shared_analyzer() and not full.emotion_only


_FRESH_PROCESS = """
import json, sys
from chalicelib import config
from chalicelib.bootstrap import build_analyzer
from chalicelib.faces import prepare_image
analyzer = build_analyzer(config.load({"GARDEN_FACE_READING": "emotion",
                                       "GARDEN_DATA_DIR": sys.argv[2]}))
[face] = analyzer.analyze(prepare_image(open(sys.argv[1], "rb").read(), "image/jpeg"))
print(json.dumps({"opened": analyzer.opened, "emotion": face.dominant_emotion,
                  "imported": sorted(m for m in ("onnxruntime", "dlib", "_dlib_pybind11")
                                     if m in sys.modules)}))
"""


@pytest.mark.slow
def test_a_fresh_emotion_only_process_never_imports_onnx_runtime_or_dlib(astronaut, tmp_path):
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(jpeg(astronaut))
    proc = subprocess.run([sys.executable, "-c", _FRESH_PROCESS, str(photo), str(tmp_path / "g")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"opened": ["landmarker", "emotion"], "emotion": "HAPPY", "imported": []}
