from __future__ import annotations

import logging

from chalicelib.generators import GenerationRequest, tracing
from chalicelib.generators.painter import PainterGenerator


def test_off_locally_and_silent(monkeypatch, caplog, capsys):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    caplog.set_level(logging.DEBUG)
    assert not tracing.enabled()
    with tracing.traced("endpoint painter:", endpoint="painter:") as sub:
        sub.put_annotation("k", "v")
    PainterGenerator().generate(GenerationRequest("happy", 64, 64))
    assert not [r for r in caplog.records if r.name.startswith("aws_xray_sdk")]
    assert capsys.readouterr().err == ""


def test_in_lambda_without_a_segment_nothing_is_logged_or_raised(monkeypatch, caplog):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    caplog.set_level(logging.DEBUG, logger="aws_xray_sdk")
    with tracing.traced("endpoint painter:", endpoint="painter:") as sub:
        sub.put_annotation("k", "v")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_in_lambda_endpoint_calls_are_subsegments_with_the_endpoint(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    recorder = tracing._get_recorder()
    segment = recorder.begin_segment("test")
    try:
        with tracing.traced("endpoint sagemaker:sd", endpoint="sagemaker:sd") as sub:
            assert sub.name == "endpoint sagemaker:sd"
            assert sub.annotations["endpoint"] == "sagemaker:sd"
        assert [s.name for s in segment.subsegments] == ["endpoint sagemaker:sd"]
    finally:
        recorder.clear_trace_entities()
