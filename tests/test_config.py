"""Configuration: defaults for the laptop, and every bad setting named in its error."""
from __future__ import annotations

import json

import pytest

from chalicelib import config
from chalicelib.errors import ConfigError


def test_local_defaults_need_nothing(tmp_path):
    settings = config.load({"GARDEN_DATA_DIR": str(tmp_path)})
    assert settings.backend == "local" and settings.endpoints == ("painter:", "painter:")
    assert settings.analyzer == "local" and settings.wait_seconds == 25.0 and settings.demo
    assert settings.keep_photos_days == 0


def test_aws_reads_its_resources():
    settings = config.load({
        "GARDEN_BACKEND": "aws", "GARDEN_BUCKET": "b", "GARDEN_TABLE": "t", "GARDEN_CDN_DOMAIN": "d1.cloudfront.net",
        "GARDEN_ENDPOINTS": '["sagemaker:sd-1", "sagemaker:sd-2"]',
        "GARDEN_TEXT2IMAGE_MACHINE": "arn:t2i", "GARDEN_BULK_MACHINE": "arn:bulk"})
    assert settings.public_url == "https://d1.cloudfront.net" and settings.analyzer == "rekognition"
    assert settings.endpoints == ("sagemaker:sd-1", "sagemaker:sd-2")


@pytest.mark.parametrize("env, named", [
    ({"GARDEN_BACKEND": "azure"}, "GARDEN_BACKEND"),
    ({"GARDEN_BACKEND": "aws"}, "GARDEN_CDN_DOMAIN"),
    ({"GARDEN_BACKEND": "aws", "GARDEN_CDN_DOMAIN": "d"}, "GARDEN_BUCKET"),
    ({"GARDEN_ENDPOINTS": "painter:"}, "GARDEN_ENDPOINTS"),
    ({"GARDEN_ENDPOINTS": "[]"}, "GARDEN_ENDPOINTS"),
    ({"GARDEN_ENDPOINTS": '["ftp://x"]'}, "GARDEN_ENDPOINTS"),
    ({"GARDEN_WAIT_SECONDS": "forever"}, "GARDEN_WAIT_SECONDS"),
    ({"GARDEN_WAIT_SECONDS": "60"}, "GARDEN_WAIT_SECONDS"),
    ({"GARDEN_DEMO": "maybe"}, "GARDEN_DEMO"),
    ({"GARDEN_ANALYZER": "vibes"}, "GARDEN_ANALYZER"),
    ({"GARDEN_KEEP_PHOTOS_DAYS": "-1"}, "GARDEN_KEEP_PHOTOS_DAYS"),
])
def test_a_bad_setting_is_named(env, named):
    with pytest.raises(ConfigError, match=named):
        config.load(env)


def test_serve_refuses_to_start_on_a_bad_setting(monkeypatch, capsys):
    from chalicelib.cli import main
    monkeypatch.setenv("GARDEN_ENDPOINTS", "not json")
    assert main(["serve", "--port", "0"]) == 2
    assert "GARDEN_ENDPOINTS" in capsys.readouterr().err


def test_sagemaker_endpoints_share_a_client_without_sdk_retries(monkeypatch):
    from chalicelib.web import context
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["sagemaker:sd-a", "sagemaker:sd-b", "painter:"]')
    first, second, painter = context.current().generators
    assert (first.uri, second.uri, painter.uri) == ("sagemaker:sd-a", "sagemaker:sd-b", "painter:")
    assert first._client is second._client  # type: ignore[union-attr]
    assert first._client.meta.config.retries["total_max_attempts"] == 1  # type: ignore[union-attr]


def test_a_bedrock_endpoint_is_as_many_workers_as_its_concurrency():
    settings = config.load({"GARDEN_ENDPOINTS": '["bedrock:amazon.nova-canvas-v1:0?concurrency=3", '
                                                '"sagemaker:sd-1", "bedrock:stability.sd3-5-large-v1:0"]'})
    nova = "bedrock:amazon.nova-canvas-v1:0?concurrency=3"
    assert settings.workers == (nova, nova, nova, "sagemaker:sd-1", "bedrock:stability.sd3-5-large-v1:0")
    assert config.parse_bedrock(nova) == config.BedrockEndpoint("amazon.nova-canvas-v1:0", "nova-canvas", 3)
    assert config.load({}).workers == ("painter:", "painter:")


@pytest.mark.parametrize("uri, says", [
    ("bedrock:", "names no model"),
    ("bedrock:?concurrency=2", "names no model"),
    ("bedrock:anthropic.claude-3-haiku-20240307-v1:0", "cannot call"),
    ("bedrock:stability.stable-diffusion-xl-v1", "cannot call"),
    ("bedrock:arn:aws:bedrock:us-west-2::foundation-model/stability.sd3-5-large-v1:0", "not an ARN"),
    ("bedrock:Stability.SD3-5-large-v1:0", "model ID"),
    ("bedrock:stability.sd3-5-large-v1:0?concurrency=0", "from 1 to 12"),
    ("bedrock:stability.sd3-5-large-v1:0?concurrency=17", "from 1 to 12"),
    ("bedrock:stability.sd3-5-large-v1:0?concurrency=" + "9" * 5000, "from 1 to 12"),
    ("bedrock:stability.sd3-5-large-v1:0?concurrency=２", "from 1 to 12"),
    ("bedrock:stability.sd3-5-large-v1:0?concurrency=-1", "from 1 to 12"),
    ("bedrock:stability.sd3-5-large-v1:0?concurrency=2&x=1", "from 1 to 12"),
    ("bedrock:stability.sd3-5-large-v1:0?workers=2", "one option"),
    ("bedrock:stability.sd3-5-large-v1:0?concurrency", "one option"),
    ("bedrock:amazon.nova-canvas-v1:0\x00", "model ID"),
    ("bedrock:amazon.nova-canvas-v1:0\ud800", "model ID"),
])
def test_a_bad_bedrock_uri_is_named_with_what_is_wrong(uri, says):
    with pytest.raises(ConfigError, match="GARDEN_ENDPOINTS") as caught:
        config.load({"GARDEN_ENDPOINTS": json.dumps([uri])})
    assert says in str(caught.value) and "bedrock:MODEL_ID" in str(caught.value)


def test_bedrock_without_credentials_fails_at_start_not_on_the_first_image(monkeypatch, capsys):
    from chalicelib.web import context
    from chalicelib.cli import main
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")   # no instance-metadata lookup
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["bedrock:stability.sd3-5-large-v1:0"]')
    with pytest.raises(ConfigError, match="no AWS credentials"):
        context.current().generators
    assert main(["serve", "--port", "0"]) == 2
    assert "bedrock: model, but no AWS credentials" in capsys.readouterr().err


def test_bedrock_endpoints_share_one_client_sized_for_their_workers(monkeypatch):
    from chalicelib.web import context
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["bedrock:amazon.nova-canvas-v1:0?concurrency=11", '
                                           '"bedrock:stability.stable-image-core-v1:1"]')
    nova, core = context.current().generators
    assert nova._client is core._client and nova._client.meta.region_name == "us-east-1"  # type: ignore[union-attr]
    assert nova._client.meta.config.retries["total_max_attempts"] == 1  # type: ignore[union-attr]
    assert nova._client.meta.config.max_pool_connections == 12  # type: ignore[union-attr]
