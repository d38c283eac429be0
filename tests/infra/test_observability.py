"""Metrics in CloudWatch's embedded metric format and the correlation id in structured logs."""
from __future__ import annotations

import json
import logging
import threading

from chalicelib import logs, metrics


def _valid_emf(doc: dict) -> None:
    """What CloudWatch requires of an EMF document (its published specification)."""
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert isinstance(doc["_aws"]["Timestamp"], int)
    assert directive["Namespace"] == "EmotionGarden"
    for dimension_set in directive["Dimensions"]:
        for name in dimension_set:
            assert isinstance(doc[name], str)          # every dimension is a top-level string
    for metric in directive["Metrics"]:
        assert isinstance(doc[metric["Name"]], (int, float))
        assert metric["Unit"] in ("Count", "Seconds", "Milliseconds")


def test_image_metrics_per_endpoint(monkeypatch):
    monkeypatch.setenv("GARDEN_STAGE", "prod")
    with metrics.capture() as seen:
        metrics.image_generated("sagemaker:sd-1", 7.25)
        metrics.image_failed("sagemaker:sd-2", "EndpointTimeout", jobId="j1")
    generated, failed = seen
    for doc in seen:
        _valid_emf(doc)
    assert generated["ImagesGenerated"] == 1 and generated["GenerationLatency"] == 7.25
    assert generated["Endpoint"] == "sagemaker:sd-1" and generated["Stage"] == "prod"
    assert generated["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Endpoint", "Stage"]]
    assert failed["ImagesFailed"] == 1 and failed["error"] == "EndpointTimeout" and failed["jobId"] == "j1"
    # the error name is a property, not a dimension: names must not multiply metrics
    assert "error" not in failed["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]


def test_emotions_and_jobs():
    with metrics.capture() as seen:
        metrics.emotion_analyzed("HAPPY", 0.4)
        metrics.job_finished("text2image", "PARTIAL", 12.5, images=3, failed=1)
    emotion, job = seen
    for doc in seen:
        _valid_emf(doc)
    assert emotion["Emotion"] == "HAPPY" and emotion["EmotionsAnalyzed"] == 1
    assert emotion["AnalysisLatency"] == 0.4 and emotion["Stage"] == "local"
    assert job["Kind"] == "text2image" and job["status"] == "PARTIAL" and job["JobFailures"] == 1


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
