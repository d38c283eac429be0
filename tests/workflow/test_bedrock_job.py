"""A Bedrock model (concurrency 2) and a SageMaker endpoint share one text-to-image job, run
by the real workflow (statemachine/generate.asl.json in the local engine): SageMaker under
moto, botocore's Stubber on the Bedrock client. What is asserted holds whatever the plan's
shape (branches per worker, or workers pulling the job's next image)."""
from __future__ import annotations

import base64
import io
import json

import pytest
import requests
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws
from PIL import Image

from chalicelib.web import context
from chalicelib.rules import provenance
from tests.generators.test_bedrock import in_flight

NOVA = "bedrock:amazon.nova-canvas-v1:0?concurrency=2"
SAGEMAKER = "sagemaker:garden-sd-1"
COUNT, WIDTH, HEIGHT = 6, 768, 512


def _encoded(fmt: str, color: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), color).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def _queue_sagemaker_results(count: int) -> None:
    """moto's SageMaker hook: each new InvokeEndpoint request takes the next queued result."""
    body = json.dumps({"generated_images": [_encoded("JPEG", (200, 40, 40))], "prompt": "p"})
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
        json={"account_id": "123456789012", "region": "us-east-1",
              "results": [{"Body": body, "ContentType": "application/json"}] * count}, timeout=5)
    assert response.status_code == 201, response.text


def _stub_bedrock(client, count: int, hold: float) -> dict[str, int]:
    """Nova Canvas answers (PNG, as the model does), each call held ``hold`` seconds so that
    concurrent calls overlap; returns the calls and the most in flight at once."""
    stub = Stubber(client)
    raw = json.dumps({"images": [_encoded("PNG", (40, 150, 90))]}).encode()
    for _ in range(count):
        stub.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                           "contentType": "application/json"})
    seen = in_flight(client, hold)
    stub.activate()
    return seen


@pytest.fixture
def mixed(monkeypatch):
    monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps([NOVA, SAGEMAKER]))
    with mock_aws():
        _queue_sagemaker_results(COUNT)
        nova = next(g for g in context.current().generators if g.uri == NOVA)
        seen = _stub_bedrock(nova.client, COUNT, hold=0.3)  # type: ignore[union-attr]
        yield seen


def test_a_bedrock_model_and_a_sagemaker_endpoint_share_a_job(mixed):
    import app  # noqa: F401 - the object-event handler that indexes what the store receives
    assert context.current().settings.workers == (NOVA, NOVA, SAGEMAKER)
    engine = context.current().workflow
    execution_id = engine.start("text2image", {"text": "A flower, fantasy, happy", "count": COUNT,
                                               "width": WIDTH, "height": HEIGHT, "seed": 11},
                                "bedrock-and-sagemaker-1")
    execution = engine.wait(execution_id, 60)
    assert execution.status == "SUCCEEDED", execution
    job = context.current().job_store.get_job(execution.output["jobId"])
    assert (job["status"], job.get("errors") or []) == ("SUCCEEDED", [])

    # every image made once, by one of the two kinds, both kinds used
    assert sorted(i["n"] for i in job["images"]) == list(range(COUNT))
    by_endpoint = {uri: [i for i in job["images"] if i["endpoint"] == uri] for uri in (NOVA, SAGEMAKER)}
    assert len(by_endpoint[NOVA]) + len(by_endpoint[SAGEMAKER]) == COUNT
    assert by_endpoint[NOVA] and by_endpoint[SAGEMAKER]
    assert mixed["calls"] == len(by_endpoint[NOVA])
    # the model's two workers both had an image in flight at once, never more
    assert mixed["most"] == 2

    for image in job["images"]:
        origin = provenance.read(context.current().store.get(image["key"]))
        assert (origin["width"], origin["height"], origin["endpoint"]) == (WIDTH, HEIGHT, image["endpoint"])
        if image["endpoint"] == NOVA:   # the model's own account of the image survives
            assert origin["generator"] == {"model": "amazon.nova-canvas-v1:0", "asked": "768x512",
                                           "nativeWidth": WIDTH, "nativeHeight": HEIGHT,
                                           "fitted": "none"}
        else:
            assert "generator" not in origin
