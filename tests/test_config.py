"""Configuration: defaults for the laptop, and every bad setting named in its error."""
from __future__ import annotations

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
    from chalicelib import bootstrap
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["sagemaker:sd-a", "sagemaker:sd-b", "painter:"]')
    first, second, painter = bootstrap.generators()
    assert (first.uri, second.uri, painter.uri) == ("sagemaker:sd-a", "sagemaker:sd-b", "painter:")
    assert first._client is second._client
    assert first._client.meta.config.retries["total_max_attempts"] == 1
