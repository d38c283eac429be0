"""infra/template.yaml: lints clean, deploys both state machines from statemachine/'s one file,
wires them to the functions Chalice deploys (each its own plan), and mirrors what the code
expects of bucket and table."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cfnlint.api import lint_file
from statelint.config import Config
from statelint.linter import Linter

from chalicelib.jobs import kinds
from chalicelib import workflow
from chalicelib.catalog.dynamodb import table_definition
from tests.infra.conftest import ROOT, app_function_names, deploy, resolve_sub, resources_of

MACHINE_FILE = workflow.definition_path()


def cfn_lint(path: Path) -> list[str]:
    """Every cfn-lint match (errors, warnings and informational), as `cfn-lint PATH` prints."""
    return [str(match) for match in lint_file(path)]


def test_the_template_and_the_rendered_template_pass_cfn_lint(tmp_path):
    assert cfn_lint(ROOT / "infra" / "template.yaml") == []
    rendered = tmp_path / "template.json"
    rendered.write_text(deploy.template_body(deploy.render_template()))
    assert cfn_lint(rendered) == []


def test_cfn_lint_is_not_a_rubber_stamp(tmp_path, template):
    broken = json.loads(json.dumps(template))
    broken["Resources"]["CatalogTable"]["Properties"]["BillingMode"] = "FREE_FOR_ALL"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    assert any("FREE_FOR_ALL" in problem for problem in cfn_lint(path))


def test_every_state_machine_deploys_the_one_file_verbatim(template):
    raw = deploy.load_template()
    machines = resources_of(raw, "AWS::StepFunctions::StateMachine")
    assert len(machines) == len(kinds.MACHINES)
    assert {m["Properties"]["DefinitionString"] for m in machines.values()} == {
        "{{file:statemachine/generate.asl.json}}"}
    inlined = resources_of(template, "AWS::StepFunctions::StateMachine")
    assert all(json.loads(m["Properties"]["DefinitionString"]) == json.loads(MACHINE_FILE.read_text())
               for m in inlined.values())
    body = deploy.template_body(template)
    assert "{{file:" not in body and len(body.encode()) < deploy.MAX_TEMPLATE_BODY


def test_machines_are_standard_traced_and_named_as_the_app_expects(template):
    machines = resources_of(template, "AWS::StepFunctions::StateMachine")
    names = set()
    for machine in machines.values():
        props = machine["Properties"]
        assert props["StateMachineType"] == "STANDARD"
        assert props["TracingConfiguration"] == {"Enabled": True}
        names.add(resolve_sub(props["StateMachineName"], "dev"))
    assert names == {f"emotion-garden-dev-{m}" for m in kinds.MACHINES}


def _machine(template: dict, machine: str) -> dict:
    return next(r for r in resources_of(template, "AWS::StepFunctions::StateMachine").values()
                if resolve_sub(r["Properties"]["StateMachineName"], "dev").endswith("-" + machine))


@pytest.mark.parametrize("machine", kinds.MACHINES)
def test_every_placeholder_has_a_substitution_naming_a_deployed_chalice_function(template, machine):
    props = _machine(template, machine)["Properties"]
    needed = workflow.placeholders(props["DefinitionString"])
    substitutions = props["DefinitionSubstitutions"]
    assert needed and set(substitutions) == needed
    functions = app_function_names()
    for name, value in substitutions.items():
        function = workflow.functions(machine)[name]
        arn = resolve_sub(value, "prod")
        assert arn == f"arn:aws:lambda:us-east-1:123456789012:function:emotion-garden-prod-{function}"
        assert function in functions, f"{machine} invokes {function}, which app.py does not deploy"
    # the one difference between the machines: the plan each one's Plan state invokes
    assert resolve_sub(substitutions["workflow_plan"], "dev").endswith(
        f":function:emotion-garden-dev-workflow_plan_{machine}")
    # the same ARNs the workflow package computes for the local engine's deployed twin
    assert {k: resolve_sub(v, "dev") for k, v in substitutions.items()} == workflow.substitutions(
        machine, app_name="emotion-garden", stage="dev", region="us-east-1", account="123456789012")


@pytest.mark.parametrize("machine", kinds.MACHINES)
def test_each_machine_role_invokes_exactly_its_functions(template, machine):
    resource = _machine(template, machine)
    role = template["Resources"][resource["Properties"]["RoleArn"]["Fn::GetAtt"][0]]
    statements = [s for p in role["Properties"]["Policies"]
                  for s in p["PolicyDocument"]["Statement"]]
    invoke = [s for s in statements if "lambda:InvokeFunction" in _list(s["Action"])]
    granted = {resolve_sub(r, "dev") for s in invoke for r in _list(s["Resource"])}
    wanted = {resolve_sub(v, "dev") for v in resource["Properties"]["DefinitionSubstitutions"].values()}
    assert granted == wanted
    assert all(_list(s["Action"]) == ["lambda:InvokeFunction"] for s in invoke)
    others = [a for s in statements if s not in invoke for a in _list(s["Action"])]
    assert all(a.startswith("xray:") for a in others)


def test_every_state_machine_passes_statelint_once_deployed(template):
    for resource in resources_of(template, "AWS::StepFunctions::StateMachine").values():
        props = resource["Properties"]
        arns = {k: resolve_sub(v, "dev") for k, v in props["DefinitionSubstitutions"].items()}
        text = workflow.render(props["DefinitionString"], arns.__getitem__)
        problems = list(Linter.validate(text, Config(set(), False, False)))
        assert problems == [], problems


def test_the_table_mirrors_the_catalogs_own_definition(template):
    table = template["Resources"]["CatalogTable"]["Properties"]
    expected = table_definition("emotion-garden-dev")
    assert resolve_sub(table["TableName"], "dev") == expected["TableName"]
    assert table["BillingMode"] == expected["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == expected["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    assert table["GlobalSecondaryIndexes"] == expected["GlobalSecondaryIndexes"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_bucket_is_private_encrypted_and_leaves_notifications_to_chalice(template):
    bucket = template["Resources"]["GardenBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["VersioningConfiguration"] == {"Status": {"Ref": "Versioning"}}
    # Chalice puts index_objects' notification on the bucket; a stack update must not erase it
    assert "NotificationConfiguration" not in bucket
    policy = template["Resources"]["GardenBucketPolicy"]["Properties"]["PolicyDocument"]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert allows[0]["Action"] == "s3:GetObject" and "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]


def _cloudfront_matches(pattern: str, path: str) -> bool:
    # CloudFront path patterns: * matches any run of characters (slashes too), ? one
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), path) is not None


def test_cloudfront_forwards_every_api_route_to_the_api_and_nothing_else(template):
    from app import app
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    behaviours = config["CacheBehaviors"]["Fn::If"][1]
    assert config["CacheBehaviors"]["Fn::If"][0] == "HasApi"
    assert all(b["TargetOriginId"] == "garden-api" and "POST" in b["AllowedMethods"]
               and b["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"   # CachingDisabled
               for b in behaviours)
    patterns = [b["PathPattern"] for b in behaviours]
    for route in app.routes:
        concrete = re.sub(r"\{[^}]+\}", "some-id", route)
        assert any(_cloudfront_matches(p, concrete) for p in patterns), f"{route} is not forwarded"
    # the site and the images stay with the bucket
    for path in ("/index.html", "/config.js", "/js/api.js", "/emotions/HAPPY/ah.jpeg",
                 "/text2image/j1/0.jpeg", "/pool/HAPPY/ah.jpeg", "/pool/HAPPY/rose/bv.jpeg",
                 "/admin/", "/admin/index.html", "/admin/js/main.js", "/text2image.html"):
        assert not any(_cloudfront_matches(p, path) for p in patterns), path
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "garden-bucket"


def test_outputs_feed_every_setting_the_app_needs_in_aws(template):
    outputs = set(template["Outputs"])
    needed = {"BucketName", "TableName", "CdnDomain", "Text2ImageMachineArn", "BulkMachineArn",
              "EndpointNames", "DistributionId", "SiteUrl"}
    assert needed <= outputs


def _list(value):
    return value if isinstance(value, list) else [value]


def _tasks(node: dict):
    for state in node["States"].values():
        yield state
        for inner in [state.get("ItemProcessor") or state.get("Iterator")] + state.get("Branches", []):
            if inner:
                yield from _tasks(inner)


@pytest.mark.parametrize("machine", kinds.MACHINES)
def test_a_task_state_waits_longer_than_its_lambda_may_run(machine):
    # otherwise Step Functions gives up (States.Timeout) on a Lambda that is still working
    for state in _tasks(json.loads(workflow.load_definition(machine))):
        if state.get("Type") == "Task" and "TimeoutSeconds" in state:
            resource = state["Resource"]
            if resource.endswith(".waitForTaskToken"):   # the Lambda named in its parameters
                resource = state["Parameters"]["FunctionName"]
            function = resource.strip("${}")
            assert deploy.LAMBDA_FUNCTIONS[function]["lambda_timeout"] < state["TimeoutSeconds"]


def test_directories_serve_their_index_page(template):
    function = template["Resources"]["DirectoryIndex"]
    assert function["Type"] == "AWS::CloudFront::Function" and 'endsWith("/")' in function["Properties"]["FunctionCode"]
    default = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert default["FunctionAssociations"][0]["EventType"] == "viewer-request"


def test_visitors_photos_are_never_served_and_expire(template):
    bucket = template["Resources"]["GardenBucket"]["Properties"]
    rule = next(r for r in bucket["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == "debug-photos/")
    assert rule["Status"] == "Enabled" and rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    statements = template["Resources"]["GardenBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(s for s in statements if s["Sid"] == "NeverServeVisitorsPhotos")
    assert deny["Effect"] == "Deny" and deny["Resource"]["Fn::Sub"].endswith("/debug-photos/*")


def test_what_asynchronous_endpoints_leave_in_the_bucket_expires(template):
    from chalicelib.generators import sagemaker_async
    from chalicelib.jobs import parked
    from tests.infra.test_endpoint_tool import tool
    bucket = template["Resources"]["GardenBucket"]["Properties"]
    rule = next(r for r in bucket["LifecycleConfiguration"]["Rules"]
                if r["Id"] == "expire-async-inference")
    assert rule["Status"] == "Enabled" and rule["Prefix"] == "async-inference/"
    assert rule["ExpirationInDays"] == 2 and rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    # longer than any image may stay parked: each image keeps its worker's token alive for
    # the Park state's HeartbeatSeconds at most (a ticket and a request live for one image)
    park = json.loads(MACHINE_FILE.read_text())
    timeouts = [s["HeartbeatSeconds"] for s in _tasks(park)
                if str(s.get("Resource", "")).endswith(".waitForTaskToken")]
    assert timeouts and max(timeouts) < rule["ExpirationInDays"] * 86400
    # requests, tickets and the endpoint tool's answers all live under the rule's prefix
    for prefix in (sagemaker_async.DEFAULT_INPUT_PREFIX, parked.TICKETS, tool.DEFAULT_PREFIX + "/"):
        assert prefix.startswith(rule["Prefix"])


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_async_topic_is_one_name_for_the_stack_the_app_and_the_endpoint_tool(template, stage):
    from chalicelib import config
    from tests.infra.conftest import example_outputs
    from tests.infra.test_endpoint_tool import tool
    topic = template["Resources"]["AsyncTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    name = resolve_sub(topic["Properties"]["TopicName"], stage)
    assert name == f"emotion-garden-{stage}-async" == tool.garden_topic(stage)
    assert template["Outputs"]["AsyncTopicName"]["Value"] == {"Fn::GetAtt": ["AsyncTopic", "TopicName"]}
    # make deploy hands the name to the Lambdas and to `chalice deploy`, which subscribes the
    # callback Lambda (on_sns_message(topic=config.async_topic())) to it by name
    env = deploy.stage_environment({**example_outputs(stage), "AsyncTopicName": name}, stage)
    assert env["GARDEN_ASYNC_TOPIC"] == name == config.async_topic(env)


def test_visitors_grown_flowers_expire_and_are_served_by_the_bucket(template):
    from chalicelib.rules import layout
    bucket = template["Resources"]["GardenBucket"]["Properties"]
    rule = next(r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Id"] == "expire-grown")
    assert rule["Status"] == "Enabled" and rule["Prefix"] == f"{layout.GROWN}/"
    assert rule["ExpirationInDays"] == {"Ref": "GrownDays"}
    assert template["Parameters"]["GrownDays"]["Default"] == 30
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]["Fn::If"][1]]
    assert "/grow" in patterns
    key = layout.grown_key("20261208T010203-0a1b2c3d4e", "HAPPY", "landscape")
    assert not any(_cloudfront_matches(p, "/" + key) for p in patterns)
