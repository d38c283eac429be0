"""Callbacks through the Step Functions adapter: the exact SendTask* requests and how their
errors read (botocore's Stubber), and a round trip under moto, whose Step Functions runs a
``.waitForTaskToken`` task (an SQS message carries the token, as an SNS notification will)."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from chalicelib.errors import InvalidRequest, ServiceUnavailable, UpstreamFailed
from chalicelib.workflow.aws import StepFunctionsEngine
from tests.timing import wait_until

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:emotion-garden-dev-text2image"


@pytest.fixture
def stubbed():
    client = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(client) as stub:
        yield StepFunctionsEngine(client, {"text2image": MACHINE}), stub
        stub.assert_no_pending_responses()


def test_success_sends_the_output_as_json(stubbed):
    engine, stub = stubbed
    stub.add_response("send_task_success", {},
                      {"taskToken": "tok", "output": json.dumps({"next": "work"})})
    assert engine.send_task_success("tok", {"next": "work"}) is True


def test_failure_sends_the_error_name_and_the_cause_cut_to_the_limits(stubbed):
    engine, stub = stubbed
    stub.add_response("send_task_failure", {},
                      {"taskToken": "tok", "error": "E" * 256, "cause": "c" * 32768})
    assert engine.send_task_failure("tok", "E" * 300, "c" * 40000) is True


def test_heartbeat(stubbed):
    engine, stub = stubbed
    stub.add_response("send_task_heartbeat", {}, {"taskToken": "tok"})
    assert engine.send_task_heartbeat("tok") is True


@pytest.mark.parametrize("code", ["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"])
def test_a_token_no_task_waits_on_is_a_dropped_answer(stubbed, code):
    engine, stub = stubbed
    stub.add_client_error("send_task_success", service_error_code=code, http_status_code=400)
    stub.add_client_error("send_task_heartbeat", service_error_code=code, http_status_code=400)
    assert engine.send_task_success("tok", 1) is False
    assert engine.send_task_heartbeat("tok") is False


def test_busy_refused_and_broken(stubbed):
    engine, stub = stubbed
    stub.add_client_error("send_task_success", service_error_code="ThrottlingException",
                          http_status_code=400)
    stub.add_client_error("send_task_success", service_error_code="InvalidOutput",
                          service_message="too large", http_status_code=400)
    stub.add_client_error("send_task_failure", service_error_code="KMSAccessDeniedException",
                          http_status_code=400)
    with pytest.raises(ServiceUnavailable):
        engine.send_task_success("tok", 1)
    with pytest.raises(InvalidRequest, match="too large"):
        engine.send_task_success("tok", 1)
    with pytest.raises(UpstreamFailed):
        engine.send_task_failure("tok", "BadImage")


def test_bad_calls_never_reach_the_service(stubbed):
    engine, _ = stubbed
    with pytest.raises(InvalidRequest):
        engine.send_task_success("", 1)
    with pytest.raises(InvalidRequest):
        engine.send_task_heartbeat("t" * 2049)
    with pytest.raises(InvalidRequest, match="JSON"):
        engine.send_task_success("tok", {"when": object()})


PARKED = {
    "StartAt": "Park",
    "States": {"Park": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl.$": "$.queue",
                       "MessageBody": {"jobId.$": "$.jobId", "token.$": "$$.Task.Token"}},
        "HeartbeatSeconds": 600, "TimeoutSeconds": 1800, "End": True}},
}


@pytest.mark.parametrize("answer", ["success", "failure"])
def test_a_parked_execution_is_answered_through_the_adapter(answer):
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(name="parked", definition=json.dumps(PARKED),
                                           roleArn=role)["stateMachineArn"]
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        engine = StepFunctionsEngine(sfn, {"text2image": machine}, poll_interval=0.01)
        run = engine.start("text2image", {"jobId": "j", "queue": queue}, "j")

        def message() -> dict | None:
            got = sqs.receive_message(QueueUrl=queue).get("Messages")
            return json.loads(got[0]["Body"]) if got else None
        body = wait_until(message, 20, "the parked task's message")
        assert body["jobId"] == "j"
        assert engine.describe(run).status == "RUNNING"
        assert engine.send_task_heartbeat(body["token"]) is True
        if answer == "success":
            assert engine.send_task_success(body["token"], {"image": "a.jpeg"}) is True
            result = engine.wait(run, 20)
            assert (result.status, result.output) == ("SUCCEEDED", {"image": "a.jpeg"})
        else:
            assert engine.send_task_failure(body["token"], "BadImage", "not a JPEG") is True
            result = engine.wait(run, 20)
            # (moto's SendTaskFailure drops the cause; the Stubber test checks it is sent)
            assert (result.status, result.error) == ("FAILED", "BadImage")
        # the execution has ended: a late answer for its token is dropped
        assert engine.send_task_success(body["token"], "late") is False
        assert engine.send_task_success("never-issued", "late") is False
