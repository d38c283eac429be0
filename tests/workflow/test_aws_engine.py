"""The Step Functions adapter: real boto3 calls, checked with botocore's Stubber (exact
requests, errors) and against moto's Step Functions API (a deployed machine's round trip)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib import workflow
from chalicelib.config import load
from chalicelib.errors import (
    ConfigError,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    UpstreamFailed,
)
from chalicelib.workflow.aws import StepFunctionsEngine

ROOT = Path(__file__).resolve().parents[2]
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:emotion-garden-dev-text2image"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:emotion-garden-dev-text2image:job-1"
AWS_ENV = {"GARDEN_BACKEND": "aws", "GARDEN_BUCKET": "b", "GARDEN_TABLE": "t",
           "GARDEN_CDN_DOMAIN": "d.cloudfront.net", "GARDEN_ENDPOINTS": '["sagemaker:sd"]',
           "GARDEN_TEXT2IMAGE_MACHINE": MACHINE, "GARDEN_BULK_MACHINE": MACHINE + "-bulk"}


@pytest.fixture
def stubbed():
    client = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(client) as stub:
        yield StepFunctionsEngine(client, {"text2image": MACHINE}, poll_interval=0.001), stub
        stub.assert_no_pending_responses()


def described(status: str, **extra) -> dict:
    return {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": status,
            "startDate": "2026-01-01T00:00:00Z", **extra}


def test_start_names_the_execution_after_the_job_and_sends_the_input(stubbed):
    engine, stub = stubbed
    stub.add_response("start_execution", {"executionArn": EXECUTION, "startDate": "2026-01-01T00:00:00Z"},
                      {"stateMachineArn": MACHINE, "name": "job-1", "input": json.dumps({"text": "rose"})})
    assert engine.start("text2image", {"text": "rose"}, "job-1") == EXECUTION


def test_describe_parses_output_and_failures(stubbed):
    engine, stub = stubbed
    stub.add_response("describe_execution", described("SUCCEEDED", output='{"urls": ["u"]}'),
                      {"executionArn": EXECUTION})
    stub.add_response("describe_execution", described("FAILED", error="InvalidRequest", cause="bad"),
                      {"executionArn": EXECUTION})
    ok = engine.describe(EXECUTION)
    assert (ok.status, ok.output, ok.done) == ("SUCCEEDED", {"urls": ["u"]}, True)
    failed = engine.describe(EXECUTION)
    assert (failed.status, failed.output, failed.error, failed.cause) == ("FAILED", None, "InvalidRequest", "bad")


def test_stop_stops_the_execution_with_a_cause_and_names_an_unknown_one(stubbed):
    engine, stub = stubbed
    stub.add_response("stop_execution", {"stopDate": "2026-01-01T00:00:00Z"},
                      {"executionArn": EXECUTION, "error": "Cancelled",
                       "cause": "cancelled by an operator"})
    engine.stop(EXECUTION, "cancelled by an operator")
    stub.add_client_error("stop_execution", "ExecutionDoesNotExist", "no such execution")
    with pytest.raises(NotFound):
        engine.stop(EXECUTION, "again")
    assert engine.runner is None   # runs go on in Step Functions, whatever this process does


def test_wait_polls_through_throttling_until_the_run_ends(stubbed):
    engine, stub = stubbed
    stub.add_response("describe_execution", described("RUNNING"))
    stub.add_client_error("describe_execution", "ThrottlingException", "slow down")
    stub.add_response("describe_execution", described("SUCCEEDED", output="{}"))
    assert engine.wait(EXECUTION, 5).status == "SUCCEEDED"


def test_wait_gives_up_at_its_timeout_with_the_run_still_running(stubbed):
    engine, stub = stubbed
    stub.add_response("describe_execution", described("RUNNING"))
    assert engine.wait(EXECUTION, 0).status == "RUNNING"


@pytest.mark.parametrize("code, error", [
    ("ExecutionDoesNotExist", NotFound), ("InvalidArn", NotFound),
    ("ThrottlingException", ServiceUnavailable), ("AccessDeniedException", UpstreamFailed)])
def test_describe_errors_become_domain_errors(stubbed, code, error):
    engine, stub = stubbed
    stub.add_client_error("describe_execution", code, "no")
    with pytest.raises(error):
        engine.describe(EXECUTION)


@pytest.mark.parametrize("code, error", [
    ("ExecutionAlreadyExists", InvalidRequest), ("StateMachineDoesNotExist", ConfigError),
    ("ThrottlingException", ServiceUnavailable)])
def test_start_errors_become_domain_errors(stubbed, code, error):
    engine, stub = stubbed
    stub.add_client_error("start_execution", code, "no")
    with pytest.raises(error):
        engine.start("text2image", {}, "job-1")


def test_an_unconfigured_machine_or_a_bad_name_never_reaches_aws(stubbed):
    engine, _ = stubbed
    with pytest.raises(ConfigError, match="bulk"):
        engine.start("bulk", {}, "job-1")
    with pytest.raises(InvalidRequest):
        engine.start("text2image", {}, "job 1")


def test_round_trip_against_a_deployed_machine_under_moto():
    with mock_aws():
        client = boto3.client("stepfunctions", region_name="us-east-1")
        definition = workflow.render(workflow.load_definition("text2image"), lambda name: workflow.lambda_arn(
            f"emotion-garden-dev-{name}", region="us-east-1", account="123456789012"))
        arn = client.create_state_machine(name="emotion-garden-dev-text2image", definition=definition,
                                          roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
        engine = StepFunctionsEngine(client, {"text2image": arn})
        first = engine.start("text2image", {"text": "rose"}, "job-a")
        second = engine.start("text2image", {"text": "tulip"}, "job-b")
        assert first != second and first.endswith(":job-a")
        assert engine.describe(first).status == "RUNNING"
        with pytest.raises(InvalidRequest):
            engine.start("text2image", {"text": "other"}, "job-a")
        with pytest.raises(NotFound):
            engine.describe(first.replace("job-a", "job-zzz"))


def test_build_engine_picks_step_functions_in_aws_and_the_interpreter_locally():
    from chalicelib.workflow.local import LocalEngine
    from tests.workflow.test_interpreter import Script
    assert isinstance(bootstrap.build_engine(load(AWS_ENV), {}), StepFunctionsEngine)
    script = Script(endpoints=1, count=1)
    engine = bootstrap.build_engine(load({}), script.tasks())
    assert isinstance(engine, LocalEngine)
    # the local engine runs the task functions it was handed
    assert engine.wait(engine.start("text2image", {"jobId": "j", "text": "x"}, "j"), 30).status == "SUCCEEDED"
    assert [len(script.events[k]) for k in ("plan", "generate", "finish")] == [1, 1, 1]


ALLOWED = {"chalicelib", "chalicelib.errors", "chalicelib.config", "chalicelib.workflow",
           "chalicelib.workflow.aws", "chalicelib.workflow.local"}
IMPORT_AND_BUILD = """
import json, sys
import boto3
from chalicelib.workflow.aws import StepFunctionsEngine
from chalicelib.workflow.local import LocalEngine
arns = {"bulk": json.loads(sys.argv[1])["GARDEN_BULK_MACHINE"]}
LocalEngine({}).function_arn("workflow_generate")                 # the local engine
StepFunctionsEngine(boto3.client("stepfunctions"), arns)         # Step Functions
print(json.dumps(sorted(m for m in sys.modules if m.startswith("chalicelib"))))
"""


def test_the_workflow_package_imports_nothing_of_the_domain():
    # a fresh interpreter (this one has long imported the whole app) builds both engines
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, "-c", IMPORT_AND_BUILD, json.dumps(AWS_ENV)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout.splitlines()[-1]))
    assert {"chalicelib.workflow.local", "chalicelib.workflow.aws"} <= imported
    assert imported <= ALLOWED, f"the workflow package pulls in {sorted(imported - ALLOWED)}"
