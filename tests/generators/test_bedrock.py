"""The Bedrock adapter: botocore's Stubber on the documented request and response bodies of each
model family (Stability's images, seeds and finish_reasons; Nova Canvas's images and error),
the error mapping, the size mapping, concurrency, and a real read timeout from a silent socket."""
from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib import config
from chalicelib.errors import (
    BadImage,
    ConfigError,
    EndpointFailed,
    EndpointThrottled,
    EndpointTimeout,
    InvalidRequest,
)
from chalicelib.generators import GenerationRequest
from chalicelib.generators.bedrock import (
    NOVA_MAX_PIXELS,
    BedrockGenerator,
    build_client,
    nova_size,
    stability_ratio,
)
from chalicelib.generators.checks import ensure_jpeg
from chalicelib.rules import provenance

SD35, CORE, NOVA = "stability.sd3-5-large-v1:0", "stability.stable-image-core-v1:1", "amazon.nova-canvas-v1:0"
GARDEN = GenerationRequest("A flower, fantasy, happy, young, smile, concept art", 1280, 800,
                           negative_prompt="ugly, blurry", guidance_scale=7.5, seed=42)


def _client():
    return boto3.client("bedrock-runtime", region_name="us-west-2")


def _generator(model: str, client, concurrency: int = 1, timeout: float | None = None):
    uri = f"bedrock:{model}" + (f"?concurrency={concurrency}" if concurrency > 1 else "")
    return BedrockGenerator(config.parse_bedrock(uri), uri=uri, client=client, timeout=timeout)


def _image(width: int, height: int, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 150, 90)).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def _answer(payload: dict | bytes) -> dict:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


def _sent(client) -> list[dict]:
    """The JSON bodies the client sends, as the model receives them."""
    bodies: list[dict] = []
    client.meta.events.register("before-parameter-build.bedrock-runtime.InvokeModel",
                                lambda params, **_: bodies.append(json.loads(params["body"])))
    return bodies


# --- Stability -------------------------------------------------------------------------------
def test_stability_gets_its_documented_body_and_a_landscape_garden_image_is_fitted():
    client = _client()
    sent = _sent(client)
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"seeds": [42], "finish_reasons": [None],
                                                   "images": [_image(1216, 832, "JPEG")]}),
                          {"modelId": SD35, "body": ANY, "contentType": "application/json",
                           "accept": "application/json"})
        data = _generator(SD35, client).generate(GARDEN)
        stub.assert_no_pending_responses()
    assert sent == [{"prompt": GARDEN.prompt, "negative_prompt": "ugly, blurry", "seed": 42,
                     "aspect_ratio": "3:2", "output_format": "jpeg"}]
    assert ensure_jpeg(data, 1280, 800, source="t") == data        # exactly the size asked
    assert provenance.read(data)["generator"] == {
        "model": SD35, "asked": "3:2", "nativeWidth": 1216, "nativeHeight": 832,
        "fitted": "cover-crop", "modelSeed": 42}


def test_stability_portrait_asks_two_by_three_and_omits_what_the_request_lacks():
    client = _client()
    sent = _sent(client)
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"seeds": [7], "finish_reasons": [None],
                                                   "images": [_image(832, 1216)]}))
        data = _generator(CORE, client).generate(GenerationRequest("a calm lake", 800, 1280))
    assert sent == [{"prompt": "a calm lake", "aspect_ratio": "2:3", "output_format": "jpeg"}]
    assert ensure_jpeg(data, 800, 1280, source="t") == data
    assert provenance.read(data)["generator"]["modelSeed"] == 7


def test_without_exact_the_model_native_size_is_delivered():
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"seeds": [1], "finish_reasons": [None],
                                                   "images": [_image(1216, 832, "JPEG")]}))
        request = GenerationRequest("a calm lake", 1280, 800, exact=False)
        data = _generator(SD35, client).generate(request)
    assert Image.open(io.BytesIO(data)).size == (1216, 832)
    assert provenance.read(data)["generator"]["fitted"] == "none"


@pytest.mark.parametrize("reason", ["Filter reason: prompt", "Filter reason: output image"])
def test_a_filtered_stability_image_is_an_error_on_that_image_saying_so(reason):
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"seeds": [3], "finish_reasons": [reason],
                                                   "images": [_image(1024, 1024)]}))
        with pytest.raises(BadImage, match="content filter refused this image") as caught:
            _generator(SD35, client).generate(GARDEN)
    assert reason in str(caught.value) and "reword the prompt" in str(caught.value)


def test_a_stability_inference_error_fails_only_the_image():
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"finish_reasons": ["Inference error"]}))
        with pytest.raises(BadImage, match="Inference error"):
            _generator(SD35, client).generate(GARDEN)


# --- Nova Canvas -----------------------------------------------------------------------------
def test_nova_canvas_gets_its_documented_body_and_answers_the_exact_size():
    client = _client()
    sent = _sent(client)
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"images": [_image(1280, 800)]}),
                          {"modelId": NOVA, "body": ANY, "contentType": "application/json",
                           "accept": "application/json"})
        data = _generator(NOVA, client).generate(GARDEN)
    assert sent == [{"taskType": "TEXT_IMAGE",
                     "textToImageParams": {"text": GARDEN.prompt, "negativeText": "ugly, blurry"},
                     "imageGenerationConfig": {"width": 1280, "height": 800, "seed": 42,
                                               "numberOfImages": 1, "cfgScale": 7.5}}]
    assert ensure_jpeg(data, 1280, 800, source="t") == data        # the PNG became a JPEG
    assert provenance.read(data)["generator"] == {
        "model": NOVA, "asked": "1280x800", "nativeWidth": 1280, "nativeHeight": 800,
        "fitted": "none"}


def test_nova_canvas_sizes_outside_its_rules_are_mapped_then_fitted():
    client = _client()
    sent = _sent(client)
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"images": [_image(320, 1280)]}))
        data = _generator(NOVA, client).generate(
            GenerationRequest("a tall tower", 64, 4096, seed=2**32 - 1, guidance_scale=30))
    config_ = sent[0]["imageGenerationConfig"]
    assert (config_["width"], config_["height"]) == (320, 1280)     # 1:4 at most, 320 at least
    assert config_["cfgScale"] == 10.0 and 0 <= config_["seed"] <= 858_993_459
    assert "negativeText" not in sent[0]["textToImageParams"]
    assert ensure_jpeg(data, 64, 4096, source="t") == data


@pytest.mark.parametrize("answer", [
    {"images": [], "error": "All of the generated images have been blocked by our content filters."},
    {"error": "Some of the generated images have been blocked by our content filters."},
])
def test_a_nova_image_blocked_by_the_output_filter_fails_only_that_image(answer):
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer(answer))
        with pytest.raises(BadImage, match="content filter refused this image"):
            _generator(NOVA, client).generate(GARDEN)


def test_a_prompt_blocked_by_the_input_filter_fails_only_that_image():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "ValidationException", http_status_code=400,
                              service_message="This request has been blocked by our content "
                                              "filters. Please adjust your text prompt to submit "
                                              "a new request.")
        with pytest.raises(BadImage, match="content filter"):
            _generator(NOVA, client).generate(GARDEN)


def test_a_prompt_longer_than_nova_takes_is_refused_before_any_call():
    client = _client()
    # no response queued: a call would fail the test
    with Stubber(client), pytest.raises(InvalidRequest, match="at most 1024"):
        _generator(NOVA, client).generate(GenerationRequest("x" * 1025, 1280, 800))


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("code,status,error,says", [
    ("ThrottlingException", 429, EndpointThrottled, "throttled"),
    ("ServiceQuotaExceededException", 400, EndpointThrottled, "throttled"),
    ("ServiceUnavailableException", 503, EndpointThrottled, "throttled"),
    ("ModelNotReadyException", 429, EndpointThrottled, "throttled"),
    ("ModelTimeoutException", 408, EndpointTimeout, "took too long"),
    ("AccessDeniedException", 403, EndpointFailed, "enable the model in the Bedrock console"),
    ("ResourceNotFoundException", 404, EndpointFailed, "not offered in region us-west-2"),
    ("ModelErrorException", 424, EndpointFailed, "ModelErrorException"),
    ("InternalServerException", 500, EndpointFailed, "InternalServerException"),
    ("UnrecognizedClientException", 403, EndpointFailed, "rejected the credentials"),
])
def test_bedrock_errors_map_to_the_workflow_errors(code, status, error, says):
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", code, service_message="no", http_status_code=status)
        with pytest.raises(error, match=says) as caught:
            _generator(SD35, client).generate(GARDEN)
    assert type(caught.value) is error


@pytest.mark.parametrize("message", [
    "The provided model identifier is invalid.",
    "Invocation of model ID amazon.nova-canvas-v1:0 with on-demand throughput isn't supported.",
])
def test_a_model_the_region_does_not_offer_fails_the_endpoint_naming_the_region(message):
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "ValidationException", service_message=message)
        with pytest.raises(EndpointFailed, match=f"{NOVA} is not offered in region us-west-2"):
            _generator(NOVA, client).generate(GARDEN)


def test_access_denied_names_model_region_and_the_fix():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "AccessDeniedException", http_status_code=403,
                              service_message="You don't have access to the model with the "
                                              "specified model ID.")
        with pytest.raises(EndpointFailed) as caught:
            _generator(SD35, client).generate(GARDEN)
    text = str(caught.value)
    assert SD35 in text and "us-west-2" in text and "Model access" in text
    assert "bedrock:InvokeModel" in text


@pytest.mark.parametrize("payload", [
    b"<html>gateway</html>", b"[1, 2]", json.dumps({"images": ["%%%not base64"]}).encode(),
    json.dumps({"images": [base64.b64encode(b"not an image").decode()]}).encode(),
    json.dumps({"images": [_image(4100, 8)]}).encode(),
    json.dumps({"finish_reasons": [None]}).encode(),
])
def test_garbage_answers_are_bad_images(payload):
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer(payload))
        with pytest.raises(BadImage):
            _generator(SD35, client).generate(GARDEN)


def test_hostile_prompts_are_sent_as_plain_json():
    client = _client()
    sent = _sent(client)
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"images": [_image(1280, 800)]}))
        prompt = "a rose \ud800 \x00 \u2603 " + "{" * 50
        _generator(NOVA, client).generate(GenerationRequest(prompt, 1280, 800))
    assert sent[0]["textToImageParams"]["text"] == prompt


def test_a_silent_model_is_a_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    try:
        client = build_client(0.5)
        client = boto3.client("bedrock-runtime", region_name="us-west-2",
                              endpoint_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
                              config=client.meta.config)
        started = time.monotonic()
        with pytest.raises(EndpointTimeout, match="did not answer within 0.5 s"):
            _generator(SD35, client, timeout=0.5).generate(GARDEN)
        assert time.monotonic() - started < 5      # one attempt: no SDK retries
    finally:
        for conn in accepted:
            conn.close()
        listener.close()


# --- concurrency -----------------------------------------------------------------------------
def in_flight(client, seconds: float) -> dict[str, int]:
    """Hold each InvokeModel call ``seconds`` and count the calls and the most in flight at once
    (parameter building starts each call; the Stubber answers before-call itself)."""
    seen = {"now": 0, "most": 0, "calls": 0}
    lock = threading.Lock()

    def enter(**_):
        with lock:
            seen["now"] += 1
            seen["calls"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        time.sleep(seconds)

    def leave(**_):
        with lock:
            seen["now"] -= 1
    client.meta.events.register("before-parameter-build.bedrock-runtime.InvokeModel", enter)
    client.meta.events.register("after-call.bedrock-runtime.InvokeModel", leave)
    return seen


def test_one_process_never_has_more_than_concurrency_images_in_flight():
    client = _client()
    seen = in_flight(client, 0.15)
    generator = _generator(NOVA, client, concurrency=2)
    with Stubber(client) as stub:
        for _ in range(6):
            stub.add_response("invoke_model", _answer({"images": [_image(1280, 800)]}))
        threads = [threading.Thread(target=generator.generate, args=(GARDEN,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert seen["calls"] == 6 and seen["most"] == 2


def test_a_slot_that_stays_busy_past_the_timeout_is_throttling():
    client = _client()
    in_flight(client, 1.0)
    generator = _generator(NOVA, client, concurrency=1, timeout=0.2)
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"images": [_image(1280, 800)]}))
        busy = threading.Thread(target=generator.generate, args=(GARDEN,))
        busy.start()
        time.sleep(0.1)
        with pytest.raises(EndpointThrottled, match="concurrent slots stayed busy"):
            generator.generate(GARDEN)
        busy.join(5)


# --- sizes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("size,ratio", [
    ((1280, 800), "3:2"), ((800, 1280), "2:3"), ((1024, 1024), "1:1"), ((1920, 1080), "16:9"),
    ((768, 512), "3:2"), ((2560, 1080), "21:9"), ((8, 4096), "9:21"), ((1000, 800), "5:4"),
])
def test_stability_takes_the_nearest_aspect_ratio(size, ratio):
    assert stability_ratio(*size) == ratio


@pytest.mark.parametrize("size,native", [
    ((1280, 800), (1280, 800)), ((800, 1280), (800, 1280)), ((768, 512), (768, 512)),
    ((4096, 4096), (2048, 2048)), ((8, 8), (320, 320)), ((4096, 8), (1280, 320)),
    ((1000, 1000), (1008, 1008)),
])
def test_nova_canvas_sizes(size, native):
    assert nova_size(*size) == native


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 512), st.integers(1, 512))
def test_every_nova_size_keeps_the_models_rules(w8, h8):
    width, height = nova_size(w8 * 8, h8 * 8)
    assert width % 16 == 0 and height % 16 == 0
    assert 320 <= width <= 4096 and 320 <= height <= 4096
    assert width * height <= NOVA_MAX_PIXELS
    assert 1 / 4 <= width / height <= 4


# --- configuration and credentials -------------------------------------------------------------
def test_no_credentials_is_a_config_error_at_start(monkeypatch):
    class NoCredentials:
        region_name = "us-west-2"

        def get_credentials(self):
            return None
    with pytest.raises(ConfigError, match="no AWS credentials"):
        build_client(session=NoCredentials())


def test_no_region_is_a_config_error_at_start(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(ConfigError, match="AWS_REGION"):
        build_client()


def test_in_lambda_each_call_is_a_subsegment_naming_the_model(xray):
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("invoke_model", _answer({"images": [_image(1280, 800)]}))
        _generator(NOVA, client, concurrency=2).generate(GARDEN)
    [sub] = xray
    assert sub.name.startswith(f"endpoint bedrock:{NOVA}")   # X-Ray drops the '?' from names
    assert sub.annotations == {"endpoint": f"bedrock:{NOVA}?concurrency=2", "adapter": "bedrock",
                               "model": NOVA}
