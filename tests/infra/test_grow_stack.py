"""POST /grow in the deployed shape, under moto: the stack made from infra/template.yaml, the
stage configured by tools/deploy.py (``tests/infra/moto_stack.deployed_stage``), the real state
machine run by moto's Step Functions and the catalog on DynamoDB — a visitor's flower made by
a SageMaker endpoint (moto's queued endpoint results), by a Bedrock model (botocore's Stubber)
and by an asynchronous endpoint (the test plays SageMaker's asynchronous inference as
tests/infra/test_async_stack.py does: the request read from S3, the answer written, the
notification delivered to ``endpoint_notified``); and a flower asked while a bulk job keeps the
endpoints busy, made before the bulk job's next images (its priority, through DynamoDB).

What each endpoint is asked is read off its client: the operator's recipe, never anything of
the photo, in the kiosk's orientation."""
from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.response import StreamingBody
from botocore.stub import Stubber
from chalice.test import Client
from PIL import Image

from chalicelib.generators import jumpstart
from chalicelib.jobs import grow
from chalicelib.jobs.record import FINAL
from chalicelib.rules import prompts, provenance
from chalicelib.rules.scheduling import VISITOR
from tests.images import jpeg
from tests.infra import moto_stack
from tests.infra.conftest import ACCOUNT, REGION
from tests.infra.test_async_stack import (_answer, _invoked_async, _notification, _notify,
                                          _queue_async_results, _queued)
from tests.infra.test_stack_moto import s3_event
from tests.jobs._turns import turns_in_flight
from tests.timing import wait_until

STAGE = "dev"
SAGEMAKER = "sagemaker:sd-one"
NOVA = "bedrock:amazon.nova-canvas-v1:0"
ASYNC = "sagemaker-async:garden-async"
ADMIN = {"x-api-key": "grow-admin-key"}


@pytest.fixture
def grow_stack(request, monkeypatch, tmp_path, template) -> Iterator[dict[str, Any]]:
    """The stack with ``request.param`` (the EndpointNames parameter) as its endpoints; the
    prompts checked (moto has no DetectModerationLabels: the image check of a flower is
    tested locally, tests/grow/test_grow_api.py)."""
    from app import app
    from chalicelib.web import context
    from chalicelib.workflow.local import install_dispatch
    install_dispatch()   # a parked task answered before its wait began ends with the answer
    with moto_stack.deployed_stage(template, STAGE, request.param, tmp_path / "project",
                                   monkeypatch.setenv,
                                   {"GARDEN_WAIT_SECONDS": "20", "GARDEN_MODERATION": "prompts",
                                    "GARDEN_ADMIN_KEY": ADMIN["x-api-key"]}) as stage:
        _queue_async_results(4)   # InvokeEndpointAsync's (unused) answers, before any other
        context.rebuild()
        with moto_stack.lambda_tasks_run_the_app(app, STAGE), \
                turns_in_flight(monkeypatch) as turns, \
                Client(app, stage_name=STAGE, project_dir=str(stage.project)) as client:
            yield {"client": client, "bucket": stage.outputs["BucketName"], "turns": turns,
                   "s3": boto3.client("s3", region_name=REGION)}
        context.rebuild()


def call(client, method: str, path: str, body=None, headers=None) -> tuple[int, Any]:
    raw = json.dumps(body) if isinstance(body, (dict, list)) else body
    response = getattr(client.http, method)(
        path, body=raw, headers={"Content-Type": "application/json", **(headers or {})})
    return response.status_code, json.loads(response.body or b"null")


def generator(uri: str) -> Any:
    from chalicelib.web import context
    return next(g for g in context.current().generators if g.uri == uri)


def asked(client: Any, operation: str) -> list[dict[str, Any]]:
    """The parameters of each ``operation`` call the endpoint's client makes."""
    seen: list[dict[str, Any]] = []
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-parameter-build.{service}.{operation}",
                                lambda params, **_: seen.append(dict(params)))
    return seen


def the_flower(stack: dict[str, Any], answer: dict[str, Any], emotion: str,
               orientation: str) -> tuple[str, bytes]:
    """The flower's key and bytes, checked: one image under grown/, in the kiosk's
    orientation, the job at a visitor's priority, indexed in its own area, its take-home page
    served."""
    client, job_id = stack["client"], answer["jobId"]
    status, view = call(client, "get", f"/jobs/{job_id}")
    assert status == 200 and view["status"] == "SUCCEEDED", view
    [image] = view["images"]
    key = image["url"].split(moto_stack.CDN_DOMAIN + "/", 1)[1]
    suffix = "h" if orientation == "landscape" else "v"
    assert key == f"grown/{emotion}/{job_id}{suffix}.jpeg"
    data = stack["s3"].get_object(Bucket=stack["bucket"], Key=key)["Body"].read()
    assert Image.open(io.BytesIO(data)).size == grow.SIZES[orientation]
    from chalicelib.web import context
    job = context.current().job_store.job_summary(job_id)
    assert (job["kind"], job["priority"]) == ("text2image", VISITOR)
    assert answer["shareUrl"] == f"/share/grown/{job_id}"
    # the bucket's notification indexes it (in its own area), then its page is served
    client.lambda_.invoke("index_objects", s3_event(stack["bucket"], ("ObjectCreated:Put", key, 1)))
    assert context.current().image_index.get_image(key).area == "grown"
    page = client.http.get(answer["shareUrl"] + "?lang=en")
    assert page.status_code == 200 and "A flower grown for you" in page.body.decode()
    return key, data


@pytest.mark.parametrize("grow_stack", ["sd-one,sd-two"], indirect=True)
def test_a_flower_on_sagemaker_endpoints(grow_stack):
    stack = grow_stack
    width, height = grow.SIZES["landscape"]
    body = json.dumps({"generated_images": [base64.b64encode(jpeg(width, height)).decode()],
                       "prompt": "p"})
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
        json={"account_id": ACCOUNT, "region": REGION,
              "results": [{"Body": body, "ContentType": "application/json"}]}, timeout=5)
    assert response.status_code == 201, response.text
    clients = {id(c): c for c in (generator(uri).client for uri in (SAGEMAKER, "sagemaker:sd-two"))}
    sent = [asked(c, "InvokeEndpoint") for c in clients.values()]   # (one client serves both)
    status, answer = call(stack["client"], "post", "/grow",
                          {"id": "visit-1", "emotion": "happy", "wait": 20})
    assert status == 200, answer
    key, data = the_flower(stack, answer, "HAPPY", "landscape")
    assert provenance.read(data)["endpoint"] in (SAGEMAKER, "sagemaker:sd-two")
    [request] = [jumpstart.parse_request(json.loads(p["Body"])) for seen in sent for p in seen]
    assert (request.prompt, request.width, request.height) == \
        (prompts.build_prompt("HAPPY"), width, height)
    # the same visit again: its flower is grown already (the count is DynamoDB's)
    status, again = call(stack["client"], "post", "/grow", {"id": "visit-1", "emotion": "HAPPY"})
    assert status == 429 and "this visit's flower" in again["message"]


@pytest.mark.parametrize("grow_stack", [NOVA], indirect=True)
def test_a_flower_on_a_bedrock_model(grow_stack):
    stack = grow_stack
    width, height = grow.SIZES["portrait"]
    nova = generator(NOVA).client
    png = io.BytesIO()
    Image.new("RGB", (width, height), (40, 150, 90)).save(png, format="PNG")
    raw = json.dumps({"images": [base64.b64encode(png.getvalue()).decode()]}).encode()
    sent = asked(nova, "InvokeModel")
    with Stubber(nova) as stub:
        stub.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                           "contentType": "application/json"})
        status, answer = call(stack["client"], "post", "/grow",
                              {"id": "visit-2", "emotion": "SAD", "orientation": "portrait",
                               "lang": "ko", "wait": 20})
        assert status == 200, answer
        stub.assert_no_pending_responses()
    _, data = the_flower(stack, answer, "SAD", "portrait")
    assert provenance.read(data)["endpoint"] == NOVA
    [request] = [json.loads(p["body"]) for p in sent]
    assert request["textToImageParams"]["text"] == prompts.build_prompt("SAD")
    assert (request["imageGenerationConfig"]["width"],
            request["imageGenerationConfig"]["height"]) == (width, height)


@pytest.mark.parametrize("grow_stack", [ASYNC], indirect=True)
def test_a_flower_on_an_asynchronous_endpoint(grow_stack, monkeypatch):
    from chalicelib.web import context
    stack = grow_stack
    client, s3, bucket = stack["client"], stack["s3"], stack["bucket"]
    # off by default where every endpoint parks (it may be at zero instances)
    status, off = call(client, "post", "/grow", {"id": "visit-3", "emotion": "CALM"})
    assert status == 503 and "GARDEN_GROW is off" in off["message"]
    monkeypatch.setenv("GARDEN_GROW", "on")
    context.rebuild()
    status, answer = call(client, "post", "/grow", {"id": "visit-3", "emotion": "CALM",
                                                    "wait": 0})
    assert status == 202, answer
    # the test plays the endpoint: the one request queued, read from S3, answered
    [inference_id] = wait_until(
        lambda: (lambda q: q if q and all(_invoked_async(i, bucket) for i in q) else None)(
            _queued(s3, bucket)), 60, "the flower's request on the asynchronous endpoint")
    request = jumpstart.parse_request(json.loads(s3.get_object(
        Bucket=bucket, Key=f"async-inference/input/{inference_id}.json")["Body"].read()))
    assert (request.prompt, request.width, request.height) == \
        (prompts.build_prompt("CALM"), *grow.SIZES["landscape"])
    _notify(client, _notification(inference_id, bucket,
                                  output=_answer(s3, bucket, inference_id)))
    wait_until(lambda: call(client, "get", f"/jobs/{answer['jobId']}")[1]["status"] in FINAL,
               60, "the flower's job to end")
    _, data = the_flower(stack, answer, "CALM", "landscape")
    assert provenance.read(data)["endpoint"] == ASYNC


@pytest.mark.parametrize("grow_stack", ["sd-one,sd-two"], indirect=True)
def test_a_running_bulk_jobs_claims_yield_to_the_flower(grow_stack, monkeypatch):
    """Both endpoints busy with a bulk job: once the flower's job waits for them, the bulk
    job's next claims yield (DynamoDB's PRIORITY item, read by ``outranked``) — the flower's
    own worker is held until one has — and the flower is made while the bulk job runs on."""
    import threading

    from chalicelib.jobs import steps
    from chalicelib.web import context
    from tests.timing import scaled
    from tests.workflow.fakes import ScriptedGenerator
    stack = grow_stack
    client, count = stack["client"], 200
    context.override(generators=[ScriptedGenerator(uri, delay=0.05)
                                 for uri in ("sagemaker:sd-one", "sagemaker:sd-two")])
    store = context.current().job_store
    yielded = threading.Event()
    outranked = type(store).outranked

    def spied(self, job_id: str, uri: str) -> bool:
        answer = outranked(self, job_id, uri)
        if answer:
            yielded.set()
        return answer
    monkeypatch.setattr(type(store), "outranked", spied)
    work = steps.work

    def held(event: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if store.job_summary(event["jobId"]).get("priority") == VISITOR:
            assert yielded.wait(scaled(30)), "no bulk claim yielded to the waiting flower"
        return work(event, *args, **kwargs)
    monkeypatch.setattr(steps, "work", held)

    status, bulk = call(client, "post", "/bulk", {"emotion": "CALM", "count": count}, ADMIN)
    assert status == 202, bulk
    wait_until(lambda: call(client, "get", f"/jobs/{bulk['jobId']}")[1]["completed"] >= 2, 30,
               "the bulk job's first images")
    assert not yielded.is_set()          # nothing outranked it before the flower
    status, answer = call(client, "post", "/grow", {"id": "visit-4", "emotion": "HAPPY",
                                                    "wait": 20})
    assert status == 200, answer
    assert yielded.is_set()
    the_flower(stack, answer, "HAPPY", "landscape")
    view = call(client, "get", f"/jobs/{bulk['jobId']}")[1]
    assert view["status"] == "RUNNING" and view["completed"] < count, view
    # the bulk job takes its claims again (cancelled here, its turns in flight end)
    wait_until(lambda: call(client, "get", f"/jobs/{bulk['jobId']}")[1]["completed"]
               > view["completed"], 30, "the bulk job's next image after the flower")
    assert call(client, "post", f"/jobs/{bulk['jobId']}/cancel", headers=ADMIN)[0] == 200
    wait_until(lambda: stack["turns"]() == 0, 30, "the bulk job's turns in flight to end")
