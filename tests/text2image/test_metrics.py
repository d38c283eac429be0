"""A text-to-image job reports its images, failures and outcome as metrics, each line
carrying the job's id."""
from __future__ import annotations

import json

from chalicelib import metrics
from chalicelib.generators.endpoint_server import serve_endpoint
from chalicelib.generators.painter import PainterGenerator


def test_a_job_with_a_dead_endpoint_reports_images_failures_and_its_outcome(client, monkeypatch):
    with serve_endpoint(PainterGenerator(), mode="fail") as dead:
        monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps(["painter:", dead.url]))
        with metrics.capture() as seen:
            response = client.http.post("/text2image", body=json.dumps({"text": "a calm flower", "width": 256,
                                                                          "height": 256}),
                                        headers={"Content-Type": "application/json"})
    job = json.loads(response.body)["jobId"]
    names = sorted(name for doc in seen for name in ("ImagesGenerated", "ImagesFailed", "JobsFinished") if name in doc)
    # the dead endpoint's failure is reported; its image was made by the painter
    assert names == ["ImagesFailed", "ImagesGenerated", "ImagesGenerated", "JobsFinished"]
    assert all(doc["correlationId"] == job for doc in seen)
    finished = next(doc for doc in seen if "JobsFinished" in doc)
    assert finished["status"] == "SUCCEEDED" and finished["Kind"] == "text2image"
