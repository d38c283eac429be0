"""Photos for the face tests. The people in them are public domain and ship inside test
dependencies (scikit-image's astronaut Eileen Collins, matplotlib's Grace Hopper); the cat and
the coffee cup have no human face. No photo of a person is committed to this repository."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

EVENTS = Path(__file__).parent / "events"


def jpeg(picture: Image.Image, quality: int = 92, **params) -> bytes:
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=quality, **params)
    return buffer.getvalue()


def png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    import skimage.data
    return Image.fromarray(skimage.data.astronaut())


@pytest.fixture(scope="session")
def hopper_jpeg() -> bytes:
    import matplotlib
    return (Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").read_bytes()


@pytest.fixture(scope="session")
def no_face_photos() -> dict[str, bytes]:
    import skimage.data
    return {"cat": jpeg(Image.fromarray(skimage.data.chelsea())),
            "coffee": jpeg(Image.fromarray(skimage.data.coffee()))}


@pytest.fixture
def rekognition():
    """A Rekognition client under botocore's Stubber: (client, stubber); every response
    queued must have been asked for."""
    import boto3
    from botocore.stub import Stubber

    from chalicelib.faces.rekognition import RETRY_CONFIG
    client = boto3.client("rekognition", region_name="us-east-1", config=RETRY_CONFIG)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture(scope="session")
def local_analyzer():
    """The process's local analyzer, its models loaded once for the whole session."""
    from chalicelib.faces.local import shared_analyzer
    analyzer = shared_analyzer()
    analyzer.load()
    return analyzer
