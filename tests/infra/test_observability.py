"""Metrics in CloudWatch's embedded metric format (Powertools' Metrics) and the correlation id
in structured logs (Powertools' Logger inside Lambda, the garden's own lines elsewhere)."""
from __future__ import annotations

import json
import logging
import io
import threading

import pytest

from chalicelib import logs, metrics


def _valid_emf(doc: dict) -> None:
    """What CloudWatch requires of an EMF document (its published specification)."""
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert isinstance(doc["_aws"]["Timestamp"], int)
    assert directive["Namespace"] == "EmotionGarden"
    for dimension_set in directive["Dimensions"]:
        for name in dimension_set:
            assert isinstance(doc[name], str)          # every dimension is a top-level string
    for metric in directive["Metrics"]:   # Powertools writes each metric's values as a list
        assert all(isinstance(v, (int, float)) for v in doc[metric["Name"]])
        assert metric["Unit"] in ("Count", "Seconds", "Milliseconds")


def test_image_metrics_per_endpoint(monkeypatch):
    monkeypatch.setenv("GARDEN_STAGE", "prod")
    with metrics.capture() as seen:
        metrics.image_generated("sagemaker:sd-1", 7.25)
        metrics.image_failed("sagemaker:sd-2", "EndpointTimeout", jobId="j1")
    generated, failed = seen
    for doc in seen:
        _valid_emf(doc)
    assert generated["ImagesGenerated"] == [1] and generated["GenerationLatency"] == [7.25]
    assert generated["Endpoint"] == "sagemaker:sd-1" and generated["Stage"] == "prod"
    assert generated["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Endpoint", "Stage"]]
    assert failed["ImagesFailed"] == [1] and failed["error"] == "EndpointTimeout" and failed["jobId"] == "j1"
    # the error name is a property, not a dimension: names must not multiply metrics
    assert "error" not in failed["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]


def test_emotions_and_jobs():
    with metrics.capture() as seen:
        metrics.emotion_analyzed("HAPPY", 0.4)
        metrics.job_finished("text2image", "PARTIAL", 12.5, images=3, failed=1)
    emotion, job = seen
    for doc in seen:
        _valid_emf(doc)
    assert emotion["Emotion"] == "HAPPY" and emotion["EmotionsAnalyzed"] == [1]
    assert emotion["AnalysisLatency"] == [0.4] and emotion["Stage"] == "local"
    assert job["Kind"] == "text2image" and job["status"] == "PARTIAL" and job["JobFailures"] == [1]


def test_lines_go_to_stdout_in_lambda_and_nowhere_locally(monkeypatch, capsys):
    metrics.image_generated("painter:", 0.1)
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "emotion-garden-dev-workflow_generate")
    metrics.image_generated("painter:", 0.1)
    line = capsys.readouterr().out.strip()
    _valid_emf(json.loads(line))
    monkeypatch.setenv("GARDEN_METRICS", "off")
    metrics.image_generated("painter:", 0.1)
    assert capsys.readouterr().out == ""


def test_a_metric_never_raises():
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")
    with metrics.capture() as seen:
        metrics.image_failed("painter:", "BadImage", detail=Unprintable())  # must not raise
        metrics.image_failed("painter:", "BadImage")
    assert [doc["error"] for doc in seen] == ["BadImage"]   # the bad one dropped, not the next


def _captured_lines(caplog_records) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog_records if r.name == "emotion_garden"]


def test_the_correlation_id_is_on_every_line_and_metric_inside_its_block(caplog):
    logs.configure()
    logger = logging.getLogger("emotion_garden")
    logger.addHandler(caplog.handler)
    try:
        logs.event("outside")
        with logs.correlated("req-123") as correlation, metrics.capture() as seen:
            assert correlation == "req-123" == logs.correlation_id()
            logs.event("inside", key="emotions/HAPPY/ah.jpeg")
            metrics.image_generated("painter:", 0.2)
        logs.event("after")
    finally:
        logger.removeHandler(caplog.handler)
    lines = {line["event"]: line for line in _captured_lines(caplog.records)}
    assert "correlationId" not in lines["outside"] and "correlationId" not in lines["after"]
    assert lines["inside"]["correlationId"] == "req-123"
    assert seen[0]["correlationId"] == "req-123"
    assert logs.correlation_id() is None


def test_a_new_id_when_none_is_given_and_threads_do_not_share_it():
    seen: dict[str, str | None] = {}
    with logs.correlated(None) as made:
        assert len(made) == 32
        worker = threading.Thread(target=lambda: seen.update(thread=logs.correlation_id()))
        worker.start()
        worker.join()
    assert seen["thread"] is None


def test_locally_powertools_is_not_even_imported():
    import subprocess
    import sys
    program = ("import sys; from chalicelib import logs, metrics; from chalicelib.generators import tracing; "
               "logs.configure(); logs.event('x'); metrics.image_generated('painter:', 0.1); "
               "tracing.traced('endpoint painter:').__enter__(); "
               "print(sorted(m for m in sys.modules if m.startswith(('aws_lambda_powertools', 'aws_xray_sdk'))))")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"}, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert result.stdout.strip() == "[]", result.stderr[-2000:]


@pytest.fixture
def in_lambda(monkeypatch):
    """Inside Lambda: logs.configure() sets up Powertools' Logger, its lines read from a buffer;
    put back afterwards."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "emotion-garden-dev-workflow_generate")
    monkeypatch.setattr(logs, "_powertools", None)
    logs.configure()
    lines = io.StringIO()
    stream = logs._powertools.logger_handler.setStream(lines)
    yield lines
    logs._powertools.logger_handler.setStream(stream)
    monkeypatch.setattr(logs, "_powertools", None)


def test_in_lambda_events_are_powertools_json_lines_with_the_correlation_id(in_lambda):
    from aws_lambda_powertools import Logger
    assert isinstance(logs._powertools, Logger)
    with logs.correlated("job-7"):
        logs.event("image_failed", logging.WARNING, endpoint="sagemaker:sd-1", error="EndpointTimeout",
                   args="shadow")     # a LogRecord attribute's name does not break the line
    logs.event("outside")
    inside, outside = (json.loads(line) for line in in_lambda.getvalue().strip().splitlines())
    assert inside["level"] == "WARNING" and inside["service"] == "emotion-garden"
    assert inside["message"] == inside["event"] == "image_failed"
    assert inside["correlationId"] == "job-7" and inside["endpoint"] == "sagemaker:sd-1"
    assert inside["args_"] == "shadow" and inside["location"].startswith("test_in_lambda")
    assert "correlationId" not in outside


def test_in_lambda_metrics_are_printed_by_powertools(in_lambda, capsys, monkeypatch):
    monkeypatch.setenv("GARDEN_STAGE", "dev")
    with logs.correlated("job-8"):
        metrics.image_generated("sagemaker:sd-1", 2.5, jobId="job-8")
    [line] = capsys.readouterr().out.strip().splitlines()
    doc = json.loads(line)
    _valid_emf(doc)
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert directive["Dimensions"] == [["Endpoint", "Stage"]] and "service" not in doc
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {"ImagesGenerated": "Count",
                                                                   "GenerationLatency": "Seconds"}
    assert doc["correlationId"] == doc["jobId"] == "job-8" and doc["Stage"] == "dev"
