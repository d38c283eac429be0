"""An asynchronous SageMaker endpoint that scales to zero: create, update or delete it, or print
its roles' least-privilege policies (`make endpoint ...` runs this module; docs/deploy.md,
"Scale to zero").

create NAME: the model (your own `--image` and `--model-data`, a JumpStart model resolved by
the SageMaker Python SDK, or an existing `--model`), an endpoint config with
AsyncInferenceConfig (answers under `s3://BUCKET/PREFIX/output/`, failures under `.../failure/`,
success and error notifications to the garden's topic `emotion-garden-STAGE-async`, which the
stage's stack makes and the app's callback Lambda listens to; or, with `--own-topics`, to topics
`NAME-success` and `NAME-error` the tool makes, for an endpoint outside a garden), the endpoint
(waits until it is InService), then its scaling:

- Application Auto Scaling on the variant's DesiredInstanceCount, MinCapacity 0;
- target tracking on ApproximateBacklogSizePerInstance (scales out with the queue, and in to 0
  when the queue is empty);
- the HasBacklogWithoutCapacity alarm with a step-scaling policy that adds one instance, since
  target tracking alone never leaves zero (a backlog per instance is undefined at 0 instances);
- with `--warm 09:00-18:00 Asia/Seoul`, two scheduled actions: MinCapacity 1 at opening,
  0 at closing (the installation's first visitor does not wait for a cold start).

update NAME: a new endpoint config (new instance type or model), the scaling deregistered first
(SageMaker refuses to update a variant registered for scaling), the endpoint updated, the
scaling applied again, the old config deleted. delete NAME: the scaling, the alarm, the
endpoint, its configs and the model the tool made. policy NAME: the two roles' policies.

Every AWS call is boto3 on clients handed in, tested offline under botocore's Stubber
(tests/infra/test_endpoint_tool.py).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import available_timezones

DEFAULT_INSTANCE = "ml.g6.xlarge"
JUMPSTART_MODEL = "model-txt2img-stabilityai-stable-diffusion-v2-1-base"
VARIANT = "AllTraffic"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
NAMESPACE = "AWS/SageMaker"
DEFAULT_PREFIX = "async-inference"
BACKLOG_PER_INSTANCE = 5.0       # queued requests per instance before another one starts
SCALE_IN_COOLDOWN = 600          # seconds: an instance stays 10 min after the queue empties
SCALE_OUT_COOLDOWN = 300
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")   # SageMaker's rule for names
_WARM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_ZONE = re.compile(r"^(UTC|[A-Z][A-Za-z_+-]*(/[A-Za-z0-9_+-]+){1,2})$")   # IANA's shape
_S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$")


class EndpointError(Exception):
    """A refused argument or a failed step, in words for the operator."""


@dataclass(frozen=True)
class Warm:
    """Keep one instance from ``start`` to ``end`` (HH:MM, every day) in ``timezone``."""

    start: tuple[int, int]
    end: tuple[int, int]
    timezone: str

    def crons(self) -> tuple[str, str]:
        (sh, sm), (eh, em) = self.start, self.end
        return f"cron({sm} {sh} * * ? *)", f"cron({em} {eh} * * ? *)"


def parse_warm(text: str) -> Warm:
    """``09:00-18:00 Asia/Seoul`` → Warm; the zone is an IANA name (the scheduler's)."""
    hours, _, zone = text.strip().partition(" ")
    match = _WARM.match(hours)
    zone = zone.strip()
    if match is None or not zone:
        raise EndpointError(f"--warm {text!r}: use HH:MM-HH:MM ZONE, e.g. 09:00-18:00 Asia/Seoul")
    known = available_timezones()     # empty where the system has no time zone database
    if (known and zone not in known) or not _ZONE.match(zone):
        city = zone.rsplit("/", 1)[-1]
        alike = sorted(z for z in known if z.rsplit("/", 1)[-1] == city)
        hint = f"; did you mean {' or '.join(alike)}?" if alike else " (e.g. Asia/Seoul, UTC)"
        raise EndpointError(f"--warm: {zone!r} is not an IANA time zone{hint}")
    start = (int(match.group(1)), int(match.group(2)))
    end = (int(match.group(3)), int(match.group(4)))
    if start == end:
        raise EndpointError("--warm: the hours must not start and end at the same time")
    return Warm(start, end, zone)


@dataclass(frozen=True)
class Plan:
    """Everything about one endpoint, derived from the command line and the account."""

    name: str
    region: str
    account: str
    bucket: str
    prefix: str = DEFAULT_PREFIX
    instance_type: str = DEFAULT_INSTANCE
    max_instances: int = 1
    role: str = ""                          # the endpoint's execution role (create, update)
    model: str = ""                         # an existing model, else one made from:
    image: str = ""
    model_data: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    warm: Warm | None = None
    partition: str = "aws"
    topic: str = ""                         # the garden's topic (both outcomes); "": NAME-*

    @property
    def resource_id(self) -> str:
        return f"endpoint/{self.name}/variant/{VARIANT}"

    @property
    def model_name(self) -> str:
        return self.model or f"{self.name}-model"

    @property
    def made_model(self) -> bool:
        return not self.model

    def topic_arn(self, outcome: str) -> str:
        topic = self.topic or f"{self.name}-{outcome}"
        return f"arn:{self.partition}:sns:{self.region}:{self.account}:{topic}"

    @property
    def topic_arns(self) -> list[str]:
        return list(dict.fromkeys([self.topic_arn("success"), self.topic_arn("error")]))

    @property
    def endpoint_arn(self) -> str:   # SageMaker's ARNs carry the name in lower case
        return (f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:"
                f"endpoint/{self.name.lower()}")

    def s3_path(self, part: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}/{part}/"

    @property
    def alarm_name(self) -> str:
        return f"{self.name}-has-backlog-without-capacity"

    @property
    def tracking_policy(self) -> str:
        return f"{self.name}-backlog-per-instance"

    @property
    def wake_policy(self) -> str:
        return f"{self.name}-wake-from-zero"

    def warm_actions(self) -> tuple[str, str]:
        return f"{self.name}-warm-open", f"{self.name}-warm-close"


def check_plan(plan: Plan, *, creating: bool) -> Plan:
    if not _NAME.match(plan.name):
        raise EndpointError(f"endpoint name {plan.name!r}: letters, digits and '-', at most 63")
    if not 1 <= plan.max_instances <= 20:
        raise EndpointError("--max-instances must be 1-20")
    if not plan.instance_type.startswith("ml."):
        raise EndpointError(f"--instance-type {plan.instance_type!r} is not a SageMaker "
                            "instance type (ml.g6.xlarge, ml.g5.xlarge, ...)")
    if creating:
        if not plan.role.startswith("arn:"):
            raise EndpointError("--role: the endpoint's execution role ARN is needed "
                                "(`make endpoint ACTION=policy` prints its policy)")
        if not plan.model and not (plan.image and plan.model_data):
            raise EndpointError("name the model: --model EXISTING, --jumpstart [MODEL_ID], "
                                "or --image URI with --model-data s3://...")
        if plan.model_data and not _S3_URI.match(plan.model_data):
            raise EndpointError(f"--model-data {plan.model_data!r} is not an s3:// URI")
    return plan


def resolve_jumpstart(model_id: str, instance_type: str, region: str) -> tuple[str, str,
                                                                               dict[str, str]]:
    """A JumpStart model's inference image, model data and environment, from the SageMaker
    Python SDK (installed by hand: `pip install sagemaker`; it is not one of the garden's
    requirements)."""
    try:
        from sagemaker import environment_variables, image_uris, model_uris  # type: ignore
    except ImportError:
        raise EndpointError("--jumpstart needs the SageMaker Python SDK (pip install sagemaker); "
                            "or pass --image and --model-data") from None
    image = image_uris.retrieve(region=region, framework=None, image_scope="inference",
                                model_id=model_id, model_version="*", instance_type=instance_type)
    data = model_uris.retrieve(model_id=model_id, model_version="*", model_scope="inference")
    env = environment_variables.retrieve_default(model_id=model_id, model_version="*")
    return str(image), str(data), {str(k): str(v) for k, v in dict(env).items()}


@dataclass
class Clients:
    sagemaker: Any
    autoscaling: Any           # application-autoscaling
    cloudwatch: Any
    sns: Any


def endpoint_config(plan: Plan, config_name: str) -> dict[str, Any]:
    return {
        "EndpointConfigName": config_name,
        "ProductionVariants": [{"VariantName": VARIANT, "ModelName": plan.model_name,
                                "InstanceType": plan.instance_type,
                                "InitialInstanceCount": 1}],
        "AsyncInferenceConfig": {
            # one image at a time per GPU: Stable Diffusion fills it
            "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 1},
            "OutputConfig": {
                "S3OutputPath": plan.s3_path("output"),
                "S3FailurePath": plan.s3_path("failure"),
                "NotificationConfig": {"SuccessTopic": plan.topic_arn("success"),
                                       "ErrorTopic": plan.topic_arn("error")},
            },
        },
        "Tags": [{"Key": "emotion-garden:endpoint", "Value": plan.name}],
    }


def config_name(plan: Plan, now: Callable[[], float] = time.time) -> str:
    return f"{plan.name[:48]}-{int(now())}"


def garden_topic(stage: str) -> str:
    """The SNS topic a stage's stack makes (infra/template.yaml: AsyncTopic) and its callback
    Lambda listens to (GARDEN_ASYNC_TOPIC)."""
    return f"emotion-garden-{stage}-async"


def make_topics(clients: Clients, plan: Plan) -> None:
    """The garden's topic must exist (its stack owns it: made here, it would block the stack);
    an endpoint's own topics are made if missing."""
    if plan.topic:
        try:
            clients.sns.get_topic_attributes(TopicArn=plan.topic_arn("success"))
        except Exception as exc:   # noqa: BLE001
            if not _missing(exc):
                raise
            raise EndpointError(f"SNS topic {plan.topic} does not exist: deploy the stage "
                                "first (make deploy makes it), or pass --own-topics") from None
        return
    for outcome in ("success", "error"):
        arn = clients.sns.create_topic(Name=f"{plan.name}-{outcome}")["TopicArn"]
        if arn != plan.topic_arn(outcome):
            raise EndpointError(f"SNS made {arn}, not {plan.topic_arn(outcome)}")


def make_model(clients: Clients, plan: Plan) -> None:
    if not plan.made_model:
        return
    clients.sagemaker.create_model(
        ModelName=plan.model_name, ExecutionRoleArn=plan.role,
        PrimaryContainer={"Image": plan.image, "ModelDataUrl": plan.model_data,
                          "Environment": dict(plan.environment)},
        Tags=[{"Key": "emotion-garden:endpoint", "Value": plan.name}])


def wait_in_service(clients: Clients, plan: Plan, delay: int = 30, attempts: int = 120) -> None:
    """Creating an instance and loading the model takes minutes (about 5-10 for SD)."""
    clients.sagemaker.get_waiter("endpoint_in_service").wait(
        EndpointName=plan.name, WaiterConfig={"Delay": delay, "MaxAttempts": attempts})


def apply_scaling(clients: Clients, plan: Plan) -> None:
    """MinCapacity 0, target tracking on the backlog, the wake-from-zero alarm and policy,
    and the warm hours' scheduled actions (or none)."""
    scaling = clients.autoscaling
    common = {"ServiceNamespace": "sagemaker", "ResourceId": plan.resource_id,
              "ScalableDimension": DIMENSION}
    scaling.register_scalable_target(**common, MinCapacity=0, MaxCapacity=plan.max_instances)
    dimensions = [{"Name": "EndpointName", "Value": plan.name}]
    scaling.put_scaling_policy(
        **common, PolicyName=plan.tracking_policy, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": BACKLOG_PER_INSTANCE,
            "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": NAMESPACE,
                "Dimensions": dimensions, "Statistic": "Average"},
            "ScaleInCooldown": SCALE_IN_COOLDOWN, "ScaleOutCooldown": SCALE_OUT_COOLDOWN})
    wake = scaling.put_scaling_policy(
        **common, PolicyName=plan.wake_policy, PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Average",
            "Cooldown": SCALE_OUT_COOLDOWN,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]})
    clients.cloudwatch.put_metric_alarm(
        AlarmName=plan.alarm_name,
        AlarmDescription=f"{plan.name} has requests queued and no instance: start one",
        MetricName="HasBacklogWithoutCapacity", Namespace=NAMESPACE, Dimensions=dimensions,
        Statistic="Average", Period=60, EvaluationPeriods=2, DatapointsToAlarm=2,
        Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="missing", AlarmActions=[wake["PolicyARN"]])
    opening, closing = plan.warm_actions()
    if plan.warm is None:
        delete_warm(clients, plan)
        return
    open_cron, close_cron = plan.warm.crons()
    scaling.put_scheduled_action(
        **common, ScheduledActionName=opening, Schedule=open_cron, Timezone=plan.warm.timezone,
        ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": plan.max_instances})
    scaling.put_scheduled_action(
        **common, ScheduledActionName=closing, Schedule=close_cron, Timezone=plan.warm.timezone,
        ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": plan.max_instances})


def _missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError
    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    return code in ("ObjectNotFoundException", "ResourceNotFound", "ResourceNotFoundException",
                    "NotFound") \
        or (code == "ValidationException" and ("not found" in message.lower()
                                               or "could not find" in message.lower()
                                               or "does not exist" in message.lower()))


def _quietly(call: Callable[[], Any]) -> None:
    """A delete that minds nothing already gone."""
    from botocore.exceptions import ClientError
    try:
        call()
    except ClientError as exc:
        if not _missing(exc):
            raise


def delete_warm(clients: Clients, plan: Plan) -> None:
    for action in plan.warm_actions():
        _quietly(lambda action=action: clients.autoscaling.delete_scheduled_action(   # type: ignore[misc]
            ServiceNamespace="sagemaker", ScheduledActionName=action,
            ResourceId=plan.resource_id, ScalableDimension=DIMENSION))


def remove_scaling(clients: Clients, plan: Plan) -> None:
    """The alarm, the scheduled actions and the scalable target (its policies go with it)."""
    clients.cloudwatch.delete_alarms(AlarmNames=[plan.alarm_name])
    delete_warm(clients, plan)
    _quietly(lambda: clients.autoscaling.deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=plan.resource_id, ScalableDimension=DIMENSION))


def create(clients: Clients, plan: Plan, *, now: Callable[[], float] = time.time,
           wait: Callable[[Clients, Plan], None] = wait_in_service) -> str:
    check_plan(plan, creating=True)
    make_topics(clients, plan)
    make_model(clients, plan)
    name = config_name(plan, now)
    clients.sagemaker.create_endpoint_config(**endpoint_config(plan, name))
    clients.sagemaker.create_endpoint(
        EndpointName=plan.name, EndpointConfigName=name,
        Tags=[{"Key": "emotion-garden:endpoint", "Value": plan.name}])
    wait(clients, plan)
    apply_scaling(clients, plan)
    return name


def update(clients: Clients, plan: Plan, *, now: Callable[[], float] = time.time,
           wait: Callable[[Clients, Plan], None] = wait_in_service) -> str:
    check_plan(plan, creating=True)
    old = clients.sagemaker.describe_endpoint(EndpointName=plan.name)["EndpointConfigName"]
    make_topics(clients, plan)
    if plan.made_model:   # a new image or model data: the model the tool made is made again
        # (deleting a model stops nothing: the running endpoint keeps what it loaded)
        _quietly(lambda: clients.sagemaker.delete_model(ModelName=plan.model_name))
    make_model(clients, plan)
    name = config_name(plan, now)
    clients.sagemaker.create_endpoint_config(**endpoint_config(plan, name))
    remove_scaling(clients, plan)
    clients.sagemaker.update_endpoint(EndpointName=plan.name, EndpointConfigName=name)
    wait(clients, plan)
    apply_scaling(clients, plan)
    if old != name:
        _quietly(lambda: clients.sagemaker.delete_endpoint_config(EndpointConfigName=old))
    return name


def delete(clients: Clients, plan: Plan) -> list[str]:
    """Everything ``create`` made but the topics (their subscriptions are the app's) and the
    objects in the bucket. Returns what was deleted."""
    check_plan(plan, creating=False)
    deleted: list[str] = []
    remove_scaling(clients, plan)
    deleted.append(f"scaling of {plan.resource_id}")
    try:
        described = clients.sagemaker.describe_endpoint(EndpointName=plan.name)
    except Exception as exc:   # noqa: BLE001
        if not _missing(exc):
            raise
        return deleted
    config = described["EndpointConfigName"]
    models = [v["ModelName"] for v in clients.sagemaker.describe_endpoint_config(
        EndpointConfigName=config)["ProductionVariants"]]
    clients.sagemaker.delete_endpoint(EndpointName=plan.name)
    deleted.append(f"endpoint {plan.name}")
    _quietly(lambda: clients.sagemaker.delete_endpoint_config(EndpointConfigName=config))
    deleted.append(f"endpoint config {config}")
    for model in models:
        if model == f"{plan.name}-model":    # only the model this tool made
            _quietly(lambda model=model: clients.sagemaker.delete_model(   # type: ignore[misc]
                ModelName=model))
            deleted.append(f"model {model}")
    return deleted


def policies(plan: Plan) -> dict[str, Any]:
    """The least-privilege policies: the endpoint's execution role (SageMaker reads the
    requests and the model, writes the answers, publishes the notifications) and what the
    garden's Lambda role adds (writes requests, queues them, reads and deletes answers)."""
    p, prefix = plan.partition, f"arn:{plan.partition}:s3:::{plan.bucket}/{plan.prefix}"
    topics = plan.topic_arns
    endpoint_role: list[dict[str, Any]] = [
        {"Sid": "ReadRequests", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": [f"{prefix}/input/*"]},
        {"Sid": "WriteAnswers", "Effect": "Allow", "Action": ["s3:PutObject"],
         "Resource": [f"{prefix}/output/*", f"{prefix}/failure/*"]},
        {"Sid": "Notify", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": topics},
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"arn:{p}:logs:{plan.region}:{plan.account}:log-group:"
                      f"/aws/sagemaker/Endpoints/{plan.name}:*"]},
        # CloudWatch metrics and the ECR token have no resource-level permissions
        {"Sid": "Metrics", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData"],
         "Resource": "*", "Condition": {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}},
        {"Sid": "PullToken", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"],
         "Resource": "*"},
    ]
    if plan.image:
        repository = _ecr_repository_arn(plan.image, p)
        if repository:
            endpoint_role.append({"Sid": "PullImage", "Effect": "Allow",
                                  "Action": ["ecr:BatchGetImage",
                                             "ecr:GetDownloadUrlForLayer"],
                                  "Resource": [repository]})
    if plan.model_data:
        match = _S3_URI.match(plan.model_data)
        if match:
            endpoint_role.append({"Sid": "ReadModel", "Effect": "Allow",
                                  "Action": ["s3:GetObject"],
                                  "Resource": [f"arn:{p}:s3:::{match.group(1)}/{match.group(2)}"
                                               + ("*" if plan.model_data.endswith("/") else "")]})
    app_role = [
        {"Sid": "Queue", "Effect": "Allow", "Action": ["sagemaker:InvokeEndpointAsync"],
         "Resource": [plan.endpoint_arn]},
        # how many instances run: a job waiting on a scaled-to-zero endpoint says so
        {"Sid": "Capacity", "Effect": "Allow", "Action": ["sagemaker:DescribeEndpoint"],
         "Resource": [plan.endpoint_arn]},
        {"Sid": "WriteRequests", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": [f"{prefix}/input/*"]},
        {"Sid": "ReadAnswers", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"],
         "Resource": [f"{prefix}/output/*", f"{prefix}/failure/*"]},
    ]
    return {"endpointRole": {"Version": "2012-10-17", "Statement": endpoint_role},
            "appRole": {"Version": "2012-10-17", "Statement": app_role},
            "topics": topics}


def _ecr_repository_arn(image: str, partition: str) -> str | None:
    """``ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`` → the repository's ARN."""
    match = re.match(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)", image)
    if match is None:
        return None
    account, region, repository = match.groups()
    return f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"


def _clients(region: str) -> tuple[Clients, str]:
    import boto3
    session = boto3.session.Session(region_name=region or None)
    if not session.region_name:
        raise EndpointError("no AWS region: set AWS_REGION or pass --region")
    account = session.client("sts").get_caller_identity()["Account"]
    return Clients(session.client("sagemaker"), session.client("application-autoscaling"),
                   session.client("cloudwatch"), session.client("sns")), str(account)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/endpoint.py",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("action", choices=("create", "update", "delete", "policy"))
    parser.add_argument("name", help="the endpoint's name (GARDEN_ENDPOINTS: sagemaker-async:NAME)")
    parser.add_argument("--bucket", required=True, help="the stage's bucket (answers go there)")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX)
    parser.add_argument("--region", default="")
    parser.add_argument("--instance-type", default=DEFAULT_INSTANCE)
    parser.add_argument("--max-instances", type=int, default=1)
    parser.add_argument("--role", default="", help="the endpoint's execution role ARN")
    parser.add_argument("--model", default="", help="an existing SageMaker model")
    parser.add_argument("--jumpstart", nargs="?", const=JUMPSTART_MODEL, default="",
                        help=f"a JumpStart model id (default {JUMPSTART_MODEL})")
    parser.add_argument("--image", default="")
    parser.add_argument("--model-data", default="")
    parser.add_argument("--warm", default="", help="e.g. '09:00-18:00 Asia/Seoul'")
    parser.add_argument("--stage", default="dev", choices=("dev", "prod"),
                        help="the garden whose topic the endpoint notifies")
    topics = parser.add_mutually_exclusive_group()
    topics.add_argument("--topic", default="",
                        help="an SNS topic name to notify instead of the stage's")
    topics.add_argument("--own-topics", action="store_true",
                        help="notify topics NAME-success and NAME-error (made if missing)")
    args = parser.parse_args(argv)
    try:
        clients, account = _clients(args.region)
        region = clients.sagemaker.meta.region_name
        image, data = args.image, args.model_data
        environment: dict[str, str] = {}
        if args.jumpstart and args.action in ("create", "update"):
            image, data, environment = resolve_jumpstart(args.jumpstart, args.instance_type,
                                                         region)
        plan = Plan(name=args.name, region=region, account=account, bucket=args.bucket,
                    prefix=args.prefix.strip("/"), instance_type=args.instance_type,
                    max_instances=args.max_instances, role=args.role, model=args.model,
                    image=image, model_data=data, environment=environment,
                    warm=parse_warm(args.warm) if args.warm else None,
                    topic="" if args.own_topics else args.topic or garden_topic(args.stage))
        if args.action == "policy":
            print(json.dumps(policies(check_plan(plan, creating=False)), indent=2))
        elif args.action == "create":
            print(f"created {plan.name} ({create(clients, plan)}); "
                  f"GARDEN_ENDPOINTS entry: sagemaker-async:{plan.name}")
        elif args.action == "update":
            print(f"updated {plan.name} to {update(clients, plan)}")
        else:
            print("deleted: " + ", ".join(delete(clients, plan)))
    except EndpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:   # noqa: BLE001 - AWS's refusals, said in one line
        from botocore.exceptions import BotoCoreError, ClientError, WaiterError
        if not isinstance(exc, (BotoCoreError, ClientError, WaiterError)):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
