"""Amazon Bedrock adapter: what it costs beside the model's own time (decode, fit, JPEG), per
family, next to the SageMaker adapter's check of a JumpStart JPEG; and how `concurrency`
shortens a job on the real workflow (local engine) when each image takes the model a fixed time.

No AWS call: botocore's Stubber answers InvokeModel with bodies shaped like the models' (noise
images, which compress like photographs rather than like flat colour).
"""
from __future__ import annotations

import base64
import io
import json
import os
import tempfile
import time
from typing import Any

from .stats import summary, table

SIZE = (1280, 800)
REPEAT = 30
MODEL_SECONDS = 0.4          # the stand-in model's time per image in the concurrency run
JOB_IMAGES = 8


def _noise(width: int, height: int, fmt: str) -> bytes:
    from PIL import Image
    bands = [Image.effect_noise((width, height), 60 + 20 * i) for i in range(3)]
    buffer = io.BytesIO()
    Image.merge("RGB", bands).save(buffer, format=fmt, quality=90)
    return buffer.getvalue()


def _body(payload: dict[str, Any]) -> dict[str, Any]:
    from botocore.response import StreamingBody
    raw = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


def _adapter_rows() -> list[list[object]]:
    import boto3
    from botocore.stub import Stubber

    from chalicelib import config
    from chalicelib.generators import GenerationRequest
    from chalicelib.generators.bedrock import BedrockGenerator
    from chalicelib.generators.sagemaker import SageMakerGenerator
    request = GenerationRequest("a flower, fantasy, happy", *SIZE, seed=1)
    cases: list[tuple[str, str, Any]] = [
        ("SageMaker (JumpStart JPEG 1280×800, checked)", "sagemaker",
         {"generated_images": [base64.b64encode(_noise(*SIZE, "JPEG")).decode()]}),
        ("Nova Canvas (PNG 1280×800 → JPEG)", "amazon.nova-canvas-v1:0",
         {"images": [base64.b64encode(_noise(*SIZE, "PNG")).decode()]}),
        ("Stability (JPEG 1216×832 → fitted 1280×800)", "stability.sd3-5-large-v1:0",
         {"seeds": [1], "finish_reasons": [None],
          "images": [base64.b64encode(_noise(1216, 832, "JPEG")).decode()]}),
    ]
    rows: list[list[object]] = []
    for label, model, payload in cases:
        if model == "sagemaker":
            client: Any = boto3.client("sagemaker-runtime", region_name="us-east-1")
            generator: Any = SageMakerGenerator("sd", client=client)
            operation = "invoke_endpoint"
            answer = {"Body": _body(payload)["body"], "ContentType": "application/json"}
        else:
            client = boto3.client("bedrock-runtime", region_name="us-west-2")
            generator = BedrockGenerator(config.parse_bedrock(f"bedrock:{model}"), client=client)
            operation, answer = "invoke_model", _body(payload)
        samples = []
        with Stubber(client) as stub:
            for n in range(REPEAT + 3):
                fresh = _body(payload)["body"]
                stub.add_response(operation, {**answer, ("Body" if "Body" in answer else "body"): fresh})
                started = time.perf_counter()
                generator.generate(request)
                if n >= 3:   # warm-up
                    samples.append((time.perf_counter() - started) * 1000)
        median, p95, _ = summary(samples)
        rows.append([label, f"{median:.1f}", f"{p95:.1f}", len(samples)])
    return rows


def _job_seconds(concurrency: int) -> float:
    """Wall time of a text-to-image job of JOB_IMAGES on one Nova Canvas endpoint through the
    local engine, the stubbed model taking MODEL_SECONDS per image."""
    from botocore.stub import Stubber

    from chalicelib import bootstrap, config
    from chalicelib.web import context
    uri = f"bedrock:amazon.nova-canvas-v1:0?concurrency={concurrency}"
    context.forget()
    with tempfile.TemporaryDirectory() as data:
        settings = config.load(defaults={"GARDEN_ENDPOINTS": json.dumps([uri]),
                                         "GARDEN_DEMO": "0"}).with_overrides(data_dir=data)
        context.install(bootstrap.build(settings))
        # boto3 needs credentials and a region to build the client; fake ones when none are
        # set (the benchmark's own process): the Stubber answers, nothing is called
        for name, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "bench"),
                            ("AWS_SECRET_ACCESS_KEY", "bench")):
            os.environ.setdefault(name, value)
        [generator] = context.current().generators
        client = generator.client  # type: ignore[union-attr]
        png = base64.b64encode(_noise(768, 512, "PNG")).decode()
        stub = Stubber(client)
        for _ in range(JOB_IMAGES):
            stub.add_response("invoke_model", _body({"images": [png]}))
        client.meta.events.register("before-parameter-build.bedrock-runtime.InvokeModel",
                                    lambda **_: time.sleep(MODEL_SECONDS))
        stub.activate()
        engine = context.current().workflow
        started = time.perf_counter()
        execution = engine.start("text2image", {"text": "a calm lake", "count": JOB_IMAGES,
                                                "width": 768, "height": 512, "seed": 1},
                                 f"bench-bedrock-{concurrency}")
        result = engine.wait(execution, 120)
        seconds = time.perf_counter() - started
        stub.deactivate()
        assert result.status == "SUCCEEDED", result
    context.forget()
    return seconds


def run() -> str:
    adapter = _adapter_rows()
    jobs = [[n, f"{_job_seconds(n):.2f}", f"{JOB_IMAGES * MODEL_SECONDS / n:.2f}"] for n in (1, 2, 4)]
    return "\n".join([
        "## Amazon Bedrock adapter",
        "",
        table(["answer (1280×800 asked)", "median ms", "p95 ms", "images"], adapter),
        "",
        (f"Measured: `generate` in-process with botocore's Stubber answering (no network), "
         f"{REPEAT} images each after 3 warm-ups: base64 decode, size handling, JPEG encode or "
         f"check, provenance; the model's own time comes on top."),
        "",
        table(["concurrency", f"job of {JOB_IMAGES} images, s", "ideal, s"], jobs),
        "",
        (f"Measured: one text-to-image job through the local engine (statemachine/generate.asl.json "
         f"in moto's interpreter) on one `bedrock:amazon.nova-canvas-v1:0?concurrency=N` endpoint, "
         f"the stubbed model holding each call {MODEL_SECONDS} s; ideal = images × model time / N."),
    ])


if __name__ == "__main__":
    print(run())
