"""The deployed shape, end to end under moto: the stack made from infra/template.yaml, the stage
configured from its outputs by tools/deploy.py, and the API run through Chalice's test client
with GARDEN_BACKEND=aws — garden, likes, object events, text-to-image on SageMaker endpoints
(results queued through moto's SageMaker hook) and emotion on a Stubber'd Rekognition.
What moto cannot create is listed in tests/infra/moto_stack.py."""
from __future__ import annotations

import base64
import json
from urllib.parse import quote_plus

import boto3
import pytest
import requests
from botocore.stub import ANY, Stubber
from chalice.test import Client

from tests.images import jpeg
from tests.infra import moto_stack
from tests.infra.conftest import ACCOUNT, REGION, ROOT
from tests.jobs._turns import turns_in_flight
from tests.timing import wait_until

STAGE = "dev"
ENDPOINTS = "sd-one,SD-Two"      # the second has upper case: SageMaker ARNs lower-case it
FACES = ROOT / "tests" / "faces" / "events" / "detect_faces_one.json"


@pytest.fixture
def stack(monkeypatch, tmp_path, template):
    from app import app
    # moto does not implement Rekognition's DetectModerationLabels: the images' check is
    # tested under the Stubber (tests/moderation); here the prompts are checked alone
    with moto_stack.deployed_stage(template, STAGE, ENDPOINTS, tmp_path / "project",
                                   monkeypatch.setenv, {"GARDEN_WAIT_SECONDS": "20",
                                                        "GARDEN_MODERATION": "prompts"}) as stage:
        assert set(stage.dropped) == {"Distribution", "OriginAccessControl", "GardenBucketPolicy",
                                      "AdminUsagePlan", "AdminApiKey", "AdminUsagePlanKey",
                                      "DirectoryIndex", "SecurityHeaders", "PromptGuardrail",
                                      "PromptGuardrailVersion"}
        from chalicelib.web import context
        context.rebuild()
        with moto_stack.lambda_tasks_run_the_app(app, STAGE) as invoked, \
                turns_in_flight(monkeypatch) as turns, \
                Client(app, stage_name=STAGE, project_dir=str(stage.project)) as client:
            yield {"client": client, "outputs": stage.outputs, "env": stage.environment,
                   "invoked": invoked, "s3": boto3.client("s3", region_name=REGION),
                   "turns": turns}
        context.rebuild()


def s3_event(bucket: str, *changes: tuple[str, str, int]) -> dict:
    """A real S3 notification: one record per (event name, key, sequencer), keys URL-encoded."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
        "eventTime": "2026-03-01T10:00:00.000Z", "eventName": name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "x"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "index_objects",
               "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                          "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key, safe="/"), "size": 1000, "eTag": "d41d8cd9",
                          "sequencer": f"{sequencer:018X}"}},
    } for name, key, sequencer in changes]}


def call(client, method: str, path: str, body=None, headers=None):
    raw = json.dumps(body) if isinstance(body, (dict, list)) else body
    response = getattr(client.http, method)(
        path, body=raw, headers={"Content-Type": "application/json", **(headers or {})})
    return response.status_code, json.loads(response.body or b"null")


def test_the_stack_gives_the_app_everything_it_needs(stack):
    outputs, env = stack["outputs"], stack["env"]
    assert outputs["BucketName"] == f"emotion-garden-{STAGE}-{ACCOUNT}-{REGION}"
    assert env["GARDEN_ENDPOINTS"] == json.dumps(["sagemaker:sd-one", "sagemaker:SD-Two"])
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = dynamodb.describe_table(TableName=outputs["TableName"])["Table"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == ["fresh", "garden"]
    machines = boto3.client("stepfunctions", region_name=REGION)
    for machine, arn in (("text2image", outputs["Text2ImageMachineArn"]),
                         ("bulk", outputs["BulkMachineArn"])):
        definition = machines.describe_state_machine(stateMachineArn=arn)["definition"]
        assert "${" not in definition and f"function:emotion-garden-{STAGE}-workflow_" in definition
        plan = json.loads(definition)["States"]["Plan"]["Resource"]
        assert plan.endswith(f":function:emotion-garden-{STAGE}-workflow_plan_{machine}")


def test_garden_likes_and_object_events_through_the_deployed_shape(stack):
    client, s3, bucket = stack["client"], stack["s3"], stack["outputs"]["BucketName"]
    keys = ["emotions/HAPPY/rose/first bloomh.jpeg", "emotions/HAPPY/secondh.jpeg",
            "emotions/HAPPY/tallv.jpeg"]
    for n, key in enumerate(keys):
        s3.put_object(Bucket=bucket, Key=key, Body=jpeg(prov={"prompt": "a flower", "seed": n}),
                      ContentType="image/jpeg")
    event = s3_event(bucket, *[("ObjectCreated:Put", key, 100 + n) for n, key in enumerate(keys)])
    client.lambda_.invoke("index_objects", event)

    status, garden = call(client, "get", "/garden?emotion=happy&order=rank")
    assert status == 200
    assert sorted(i["key"] for i in garden["landscape"]) == sorted(keys[:2])
    assert [i["key"] for i in garden["portrait"]] == [keys[2]]
    assert garden["landscape"][0]["url"].startswith(f"https://{moto_stack.CDN_DOMAIN}/emotions/HAPPY/")

    status, liked = call(client, "post", "/like", {"id": "visitor-1", "itemId": keys[1]})
    assert (status, liked["likes"]) == (200, 1)
    assert call(client, "post", "/like", {"id": "visitor-1", "itemId": keys[1]})[1]["likes"] == 1
    _, garden = call(client, "get", "/garden?emotion=HAPPY&order=rank")
    assert [i["key"] for i in garden["landscape"]] == [keys[1], keys[0]]

    s3.delete_object(Bucket=bucket, Key=keys[1])
    client.lambda_.invoke("index_objects", s3_event(bucket, ("ObjectRemoved:Delete", keys[1], 200)))
    _, garden = call(client, "get", "/garden?emotion=HAPPY")
    assert [i["key"] for i in garden["landscape"]] == [keys[0]]
    assert call(client, "post", "/like", {"id": "visitor-2", "itemId": keys[1]})[0] == 404


def _queue_sagemaker_results(*images: bytes) -> None:
    """moto's SageMaker hook: each new InvokeEndpoint request takes the next queued result."""
    results = [{"Body": json.dumps({"generated_images": [base64.b64encode(i).decode()],
                                    "prompt": "p"}),
                "ContentType": "application/json"} for i in images]
    response = requests.post("http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
                             json={"account_id": ACCOUNT, "region": REGION, "results": results},
                             timeout=5)
    assert response.status_code == 201, response.text


def test_text_to_image_runs_the_deployed_state_machine_on_sagemaker(stack):
    client, s3, bucket = stack["client"], stack["s3"], stack["outputs"]["BucketName"]
    _queue_sagemaker_results(jpeg(768, 512, (30, 160, 90)), jpeg(768, 512, (200, 40, 40)))
    status, body = call(client, "post", "/text2image",
                        {"text": "A flower, fantasy, happy, young, smile, concept art"})
    assert status == 200, body
    assert len(body["urls"]) == 2 and json.loads(body["body"]) == body["urls"] and body["errors"] == []
    prefix = f"https://{moto_stack.CDN_DOMAIN}/"
    for url in body["urls"]:
        assert url.startswith(prefix + f"text2image/{body['jobId']}/")
        stored = s3.get_object(Bucket=bucket, Key=url[len(prefix):])
        assert stored["ContentType"] == "image/jpeg" and stored["Body"].read()[:2] == b"\xff\xd8"
    assert sorted(set(stack["invoked"])) == ["workflow_finish", "workflow_generate",
                                             "workflow_plan_text2image"]
    status, job = call(client, "get", f"/jobs/{body['jobId']}")
    assert status == 200 and job["status"] == "SUCCEEDED" and job["completed"] == 2
    assert sorted(i["endpoint"] for i in job["images"]) == ["sagemaker:SD-Two", "sagemaker:sd-one"]


def test_an_endpoint_answering_garbage_fails_only_its_image(stack):
    client = stack["client"]
    _queue_sagemaker_results(jpeg(768, 512), b"not a jpeg")
    status, body = call(client, "post", "/text2image", {"text": "a calm lake of lilies"})
    assert status == 200, body
    assert len(body["urls"]) == 1 and [e["error"] for e in body["errors"]] == ["BadImage"]
    # the garbage's image went to the other endpoint, which had nothing more queued for it:
    # both endpoints out, that image an error, the other one made
    job = call(client, "get", f"/jobs/{body['jobId']}")[1]
    assert job["status"] == "PARTIAL" and [r["error"] for r in job["retries"]] == ["BadImage"]


def test_emotion_through_a_stubbed_rekognition(stack, monkeypatch):
    from chalicelib import bootstrap
    from chalicelib.web import context
    rekognition = boto3.client("rekognition", region_name=REGION)
    stubber = Stubber(rekognition)
    stubber.add_response("detect_faces", json.loads(FACES.read_text()),
                         {"Image": {"Bytes": ANY}, "Attributes": ["ALL"]})
    real = bootstrap._boto
    context.override(boto=lambda service, **kw: rekognition
                        if service == "rekognition" else real(service, **kw))
    photo = jpeg(640, 480, (180, 150, 130))
    with stubber:
        response = stack["client"].http.post("/emotion", body=photo,
                                             headers={"Content-Type": "image/jpeg",
                                                      "X-user-id": "visitor-9"})
        stubber.assert_no_pending_responses()
    assert response.status_code == 200, response.body
    answer = json.loads(response.body)
    expected = max(json.loads(FACES.read_text())["FaceDetails"][0]["Emotions"],
                   key=lambda e: e["Confidence"])["Type"]
    assert answer["emotions"] == expected and answer["ageRange"] == {"Low": 29, "High": 37}
    # the photo reached Rekognition only: nothing was written to the bucket
    assert stack["s3"].list_objects_v2(Bucket=stack["outputs"]["BucketName"]).get("KeyCount") == 0


def test_a_bulk_job_is_listed_and_cancelled_through_the_deployed_state_machine(stack, monkeypatch):
    """POST /jobs/{id}/cancel in the deployed shape: the job stops claiming images, its run
    is stopped (StopExecution; tests/workflow/test_aws_engine.py checks the call), the job
    is CANCELLED with what it made."""
    from chalicelib.web import context
    from tests.workflow.fakes import ScriptedGenerator
    monkeypatch.setenv("GARDEN_ADMIN_KEY", "stack-admin-key")
    slow = [ScriptedGenerator(uri, delay=0.2) for uri in json.loads(stack["env"]["GARDEN_ENDPOINTS"])]
    context.rebuild()
    context.override(generators=slow)   # GPUs that take their time
    client, admin = stack["client"], {"x-api-key": "stack-admin-key"}
    turns = stack["turns"]
    status, started = call(client, "post", "/bulk", {"emotion": "CALM", "count": 20}, admin)
    assert status == 202, started
    job_id = started["jobId"]
    wait_until(lambda: call(client, "get", f"/jobs/{job_id}")[1]["completed"] >= 2, 30,
               "two images made")
    status, listed = call(client, "get", "/jobs?status=RUNNING", headers=admin)
    assert status == 200 and [j["jobId"] for j in listed["jobs"]] == [job_id]
    status, cancelled = call(client, "post", f"/jobs/{job_id}/cancel", headers=admin)
    assert status == 200 and cancelled["status"] == "CANCELLED", cancelled
    sfn = boto3.client("stepfunctions", region_name=REGION)
    execution = context.current().job_store.job_summary(job_id)["executionId"]
    # stopped by StopExecution, or ended by itself first: its workers claim nothing more
    wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING",
               30, "the execution to stop")
    # the turns in flight at the cancel end; none after them can claim an image
    wait_until(lambda: turns() == 0, 30, "the worker turns in flight to end")
    status, job = call(client, "get", f"/jobs/{job_id}")
    assert status == 200 and job["status"] == "CANCELLED"
    assert cancelled["completed"] <= job["completed"] <= cancelled["completed"] + 2 < 40
    assert call(client, "post", f"/jobs/{job_id}/cancel", headers=admin)[0] == 200
