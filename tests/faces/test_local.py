"""The offline analyzer on real photos. Its models load once for the session; kept few."""
from __future__ import annotations

import dataclasses
import threading

import pytest
from PIL import Image

from chalicelib.errors import NotFound, ServiceUnavailable
from chalicelib.faces import local, prepare_image
from chalicelib.faces.service import Gate, analyze_photo
from tests.timing import scaled

from .conftest import jpeg, png

pytestmark = pytest.mark.slow


def test_smiling_astronaut_is_happy(local_analyzer, astronaut):
    result = analyze_photo(jpeg(astronaut), "image/jpeg", local_analyzer)
    assert result["emotions"] == "HAPPY"
    assert result["emotionScores"]["HAPPY"] > 90
    assert result["smile"] is True and result["eyesOpen"] is True
    assert result["faces"] == 1 and result["analyzer"] == "local"
    assert result["gender"] == "Female"
    low, high = result["ageRange"]["Low"], result["ageRange"]["High"]
    assert 15 <= low < high <= 60  # Eileen Collins was about 40
    assert result["generation"] in ("young-adult", "adult")
    box = result["boundingBox"]  # her face is in the upper middle of the picture
    assert 0.25 < box["Left"] < 0.5 and 0.05 < box["Top"] < 0.3 and 0.1 < box["Width"] < 0.3


def test_grace_hopper_is_calm_and_old(local_analyzer, hopper_jpeg):
    result = analyze_photo(hopper_jpeg, "image/jpeg", local_analyzer)
    assert result["emotions"] == "CALM"
    assert result["smile"] is False
    assert result["ageRange"]["High"] >= 60  # she was 79 in this portrait
    assert result["generation"] in ("middle-age", "elder")


def test_unknowable_attributes_are_null_not_guessed(local_analyzer, astronaut):
    result = analyze_photo(jpeg(astronaut), "image/jpeg", local_analyzer)
    assert result["emotionScores"]["CONFUSED"] is None
    assert all(result[k] is None for k in ("eyeglasses", "sunglasses", "beard", "mustache"))
    assert set(result["emotionScores"]) == {"HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED",
                                            "SURPRISED", "CALM", "FEAR"}
    known = [v for v in result["emotionScores"].values() if v is not None]
    assert sum(known) == pytest.approx(100, abs=0.5)


@pytest.mark.parametrize("name", ["cat", "coffee"])
def test_no_human_face(local_analyzer, no_face_photos, name):
    with pytest.raises(NotFound, match="No Face"):
        analyze_photo(no_face_photos[name], "image/jpeg", local_analyzer)


def test_phone_photo_rotated_by_exif_still_finds_the_face(local_analyzer, astronaut):
    exif = Image.Exif()
    exif[0x0112] = 8  # stored rotated; "rotate 90° counter-clockwise to view"
    stored = astronaut.transpose(Image.Transpose.ROTATE_270)
    result = analyze_photo(jpeg(stored, exif=exif.tobytes()), "image/jpeg", local_analyzer)
    assert result["emotions"] == "HAPPY"


def test_png_and_large_photos(local_analyzer, astronaut):
    assert analyze_photo(png(astronaut), "image/png", local_analyzer)["emotions"] == "HAPPY"
    large = astronaut.resize((2048, 2048), Image.Resampling.BICUBIC)
    result = analyze_photo(jpeg(large, quality=80), None, local_analyzer)
    assert result["emotions"] == "HAPPY"


def test_with_two_people_the_largest_face_is_analysed(local_analyzer, astronaut, hopper_jpeg):
    hopper = Image.open(__import__("io").BytesIO(hopper_jpeg)).convert("RGB")  # 512 x 600
    # MediaPipe's short-range detector is made for people near the camera, as at a kiosk:
    # a smaller smiling head beside a larger calm one.
    group = Image.new("RGB", (1024, 600), (90, 90, 90))
    group.paste(astronaut.crop((140, 20, 310, 250)).resize((255, 345)), (100, 200))
    group.paste(hopper, (512, 0))
    result = analyze_photo(jpeg(group), "image/jpeg", local_analyzer)
    assert result["faces"] == 2
    assert result["emotions"] == "CALM"
    assert result["boundingBox"]["Left"] > 0.4


def test_threads_share_one_analyzer(local_analyzer, astronaut, hopper_jpeg):
    photos = [jpeg(astronaut), hopper_jpeg] * 3
    results: list = [None] * len(photos)

    # every photo may wait for its turn (the server's own gate refuses past 2 waiting)
    gate = Gate(slots=2, wait_s=scaled(120), waiters=len(photos))

    def work(i: int) -> None:
        results[i] = analyze_photo(photos[i], "image/jpeg", local_analyzer, gate=gate)["emotions"]
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(photos))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(scaled(300))
    assert results == ["HAPPY", "CALM"] * 3


def test_shared_analyzer_is_one_per_process(local_analyzer):
    assert local.shared_analyzer() is local_analyzer


def test_a_model_file_with_the_wrong_checksum_is_refused(monkeypatch):
    tampered = dataclasses.replace(local.MODELS["emotion"], sha256="0" * 64)
    monkeypatch.setitem(local.MODELS, "emotion", tampered)
    with pytest.raises(ServiceUnavailable, match="SHA-256"):
        local.LocalAnalyzer().analyze(prepare_image(jpeg(Image.new("RGB", (8, 8))), None))


def test_a_missing_model_wheel_names_the_install_step(monkeypatch):
    missing = local.ModelFile("no-such-wheel", "x/model.task", "0" * 64)
    with pytest.raises(ServiceUnavailable, match="requirements-models.txt"):
        local.read_verified(missing)


def test_every_pinned_model_file_matches(local_analyzer):
    for model in local.MODELS.values():
        assert local.read_verified(model)


@pytest.mark.parametrize("peak, expected", [(30, (27, 33)), (0, (0, 4)), (80, (77, 83))])
def test_age_range_from_a_sharp_distribution(peak, expected):
    import numpy as np
    weights = np.asarray(local.AGE_WEIGHTS, dtype=np.float32)
    p = np.zeros(81, dtype=np.float32)
    p[peak] = 1.0
    assert (lambda r: (r.low, r.high))(local.age_range(p, weights)) == expected


def test_age_range_from_a_wide_distribution_is_wide():
    import numpy as np
    weights = np.asarray(local.AGE_WEIGHTS, dtype=np.float32)
    p = np.zeros(81, dtype=np.float32)
    p[20:41] = 1.0  # anything from 20 to 40
    r = local.age_range(p, weights)
    assert r.low <= 25 and r.high >= 35
