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


def test_in_lambda_endpoint_calls_are_subsegments_with_the_endpoint(xray):
    with tracing.traced("endpoint sagemaker:sd", endpoint="sagemaker:sd") as sub:
        assert sub.name == "endpoint sagemaker:sd"
        assert sub.annotations["endpoint"] == "sagemaker:sd"
    assert [(s.name, s.annotations) for s in xray] == [("endpoint sagemaker:sd", {"endpoint": "sagemaker:sd"})]


def test_the_tracer_is_powertools_and_patches_nothing(xray):
    from aws_lambda_powertools import Tracer
    active = tracing.tracer()
    assert isinstance(active, Tracer) and not active.disabled and not active.auto_patch
