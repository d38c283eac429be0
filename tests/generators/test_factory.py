from __future__ import annotations

import pytest

from chalicelib.errors import ConfigError
from chalicelib.generators.a1111 import A1111Generator
from chalicelib.generators.bedrock import BedrockGenerator
from chalicelib.bootstrap import build_generator
from chalicelib.generators.http import DEFAULT_TIMEOUT, HttpGenerator
from chalicelib.generators.painter import PainterGenerator
from chalicelib.generators.sagemaker import SageMakerGenerator


def test_each_scheme_builds_its_adapter():
    assert isinstance(build_generator("painter:"), PainterGenerator)
    sm = build_generator("sagemaker:jumpstart-sd-2-1", sagemaker_client="CLIENT")
    assert isinstance(sm, SageMakerGenerator) and sm.endpoint_name == "jumpstart-sd-2-1"
    assert sm.client == "CLIENT"
    http = build_generator("http://127.0.0.1:8081/invocations")
    assert isinstance(http, HttpGenerator) and http.url == "http://127.0.0.1:8081/invocations"
    assert isinstance(build_generator("https://sd.example.org/v1/gen"), HttpGenerator)
    a1111 = build_generator("a1111://gpu-box:7860")
    assert isinstance(a1111, A1111Generator) and a1111.base_url == "http://gpu-box:7860"


def test_every_generator_keeps_the_uri_it_was_built_from():
    for uri in ("painter:", "sagemaker:sd", "http://h:1/p", "a1111://h:7860",
                "bedrock:amazon.nova-canvas-v1:0", "bedrock:stability.sd3-5-large-v1:0?concurrency=4"):
        assert build_generator(uri).uri == uri


def test_timeouts_default_to_a_minute_and_can_be_set():
    assert build_generator("http://h:1/p").timeout == DEFAULT_TIMEOUT == 60.0  # type: ignore[union-attr]
    assert build_generator("a1111://h:1", timeout=5).timeout == 5  # type: ignore[union-attr]
    assert build_generator("sagemaker:sd", timeout=7).timeout == 7  # type: ignore[union-attr]
    assert build_generator("painter:", timeout=3).timeout == 3  # type: ignore[union-attr]
    with pytest.raises(ConfigError):
        build_generator("painter:", timeout=0)


@pytest.mark.parametrize("uri", [
    "", "   ", "painter", "painter:extra", "sagemaker:", "sagemaker:bad_name!", "sagemaker:-x",
    "sagemaker:" + "a" * 64, "http://", "http://:80/x", "http://h:notaport/x", "http://u:p@h/x",
    "a1111://", "a1111://h:7860/sdapi", "ftp://h/x", "s3://bucket", "gpu-box:7860",
    "bedrock:", "bedrock:meta.llama3-8b-instruct-v1:0", "bedrock:amazon.nova-canvas-v1:0?concurrency=99",
])
def test_bad_uris_are_config_errors_naming_them(uri):
    with pytest.raises(ConfigError) as caught:
        build_generator(uri)
    assert repr(uri.strip()) in str(caught.value) or repr(uri) in str(caught.value)


def test_a_bedrock_uri_builds_the_bedrock_adapter_for_its_model():
    nova = build_generator("bedrock:amazon.nova-canvas-v1:0?concurrency=2", bedrock_client="CLIENT")
    assert isinstance(nova, BedrockGenerator) and nova.model_id == "amazon.nova-canvas-v1:0"
    assert nova.client == "CLIENT" and nova.endpoint.concurrency == 2
    assert nova.endpoint.family == "nova-canvas" and nova.timeout == 60.0
    sd = build_generator("bedrock:stability.stable-image-ultra-v1:1", timeout=90)
    assert sd.endpoint.family == "stability" and sd.endpoint.concurrency == 1 and sd.timeout == 90  # type: ignore[union-attr]
