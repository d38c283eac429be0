"""The SageMaker adapter: botocore Stubber for the contract and error codes, and the real
client pointed at a fake endpoint on 127.0.0.1 for a real read timeout."""
from __future__ import annotations

import base64
import io
import json

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from chalicelib.errors import BadImage, EndpointFailed, EndpointThrottled, EndpointTimeout
from chalicelib.generators import GenerationRequest
from chalicelib.generators.checks import encode_jpeg, ensure_jpeg
from chalicelib.generators.endpoint_server import serve_endpoint
from chalicelib.generators.sagemaker import SageMakerGenerator, client_config

REQUEST = GenerationRequest("A flower, fantasy, happy", 768, 512, negative_prompt="ugly", steps=25,
                            guidance_scale=7.0, seed=9)


def _client(**kwargs):
    return boto3.client("sagemaker-runtime", region_name="us-east-1", **kwargs)


def _body(payload: dict) -> StreamingBody:
    raw = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def _jpeg(w: int, h: int) -> str:
    return base64.b64encode(encode_jpeg(Image.new("RGB", (w, h), (250, 200, 40)))).decode()


def test_invokes_the_endpoint_with_the_jumpstart_contract():
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_endpoint",
                          {"Body": _body({"generated_images": [_jpeg(768, 512)], "prompt": REQUEST.prompt}),
                           "ContentType": "application/json"},
                          {"EndpointName": "sd-1", "Body": ANY, "ContentType": "application/json",
                           "Accept": "application/json;jpeg"})
        generator = SageMakerGenerator("sd-1", client=client)
        data = generator.generate(REQUEST)
        stub.assert_no_pending_responses()
    assert ensure_jpeg(data, 768, 512, source="t") == data
    assert generator.uri == "sagemaker:sd-1"


def test_the_body_carries_every_field_of_the_contract():
    client = _client()
    sent = {}
    client.meta.events.register("before-parameter-build.sagemaker-runtime.InvokeEndpoint",
                                lambda params, **_: sent.update(json.loads(params["Body"])))
    with Stubber(client) as stub:
        stub.add_response("invoke_endpoint", {"Body": _body({"generated_images": [_jpeg(768, 512)]})})
        SageMakerGenerator("sd-1", client=client).generate(REQUEST)
    assert sent == {"prompt": REQUEST.prompt, "negative_prompt": "ugly", "width": 768, "height": 512,
                    "num_images_per_prompt": 1, "num_inference_steps": 25, "guidance_scale": 7.0, "seed": 9}


@pytest.mark.parametrize("code,status,error", [
    ("ThrottlingException", 400, EndpointThrottled),
    ("ServiceUnavailable", 503, EndpointThrottled),
    ("ModelNotReadyException", 429, EndpointThrottled),
    ("ModelError", 424, EndpointFailed),
    ("ValidationError", 400, EndpointFailed),
    ("InternalFailure", 500, EndpointFailed),
])
def test_client_errors_map_to_domain_errors(code, status, error):
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", service_error_code=code, service_message="nope",
                              http_status_code=status)
        with pytest.raises(error, match=code):
            SageMakerGenerator("sd-1", client=client).generate(REQUEST)


@pytest.mark.parametrize("payload", [{"generated_images": []}, {"images": []}, {"generated_images": ["AAAA"]},
                                     {"generated_images": [_jpeg(512, 512)]}])
def test_answers_without_the_right_jpeg_are_bad_images(payload):
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_endpoint", {"Body": _body(payload)})
        with pytest.raises(BadImage):
            SageMakerGenerator("sd-1", client=client).generate(REQUEST)


def test_a_read_timeout_is_an_endpoint_timeout():
    client = _client()

    def hang(**_):
        raise ReadTimeoutError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com")

    client.meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", hang)
    with pytest.raises(EndpointTimeout):
        SageMakerGenerator("sd-1", client=client, timeout=1).generate(REQUEST)


def test_the_client_it_builds_has_the_timeout_and_no_retries(monkeypatch):
    generator = SageMakerGenerator("sd-1", timeout=42)
    config = generator.client.meta.config
    assert config.read_timeout == 42
    assert config.retries["total_max_attempts"] == 1
    assert client_config(5).connect_timeout == 5


def test_against_a_real_slow_endpoint_the_read_timeout_fires(solid):
    with serve_endpoint(solid, mode="hang") as server:
        client = _client(endpoint_url=server.base_url, config=client_config(0.5))
        with pytest.raises(EndpointTimeout):
            SageMakerGenerator("sd-1", client=client, timeout=0.5).generate(REQUEST)
        assert server.requests == 1                      # not retried by botocore


def test_against_a_real_endpoint_throttling_and_success(solid):
    with serve_endpoint(solid, mode="throttle", faults=1) as server:
        client = _client(endpoint_url=server.base_url, config=client_config(5))
        generator = SageMakerGenerator("sd-1", client=client)
        with pytest.raises(EndpointThrottled):
            generator.generate(REQUEST)
        assert ensure_jpeg(generator.generate(REQUEST), 768, 512, source="t")
