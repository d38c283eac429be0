"""tools/endpoint.py: an asynchronous endpoint that scales to zero, created, updated and deleted
with its scaling under botocore's Stubber (every call, in order, with its exact parameters),
and its roles' least-privilege policies."""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

ROOT = Path(__file__).resolve().parents[2]


def _load() -> Any:
    if "garden_endpoint_tool" not in sys.modules:
        spec = importlib.util.spec_from_file_location("garden_endpoint_tool",
                                                      ROOT / "tools" / "endpoint.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["garden_endpoint_tool"] = module
        spec.loader.exec_module(module)
    return sys.modules["garden_endpoint_tool"]


tool = _load()
ACCOUNT, REGION = "123456789012", "us-east-1"
NAME = "garden-sd-async"
RESOURCE = f"endpoint/{NAME}/variant/AllTraffic"
SCALING = {"ServiceNamespace": "sagemaker", "ResourceId": RESOURCE,
           "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/garden-endpoint"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.21.0-deepspeed0.8.3-cu117"
DATA = "s3://jumpstart-cache-prod-us-east-1/stabilityai-infer/model.tar.gz"
WAKE_ARN = (f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:1:resource/sagemaker/"
            f"{RESOURCE}:policyName/{NAME}-wake-from-zero")
ENDPOINT_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{NAME}"
CONFIG_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/{NAME}"
TAGS = [{"Key": "emotion-garden:endpoint", "Value": NAME}]


def plan(**overrides: Any) -> Any:
    values: dict[str, Any] = dict(name=NAME, region=REGION, account=ACCOUNT, bucket="garden-b",
                                  role=ROLE, image=IMAGE, model_data=DATA)
    values.update(overrides)
    return tool.Plan(**values)


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, dict[str, Stubber]]]:
    clients: dict[str, Any] = {
        "sagemaker": boto3.client("sagemaker", region_name=REGION),
        "autoscaling": boto3.client("application-autoscaling", region_name=REGION),
        "cloudwatch": boto3.client("cloudwatch", region_name=REGION),
        "sns": boto3.client("sns", region_name=REGION)}
    stubs = {key: Stubber(client) for key, client in clients.items()}
    for stub in stubs.values():
        stub.activate()
    yield tool.Clients(**clients), stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def expect_topics(stubs: dict[str, Stubber]) -> None:
    for outcome in ("success", "error"):
        stubs["sns"].add_response(
            "create_topic", {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}-{outcome}"},
            {"Name": f"{NAME}-{outcome}"})


def expect_config(stubs: dict[str, Stubber], config: str, instance: str = "ml.g6.xlarge") -> None:
    stubs["sagemaker"].add_response("create_endpoint_config", {"EndpointConfigArn": CONFIG_ARN}, {
        "EndpointConfigName": config,
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": f"{NAME}-model",
                                "InstanceType": instance, "InitialInstanceCount": 1}],
        "AsyncInferenceConfig": {
            "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 1},
            "OutputConfig": {
                "S3OutputPath": "s3://garden-b/async-inference/output/",
                "S3FailurePath": "s3://garden-b/async-inference/failure/",
                "NotificationConfig": {
                    "SuccessTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}-success",
                    "ErrorTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}-error"}}},
        "Tags": TAGS})


def expect_scaling(stubs: dict[str, Stubber], warm: bool) -> None:
    scaling, dimensions = stubs["autoscaling"], [{"Name": "EndpointName", "Value": NAME}]
    scaling.add_response("register_scalable_target", {},
                         {**SCALING, "MinCapacity": 0, "MaxCapacity": 2})
    scaling.add_response("put_scaling_policy", {"PolicyARN": "arn:tracking"}, {
        **SCALING, "PolicyName": f"{NAME}-backlog-per-instance",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 5.0,
            "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": "AWS/SageMaker",
                "Dimensions": dimensions, "Statistic": "Average"},
            "ScaleInCooldown": 600, "ScaleOutCooldown": 300}})
    scaling.add_response("put_scaling_policy", {"PolicyARN": WAKE_ARN}, {
        **SCALING, "PolicyName": f"{NAME}-wake-from-zero", "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Average",
            "Cooldown": 300,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}})
    stubs["cloudwatch"].add_response("put_metric_alarm", {}, {
        "AlarmName": f"{NAME}-has-backlog-without-capacity",
        "AlarmDescription": f"{NAME} has requests queued and no instance: start one",
        "MetricName": "HasBacklogWithoutCapacity", "Namespace": "AWS/SageMaker",
        "Dimensions": dimensions, "Statistic": "Average", "Period": 60, "EvaluationPeriods": 2,
        "DatapointsToAlarm": 2, "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "missing",
        "AlarmActions": [WAKE_ARN]})
    if warm:
        for action, cron, low in ((f"{NAME}-warm-open", "cron(0 9 * * ? *)", 1),
                                  (f"{NAME}-warm-close", "cron(30 18 * * ? *)", 0)):
            scaling.add_response("put_scheduled_action", {}, {
                **SCALING, "ScheduledActionName": action, "Schedule": cron,
                "Timezone": "Asia/Seoul",
                "ScalableTargetAction": {"MinCapacity": low, "MaxCapacity": 2}})
    else:
        expect_no_warm(stubs)


def expect_no_warm(stubs: dict[str, Stubber], gone: bool = True) -> None:
    for action in (f"{NAME}-warm-open", f"{NAME}-warm-close"):
        params = {**SCALING, "ScheduledActionName": action}
        if gone:
            stubs["autoscaling"].add_client_error(
                "delete_scheduled_action", service_error_code="ObjectNotFoundException",
                http_status_code=400, expected_params=params)
        else:
            stubs["autoscaling"].add_response("delete_scheduled_action", {}, params)


def expect_in_service(stubs: dict[str, Stubber]) -> None:
    stubs["sagemaker"].add_response("describe_endpoint", {
        "EndpointName": NAME, "EndpointArn": ENDPOINT_ARN, "EndpointConfigName": "c",
        "EndpointStatus": "InService", "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z"}, {"EndpointName": NAME})


def test_create_makes_the_endpoint_and_its_scale_to_zero(stubbed):
    clients, stubs = stubbed
    expect_topics(stubs)
    stubs["sagemaker"].add_response("create_model", {"ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{NAME}-model"}, {
        "ModelName": f"{NAME}-model", "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": DATA,
                             "Environment": {"SAGEMAKER_PROGRAM": "inference.py"}},
        "Tags": TAGS})
    expect_config(stubs, f"{NAME}-1767225600")
    stubs["sagemaker"].add_response("create_endpoint", {"EndpointArn": ENDPOINT_ARN}, {
        "EndpointName": NAME, "EndpointConfigName": f"{NAME}-1767225600", "Tags": TAGS})
    expect_in_service(stubs)          # the waiter's first look: InService
    expect_scaling(stubs, warm=True)
    made = tool.create(clients, plan(max_instances=2,
                                     environment={"SAGEMAKER_PROGRAM": "inference.py"},
                                     warm=tool.parse_warm("09:00-18:30 Asia/Seoul")),
                       now=lambda: 1767225600.0)
    assert made == f"{NAME}-1767225600"


def test_without_warm_hours_the_old_scheduled_actions_go(stubbed):
    clients, stubs = stubbed
    expect_topics(stubs)
    expect_config(stubs, f"{NAME}-7")
    stubs["sagemaker"].add_response("create_endpoint", {"EndpointArn": ENDPOINT_ARN}, {
        "EndpointName": NAME, "EndpointConfigName": f"{NAME}-7", "Tags": TAGS})
    expect_scaling(stubs, warm=False)
    tool.create(clients, plan(model=f"{NAME}-model", image="", model_data="", max_instances=2),
                now=lambda: 7.0, wait=lambda c, p: None)


def test_update_deregisters_before_it_updates_and_scales_again(stubbed):
    clients, stubs = stubbed
    stubs["sagemaker"].add_response("describe_endpoint", {
        "EndpointName": NAME, "EndpointArn": ENDPOINT_ARN, "EndpointConfigName": f"{NAME}-1",
        "EndpointStatus": "InService", "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z"}, {"EndpointName": NAME})
    expect_topics(stubs)
    expect_config(stubs, f"{NAME}-2", instance="ml.g5.xlarge")
    stubs["cloudwatch"].add_response("delete_alarms", {},
                                     {"AlarmNames": [f"{NAME}-has-backlog-without-capacity"]})
    expect_no_warm(stubs, gone=False)
    stubs["autoscaling"].add_response("deregister_scalable_target", {}, SCALING)
    stubs["sagemaker"].add_response("update_endpoint", {"EndpointArn": ENDPOINT_ARN},
                                    {"EndpointName": NAME, "EndpointConfigName": f"{NAME}-2"})
    expect_scaling(stubs, warm=False)
    stubs["sagemaker"].add_response("delete_endpoint_config", {},
                                    {"EndpointConfigName": f"{NAME}-1"})
    tool.update(clients, plan(model=f"{NAME}-model", image="", model_data="", max_instances=2,
                              instance_type="ml.g5.xlarge"),
                now=lambda: 2.0, wait=lambda c, p: None)


def test_update_with_new_model_data_makes_the_model_again(stubbed):
    clients, stubs = stubbed
    stubs["sagemaker"].add_response("describe_endpoint", {
        "EndpointName": NAME, "EndpointArn": ENDPOINT_ARN, "EndpointConfigName": f"{NAME}-3",
        "EndpointStatus": "InService", "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z"}, {"EndpointName": NAME})
    expect_topics(stubs)
    stubs["sagemaker"].add_response("delete_model", {}, {"ModelName": f"{NAME}-model"})
    stubs["sagemaker"].add_response("create_model", {
        "ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{NAME}-model"}, {
        "ModelName": f"{NAME}-model", "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": DATA + ".v2", "Environment": {}},
        "Tags": TAGS})
    expect_config(stubs, f"{NAME}-4")
    stubs["cloudwatch"].add_response("delete_alarms", {})
    expect_no_warm(stubs)
    stubs["autoscaling"].add_response("deregister_scalable_target", {}, SCALING)
    stubs["sagemaker"].add_response("update_endpoint", {"EndpointArn": ENDPOINT_ARN},
                                    {"EndpointName": NAME, "EndpointConfigName": f"{NAME}-4"})
    expect_scaling(stubs, warm=False)
    stubs["sagemaker"].add_response("delete_endpoint_config", {},
                                    {"EndpointConfigName": f"{NAME}-3"})
    tool.update(clients, plan(model_data=DATA + ".v2", max_instances=2), now=lambda: 4.0,
                wait=lambda c, p: None)


def test_delete_takes_the_scaling_the_endpoint_its_config_and_its_model(stubbed):
    clients, stubs = stubbed
    stubs["cloudwatch"].add_response("delete_alarms", {},
                                     {"AlarmNames": [f"{NAME}-has-backlog-without-capacity"]})
    expect_no_warm(stubs, gone=False)
    stubs["autoscaling"].add_response("deregister_scalable_target", {}, SCALING)
    stubs["sagemaker"].add_response("describe_endpoint", {
        "EndpointName": NAME, "EndpointArn": ENDPOINT_ARN, "EndpointConfigName": f"{NAME}-1",
        "EndpointStatus": "InService", "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z"}, {"EndpointName": NAME})
    stubs["sagemaker"].add_response("describe_endpoint_config", {
        "EndpointConfigName": f"{NAME}-1", "EndpointConfigArn": CONFIG_ARN,
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": f"{NAME}-model"}],
        "CreationTime": "2026-01-01T00:00:00Z"}, {"EndpointConfigName": f"{NAME}-1"})
    stubs["sagemaker"].add_response("delete_endpoint", {}, {"EndpointName": NAME})
    stubs["sagemaker"].add_response("delete_endpoint_config", {},
                                    {"EndpointConfigName": f"{NAME}-1"})
    stubs["sagemaker"].add_response("delete_model", {}, {"ModelName": f"{NAME}-model"})
    assert tool.delete(clients, plan()) == [
        f"scaling of {RESOURCE}", f"endpoint {NAME}", f"endpoint config {NAME}-1",
        f"model {NAME}-model"]


def test_delete_of_what_is_already_gone_and_a_model_it_did_not_make(stubbed):
    clients, stubs = stubbed
    stubs["cloudwatch"].add_response("delete_alarms", {})
    expect_no_warm(stubs)
    stubs["autoscaling"].add_client_error("deregister_scalable_target",
                                          service_error_code="ObjectNotFoundException")
    stubs["sagemaker"].add_client_error("describe_endpoint", service_error_code="ValidationException",
                                        service_message=f"Could not find endpoint \"{NAME}\".")
    assert tool.delete(clients, plan()) == [f"scaling of {RESOURCE}"]


def test_a_refused_call_is_not_swallowed(stubbed):
    from botocore.exceptions import ClientError
    clients, stubs = stubbed
    stubs["cloudwatch"].add_response("delete_alarms", {})
    stubs["autoscaling"].add_client_error("delete_scheduled_action",
                                          service_error_code="AccessDeniedException")
    with pytest.raises(ClientError):
        tool.delete(clients, plan())


@pytest.mark.parametrize("text,crons,zone", [
    ("09:00-18:00 Asia/Seoul", ("cron(0 9 * * ? *)", "cron(0 18 * * ? *)"), "Asia/Seoul"),
    ("22:15-06:00 UTC", ("cron(15 22 * * ? *)", "cron(0 6 * * ? *)"), "UTC"),
])
def test_warm_hours(text, crons, zone):
    warm = tool.parse_warm(text)
    assert (warm.crons(), warm.timezone) == (crons, zone)


@pytest.mark.parametrize("text", ["9-18 Asia/Seoul", "09:00-18:00", "09:00-24:00 UTC",
                                  "09:00-18:00 Mars/Olympus", "09:00-09:00 UTC"])
def test_bad_warm_hours_are_refused(text):
    with pytest.raises(tool.EndpointError):
        tool.parse_warm(text)


def test_a_zone_that_is_not_ianas_is_refused_with_the_one_meant():
    with pytest.raises(tool.EndpointError, match="did you mean Asia/Seoul"):
        tool.parse_warm("09:00-18:00 Europe/Seoul")


@pytest.mark.parametrize("overrides,match", [
    ({"name": "bad_name"}, "letters"), ({"role": ""}, "role"),
    ({"image": "", "model_data": ""}, "model"), ({"model_data": "/tmp/model.tar.gz"}, "s3://"),
    ({"instance_type": "g6.xlarge"}, "instance"), ({"max_instances": 0}, "max-instances"),
])
def test_create_refuses_what_would_fail_half_way(stubbed, overrides, match):
    clients, _ = stubbed
    with pytest.raises(tool.EndpointError, match=match):
        tool.create(clients, plan(**overrides))


def test_the_policies_name_exactly_the_prefixes_topics_endpoint_image_and_model():
    policy = tool.policies(plan())
    endpoint = {s["Sid"]: s for s in policy["endpointRole"]["Statement"]}
    app = {s["Sid"]: s for s in policy["appRole"]["Statement"]}
    prefix = "arn:aws:s3:::garden-b/async-inference"
    assert endpoint["ReadRequests"]["Resource"] == [f"{prefix}/input/*"]
    assert endpoint["WriteAnswers"]["Resource"] == [f"{prefix}/output/*", f"{prefix}/failure/*"]
    assert endpoint["Notify"]["Resource"] == [f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}-success",
                                              f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}-error"]
    assert endpoint["PullImage"]["Resource"] == [
        "arn:aws:ecr:us-east-1:763104351884:repository/djl-inference"]
    assert endpoint["ReadModel"]["Resource"] == [
        "arn:aws:s3:::jumpstart-cache-prod-us-east-1/stabilityai-infer/model.tar.gz"]
    assert app["Queue"] == {"Sid": "Queue", "Effect": "Allow",
                            "Action": ["sagemaker:InvokeEndpointAsync"],
                            "Resource": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{NAME}"]}
    assert app["WriteRequests"]["Resource"] == [f"{prefix}/input/*"]
    assert app["ReadAnswers"]["Resource"] == [f"{prefix}/output/*", f"{prefix}/failure/*"]
    # a bare "*" only where AWS has no resource-level permission
    for statement in policy["endpointRole"]["Statement"] + policy["appRole"]["Statement"]:
        if statement["Resource"] == "*":
            assert statement["Sid"] in ("Metrics", "PullToken")
        assert "*" not in "".join(statement["Action"])


GARDEN_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:emotion-garden-dev-async"


def test_create_notifies_the_gardens_topic_for_success_and_error(stubbed):
    """The stage's stack owns the topic the callback Lambda listens to: the tool checks it is
    there and names it for both outcomes; it makes no topic."""
    clients, stubs = stubbed
    stubs["sns"].add_response("get_topic_attributes", {"Attributes": {"TopicArn": GARDEN_TOPIC}},
                              {"TopicArn": GARDEN_TOPIC})
    expected = {
        "EndpointConfigName": f"{NAME}-1767225600",
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "existing",
                                "InstanceType": "ml.g6.xlarge", "InitialInstanceCount": 1}],
        "AsyncInferenceConfig": {
            "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 1},
            "OutputConfig": {
                "S3OutputPath": "s3://garden-b/async-inference/output/",
                "S3FailurePath": "s3://garden-b/async-inference/failure/",
                "NotificationConfig": {"SuccessTopic": GARDEN_TOPIC, "ErrorTopic": GARDEN_TOPIC}}},
        "Tags": TAGS}
    stubs["sagemaker"].add_response("create_endpoint_config", {"EndpointConfigArn": CONFIG_ARN},
                                    expected)
    stubs["sagemaker"].add_response("create_endpoint", {"EndpointArn": ENDPOINT_ARN}, {
        "EndpointName": NAME, "EndpointConfigName": f"{NAME}-1767225600", "Tags": TAGS})
    expect_scaling(stubs, warm=False)
    topic = tool.garden_topic("dev")
    made = tool.create(clients, plan(model="existing", image="", model_data="", topic=topic,
                                     max_instances=2),
                       now=lambda: 1767225600.0, wait=lambda *_: None)
    assert made == f"{NAME}-1767225600"


def test_a_missing_garden_topic_stops_create_before_anything_is_made(stubbed):
    clients, stubs = stubbed
    stubs["sns"].add_client_error("get_topic_attributes", service_error_code="NotFound",
                                  service_message="Topic does not exist", http_status_code=404)
    with pytest.raises(tool.EndpointError, match="emotion-garden-prod-async does not exist"):
        tool.create(clients, plan(topic=tool.garden_topic("prod")), wait=lambda *_: None)


def test_with_the_gardens_topic_the_policies_name_it_alone_and_the_app_may_read_capacity():
    policy = tool.policies(plan(topic=tool.garden_topic("dev")))
    endpoint = {s["Sid"]: s for s in policy["endpointRole"]["Statement"]}
    app = {s["Sid"]: s for s in policy["appRole"]["Statement"]}
    assert endpoint["Notify"]["Resource"] == policy["topics"] == [GARDEN_TOPIC]
    assert app["Capacity"] == {"Sid": "Capacity", "Effect": "Allow",
                               "Action": ["sagemaker:DescribeEndpoint"],
                               "Resource": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{NAME}"]}
