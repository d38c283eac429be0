"""The Lambda role's policy (.chalice/policy-{stage}.json, written by make deploy from the
stack's outputs): no wildcard action, no bare "*" resource where the service has resource-level
permissions, and every AWS call the code makes is allowed — found by scanning the code for
the client methods of the services it uses."""
from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from tests.infra.conftest import ROOT, deploy, example_environment, example_outputs

SERVICES = {"s3": "s3", "dynamodb": "dynamodb", "stepfunctions": "states",
            "rekognition": "rekognition", "sagemaker-runtime": "sagemaker",
            "bedrock-runtime": "bedrock"}
# Calls whose IAM action is not the operation's own name.
ACTIONS = {
    "head_object": {"s3:GetObject"},
    "copy_object": {"s3:GetObject", "s3:PutObject"},
    "list_objects_v2": {"s3:ListBucket"},
    # what its items do (a ConditionCheck item: the image counters' "the image is visible")
    "transact_write_items": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
    "batch_writer": {"dynamodb:BatchWriteItem"},                            # boto3's resource helper
    "delete_item": {"dynamodb:DeleteItem"},
}
# The few control-plane calls the Lambdas make, by name (the whole sagemaker service would
# match common words: .search, .list_tags…): asynchronous endpoints' capacity probe.
CONTROL_PLANE = {"describe_endpoint": {"sagemaker:DescribeEndpoint"}}
# Never called by a deployed function: table set-up is for tests and local tools only
# (chalicelib/catalog/dynamodb/table.py: create_table); the local engine calls a moto backend object,
# not AWS.
NOT_IN_LAMBDA = {"create_table", "update_time_to_live"}
LOCAL_ONLY_FILES = {"chalicelib/workflow/local.py"}
# Actions that have no resource-level permissions: "*" is the only resource AWS accepts.
STAR_ONLY = {"rekognition:DetectFaces", "rekognition:DetectModerationLabels", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
             "xray:GetSamplingRules", "xray:GetSamplingTargets",
             # the task tokens of a service integration's Task state cannot be scoped
             "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
# Allowed beyond the code's own calls: the Lambda runtime writes the logs, the X-Ray daemon
# the traces.
RUNTIME = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} | {
    a for a in STAR_ONLY if a.startswith("xray:")}


def _operations() -> dict[str, set[str]]:
    session = botocore.session.get_session()
    names: dict[str, set[str]] = {}
    for service, prefix in SERVICES.items():
        for operation in session.get_service_model(service).operation_names:
            names.setdefault(xform_name(operation), set()).add(f"{prefix}:{operation}")
    for name, actions in CONTROL_PLANE.items():
        names.setdefault(name, set()).update(actions)
    return names


def code_calls(files: list[Path]) -> dict[str, set[str]]:
    """client method name → the files calling (or passing) it, for every AWS operation of the
    services above (and boto3's batch_writer)."""
    operations = _operations()
    calls: dict[str, set[str]] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        names = set(re.findall(r"\.([a-z][a-z0-9_]*)\b", text))
        names |= set(re.findall(r"get_paginator\(\s*[\"'](\w+)", text))
        for name in names & (set(operations) | {"batch_writer"}):
            calls.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return calls


def required_actions(calls: dict[str, set[str]]) -> set[str]:
    operations = _operations()
    return {a for name in calls if name not in NOT_IN_LAMBDA
            for a in ACTIONS.get(name, operations.get(name, set()))}


def lambda_code() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    return [p for p in files if str(p.relative_to(ROOT)) not in LOCAL_ONLY_FILES]


def statements(policy: dict) -> list[dict]:
    return [{**s, "Action": _list(s["Action"]), "Resource": _list(s["Resource"])}
            for s in policy["Statement"]]


def granted(policy: dict) -> set[str]:
    return {a for s in statements(policy) if s["Effect"] == "Allow" for a in s["Action"]}


BEDROCK = ["bedrock:stability.sd3-5-large-v1:0?concurrency=2", "bedrock:amazon.nova-canvas-v1:0",
           "bedrock:stability.sd3-5-large-v1:0"]
ASYNC = ["sagemaker-async:Garden-SD-Async"]


def mixed_environment(stage: str) -> dict[str, str]:
    """A stage with SageMaker endpoints (real-time and asynchronous) and Bedrock models (one
    listed twice)."""
    env = example_environment(stage)
    return {**env, "GARDEN_ENDPOINTS": json.dumps(json.loads(env["GARDEN_ENDPOINTS"]) + BEDROCK
                                                  + ASYNC)}


@pytest.fixture(params=["dev", "prod"])
def policy(request) -> dict:
    return deploy.policy_document(mixed_environment(request.param), example_outputs(request.param))


def test_the_scan_finds_the_calls_the_adapters_make():
    calls = code_calls(lambda_code())
    # one per adapter: if the scan went blind, the coverage test below would pass vacuously
    for name in ("put_object", "list_objects_v2", "transact_write_items", "batch_writer",
                 "query", "start_execution", "describe_execution", "detect_faces",
                 "invoke_endpoint", "invoke_model", "apply_guardrail", "detect_moderation_labels"):
        assert name in calls, name


def test_every_call_the_code_makes_is_allowed(policy):
    missing = required_actions(code_calls(lambda_code())) - granted(policy)
    assert not missing, f"the code calls {sorted(missing)}, which the policy does not allow"


def test_the_policy_allows_nothing_the_code_does_not_call(policy):
    extra = granted(policy) - required_actions(code_calls(lambda_code())) - RUNTIME
    assert not extra, f"the policy allows {sorted(extra)}, which no code calls"


def test_no_wildcard_action_and_no_bare_star_resource_where_a_specific_one_exists(policy):
    for statement in statements(policy):
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        for action in statement["Action"]:
            assert "*" not in action, action
        if "*" in statement["Resource"]:
            assert set(statement["Action"]) <= STAR_ONLY, statement
        for resource in statement["Resource"]:
            assert resource == "*" or re.match(r"^arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d{12}|^arn:aws:s3:::"
                                               r"|^arn:aws:bedrock:[a-z0-9-]+::foundation-model/[a-z]",
                                               resource), resource


def test_resources_are_exactly_the_stages_own(policy):
    stage = policy["Statement"][0]["Resource"].split("emotion-garden-")[1].split("-")[0]
    env = example_environment(stage)
    by_sid = {s["Sid"]: s["Resource"] for s in statements(policy)}
    bucket = env["GARDEN_BUCKET"]
    assert by_sid["Images"] == [f"arn:aws:s3:::{bucket}/{p}*"
                                for p in ("emotions/", "pool/", "text2image/", "grown/", "held/")]
    # the stack's guardrail (without its version) and its profile in each destination Region
    assert by_sid["PromptChecks"] == [
        f"arn:aws:bedrock:us-east-1:123456789012:guardrail/{stage}guard0001",
        *(f"arn:aws:bedrock:{region}:123456789012:guardrail-profile/us.guardrail.v1:0"
          for region in ("us-east-1", "us-east-2", "us-west-2"))]
    assert by_sid["ImageListing"] == [f"arn:aws:s3:::{bucket}"]
    table = f"arn:aws:dynamodb:us-east-1:123456789012:table/{env['GARDEN_TABLE']}"
    assert by_sid["Catalog"] == [table, table + "/index/garden", table + "/index/fresh"]
    assert by_sid["Workflows"] == [env["GARDEN_TEXT2IMAGE_MACHINE"], env["GARDEN_BULK_MACHINE"]]
    assert all(r.startswith(f"arn:aws:states:us-east-1:123456789012:execution:emotion-garden-{stage}-")
               and r.endswith(":*") for r in by_sid["WorkflowRuns"])
    # SageMaker ARNs carry the endpoint name in lower case; the names keep theirs in the URIs
    assert by_sid["Endpoints"] == [
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/jumpstart-sd-2-1",
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/jumpstart-sd-xl"]


def test_the_bedrock_statement_names_exactly_the_configured_models_in_the_stacks_region(policy):
    models = [s for s in statements(policy) if "bedrock:InvokeModel" in s["Action"]]
    assert len(models) == 1 and models[0]["Action"] == ["bedrock:InvokeModel"]
    assert models[0]["Resource"] == [
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/stability.sd3-5-large-v1:0"]


def test_bedrock_models_follow_the_stacks_region_and_partition():
    env = {**mixed_environment("dev"), "GARDEN_ENDPOINTS": json.dumps(["bedrock:stability.stable-image-core-v1:1"])}
    for key in ("GARDEN_TEXT2IMAGE_MACHINE", "GARDEN_BULK_MACHINE"):
        env[key] = env[key].replace("arn:aws:", "arn:aws-us-gov:").replace("us-east-1", "us-gov-west-1")
    policy = deploy.policy_document(env)
    assert [s["Resource"] for s in statements(policy) if s["Sid"] == "Models"] == [
        ["arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/stability.stable-image-core-v1:1"]]
    assert "sagemaker:InvokeEndpoint" not in granted(policy)


def test_no_bedrock_statement_without_bedrock_models():
    assert "bedrock:InvokeModel" not in granted(deploy.policy_document(example_environment("dev")))


def test_asynchronous_endpoints_get_their_endpoint_their_requests_and_the_tokens_alone():
    granted_to = {s["Sid"]: s for s in deploy.policy_document(mixed_environment("dev"))["Statement"]}
    assert granted_to["AsyncEndpoints"]["Resource"] == [
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/garden-sd-async"]
    [requests] = granted_to["AsyncRequests"]["Resource"]
    assert requests.endswith(":s3:::" + mixed_environment("dev")["GARDEN_BUCKET"] + "/async-inference/*")
    plain = deploy.policy_document(example_environment("dev"))
    assert not {"sagemaker:InvokeEndpointAsync", "states:SendTaskSuccess"} & granted(plain)


def test_no_sagemaker_statement_without_sagemaker_endpoints():
    env = {**example_environment("dev"), "GARDEN_ENDPOINTS": json.dumps(["painter:"])}
    assert "sagemaker:InvokeEndpoint" not in granted(deploy.policy_document(env))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_committed_policy_files_are_what_the_generator_makes(stage):
    # make deploy rewrites them with the real account's values; these are for account
    # 123456789012 so that the shape can be reviewed and `chalice package` finds the file
    committed = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    assert committed == deploy.policy_document(example_environment(stage), example_outputs(stage))
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]
    assert config["autogen_policy"] is False and config["iam_policy_file"] == f"policy-{stage}.json"


def _list(value):
    return value if isinstance(value, list) else [value]


def test_deploy_takes_bedrock_uris_beside_sagemaker_names_and_checks_them_first():
    names = ["sd-1", "bedrock:amazon.nova-canvas-v1:0?concurrency=2"]
    deploy.check_endpoints(names)
    env = deploy.stage_environment({**_outputs("dev"), "EndpointNames": ",".join(names)}, "dev")
    assert json.loads(env["GARDEN_ENDPOINTS"]) == ["sagemaker:sd-1", "bedrock:amazon.nova-canvas-v1:0?concurrency=2"]
    assert [s["Resource"] for s in statements(deploy.policy_document(env)) if s["Sid"] == "Models"] == [
        ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0"]]
    with pytest.raises(deploy.DeployError, match="ENDPOINTS: .*bedrock:meta.llama3"):
        deploy.check_endpoints(["sd-1", "bedrock:meta.llama3-8b-instruct-v1:0"])


def _outputs(stage: str) -> dict[str, str]:
    env = example_environment(stage)
    return {"BucketName": env["GARDEN_BUCKET"], "TableName": env["GARDEN_TABLE"],
            "CdnDomain": env["GARDEN_CDN_DOMAIN"], "Text2ImageMachineArn": env["GARDEN_TEXT2IMAGE_MACHINE"],
            "BulkMachineArn": env["GARDEN_BULK_MACHINE"]}
