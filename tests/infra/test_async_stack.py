"""Asynchronous endpoints in the deployed shape, under moto: the stack made from
infra/template.yaml, the stage configured by tools/deploy.py, the real state machine run by
moto's Step Functions, and one job mixing ``sagemaker-async:``, ``sagemaker:`` and ``bedrock:``.

Who plays what:
- the parked worker's request is written to moto's S3 and queued by InvokeEndpointAsync on
  moto's SageMaker runtime (which records each request by its InputLocation);
- the test plays the model: it reads each queued request, writes its answer (the JumpStart
  JSON of a JPEG of the asked size) under ``async-inference/output/`` as SageMaker does, and
  delivers SageMaker's notification to the SNS handler ``endpoint_notified`` through Chalice's
  test client (an SNS event, as the topic's subscription invokes it);
- ``sagemaker:`` answers from moto's queue of endpoint results; ``bedrock:`` from botocore's
  Stubber.

moto's InvokeEndpointAsync takes its (unused) answer from the synchronous endpoint's queue when
its own is empty: each test queues asynchronous results first, so the synchronous endpoint
keeps its own."""
from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from chalice.test import Client

from chalicelib.generators import jumpstart
from chalicelib.jobs import parked, steps
from chalicelib.jobs.record import FINAL
from tests.images import jpeg
from tests.infra import moto_stack
from tests.infra.conftest import ACCOUNT, REGION
from tests.timing import scaled, wait_until

STAGE = "dev"
ASYNC_NAME = "garden-async"
ASYNC = f"sagemaker-async:{ASYNC_NAME}"
SYNC = "sagemaker:sd-one"
NOVA = "bedrock:amazon.nova-canvas-v1:0"
ADMIN = {"x-api-key": "async-admin-key"}


class Lambdas:
    """The app's worker turns as Lambda runs: how many are in flight, how long each took, and a
    gate that holds the synchronous workers' first turns until the asynchronous endpoint has
    its first image (so every kind of endpoint gets a share of a small job)."""

    def __init__(self, sync_workers: int) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.parks: list[float] = []            # seconds each parked turn ran
        self.parked_once = threading.Event()
        self.first_turns = threading.Barrier(sync_workers) if sync_workers > 1 else None
        self.seen_workers: set[int] = set()

    def in_flight(self) -> int:
        with self.lock:
            return self.running

    def counted(self, fn: Callable[..., dict[str, Any]], parks: bool) -> Callable[..., Any]:
        def run(event: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
            worker = int(event["worker"]["worker"])
            if not parks:
                with self.lock:
                    first = worker not in self.seen_workers
                    self.seen_workers.add(worker)
                if first:   # hold until the parked worker has its image
                    assert self.parked_once.wait(scaled(30)), "the parked worker never parked"
                    if self.first_turns is not None:
                        self.first_turns.wait(scaled(30))
            with self.lock:
                self.running += 1
            started = time.monotonic()
            try:
                return fn(event, *args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1
                    if parks:
                        self.parks.append(time.monotonic() - started)
                if parks:
                    self.parked_once.set()
        return run


@pytest.fixture
def async_stack(request, monkeypatch, tmp_path, template) -> Iterator[dict[str, Any]]:
    """The stack with ``request.param`` (the EndpointNames parameter) as its endpoints."""
    from app import app
    from chalicelib.workflow.local import install_dispatch
    # moto's interpreter made Step Functions' where it differs (chalicelib/workflow/local.py):
    # a parked task that answered its own token before its wait began ends with the answer
    install_dispatch()
    endpoints: str = request.param
    # POST /text2image answers at once (the test plays the endpoint meanwhile); moto has no
    # DetectModerationLabels (the image check is tested under the Stubber elsewhere)
    with moto_stack.deployed_stage(template, STAGE, endpoints, tmp_path / "project",
                                   monkeypatch.setenv, {"GARDEN_WAIT_SECONDS": "0",
                                                        "GARDEN_IMAGE_CHECK": "none",
                                                        "GARDEN_ADMIN_KEY": ADMIN["x-api-key"]}
                                   ) as stage:
        outputs, environment = stage.outputs, stage.environment
        uris = json.loads(environment["GARDEN_ENDPOINTS"])
        lambdas = Lambdas(sum(1 for u in uris if not u.startswith("sagemaker-async:")))
        monkeypatch.setattr(parked, "park", lambdas.counted(parked.park, parks=True))
        monkeypatch.setattr(steps, "work", lambdas.counted(steps.work, parks=False))
        _queue_async_results(16)
        from chalicelib.web import context
        context.forget()
        with moto_stack.lambda_tasks_run_the_app(app, STAGE) as invoked, \
                Client(app, stage_name=STAGE, project_dir=str(stage.project)) as client:
            yield {"client": client, "outputs": outputs, "env": environment, "invoked": invoked,
                   "s3": boto3.client("s3", region_name=REGION), "lambdas": lambdas,
                   "bucket": outputs["BucketName"]}
        context.forget()


# --- the test playing SageMaker -----------------------------------------------------------------
def _queue_async_results(count: int) -> None:
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/async-endpoint-results",
        json={"account_id": ACCOUNT, "region": REGION,
              "results": [{"data": "{}"}] * count}, timeout=5)
    assert response.status_code == 201, response.text


def _queue_sync_results(count: int, width: int = 768, height: int = 512) -> None:
    body = json.dumps({"generated_images": [base64.b64encode(jpeg(width, height)).decode()],
                       "prompt": "p"})
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
        json={"account_id": ACCOUNT, "region": REGION,
              "results": [{"Body": body, "ContentType": "application/json"}] * count}, timeout=5)
    assert response.status_code == 201, response.text


def _stub_bedrock(count: int) -> None:
    from tests.workflow.test_bedrock_job import _stub_bedrock as stub
    from chalicelib.web import context
    nova = next(g for g in context.current().generators if g.uri == NOVA)
    stub(nova.client, count, hold=0.05)  # type: ignore[union-attr]


def _queued(s3, bucket: str) -> list[str]:
    """The inference ids of the requests waiting in the endpoint's queue (their input objects,
    which the callback deletes once it has the answer)."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="async-inference/input/")
    return sorted(o["Key"].rsplit("/", 1)[1].removesuffix(".json")
                  for o in listed.get("Contents", []))


def _invoked_async(inference_id: str, bucket: str) -> bool:
    """Whether moto's SageMaker runtime was asked (InvokeEndpointAsync) for this request."""
    from moto.sagemakerruntime.models import sagemakerruntime_backends
    backend = sagemakerruntime_backends[ACCOUNT][REGION]
    location = f"s3://{bucket}/async-inference/input/{inference_id}.json"
    return location in backend.async_results.get(ASYNC_NAME, {})


def _notification(inference_id: str, bucket: str, *, output: str | None = None,
                  failure: str | None = None) -> dict[str, Any]:
    """SageMaker's asynchronous inference notification, as it publishes it to SNS."""
    note: dict[str, Any] = {
        "awsRegion": REGION, "eventTime": "2026-12-08T01:00:00.000Z",
        "receivedTime": "2026-12-08T00:59:58.000Z", "eventVersion": "1.0",
        "eventSource": "aws:sagemaker", "eventName": "InferenceResult",
        "inferenceId": inference_id,
        "requestParameters": {"contentType": "application/json", "endpointName": ASYNC_NAME,
                              "inputLocation": f"s3://{bucket}/async-inference/input/"
                                               f"{inference_id}.json"}}
    if failure is None:
        note["invocationStatus"] = "Completed"
        note["responseParameters"] = {"contentType": "application/json",
                                      "outputLocation": output or f"s3://{bucket}/async-"
                                                                  f"inference/output/{inference_id}.out"}
    else:
        note["invocationStatus"] = "Failed"
        note["failureReason"] = failure
    return note


def _answer(s3, bucket: str, inference_id: str, body: bytes | None = None) -> str:
    """The model's answer to one queued request, written where SageMaker writes it."""
    request = jumpstart.parse_request(json.loads(s3.get_object(
        Bucket=bucket, Key=f"async-inference/input/{inference_id}.json")["Body"].read()))
    if body is None:
        image = jpeg(request.width, request.height, (90, 60, 160))
        body = json.dumps({"generated_images": [base64.b64encode(image).decode()],
                           "prompt": request.prompt}).encode()
    key = f"async-inference/output/{inference_id}.out"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{bucket}/{key}"


def _notify(client, note: dict[str, Any]) -> None:
    event = client.events.generate_sns_event(message=json.dumps(note),
                                             subject="Amazon SageMaker Asynchronous Inference")
    client.lambda_.invoke("endpoint_notified", event)


def call(client, method: str, path: str, body=None, headers=None):
    raw = json.dumps(body) if isinstance(body, (dict, list)) else body
    response = getattr(client.http, method)(
        path, body=raw, headers={"Content-Type": "application/json", **(headers or {})})
    return response.status_code, json.loads(response.body or b"null")


def _job(client, job_id: str) -> dict[str, Any]:
    status, view = call(client, "get", f"/jobs/{job_id}")
    assert status == 200, view
    return view


def _parked_and_idle(stack, job_id: str) -> list[str] | None:
    """The queued requests once no Lambda runs and the job waits on them alone; None before."""
    if stack["lambdas"].in_flight():
        return None
    queued = _queued(stack["s3"], stack["bucket"])
    if not queued:
        return None
    view = _job(stack["client"], job_id)
    assert view["status"] == "RUNNING", view
    if view["completed"] + len(queued) != view["requested"] or stack["lambdas"].in_flight():
        return None      # (a turn that started meanwhile: look again)
    return queued


# --- the job ------------------------------------------------------------------------------------
@pytest.mark.parametrize("async_stack", [f"{ASYNC},sd-one,{NOVA}"], indirect=True)
def test_a_job_mixing_async_sagemaker_and_bedrock_makes_every_image_once(async_stack):
    stack = async_stack
    client, s3, bucket, lambdas = stack["client"], stack["s3"], stack["bucket"], stack["lambdas"]
    count = 6
    _queue_sync_results(count)
    _stub_bedrock(count)
    status, started = call(client, "post", "/text2image",
                           {"text": "A flower, fantasy, happy, concept art", "count": count})
    assert status in (200, 202), started
    job_id = started["jobId"]
    answered: list[str] = []
    while _job(client, job_id)["status"] not in FINAL:
        queued = wait_until(lambda: _parked_and_idle(stack, job_id)
                            or (["ended"] if _job(client, job_id)["status"] in FINAL else None),
                            60, "the job to wait on its parked images alone, no Lambda running")
        if queued == ["ended"]:
            break
        # parked: the execution runs, no Lambda does (each parked turn returned at once)
        assert lambdas.parks
        for inference_id in queued:
            assert _invoked_async(inference_id, bucket)
            output = _answer(s3, bucket, inference_id)
            _notify(client, _notification(inference_id, bucket, output=output))
            answered.append(inference_id)
    view = _job(client, job_id)
    assert view["status"] == "SUCCEEDED", view
    assert sorted(i["n"] for i in view["images"]) == list(range(count))
    by_kind = {uri: sum(1 for i in view["images"] if i["endpoint"] == uri)
               for uri in (ASYNC, SYNC, NOVA)}
    assert all(by_kind.values()) and by_kind[ASYNC] == len(answered), by_kind
    for image in view["images"]:
        key = image["url"].split(moto_stack.CDN_DOMAIN + "/", 1)[1]
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read()[:2] == b"\xff\xd8"
    # the park turns ran the workflow_generate Lambda and returned; nothing of the async
    # round trip is left but what the bucket's lifecycle rule would sweep (nothing here)
    assert "workflow_generate" in stack["invoked"]
    assert not s3.list_objects_v2(Bucket=bucket, Prefix="async-inference/").get("KeyCount")
    # a duplicate notification, and one for a request nobody made: dropped, nothing changes
    _notify(client, _notification(answered[0], bucket))
    _notify(client, _notification("0" * 32, bucket))
    assert _job(client, job_id)["images"] == view["images"]


@pytest.mark.parametrize("async_stack", [f"{ASYNC},sd-one"], indirect=True)
@pytest.mark.parametrize("answer", ["missing", "not a jpeg"])
def test_an_answer_missing_or_not_a_jpeg_is_bad_image_and_goes_back(async_stack, answer):
    stack = async_stack
    client, s3, bucket = stack["client"], stack["s3"], stack["bucket"]
    _queue_sync_results(4)
    status, started = call(client, "post", "/text2image", {"text": "a pond of lilies",
                                                          "count": 2})
    assert status in (200, 202), started
    job_id = started["jobId"]
    [inference_id] = wait_until(lambda: _parked_and_idle(stack, job_id), 60,
                                "the parked image alone")
    if answer == "missing":
        output = f"s3://{bucket}/async-inference/output/{inference_id}.out"
    else:
        output = _answer(s3, bucket, inference_id, body=b"<html>not an image</html>")
    _notify(client, _notification(inference_id, bucket, output=output))
    view = wait_until(lambda: (lambda v: v if v["status"] in FINAL else None)(_job(client, job_id)),
                      60, "the job to end")
    # the image went back to the synchronous endpoint; the async one left the job
    assert view["status"] == "SUCCEEDED", view
    assert sorted(i["n"] for i in view["images"]) == [0, 1]
    assert {i["endpoint"] for i in view["images"]} == {SYNC}
    assert [(r["endpoint"], r["error"]) for r in view["retries"]] == [(ASYNC, "BadImage")]


@pytest.mark.parametrize("async_stack", [ASYNC], indirect=True)
def test_cancelling_stops_parked_workers_at_once_and_drops_the_late_answer(async_stack):
    stack = async_stack
    client, s3, bucket = stack["client"], stack["s3"], stack["bucket"]
    status, started = call(client, "post", "/bulk", {"emotion": "CALM", "count": 2}, ADMIN)
    assert status == 202, started
    job_id = started["jobId"]
    [inference_id] = wait_until(lambda: None if stack["lambdas"].in_flight()
                                else _queued(s3, bucket), 60, "the parked image")
    from chalicelib.web import context
    stops: list[str] = []
    context.current().workflow._client.meta.events.register(  # type: ignore[attr-defined]
        "before-parameter-build.sfn.StopExecution", lambda params, **_: stops.append(params["executionArn"]))
    status, cancelled = call(client, "post", f"/jobs/{job_id}/cancel", headers=ADMIN)
    assert status == 200 and cancelled["status"] == "CANCELLED", cancelled
    execution = context.current().job_store.job_summary(job_id)["executionId"]
    # the cancel itself stopped the execution (StopExecution): in AWS that ends the Park state
    # at once, and no Lambda was running to stop
    assert stops == [execution] and stack["lambdas"].in_flight() == 0
    # the model answers anyway: the notification is late, nothing is stored. (moto's parked
    # task does not notice a stop, so its execution's end is not asserted here: the local
    # engine's test, tests/workflow/test_task_tokens.py, checks a stop ends a parked task)
    _notify(client, _notification(inference_id, bucket,
                                  output=_answer(s3, bucket, inference_id)))
    view = _job(client, job_id)
    assert view["status"] == "CANCELLED" and view["completed"] == 0, view
    assert not s3.list_objects_v2(Bucket=bucket, Prefix="pool/").get("KeyCount")
    assert not s3.list_objects_v2(Bucket=bucket, Prefix="async-inference/tickets/").get("KeyCount")


@pytest.mark.parametrize("async_stack", [ASYNC], indirect=True)
def test_notifications_for_strangers_and_garbage_are_ignored(async_stack):
    client, bucket = async_stack["client"], async_stack["bucket"]
    for message in ("not json", json.dumps({"invocationStatus": "Completed"})):
        event = client.events.generate_sns_event(message=message)
        client.lambda_.invoke("endpoint_notified", event)
    _notify(client, _notification("a" * 32, bucket))
    _notify(client, _notification("b" * 32, bucket, failure="ModelError: the model crashed"))
    # a ticket naming a job that does not exist: its token is answered, nothing is stored
    s3 = async_stack["s3"]
    s3.put_object(Bucket=bucket, Key=parked.ticket_key("c" * 32), Body=json.dumps({
        "jobId": "no-such-job", "n": 0, "lease": "x", "taskToken": "never-issued",
        "worker": {"worker": 0, "uri": ASYNC, "parks": True}, "item": {"n": 0}}).encode())
    _notify(client, _notification("c" * 32, bucket, output=f"s3://{bucket}/async-inference/o"))
    assert not s3.list_objects_v2(Bucket=bucket, Prefix="async-inference/tickets/").get("KeyCount")
